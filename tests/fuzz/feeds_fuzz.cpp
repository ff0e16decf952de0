// libFuzzer target for one feed reader (FEED_FORMAT picks it): hostile bytes must give entries
// or issues, never a crash, a hang or unbounded memory. Small limits make the size caps bite.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "falcon/feeds.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace feeds = falcon::feeds;
  const std::string text(reinterpret_cast<const char*>(data), size);
  feeds::ReadOptions o;
  o.format = *feeds::parse_format(FEED_FORMAT);
  o.batch_size = 7;
  o.max_record_bytes = 4096;
  std::istringstream in(text);
  std::size_t entries = 0;
  auto s = feeds::read(
      in, o,
      [&](std::vector<feeds::FeedEntry>& batch) {
        for (const auto& e : batch) {
          // Every entry is normalised: type set, value set and stable under normalisation.
          if (!e.spec.type || !e.spec.value) __builtin_trap();
          auto again = falcon::rules::normalize(*e.spec.type, *e.spec.value);
          if (!again || again->value != *e.spec.value || again->type != *e.spec.type) {
            __builtin_trap();
          }
        }
        entries += batch.size();
        return true;
      },
      [](const feeds::FeedIssue& i) {
        if (i.value.size() > 203) __builtin_trap();  // values in issues are clipped
      });
  if (s.entries != entries) __builtin_trap();
  if (std::string(FEED_FORMAT) == "stix") {
    std::string why;
    (void)feeds::parse_stix_pattern(text, &why);
  }
  return 0;
}
