// Sync: one streaming pass over the scope (the feed indexed by the rulebook's key), conflict
// lookups by value sets for what the scope lacks, then bulk writes. Memory: the feed plus the
// changes; unchanged scope records are compared and dropped page by page.
#include "falcon/sync.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <istream>
#include <ostream>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "falcon/fql.hpp"
#include "falcon/indicators.hpp"
#include "falcon/pagination.hpp"
#include "indicator_fields.hpp"
#include "lookups.hpp"
#include "query.hpp"
#include "response_internal.hpp"
#include "strings.hpp"
#include "sync_internal.hpp"
#include "value_lists.hpp"

namespace falcon::internal::sync_core {

using nlohmann::json;
using namespace falcon::sync;

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

json opt_json(const std::optional<std::string>& s) {
  return s ? json(*s) : json(nullptr);
}

// An expiration in normal form; unset for none or the zero time.
std::optional<std::string> norm_time(const std::optional<std::string>& s) {
  if (!s || s->empty() || rules::is_zero_time(*s)) return std::nullopt;
  if (auto n = rules::normalize_time(*s)) return n;
  return s;
}

Expiry expiry_decision(const std::optional<rules::Time>& want,
                       std::optional<std::chrono::seconds> soft,
                       const std::optional<rules::Time>& have, bool expired_now, rules::Time now) {
  if (want) {
    // The policy's expiration with more than half of its duration left is kept.
    if (soft && have && now.plus(*soft / 2) < *have) return Expiry::keep;
    return have && *have == *want ? Expiry::keep : Expiry::set;
  }
  return expired_now && have ? Expiry::clear : Expiry::keep;
}

bool expired_at(const Indicator& i, std::chrono::system_clock::time_point now) {
  if (i.expired.value_or(false)) return true;
  if (!i.expiration || rules::is_zero_time(*i.expiration)) return false;
  const auto t = rules::parse_time(*i.expiration);
  return t && *t <= rules::Time::from(now);
}

namespace {

json as_json(const std::string& s) {
  return json(s);
}
json as_json(const std::optional<std::string>& s) {
  return opt_json(s);
}
json as_json(const std::vector<std::string>& v) {
  return json(v);
}
json as_json(const std::optional<bool>& b) {
  return b ? json(*b) : json(nullptr);
}
// Fields sync does not compare (metadata): no JSON form needed.
template <class T>
void as_json(const T&) {}

}  // namespace

// Compares the managed fields `want` sets (the rulebook's field table) with `have`; fills `out`
// (the update item) and `fields`.
// `soft`: the expiration comes from the expiry policy (Options::expire_after): an existing one
// with more than half of that duration left is kept, so a daily sync does not rewrite it.
void diff(const IndicatorSpec& want, const Indicator& have, bool expired_now,
          std::vector<FieldChange>& fields, IndicatorSpec& out,
          std::optional<std::chrono::seconds> soft, std::chrono::system_clock::time_point now) {
  internal::for_each_field([&](const auto& r) {
    if constexpr (internal::reaches<decltype(r.spec), const IndicatorSpec> &&
                  internal::reaches<decltype(r.record), const Indicator>) {
      if (!r.field.managed) return;
      const auto& w = r.spec(want);
      const auto& h = r.record(have);
      using W = std::decay_t<decltype(*w)>;
      using H = std::decay_t<decltype(h)>;
      if (r.field.kind == rules::Kind::timestamp) {
        if constexpr (std::is_same_v<H, std::optional<std::string>>) {
          const auto have_exp = norm_time(h);
          const auto want_t = w ? rules::parse_time(*norm_time(w)) : std::nullopt;
          const auto have_t = have_exp ? rules::parse_time(*have_exp) : std::nullopt;
          switch (expiry_decision(want_t, soft, have_t, expired_now, rules::Time::from(now))) {
            case Expiry::keep:
              break;
            case Expiry::set:
              fields.push_back({std::string(r.field.key), opt_json(have_exp), json(*w)});
              r.spec(out) = w;
              break;
            case Expiry::clear:
              // The feed lists it again without an end: bring it back from expiry.
              fields.push_back({std::string(r.field.key), json(*have_exp), json(nullptr)});
              r.spec(out) = std::string(kNoExpiration);
              if (!out.action && want.action) out.action = want.action;
              break;
          }
        }
        return;
      }
      if (!w) return;
      std::optional<bool> same;  // unset: a pair of types sync does not compare
      if constexpr (std::is_same_v<W, std::vector<std::string>> &&
                    std::is_same_v<H, std::vector<std::string>>) {
        same = sorted(*w) == sorted(h);
      } else if constexpr (std::is_same_v<W, bool> && std::is_same_v<H, std::optional<bool>>) {
        same = *w == h.value_or(false);
      } else if constexpr (std::is_same_v<W, std::string> &&
                           std::is_same_v<H, std::optional<std::string>>) {
        same = r.field.kind == rules::Kind::enumeration ? internal::iequals(*w, h.value_or(""))
                                                        : *w == h.value_or("");
      }
      if constexpr (std::is_same_v<decltype(as_json(h)), json>) {
        if (same && !*same) {
          fields.push_back({std::string(r.field.key), as_json(h), json(*w)});
          r.spec(out) = w;
        }
      }
    }
  });
}

// ---- guards -------------------------------------------------------------------------------

// The top-level AND terms of an FQL filter, or nullopt when it has a top-level OR (',').
std::optional<std::vector<std::string_view>> top_level_terms(std::string_view f) {
  std::vector<std::string_view> terms;
  int depth = 0;
  char quote = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const char c = f[i];
    if (quote != 0) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '[' || c == '(') {
      ++depth;
    } else if (c == ']' || c == ')') {
      --depth;
    } else if (depth == 0 && c == ',') {
      return std::nullopt;
    } else if (depth == 0 && c == '+') {
      terms.push_back(internal::trim(f.substr(start, i - start)));
      start = i + 1;
    }
  }
  terms.push_back(internal::trim(f.substr(start)));
  return terms;
}

