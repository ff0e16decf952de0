// Sync: one streaming pass over the scope (the feed indexed by the rulebook's key), conflict
// lookups by value sets for what the scope lacks, then bulk writes. Memory: the feed plus the
// changes; unchanged scope records are compared and dropped page by page.
#include "falcon/sync.hpp"

#include <algorithm>
#include <cmath>
#include <istream>
#include <ostream>
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
#include "value_lists.hpp"

namespace falcon::sync {

using nlohmann::json;

namespace {

// Falcon's zero time: an update with it clears the expiration.
constexpr const char* kNoExpiration = "0001-01-01T00:00:00Z";

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

bool expired_at(const Indicator& i, std::chrono::system_clock::time_point now) {
  if (i.expired.value_or(false)) return true;
  if (!i.expiration || rules::is_zero_time(*i.expiration)) return false;
  const auto t = rules::parse_time(*i.expiration);
  return t && *t <= rules::Time::from(now);
}

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

// Compares the managed fields `want` sets (the rulebook's field table) with `have`; fills `out`
// (the update item) and `fields`.
// `soft`: the expiration comes from the expiry policy (Options::expire_after): an existing one
// with more than half of that duration left is kept, so a daily sync does not rewrite it.
void diff(const IndicatorSpec& want, const Indicator& have, bool expired_now,
          std::vector<FieldChange>& fields, IndicatorSpec& out,
          std::optional<std::chrono::seconds> soft = std::nullopt,
          std::chrono::system_clock::time_point now = {}) {
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
          const auto have_t = have_exp ? rules::parse_time(*have_exp) : std::nullopt;
          const bool fresh_enough =
              soft && have_t && rules::Time::from(now).plus(*soft / 2) < *have_t;
          if (w && fresh_enough) {
            // The policy's expiration is far enough away: keep it.
          } else if (w) {
            if (norm_time(w) != have_exp) {
              fields.push_back({std::string(r.field.key), opt_json(have_exp), json(*w)});
              r.spec(out) = w;
            }
          } else if (expired_now && have_exp) {
            // The feed lists it again without an end: bring it back from expiry.
            fields.push_back({std::string(r.field.key), json(*have_exp), json(nullptr)});
            r.spec(out) = std::string(kNoExpiration);
            if (!out.action && want.action) out.action = want.action;
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
  return static_cast<std::size_t>(
      std::count_if(changes.begin(), changes.end(), [k](const Change& c) { return c.kind == k; }));
}

std::size_t Plan::removals() const noexcept {
  return count(ChangeKind::remove) + count(ChangeKind::expire);
}

bool Plan::empty() const noexcept {
  return std::all_of(changes.begin(), changes.end(),
                     [](const Change& c) { return c.kind == ChangeKind::conflict; });
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

// ---- phases of plan() ---------------------------------------------------------------------

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
  guard(options, p);
  return p;
}

Plan plan(const IOC& ioc, const std::vector<IndicatorSpec>& desired, const Options& options) {
  std::vector<feeds::FeedEntry> entries;
  entries.reserve(desired.size());
  for (std::size_t i = 0; i < desired.size(); ++i) entries.push_back({desired[i], i + 1});
  return plan(ioc, entries, options);
}

namespace {

void take(Outcome& o, const BulkItem& item) {
  o.ok = item.ok;
  if (!item.id.empty()) o.id = item.id;
  o.messages = item.messages;
  o.error = item.error;
  o.status_code = item.status_code;
  o.outcome_unknown = item.outcome_unknown;
}

// A write that sets an expiration already past (or about to pass on its way) needs
// ignore_warnings, or the API's "expiration is in the past" warning blocks it on every run.
bool expiration_past(const IndicatorSpec& w, std::chrono::system_clock::time_point now) {
  if (!w.expiration || rules::is_zero_time(*w.expiration)) return false;
  const auto t = rules::parse_time(*w.expiration);
  return t && *t <= rules::Time::from(now + std::chrono::minutes(5));
}

// The changes of a plan, by the request that carries them: `urgent` writes set a past
// expiration (expiries, retirements) and are sent with ignore_warnings.
struct Groups {
  std::vector<std::size_t> creates, urgent_creates, updates, urgent_updates, removes;
};

Groups group(const Plan& plan, Result& res) {
  Groups g;
  const auto now = std::chrono::system_clock::now();
  for (std::size_t i = 0; i < plan.changes.size(); ++i) {
    const Change& c = plan.changes[i];
    const bool urgent = expiration_past(c.write, now);
    switch (c.kind) {
      case ChangeKind::create:
        (urgent ? g.urgent_creates : g.creates).push_back(i);
        break;
      case ChangeKind::update:
      case ChangeKind::adopt:
        (urgent ? g.urgent_updates : g.updates).push_back(i);
        break;
      case ChangeKind::expire:
        g.urgent_updates.push_back(i);
        break;
      case ChangeKind::remove:
        g.removes.push_back(i);
        break;
      case ChangeKind::conflict:
        res.outcomes[i].ok = true;
        res.outcomes[i].skipped = true;
        break;
    }
  }
  return g;
}

// The journal: one JSON line per change confirmed written, with what undo needs.
class Journal {
 public:
  Journal(std::ostream* out, const Plan& plan) : out_(out) {
    if (out_ == nullptr) return;
    *out_ << json{{"journal", 1},
                  {"scope", plan.scope},
                  {"source", plan.source},
                  {"on_missing", to_string(plan.on_missing)},
                  {"started", fql::timestamp(std::chrono::system_clock::now())}}
                 .dump()
          << "\n";
    out_->flush();
  }

  void record(const Change& c, const Outcome& o) {
    if (out_ == nullptr || !o.ok || o.skipped) return;
    json line = {{"op", to_string(c.kind)},
                 {"type", c.type},
                 {"value", c.value},
                 {"id", o.id.empty() ? c.id : o.id}};
    switch (c.kind) {
      case ChangeKind::create:
        line["after"] = json(c.write);
        break;
      case ChangeKind::update:
      case ChangeKind::adopt:
      case ChangeKind::expire: {
        json before = json::object(), after = json::object();
        for (const auto& f : c.fields) {
          before[f.field] = f.before;
          after[f.field] = f.after;
        }
        if (c.before) before["action"] = c.before->action ? json(*c.before->action) : json();
        line["before"] = std::move(before);
        line["after"] = std::move(after);
        break;
      }
      case ChangeKind::remove:
        line["before"] = c.before ? json(*c.before) : json::object();
        break;
      case ChangeKind::conflict:
        return;
    }
    *out_ << line.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  }

  // After each confirmed batch: what is journaled is on disk before the next write.
  void flush() {
    if (out_ != nullptr) out_->flush();
  }

 private:
  std::ostream* out_;
};

// Sends a plan's changes with the bulk helpers and records one outcome per change.
class Writer {
 public:
  Writer(const IOC& ioc, const Plan& plan, const BulkOptions& options, Result& res,
         Journal& journal)
      : ioc_(ioc), plan_(plan), options_(options), res_(res), journal_(journal) {
    urgent_options_.ignore_warnings = true;
  }

  // Request bodies are built a batch at a time (memory stays bounded for any plan size), and
  // each batch is journaled once confirmed.
  void write(const std::vector<std::size_t>& idx, bool create, bool urgent = false) {
    const BulkOptions& o = urgent ? urgent_options_ : options_;
    const std::size_t slice =
        std::clamp<std::size_t>(o.batch_size == 0 ? 2000 : o.batch_size, 1, 2000);
    for (std::size_t start = 0; start < idx.size(); start += slice) {
      const std::size_t end = std::min(idx.size(), start + slice);
      json items = json::array();
      for (std::size_t k = start; k < end; ++k) {
        const Change& c = plan_.changes[idx[k]];
        json item = c.write;
        for (const auto& f : c.reset) item[f] = nullptr;
        items.push_back(std::move(item));
      }
      BulkResult r = create ? bulk_create(ioc_, items, o) : bulk_update(ioc_, items, o);
      res_.requests += r.requests;
      for (std::size_t k = 0; k < end - start && k < r.items.size(); ++k) {
        take(res_.outcomes[idx[start + k]], r.items[k]);
        journal_.record(plan_.changes[idx[start + k]], res_.outcomes[idx[start + k]]);
      }
      journal_.flush();
    }
  }

  void remove(const std::vector<std::size_t>& idx) {
    if (idx.empty()) return;
    std::vector<std::string> ids;
    ids.reserve(idx.size());
    for (auto i : idx) ids.push_back(plan_.changes[i].id);
    BulkResult r = bulk_delete(ioc_, ids, options_);
    res_.requests += r.requests;
    for (std::size_t k = 0; k < idx.size() && k < r.items.size(); ++k) {
      take(res_.outcomes[idx[k]], r.items[k]);
      journal_.record(plan_.changes[idx[k]], res_.outcomes[idx[k]]);
    }
    journal_.flush();
  }

  // The changes of `idx` whose write may or may not have happened (the connection died after
  // sending).
  std::vector<std::size_t> unknown(const std::vector<std::size_t>& idx) const {
    std::vector<std::size_t> out;
    for (auto i : idx) {
      if (!res_.outcomes[i].ok && res_.outcomes[i].outcome_unknown) out.push_back(i);
    }
    return out;
  }

  // Creates of unknown fate are looked up by value: found ones are done, absent ones re-sent.
  // Updates, expiries and deletes are idempotent and simply sent again.
  void settle(const Groups& g) {
    for (const bool urgent : {false, true}) {
      const std::vector<std::size_t> lost = unknown(urgent ? g.urgent_creates : g.creates);
      if (lost.empty()) continue;
      std::vector<std::string> values;
      values.reserve(lost.size());
      for (auto i : lost) values.push_back(plan_.changes[i].value);
      std::unordered_map<std::string, std::string> ids;
      Response r = combined_any_of(
          ioc_, "value", values,
          [&](Response& page) {
            ++res_.requests;
            for (const Indicator& i : page.resources_as<Indicator>()) {
              ids[rules::key_of_any(i.type, i.value)] = i.id;
            }
            return true;
          },
          options_.call);
      if (!r.ok()) continue;
      std::vector<std::size_t> resend;
      for (auto i : lost) {
        const auto it = ids.find(rules::key(plan_.changes[i].type, plan_.changes[i].value));
        if (it == ids.end()) {
          resend.push_back(i);
          continue;
        }
        auto& o = res_.outcomes[i];
        o = Outcome{};
        o.change = i;
        o.ok = true;
        o.id = it->second;
        journal_.record(plan_.changes[i], o);
      }
      write(resend, true, urgent);
    }
    write(unknown(g.updates), false);
    write(unknown(g.urgent_updates), false, true);
    remove(unknown(g.removes));
  }

 private:
  const IOC& ioc_;
  const Plan& plan_;
  const BulkOptions& options_;
  BulkOptions urgent_options_ = options_;
  Result& res_;
  Journal& journal_;
};

}  // namespace

Result apply(const IOC& ioc, const Plan& plan, const ApplyOptions& options) {
  Result res;
  res.outcomes.resize(plan.changes.size());
  for (std::size_t i = 0; i < plan.changes.size(); ++i) {
    res.outcomes[i].change = i;
    res.outcomes[i].id = plan.changes[i].id;
  }
  if (plan.error || plan.refused) {
    const std::string why = plan.error
                                ? "the plan is incomplete (a read failed)"
                                : "a safety guard refused the plan: " + plan.refused->message;
    for (auto& o : res.outcomes) o.error = internal::validation_error("plan", why);
    return res;
  }
  const Groups g = group(plan, res);
  Journal journal(options.journal, plan);
  Writer w(ioc, plan, options.bulk, res, journal);
  w.write(g.creates, true);
  w.write(g.urgent_creates, true, true);
  w.write(g.updates, false);
  w.write(g.urgent_updates, false, true);
  w.remove(g.removes);
  w.settle(g);
  return res;
}

Result apply(const IOC& ioc, const Plan& plan, const BulkOptions& options) {
  ApplyOptions o;
  o.bulk = options;
  return apply(ioc, plan, o);
}

// ---- undo ---------------------------------------------------------------------------------

namespace {

// What one indicator went through in a journal: its first entry holds the state to go back to.
struct Journaled {
  std::string type, value;
  std::string first_op;
  json first;  // the first entry
  std::size_t line = 0;
};

// The value of `field` in `rec` as the journal writes it (to_json of Indicator).
json record_field(const json& rec, const std::string& field) {
  auto it = rec.find(field);
  return it == rec.end() ? json() : *it;
}

// Equal as sync compares: lists as sets, enums ignoring case, times by instant, null and absent
// alike.
bool same_value(const std::string& field, const json& a, const json& b) {
  if (a.is_null() || b.is_null()) {
    auto empty = [](const json& v) {
      return v.is_null() || (v.is_array() && v.empty()) ||
             (v.is_string() && v.get<std::string>().empty());
    };
    if (field == "expiration") {
      auto none = [](const json& v) {
        return v.is_null() || (v.is_string() && rules::is_zero_time(v.get<std::string>()));
      };
      return none(a) && none(b);
    }
    return empty(a) && empty(b);
  }
  if (a.is_array() && b.is_array()) {
    std::vector<std::string> x, y;
    for (const auto& v : a) x.push_back(v.dump());
    for (const auto& v : b) y.push_back(v.dump());
    return sorted(x) == sorted(y);
  }
  if (a.is_string() && b.is_string()) {
    if (field == "expiration") {
      return norm_time(a.get<std::string>()) == norm_time(b.get<std::string>());
    }
    return internal::iequals(a.get<std::string>(), b.get<std::string>());
  }
  return a == b;
}

// A create item from a before-image: the fields a create takes (filename from metadata).
IndicatorSpec recreate(const json& before, const std::string& source) {
  IndicatorSpec s;
  json item = json::object();
  for (const auto& f : rules::fields()) {
    if (!f.create || f.key == "metadata") continue;
    auto it = before.find(f.key);
    if (it != before.end() && !it->is_null()) item[std::string(f.key)] = *it;
  }
  if (auto md = before.find("metadata"); md != before.end() && md->is_object()) {
    if (auto fn = md->find("filename"); fn != md->end() && fn->is_string()) item["filename"] = *fn;
  }
  (void)rules::from_json(item, s, rules::UnknownKeys::ignore);
  if (!s.source && !source.empty()) s.source = source;
  if (s.expiration && rules::is_zero_time(*s.expiration)) s.expiration.reset();
  return s;
}

}  // namespace

Plan plan_undo(const IOC& ioc, std::istream& journal, const Options& options) {
  Plan p;
  p.on_missing = OnMissing::remove;
  p.source = options.source;
  auto fail = [&](std::size_t line, std::string why) {
    p.error = make_error_response(
        internal::validation_error("journal", "line " + std::to_string(line) + ": " + why));
    return p;
  };
  // Read every entry; keep each indicator's first (its state before the journal).
  std::vector<Journaled> order;
  std::unordered_map<std::string, std::size_t> by_key;
  std::string text;
  std::size_t n = 0;
  bool header = false;
  while (std::getline(journal, text)) {
    ++n;
    if (internal::trim(text).empty()) continue;
    json j = json::parse(text, nullptr, false);
    if (!j.is_object()) return fail(n, "not a JSON object (is this a falcon-ioc journal?)");
    if (j.contains("journal")) {
      header = true;
      if (p.scope.empty() && j.value("scope", json()).is_string()) p.scope = j["scope"];
      if (p.source.empty() && j.value("source", json()).is_string()) p.source = j["source"];
      continue;
    }
    const json op = j.value("op", json()), type = j.value("type", json()),
               value = j.value("value", json());
    if (!op.is_string() || !type.is_string() || !value.is_string()) {
      return fail(n, "an entry needs op, type and value");
    }
    const std::string o = op.get<std::string>();
    if (o != "create" && o != "update" && o != "adopt" && o != "expire" && o != "delete") {
      return fail(n, "unknown op '" + internal::printable(o, 40) + "'");
    }
    const std::string k = rules::key_of_any(type.get<std::string>(), value.get<std::string>());
    if (by_key.count(k) != 0) continue;
    by_key.emplace(k, order.size());
    order.push_back({type.get<std::string>(), value.get<std::string>(), o, std::move(j), n});
  }
  if (!header) return fail(n == 0 ? 1 : n, "no journal header (the first line of a journal)");
  if (p.scope.empty() && !options.source.empty()) p.scope = fql::eq("source", options.source).str();
  if (order.empty()) return p;

  // The current state of every indicator the journal names.
  std::vector<std::string> values;
  for (const auto& e : order) values.push_back(e.value);
  std::unordered_map<std::string, json> current;
  Response r = combined_any_of(
      ioc, "value", values,
      [&](Response& page) {
        ++p.requests;
        for (const auto& rec : page.resources()) {
          const std::string k = rules::key_of_any(rec.value("type", ""), rec.value("value", ""));
          if (by_key.count(k) != 0) current[k] = rec;
        }
        return true;
      },
      options.call);
  if (!r.ok()) {
    p.error = std::move(r);
    return p;
  }

  for (const auto& e : order) {
    const std::string k = rules::key_of_any(e.type, e.value);
    const auto now_it = current.find(k);
    const json* now = now_it == current.end() ? nullptr : &now_it->second;
    Change c;
    c.type = e.type;
    c.value = e.value;
    c.line = e.line;
    if (e.first_op == "create") {
      if (now == nullptr) continue;  // already gone
      c.kind = ChangeKind::remove;
      c.id = now->value("id", "");
      c.before = now->get<Indicator>();
    } else if (e.first_op == "delete") {
      if (now != nullptr) continue;  // already back
      c.kind = ChangeKind::create;
      c.write = recreate(e.first.value("before", json::object()), p.source);
    } else {
      // update, adopt, expire: put the fields back as they were.
      if (now == nullptr) {
        p.invalid.push_back({e.line,
                             "value",
                             e.value,
                             "no longer exists; its fields cannot be restored",
                             false,
                             {}});
        continue;
      }
      const json before = e.first.value("before", json::object());
      json item = json::object();
      for (const auto& [field, was] : before.items()) {
        const json is = record_field(*now, field);
        if (same_value(field, was, is)) continue;
        c.fields.push_back({field, is, was});
        if (was.is_null()) {
          if (field == "expiration") {
            item[field] = kNoExpiration;
          } else if (field == "platforms" || field == "tags" || field == "host_groups") {
            item[field] = json::array();
          } else {
            c.reset.push_back(field);
          }
        } else {
          item[field] = was;
        }
      }
      if (c.fields.empty()) continue;
      c.kind = ChangeKind::update;
      c.id = now->value("id", "");
      (void)rules::from_json(item, c.write, rules::UnknownKeys::ignore);
      c.write.id = c.id;
    }
    p.changes.push_back(std::move(c));
  }

  // The guards hold for undo too: the deletes count against the scope's size.
  if (!p.scope.empty() && p.removals() > 0) {
    IndicatorSearchOptions q;
    q.filter = p.scope;
    q.limit = 1;
    Response count = ioc.indicator_search(q, options.call);
    ++p.requests;
    if (!count.ok()) {
      p.error = std::move(count);
      return p;
    }
    p.existing =
        static_cast<std::size_t>(std::max<std::int64_t>(0, count.pagination().total.value_or(0)));
  }
  Options guards = options;
  guards.quota = 0;  // undo re-creates what the journal deleted: never more than was there
  guard(guards, p);
  return p;
}

}  // namespace falcon::sync
