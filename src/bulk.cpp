// Bulk writes: batches, a small worker pool, and per-item outcomes. Only a 400 carrying row
// messages (which writes nothing) leads to a resend, and only of the rows it did not blame.
#include "falcon/bulk.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "falcon/fql.hpp"
#include "falcon/indicators.hpp"
#include "falcon/pagination.hpp"
#include "lookups.hpp"
#include "ops.hpp"
#include "query.hpp"
#include "strings.hpp"
#include "validate.hpp"
#include "value_lists.hpp"

namespace falcon {

using nlohmann::json;

std::size_t BulkResult::succeeded() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(items.begin(), items.end(), [](const BulkItem& i) { return i.ok; }));
}

namespace {

enum class Kind { create, update };

struct Shared {
  std::mutex mu;
  BulkResult result;
};

// A reply that leaves a write's fate unknown: the request went out and no answer said whether
// it was applied (a 5xx, a timeout or a connection lost after sending).
bool maybe_written(const Response& r) {
  if (r.status_code >= 500) return true;
  return r.status_code == 0 && r.error &&
         (r.error->kind == ErrorKind::transport || r.error->kind == ErrorKind::timeout) &&
         r.error->request_sent;
}

Error decode_error(std::string message, int status) {
  Error e;
  e.kind = ErrorKind::decode;
  e.message = std::move(message);
  if (status > 0) e.message += " (HTTP " + std::to_string(status) + ")";
  return e;
}

// A string member of a JSON object, or "" (never throws on a number, null or missing key).
std::string str_member(const json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void fail_batch(Shared& s, const std::vector<std::size_t>& idx, const Response& r) {
  std::lock_guard<std::mutex> lock(s.mu);
  for (auto i : idx) {
    auto& item = s.result.items[i];
    item.ok = false;
    item.status_code = r.status_code;
    item.error = r.error;
    item.outcome_unknown = maybe_written(r);
    if (!r.error) {
      for (const auto& e : r.api_errors()) {
        item.messages.push_back(RowMessage{0, "", "", "error", "", e.message});
      }
    }
  }
}

// Runs fn(batch) for every batch on up to `concurrency` threads, the caller's included.
template <typename Fn>
void for_each_batch(std::size_t batches, std::size_t concurrency, Fn&& fn) {
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t b = next++; b < batches; b = next++) fn(b);
  };
  const std::size_t threads = std::min(std::clamp<std::size_t>(concurrency, 1, 16), batches);
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
}

std::string key_of(const json& j) {
  return rules::key_of_any(str_member(j, "type"), str_member(j, "value"));
}

// Marks every item of `idx` failed with a decode error: the reply could not be matched to them.
void fail_decode(Shared& s, const std::vector<std::size_t>& idx, const Error& e, int status) {
  std::lock_guard<std::mutex> lock(s.mu);
  for (auto i : idx) {
    auto& item = s.result.items[i];
    item.ok = false;
    item.status_code = status;
    item.error = e;
    item.outcome_unknown = status >= 200 && status < 300;  // it was written, ids unknown
  }
}

bool fql_quotable(const std::string& v) {
  return !v.empty() && v.find_first_of("'\\") == std::string::npos;
}

bool same_value(const json& sent, const json& stored) {
  if (sent.is_array() && stored.is_array()) {
    std::set<std::string> a, b;
    for (const auto& x : sent) a.insert(x.dump());
    for (const auto& x : stored) b.insert(x.dump());
    return a == b;
  }
  if (sent.is_string() && stored.is_string()) {
    return internal::iequals(sent.get_ref<const std::string&>(),
                             stored.get_ref<const std::string&>());
  }
  return sent == stored;
}

