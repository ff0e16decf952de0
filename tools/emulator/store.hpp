// The indicator store: api.IndicatorV1 records in compact typed form (record.hpp), indexed by id
// and by active type+value, guarded by a shared_mutex, optionally persisted: a snapshot (the state
// file) plus an append-only journal (<state file>.journal) of the records each write changed,
// folded into a new snapshot once it outgrows it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "record.hpp"
#include "util.hpp"

namespace falcon::emulator {

/// A sort value normalized so that records, and the value inside an `after` cursor, compare
/// the same way: booleans < numbers < times < strings, nulls last in either direction.
struct SortKey {
  int kind = 4;  // 0 bool, 1 number, 2 time, 3 string, 4 null
  double num = 0;
  std::int64_t time = 0;
  std::string str;
};

bool is_time_sort_field(const std::string& field);
/// `v` is a record's value of the sort field (or the value stored in a cursor).
SortKey make_sort_key(const nlohmann::json& v, bool time_field);
/// Three-way; nulls sort last whatever the direction.
int compare_sort_keys(const SortKey& a, const SortKey& b, bool descending);

/// An ordered index over the non-deleted records: by `group_field`'s value (when not empty:
/// records with equal values are contiguous), then the sort field, then id ascending.
struct IndexSpec {
  std::string group_field;  ///< "" or one of IndicatorStore::group_fields()
  std::string sort_field;
  bool descending = false;
  friend bool operator<(const IndexSpec& a, const IndexSpec& b) {
    return std::tie(a.group_field, a.sort_field, a.descending) <
           std::tie(b.group_field, b.sort_field, b.descending);
  }
};

/// One page read from an index.
struct IndexPage {
  std::vector<nlohmann::json> records;
  std::size_t total = 0;  ///< records in the group (all non-deleted ones without a group)
  std::size_t start = 0;  ///< position of records[0] in the group
};

class IndicatorStore {
 public:
  /// Read access, valid only inside read()/write().
  class View {
   public:
    /// The record rendered as JSON, or nullopt.
    std::optional<nlohmann::json> find(const std::string& id) const;
    bool contains(const std::string& id) const;
    /// The id of the non-deleted record with this type and (normalized) value, if any.
    std::optional<std::string> active_id(const std::string& type, const std::string& value) const;
    /// Renders every record in turn (O(N) renders: the cost of a filter no index answers).
    void for_each(const std::function<void(const nlohmann::json&)>& fn) const;
    /// As above, rendering only the top-level `keys` (and the id) of each record.
    void for_each(const std::vector<std::string>& keys,
                  const std::function<void(const nlohmann::json&)>& fn) const;
    std::size_t size() const;

    /// One page from the index `spec` (nullopt when it was never built): the records of
    /// group `group` (ignored without a group field) from position `offset`, or strictly
    /// after (`after_key`, `after_id`) when `after_key` is given; at most `limit`.
    /// O(log N + limit): positions come from an order-statistics tree.
    std::optional<IndexPage> page(const IndexSpec& spec, const std::string& group,
                                  std::size_t offset, const SortKey* after_key,
                                  const std::string& after_id, std::size_t limit) const;

   protected:
    friend class IndicatorStore;
    explicit View(const IndicatorStore& s) : store_(s) {}
    const IndicatorStore& store_;
  };

  /// Write access, valid only inside write(). Records are replaced whole, so indexes stay right.
  class Tx : public View {
   public:
    /// Inserts or replaces the record with record["id"].
    void put(nlohmann::json record);

   private:
    friend class IndicatorStore;
    explicit Tx(IndicatorStore& s) : View(s), mut_(s) {}
    IndicatorStore& mut_;
    std::vector<std::string> changed_;  // ids put, in order (repeats allowed)
  };

  /// `state_file` empty: in memory only.
  explicit IndicatorStore(std::string state_file = {});
  ~IndicatorStore();
  IndicatorStore(const IndicatorStore&) = delete;
  IndicatorStore& operator=(const IndicatorStore&) = delete;