// A scope constrains source when one top-level AND term is `source:'x'` or `source:['x',..]`
// (no negation, wildcard, text match or comparison).
bool constrains_source(std::string_view scope) {
  auto terms = top_level_terms(scope);
  if (!terms) return false;
  for (std::string_view t : *terms) {
    if (t.size() >= 2 && t.front() == '(' && t.back() == ')') {
      if (constrains_source(t.substr(1, t.size() - 2))) return true;
      continue;
    }
    if (t.rfind("source:", 0) != 0) continue;
    std::string_view v = internal::trim(t.substr(7));
    if (v.empty()) continue;
    if (v.front() == '[' && v.back() == ']') {
      v = v.substr(1, v.size() - 2);
    }
    if (v.empty() || (v.front() != '\'' && v.front() != '"')) continue;
    if (v.find('*') != std::string_view::npos) continue;
    return true;
  }
  return false;
}

// Phase 1: the FQL scope; a validation error when there is none. A scope that does not
// constrain source is refused (a guard) unless any_scope.
std::optional<Response> choose_scope(const Options& options, Plan& p) {
  if (options.scope && !options.scope->empty()) {
    p.scope = *options.scope;
    if (!options.any_scope && !constrains_source(p.scope)) {
      p.refused = Refusal{"scope", "the scope '" + internal::printable(p.scope, 200) +
                                       "' does not constrain source (source:'NAME' ANDed at the "
                                       "top level): it could remove indicators other feeds own. "
                                       "Give such a term, or --any-scope"};
    }
  } else if (!options.source.empty() && options.source.size() <= 256) {
    p.scope = fql::eq("source", options.source).str();
  } else {
    return make_error_response(internal::validation_error(
        "source", options.source.empty() ? "a sync needs a source name (1-256 characters) or a "
                                           "scope filter"
                                         : "source is longer than 256 characters"));
  }
  return std::nullopt;
}

