// The feed driver: format names, detection, and read()/read_file() over the readers.
#include <fstream>
#include <sstream>

#include "../strings.hpp"
#include "reader.hpp"

namespace falcon::feeds {

using internal::lower;
using internal::trim;

std::string_view to_string(Format f) noexcept {
  switch (f) {
    case Format::csv:
      return "csv";
    case Format::json:
      return "json";
    case Format::ndjson:
      return "ndjson";
    case Format::text:
      return "text";
    case Format::stix:
      return "stix";
    case Format::automatic:
      break;
  }
  return "auto";
}

std::optional<Format> parse_format(std::string_view name) {
  const std::string n = lower(name);
  if (n == "auto" || n == "automatic") return Format::automatic;
  if (n == "csv") return Format::csv;
  if (n == "json") return Format::json;
  if (n == "ndjson" || n == "jsonl") return Format::ndjson;
  if (n == "text" || n == "txt") return Format::text;
  if (n == "stix" || n == "stix2") return Format::stix;
  return std::nullopt;
}

Format detect_format(std::string_view head) {
  std::string_view h = head;
  if (h.substr(0, 3) == "\xEF\xBB\xBF") h.remove_prefix(3);
  h = trim(h);
  if (h.empty()) return Format::text;
  if (h.front() == '[') return Format::json;
  if (h.front() == '{') {
    // A bundle says so near the start; one object per line is NDJSON; else a JSON envelope.
    std::string compact;
    for (char c : h.substr(0, 4096)) {
      if (!internal::is_space(c)) compact += c;
    }
    if (compact.find("\"type\":\"bundle\"") != std::string::npos) return Format::stix;
    const auto nl = h.find('\n');
    if (compact.find("\"objects\":[") != std::string::npos ||
        compact.find("\"resources\":[") != std::string::npos) {
      return Format::json;
    }
    if (nl != std::string_view::npos) return Format::ndjson;
    return Format::json;
  }
  const auto nl = h.find('\n');
  const std::string first = lower(trim(h.substr(0, nl)));
  if (first.find(',') != std::string::npos || first == "value") {
    bool all_known = true;
    for (std::string name : internal::split_trimmed(first, ',')) {
      if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
        name = name.substr(1, name.size() - 2);
      }
      if (rules::find_column(name) == nullptr) all_known = false;
    }
    if (all_known) return Format::csv;
  }
  return Format::text;
}

namespace {

// A feed whose content contradicts the format it is read as is a fatal error: an error page
// saved as feed.json or feed.txt must never read as a feed that lists nothing.
std::optional<std::string> contradiction(std::string_view head, Format f) {
  std::string_view h = head;
  if (h.substr(0, 3) == "\xEF\xBB\xBF") h.remove_prefix(3);
  h = trim(h);
  if (h.empty()) return std::nullopt;
  if (h.front() == '<') {
    return std::string("the input is HTML or XML (an error page?), not a feed");
  }
  const bool json_like = h.front() == '{' || h.front() == '[';
  if ((f == Format::text || f == Format::csv) && json_like) {
    return "the input is JSON but is read as " + std::string(to_string(f)) +
           " (name it .json or give the format)";
  }
  if ((f == Format::json || f == Format::stix || f == Format::ndjson) && !json_like) {
    return "the input is not JSON but is read as " + std::string(to_string(f));
  }
  return std::nullopt;
}

}  // namespace

ReadSummary read(std::istream& in, const ReadOptions& options, const BatchCallback& on_batch,
                 const IssueCallback& on_issue) {
  ReadSummary summary;
  internal::feed::Sink sink(options, on_batch, on_issue, summary);
  internal::feed::CharReader r(in);
  r.skip_bom();
  // The head decides the format (when not given) and must not contradict it; it is replayed.
  std::string head;
  while (head.size() < internal::feed::CharReader::kReplay && r.peek() != EOF) {
    head += static_cast<char>(r.get());
  }
  const Format f = options.format == Format::automatic ? detect_format(head) : options.format;
  if (auto why = contradiction(head, f)) {
    summary.fatal = FeedIssue{1, "", "", *why, false, {}};
    return summary;
  }
  internal::feed::CharReader& body = r;
  body.replay(head);
  switch (f) {
    case Format::csv:
      internal::feed::read_csv(body, sink);
      break;
    case Format::text:
      internal::feed::read_text(body, sink);
      break;
    case Format::ndjson:
      internal::feed::read_ndjson(body, sink);
      break;
    case Format::json:
    case Format::stix:
    case Format::automatic:
      internal::feed::read_json(body, sink);
      break;
  }
  if (r.failed() && !summary.fatal) {
    summary.fatal = FeedIssue{0, "", "", "the input could not be read", false, {}};
  }
  sink.flush();
  return summary;
}

ReadSummary read_file(const std::string& path, const ReadOptions& options,
                      const BatchCallback& on_batch, const IssueCallback& on_issue) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ReadSummary s;
    s.fatal = FeedIssue{0, "", internal::printable(path), "cannot open the file", false, {}};
    return s;
  }
  ReadOptions o = options;
  if (o.format == Format::automatic) {
    const auto dot = path.rfind('.');
    if (dot != std::string::npos) {
      const std::string ext = lower(path.substr(dot + 1));
      if (ext == "csv") o.format = Format::csv;
      if (ext == "ndjson" || ext == "jsonl") o.format = Format::ndjson;
      if (ext == "txt") o.format = Format::text;
      if (ext == "stix") o.format = Format::stix;
    }
  }
  return read(in, o, on_batch, on_issue);
}

ReadAll read_all(std::istream& in, const ReadOptions& options) {
  ReadAll all;
  all.summary = read(
      in, options,
      [&](std::vector<FeedEntry>& batch) {
        for (auto& e : batch) all.entries.push_back(std::move(e));
        return true;
      },
      [&](const FeedIssue& i) { all.issues.push_back(i); });
  return all;
}

ReadAll read_string(std::string_view text, const ReadOptions& options) {
  std::istringstream in{std::string(text)};
  return read_all(in, options);
}

}  // namespace falcon::feeds
