// FQL (Falcon Query Language) filters and sort specs for the emulator. Parsed in fql_parse.cpp
// (FqlFilter::parse, SortSpec::parse), evaluated in fql_eval.cpp against one record rendered as
// JSON (api.IndicatorV1 shape, or only the keys the filter reads); times and date math are
// fql_time.hpp's. The store's indexes answer what conjuncts() shows they can (ioc_ops.cpp plans
// that); everything else is a scan that calls matches() on each record.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fql_time.hpp"

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
  static FqlFilter parse(std::string_view text, const FqlTime& now);

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

  /// The literals of a top-level AND term `field:['a','b',...]` (or `field:'a'`) that compares
  /// as exact text: every record the filter matches holds one of them in `field`. nullopt when
  /// the filter has no such term.
  std::optional<std::vector<std::string>> any_of(std::string_view field) const;

  /// One term of the filter's top-level AND.
  struct Conjunct {
    enum class Kind {
      equality,     ///< an Equality (see above): `eq` is set
      not_deleted,  ///< exactly `deleted:false`: true of every record that is not deleted
      other,        ///< anything else
    };
    Kind kind = Kind::other;
    Equality eq;
    std::vector<std::string> fields;  ///< fields the term reads
  };
  /// The terms of the top-level AND (one term when the filter is a single comparison, none
  /// when it matches everything). A record matches the filter exactly when it matches every
  /// term, so an index holding the records one term selects answers the filter by checking
  /// the others.
  std::vector<Conjunct> conjuncts() const;

  struct Node;  // the parsed expression tree (defined in fql_internal.hpp)

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

}  // namespace falcon::emulator