  /// Checks the state file's folder exists and is writable, removes temporary files an
  /// earlier crash left there, loads the snapshot if it exists (an empty file counts as no
  /// indicators), replays the journal and compacts. Throws std::runtime_error when the folder
  /// is unusable or a file cannot be read or is not one this emulator wrote.
  void load();

  /// Folds the journal into the snapshot now (the emulator does so when it stops).
  void compact();

  /// Journal bytes that trigger a compaction: the larger of this and the last snapshot's size.
  static constexpr std::size_t kMinCompactBytes = 4 * 1024 * 1024;
  /// Persistence counters, for tests and benchmarks.
  struct PersistStats {
    std::uint64_t journal_appends = 0;
    std::uint64_t snapshots = 0;
    std::uint64_t journal_bytes = 0;  ///< since the last snapshot
  };
  PersistStats persist_stats() const;

  /// Runs `fn` under a shared lock, after marking indicators whose expiration passed `now`.
  void read(TimePoint now, const std::function<void(const View&)>& fn) const;
  /// Runs `fn` under an exclusive lock; persists afterwards when `fn` changed anything.
  void write(TimePoint now, const std::function<void(Tx&)>& fn);

  /// Drops every record (and persists the empty store).
  void clear();

  /// The top-level record key a filter or sort field reads: "metadata.filename.raw" ->
  /// "metadata", "severity_number" -> "severity".
  static std::string record_key(const std::string& field);

  /// Fields an index can group by (equality filters on them are answered from the index):
  /// type, value, action, severity, mobile_action, source, created_by, modified_by.
  static bool is_group_field(const std::string& field);
  /// The group a filter literal selects: lower case for the case-insensitive fields.
  static std::string group_of_literal(const std::string& field, const std::string& text);
  /// Builds the index `spec` unless it exists (O(N log N) once; then kept up to date by every
  /// write, O(log N) each). At most kMaxIndexes are kept: building one more drops the least
  /// recently used. Returns true (callers still scan when page() finds no index).
  bool ensure_index(const IndexSpec& spec);
  static constexpr std::size_t kMaxIndexes = 8;

  /// Records looked at by queries since the start (for tests and benchmarks: a page served
  /// from an index visits `limit` records, a scan visits every record).
  std::uint64_t records_visited() const { return visited_.load(); }

 private:
  static std::string key(const std::string& type, const std::string& value);
  void index(const nlohmann::json& rec);
  void unindex(const nlohmann::json& rec);
  // Requires the exclusive lock; touches only the mutable members (expiry follows the clock).
  void sweep_locked(TimePoint now) const;
  void sweep(TimePoint now) const;
  void append_locked(const std::vector<std::string>& ids);
  void snapshot_locked();
  void open_journal();

  struct Index;
  // Mutable state only: the sweep re-sorts records whose expiry changed action/expired.
  void index_sorted(const nlohmann::json& rec) const;
  void unindex_sorted(const nlohmann::json& rec) const;

  std::string state_file_;
  std::string journal_file_;
  int journal_fd_ = -1;
  std::size_t snapshot_bytes_ = 0;
  PersistStats stats_;
  mutable std::shared_mutex mu_;
  // Mutable: expiry is applied lazily by readers (it is a function of time, not of a request).
  mutable std::unordered_map<std::string, Record> records_;
  NamePool names_;
  // type\nvalue -> id (the key of records_, whose nodes never move)
  std::unordered_map<std::string, const std::string*> active_;
  mutable std::multimap<std::int64_t, std::string> expiries_;  // expiration ns -> id, not expired
  mutable std::atomic<std::int64_t> next_expiry_{INT64_MAX};
  mutable std::map<IndexSpec, std::unique_ptr<Index>> indexes_;
  mutable std::atomic<std::uint64_t> visited_{0};
  std::atomic<std::uint64_t> index_clock_{0};
};

}  // namespace falcon::emulator
