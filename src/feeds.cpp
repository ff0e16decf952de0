// Feed readers. Every reader pulls bytes through one buffered CharReader and hands whole
// records to a Sink, which validates, normalises, drops duplicates and batches. Nothing here
// trusts the input: records, lines and objects are size-capped and JSON depth is counted
// before nlohmann (which recurses) ever sees the text.
#include "falcon/feeds.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <istream>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

namespace falcon::feeds {

using nlohmann::json;

namespace {

constexpr std::array<std::string_view, 5> kTypes = {"sha256", "md5", "domain", "ipv4", "ipv6"};
constexpr std::array<std::string_view, 5> kActions = {"no_action", "allow", "prevent_no_ui",
                                                      "prevent", "detect"};
constexpr std::array<std::string_view, 5> kSeverities = {"informational", "low", "medium", "high",
                                                         "critical"};
constexpr std::array<std::string_view, 5> kPlatforms = {"windows", "mac", "linux", "ios",
                                                        "android"};
constexpr std::array<std::string_view, 4> kMobileActions = {"no_action", "allow", "detect",
                                                            "prevent"};

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& set, std::string_view v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

template <std::size_t N>
std::string list_of(const std::array<std::string_view, N>& set) {
  std::string out;
  for (auto s : set) out += (out.empty() ? "" : ", ") + std::string(s);
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_hex(std::string_view s, std::size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

std::string clip(std::string_view s) {
  constexpr std::size_t kMax = 200;
  std::string out(s.substr(0, kMax));
  // Control bytes would garble a terminal when the issue is printed.
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  if (s.size() > kMax) out += "...";
  return out;
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find(';', start);
    if (end == std::string_view::npos) end = s.size();
    auto part = trim(s.substr(start, end - start));
    if (!part.empty()) out.emplace_back(part);
    start = end + 1;
  }
  return out;
}

void dedupe(std::vector<std::string>& v) {
  std::vector<std::string> out;
  for (auto& s : v) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  }
  v = std::move(out);
}

// ---- the sink ---------------------------------------------------------------------------

class Sink {
 public:
  Sink(const ReadOptions& o, const BatchCallback& on_batch, const IssueCallback& on_issue,
       ReadSummary& summary)
      : o_(o), on_batch_(on_batch), on_issue_(on_issue), s_(summary) {
    batch_size_ = std::clamp<std::size_t>(o.batch_size, 1, 100'000);
    batch_.reserve(batch_size_);
  }

  bool stopped() const { return s_.stopped; }

  void error(std::size_t line, std::string field, std::string_view value, std::string reason) {
    ++s_.errors;
    report(FeedIssue{line, std::move(field), clip(value), std::move(reason), false});
  }

  void fatal(std::size_t line, std::string field, std::string reason) {
    if (!s_.fatal) s_.fatal = FeedIssue{line, std::move(field), "", std::move(reason), false};
  }

  // Validates and normalises `spec`, then queues it. Returns false once reading must stop.
  bool add(IndicatorSpec spec, std::size_t line) {
    if (s_.stopped) return false;
    apply_defaults(spec);
    std::string value(trim(spec.value.value_or("")));
    if (value.empty()) {
      error(line, "value", "", "value is empty");
      return true;
    }
    std::string type = lower(trim(spec.type.value_or("")));
    if (type.empty()) type = infer_type(value);
    if (!one_of(kTypes, type)) {
      error(line, "type", type, "unknown type, must be one of: " + list_of(kTypes));
      return true;
    }
    std::string why;
    auto norm = normalize_value(type, value, &why);
    if (!norm) {
      error(line, "value", value, why);
      return true;
    }
    spec.type = type;
    spec.value = *norm;
    if (!check_fields(spec, line)) return true;
    if (o_.drop_duplicates) {
      auto [it, inserted] = seen_.emplace(type + '\n' + *norm, line);
      if (!inserted) {
        ++s_.duplicates;
        report(FeedIssue{line, "value", clip(*norm),
                         "duplicate of line " + std::to_string(it->second) + " (" + type + ")",
                         true});
        return true;
      }
    }
    batch_.push_back(FeedEntry{std::move(spec), line});
    ++s_.entries;
    if (batch_.size() >= batch_size_) return flush();
    return true;
  }

  bool flush() {
    if (batch_.empty() || s_.stopped) return !s_.stopped;
    if (!on_batch_(batch_)) s_.stopped = true;
    batch_.clear();
    return !s_.stopped;
  }

 private:
  void report(const FeedIssue& issue) {
    if (on_issue_) on_issue_(issue);
  }

  void apply_defaults(IndicatorSpec& s) const {
    const IndicatorSpec& d = o_.defaults;
    if (!s.action && d.action) s.action = d.action;
    if (!s.severity && d.severity) s.severity = d.severity;
    if (!s.mobile_action && d.mobile_action) s.mobile_action = d.mobile_action;
    if (!s.source && d.source) s.source = d.source;
    if (!s.description && d.description) s.description = d.description;
    if (!s.expiration && d.expiration) s.expiration = d.expiration;
    if (!s.filename && d.filename) s.filename = d.filename;
    if (!s.platforms && d.platforms) s.platforms = d.platforms;
    if (!s.tags && d.tags) s.tags = d.tags;
    if (!s.host_groups && d.host_groups) s.host_groups = d.host_groups;
    if (!s.applied_globally && d.applied_globally && !s.host_groups) {
      s.applied_globally = d.applied_globally;
    }
  }

  template <std::size_t N>
  bool enum_field(std::optional<std::string>& f, const char* name,
                  const std::array<std::string_view, N>& set, std::size_t line) {
    if (!f) return true;
    std::string v = lower(trim(*f));
    if (!one_of(set, v)) {
      error(line, name, *f, std::string("unknown ") + name + ", must be one of: " + list_of(set));
      return false;
    }
    f = std::move(v);
    return true;
  }

  bool check_fields(IndicatorSpec& s, std::size_t line) {
    if (!enum_field(s.action, "action", kActions, line)) return false;
    if (!enum_field(s.severity, "severity", kSeverities, line)) return false;
    if (!enum_field(s.mobile_action, "mobile_action", kMobileActions, line)) return false;
    if (s.platforms) {
      for (auto& p : *s.platforms) {
        p = lower(trim(p));
        if (!one_of(kPlatforms, p)) {
          error(line, "platforms", p, "unknown platform, must be one of: " + list_of(kPlatforms));
          return false;
        }
      }
      dedupe(*s.platforms);
    }
    if (s.tags) {
      std::vector<std::string> tags;
      for (auto& t : *s.tags) {
        auto v = trim(t);
        if (!v.empty()) tags.emplace_back(v);
      }
      dedupe(tags);
      s.tags = std::move(tags);
    }
    if (s.host_groups) {
      for (auto& g : *s.host_groups) {
        g = lower(trim(g));
        if (!is_hex(g, 32)) {
          error(line, "host_groups", g, "a host group id is 32 hex characters");
          return false;
        }
      }
      dedupe(*s.host_groups);
    }
    if (s.expiration) {
      auto t = normalize_timestamp(trim(*s.expiration));
      if (!t) {
        error(line, "expiration", *s.expiration,
              "not an RFC 3339 timestamp (e.g. 2026-01-31T00:00:00Z)");
        return false;
      }
      s.expiration = std::move(t);
    }
    if (s.source && s.source->size() > 256) {
      error(line, "source", *s.source, "source is longer than 256 characters");
      return false;
    }
    return true;
  }

  const ReadOptions& o_;
  const BatchCallback& on_batch_;
  const IssueCallback& on_issue_;
  ReadSummary& s_;
  std::size_t batch_size_ = 1000;
  std::vector<FeedEntry> batch_;
  std::unordered_map<std::string, std::size_t> seen_;
};

// ---- buffered byte source ---------------------------------------------------------------

class CharReader {
 public:
  explicit CharReader(std::istream& in) : in_(in) {}