// After a reply that may have hidden a write, looks each item up: a create by type+value, an
// update by id with its fields compared. Items found written are marked ok (with their id);
// `absent` gets the items provably not written, which are safe to send again. False when a
// lookup failed: nothing is then known.
bool reconcile(const IOC& ioc, Kind kind, const json& input, const std::vector<std::size_t>& idx,
               const BulkOptions& o, Shared& s, std::vector<std::size_t>& absent) {
  std::map<std::string, json> found;  // key_of() (create) or id (update) -> record
  auto keep = [&](Response& page) {
    {
      std::lock_guard<std::mutex> lock(s.mu);
      ++s.result.requests;
    }
    for (const auto& rec : page.resources()) {
      const std::string id = str_member(rec, "id");
      if (!id.empty()) found.emplace(kind == Kind::create ? key_of(rec) : id, rec);
    }
    return true;
  };
  if (kind == Kind::create) {
    std::map<std::string, std::vector<std::string>> by_type;
    for (auto i : idx) {
      const std::string v = str_member(input[i], "value");
      if (!fql_quotable(v)) return false;
      by_type[internal::lower(str_member(input[i], "type"))].push_back(v);
    }
    for (const auto& [type, values] : by_type) {
      if (!fql_quotable(type)) return false;
      Response r = combined_any_of(ioc, "value", values, keep, o.call, fql::eq("type", type));
      if (!r.ok()) return false;
    }
  } else {
    std::vector<std::string> ids;
    for (auto i : idx) ids.push_back(str_member(input[i], "id"));
    Response r = get_indicators(ioc, ids, o.call);
    if (!r.ok() && r.status_code != 404) return false;
    keep(r);
  }
  std::lock_guard<std::mutex> lock(s.mu);
  for (auto i : idx) {
    auto& item = s.result.items[i];
    const json& sent = input[i];
    auto it = found.find(kind == Kind::create ? key_of(sent) : str_member(sent, "id"));
    if (it == found.end()) {
      if (kind == Kind::create) {
        absent.push_back(i);
      } else {
        item.ok = false;
        item.error = internal::validation_error("indicators[" + std::to_string(i) + "].id",
                                                "no indicator has this id");
        item.outcome_unknown = false;
      }
      continue;
    }
    bool applied = true;
    if (kind == Kind::update) {
      for (const auto& [k, v] : sent.items()) {
        if (k == "id" || k == "comment" || v.is_null()) continue;
        auto stored = it->second.find(k);
        if (stored == it->second.end() || !same_value(v, *stored)) applied = false;
      }
    }
    if (!applied) {
      absent.push_back(i);
      continue;
    }
    item.ok = true;
    item.error.reset();
    item.outcome_unknown = false;
    item.status_code = 0;
    item.id = str_member(it->second, "id");
  }
  return true;
}

