// Aggregations (msa.AggregateQueryRequest -> msa.AggregationResult) over indicator records.
#pragma once

#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

namespace falcon::emulator {

/// An aggregate request the emulator refuses; what() names the field and the rule.
class AggregateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Runs one aggregation request (a single msa.AggregateQueryRequest object: type, field, name,
/// filter, size, ranges, date_ranges, interval, sub_aggregates, ...) over `records`, which the
/// caller has already narrowed by any query-level filter. The request's own "filter" (FQL) is
/// applied here. Returns one msa.AggregationResult object ({name, buckets[], ...}).
/// Supported types: terms, date_range, date_histogram, range, cardinality, min, max, avg, sum.
/// Throws AggregateError (or FqlError for a bad filter).
nlohmann::json run_aggregation(const nlohmann::json& request,
                               const std::vector<const nlohmann::json*>& records);

}  // namespace falcon::emulator