// Phase 6: the guards that look at the whole plan. Removals dropped when a failed row named
// nothing; the removal cap; the quota.
void guard(const Options& options, Plan& p) {
  if (p.removals_blocked) {
    const std::size_t dropped = p.removals();
    p.kept += dropped;
    p.changes.erase(std::remove_if(p.changes.begin(), p.changes.end(),
                                   [](const Change& c) {
                                     return c.kind == ChangeKind::remove ||
                                            c.kind == ChangeKind::expire;
                                   }),
                    p.changes.end());
    p.counts[static_cast<std::size_t>(ChangeKind::remove)] = 0;
    p.counts[static_cast<std::size_t>(ChangeKind::expire)] = 0;
  }
  if (p.refused) return;
  const std::size_t removals = p.removals();
  const std::size_t cap = options.max_remove.limit(p.existing);
  if (removals > cap) {
    p.refused = Refusal{
        "removal_cap", "the plan removes " + std::to_string(removals) + " of the " +
                           std::to_string(p.existing) +
                           " indicators in the scope, more than the cap of " + std::to_string(cap) +
                           " (--max-delete N or P%; 100% lifts it); nothing was written"};
    return;
  }
  const std::size_t creates = p.count(ChangeKind::create);
  if (options.quota > 0 && creates > 0) {
    const std::size_t after =
        p.tenant_total + creates - std::min(p.tenant_total, p.count(ChangeKind::remove));
    if (after > options.quota) {
      p.refused =
          Refusal{"quota", "the tenant holds " + std::to_string(p.tenant_total) + " indicators; " +
                               std::to_string(creates) + " creates would pass its quota of " +
                               std::to_string(options.quota) + " (--quota N); nothing was written"};
    }
  }
}

void budget(Plan& p, std::size_t batch) {
  p.write_requests =
      (p.count(ChangeKind::create) + batch - 1) / batch +
      (p.count(ChangeKind::update) + p.count(ChangeKind::adopt) + batch - 1) / batch +
      (p.count(ChangeKind::expire) + batch - 1) / batch + (p.count(ChangeKind::remove) + 99) / 100;
}

void recount(Plan& p) {
  p.counts = {};
  for (const auto& c : p.changes) ++p.counts[static_cast<std::size_t>(c.kind)];
}

namespace {

// Eight bytes at a time; `lower` folds ASCII upper case first (enumerations compare without
// case), per byte in the word: bit 7 of a byte marks an upper-case letter, shifted to bit 5.
template <bool lower>
std::uint64_t word_hash(std::uint64_t h, std::string_view s) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  auto fold = [](std::uint64_t w) {
    if constexpr (lower) {
      const std::uint64_t low7 = w & (0x7f * kOnes);
      const std::uint64_t above_z = low7 + (0x7f - 'Z') * kOnes;
      const std::uint64_t from_a = low7 + (0x80 - 'A') * kOnes;
      const std::uint64_t upper = ~w & (from_a ^ above_z) & (0x80 * kOnes);
      w |= upper >> 2;
    }
    return w;
  };
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = mix(h ^ fold(w));
  }
  std::uint64_t w = 0;
  if (i < s.size()) std::memcpy(&w, s.data() + i, s.size() - i);
  return mix(h ^ fold(w) ^ (static_cast<std::uint64_t>(s.size()) << 56));
}

std::uint64_t hash_text(std::uint64_t h, std::string_view s) {
  return word_hash<false>(h, s);
}
std::uint64_t lower_hash(std::uint64_t h, std::string_view s) {
  return word_hash<true>(h, s);
}

