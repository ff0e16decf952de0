// Plain-text feeds: one value per line, `#` comments, the type inferred by the rulebook.
#include <algorithm>

#include "../strings.hpp"
#include "reader.hpp"

namespace falcon::internal::feed {

void read_text(CharReader& r, Sink& sink) {
  read_lines(r, sink, [&](std::string_view raw, std::size_t n) {
    std::string_view v = raw;
    const auto hash = v.find('#');
    if (hash != std::string_view::npos) v = v.substr(0, hash);
    v = internal::trim(v);
    if (v.empty()) return;
    ++sink.summary().records;
    if (std::any_of(v.begin(), v.end(), [](char c) { return internal::is_space(c); })) {
      sink.error(n, "value", v, "more than one value on the line");
      return;
    }
    IndicatorSpec spec;
    spec.value = std::string(v);
    sink.add(std::move(spec), n);
  });
}

}  // namespace falcon::internal::feed
