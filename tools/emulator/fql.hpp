// FQL (Falcon Query Language) filters and sort specs for the emulator, evaluated against
// indicator records held as JSON (api.IndicatorV1 shape).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace falcon::emulator {

/// A filter or sort string that cannot be used; what() names the problem (and the position
/// or field), ready to go into a 400 reply's errors[].message.
class FqlError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A parsed FQL filter. Immutable and safe to share between threads once parsed.
class FqlFilter {
 public:
  /// Parses `text`. An empty or all-blank text matches everything. Throws FqlError.
  /// Relative times ('now-30d', 'now-24h', 'now-1w', 'now-1M/M') count from the system clock.
  static FqlFilter parse(std::string_view text);
  /// As above; relative times count from `now`.
  static FqlFilter parse(std::string_view text, const struct FqlTime& now);

  /// True when `record` (an api.IndicatorV1 JSON object) satisfies the filter.
  bool matches(const nlohmann::json& record) const;

  /// Field names the filter refers to, in order of appearance (e.g. "metadata.filename").
  const std::vector<std::string>& fields() const noexcept;

  /// A comparison `field:'text'` whose result is plain text equality (case-insensitive on
  /// type, action, severity and mobile_action): no wildcard, set, null, number, boolean or
  /// time literal. Such filters can be answered from an index.
  struct Equality {
    std::string field;  ///< canonical path (".raw" stripped)
    std::string text;   ///< the literal, unescaped
    bool case_insensitive = false;
  };
  /// The whole filter when it is one such comparison, else nullopt.
  std::optional<Equality> simple_equality() const;

  struct Node;  // the parsed expression tree (defined in fql.cpp)

 private:
  std::shared_ptr<const Node> root_;
  std::vector<std::string> fields_;
};

/// One sort key: "created_on.desc", "value|asc", "type" (ascending).
struct SortSpec {
  std::string field;  ///< One of the 18 sort fields of the spec (e.g. "metadata.filename.raw").
  bool descending = false;

  /// Parses a sort string. Throws FqlError naming the field when it is not sortable.
  static SortSpec parse(std::string_view text);
};

/// The 18 sortable fields of indicator_combined_v1 / indicator_search_v1.
const std::vector<std::string>& sort_fields();

/// Reads a (possibly dotted) field of a record, mapping ".raw" suffixes and severity_number
/// (informational=1, low=2, medium=3, high=4, critical=5, 0 when none) to what they sort on;
/// null when absent.
nlohmann::json field_value(const nlohmann::json& record, std::string_view field);

/// Three-way compare of two records on one sort key (ties are not broken here).
int compare_records(const nlohmann::json& a, const nlohmann::json& b, const SortSpec& sort);

/// True when `field` may appear in a filter or an aggregation: the api.IndicatorV1 fields,
/// metadata.<subfield>, the ".raw" form of any string field, and severity_number.
bool is_filter_field(std::string_view field);

/// A UTC instant with nanosecond precision; wide enough for 0001-01-01 (gofalcon's zero time).
struct FqlTime {
  std::int64_t seconds = 0;  ///< Since 1970-01-01T00:00:00Z.
  std::int32_t nanos = 0;    ///< 0 .. 999'999'999.

  friend bool operator==(const FqlTime& a, const FqlTime& b) {
    return a.seconds == b.seconds && a.nanos == b.nanos;
  }
  friend bool operator!=(const FqlTime& a, const FqlTime& b) { return !(a == b); }
  friend bool operator<(const FqlTime& a, const FqlTime& b) {
    return a.seconds != b.seconds ? a.seconds < b.seconds : a.nanos < b.nanos;
  }
};

/// Parses RFC 3339 ("2025-02-03T10:04:18.39565409Z", any fraction length, "Z" or an offset;
/// seconds and zone may be omitted, meaning :00 and UTC) or a bare "YYYY-MM-DD" (midnight
/// UTC). nullopt when `text` is neither.
std::optional<FqlTime> parse_fql_time(std::string_view text);

/// Elasticsearch-style date math on "now" as Falcon filters and date ranges take it: "now",
/// then any of +N or -N with a unit (s, m, h, d, w, M, y) or /unit (round down). nullopt when
/// `text` is not such an expression (defined in aggregate.cpp).
std::optional<FqlTime> parse_relative_time(std::string_view text, const FqlTime& now);

/// The system clock as an FqlTime.
FqlTime fql_now();

/// RFC 3339 in UTC ("2025-02-03T10:04:18.39565409Z"); the fraction only when non-zero, with
/// trailing zeros trimmed.
std::string format_fql_time(const FqlTime& t);

}  // namespace falcon::emulator