// One field's canonical value, hashed with its position (same rule on both sides).
std::uint64_t field_hash(std::size_t index, rules::Kind kind, const std::string& v) {
  const std::uint64_t seed = 0xcbf29ce484222325ULL ^ (index * 0x9e3779b97f4a7c15ULL);
  return kind == rules::Kind::enumeration ? lower_hash(seed, v) : hash_text(seed, v);
}
// A list compares as the set of its items (diff() compares sorted()): the sum of the distinct
// items' hashes, which needs no sorted copy for the short lists feeds carry.
std::uint64_t field_hash(std::size_t index, rules::Kind, const std::vector<std::string>& v) {
  const std::uint64_t seed = 0xcbf29ce484222325ULL ^ (index * 0x9e3779b97f4a7c15ULL);
  std::uint64_t sum = 0, distinct = 0;
  auto add = [&](const std::string& item) {
    sum += mix(hash_text(0x84222325cbf29ce4ULL, item));
    ++distinct;
  };
  if (v.size() <= 16) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (std::find(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v[i]) ==
          v.begin() + static_cast<std::ptrdiff_t>(i)) {
        add(v[i]);
      }
    }
  } else {
    for (const auto& item : sorted(v)) add(item);
  }
  return mix(seed ^ sum ^ (distinct * 0xbf58476d1ce4e5b9ULL));
}
std::uint64_t field_hash(std::size_t index, rules::Kind, bool v) {
  return mix((index + 1) * 0x9e3779b97f4a7c15ULL + (v ? 1 : 2));
}

}  // namespace

Signature signature(const IndicatorSpec& want) {
  Signature sig;
  std::size_t index = 0;
  internal::for_each_field([&](const auto& r) {
    const std::size_t i = index++;
    if constexpr (internal::reaches<decltype(r.spec), const IndicatorSpec> &&
                  internal::reaches<decltype(r.record), const Indicator>) {
      if (!r.field.managed || r.field.kind == rules::Kind::timestamp) return;
      const auto& w = r.spec(want);
      if (!w) return;
      using W = std::decay_t<decltype(*w)>;
      if constexpr (std::is_same_v<W, std::string> || std::is_same_v<W, bool> ||
                    std::is_same_v<W, std::vector<std::string>>) {
        sig.mask |= 1u << i;
        sig.hash ^= field_hash(i, r.field.kind, *w);
      }
    }
  });
  return sig;
}

std::uint64_t signature(const Indicator& have, std::uint32_t mask) {
  std::uint64_t hash = 0;
  std::size_t index = 0;
  internal::for_each_field([&](const auto& r) {
    const std::size_t i = index++;
    if constexpr (internal::reaches<decltype(r.record), const Indicator>) {
      if ((mask & (1u << i)) == 0) return;
      const auto& h = r.record(have);
      using H = std::decay_t<decltype(h)>;
      if constexpr (std::is_same_v<H, std::optional<std::string>>) {
        hash ^= field_hash(i, r.field.kind, h.value_or(""));
      } else if constexpr (std::is_same_v<H, std::optional<bool>>) {
        hash ^= field_hash(i, r.field.kind, h.value_or(false));
      } else if constexpr (std::is_same_v<H, std::vector<std::string>>) {
        hash ^= field_hash(i, r.field.kind, h);
      }
    }
  });
  return hash;
}

Pacer::Pacer(double per_minute, std::function<void(std::chrono::milliseconds)> sleep)
    : interval_ms_(per_minute > 0 ? 60'000.0 / per_minute : 0), sleep_(std::move(sleep)) {}

void Pacer::before(std::size_t requests) {
  if (interval_ms_ <= 0 || requests == 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (next_ > now) {
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_ - now);
    if (wait.count() > 0) {
      if (sleep_) {
        sleep_(wait);
      } else {
        std::this_thread::sleep_for(wait);
      }
    }
  }
  const auto base = std::max(next_, now);
  next_ = base + std::chrono::microseconds(static_cast<std::int64_t>(
                     interval_ms_ * 1000.0 * static_cast<double>(requests)));
}

}  // namespace falcon::internal::sync_core