void write_batch(const IOC& ioc, Kind kind, const json& input, std::vector<std::size_t> idx,
                 const BulkOptions& o, Shared& s) {
  // A resend after row errors only ever drops rows; one after a reconciliation is bounded.
  constexpr int kMaxReconciliations = 3;
  int reconciliations = 0;
  while (!idx.empty()) {
    json list = json::array();
    for (auto i : idx) list.push_back(input[i]);
    Response r;
    if (kind == Kind::create) {
      IndicatorCreateOptions c;
      c.comment = o.comment;
      c.ignore_warnings = o.ignore_warnings;
      c.retrodetects = o.retrodetects;
      c.indicators = std::move(list);
      r = ioc.indicator_create(c, o.call);
    } else {
      IndicatorUpdateOptions u;
      u.comment = o.comment;
      u.ignore_warnings = o.ignore_warnings;
      u.retrodetects = o.retrodetects;
      u.indicators = std::move(list);
      r = ioc.indicator_update(u, o.call);
    }
    {
      std::lock_guard<std::mutex> lock(s.mu);
      ++s.result.requests;
    }
    if (r.ok()) {
      // Match the records to the items: by id for updates, by type+value for creates.
      std::map<std::string, std::string> ids;
      for (const auto& rec : r.resources()) {
        const std::string id = str_member(rec, "id");
        if (id.empty()) {
          fail_decode(
              s, idx,
              decode_error("a record of the reply has no string id: " + rec.dump().substr(0, 120),
                           r.status_code),
              r.status_code);
          return;
        }
        ids.emplace(kind == Kind::update ? id : key_of(rec), id);
      }
      std::lock_guard<std::mutex> lock(s.mu);
      for (auto i : idx) {
        auto& item = s.result.items[i];
        item.ok = true;
        item.status_code = r.status_code;
        const std::string key =
            kind == Kind::update ? str_member(input[i], "id") : key_of(input[i]);
        if (auto it = ids.find(key); it != ids.end()) item.id = it->second;
      }
      return;
    }
    std::vector<RowMessage> rows;
    if (r.status_code == 400 && !r.error) {
      for (const auto& m : r.resources()) {
        if (m.is_object() && m.contains("row") && m.contains("message_type")) {
          try {
            rows.push_back(m.get<RowMessage>());
          } catch (const json::exception&) {
            // A row message of an unexpected shape blames nothing we can match.
          }
        }
      }
    }
    if (rows.empty()) {
      if (maybe_written(r) && reconciliations < kMaxReconciliations) {
        ++reconciliations;
        std::vector<std::size_t> absent;
        if (reconcile(ioc, kind, input, idx, o, s, absent)) {
          idx = std::move(absent);  // only what is provably not written goes again
          continue;
        }
      }
      fail_batch(s, idx, r);
      return;
    }
    std::vector<bool> blocked(idx.size(), false);
    {
      std::lock_guard<std::mutex> lock(s.mu);
      for (const auto& row : rows) {
        if (row.row < 1 || static_cast<std::size_t>(row.row) > idx.size()) continue;
        const std::size_t pos = static_cast<std::size_t>(row.row - 1);
        auto& item = s.result.items[idx[pos]];
        item.messages.push_back(row);
        const bool blocks = row.is_error() || !o.ignore_warnings.value_or(false);
        if (blocks) {
          blocked[pos] = true;
          item.ok = false;
          item.status_code = r.status_code;
        }
      }
    }
    std::vector<std::size_t> rest;
    for (std::size_t p = 0; p < idx.size(); ++p) {
      if (!blocked[p]) rest.push_back(idx[p]);
    }
    if (rest.size() == idx.size()) {  // the reply blamed no row we sent: give up on the batch
      fail_batch(s, idx, r);
      return;
    }
    idx = std::move(rest);
  }
}

BulkResult run(const IOC& ioc, Kind kind, const json& input, const BulkOptions& o) {
  Shared s;
  if (!input.is_array()) {
    BulkItem item;
    item.error = internal::validation_error("indicators", "bulk input must be a JSON array");
    s.result.items.push_back(std::move(item));
    return std::move(s.result);
  }
  s.result.items.resize(input.size());
  const bool validate = ioc.client().config().validate;
  const rules::EnumLookup lookup = internal::enum_lookup(ioc.client());
  std::vector<std::size_t> good;
  for (std::size_t i = 0; i < input.size(); ++i) {
    auto& item = s.result.items[i];
    item.index = i;
    if (kind == Kind::update) item.id = str_member(input[i], "id");
    if (validate) {
      if (auto e = internal::check_indicator(input[i], "indicators[" + std::to_string(i) + "].",
                                             kind == Kind::create, lookup)) {
        item.error = std::move(e);
        continue;
      }
    }
    good.push_back(i);
  }
  const std::size_t batch = o.batch_size == 0
                                ? internal::kMaxIndicatorsPerWrite
                                : std::min(o.batch_size, internal::kMaxIndicatorsPerWrite);
  std::vector<std::vector<std::size_t>> batches;
  for (std::size_t start = 0; start < good.size(); start += batch) {
    batches.emplace_back(
        good.begin() + static_cast<std::ptrdiff_t>(start),
        good.begin() + static_cast<std::ptrdiff_t>(std::min(good.size(), start + batch)));
  }
  for_each_batch(batches.size(), o.concurrency, [&](std::size_t b) {
    // Nothing may escape a worker thread: std::terminate would take the caller's process.
    try {
      write_batch(ioc, kind, input, batches[b], o, s);
    } catch (const std::exception& e) {
      fail_decode(s, batches[b], decode_error(std::string("unexpected reply: ") + e.what(), 0), 0);
    }
  });
  return std::move(s.result);
}

