// Sync: one streaming pass over the scope (the feed indexed by the rulebook's key), conflict
// lookups by value sets for what the scope lacks, then bulk writes. Memory: the feed plus the
// changes; unchanged scope records are compared and dropped page by page.
#include "falcon/sync.hpp"

#include <algorithm>
#include <unordered_map>

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
void diff(const IndicatorSpec& want, const Indicator& have, bool expired_now,
          std::vector<FieldChange>& fields, IndicatorSpec& out) {
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
          if (w) {
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
  std::unordered_map<std::string, std::size_t> index;
  std::vector<bool> found;  // matched in the scope
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

std::size_t Plan::count(ChangeKind k) const noexcept {
  return static_cast<std::size_t>(
      std::count_if(changes.begin(), changes.end(), [k](const Change& c) { return c.kind == k; }));
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

// Phase 1: the FQL scope; a validation error when there is none.
std::optional<Response> choose_scope(const Options& options, Plan& p) {
  if (options.scope && !options.scope->empty()) {
    p.scope = *options.scope;
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

// Phase 2: the feed, judged again by the rulebook (hand-built entries too), de-duplicated.
Desired index_feed(const std::vector<feeds::FeedEntry>& desired, const Options& options,
                   const rules::EnumLookup& lookup, Plan& p) {
  Desired d;
  d.specs.reserve(desired.size());
  d.index.reserve(desired.size() * 2);
  for (const auto& e : desired) {
    IndicatorSpec s = e.spec;
    if (auto problem = rules::normalize(s, lookup)) {
      p.invalid.push_back(
          {e.line, problem->field, internal::printable(problem->value), problem->reason});
      continue;
    }
    if (!s.value || !s.type) {
      p.invalid.push_back({e.line, "value", "", "value is required"});
      continue;
    }
    auto [it, inserted] = d.index.emplace(rules::key(*s.type, *s.value), d.specs.size());
    if (!inserted) {
      p.invalid.push_back({e.line, "value", *s.value,
                           "duplicate of line " + std::to_string(d.lines[it->second]), true});
      continue;
    }
    if (!options.source.empty()) s.source = options.source;
    d.specs.push_back(std::move(s));
    d.lines.push_back(e.line);
  }
  d.found.assign(d.specs.size(), false);
  p.desired = d.specs.size();
  return d;
}

// Phase 3: every indicator of the scope, compared page by page with the feed and dropped.
std::optional<Response> read_scope(const IOC& ioc, const Options& options,
                                   std::chrono::system_clock::time_point now, Desired& d, Plan& p,
                                   ScopeRead& out) {
  IndicatorCombinedOptions q;
  q.filter = p.scope;
  q.limit = std::clamp<std::int64_t>(options.page_size, 1, 2000);
  Response last = combined_all(
      ioc, q,
      [&](Response& page) {
        ++p.requests;
        for (const Indicator& have : page.resources_as<Indicator>()) {
          ++p.existing;
          const auto it = d.index.find(rules::key_of_any(have.type, have.value));
          if (it != d.index.end() && !d.found[it->second]) {
            d.found[it->second] = true;
            Change c;
            c.kind = ChangeKind::update;
            c.type = have.type;
            c.value = have.value;
            c.id = have.id;
            c.line = d.lines[it->second];
            diff(d.specs[it->second], have, expired_at(have, now), c.fields, c.write);
            if (c.fields.empty()) {
              ++p.unchanged;
            } else {
              c.write.id = have.id;
              out.updates.push_back(std::move(c));
            }
            continue;
          }
          // Not in the feed (or a second record of a value already matched).
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

// Phase 4: what the scope lacks, looked for outside it (conflicts). One count decides between
// looking the values up and reading every indicator (an empty tenant needs neither).
std::optional<Response> find_outside(const IOC& ioc, const Options& options, const Desired& d,
                                     const std::vector<std::size_t>& absent, Plan& p,
                                     std::unordered_map<std::string, Indicator>& outside) {
  if (absent.empty()) return std::nullopt;
  auto collect = [&](Response& page) {
    ++p.requests;
    for (Indicator& i : page.resources_as<Indicator>()) {
      const auto it = d.index.find(rules::key_of_any(i.type, i.value));
      // In the feed and not matched in the scope: it lives outside the scope.
      if (it != d.index.end() && !d.found[it->second]) outside.emplace(it->first, std::move(i));
    }
    return true;
  };
  IndicatorSearchOptions count;
  count.limit = 1;
  Response c = ioc.indicator_search(count, options.call);
  ++p.requests;
  if (!c.ok()) return c;
  const std::int64_t total = c.pagination().total.value_or(-1);
  if (total == 0) return std::nullopt;
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
    diff(s, have, expired_at(have, now), c.fields, c.write);
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
  Desired d = index_feed(desired, options, internal::enum_lookup(ioc.client()), p);
  ScopeRead scope;
  if (auto e = read_scope(ioc, options, now, d, p, scope)) {
    p.error = std::move(e);
    return p;
  }
  std::vector<std::size_t> absent;
  for (std::size_t i = 0; i < d.specs.size(); ++i) {
    if (!d.found[i]) absent.push_back(i);
  }
  std::unordered_map<std::string, Indicator> outside;
  if (auto e = find_outside(ioc, options, d, absent, p, outside)) {
    p.error = std::move(e);
    return p;
  }
  std::vector<Change> creates, adopts;
  place_absent(options, now, d, absent, outside, creates, adopts);
  // Creates in feed order; the rest as found.
  for (auto* group : {&creates, &scope.updates, &adopts, &scope.missing}) {
    for (auto& c : *group) p.changes.push_back(std::move(c));
  }
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

// The changes of a plan, by the request that carries them.
struct Groups {
  std::vector<std::size_t> creates, updates, expires, removes;
};

Groups group(const Plan& plan, Result& res) {
  Groups g;
  for (std::size_t i = 0; i < plan.changes.size(); ++i) {
    switch (plan.changes[i].kind) {
      case ChangeKind::create:
        g.creates.push_back(i);
        break;
      case ChangeKind::update:
      case ChangeKind::adopt:
        g.updates.push_back(i);
        break;
      case ChangeKind::expire:
        g.expires.push_back(i);
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

// Sends a plan's changes with the bulk helpers and records one outcome per change.
class Writer {
 public:
  Writer(const IOC& ioc, const Plan& plan, const BulkOptions& options, Result& res)
      : ioc_(ioc), plan_(plan), options_(options), res_(res) {
    expire_options_.ignore_warnings = true;
  }

  // Request bodies are built a slice at a time, so memory stays bounded for any plan size.
  void write(const std::vector<std::size_t>& idx, bool create, bool expire = false) {
    constexpr std::size_t kSlice = 8000;
    const BulkOptions& o = expire ? expire_options_ : options_;
    for (std::size_t start = 0; start < idx.size(); start += kSlice) {
      const std::size_t end = std::min(idx.size(), start + kSlice);
      json items = json::array();
      for (std::size_t k = start; k < end; ++k) items.push_back(plan_.changes[idx[k]].write);
      BulkResult r = create ? bulk_create(ioc_, items, o) : bulk_update(ioc_, items, o);
      res_.requests += r.requests;
      for (std::size_t k = 0; k < end - start && k < r.items.size(); ++k) {
        take(res_.outcomes[idx[start + k]], r.items[k]);
      }
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
    }
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
    const std::vector<std::size_t> lost = unknown(g.creates);
    if (!lost.empty()) {
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
      if (r.ok()) {
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
        }
        write(resend, true);
      }
    }
    write(unknown(g.updates), false);
    write(unknown(g.expires), false, true);
    remove(unknown(g.removes));
  }

 private:
  const IOC& ioc_;
  const Plan& plan_;
  const BulkOptions& options_;
  BulkOptions expire_options_ = options_;
  Result& res_;
};

}  // namespace

Result apply(const IOC& ioc, const Plan& plan, const BulkOptions& options) {
  Result res;
  res.outcomes.resize(plan.changes.size());
  for (std::size_t i = 0; i < plan.changes.size(); ++i) {
    res.outcomes[i].change = i;
    res.outcomes[i].id = plan.changes[i].id;
  }
  if (plan.error) {
    for (auto& o : res.outcomes) {
      o.error = internal::validation_error("plan", "the plan is incomplete (a read failed)");
    }
    return res;
  }
  const Groups g = group(plan, res);
  Writer w(ioc, plan, options, res);
  w.write(g.creates, true);
  w.write(g.updates, false);
  w.write(g.expires, false, true);
  w.remove(g.removes);
  w.settle(g);
  return res;
}

}  // namespace falcon::sync