namespace falcon::sync {

using nlohmann::json;
using namespace internal::sync_core;

namespace {

// The feed, normalised and indexed by rules::key.
struct Desired {
  std::vector<IndicatorSpec> specs;
  std::vector<std::size_t> lines;
  std::vector<std::optional<std::chrono::seconds>> soft;  // expiry from the policy
  std::unordered_map<std::string, std::size_t> index;
  std::vector<bool> found;  // matched in the scope
  /// Named by a row that failed: never removed.
  std::unordered_set<std::string> keep;
};

// What the scope read found.
struct ScopeRead {
  std::vector<Change> updates;
  std::vector<Change> missing;  // removals and expiries
};

}  // namespace

const char* to_string(OnMissing m) noexcept {
  switch (m) {
    case OnMissing::remove:
      return "delete";
    case OnMissing::expire:
      return "expire";
    case OnMissing::keep:
      return "keep";
  }
  return "?";
}

std::optional<OnMissing> parse_on_missing(std::string_view s) {
  if (s == "delete" || s == "remove") return OnMissing::remove;
  if (s == "expire") return OnMissing::expire;
  if (s == "keep") return OnMissing::keep;
  return std::nullopt;
}

const char* to_string(ChangeKind k) noexcept {
  switch (k) {
    case ChangeKind::create:
      return "create";
    case ChangeKind::update:
      return "update";
    case ChangeKind::remove:
      return "delete";
    case ChangeKind::expire:
      return "expire";
    case ChangeKind::conflict:
      return "conflict";
    case ChangeKind::adopt:
      return "adopt";
  }
  return "?";
}

std::size_t RemovalCap::limit(std::size_t scope_size) const noexcept {
  const double share = std::clamp(percent, 0.0, 100.0) / 100.0 * static_cast<double>(scope_size);
  return std::max(at_least, static_cast<std::size_t>(std::ceil(share)));
}

std::optional<RemovalCap> RemovalCap::parse(std::string_view text) {
  text = internal::trim(text);
  const bool pct = !text.empty() && text.back() == '%';
  if (pct) text.remove_suffix(1);
  if (text.empty() || text.size() > 12) return std::nullopt;
  double v = 0;
  std::size_t digits = 0, dots = 0;
  for (char c : text) {
    if (c == '.' && pct) {
      ++dots;
    } else if (c >= '0' && c <= '9') {
      ++digits;
    } else {
      return std::nullopt;
    }
  }
  if (digits == 0 || dots > 1) return std::nullopt;
  v = std::stod(std::string(text));
  if (pct) {
    if (v > 100) return std::nullopt;
    return RemovalCap{0, v};
  }
  return RemovalCap{static_cast<std::size_t>(v), 0};
}

std::size_t Plan::count(ChangeKind k) const noexcept {
  return counts[static_cast<std::size_t>(k)];
}

std::size_t Plan::removals() const noexcept {
  return count(ChangeKind::remove) + count(ChangeKind::expire);
}

std::chrono::seconds Plan::least_apply_time(double share) const noexcept {
  const double per_minute =
      static_cast<double>(rate_limit.value_or(6000)) * std::clamp(share, 0.01, 1.0);
  return std::chrono::seconds(static_cast<std::int64_t>(
      std::ceil(static_cast<double>(write_requests) * 60.0 / per_minute)));
}

bool Plan::empty() const noexcept {
  for (std::size_t k = 0; k < counts.size(); ++k) {
    if (k != static_cast<std::size_t>(ChangeKind::conflict) && counts[k] != 0) return false;
  }
  return true;
}

std::size_t Result::written() const noexcept {
  return static_cast<std::size_t>(std::count_if(
      outcomes.begin(), outcomes.end(), [](const Outcome& o) { return o.ok && !o.skipped; }));
}

std::size_t Result::failed() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(outcomes.begin(), outcomes.end(), [](const Outcome& o) { return !o.ok; }));
}

