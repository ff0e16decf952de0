/// @file sync.hpp
/// Makes the custom IOCs a feed owns in Falcon match the feed, idempotently, with a plan you can
/// read before anything is written:
///
///     falcon::sync::Options o;
///     o.source = "acme-feed";                       // scope: source:'acme-feed'
///     o.on_missing = falcon::sync::OnMissing::expire;
///     auto plan = falcon::sync::plan(ioc, entries, o);   // reads only
///     auto result = falcon::sync::apply(ioc, plan);      // bulk writes, one outcome per change
///
/// plan() reads every indicator in the scope (indicator_combined_v1, GET
/// /iocs/combined/indicator/v1, scope ioc:read) and compares by type+value: a feed entry missing
/// from the scope is a **create**; one that differs in a managed field it sets (action,
/// severity, platforms, tags, expiration, description, mobile_action, host_groups,
/// applied_globally) is an **update**; a scope indicator the feed no longer lists is a
/// **remove** (delete), an **expire** (expiration set to now) or kept, per `on_missing`. A feed
/// value that exists outside the scope is a **conflict**, left alone, or an **adopt** (updated
/// and given the sync's source) when `adopt` is set. A field a feed entry leaves unset is not
/// managed for that entry. A second sync of the same feed plans nothing.
///
/// apply() writes with the bulk helpers (bulk_create, bulk_update, bulk_delete: ioc:write), so
/// batching, rate limits and the reconciliation of possibly-written batches are theirs. A write
/// whose outcome stayed unknown (connection lost after sending) is settled: a create is looked
/// up by value and only re-sent when absent; updates and deletes, being idempotent, are re-sent.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "falcon/bulk.hpp"
#include "falcon/feeds.hpp"
#include "falcon/indicators.hpp"
#include "falcon/ioc.hpp"
#include "falcon/models.hpp"

namespace falcon::sync {

/// What to do with a scope indicator the feed no longer lists.
enum class OnMissing {
  remove,  ///< Delete it (Falcon keeps it soft-deleted).
  expire,  ///< Set its expiration to now (it stays, with action no_action).
  keep,    ///< Leave it.
};

/// "delete", "expire", "keep".
const char* to_string(OnMissing m) noexcept;
/// Parses "delete" (or "remove"), "expire", "keep".
std::optional<OnMissing> parse_on_missing(std::string_view s);

/// The kinds of planned change.
enum class ChangeKind {
  create,    ///< In the feed, not in Falcon.
  update,    ///< In both; a managed field differs.
  remove,    ///< In the scope, not in the feed; on_missing = remove.
  expire,    ///< In the scope, not in the feed; on_missing = expire.
  conflict,  ///< In the feed and in Falcon outside the scope; left alone.
  adopt,     ///< Like conflict, with `adopt`: updated and given the sync's source.
};

/// "create", "update", "delete", "expire", "conflict", "adopt".
const char* to_string(ChangeKind k) noexcept;

/// One managed field that differs: JSON values (null when unset).
struct FieldChange {
  std::string field;      ///< e.g. "severity", "tags".
  nlohmann::json before;  ///< The value in Falcon.
  nlohmann::json after;   ///< The value the feed wants.
};

/// One planned change.
struct Change {
  ChangeKind kind = ChangeKind::create;  ///< What the change does.
  std::string type;                      ///< Indicator type.
  std::string value;                     ///< Normalised value.
  std::string id;                        ///< The existing indicator's id (all but create).
  std::size_t line = 0;             ///< Feed line/object of the entry (0 for remove and expire).
  std::vector<FieldChange> fields;  ///< update/adopt: the differing fields.
  std::string existing_source;      ///< conflict/adopt: the source the indicator has now.
  /// The create or update item that apply() sends (update items carry the id and the changed
  /// fields only; expire items the id and the new expiration).
  IndicatorSpec write;
  /// Fields an update resets to JSON null (undo restores a field that had no value).
  std::vector<std::string> reset;
  /// delete/expire: the indicator as it was (the journal's before-image, for undo).
  std::optional<Indicator> before;
};

/// The removal cap: a run may remove (delete or expire) at most max(`at_least`,
/// `percent` % of the scope) indicators. `{10, 10}` by default; `{0, 100}` lifts it.
struct RemovalCap {
  std::size_t at_least = 10;  ///< Removals always allowed, whatever the scope's size.
  double percent = 10.0;      ///< Share of the scope (indicators read in it), 0-100.
  /// The cap for a scope of `scope_size` indicators.
  std::size_t limit(std::size_t scope_size) const noexcept;
  /// Parses "N" or "P%" (falcon-ioc --max-delete); nullopt when malformed.
  static std::optional<RemovalCap> parse(std::string_view text);
};

/// A safety guard that refused a plan: apply() writes nothing (falcon-ioc exits 4).
struct Refusal {
  std::string guard;    ///< "removal_cap", "quota" or "scope".
  std::string message;  ///< What it found and how to lift it.
};

/// How to plan.
struct Options {
  /// The feed's name: set as `source` on what it creates (and adopts), and the default scope.
  /// 1-256 characters. Required unless `scope` is given.
  std::string source;
  /// FQL selecting the indicators the feed owns; default `source:'SOURCE'` (fql::eq).
  std::optional<std::string> scope;
  OnMissing on_missing = OnMissing::remove;  ///< What to do with what the feed dropped.
  bool adopt = false;                        ///< Take over values that exist outside the scope.
  /// Page size of the scope read (1-2000).
  std::int64_t page_size = 2000;
  CallOptions call;  ///< Per-call overrides for the reads.
  /// "Now", for expire and for deciding what has expired; empty: the system clock.
  std::function<std::chrono::system_clock::time_point()> clock;

