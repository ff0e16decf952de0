// The indicator store: api.IndicatorV1 records as JSON, indexed by id and by active
// type+value, guarded by a shared_mutex, optionally persisted: a snapshot (the state file)
// plus an append-only journal (<state file>.journal) of the records each write changed,
// folded into a new snapshot once it outgrows it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "util.hpp"

namespace falcon::emulator {

class IndicatorStore {
 public:
  /// Read access, valid only inside read()/write().
  class View {
   public:
    const nlohmann::json* find(const std::string& id) const;
    /// The id of the non-deleted record with this type and (normalized) value, if any.
    std::optional<std::string> active_id(const std::string& type, const std::string& value) const;
    void for_each(const std::function<void(const nlohmann::json&)>& fn) const;
    std::size_t size() const;

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

  std::string state_file_;
  std::string journal_file_;
  int journal_fd_ = -1;
  std::size_t snapshot_bytes_ = 0;
  PersistStats stats_;
  mutable std::shared_mutex mu_;
  // Mutable: expiry is applied lazily by readers (it is a function of time, not of a request).
  mutable std::unordered_map<std::string, nlohmann::json> records_;
  std::unordered_map<std::string, std::string> active_;        // type\nvalue -> id
  mutable std::multimap<std::int64_t, std::string> expiries_;  // expiration ns -> id, not expired
  mutable std::atomic<std::int64_t> next_expiry_{INT64_MAX};
};

}  // namespace falcon::emulator
