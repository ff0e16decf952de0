/// @file models.hpp
/// Typed views of the IOC API's records, for Response::resources_as<T>() and for building
/// request bodies. Unknown keys are ignored and missing keys leave fields unset, so a newer
/// API never breaks decoding.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace falcon {

/// api.MetadataV1: file details the API keeps for hash indicators ({} for domains and IPs).
struct IndicatorMetadata {
  std::optional<std::int64_t> av_hits;      ///< `av_hits` (int64): antivirus hits; -1 when unknown.
  std::optional<std::string> company_name;  ///< `company_name`.
  std::optional<std::string> file_description;   ///< `file_description`.
  std::optional<std::string> file_version;       ///< `file_version`.
  std::optional<std::string> filename;           ///< `filename`: the name given at create/update.
  std::optional<std::string> original_filename;  ///< `original_filename`.
  std::optional<std::string> product_name;       ///< `product_name`.
  std::optional<std::string> product_version;    ///< `product_version`.
  std::optional<bool> signed_;                   ///< Wire name "signed".
};

/// api.IndicatorV1: one indicator as the API returns it.
struct Indicator {
  std::string id;     ///< `id`: 64 lowercase hex; "" when absent.
  std::string type;   ///< `type`: sha256, md5, domain, ipv4, ipv6; "" when absent.
  std::string value;  ///< `value`: the hash, domain or address; "" when absent.
  /// `action`: no_action, allow, prevent_no_ui, prevent, detect (no_action once expired).
  std::optional<std::string> action;
  /// `severity`: informational, low, medium, high, critical (lowercase as returned).
  std::optional<std::string> severity;
  /// `mobile_action`: no_action, allow, detect, prevent.
  std::optional<std::string> mobile_action;
  std::optional<std::string> source;       ///< `source`: free text, up to 256 characters.
  std::optional<std::string> description;  ///< `description`.
  std::vector<std::string> platforms;      ///< `platforms`: windows, mac, linux, ios, android.
  std::vector<std::string> tags;           ///< `tags`.
  std::vector<std::string> host_groups;    ///< `host_groups`: host group ids (32 hex).
  /// `created_on`: RFC 3339 UTC, up to nanosecond precision ("2025-02-03T10:04:18.39565409Z").
  std::optional<std::string> created_on;
  std::optional<std::string> created_by;   ///< `created_by`: user or API client that created it.
  std::optional<std::string> modified_on;  ///< `modified_on`: RFC 3339 UTC.
  std::optional<std::string> modified_by;  ///< `modified_by`.
  std::optional<std::string> expiration;   ///< `expiration`: RFC 3339 UTC; unset: never expires.
  /// `expired`: the expiration has passed; the indicator is kept with action no_action.
  std::optional<bool> expired;
  std::optional<bool> deleted;  ///< `deleted`: soft-deleted (still searchable with deleted:true).
  std::optional<bool> applied_globally;  ///< `applied_globally`: applies to every host.
  std::optional<bool> from_parent;       ///< `from_parent`: MSSP, inherited from the parent CID.
  std::optional<std::string> parent_cid_name;  ///< `parent_cid_name`: MSSP, the parent's name.
  std::optional<IndicatorMetadata> metadata;   ///< `metadata` (api.MetadataV1).
};

/// One row message of a create/update 400 reply (spec §3.9): not an Indicator.
struct RowMessage {
  /// 1-based index into the request's indicators[]; 0 in the messages bulk_* makes from a
  /// failed reply's errors[].
  std::int64_t row = 0;
  std::string value;         ///< `value` of the indicator at fault.
  std::string type;          ///< `type` of the indicator at fault.
  std::string message_type;  ///< `message_type`: "error" or "warning".
  std::string field_name;    ///< `field_name`: the field at fault, e.g. "ID".
  std::string message;       ///< `message`, e.g. "required string is missing".
  /// True for an error. A warning blocks the write too, unless ignore_warnings is set.
  bool is_error() const noexcept { return message_type == "error"; }
};

/// api.ActionV1.
struct Action {
  std::string id;                       ///< `id`: the action's id, as listed by action_query.
  nlohmann::json platforms_by_type;     ///< map<string, string[]>
  std::vector<std::string> severities;  ///< `severities`: the severities this action takes.
};

