// Bulk writes: batches, a small worker pool, and per-item outcomes. Only a 400 carrying row
// messages (which writes nothing) leads to a resend, and only of the rows it did not blame.
#include "falcon/bulk.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "internal.hpp"
#include "validate.hpp"

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

void fail_batch(Shared& s, const std::vector<std::size_t>& idx, const Response& r) {
  std::lock_guard<std::mutex> lock(s.mu);
  for (auto i : idx) {
    auto& item = s.result.items[i];
    item.ok = false;
    item.status_code = r.status_code;
    item.error = r.error;
    // A transport failure after sending leaves the write's fate unknown.
    item.outcome_unknown =
        r.error && (r.error->kind == ErrorKind::transport || r.error->kind == ErrorKind::timeout) &&
        r.error->request_sent;
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
  return internal::lower(j.value("type", "")) + "\n" + j.value("value", "");
}

void write_batch(const IOC& ioc, Kind kind, const json& input, std::vector<std::size_t> idx,
                 const BulkOptions& o, Shared& s) {
  // A resend only ever drops rows, so this ends after at most idx.size() rounds.
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
        if (!rec.is_object()) continue;
        const std::string id = rec.value("id", "");
        ids.emplace(kind == Kind::update ? id : key_of(rec), id);
      }
      std::lock_guard<std::mutex> lock(s.mu);
      for (auto i : idx) {
        auto& item = s.result.items[i];
        item.ok = true;
        item.status_code = r.status_code;
        const std::string key = kind == Kind::update ? input[i].value("id", "") : key_of(input[i]);
        if (auto it = ids.find(key); it != ids.end()) item.id = it->second;
      }
      return;
    }
    std::vector<RowMessage> rows;
    if (r.status_code == 400 && !r.error) {
      for (const auto& m : r.resources()) {
        if (m.is_object() && m.contains("row") && m.contains("message_type")) {
          rows.push_back(m.get<RowMessage>());
        }
      }
    }
    if (rows.empty()) {
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
  std::vector<std::size_t> good;
  for (std::size_t i = 0; i < input.size(); ++i) {
    auto& item = s.result.items[i];
    item.index = i;
    if (kind == Kind::update && input[i].is_object()) item.id = input[i].value("id", "");
    if (validate) {
      if (auto e = internal::check_indicator(input[i], "indicators[" + std::to_string(i) + "].",
                                             kind == Kind::create)) {
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
  for_each_batch(batches.size(), o.concurrency,
                 [&](std::size_t b) { write_batch(ioc, kind, input, batches[b], o, s); });
  return std::move(s.result);
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
  constexpr std::size_t kMaxIdsPerDelete = 100;  // ids travel in the URL: 100 x 64 hex stays under 8 KiB
  Shared s;
  s.result.items.resize(ids.size());
  std::vector<std::vector<std::size_t>> batches;
  const std::size_t batch =
      options.batch_size == 0 ? kMaxIdsPerDelete : std::min(options.batch_size, kMaxIdsPerDelete);
  std::vector<std::size_t> current;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto& item = s.result.items[i];
    item.index = i;
    item.id = ids[i];
    if (ids[i].empty()) {
      item.error = internal::validation_error("ids[" + std::to_string(i) + "]", "empty id");
      continue;
    }
    current.push_back(i);
    if (current.size() == batch) batches.push_back(std::move(current)), current.clear();
  }
  if (!current.empty()) batches.push_back(std::move(current));
  for_each_batch(batches.size(), options.concurrency, [&](std::size_t b) {
    IndicatorDeleteOptions d;
    d.ids = StringList{};
    for (auto i : batches[b]) d.ids->push_back(ids[i]);
    d.comment = options.comment;
    Response r = ioc.indicator_delete(d, options.call);
    if (!r.ok()) fail_batch(s, batches[b], r);
    std::lock_guard<std::mutex> lock(s.mu);
    ++s.result.requests;
    if (!r.ok()) return;
    // The reply lists the ids it deleted; an id it does not list was not deleted.
    std::set<std::string> deleted;
    for (const auto& id : r.resources()) {
      if (id.is_string()) deleted.insert(id.get<std::string>());
    }
    for (auto i : batches[b]) {
      auto& item = s.result.items[i];
      item.status_code = r.status_code;
      item.ok = deleted.count(ids[i]) > 0;
      if (!item.ok) {
        item.messages.push_back(RowMessage{0, ids[i], "", "error", "id", "not deleted"});
      }
    }
  });
  return std::move(s.result);
}

}  // namespace falcon
