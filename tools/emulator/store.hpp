// The indicator store: api.IndicatorV1 records as JSON, indexed by id and by active
// type+value, guarded by a shared_mutex, optionally persisted to a state file.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

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
    bool dirty_ = false;
  };

  /// `state_file` empty: in memory only.
  explicit IndicatorStore(std::string state_file = {});

  /// Loads the state file if it exists (an empty file counts as no indicators). Throws
  /// std::runtime_error when it cannot be read or is not a state file this emulator wrote.
  void load();

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
  void persist_locked() const;

  std::string state_file_;
  mutable std::shared_mutex mu_;
  // Mutable: expiry is applied lazily by readers (it is a function of time, not of a request).
  mutable std::unordered_map<std::string, nlohmann::json> records_;
  std::unordered_map<std::string, std::string> active_;        // type\nvalue -> id
  mutable std::multimap<std::int64_t, std::string> expiries_;  // expiration ns -> id, not expired
  mutable std::atomic<std::int64_t> next_expiry_{INT64_MAX};
};

}  // namespace falcon::emulator