  int peek() {
    if (pos_ == len_ && !fill()) return EOF;
    return static_cast<unsigned char>(buf_[pos_]);
  }
  int get() {
    const int c = peek();
    if (c != EOF) ++pos_;
    return c;
  }
  // Drops a UTF-8 byte order mark at the very start.
  void skip_bom() {
    if (peek() != 0xEF) return;
    if (len_ - pos_ >= 3 && static_cast<unsigned char>(buf_[pos_ + 1]) == 0xBB &&
        static_cast<unsigned char>(buf_[pos_ + 2]) == 0xBF) {
      pos_ += 3;
    }
  }
  bool failed() const { return in_.bad(); }

 private:
  bool fill() {
    if (!in_) return false;
    in_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    len_ = static_cast<std::size_t>(in_.gcount());
    pos_ = 0;
    return len_ > 0;
  }

  std::istream& in_;
  std::array<char, 1 << 16> buf_{};
  std::size_t pos_ = 0;
  std::size_t len_ = 0;
};

// Reads one physical line (without its \n or \r\n). Returns false at end of input. A line over
// `max` sets `too_long` and stops.
bool read_line(CharReader& r, std::string& out, std::size_t max, bool& too_long) {
  out.clear();
  int c = r.get();
  if (c == EOF) return false;
  while (c != EOF && c != '\n') {
    if (out.size() >= max) {
      too_long = true;
      return true;
    }
    out += static_cast<char>(c);
    c = r.get();
  }
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return true;
}

// Deepest [ / { nesting of a JSON text, strings skipped.
int json_depth(std::string_view s) {
  int depth = 0, max = 0;
  bool in_str = false, esc = false;
  for (char c : s) {
    if (in_str) {
      if (esc) {
        esc = false;
      } else if (c == '\\') {
        esc = true;
      } else if (c == '"') {
        in_str = false;
      }
      continue;
    }
    if (c == '"') in_str = true;
    if (c == '{' || c == '[') max = std::max(max, ++depth);
    if (c == '}' || c == ']') --depth;
  }
  return max;
}

// ---- CSV ----------------------------------------------------------------------------------

enum class Col {
  type,
  value,
  action,
  severity,
  platforms,
  tags,
  expiration,
  description,
  mobile_action,
  host_groups,
  applied_globally,
  source,
  filename,
  id,  // written by export; ignored on the way back in
};

std::optional<Col> column_of(std::string_view name) {
  static const std::pair<std::string_view, Col> kCols[] = {
      {"type", Col::type},
      {"value", Col::value},
      {"action", Col::action},
      {"severity", Col::severity},
      {"platforms", Col::platforms},
      {"tags", Col::tags},
      {"expiration", Col::expiration},
      {"description", Col::description},
      {"mobile_action", Col::mobile_action},
      {"host_groups", Col::host_groups},
      {"applied_globally", Col::applied_globally},
      {"source", Col::source},
      {"filename", Col::filename},
      {"id", Col::id},
  };
  for (const auto& [n, c] : kCols) {
    if (n == name) return c;
  }
  return std::nullopt;
}

std::optional<bool> parse_bool(std::string_view v) {
  const std::string l = lower(trim(v));
  if (l == "true" || l == "1" || l == "yes") return true;
  if (l == "false" || l == "0" || l == "no") return false;
  return std::nullopt;
}

class CsvReader {
 public:
  CsvReader(CharReader& r, std::size_t max) : r_(r), max_(max) {}