/// api.DeviceCountV1 / iocapi.IOCDevicesCount.
struct DeviceCount {
  std::optional<std::string> id;       ///< `id`: legacy route (iocapi.IOCDevicesCount) only.
  std::string type;                    ///< `type`: the indicator type asked for.
  std::string value;                   ///< `value`: the indicator value asked for.
  std::int64_t device_count = 0;       ///< `device_count` (int32): hosts that saw the value.
  std::optional<bool> limit_exceeded;  ///< `limit_exceeded`: the server capped the count.
};

/// processesapi.ProcessDetail. Every field is a string the spec requires; formats are the
/// server's.
struct ProcessDetail {
  std::string command_line;         ///< `command_line`.
  std::string device_id;            ///< `device_id`: the host id (32 hex).
  std::string file_name;            ///< `file_name`: the image file.
  std::string process_id;           ///< `process_id`: "pid:<32 hex>:<digits>".
  std::string process_id_local;     ///< `process_id_local`: the id on the host.
  std::string start_timestamp;      ///< `start_timestamp`.
  std::string start_timestamp_raw;  ///< `start_timestamp_raw`.
  std::string stop_timestamp;       ///< `stop_timestamp`.
  std::string stop_timestamp_raw;   ///< `stop_timestamp_raw`.
};

/// api.IndicatorCreateReqV1 / api.IndicatorUpdateReqV1 item: converts to the JSON object of
/// one indicator in a create or update body; unset fields are omitted.
struct IndicatorSpec {
  std::optional<std::string> id;  ///< Update only.
  /// `type`: sha256, md5, domain, ipv4, ipv6 (not in the update model).
  std::optional<std::string> type;
  std::optional<std::string> value;  ///< `value`: fits the type (not in the update model).
  /// `action`: no_action, allow, prevent_no_ui, prevent, detect.
  std::optional<std::string> action;
  /// `severity`: informational, low, medium, high, critical.
  std::optional<std::string> severity;
  /// `mobile_action`: no_action, allow, detect, prevent.
  std::optional<std::string> mobile_action;
  std::optional<std::string> source;       ///< `source`: 1-256 characters.
  std::optional<std::string> description;  ///< `description`.
  std::optional<std::string> expiration;   ///< `expiration`: RFC 3339 UTC.
  /// `metadata.filename`: merged into `metadata` (which it replaces if that is not an object).
  std::optional<std::string> filename;
  /// `applied_globally`: true for every host; a create needs it or host_groups.
  std::optional<bool> applied_globally;
  /// `platforms`: windows, mac, linux, ios, android.
  std::optional<std::vector<std::string>> platforms;
  std::optional<std::vector<std::string>> tags;         ///< `tags`.
  std::optional<std::vector<std::string>> host_groups;  ///< `host_groups`: ids (32 hex).
  std::optional<nlohmann::json> metadata;  ///< `metadata` (api.MetadataReqV1, {"filename":..}).
};

/// msa.RangeSpec with the API's capitalised keys: {"From":..,"To":..}.
struct AggregateRange {
  double from = 0;  ///< `From` (double): lower bound of the range.
  double to = 0;    ///< `To` (double): upper bound of the range.
};

/// Reads api.MetadataV1 (nlohmann's from_json hook). A missing, null or mistyped key leaves its
/// field as it was; so does a non-object `j` for every field.
void from_json(const nlohmann::json& j, IndicatorMetadata& m);
/// Writes the set fields of `m` as a JSON object.
void to_json(nlohmann::json& j, const IndicatorMetadata& m);
/// Reads api.IndicatorV1; lenient like the other readers, so a newer API never breaks decoding.
void from_json(const nlohmann::json& j, Indicator& i);
/// Writes `i` as a JSON object: id, type, value and the three lists always, optionals when set.
void to_json(nlohmann::json& j, const Indicator& i);
/// Reads one row message of a create/update 400 reply.
void from_json(const nlohmann::json& j, RowMessage& r);
/// Reads api.ActionV1.
void from_json(const nlohmann::json& j, Action& a);
/// Reads api.DeviceCountV1 or iocapi.IOCDevicesCount.
void from_json(const nlohmann::json& j, DeviceCount& d);
/// Reads processesapi.ProcessDetail.
void from_json(const nlohmann::json& j, ProcessDetail& p);
/// Writes one create/update indicator: set fields only, `filename` merged into `metadata`.
void to_json(nlohmann::json& j, const IndicatorSpec& s);
/// Writes {"From":from,"To":to}.
void to_json(nlohmann::json& j, const AggregateRange& r);

}  // namespace falcon
