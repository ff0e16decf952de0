// What the emulator accepts in indicator writes: the value tables (also served by the lookup
// queries and action_get_v1), body shape checks, and per-row validation messages (spec §3.9).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "util.hpp"

namespace falcon::emulator {

/// The whole body is unusable (bad JSON, wrong JSON type, unknown field): 400 without rows.
class BodyError : public ApiError {
 public:
  explicit BodyError(const std::string& detail)
      : ApiError(400, "Provided data does not match expected format: " + detail) {}
};

const std::vector<std::string>& indicator_types();       ///< sha256, md5, domain, ipv4, ipv6
const std::vector<std::string>& indicator_actions();     ///< no_action, allow, prevent_no_ui, ...
const std::vector<std::string>& indicator_platforms();   ///< windows, mac, linux, ios, android
const std::vector<std::string>& indicator_severities();  ///< informational ... critical
const std::vector<std::string>& mobile_actions();        ///< no_action, allow, detect, prevent

bool is_hash_type(std::string_view type);
/// True when `action` may be used with `type` at all.
bool action_allows_type(std::string_view action, std::string_view type);
/// Platforms `action` supports for `type` (empty when the pair is not allowed).
std::vector<std::string> platforms_for(std::string_view action, std::string_view type);
/// detect and prevent need a severity; the other actions take one optionally.
bool severity_required(std::string_view action);
/// api.ActionV1 for an action name, or null when unknown. Built from the same table the
/// validation uses, so what action_get_v1 reports is what create accepts.
nlohmann::json action_v1(std::string_view action);

/// nullopt when `value` is a well-formed `type` value, else a message saying why not.
std::optional<std::string> value_problem(std::string_view type, std::string_view value);
/// Canonical stored form: hashes and domains lower case, IPs as given.
std::string normalize_value(std::string_view type, std::string_view value);

/// One row of a 400 create/update reply.
struct RowMessage {
  int row = 0;  ///< 1-based index into indicators[]; 0 for records matched by bulk_update.filter
  nlohmann::json value;  ///< string or null
  nlohmann::json type;   ///< string or null
  bool error = true;     ///< false: a warning (ignore_warnings lets the write through)
  std::string field_name;
  std::string message;

  nlohmann::json to_json() const;
};

/// Parses a JSON request body; BodyError on malformed JSON, nesting deeper than 64 levels
/// (checked before parsing so hostile input cannot exhaust the stack) or an empty body.
nlohmann::json parse_body(const std::string& body);

/// Throws BodyError unless `obj` is an object whose keys are all in `allowed`.
void check_object(const nlohmann::json& obj, const std::vector<std::string>& allowed,
                  const std::string& where);

/// Which body an indicator item came from: decides the allowed keys and null semantics.
enum class WriteKind { create, update, bulk };

/// Applies the fields of one create/update/bulk item onto `record` (an api.IndicatorV1 JSON
/// object). Checks JSON types (BodyError naming `where`) and per-field rules (row messages).
/// With update/bulk, JSON null resets description, severity, source and expiration, and leaves
/// every other field as it was; the zero time 0001-01-01T00:00:00Z also clears expiration.
void apply_fields(const nlohmann::json& item, WriteKind kind, int row, const std::string& where,
                  nlohmann::json& record, std::vector<RowMessage>& messages);

/// Cross-field rules on a complete record: value format, action vs type, severity needed,
/// platforms allowed, applied_globally/host_groups, expiration in the past (warning).
void check_record(const nlohmann::json& record, int row, TimePoint now,
                  std::vector<RowMessage>& messages);

}  // namespace falcon::emulator
