// The Sink (reader.hpp): every entry of every reader is judged here, by the rulebook.
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "../indicator_fields.hpp"
#include "../strings.hpp"
#include "reader.hpp"

namespace falcon::internal::feed {

using internal::printable;
using internal::trim;

void CharReader::skip_bom() {
  if (peek() != 0xEF) return;
  if (len_ - pos_ >= 3 && static_cast<unsigned char>(buf_[pos_ + 1]) == 0xBB &&
      static_cast<unsigned char>(buf_[pos_ + 2]) == 0xBF) {
    pos_ += 3;
  }
}

bool CharReader::fill() {
  if (!in_) return false;
  in_.read(buf_.data(), static_cast<std::streamsize>(kFill));
  len_ = static_cast<std::size_t>(in_.gcount());
  pos_ = 0;
  return len_ > 0;
}

void CharReader::replay(std::string_view head) {
  if (head.empty()) return;
  // What is left is at most kFill bytes, and the buffer holds kFill + kReplay.
  const std::size_t rest = len_ - pos_;
  const std::size_t n = std::min(head.size(), kReplay);
  std::memmove(buf_.data() + n, buf_.data() + pos_, rest);
  std::memcpy(buf_.data(), head.data(), n);
  pos_ = 0;
  len_ = n + rest;
}

bool read_line(CharReader& r, std::string& out, std::size_t max, bool& too_long) {
  out.clear();
  std::string_view w = r.window();
  if (w.empty()) return false;
  while (!w.empty()) {
    const auto nl = w.find('\n');
    const std::size_t take = nl == std::string_view::npos ? w.size() : nl;
    if (out.size() + take > max) {
      too_long = true;
      return true;
    }
    out.append(w.data(), take);
    if (nl != std::string_view::npos) {
      r.advance(take + 1);
      break;
    }
    r.advance(take);
    w = r.window();
  }
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return true;
}

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

void read_lines(CharReader& r, Sink& sink,
                const std::function<void(std::string_view, std::size_t)>& on_line) {
  std::string line;
  std::size_t n = 0;
  bool too_long = false;
  const std::size_t max = sink.options().max_record_bytes;
  while (!sink.stopped() && read_line(r, line, max, too_long)) {
    ++n;
    if (too_long) {
      sink.fatal(n, "", "line longer than " + std::to_string(max) + " bytes");
      return;
    }
    on_line(line, n);
  }
}

namespace {

// Fields a row leaves unset take the reader's defaults (type, value and id never do). A default
// applied_globally does not apply to a row that names host groups.
void apply_defaults(IndicatorSpec& s, const IndicatorSpec& d) {
  internal::for_each_field([&](const auto& r) {
    if constexpr (internal::reaches<decltype(r.spec), IndicatorSpec>) {
      const auto k = r.field.key;
      if (k == "type" || k == "value" || k == "id" || k == "metadata") return;
      if (k == "applied_globally" && s.host_groups) return;
      auto& mine = r.spec(s);
      const auto& given = r.spec(d);
      if (!mine && given) mine = given;
    }
  });
}

// Feeds are lenient about surrounding spaces: every field but free text (description) is
// trimmed, list items too (empty ones dropped).
void trim_fields(IndicatorSpec& s) {
  internal::for_each_field([&](const auto& r) {
    if constexpr (internal::reaches<decltype(r.spec), IndicatorSpec>) {
      auto& m = r.spec(s);
      using M = std::decay_t<decltype(m)>;
      if (!m || r.field.kind == rules::Kind::free_text) return;
      // Copies only what needs trimming: this runs for every field of every entry.
      if constexpr (std::is_same_v<M, std::optional<std::string>>) {
        if (const auto t = trim(*m); t.size() != m->size()) *m = std::string(t);
      } else if constexpr (std::is_same_v<M, std::optional<std::vector<std::string>>>) {
        const bool clean = std::all_of(m->begin(), m->end(), [](const std::string& item) {
          return !item.empty() && trim(item).size() == item.size();
        });
        if (clean) return;
        std::vector<std::string> items;
        for (const auto& item : *m) {
          if (auto t = trim(item); !t.empty()) items.emplace_back(t);
        }
        *m = std::move(items);
      }
    }
  });
}

}  // namespace

Sink::Sink(const ReadOptions& o, const BatchCallback& on_batch, const IssueCallback& on_issue,
           ReadSummary& summary)
    : o_(o), on_batch_(on_batch), on_issue_(on_issue), s_(summary) {
  batch_size_ = std::clamp<std::size_t>(o.batch_size, 1, 100'000);
  batch_.reserve(batch_size_);
  // The defaults are the same for every entry: trimmed and judged once, and given to an entry
  // after its own fields are judged (fields are judged one by one, so the order changes nothing).
  // Defaults that fail are applied before, as given, so each row reports the problem.
  IndicatorSpec d = o.defaults;
  d.type.reset();
  d.value.reset();
  d.id.reset();
  trim_fields(d);
  if (!rules::normalize(d, o.lookup)) {
    defaults_ = std::move(d);
    defaults_judged_ = true;
  }
}

void Sink::error(std::size_t line, std::string field, std::string_view value, std::string reason,
                 std::vector<rules::TypedValue> names) {
  ++s_.errors;
  report(FeedIssue{line, std::move(field), printable(value), std::move(reason), false,
                   std::move(names)});
}

std::vector<rules::TypedValue> names_of(std::string_view type, std::string_view value,
                                        const rules::EnumLookup& lookup) {
  if (auto tv = rules::normalize(trim(type), trim(value), nullptr, lookup)) return {*tv};
  return {};
}

void Sink::fatal(std::size_t line, std::string field, std::string reason) {
  if (!s_.fatal) s_.fatal = FeedIssue{line, std::move(field), "", std::move(reason), false, {}};
}

bool Sink::add(IndicatorSpec&& spec, std::size_t line, bool retire) {
  if (s_.stopped) return false;
  if (!defaults_judged_) apply_defaults(spec, o_.defaults);
  trim_fields(spec);
  if (!spec.value || spec.value->empty()) {
    error(line, "value", "", "value is empty");
    return true;
  }
  // The row's type and value as given (normalize() rewrites them), for a failure's names.
  const std::string given_type = spec.type.value_or(""), given_value = *spec.value;
  if (auto p = rules::normalize(spec, o_.lookup)) {
    // Another field failed: the indicator the row names is still known, and kept by sync.
    std::vector<rules::TypedValue> names;
    if (p->field != "type" && p->field != "value") {
      names = names_of(given_type, given_value, o_.lookup);
    }
    error(line, p->field, p->value, p->reason, std::move(names));
    return true;
  }
  if (defaults_judged_) apply_defaults(spec, defaults_);
  if (o_.drop_duplicates) {
    auto [it, inserted] = seen_.emplace(rules::key(*spec.type, *spec.value), line);
    if (!inserted) {
      ++s_.duplicates;
      report(FeedIssue{line,
                       "value",
                       printable(*spec.value),
                       "duplicate of line " + std::to_string(it->second) + " (" + *spec.type + ")",
                       true,
                       {rules::TypedValue{*spec.type, *spec.value}}});
      return true;
    }
  }
  FeedEntry& e = batch_.emplace_back();  // in place: an entry is large
  e.spec = std::move(spec);
  e.line = line;
  e.retire = retire;
  ++s_.entries;
  if (batch_.size() >= batch_size_) return flush();
  return true;
}

bool Sink::flush() {
  if (batch_.empty() || s_.stopped) return !s_.stopped;
  if (!on_batch_(batch_)) s_.stopped = true;
  batch_.clear();
  return !s_.stopped;
}

void Sink::report(const FeedIssue& issue) {
  if (on_issue_) on_issue_(issue);
}

}  // namespace falcon::internal::feed