  enum class Result { record, end, bad, fatal };

  // Reads one record into `fields`; `start` is the line it began on.
  Result next(std::vector<std::string>& fields, std::size_t& start, std::string& why) {
    fields.clear();
    start = line_;
    if (r_.peek() == EOF) return Result::end;
    std::size_t bytes = 0;
    std::string field;
    bool bad = false;
    while (true) {
      field.clear();
      int c = r_.peek();
      if (c == '"') {
        r_.get();
        const std::size_t open_line = line_;
        while (true) {
          c = r_.get();
          if (c == EOF) {
            why = "unterminated quoted field (opened on line " + std::to_string(open_line) + ")";
            return Result::fatal;
          }
          if (c == '\n') ++line_;
          if (c == '"') {
            if (r_.peek() == '"') {
              r_.get();
              field += '"';
              continue;
            }
            break;
          }
          field += static_cast<char>(c);
          if (++bytes > max_) return too_big(why);
        }
        c = r_.peek();
        if (c != ',' && c != '\n' && c != '\r' && c != EOF) {
          // RFC 4180: nothing may follow the closing quote but a separator.
          if (!bad)
            why =
                "characters after the closing quote of field " + std::to_string(fields.size() + 1);
          bad = true;
          while (c != ',' && c != '\n' && c != '\r' && c != EOF) {
            r_.get();
            if (++bytes > max_) return too_big(why);
            c = r_.peek();
          }
        }
      } else {
        while (c != ',' && c != '\n' && c != '\r' && c != EOF) {
          field += static_cast<char>(r_.get());
          if (++bytes > max_) return too_big(why);
          c = r_.peek();
        }
      }
      fields.push_back(std::move(field));
      c = r_.get();
      if (c == ',') continue;
      if (c == '\r' && r_.peek() == '\n') r_.get();
      if (c != EOF) ++line_;
      return bad ? Result::bad : Result::record;
    }
  }

 private:
  Result too_big(std::string& why) {
    why = "record longer than " + std::to_string(max_) + " bytes";
    return Result::fatal;
  }

