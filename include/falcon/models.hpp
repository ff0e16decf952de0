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

/// api.MetadataV1.
struct IndicatorMetadata {
  std::optional<std::int64_t> av_hits;
  std::optional<std::string> company_name, file_description, file_version, filename,
      original_filename, product_name, product_version;
  std::optional<bool> signed_;  ///< Wire name "signed".
};

/// api.IndicatorV1: one indicator as the API returns it.
struct Indicator {
  std::string id, type, value;
  std::optional<std::string> action, severity, mobile_action, source, description;
  std::vector<std::string> platforms, tags, host_groups;
  std::optional<std::string> created_on, created_by, modified_on, modified_by, expiration;
  std::optional<bool> expired, deleted, applied_globally, from_parent;
  std::optional<std::string> parent_cid_name;
  std::optional<IndicatorMetadata> metadata;
};

/// One row message of a create/update 400 reply (spec §3.9): not an Indicator.
struct RowMessage {
  std::int64_t row = 0;  ///< 1-based index into the request's indicators[].
  std::string value, type, message_type, field_name, message;
  bool is_error() const noexcept { return message_type == "error"; }
};

/// api.ActionV1.
struct Action {
  std::string id;
  nlohmann::json platforms_by_type;  ///< map<string, string[]>
  std::vector<std::string> severities;
};

/// api.DeviceCountV1 / iocapi.IOCDevicesCount.
struct DeviceCount {
  std::optional<std::string> id;
  std::string type, value;
  std::int64_t device_count = 0;
  std::optional<bool> limit_exceeded;
};

/// processesapi.ProcessDetail.
struct ProcessDetail {
  std::string command_line, device_id, file_name, process_id, process_id_local, start_timestamp,
      start_timestamp_raw, stop_timestamp, stop_timestamp_raw;
};

/// api.IndicatorCreateReqV1 / api.IndicatorUpdateReqV1 item: converts to the JSON object of
/// one indicator in a create or update body; unset fields are omitted.
struct IndicatorSpec {
  std::optional<std::string> id;  ///< Update only.
  std::optional<std::string> type, value, action, severity, mobile_action, source, description,
      expiration, filename;
  std::optional<bool> applied_globally;
  std::optional<std::vector<std::string>> platforms, tags, host_groups;
  std::optional<nlohmann::json> metadata;
};

/// msa.RangeSpec with the API's capitalised keys: {"From":..,"To":..}.
struct AggregateRange {
  double from = 0;
  double to = 0;
};

void from_json(const nlohmann::json& j, IndicatorMetadata& m);
void to_json(nlohmann::json& j, const IndicatorMetadata& m);
void from_json(const nlohmann::json& j, Indicator& i);
void to_json(nlohmann::json& j, const Indicator& i);
void from_json(const nlohmann::json& j, RowMessage& r);
void from_json(const nlohmann::json& j, Action& a);
void from_json(const nlohmann::json& j, DeviceCount& d);
void from_json(const nlohmann::json& j, ProcessDetail& p);
void to_json(nlohmann::json& j, const IndicatorSpec& s);
void to_json(nlohmann::json& j, const AggregateRange& r);

}  // namespace falcon