namespace {

// ---- phases of plan() ---------------------------------------------------------------------

// What a failed row says about removals: the indicators it names are kept; one that names none
// blocks every removal.
void note_failure(const feeds::FeedIssue& issue, Desired& d, Plan& p) {
  if (issue.duplicate) return;
  if (issue.names.empty()) p.removals_blocked = true;
  for (const auto& n : issue.names) d.keep.insert(rules::key(n.type, n.value));
}

// Phase 2: the feed, judged again by the rulebook (hand-built entries too), de-duplicated;
// allow-listed entries skipped, retired ones (revoked, or a past expiration) set aside, the
// expiry policy applied.
Desired index_feed(const std::vector<feeds::FeedEntry>& desired, const Options& options,
                   const rules::EnumLookup& lookup, std::chrono::system_clock::time_point now,
                   Plan& p) {
  Desired d;
  d.specs.reserve(desired.size());
  d.index.reserve(desired.size() * 2);
  for (const auto& issue : options.feed_issues) note_failure(issue, d, p);
  const rules::Time now_t = rules::Time::from(now);
  for (const auto& e : desired) {
    IndicatorSpec s = e.spec;
    if (auto problem = rules::normalize(s, lookup)) {
      std::vector<rules::TypedValue> names;
      if (problem->field != "type" && problem->field != "value" && e.spec.value) {
        if (auto tv = rules::normalize(e.spec.type.value_or(""), *e.spec.value, nullptr, lookup)) {
          names.push_back(*tv);
        }
      }
      p.invalid.push_back({e.line, problem->field, internal::printable(problem->value),
                           problem->reason, false, std::move(names)});
      note_failure(p.invalid.back(), d, p);
      continue;
    }
    if (!s.value || !s.type) {
      p.invalid.push_back({e.line, "value", "", "value is required", false, {}});
      note_failure(p.invalid.back(), d, p);
      continue;
    }
    if (auto why = options.allow_list.match(*s.type, *s.value)) {
      p.skipped.push_back({e.line,
                           "value",
                           *s.value,
                           "allow-listed: " + *why,
                           false,
                           {rules::TypedValue{*s.type, *s.value}}});
      continue;
    }
    const auto expires = s.expiration && !rules::is_zero_time(*s.expiration)
                             ? rules::parse_time(*s.expiration)
                             : std::nullopt;
    if (e.retire || (expires && *expires <= now_t)) {
      ++p.retired;  // gone from the feed: the on-missing action applies in the scope
      continue;
    }
    std::optional<std::chrono::seconds> soft;
    if (!s.expiration) {
      if (auto policy = options.expire_after.find(*s.type); policy != options.expire_after.end()) {
        soft = policy->second;
        s.expiration = rules::format_time(now_t.plus(policy->second));
      }
    }
    auto [it, inserted] = d.index.emplace(rules::key(*s.type, *s.value), d.specs.size());
    if (!inserted) {
      p.invalid.push_back({e.line,
                           "value",
                           *s.value,
                           "duplicate of line " + std::to_string(d.lines[it->second]),
                           true,
                           {rules::TypedValue{*s.type, *s.value}}});
      continue;
    }
    if (!options.source.empty()) s.source = options.source;
    d.specs.push_back(std::move(s));
    d.lines.push_back(e.line);
    d.soft.push_back(soft);
  }
  d.found.assign(d.specs.size(), false);
  p.desired = d.specs.size();
  return d;
}

// Phase 3: every indicator of the scope, compared page by page with the feed and dropped. An id
// read twice (pages that overlap while the scope changes) is compared once.
std::optional<Response> read_scope(const IOC& ioc, const Options& options,
                                   std::chrono::system_clock::time_point now, Desired& d, Plan& p,
                                   ScopeRead& out) {
  IndicatorCombinedOptions q;
  q.filter = p.scope;
  q.limit = std::clamp<std::int64_t>(options.page_size, 1, 2000);
  std::unordered_set<std::string> seen;
  Response last = combined_all(
      ioc, q,
      [&](Response& page) {
        ++p.requests;
        if (auto limit = page.rate_limit().limit) p.rate_limit = *limit;
        for (Indicator& have : page.resources_as<Indicator>()) {
          if (!have.id.empty() && !seen.insert(have.id).second) continue;
          ++p.existing;
          const std::string key = rules::key_of_any(have.type, have.value);
          const auto it = d.index.find(key);
          if (it != d.index.end() && !d.found[it->second]) {
            d.found[it->second] = true;
            Change c;
            c.kind = ChangeKind::update;
            c.type = have.type;
            c.value = have.value;
            c.id = have.id;
            c.line = d.lines[it->second];
            diff(d.specs[it->second], have, expired_at(have, now), c.fields, c.write,
                 d.soft[it->second], now);
            if (c.fields.empty()) {
              ++p.unchanged;
            } else {
              c.write.id = have.id;
              out.updates.push_back(std::move(c));
            }
            continue;
          }
          // Not in the feed (or a second record of a value already matched).
          if (it == d.index.end() && d.keep.count(key) != 0) {
            ++p.kept_for_errors;  // a failed row names it: left as it is
            continue;
          }
          if (options.on_missing == OnMissing::keep && it == d.index.end()) {
            ++p.kept;
            continue;
          }
          Change c;
          c.type = have.type;
          c.value = have.value;
          c.id = have.id;
          if (it == d.index.end() && options.on_missing == OnMissing::expire) {
            if (expired_at(have, now)) {
              ++p.kept;
              continue;
            }
            c.kind = ChangeKind::expire;
            c.write.id = have.id;
            c.write.expiration = fql::timestamp(now);
            c.fields.push_back(
                {"expiration", opt_json(norm_time(have.expiration)), json(*c.write.expiration)});
          } else {
            c.kind = ChangeKind::remove;
          }
          c.before = std::move(have);
          out.missing.push_back(std::move(c));
        }
        return true;
      },
      options.call);
  if (!last.ok()) {
    ++p.requests;
    return last;
  }
  return std::nullopt;
}

// The tenant's live indicators (indicator_search counts them without reading them).
std::optional<Response> count_tenant(const IOC& ioc, const Options& options, Plan& p,
                                     std::int64_t& total) {
  IndicatorSearchOptions count;
  count.limit = 1;
  Response c = ioc.indicator_search(count, options.call);
  ++p.requests;
  if (!c.ok()) return c;
  total = c.pagination().total.value_or(-1);
  if (total >= 0) p.tenant_total = static_cast<std::size_t>(total);
  return std::nullopt;
}

// Phase 4: what the scope lacks, looked for outside it (conflicts). The tenant's count decides
// between looking the values up and reading every indicator (an empty tenant needs neither).
std::optional<Response> find_outside(const IOC& ioc, const Options& options, const Desired& d,
                                     const std::vector<std::size_t>& absent, std::int64_t total,
                                     Plan& p, std::unordered_map<std::string, Indicator>& outside) {
  if (absent.empty() || total == 0) return std::nullopt;
  auto collect = [&](Response& page) {
    ++p.requests;
    for (Indicator& i : page.resources_as<Indicator>()) {
      const auto it = d.index.find(rules::key_of_any(i.type, i.value));
      // In the feed and not matched in the scope: it lives outside the scope.
      if (it != d.index.end() && !d.found[it->second]) outside.emplace(it->first, std::move(i));
    }
    return true;
  };
  std::vector<std::string> values;
  values.reserve(absent.size());
  for (std::size_t i : absent) values.push_back(*d.specs[i].value);
  // A full read costs total/2000 pages; a lookup about one request per ~40 long values.
  const std::int64_t pages = total / 2000 + (total % 2000 != 0 ? 1 : 0);
  const auto lookups = static_cast<std::int64_t>(internal::any_of_runs("value", values).size());
  Response r;
  if (total > 0 && pages < lookups) {
    IndicatorCombinedOptions all;
    all.limit = 2000;
    r = combined_all(ioc, all, collect, options.call);
  } else {
    r = combined_any_of(ioc, "value", values, collect, options.call);
  }
  if (!r.ok()) {
    ++p.requests;
    return r;
  }
  return std::nullopt;
}

// Phase 5: each absent entry becomes a create, a conflict, or (with adopt) an adopt.
void place_absent(const Options& options, std::chrono::system_clock::time_point now, Desired& d,
                  const std::vector<std::size_t>& absent,
                  const std::unordered_map<std::string, Indicator>& outside,
                  std::vector<Change>& creates, std::vector<Change>& adopts) {
  for (std::size_t i : absent) {
    IndicatorSpec& s = d.specs[i];
    Change c;
    c.type = *s.type;
    c.value = *s.value;
    c.line = d.lines[i];
    const auto o = outside.find(rules::key(c.type, c.value));
    if (o == outside.end()) {
      c.kind = ChangeKind::create;
      c.write = std::move(s);  // d.specs[i] is not read again
      creates.push_back(std::move(c));
      continue;
    }
    const Indicator& have = o->second;
    c.id = have.id;
    c.existing_source = have.source.value_or("");
    if (!options.adopt) {
      c.kind = ChangeKind::conflict;
      adopts.push_back(std::move(c));
      continue;
    }
    c.kind = ChangeKind::adopt;
    diff(s, have, expired_at(have, now), c.fields, c.write, d.soft[i], now);
    if (!options.source.empty() && have.source.value_or("") != options.source) {
      c.fields.push_back({"source", opt_json(have.source), json(options.source)});
      c.write.source = options.source;
    }
    c.write.id = have.id;
    adopts.push_back(std::move(c));
  }
}

}  // namespace