  CharReader& r_;
  std::size_t max_;
  std::size_t line_ = 1;
};

void read_csv(CharReader& r, const ReadOptions& o, Sink& sink, ReadSummary& s) {
  CsvReader csv(r, o.max_record_bytes);
  std::vector<std::string> fields;
  std::size_t line = 0;
  std::string why;
  std::vector<Col> cols;
  bool header = false;
  while (!sink.stopped()) {
    auto res = csv.next(fields, line, why);
    if (res == CsvReader::Result::end) break;
    if (res == CsvReader::Result::fatal) {
      sink.fatal(line, "", why);
      return;
    }
    const bool blank = fields.size() == 1 && trim(fields[0]).empty();
    if (blank) continue;
    if (!header) {
      if (res == CsvReader::Result::bad) {
        sink.fatal(line, "", "header row: " + why);
        return;
      }
      for (const auto& f : fields) {
        const std::string name = lower(trim(f));
        auto c = column_of(name);
        if (!c) {
          sink.fatal(line, name,
                     "unknown column '" + clip(name) +
                         "' in the header (known: type, value, action, severity, platforms, "
                         "tags, expiration, description, mobile_action, host_groups, "
                         "applied_globally, source, filename, id)");
          return;
        }
        if (std::find(cols.begin(), cols.end(), *c) != cols.end()) {
          sink.fatal(line, name, "column '" + name + "' appears twice in the header");
          return;
        }
        cols.push_back(*c);
      }
      if (std::find(cols.begin(), cols.end(), Col::value) == cols.end()) {
        sink.fatal(line, "value", "the header row has no 'value' column");
        return;
      }
      header = true;
      continue;
    }
    ++s.records;
    if (res == CsvReader::Result::bad) {
      sink.error(line, "", "", why);
      continue;
    }
    if (fields.size() != cols.size()) {
      sink.error(line, "", "",
                 std::to_string(fields.size()) + " fields, but the header has " +
                     std::to_string(cols.size()));
      continue;
    }
    IndicatorSpec spec;
    bool ok = true;
    for (std::size_t i = 0; i < cols.size() && ok; ++i) {
      const std::string_view cell = trim(fields[i]);
      if (cell.empty()) continue;
      std::string v(cell);
      switch (cols[i]) {
        case Col::type:
          spec.type = v;
          break;
        case Col::value:
          spec.value = v;
          break;
        case Col::action:
          spec.action = v;
          break;
        case Col::severity:
          spec.severity = v;
          break;
        case Col::platforms:
          spec.platforms = split_list(v);
          break;
        case Col::tags:
          spec.tags = split_list(v);
          break;
        case Col::expiration:
          spec.expiration = v;
          break;
        case Col::description:
          spec.description = std::string(fields[i]);
          break;
        case Col::mobile_action:
          spec.mobile_action = v;
          break;
        case Col::host_groups:
          spec.host_groups = split_list(v);
          break;
        case Col::source:
          spec.source = v;
          break;
        case Col::filename:
          spec.filename = v;
          break;
        case Col::id:
          break;
        case Col::applied_globally: {
          auto b = parse_bool(v);
          if (!b) {
            sink.error(line, "applied_globally", v, "must be true or false");
            ok = false;
          } else {
            spec.applied_globally = b;
          }
          break;
        }
      }
    }
    if (ok && !sink.add(std::move(spec), line)) return;
  }
  if (!header && !s.fatal) sink.fatal(1, "", "no header row: the CSV is empty");
}

// ---- JSON objects -------------------------------------------------------------------------

// Reads an indicator object (API or create-request shape). Returns false and reports when a
// field is wrong; API-only fields (id, timestamps, ...) are ignored.
bool spec_from_object(const json& j, std::size_t line, Sink& sink, IndicatorSpec& out) {
  if (!j.is_object()) {
    sink.error(line, "", "", "not a JSON object");
    return false;
  }
  static const char* kIgnored[] = {"id",          "created_on",  "created_by",
                                   "modified_on", "modified_by", "expired",
                                   "deleted",     "from_parent", "parent_cid_name"};
  auto str = [&](const std::string& key, const json& v, std::optional<std::string>& f) {
    if (v.is_null()) return true;
    if (!v.is_string()) {
      sink.error(line, key, v.dump(), "must be a string");
      return false;
    }
    f = v.get<std::string>();
    return true;
  };
  auto list = [&](const std::string& key, const json& v,
                  std::optional<std::vector<std::string>>& f) {
    if (v.is_null()) return true;
    if (!v.is_array()) {
      sink.error(line, key, v.dump(), "must be an array of strings");
      return false;
    }
    std::vector<std::string> items;
    for (const auto& e : v) {
      if (!e.is_string()) {
        sink.error(line, key, e.dump(), "must be an array of strings");
        return false;
      }
      items.push_back(e.get<std::string>());
    }
    f = std::move(items);
    return true;
  };
  for (const auto& [key, v] : j.items()) {
    bool ok = true;
    if (key == "type") {
      ok = str(key, v, out.type);
    } else if (key == "value") {
      ok = str(key, v, out.value);
    } else if (key == "action") {
      ok = str(key, v, out.action);
    } else if (key == "severity") {
      ok = str(key, v, out.severity);
    } else if (key == "mobile_action") {
      ok = str(key, v, out.mobile_action);
    } else if (key == "source") {
      ok = str(key, v, out.source);
    } else if (key == "description") {
      ok = str(key, v, out.description);
    } else if (key == "expiration") {
      ok = str(key, v, out.expiration);
    } else if (key == "filename") {
      ok = str(key, v, out.filename);
    } else if (key == "platforms") {
      ok = list(key, v, out.platforms);
    } else if (key == "tags") {
      ok = list(key, v, out.tags);
    } else if (key == "host_groups") {
      ok = list(key, v, out.host_groups);
    } else if (key == "applied_globally") {
      if (!v.is_null() && !v.is_boolean()) {
        sink.error(line, key, v.dump(), "must be true or false");
        ok = false;
      } else if (v.is_boolean()) {
        out.applied_globally = v.get<bool>();
      }
    } else if (key == "metadata") {
      if (v.is_object()) {
        auto fn = v.find("filename");
        if (fn != v.end() && fn->is_string()) out.filename = fn->get<std::string>();
      } else if (!v.is_null()) {
        sink.error(line, key, v.dump(), "must be an object");
        ok = false;
      }
    } else if (std::find(std::begin(kIgnored), std::end(kIgnored), key) == std::end(kIgnored)) {
      sink.error(line, key, "", "unknown field '" + clip(key) + "'");
      ok = false;
    }
    if (!ok) return false;
  }
  return true;
}

// Parses one captured object text; reports and returns discarded json when unusable.
json parse_object_text(const std::string& text, std::size_t line, const ReadOptions& o,
                       Sink& sink) {
  if (json_depth(text) > o.max_depth) {
    sink.error(line, "", "", "JSON nested deeper than " + std::to_string(o.max_depth) + " levels");
    return json(json::value_t::discarded);
  }
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) sink.error(line, "", clip(text), "not valid JSON");
  return j;
}

void add_json_object(const json& j, std::size_t line, Sink& sink, ReadSummary& s) {
  ++s.records;
  IndicatorSpec spec;
  if (spec_from_object(j, line, sink, spec)) sink.add(std::move(spec), line);
}

void add_stix_object(const json& j, std::size_t line, Sink& sink, ReadSummary& s) {
  if (!j.is_object()) {
    ++s.records;
    sink.error(line, "", "", "not a JSON object");
    return;
  }
  auto type = j.find("type");
  if (type == j.end() || !type->is_string() || *type != "indicator") {
    ++s.skipped;
    return;
  }
  ++s.records;
  auto pt = j.find("pattern_type");
  if (pt != j.end() && (!pt->is_string() || *pt != "stix")) {
    sink.error(line, "pattern_type", pt->is_string() ? pt->get<std::string>() : pt->dump(),
               "only STIX patterns are supported");
    return;
  }
  auto pat = j.find("pattern");
  if (pat == j.end() || !pat->is_string()) {
    sink.error(line, "pattern", "", "an indicator needs a string pattern");
    return;
  }
  auto rev = j.find("revoked");
  if (rev != j.end() && rev->is_boolean() && rev->get<bool>()) {
    sink.error(line, "revoked", "true", "the indicator is revoked");
    return;
  }
  std::string why;
  auto pairs = parse_stix_pattern(pat->get<std::string>(), &why);
  if (!pairs) {
    sink.error(line, "pattern", pat->get<std::string>(), why);
    return;
  }
  IndicatorSpec base;
  auto name = j.find("name");
  auto desc = j.find("description");
  const bool has_name = name != j.end() && name->is_string() && !name->get<std::string>().empty();
  const bool has_desc = desc != j.end() && desc->is_string() && !desc->get<std::string>().empty();
  if (has_name && has_desc) {
    base.description = name->get<std::string>() + ": " + desc->get<std::string>();
  } else if (has_name) {
    base.description = name->get<std::string>();
  } else if (has_desc) {
    base.description = desc->get<std::string>();
  }
  auto until = j.find("valid_until");
  if (until != j.end()) {
    if (!until->is_string()) {
      sink.error(line, "valid_until", until->dump(), "must be a timestamp string");
      return;
    }
    base.expiration = until->get<std::string>();
  }
  auto labels = j.find("labels");
  if (labels != j.end() && labels->is_array()) {
    std::vector<std::string> tags;
    for (const auto& l : *labels) {
      if (l.is_string()) tags.push_back(l.get<std::string>());
    }
    base.tags = std::move(tags);
  }
  for (auto& [t, v] : *pairs) {
    IndicatorSpec spec = base;
    spec.type = t;
    spec.value = v;
    if (!sink.add(std::move(spec), line)) return;
  }
}

// Streams the elements of a top-level array, or of the "objects"/"resources" array of a
// top-level object, without holding more than one element.
class JsonStream {
 public:
  JsonStream(CharReader& r, const ReadOptions& o, Sink& sink, ReadSummary& s)
      : r_(r), o_(o), sink_(sink), s_(s) {}

