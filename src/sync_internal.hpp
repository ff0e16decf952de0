// What sync's parts share (never installed): the comparison of a feed entry with a record, the
// guards, and the writer with its journal. plan() (sync.cpp), stream() (sync_stream.cpp),
// apply() (sync_apply.cpp) and plan_undo() (sync_undo.cpp) all use these, so a rule is written
// once whichever form of sync runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "falcon/indicators.hpp"
#include "falcon/sync.hpp"

namespace falcon::internal::sync_core {

/// Falcon's zero time: an update with it clears the expiration.
inline constexpr const char* kNoExpiration = "0001-01-01T00:00:00Z";

/// A 64-bit finalising mix (MurmurHash3's), for the hashes sync's tables and signatures use.
inline std::uint64_t mix(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 33);
}

std::vector<std::string> sorted(std::vector<std::string> v);
nlohmann::json opt_json(const std::optional<std::string>& s);
/// An expiration in normal form; unset for none or the zero time.
std::optional<std::string> norm_time(const std::optional<std::string>& s);
/// The record has expired at `now` (its flag, or its expiration has passed).
bool expired_at(const Indicator& i, std::chrono::system_clock::time_point now);

/// What a sync does to a record's expiration.
enum class Expiry { keep, set, clear };
/// The expiration rule: `want` (the entry's, normal form; `soft` when it comes from the expiry
/// policy with that duration) against `have` (the record's). An entry without one brings an
/// expired record back (clear).
Expiry expiry_decision(const std::optional<rules::Time>& want,
                       std::optional<std::chrono::seconds> soft,
                       const std::optional<rules::Time>& have, bool expired_now, rules::Time now);

/// Compares the managed fields `want` sets with `have`; fills `out` (the update item) and
/// `fields` with what differs.
void diff(const IndicatorSpec& want, const Indicator& have, bool expired_now,
          std::vector<sync::FieldChange>& fields, IndicatorSpec& out,
          std::optional<std::chrono::seconds> soft = std::nullopt,
          std::chrono::system_clock::time_point now = {});

/// A hash of the managed fields (other than the expiration) that `want` sets, and the same of
/// `have` restricted to those fields: equal exactly when diff() finds those fields equal.
struct Signature {
  std::uint64_t hash = 0;
  std::uint32_t mask = 0;  ///< Bit per field of rules::fields(): the fields the entry sets.
};
Signature signature(const IndicatorSpec& want);
std::uint64_t signature(const Indicator& have, std::uint32_t mask);

/// A scope that constrains `source` (sync.cpp).
bool constrains_source(std::string_view scope);
/// The scope of `options` into `p` (a refusal when it does not constrain source); a
/// validation error when there is none.
std::optional<Response> choose_scope(const sync::Options& options, sync::Plan& p);
/// The guards that look at the whole plan: removals dropped when a failed row named nothing,
/// the removal cap, the quota. Works from the plan's counts (stream() holds no changes).
void guard(const sync::Options& options, sync::Plan& p);
/// Plan::counts from Plan::changes.
void recount(sync::Plan& p);
/// Plan::write_requests for batches of `batch` creates/updates (deletes: 100 ids a request,
/// about what 8 KiB of URL holds).
void budget(sync::Plan& p, std::size_t batch);

/// Spaces writes to a share of the API's per-minute budget.
class Pacer {
 public:
  /// `per_minute` requests a minute (0: no pacing); `sleep` waits (the client's sleeper).
  Pacer(double per_minute, std::function<void(std::chrono::milliseconds)> sleep);
  /// Waits, if need be, before `requests` more requests.
  void before(std::size_t requests);

 private:
  double interval_ms_ = 0;
  std::function<void(std::chrono::milliseconds)> sleep_;
  std::chrono::steady_clock::time_point next_{};
};

/// The journal: one JSON line per change confirmed written, with what undo needs.
class Journal {
 public:
  /// Writes the header line (when `out` is set).
  Journal(std::ostream* out, const sync::Plan& plan);
  void record(const sync::Change& c, const sync::Outcome& o);
  /// After each confirmed batch: what is journaled is on disk before the next write.
  void flush();

 private:
  std::ostream* out_;
};

/// The error message of a change ApplyOptions::stop kept from being sent.
inline constexpr const char* kNotSent = "stopped before this change was sent";

/// Writes `plan`'s changes (creates, updates, urgent writes with ignore_warnings, removals,
/// then the settling of unknown outcomes), journaling each confirmed one; `pacer` may be null;
/// `stop` (may be empty) is asked before each request.
sync::Result write_changes(const IOC& ioc, const sync::Plan& plan, const BulkOptions& options,
                           Journal& journal, Pacer* pacer, const std::function<bool()>& stop);

}  // namespace falcon::internal::sync_core
