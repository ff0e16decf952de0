#include "falcon/models.hpp"

#include "json_number.hpp"

namespace falcon {

namespace {

using nlohmann::json;

// get<T>() for every field type but integers.
template <typename T>
std::optional<T> read(const json& v) {
  try {
    return v.get<T>();
  } catch (const json::exception&) {
    // A value of an unexpected type is left unset rather than failing the whole record.
    return std::nullopt;
  }
}
// Integers never through get<std::int64_t>(): its cast of a float out of range (1e30) is
// undefined behaviour. Out of range or not a number: unset.
template <>
std::optional<std::int64_t> read<std::int64_t>(const json& v) {
  return internal::json_number_to_int64(v);
}

template <typename T>
void get_opt(const json& j, const char* key, std::optional<T>& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) {
    if (auto v = read<T>(*it)) out = std::move(*v);
  }
}

template <typename T>
void get_or(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) {
    if (auto v = read<T>(*it)) out = std::move(*v);
  }
}

template <typename T>
void put(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

}  // namespace

void from_json(const json& j, IndicatorMetadata& m) {
  if (!j.is_object()) return;
  get_opt(j, "av_hits", m.av_hits);
  get_opt(j, "company_name", m.company_name);
  get_opt(j, "file_description", m.file_description);
  get_opt(j, "file_version", m.file_version);
  get_opt(j, "filename", m.filename);
  get_opt(j, "original_filename", m.original_filename);
  get_opt(j, "product_name", m.product_name);
  get_opt(j, "product_version", m.product_version);
  get_opt(j, "signed", m.signed_);
}

void to_json(json& j, const IndicatorMetadata& m) {
  j = json::object();
  put(j, "av_hits", m.av_hits);
  put(j, "company_name", m.company_name);
  put(j, "file_description", m.file_description);
  put(j, "file_version", m.file_version);
  put(j, "filename", m.filename);
  put(j, "original_filename", m.original_filename);
  put(j, "product_name", m.product_name);
  put(j, "product_version", m.product_version);
  put(j, "signed", m.signed_);
}

void from_json(const json& j, Indicator& i) {
  if (!j.is_object()) return;
  get_or(j, "id", i.id);
  get_or(j, "type", i.type);
  get_or(j, "value", i.value);
  get_opt(j, "action", i.action);
  get_opt(j, "severity", i.severity);
  get_opt(j, "mobile_action", i.mobile_action);
  get_opt(j, "source", i.source);
  get_opt(j, "description", i.description);
  get_or(j, "platforms", i.platforms);
  get_or(j, "tags", i.tags);
  get_or(j, "host_groups", i.host_groups);
  get_opt(j, "created_on", i.created_on);
  get_opt(j, "created_by", i.created_by);
  get_opt(j, "modified_on", i.modified_on);
  get_opt(j, "modified_by", i.modified_by);
  get_opt(j, "expiration", i.expiration);
  get_opt(j, "expired", i.expired);
  get_opt(j, "deleted", i.deleted);
  get_opt(j, "applied_globally", i.applied_globally);
  get_opt(j, "from_parent", i.from_parent);
  get_opt(j, "parent_cid_name", i.parent_cid_name);
  if (auto it = j.find("metadata"); it != j.end() && it->is_object()) {
    i.metadata = it->get<IndicatorMetadata>();
  }
}

void to_json(json& j, const Indicator& i) {
  j = json::object();
  j["id"] = i.id;
  j["type"] = i.type;
  j["value"] = i.value;
  put(j, "action", i.action);
  put(j, "severity", i.severity);
  put(j, "mobile_action", i.mobile_action);
  put(j, "source", i.source);
  put(j, "description", i.description);
  j["platforms"] = i.platforms;
  j["tags"] = i.tags;
  j["host_groups"] = i.host_groups;
  put(j, "created_on", i.created_on);
  put(j, "created_by", i.created_by);
  put(j, "modified_on", i.modified_on);
  put(j, "modified_by", i.modified_by);
  put(j, "expiration", i.expiration);
  put(j, "expired", i.expired);
  put(j, "deleted", i.deleted);
  put(j, "applied_globally", i.applied_globally);
  put(j, "from_parent", i.from_parent);
  put(j, "parent_cid_name", i.parent_cid_name);
  if (i.metadata) j["metadata"] = *i.metadata;
}

void from_json(const json& j, RowMessage& r) {
  if (!j.is_object()) return;
  get_or(j, "row", r.row);
  get_or(j, "value", r.value);
  get_or(j, "type", r.type);
  get_or(j, "message_type", r.message_type);
  get_or(j, "field_name", r.field_name);
  get_or(j, "message", r.message);
}

void from_json(const json& j, Action& a) {
  if (!j.is_object()) return;
  get_or(j, "id", a.id);
  if (auto it = j.find("platforms_by_type"); it != j.end()) a.platforms_by_type = *it;
  get_or(j, "severities", a.severities);
}

void from_json(const json& j, DeviceCount& d) {
  if (!j.is_object()) return;
  get_opt(j, "id", d.id);
  get_or(j, "type", d.type);
  get_or(j, "value", d.value);
  get_or(j, "device_count", d.device_count);
  get_opt(j, "limit_exceeded", d.limit_exceeded);
}

void from_json(const json& j, ProcessDetail& p) {
  if (!j.is_object()) return;
  get_or(j, "command_line", p.command_line);
  get_or(j, "device_id", p.device_id);
  get_or(j, "file_name", p.file_name);
  get_or(j, "process_id", p.process_id);
  get_or(j, "process_id_local", p.process_id_local);
  get_or(j, "start_timestamp", p.start_timestamp);
  get_or(j, "start_timestamp_raw", p.start_timestamp_raw);
  get_or(j, "stop_timestamp", p.stop_timestamp);
  get_or(j, "stop_timestamp_raw", p.stop_timestamp_raw);
}

void to_json(json& j, const IndicatorSpec& s) {
  j = json::object();
  put(j, "id", s.id);
  put(j, "type", s.type);
  put(j, "value", s.value);
  put(j, "action", s.action);
  put(j, "severity", s.severity);
  put(j, "mobile_action", s.mobile_action);
  put(j, "source", s.source);
  put(j, "description", s.description);
  put(j, "expiration", s.expiration);
  put(j, "applied_globally", s.applied_globally);
  put(j, "platforms", s.platforms);
  put(j, "tags", s.tags);
  put(j, "host_groups", s.host_groups);
  put(j, "metadata", s.metadata);
  if (s.filename) {
    json& md = j["metadata"];
    if (!md.is_object()) md = json::object();
    md["filename"] = *s.filename;
  }
}

void to_json(json& j, const AggregateRange& r) {
  j = json{{"From", r.from}, {"To", r.to}};
}

}  // namespace falcon
