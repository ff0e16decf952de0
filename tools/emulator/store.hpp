// The indicator store: api.IndicatorV1 records in compact typed form (record.hpp), found by id
// and by active type+value, ordered by sort indexes built on demand (sort_index.hpp), guarded
// by a shared_mutex, optionally persisted (journal.hpp). A write is all or nothing: when it
// cannot be made durable, what it changed is rolled back before the error goes out.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "journal.hpp"
#include "record.hpp"
#include "sort_index.hpp"
#include "util.hpp"

namespace falcon::emulator {

/// One page read from an index.
struct IndexPage {
  std::vector<RecordRef> records;
  std::size_t total = 0;  ///< records in the group that the filter keeps
  std::size_t start = 0;  ///< how many of those come before records[0]
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
    /// Records that are not deleted (what counts against a tenant's quota).
    std::size_t live_count() const;
    /// Renders every record in turn (O(N) renders: the cost of a filter no index answers).
    void for_each(const std::function<void(const nlohmann::json&)>& fn) const;
    /// As above, rendering only the top-level `keys` (and the id) of each record.
    void for_each(const std::vector<std::string>& keys,
                  const std::function<void(const nlohmann::json&)>& fn) const;
    std::size_t size() const;

    /// The record with this id, or nullptr.
    RecordRef ref(const std::string& id) const;
    /// `r` as JSON (only the top-level `keys` and the id, when given).
    nlohmann::json to_json(RecordRef r, const std::vector<std::string>* keys = nullptr) const;
    /// Appends `r`'s JSON text (what to_json(r).dump() gives) to `out`.
    void append_json(std::string& out, RecordRef r) const;

    /// One page from the index `spec` (nullopt when it was never built): the records of the
    /// group whose values are `groups` (one per group field) from position `offset`, or
    /// strictly after (`after_key`, `after_id`) when `after_key` is given; at most `limit`.
    /// Without `keep`, O(log N + limit): positions come from an order-statistics tree. With
    /// it, only the group's records `keep` accepts count (offset, total and the page), and
    /// the whole group is walked.
    std::optional<IndexPage> page(const IndexSpec& spec, const std::vector<std::string>& groups,
                                  std::size_t offset, const SortKey* after_key,
                                  const std::string& after_id, std::size_t limit,
                                  const std::function<bool(RecordRef)>& keep = nullptr) const;

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
    // What each changed id held before this write (nullopt: it did not exist), for rollback.
    std::vector<std::pair<std::string, std::optional<nlohmann::json>>> undo_;
  };

  /// `state_file` empty: in memory only.
  explicit IndicatorStore(std::string state_file = {});
  ~IndicatorStore();
  IndicatorStore(const IndicatorStore&) = delete;
  IndicatorStore& operator=(const IndicatorStore&) = delete;

  /// Loads the state file and its journal (see StateFiles::load), then compacts when it can
  /// (a compaction that fails, e.g. on a full disk, leaves the journal in place). Throws
  /// std::runtime_error when the folder is unusable or a file cannot be read or is not one
  /// this emulator wrote.
  void load();

  /// Folds the journal into the snapshot now (the emulator does so when it stops).
  void compact();

  /// Journal bytes that trigger a compaction: the larger of this and the last snapshot's size.
  static constexpr std::size_t kMinCompactBytes = StateFiles::kMinCompactBytes;
  /// Persistence counters, for tests and benchmarks.
  using PersistStats = StateFiles::Stats;
  PersistStats persist_stats() const;

  /// Runs `fn` under a shared lock, after marking indicators whose expiration passed `now`.
  void read(TimePoint now, const std::function<void(const View&)>& fn) const;
  /// Runs `fn` under an exclusive lock, then persists what it changed. When that fails, every
  /// change `fn` made is undone and PersistError is thrown.
  void write(TimePoint now, const std::function<void(Tx&)>& fn);

  /// Drops every record (and persists the empty store).
  void clear();

  /// The top-level record key a filter or sort field reads: "metadata.filename.raw" ->
  /// "metadata", "severity_number" -> "severity".
  static std::string record_key(const std::string& field);

  /// See sort_index.hpp.
  static bool is_group_field(const std::string& field) {
    return falcon::emulator::is_group_field(field);
  }
  static std::string group_of_literal(const std::string& field, const std::string& text) {
    return falcon::emulator::group_of_literal(field, text);
  }
  /// Builds the index `spec` unless it exists (O(N log N) once; then kept up to date by every
  /// write, O(log N) each). At most kMaxIndexes are kept: building one more drops the least
  /// recently used. Returns true (callers still scan when page() finds no index).
  bool ensure_index(const IndexSpec& spec);
  static constexpr std::size_t kMaxIndexes = 8;

  /// Records looked at by queries since the start (for tests and benchmarks: a page served
  /// from an index visits `limit` records, a scan visits every record).
  std::uint64_t records_visited() const { return visited_.load(); }

 private:
  void index(RecordRef r);
  void unindex(RecordRef r);
  // Requires the exclusive lock; touches only the mutable members (expiry follows the clock).
  void sweep_locked(TimePoint now) const;
  void sweep(TimePoint now) const;
  // Replaces (or, with nullopt, removes) a record, keeping every index right.
  void replace_locked(const std::string& id, const std::optional<nlohmann::json>& rec);
  void persist_locked(const std::vector<std::string>& ids);
  void snapshot_locked();
  void reset_locked();

  mutable StateFiles files_;
  mutable std::shared_mutex mu_;
  // Mutable: expiry is applied lazily by readers (it is a function of time, not of a request).
  mutable RecordMap records_;
  NamePool names_;
  // The non-deleted records by type and value: an open-addressing table of record pointers
  // (8 bytes a slot) read from the records themselves, rather than a map of copied keys.
  class ActiveSet {
   public:
    RecordRef find(std::string_view type, std::string_view value) const;
    void insert(RecordRef r);  ///< replaces a record with the same type and value
    void erase(RecordRef r);   ///< only when `r` is the one held
    std::size_t size() const { return count_; }
    void clear();

   private:
    std::size_t slot_of(std::string_view type, std::string_view value) const;
    void grow();
    std::vector<RecordRef> slots_;
    std::size_t count_ = 0;
  };
  ActiveSet active_;
  mutable std::multimap<std::int64_t, std::string> expiries_;  // expiration ns -> id, not expired
  mutable std::atomic<std::int64_t> next_expiry_{INT64_MAX};
  mutable std::map<IndexSpec, std::unique_ptr<SortIndex>> indexes_;
  mutable std::atomic<std::uint64_t> visited_{0};
  std::atomic<std::uint64_t> index_clock_{0};
};

}  // namespace falcon::emulator