  template <typename OnElement>
  void run(OnElement&& on_element) {
    skip_ws();
    const int c = r_.get();
    if (c == '[') {
      array(on_element);
    } else if (c == '{') {
      object(on_element);
    } else {
      sink_.fatal(1, "", "expected a JSON array or object at the start of the input");
      return;
    }
    if (failed_ || sink_.stopped()) return;
    skip_ws();
    if (r_.peek() != EOF) sink_.fatal(index_, "", "unexpected data after the JSON document");
  }

 private:
  void skip_ws() {
    while (r_.peek() != EOF && is_space(static_cast<char>(r_.peek()))) r_.get();
  }

  void fail(std::string why) {
    failed_ = true;
    sink_.fatal(index_, "", std::move(why));
  }

  template <typename OnElement>
  void array(OnElement& on_element) {
    skip_ws();
    if (r_.peek() == ']') {
      r_.get();
      return;
    }
    std::string text;
    while (!failed_ && !sink_.stopped()) {
      ++index_;
      if (!capture(text)) return;
      json j = parse_object_text(text, index_, o_, sink_);
      if (j.is_discarded()) {
        ++s_.records;
      } else {
        on_element(j, index_);
      }
      skip_ws();
      const int c = r_.get();
      if (c == ']') return;
      if (c != ',')
        return fail("expected ',' or ']' after array element " + std::to_string(index_));
      skip_ws();
    }
  }

