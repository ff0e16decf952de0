// The store's sort indexes: the non-deleted records in one sort order, optionally grouped by
// the values of one or two fields, in an order-statistics tree (rank and select in O(log N)).
// An entry is a pointer to the record: the order is read from the record itself, so an index
// costs one small tree node per record.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "record.hpp"

namespace falcon::emulator {

/// A sort value normalized so that records, and the value inside an `after` cursor, compare
/// the same way: booleans < numbers < times < strings, nulls last in either direction.
struct SortKey {
  int kind = 4;  // 0 bool, 1 number, 2 time, 3 string, 4 null
  double num = 0;
  std::int64_t time = 0;
  std::string str;
};

bool is_time_sort_field(const std::string& field);
/// `v` is a record's value of the sort field (or the value stored in a cursor).
SortKey make_sort_key(const nlohmann::json& v, bool time_field);
/// Three-way; nulls sort last whatever the direction.
int compare_sort_keys(const SortKey& a, const SortKey& b, bool descending);

/// Fields an index can group by (equality filters on them are answered from the index):
/// type, value, action, severity, mobile_action, source, created_by, modified_by.
bool is_group_field(const std::string& field);
/// The group value a filter literal selects: lower case for the case-insensitive fields.
std::string group_of_literal(const std::string& field, const std::string& text);

/// Which index: grouped by `group_fields`' values (none, one or two fields, in a canonical
/// order; records with equal values are contiguous), then the sort field, then id ascending.
struct IndexSpec {
  std::vector<std::string> group_fields;
  std::string sort_field;
  bool descending = false;
  friend bool operator<(const IndexSpec& a, const IndexSpec& b) {
    return std::tie(a.group_fields, a.sort_field, a.descending) <
           std::tie(b.group_fields, b.sort_field, b.descending);
  }
};

using RecordMap = std::unordered_map<std::string, Record>;
/// A stored record and its id; nodes of a RecordMap never move.
using RecordRef = const RecordMap::value_type*;

class SortIndex {
 public:
  /// `names` resolves interned client ids; it must outlive the index.
  SortIndex(IndexSpec spec, const NamePool& names);
  ~SortIndex();
  SortIndex(const SortIndex&) = delete;
  SortIndex& operator=(const SortIndex&) = delete;

  const IndexSpec& spec() const { return spec_; }
  std::size_t size() const;
  /// A record enters before it is read by a query and leaves before it changes: the tree is
  /// ordered by what the record holds.
  void insert(RecordRef r);
  void erase(RecordRef r);
  void clear();

  /// Positions [first, last) of the group whose values are `groups` (one per group field;
  /// every entry when the index has no group field).
  std::pair<std::size_t, std::size_t> group(const std::vector<std::string>& groups) const;
  /// The position of the first entry of the group strictly after (key, id).
  std::size_t after(const std::vector<std::string>& groups, const SortKey& key,
                    const std::string& id) const;
  /// Calls fn with the entries at positions [from, to), in order, until it returns false.
  void visit(std::size_t from, std::size_t to, const std::function<bool(RecordRef)>& fn) const;

  std::atomic<std::uint64_t> used{0};  ///< the store's clock at the last search that used it

 private:
  struct Impl;
  IndexSpec spec_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace falcon::emulator