void delete_batch(const IOC& ioc, const std::vector<std::string>& ids,
                  const std::vector<std::size_t>& batch, const BulkOptions& o, Shared& s) {
  IndicatorDeleteOptions d;
  d.ids = StringList{};
  for (auto i : batch) d.ids->push_back(ids[i]);
  d.comment = o.comment;
  Response r = ioc.indicator_delete(d, o.call);
  if (!r.ok()) fail_batch(s, batch, r);
  std::lock_guard<std::mutex> lock(s.mu);
  ++s.result.requests;
  if (!r.ok()) return;
  // The reply lists the ids it deleted; an id it does not list was not deleted.
  std::set<std::string> deleted;
  for (const auto& id : r.resources()) {
    if (id.is_string()) deleted.insert(id.get<std::string>());
  }
  for (auto i : batch) {
    auto& item = s.result.items[i];
    item.status_code = r.status_code;
    item.ok = deleted.count(ids[i]) > 0;
    if (!item.ok) {
      item.messages.push_back(RowMessage{0, ids[i], "", "error", "id", "not deleted"});
    }
  }
}

}  // namespace

BulkResult bulk_create(const IOC& ioc, const json& indicators, const BulkOptions& options) {
  return run(ioc, Kind::create, indicators, options);
}

BulkResult bulk_update(const IOC& ioc, const json& indicators, const BulkOptions& options) {
  return run(ioc, Kind::update, indicators, options);
}

BulkResult bulk_delete(const IOC& ioc, const std::vector<std::string>& ids,
                       const BulkOptions& options) {
  // Ids travel in the URL: batches are cut by encoded bytes (and at most 500 ids, or
  // batch_size), with room for the comment parameter.
  constexpr std::size_t kMaxIdsPerDelete = 500;
  Shared s;
  s.result.items.resize(ids.size());
  const std::size_t cap =
      options.batch_size == 0 ? kMaxIdsPerDelete : std::min(options.batch_size, kMaxIdsPerDelete);
  std::vector<std::size_t> good;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto& item = s.result.items[i];
    item.index = i;
    item.id = ids[i];
    if (ids[i].empty()) {
      item.error = internal::validation_error("ids[" + std::to_string(i) + "]", "empty id");
      continue;
    }
    good.push_back(i);
  }
  const std::size_t reserved =
      options.comment ? internal::percent_encoded_size(*options.comment) + 9 : 0;  // comment=…&
  const std::size_t budget =
      internal::query_budget(internal::endpoint(internal::Op::indicator_delete).route, reserved);
  std::vector<std::vector<std::size_t>> batches;
  for (const auto& [start, end] : internal::runs_within(good.size(), budget, [&](std::size_t k) {
         return internal::percent_encoded_size(ids[good[k]]) + 5;  // ids=…&
       })) {
    for (std::size_t b = start; b < end; b += cap) {
      batches.emplace_back(good.begin() + static_cast<std::ptrdiff_t>(b),
                           good.begin() + static_cast<std::ptrdiff_t>(std::min(end, b + cap)));
    }
  }
  for_each_batch(batches.size(), options.concurrency, [&](std::size_t b) {
    try {
      delete_batch(ioc, ids, batches[b], options, s);
    } catch (const std::exception& e) {
      fail_decode(s, batches[b], decode_error(std::string("unexpected reply: ") + e.what(), 0), 0);
    }
  });
  return std::move(s.result);
}

}  // namespace falcon
