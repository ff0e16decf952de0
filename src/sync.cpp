// Sync: one streaming pass over the scope (the feed indexed by type+value), conflict lookups by
// value sets for what the scope lacks, then bulk writes. Memory: the feed plus the changes;
// unchanged scope records are compared and dropped page by page.
#include "falcon/sync.hpp"

#include <algorithm>
#include <unordered_map>

#include "falcon/fql.hpp"
#include "falcon/pagination.hpp"
#include "query.hpp"
#include "response_internal.hpp"
#include "strings.hpp"

namespace falcon::sync {

using nlohmann::json;

namespace {

// Falcon's zero time: an update with it clears the expiration.
constexpr const char* kNoExpiration = "0001-01-01T00:00:00Z";

std::string key_of(const std::string& type, const std::string& value) {
  return type + '\n' + value;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

json opt_json(const std::optional<std::string>& s) {
  return s ? json(*s) : json(nullptr);
}

std::optional<std::string> norm_time(const std::optional<std::string>& s) {
  if (!s || s->empty()) return std::nullopt;
  if (auto n = feeds::normalize_timestamp(*s)) {
    if (n->rfind("0001-01-01T00:00:00", 0) == 0) return std::nullopt;
    return n;
  }
  return s;
}

bool expired_at(const Indicator& i, std::chrono::system_clock::time_point now) {
  if (i.expired.value_or(false)) return true;
  auto e = norm_time(i.expiration);
  return e && *e <= fql::timestamp(now);
}

// Compares the managed fields `want` sets; fills `out` (the update item) and `fields`.
void diff(const IndicatorSpec& want, const Indicator& have, bool expired_now,
          std::vector<FieldChange>& fields, IndicatorSpec& out) {
  auto str_field = [&](const char* name, const std::optional<std::string>& w,
                       const std::optional<std::string>& h, std::optional<std::string>& o,
                       bool ci) {
    if (!w) return;
    std::string a = *w, b = h.value_or("");
    if (ci) {
      a = internal::lower(a);
      b = internal::lower(b);
    }
    if (a != b) {
      fields.push_back({name, opt_json(h), json(*w)});
      o = w;
    }
  };
  auto list_field = [&](const char* name, const std::optional<std::vector<std::string>>& w,
                        const std::vector<std::string>& h,
                        std::optional<std::vector<std::string>>& o) {
    if (!w) return;
    if (sorted(*w) != sorted(h)) {
      fields.push_back({name, json(h), json(*w)});
      o = w;
    }
  };
  str_field("action", want.action, have.action, out.action, true);
  str_field("severity", want.severity, have.severity, out.severity, true);
  str_field("mobile_action", want.mobile_action, have.mobile_action, out.mobile_action, true);
  str_field("description", want.description, have.description, out.description, false);
  list_field("platforms", want.platforms, have.platforms, out.platforms);
  list_field("tags", want.tags, have.tags, out.tags);
  list_field("host_groups", want.host_groups, have.host_groups, out.host_groups);
  if (want.applied_globally && *want.applied_globally != have.applied_globally.value_or(false)) {
    fields.push_back({"applied_globally",
                      have.applied_globally ? json(*have.applied_globally) : json(nullptr),
                      json(*want.applied_globally)});
    out.applied_globally = want.applied_globally;
  }
  const auto have_exp = norm_time(have.expiration);
  if (want.expiration) {
    const auto want_exp = norm_time(want.expiration);
    if (want_exp != have_exp) {
      fields.push_back({"expiration", opt_json(have_exp), json(*want.expiration)});
      out.expiration = want.expiration;
    }
  } else if (expired_now && have_exp) {
    // The feed lists it again without an end: bring it back from expiry.
    fields.push_back({"expiration", json(*have_exp), json(nullptr)});
    out.expiration = kNoExpiration;
    if (!out.action && want.action) out.action = want.action;
  }
}

struct Wanted {
  const IndicatorSpec* spec = nullptr;
  std::size_t line = 0;
  bool found = false;
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

Plan plan(const IOC& ioc, const std::vector<feeds::FeedEntry>& desired, const Options& options) {
  Plan p;
  p.on_missing = options.on_missing;
  p.source = options.source;
  const auto now = options.clock ? options.clock() : std::chrono::system_clock::now();

  if (options.scope && !options.scope->empty()) {
    p.scope = *options.scope;
  } else if (!options.source.empty() && options.source.size() <= 256) {
    p.scope = fql::eq("source", options.source).str();
  } else {
    p.error = make_error_response(internal::validation_error(
        "source", options.source.empty() ? "a sync needs a source name (1-256 characters) or a "
                                           "scope filter"
                                         : "source is longer than 256 characters"));
    return p;
  }

  // The feed, normalised and indexed. Normalised copies live in `specs`.
  std::vector<IndicatorSpec> specs;
  std::vector<std::size_t> lines;
  specs.reserve(desired.size());
  std::unordered_map<std::string, std::size_t> index;
  index.reserve(desired.size() * 2);
  for (const auto& e : desired) {
    IndicatorSpec s = e.spec;
    const std::string type = internal::lower(s.type.value_or(""));
    std::string why;
    auto value = feeds::normalize_value(type, s.value.value_or(""), &why);
    if (!value) {
      p.invalid.push_back({e.line, type.empty() ? "type" : "value", s.value.value_or(""), why});
      continue;
    }
    s.type = type;
    s.value = *value;
    auto [it, inserted] = index.emplace(key_of(type, *value), specs.size());
    if (!inserted) {
      p.invalid.push_back({e.line, "value", *value,
                           "duplicate of line " + std::to_string(lines[it->second]), true});
      continue;
    }
    if (!options.source.empty()) s.source = options.source;
    specs.push_back(std::move(s));
    lines.push_back(e.line);
  }
  p.desired = specs.size();
  std::vector<bool> found(specs.size(), false);

  std::vector<Change> updates, missing;
  IndicatorCombinedOptions q;
  q.filter = p.scope;
  q.limit = std::clamp<std::int64_t>(options.page_size, 1, 2000);
  Response last = combined_all(
      ioc, q,
      [&](Response& page) {
        ++p.requests;
        for (const auto& j : page.resources()) {
          const Indicator have = j.get<Indicator>();
          ++p.existing;
          const auto it = index.find(key_of(have.type, have.value));
          if (it != index.end() && !found[it->second]) {
            found[it->second] = true;
            Change c;
            c.kind = ChangeKind::update;
            c.type = have.type;
            c.value = have.value;
            c.id = have.id;
            c.line = lines[it->second];
            diff(specs[it->second], have, expired_at(have, now), c.fields, c.write);
            if (c.fields.empty()) {
              ++p.unchanged;
            } else {
              c.write.id = have.id;
              updates.push_back(std::move(c));
            }
            continue;
          }
          // Not in the feed (or a second record of a value already matched).
          if (options.on_missing == OnMissing::keep && it == index.end()) {
            ++p.kept;
            continue;
          }
          Change c;
          c.type = have.type;
          c.value = have.value;
          c.id = have.id;
          if (it == index.end() && options.on_missing == OnMissing::expire) {
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
          missing.push_back(std::move(c));
        }
        return true;
      },
      options.call);
  if (!last.ok()) {
    ++p.requests;
    p.error = std::move(last);
    return p;
  }

  // What the scope lacks: look for it outside the scope (conflicts), in value batches.
  std::vector<std::size_t> absent;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (!found[i]) absent.push_back(i);
  }
  bool absent_scan_done = false;
  std::unordered_map<std::string, Indicator> outside;
  auto collect = [&](Response& page) {
    ++p.requests;
    for (const auto& j : page.resources()) {
      Indicator i = j.get<Indicator>();
      const auto it = index.find(key_of(i.type, i.value));
      // In the feed and not matched in the scope: it lives outside the scope.
      if (it != index.end() && !found[it->second]) outside.emplace(it->first, std::move(i));
    }
    return true;
  };
  const std::size_t per = std::clamp<std::size_t>(options.lookup_batch, 1, 500);
  if (!absent.empty()) {
    // Looking values up costs absent/per requests; reading every indicator outside the scope
    // costs outside/2000. One count decides (an empty tenant needs no lookups at all).
    IndicatorSearchOptions count;
    count.limit = 1;
    Response c = ioc.indicator_search(count, options.call);
    ++p.requests;
    if (!c.ok()) {
      p.error = std::move(c);
      return p;
    }
    // The scan reads the scope again too: it costs total/2000 pages.
    const std::int64_t total = c.pagination().total.value_or(-1);
    const auto lookups = static_cast<std::int64_t>((absent.size() + per - 1) / per);
    if (total == 0) {
      absent_scan_done = true;
    } else if (total > 0 && total / 2000 + (total % 2000 != 0 ? 1 : 0) < lookups) {
      IndicatorCombinedOptions all;
      all.limit = 2000;
      Response r = combined_all(ioc, all, collect, options.call);
      if (!r.ok()) {
        ++p.requests;
        p.error = std::move(r);
        return p;
      }
      absent_scan_done = true;
    }
  }
  for (std::size_t start = 0; !absent_scan_done && start < absent.size(); start += per) {
    std::vector<std::string> values;
    for (std::size_t k = start; k < std::min(absent.size(), start + per); ++k) {
      values.push_back(*specs[absent[k]].value);
    }
    IndicatorCombinedOptions lq;
    lq.filter = fql::any_of("value", values).str();
    lq.limit = 2000;
    Response r = combined_all(ioc, lq, collect, options.call);
    if (!r.ok()) {
      ++p.requests;
      p.error = std::move(r);
      return p;
    }
  }

  std::vector<Change> creates, adopts;
  for (std::size_t i : absent) {
    IndicatorSpec& s = specs[i];
    Change c;
    c.type = *s.type;
    c.value = *s.value;
    c.line = lines[i];
    const auto o = outside.find(key_of(c.type, c.value));
    if (o == outside.end()) {
      c.kind = ChangeKind::create;
      c.write = std::move(s);  // specs[i] is not read again
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
  // Creates in feed order; the rest as found.
  for (auto* group : {&creates, &updates, &adopts, &missing}) {
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
  std::vector<std::size_t> creates, updates, expires, removes;
  for (std::size_t i = 0; i < plan.changes.size(); ++i) {
    switch (plan.changes[i].kind) {
      case ChangeKind::create:
        creates.push_back(i);
        break;
      case ChangeKind::update:
      case ChangeKind::adopt:
        updates.push_back(i);
        break;
      case ChangeKind::expire:
        expires.push_back(i);
        break;
      case ChangeKind::remove:
        removes.push_back(i);
        break;
      case ChangeKind::conflict:
        res.outcomes[i].ok = true;
        res.outcomes[i].skipped = true;
        break;
    }
  }

  // Request bodies are built a slice at a time, so memory stays bounded for any plan size.
  constexpr std::size_t kSlice = 8000;
  auto write = [&](const std::vector<std::size_t>& idx, bool create, const BulkOptions& o) {
    for (std::size_t start = 0; start < idx.size(); start += kSlice) {
      const std::size_t end = std::min(idx.size(), start + kSlice);
      json items = json::array();
      for (std::size_t k = start; k < end; ++k) items.push_back(plan.changes[idx[k]].write);
      BulkResult r = create ? bulk_create(ioc, items, o) : bulk_update(ioc, items, o);
      res.requests += r.requests;
      for (std::size_t k = 0; k < end - start && k < r.items.size(); ++k) {
        take(res.outcomes[idx[start + k]], r.items[k]);
      }
    }
  };
  auto remove = [&](const std::vector<std::size_t>& idx) {
    if (idx.empty()) return;
    std::vector<std::string> ids;
    for (auto i : idx) ids.push_back(plan.changes[i].id);
    BulkResult r = bulk_delete(ioc, ids, options);
    res.requests += r.requests;
    for (std::size_t k = 0; k < idx.size() && k < r.items.size(); ++k) {
      take(res.outcomes[idx[k]], r.items[k]);
    }
  };
  BulkOptions expire_opts = options;
  expire_opts.ignore_warnings = true;

  write(creates, true, options);
  write(updates, false, options);
  write(expires, false, expire_opts);
  remove(removes);

  // Settle writes whose fate is unknown (the connection died after sending).
  auto unknown = [&](const std::vector<std::size_t>& idx) {
    std::vector<std::size_t> out;
    for (auto i : idx) {
      if (!res.outcomes[i].ok && res.outcomes[i].outcome_unknown) out.push_back(i);
    }
    return out;
  };
  std::vector<std::size_t> lost = unknown(creates);
  if (!lost.empty()) {
    std::unordered_map<std::string, std::string> ids;
    bool looked = true;
    for (std::size_t start = 0; start < lost.size() && looked; start += 100) {
      std::vector<std::string> values;
      for (std::size_t k = start; k < std::min(lost.size(), start + 100); ++k) {
        values.push_back(plan.changes[lost[k]].value);
      }
      IndicatorCombinedOptions q;
      q.filter = fql::any_of("value", values).str();
      q.limit = 2000;
      Response r = combined_all(
          ioc, q,
          [&](Response& page) {
            ++res.requests;
            for (const auto& j : page.resources()) {
              ids[key_of(j.value("type", ""), j.value("value", ""))] = j.value("id", "");
            }
            return true;
          },
          options.call);
      looked = r.ok();
    }
    if (looked) {
      std::vector<std::size_t> resend;
      for (auto i : lost) {
        const auto it = ids.find(key_of(plan.changes[i].type, plan.changes[i].value));
        if (it != ids.end()) {
          auto& o = res.outcomes[i];
          o = Outcome{};
          o.change = i;
          o.ok = true;
          o.id = it->second;
        } else {
          resend.push_back(i);
        }
      }
      write(resend, true, options);
    }
  }
  write(unknown(updates), false, options);
  write(unknown(expires), false, expire_opts);
  remove(unknown(removes));
  return res;
}

}  // namespace falcon::sync
