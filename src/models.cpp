#include "falcon/models.hpp"

#include <type_traits>

#include "indicator_fields.hpp"
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
struct is_optional : std::false_type {};
template <typename T>
struct is_optional<std::optional<T>> : std::true_type {};

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

// Every key of api.IndicatorV1 comes from the rulebook's field table (indicator_fields.hpp).
void from_json(const json& j, Indicator& i) {
  if (!j.is_object()) return;
  internal::for_each_field([&](const auto& r) {
    if constexpr (internal::reaches<decltype(r.record), Indicator>) {
      using M = std::remove_reference_t<decltype(r.record(i))>;
      if constexpr (std::is_lvalue_reference_v<decltype(r.record(i))> && !std::is_const_v<M>) {
        if (!r.field.record) return;
        auto& m = r.record(i);
        if constexpr (std::is_same_v<std::decay_t<M>, std::optional<IndicatorMetadata>>) {
          if (auto it = j.find(r.field.key); it != j.end() && it->is_object()) {
            m = it->template get<IndicatorMetadata>();
          }
        } else if constexpr (is_optional<std::decay_t<M>>::value) {
          get_opt(j, r.field.key.data(), m);
        } else {
          get_or(j, r.field.key.data(), m);
        }
      }
    }
  });
}

void to_json(json& j, const Indicator& i) {
  j = json::object();
  internal::for_each_field([&](const auto& r) {
    if constexpr (internal::reaches<decltype(r.record), const Indicator>) {
      if (!r.field.record) return;
      const auto& m = r.record(i);
      using M = std::decay_t<decltype(m)>;
      if constexpr (is_optional<M>::value) {
        put(j, r.field.key.data(), m);
      } else {
        j[r.field.key.data()] = m;  // id, type, value and the lists are always written
      }
    }
  });
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
  // Top-level keys first, then those that live inside metadata (filename), so a caller's
  // metadata object is kept and the file name merged into it.
  for (const bool nested : {false, true}) {
    internal::for_each_field([&](const auto& r) {
      if constexpr (internal::reaches<decltype(r.spec), const IndicatorSpec>) {
        if (r.field.in_metadata != nested) return;
        const auto& m = r.spec(s);
        if (!m) return;
        if (!nested) {
          j[r.field.key.data()] = *m;
          return;
        }
        json& md = j["metadata"];
        if (!md.is_object()) md = json::object();
        md[r.field.key.data()] = *m;
      }
    });
  }
}

void to_json(json& j, const AggregateRange& r) {
  j = json{{"From", r.from}, {"To", r.to}};
}

}  // namespace falcon