  // ---- safety guards (docs/sync.md, "Safety") ----
  /// An empty feed (no entry at all) is refused: it would remove the whole scope. Set to sync
  /// an empty feed on purpose.
  bool allow_empty = false;
  /// The readers' issues (feeds::read's IssueCallback). An indicator a failed row names is left
  /// as it is, never removed; a failed row that names none (not even its value could be read)
  /// makes the run remove nothing at all. Duplicates are not failures.
  std::vector<feeds::FeedIssue> feed_issues;
  /// At most this many removals (deletes and expiries); a plan past it is refused.
  RemovalCap max_remove;
  /// A `scope` that does not constrain `source` (an equality or set, ANDed at the top level) is
  /// refused unless this is set: `type:'domain'` would remove other teams' indicators.
  bool any_scope = false;
  /// Live indicators the tenant may hold (the API's limit is 1,000,000): a plan whose creates
  /// would pass it is refused. 0: not checked.
  std::size_t quota = 1'000'000;
  /// Values that must never become a blocking IOC: such entries are skipped and reported in
  /// Plan::skipped. The built-in classes by default.
  rules::AllowList allow_list = rules::AllowList::builtin();
  /// Expiry policy: an entry of a listed type that carries no expiration gets now + the
  /// duration; an existing one is refreshed when less than half of it is left.
  std::map<std::string, std::chrono::seconds> expire_after;
};

/// A plan: read-only until apply().
struct Plan {
  std::vector<Change> changes;  ///< In order: creates, updates, adopts, conflicts, removals.
  std::string scope;            ///< The FQL scope that was read.
  OnMissing on_missing = OnMissing::remove;  ///< What to do with what the feed dropped.
  std::string source;                        ///< Options::source.
  std::size_t desired = 0;                   ///< Valid, distinct feed entries.
  std::size_t existing = 0;                  ///< Indicators read in the scope.
  std::size_t unchanged = 0;                 ///< In both and equal.
  std::size_t kept = 0;      ///< Missing from the feed, kept (on_missing keep, or expired).
  std::size_t requests = 0;  ///< Read requests made.
  /// Feed entries plan() refused (bad type/value, duplicates), with their lines.
  std::vector<feeds::FeedIssue> invalid;
  /// Entries skipped by the allow-list (the reason names the class or the entry).
  std::vector<feeds::FeedIssue> skipped;
  std::size_t retired = 0;  ///< Entries the feed marks retired (revoked, or past expiration).
  /// Scope indicators kept because a failed row names them.
  std::size_t kept_for_errors = 0;
  /// A failed row named no indicator: every removal was dropped from the plan.
  bool removals_blocked = false;
  std::size_t tenant_total = 0;  ///< Live indicators in the tenant (read for the quota).
  /// A read that failed: the plan is incomplete and apply() refuses it.
  std::optional<Response> error;
  /// A safety guard refused the plan: apply() writes nothing.
  std::optional<Refusal> refused;
  /// Changes of each kind, indexed by ChangeKind (stream() fills them without holding the
  /// changes themselves).
  std::array<std::size_t, 6> counts{};
  /// The API's requests a minute, from the last X-RateLimit-Limit a read reply carried (the
  /// API allows 6,000 a minute per customer, shared by every integration of the tenant).
  std::optional<std::int64_t> rate_limit;
  /// Requests apply() needs for this plan (one per batch of 2,000 creates or updates, one per
  /// delete request), settling of unknown outcomes aside.
  std::size_t write_requests = 0;
  /// The least time apply() needs at `share` of the rate budget (rate_limit, or 6,000 a minute).
  std::chrono::seconds least_apply_time(double share) const noexcept;

