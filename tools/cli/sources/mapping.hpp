// The one mapping table of falcon-ioc's sources (docs/sources.md#mapping): what a source's
// record says (STIX/OpenCTI confidence, MISP threat_level_id, tags, the indicator type) becomes
// an indicator's severity, action and tags. A default table, overridden key by key by
// --mapping FILE. Every source calls map_record(), after reading its record and before the
// feed reader's rulebook checks.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace falcon_cli::sources {

struct Mapping {
  /// (lowest confidence, severity), ascending: confidence c takes the last band with min <= c.
  std::vector<std::pair<int, std::string>> confidence;
  /// MISP threat_level_id ("1".."4") → severity; an id not listed takes --severity.
  std::map<std::string, std::string> threat_level;
  /// Indicator type → action; a type not listed takes --action.
  std::map<std::string, std::string> action;
  /// Tags dropped (exact, or a prefix ending in '*'), compared case-insensitively.
  std::vector<std::string> drop_tags;
  /// Tags added to every indicator.
  std::vector<std::string> add_tags;

  /// The documented default table.
  static Mapping defaults();
  /// The default table with the keys of the JSON file `path` replacing its parts; throws
  /// SourceError naming the file, the key and the rule.
  static Mapping load(const std::string& path);
  /// The table as JSON, in the file's format (docs/sources.md shows it).
  nlohmann::json to_json() const;
};

/// What a source's record says, before mapping.
struct SourceRecord {
  std::string type;                         ///< sha256, md5, domain, ipv4, ipv6
  std::optional<int> confidence;            ///< STIX / OpenCTI 0-100
  std::optional<std::string> threat_level;  ///< MISP threat_level_id
  std::vector<std::string> tags;            ///< STIX labels, MISP tags (TLP included)
};

/// The fields the mapping sets; unset ones take the command's defaults (--severity, --action).
struct Mapped {
  std::optional<std::string> severity, action;
  std::vector<std::string> tags;
};

/// The one place a source's record is mapped.
Mapped map_record(const Mapping& m, const SourceRecord& r);

}  // namespace falcon_cli::sources
