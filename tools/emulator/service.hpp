// Internal: the state every operation handler shares, the reply type handlers return, and
// query-parameter helpers. The HTTP plumbing (emulator.cpp) turns a Reply into the envelope.
#pragma once

#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "auth.hpp"
#include "emulator.hpp"
#include "store.hpp"
#include "synth.hpp"
#include "util.hpp"

namespace falcon::emulator {

struct Reply {
  int status = 200;
  nlohmann::json resources = nlohmann::json::array();
  /// When set: the resources array as JSON text, rendered by the handler (replaces resources).
  std::optional<std::string> resources_text;
  nlohmann::json errors = nlohmann::json::array();
  nlohmann::json pagination;                             ///< null: no meta.pagination
  nlohmann::json meta_extra = nlohmann::json::object();  ///< merged into meta (writes, ...)
  std::string powered_by = "ioc-manager";
  bool meta_only = false;             ///< msa.ReplyMetaOnly shape: meta + errors, no resources
  std::optional<nlohmann::json> raw;  ///< sent as the whole body (the token reply)
  bool empty = false;                 ///< no body at all (the 308 redirect)
  std::vector<std::pair<std::string, std::string>> headers;

  static Reply error(int status, const std::string& message);
};

/// State shared by every handler. Thread-safe members only.
struct Service {
  explicit Service(Options o) : opts(std::move(o)), store(opts.state_file), synth(opts.seed) {}

  TimePoint now() const { return TimePoint(Clock::now()) + std::chrono::nanoseconds(offset_ns); }
  void audit(const std::string& operation, const std::string& client_id, const std::string& comment,
             const std::vector<std::string>& ids);
  nlohmann::json audit_log() const;
  void clear_audit();

  const Options opts;
  std::string base_url;  ///< set by start() before serving; used by the 308 redirect
  IndicatorStore store;
  Synth synth;
  TokenStore tokens;
  RateLimiter limiter;
  std::atomic<std::int64_t> offset_ns{0};
  /// Options::quota, changed at run time by POST /_emulator/quota.
  std::atomic<std::size_t> quota{opts.quota};
  std::atomic<std::uint64_t> indicators_created{0};
  std::atomic<std::uint64_t> tokens_issued{0};

 private:
  mutable std::mutex audit_mu_;
  std::deque<nlohmann::json> audit_;
};

/// One API request as a handler sees it.
struct Call {
  const httplib::Request& req;
  std::string client_id;  ///< the token's API client ("" on /oauth2 routes)
  TimePoint now;
};

using Operation = Reply (*)(Service&, const Call&);

// Query helpers; each throws ApiError(400) naming the parameter on a malformed value.
std::optional<std::string> query(const Call& c, const std::string& name);
/// Every value of a repeated key, each also split on commas; blanks dropped.
std::vector<std::string> query_list(const Call& c, const std::string& name);
std::optional<bool> query_bool(const Call& c, const std::string& name);
std::optional<long long> query_int(const Call& c, const std::string& name);

// OAuth2 (oauth.cpp).
Reply op_oauth2_token(Service& s, const Call& c);
Reply op_oauth2_revoke(Service& s, const Call& c);

// Indicator operations (ioc_ops.cpp).
Reply op_indicator_create(Service& s, const Call& c);
Reply op_indicator_update(Service& s, const Call& c);
Reply op_indicator_delete(Service& s, const Call& c);
Reply op_indicator_get(Service& s, const Call& c);
Reply op_indicator_search(Service& s, const Call& c);
Reply op_indicator_combined(Service& s, const Call& c);
Reply op_indicator_aggregate(Service& s, const Call& c);
Reply op_indicators_report(Service& s, const Call& c);

// Lookups and host telemetry (lookup_ops.cpp).
Reply op_action_query(Service& s, const Call& c);
Reply op_ioc_type_query(Service& s, const Call& c);
Reply op_platform_query(Service& s, const Call& c);
Reply op_severity_query(Service& s, const Call& c);
Reply op_action_get(Service& s, const Call& c);
Reply op_device_count(Service& s, const Call& c);
Reply op_device_count_legacy(Service& s, const Call& c);
Reply op_devices_ran_on(Service& s, const Call& c);
Reply op_devices_ran_on_legacy(Service& s, const Call& c);
Reply op_processes_ran_on(Service& s, const Call& c);
Reply op_processes_ran_on_legacy(Service& s, const Call& c);
Reply op_entities_processes(Service& s, const Call& c);

/// Creates validated indicators (shared by indicator_create_v1 and Emulator::add_indicators).
/// Returns the 201 reply, or the 400 row-message reply when a row is rejected.
Reply create_indicators(Service& s, const nlohmann::json& items, bool ignore_warnings,
                        const std::string& client_id, const std::string& comment, TimePoint now);

}  // namespace falcon::emulator