Plan plan(const IOC& ioc, const std::vector<feeds::FeedEntry>& desired, const Options& options) {
  Plan p;
  p.on_missing = options.on_missing;
  p.source = options.source;
  const auto now = options.clock ? options.clock() : std::chrono::system_clock::now();
  if (auto e = choose_scope(options, p)) {
    p.error = std::move(e);
    return p;
  }
  if (p.refused) return p;
  Desired d = index_feed(desired, options, rules::api_lookup(ioc.client()), now, p);
  if (desired.empty() && options.feed_issues.empty() && !options.allow_empty) {
    // An empty feed would remove the whole scope: nothing is read or planned.
    p.error = make_error_response(internal::validation_error(
        "feed",
        "the feed is empty: a sync of nothing would remove every indicator in the scope "
        "(allow_empty, or falcon-ioc --allow-empty, if that is meant)"));
    return p;
  }
  ScopeRead scope;
  if (auto e = read_scope(ioc, options, now, d, p, scope)) {
    p.error = std::move(e);
    return p;
  }
  std::vector<std::size_t> absent;
  for (std::size_t i = 0; i < d.specs.size(); ++i) {
    if (!d.found[i]) absent.push_back(i);
  }
  std::int64_t total = -1;
  if (!absent.empty()) {
    if (auto e = count_tenant(ioc, options, p, total)) {
      p.error = std::move(e);
      return p;
    }
  }
  std::unordered_map<std::string, Indicator> outside;
  if (auto e = find_outside(ioc, options, d, absent, total, p, outside)) {
    p.error = std::move(e);
    return p;
  }
  std::vector<Change> creates, adopts;
  place_absent(options, now, d, absent, outside, creates, adopts);
  // Creates in feed order; the rest as found.
  for (auto* group : {&creates, &scope.updates, &adopts, &scope.missing}) {
    for (auto& c : *group) p.changes.push_back(std::move(c));
  }
  recount(p);
  guard(options, p);
  budget(p, 2000);
  return p;
}

Plan plan(const IOC& ioc, const std::vector<IndicatorSpec>& desired, const Options& options) {
  std::vector<feeds::FeedEntry> entries;
  entries.reserve(desired.size());
  for (std::size_t i = 0; i < desired.size(); ++i) entries.push_back({desired[i], i + 1});
  return plan(ioc, entries, options);
}

}  // namespace falcon::sync