  /// Changes of one kind.
  std::size_t count(ChangeKind k) const noexcept;
  /// Removals planned: deletes and expiries.
  std::size_t removals() const noexcept;
  /// True when nothing would be written (conflicts do not count).
  bool empty() const noexcept;
  /// True when every read succeeded.
  bool ok() const noexcept { return !error; }
};

/// Plans the changes that make the scope match `desired`. Entries are normalised again (so
/// hand-built ones work) and duplicates are reported in Plan::invalid.
[[nodiscard]] Plan plan(const IOC& ioc, const std::vector<feeds::FeedEntry>& desired,
                        const Options& options);

/// plan() for indicators built in code (line = position + 1).
[[nodiscard]] Plan plan(const IOC& ioc, const std::vector<IndicatorSpec>& desired,
                        const Options& options);

/// The outcome of one planned change.
struct Outcome {
  std::size_t change = 0;            ///< Index into Plan::changes.
  bool ok = false;                   ///< Written (or, for a conflict, deliberately left alone).
  bool skipped = false;              ///< A conflict: nothing was sent.
  std::string id;                    ///< The indicator's id, when known.
  std::vector<RowMessage> messages;  ///< Row messages of the write.
  std::optional<Error> error;        ///< SDK-side or batch error.
  int status_code = 0;               ///< HTTP status that decided it (0: none).
  bool outcome_unknown = false;      ///< Still unknown after settling (check before re-running).
};

/// What apply() did.
struct Result {
  std::vector<Outcome> outcomes;  ///< One per change, outcomes[i].change == i.
  std::size_t requests = 0;       ///< Write (and settling) requests made.
  /// Outcomes with ok and not skipped.
  std::size_t written() const noexcept;
  /// Outcomes without ok.
  std::size_t failed() const noexcept;
};

/// How apply() writes.
struct ApplyOptions {
  BulkOptions bulk;  ///< Batch size, concurrency, comment, call options.
  /// When set, every change confirmed written is recorded here as one JSON line with its
  /// before-image (flushed after each batch), for `undo`. The first line describes the run.
  std::ostream* journal = nullptr;
  /// Share (0-1] of the API's per-minute budget (Plan::rate_limit, or 6,000) the writes may
  /// use, so one sync never starves the tenant's other integrations; 0 does not pace.
  double rate_share = 0.5;
  /// Asked before each write request: true stops the run there, never inside a request (the
  /// CLI's Ctrl-C). Changes not yet sent fail with "stopped before this change was sent"
  /// (apply) or are counted in StreamResult::not_sent (stream).
  std::function<bool()> stop;
};

/// apply() with a journal (see ApplyOptions).
[[nodiscard]] Result apply(const IOC& ioc, const Plan& plan, const ApplyOptions& options);

/// Plans the inverse of a journal (apply() writes it, with its own journal): what it created is
/// deleted, updated fields are restored, deleted indicators are created again from their
/// before-image, expired ones get their expiration and action back. The current state is read
/// first, so a change already undone plans nothing (a second undo writes nothing). The removal
/// cap of `options` applies to the deletes, counted against the journal's scope. A journal line
/// that cannot be read makes the plan an error.
[[nodiscard]] Plan plan_undo(const IOC& ioc, std::istream& journal, const Options& options);

/// A feed sync can read more than once: each call reads it from the start and hands its
/// entries and issues to the callbacks, as feeds::read_file does for a file. Read with
/// ReadOptions::drop_duplicates off: stream() drops duplicates itself, in less memory.
using FeedReader = std::function<feeds::ReadSummary(const feeds::BatchCallback& on_batch,
                                                    const feeds::IssueCallback& on_issue)>;

/// What stream() reports as it goes.
struct StreamCallbacks {
  /// Every problem of the feed (the reader's issues of the first read, duplicates, entries
  /// skipped by the allow-list), in feed order.
  feeds::IssueCallback on_issue;
  /// Once the totals are known (counts, guards, budget), before any change is reported.
  std::function<void(const Plan& plan)> on_plan;
  /// Every planned change as produced (creates, updates, adopts and conflicts in feed order,
  /// then removals in scope order); not held. A refused plan's too.
  std::function<void(const Change& change)> on_change;
  /// The outcome of each change written (with apply).
  std::function<void(const Change& change, const Outcome& outcome)> on_outcome;
};

/// What stream() did.
struct StreamResult {
  Plan plan;  ///< Totals, guards, errors and budget; `changes` stays empty.
  /// The first read failed (unreadable input, a record over the size limit, ...): nothing was
  /// planned or written.
  std::optional<feeds::FeedIssue> fatal;
  std::size_t written = 0;   ///< Changes written (apply).
  std::size_t failed = 0;    ///< Changes not written (apply).
  std::size_t requests = 0;  ///< Write and settling requests (apply).
  /// ApplyOptions::stop said stop: the changes planned but not sent (reported, not written).
  std::size_t not_sent = 0;
  bool stopped = false;  ///< ApplyOptions::stop ended the run early.
};

/// sync for feeds that do not fit in memory, with the same changes, guards and journal as
/// plan() and apply(). The feed is read twice: first into compact fingerprints (the entry's key
/// and a hash of the managed fields it sets, a few tens of bytes an entry) while the scope's
/// pages are compared as they arrive and dropped; then again to build only the writes the plan
/// needs, which are reported, and with `apply` written, as they are produced. Memory is the
/// fingerprints plus the records that differ or go (not the feed, not the plan). A no-op sync
/// costs the scope's pages and one count request, and reads the feed once. `apply` null: a dry
/// run.
[[nodiscard]] StreamResult stream(const IOC& ioc, const FeedReader& feed, const Options& options,
                                  const StreamCallbacks& callbacks,
                                  const ApplyOptions* apply = nullptr);

/// Executes `plan` with the bulk helpers (batch size, concurrency, comment and call options
/// from `options`; expire updates always set ignore_warnings, since an expiration of now is
/// past by the time it arrives; so do writes that set an expiration already past). A plan with
/// an error, or one a safety guard refused, is not applied: every outcome fails with a
/// validation error and nothing is sent.
[[nodiscard]] Result apply(const IOC& ioc, const Plan& plan, const BulkOptions& options = {});

}  // namespace falcon::sync