  template <typename OnElement>
  void object(OnElement& on_element) {
    bool found = false;
    std::string text;
    while (!failed_ && !sink_.stopped()) {
      skip_ws();
      int c = r_.peek();
      if (c == '}') {
        r_.get();
        break;
      }
      if (c != '"') return fail("expected a key in the top-level object");
      if (!capture(text)) return;
      json key = json::parse(text, nullptr, false);
      if (!key.is_string()) return fail("bad key in the top-level object");
      skip_ws();
      if (r_.get() != ':') return fail("expected ':' after a key in the top-level object");
      skip_ws();
      const auto k = key.get<std::string>();
      if ((k == "objects" || k == "resources") && r_.peek() == '[') {
        r_.get();
        found = true;
        array(on_element);
      } else {
        if (!capture(text, true)) return;
      }
      if (failed_ || sink_.stopped()) return;
      skip_ws();
      c = r_.get();
      if (c == '}') break;
      if (c != ',') return fail("expected ',' or '}' in the top-level object");
    }
    if (!found && !failed_ && !sink_.stopped()) {
      fail("the top-level object has no \"objects\" or \"resources\" array");
    }
  }

  // Captures one JSON value's text (or skips it), bounded by max_record_bytes.
  bool capture(std::string& out, bool skip = false) {
    out.clear();
    std::size_t n = 0;
    auto put = [&](int c) {
      if (++n > o_.max_record_bytes && !skip) {
        fail("element " + std::to_string(index_) + " is larger than " +
             std::to_string(o_.max_record_bytes) + " bytes");
        return false;
      }
      if (!skip) out += static_cast<char>(c);
      return true;
    };
    int c = r_.peek();
    if (c == EOF) {
      fail("unexpected end of input");
      return false;
    }
    if (c == '{' || c == '[' || c == '"') {
      long depth = 0;
      bool in_str = false, esc = false;
      while (true) {
        c = r_.get();
        if (c == EOF) {
          fail("unexpected end of input inside element " + std::to_string(index_));
          return false;
        }
        if (!put(c)) return false;
        if (in_str) {
          if (esc) {
            esc = false;
          } else if (c == '\\') {
            esc = true;
          } else if (c == '"') {
            in_str = false;
            if (depth == 0) return true;
          }
          continue;
        }
        if (c == '"') in_str = true;
        if (c == '{' || c == '[') ++depth;
        if (c == '}' || c == ']') {
          if (--depth == 0) return true;
        }
      }
    }
    while (c != EOF && c != ',' && c != ']' && c != '}' && !is_space(static_cast<char>(c))) {
      if (!put(r_.get())) return false;
      c = r_.peek();
    }
    if (n == 0) {
      fail("expected a JSON value");
      return false;
    }
    return true;
  }

