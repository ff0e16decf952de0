// sync's writer: a plan's changes through the bulk helpers, grouped by request, with
// ignore_warnings where an expiration is past, unknown outcomes settled, and each confirmed
// change journaled.
#include <algorithm>
#include <ostream>
#include <unordered_map>

#include "falcon/fql.hpp"
#include "falcon/pagination.hpp"
#include "query.hpp"
#include "sync_internal.hpp"

namespace falcon::internal::sync_core {

using nlohmann::json;
using namespace falcon::sync;

Journal::Journal(std::ostream* out, const Plan& plan) : out_(out) {
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

void Journal::record(const Change& c, const Outcome& o) {
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

void Journal::flush() {
  if (out_ != nullptr) out_->flush();
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

// Sends a plan's changes with the bulk helpers and records one outcome per change.
class Writer {
 public:
  Writer(const IOC& ioc, const Plan& plan, const BulkOptions& options, Result& res,
         Journal& journal, Pacer* pacer, const std::function<bool()>& stop)
      : ioc_(ioc),
        plan_(plan),
        options_(options),
        res_(res),
        journal_(journal),
        pacer_(pacer),
        stop_(stop) {
    urgent_options_.ignore_warnings = true;
  }

  // Request bodies are built a batch at a time (memory stays bounded for any plan size), and
  // each batch is journaled once confirmed.
  void write(const std::vector<std::size_t>& idx, bool create, bool urgent = false) {
    const BulkOptions& o = urgent ? urgent_options_ : options_;
    const std::size_t slice =
        std::clamp<std::size_t>(o.batch_size == 0 ? 2000 : o.batch_size, 1, 2000);
    for (std::size_t start = 0; start < idx.size(); start += slice) {
      if (stopped()) return not_sent(idx, start);
      const std::size_t end = std::min(idx.size(), start + slice);
      json items = json::array();
      for (std::size_t k = start; k < end; ++k) {
        const Change& c = plan_.changes[idx[k]];
        json item = c.write;
        for (const auto& f : c.reset) item[f] = nullptr;
        items.push_back(std::move(item));
      }
      if (pacer_ != nullptr) pacer_->before(1);
      BulkResult r = create ? bulk_create(ioc_, items, o) : bulk_update(ioc_, items, o);
      res_.requests += r.requests;
      for (std::size_t k = 0; k < end - start && k < r.items.size(); ++k) {
        take(res_.outcomes[idx[start + k]], r.items[k]);
        journal_.record(plan_.changes[idx[start + k]], res_.outcomes[idx[start + k]]);
      }
      journal_.flush();
    }
  }

  // In slices of 2,000 ids, so a stop lands between requests and the pacing stays even.
  void remove(const std::vector<std::size_t>& idx) {
    constexpr std::size_t kSlice = 2000;
    for (std::size_t start = 0; start < idx.size(); start += kSlice) {
      if (stopped()) return not_sent(idx, start);
      const std::size_t end = std::min(idx.size(), start + kSlice);
      std::vector<std::string> ids;
      ids.reserve(end - start);
      for (std::size_t k = start; k < end; ++k) ids.push_back(plan_.changes[idx[k]].id);
      if (pacer_ != nullptr) pacer_->before((ids.size() + 99) / 100);
      BulkResult r = bulk_delete(ioc_, ids, options_);
      res_.requests += r.requests;
      for (std::size_t k = 0; k < end - start && k < r.items.size(); ++k) {
        take(res_.outcomes[idx[start + k]], r.items[k]);
        journal_.record(plan_.changes[idx[start + k]], res_.outcomes[idx[start + k]]);
      }
      journal_.flush();
    }
  }

  // ApplyOptions::stop, asked once per request; once true it stays true.
  bool stopped() {
    if (!stopped_ && stop_ && stop_()) stopped_ = true;
    return stopped_;
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
    if (stopped()) return;
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
  void not_sent(const std::vector<std::size_t>& idx, std::size_t from) {
    for (std::size_t k = from; k < idx.size(); ++k) {
      auto& o = res_.outcomes[idx[k]];
      o.ok = false;
      o.error = internal::validation_error("sync", kNotSent);
    }
  }

  const IOC& ioc_;
  const Plan& plan_;
  const BulkOptions& options_;
  BulkOptions urgent_options_ = options_;
  Result& res_;
  Journal& journal_;
  Pacer* pacer_;
  const std::function<bool()>& stop_;
  bool stopped_ = false;
};

}  // namespace

Result write_changes(const IOC& ioc, const Plan& plan, const BulkOptions& options, Journal& journal,
                     Pacer* pacer, const std::function<bool()>& stop) {
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
  Writer w(ioc, plan, options, res, journal, pacer, stop);
  w.write(g.creates, true);
  w.write(g.urgent_creates, true, true);
  w.write(g.updates, false);
  w.write(g.urgent_updates, false, true);
  w.remove(g.removes);
  w.settle(g);
  return res;
}

}  // namespace falcon::internal::sync_core

namespace falcon::sync {

Result apply(const IOC& ioc, const Plan& plan, const ApplyOptions& options) {
  internal::sync_core::Journal journal(options.journal, plan);
  internal::sync_core::Pacer pacer(static_cast<double>(plan.rate_limit.value_or(6000)) *
                                       std::clamp(options.rate_share, 0.0, 1.0),
                                   ioc.client().config().sleeper);
  return internal::sync_core::write_changes(ioc, plan, options.bulk, journal, &pacer, options.stop);
}

Result apply(const IOC& ioc, const Plan& plan, const BulkOptions& options) {
  ApplyOptions o;
  o.bulk = options;
  return apply(ioc, plan, o);
}

}  // namespace falcon::sync
