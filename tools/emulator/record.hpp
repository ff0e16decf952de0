// The stored form of one api.IndicatorV1 record: typed and compact (enums as bytes, times as
// nanoseconds, client ids interned), rendered to JSON only when a reply or the state file
// needs it. A record that does not fit this form exactly (e.g. an odd state file) is kept as
// its JSON, so what is rendered is always what was stored.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace falcon::emulator {

/// Interned short strings (created_by / modified_by: client ids), at most 65,535.
class NamePool {
 public:
  std::optional<std::uint16_t> intern(const std::string& name);
  const std::string& at(std::uint16_t i) const { return list_[i]; }
  void clear();

 private:
  std::vector<std::string> list_;
  std::unordered_map<std::string, std::uint16_t> index_;
};

/// A field an index groups or sorts by, read straight from a compact record.
enum class Field : std::uint8_t {
  action,
  applied_globally,
  created_by,
  created_on,
  expiration,
  expired,
  metadata_av_hits,
  metadata_company_name,
  metadata_filename,
  metadata_original_filename,
  metadata_product_name,
  metadata_product_version,
  modified_by,
  modified_on,
  severity,
  severity_number,
  source,
  type,
  value,
  mobile_action,
};
/// The Field a sort or group field name reads ("metadata.filename.raw" -> metadata_filename),
/// or nullopt for any other name.
std::optional<Field> field_of(std::string_view name);

/// One field's value in a record, as a sort or a group sees it (no JSON built).
struct FieldView {
  enum class Kind : std::uint8_t { absent, boolean, number, time, text };
  Kind kind = Kind::absent;
  bool boolean = false;
  double number = 0;
  std::int64_t time = 0;  ///< ns since the epoch
  std::string_view text;  ///< points into the record or a static table
};

struct Record {
  std::string value;
  std::string source;
  std::string description;
  std::string filename;  // metadata.filename
  std::vector<std::string> tags;
  std::vector<std::string> host_groups;
  std::int64_t created_on = 0;  // ns since the epoch
  std::int64_t modified_on = 0;
  std::int64_t expiration = 0;
  std::uint32_t present = 0;  // one bit per key (see record.cpp)
  std::uint16_t created_by = 0;
  std::uint16_t modified_by = 0;
  std::uint8_t type = 0;  // index into indicator_types(), likewise below
  std::uint8_t action = 0;
  std::uint8_t severity = 0;
  std::uint8_t mobile_action = 0;
  std::uint8_t flags = 0;  // deleted, expired, applied_globally, from_parent
  std::uint8_t platform_count = 0;
  std::array<std::uint8_t, 5> platforms{};
  std::unique_ptr<nlohmann::json> raw;  // set when the compact form cannot hold the record

  /// The compact form of `rec` (an api.IndicatorV1 object with an "id"), or one holding `rec`
  /// verbatim when rendering the compact form would not give back exactly `rec`.
  static Record from_json(const nlohmann::json& rec, NamePool& names);
  /// The api.IndicatorV1 object, `id` included; with `only`, just those top-level keys (and
  /// the id): enough for a filter that reads only them.
  nlohmann::json to_json(const std::string& id, const NamePool& names,
                         const std::vector<std::string>* only = nullptr) const;
  /// Appends exactly what to_json(id, names).dump() gives (invalid UTF-8 replaced, as the
  /// replies' serializer does), without building the JSON.
  void append_json(std::string& out, const std::string& id, const NamePool& names) const;
  /// `f` of a compact record; call only when !raw (a verbatim record is read as JSON).
  FieldView view(Field f, const NamePool& names) const;
  bool deleted() const;
  /// Expiry (spec §5.5): expired becomes true and action no_action.
  void expire();
};

/// Appends `s` as a JSON string (quotes included), as nlohmann's dump() writes it.
void append_json_string(std::string& out, std::string_view s);

}  // namespace falcon::emulator