  CharReader& r_;
  const ReadOptions& o_;
  Sink& sink_;
  ReadSummary& s_;
  std::size_t index_ = 0;
  bool failed_ = false;
};

// ---- line formats -------------------------------------------------------------------------

void read_lines(CharReader& r, const ReadOptions& o, Sink& sink,
                const std::function<void(std::string_view, std::size_t)>& on_line) {
  std::string line;
  std::size_t n = 0;
  bool too_long = false;
  while (!sink.stopped() && read_line(r, line, o.max_record_bytes, too_long)) {
    ++n;
    if (too_long) {
      sink.fatal(n, "", "line longer than " + std::to_string(o.max_record_bytes) + " bytes");
      return;
    }
    on_line(line, n);
  }
}

void read_text(CharReader& r, const ReadOptions& o, Sink& sink, ReadSummary& s) {
  read_lines(r, o, sink, [&](std::string_view raw, std::size_t n) {
    std::string_view v = raw;
    const auto hash = v.find('#');
    if (hash != std::string_view::npos) v = v.substr(0, hash);
    v = trim(v);
    if (v.empty()) return;
    ++s.records;
    if (std::any_of(v.begin(), v.end(), [](char c) { return is_space(c); })) {
      sink.error(n, "value", v, "more than one value on the line");
      return;
    }
    IndicatorSpec spec;
    spec.value = std::string(v);
    sink.add(std::move(spec), n);
  });
}

void read_ndjson(CharReader& r, const ReadOptions& o, Sink& sink, ReadSummary& s) {
  read_lines(r, o, sink, [&](std::string_view raw, std::size_t n) {
    const auto v = trim(raw);
    if (v.empty()) return;
    json j = parse_object_text(std::string(v), n, o, sink);
    if (j.is_discarded()) {
      ++s.records;
      return;
    }
    add_json_object(j, n, sink, s);
  });
}

// ---- timestamps ---------------------------------------------------------------------------

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

// ---- public -------------------------------------------------------------------------------

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

std::string infer_type(std::string_view value) {
  const std::string v(trim(value));
  if (is_hex(v, 64)) return "sha256";
  if (is_hex(v, 32)) return "md5";
  in_addr a4{};
  if (inet_pton(AF_INET, v.c_str(), &a4) == 1) return "ipv4";
  in6_addr a6{};
  if (inet_pton(AF_INET6, v.c_str(), &a6) == 1) return "ipv6";
  return "domain";
}

std::optional<std::string> normalize_value(std::string_view type, std::string_view value,
                                           std::string* reason) {
  auto refuse = [&](std::string why) -> std::optional<std::string> {
    if (reason) *reason = std::move(why);
    return std::nullopt;
  };
  const std::string v(trim(value));
  if (v.empty()) return refuse("value is empty");
  if (v.find('\0') != std::string::npos) return refuse("value contains a NUL byte");
  if (type == "sha256") {
    if (!is_hex(v, 64)) {
      return refuse("a sha256 is 64 hex characters (got " + std::to_string(v.size()) + ")");
    }
    return lower(v);
  }
  if (type == "md5") {
    if (!is_hex(v, 32)) {
      return refuse("an md5 is 32 hex characters (got " + std::to_string(v.size()) + ")");
    }
    return lower(v);
  }
  if (type == "ipv4") {
    in_addr a{};
    char buf[INET_ADDRSTRLEN];
    if (inet_pton(AF_INET, v.c_str(), &a) != 1) return refuse("not a valid IPv4 address");
    return std::string(inet_ntop(AF_INET, &a, buf, sizeof buf));
  }
  if (type == "ipv6") {
    in6_addr a{};
    char buf[INET6_ADDRSTRLEN];
    if (inet_pton(AF_INET6, v.c_str(), &a) != 1) return refuse("not a valid IPv6 address");
    return std::string(inet_ntop(AF_INET6, &a, buf, sizeof buf));
  }
  if (type == "domain") {
    std::string d = lower(v);
    if (d.size() > 1 && d.back() == '.') d.pop_back();
    if (d.size() > 200) return refuse("a domain is at most 200 characters");
    std::size_t start = 0;
    while (start <= d.size()) {
      std::size_t end = d.find('.', start);
      if (end == std::string::npos) end = d.size();
      const std::string_view label(d.data() + start, end - start);
      if (label.empty()) return refuse("a domain cannot have an empty label");
      if (label.size() > 63) return refuse("a domain label is at most 63 characters");
      if (label.front() == '-' || label.back() == '-') {
        return refuse("a domain label cannot start or end with '-'");
      }
      for (char c : label) {
        if (static_cast<unsigned char>(c) >= 0x80) {
          return refuse("not an ASCII domain: give its punycode (xn--) form");
        }
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) return refuse("a domain holds only letters, digits, '-', '_' and '.'");
      }
      start = end + 1;
    }
    return d;
  }
  return refuse("unknown type '" + clip(type) + "', must be one of: " + list_of(kTypes));
}

std::optional<std::string> normalize_timestamp(std::string_view text) {
  const std::string_view s = trim(text);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
      !digits(s, 17, 2, se)) {
    return std::nullopt;
  }
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || h > 23 || mi > 59 || se > 60) {
    return std::nullopt;
  }
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return std::nullopt;
  std::size_t i = 19;
  std::string frac;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (frac.size() < 9) frac += s[i];
      ++i;
    }
    if (frac.empty()) return std::nullopt;
  }
  std::int64_t offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh = 0, om = 0;
    if (!digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !digits(s, i + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = (s[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  std::int64_t t = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                   h * 3600 + mi * 60 + std::min(se, 59) - offset;
  const std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  const std::int64_t rem = t - days * 86400;
  std::int64_t yy = 0;
  unsigned mm = 0, dd = 0;
  civil_from_days(days, yy, mm, dd);
  if (yy < 0 || yy > 9999) return std::nullopt;
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                static_cast<long long>(yy), mm, dd, static_cast<long long>(rem / 3600),
                static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  return std::string(buf) + (frac.empty() ? "" : "." + frac) + "Z";
}

std::optional<std::vector<std::pair<std::string, std::string>>> parse_stix_pattern(
    std::string_view p, std::string* reason) {
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  auto refuse = [&](std::string why) -> std::optional<Pairs> {
    if (reason) *reason = std::move(why);
    return std::nullopt;
  };
  std::size_t i = 0;
  auto ws = [&] {
    while (i < p.size() && is_space(p[i])) ++i;
  };
  auto keyword = [&](std::string_view k) {
    ws();
    if (p.substr(i, k.size()) != k) return false;
    const std::size_t after = i + k.size();
    if (after < p.size() && (std::isalnum(static_cast<unsigned char>(p[after])) || p[after] == '_'))
      return false;
    i = after;
    return true;
  };
  Pairs out;
  if (p.size() > 1 << 20) return refuse("pattern longer than 1 MiB");
  while (true) {
    ws();
    if (i >= p.size() || p[i] != '[') {
      return refuse("expected '[' at character " + std::to_string(i + 1) +
                    " (only [a = 'x' OR b = 'y'] patterns are supported)");
    }
    ++i;
    while (true) {
      ws();
      // Object path: type ':' property, with quoted segments such as hashes.'SHA-256'.
      std::string path;
      while (i < p.size() && !is_space(p[i]) && p[i] != '=' && p[i] != '!' && p[i] != '<' &&
             p[i] != '>' && p[i] != ']') {
        if (p[i] == '\'') {
          const std::size_t close = p.find('\'', i + 1);
          if (close == std::string_view::npos) return refuse("unterminated quote in object path");
          path.append(p.substr(i + 1, close - i - 1));
          i = close + 1;
          continue;
        }
        path += p[i++];
      }
      std::string type;
      const std::string lp = lower(path);
      if (lp == "file:hashes.sha-256" || lp == "file:hashes.sha256") {
        type = "sha256";
      } else if (lp == "file:hashes.md5") {
        type = "md5";
      } else if (lp == "domain-name:value") {
        type = "domain";
      } else if (lp == "ipv4-addr:value") {
        type = "ipv4";
      } else if (lp == "ipv6-addr:value") {
        type = "ipv6";
      } else if (path.empty()) {
        return refuse("expected an object path at character " + std::to_string(i + 1));
      } else {
        return refuse("unsupported object path '" + clip(path) +
                      "' (supported: file:hashes.'SHA-256', file:hashes.MD5, domain-name:value, "
                      "ipv4-addr:value, ipv6-addr:value)");
      }
      ws();
      if (i >= p.size() || p[i] != '=') {
        return refuse("unsupported comparison after '" + clip(path) + "': only '=' is supported");
      }
      ++i;
      ws();
      if (i >= p.size() || p[i] != '\'') return refuse("expected a quoted string after '='");
      ++i;
      std::string value;
      bool closed = false;
      while (i < p.size()) {
        const char c = p[i++];
        if (c == '\\' && i < p.size()) {
          value += p[i++];
        } else if (c == '\'') {
          closed = true;
          break;
        } else {
          value += c;
        }
      }
      if (!closed) return refuse("unterminated string in the pattern");
      out.emplace_back(type, std::move(value));
      if (out.size() > 10'000) return refuse("more than 10,000 values in one pattern");
      if (keyword("OR")) continue;
      ws();
      if (i < p.size() && p[i] == ']') {
        ++i;
        break;
      }
      if (keyword("AND")) return refuse("AND is not supported (only OR of equalities)");
      return refuse("unsupported syntax at character " + std::to_string(i + 1) +
                    " (only OR of equalities is supported)");
    }
    if (keyword("OR")) continue;
    ws();
    if (i == p.size()) return out;
    return refuse("unsupported syntax after ']' at character " + std::to_string(i + 1) +
                  " (AND, FOLLOWEDBY and qualifiers are not supported)");
  }
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
      if (!is_space(c)) compact += c;
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
    std::size_t start = 0;
    while (start <= first.size()) {
      std::size_t end = first.find(',', start);
      if (end == std::string::npos) end = first.size();
      std::string name(trim(std::string_view(first).substr(start, end - start)));
      if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
        name = name.substr(1, name.size() - 2);
      }
      if (!column_of(name)) all_known = false;
      start = end + 1;
    }
    if (all_known) return Format::csv;
  }
  return Format::text;
}

ReadSummary read(std::istream& in, const ReadOptions& options, const BatchCallback& on_batch,
                 const IssueCallback& on_issue) {
  ReadSummary summary;
  Sink sink(options, on_batch, on_issue, summary);
  CharReader r(in);
  r.skip_bom();
  Format f = options.format;
  if (f == Format::automatic) {
    // Peek at the head without consuming: read it into a string, then replay it.
    std::string head;
    while (head.size() < 4096 && r.peek() != EOF) head += static_cast<char>(r.get());
    f = detect_format(head);
    // Replays the head, then the rest of the stream.
    struct Chain : std::streambuf {
      Chain(std::string h, CharReader& tail) : buf_(std::move(h)), tail_(tail) {
        setg(buf_.data(), buf_.data(), buf_.data() + buf_.size());
      }
      int_type underflow() override {
        if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
        buf_.clear();
        for (int c = 0; buf_.size() < (1 << 16) && (c = tail_.get()) != EOF;) {
          buf_ += static_cast<char>(c);
        }
        if (buf_.empty()) return traits_type::eof();
        setg(buf_.data(), buf_.data(), buf_.data() + buf_.size());
        return traits_type::to_int_type(*gptr());
      }
      std::string buf_;
      CharReader& tail_;
    };
    Chain chain(std::move(head), r);
    std::istream chained(&chain);
    ReadOptions o = options;
    o.format = f;
    return read(chained, o, on_batch, on_issue);
  }
  switch (f) {
    case Format::csv:
      read_csv(r, options, sink, summary);
      break;
    case Format::text:
      read_text(r, options, sink, summary);
      break;
    case Format::ndjson:
      read_ndjson(r, options, sink, summary);
      break;
    case Format::json:
    case Format::stix: {
      JsonStream js(r, options, sink, summary);
      const bool stix = f == Format::stix;
      js.run([&](const json& j, std::size_t n) {
        if (stix) {
          add_stix_object(j, n, sink, summary);
        } else {
          add_json_object(j, n, sink, summary);
        }
      });
      break;
    }
    case Format::automatic:
      break;
  }
  if (r.failed() && !summary.fatal) {
    summary.fatal = FeedIssue{0, "", "", "the input could not be read", false};
  }
  sink.flush();
  return summary;
}

ReadSummary read_file(const std::string& path, const ReadOptions& options,
                      const BatchCallback& on_batch, const IssueCallback& on_issue) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ReadSummary s;
    s.fatal = FeedIssue{0, "", clip(path), "cannot open the file", false};
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
