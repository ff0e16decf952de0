// Internal to the FQL files (fql_parse.cpp, fql_eval.cpp): the parsed expression tree and the
// helpers both halves use. Not for other parts of the emulator.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fql.hpp"

namespace falcon::emulator {

// Named (not anonymous) because FqlFilter::Node, which has external linkage, holds these.
namespace fql_detail {

enum class Kind { String, CiString, Time, Bool, Number, StringArray };

enum class Op { Eq, Ne, Gt, Ge, Lt, Le, Wild, NotWild, Text, NotText, In, NotIn };

struct Literal {
  enum class Type { String, Number, Bool, Null };
  Type type = Type::String;
  std::string text;  // unescaped, as written
  std::optional<double> number;
  std::optional<bool> boolean;
  std::optional<FqlTime> time;
};

struct Comparison {
  std::string path;  // canonical: ".raw" stripped
  Kind kind = Kind::String;
  Op op = Op::Eq;
  bool wildcard = false;  // plain ':' with a '*' in the value
  std::vector<Literal> values;
};

/// The kind of a filterable field, or nullopt; ".raw" only exists on string-valued fields.
std::optional<Kind> kind_of(std::string_view field);
/// `field` without a trailing ".raw".
std::string_view strip_raw(std::string_view field);
char lower(char c);
std::string lowered(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool is_space(char c);
/// Strict decimal number: [-+]digits[.digits][e[-+]digits]; no hex, inf or nan.
std::optional<double> parse_number(std::string_view s);

template <typename T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

inline int sign(int v) {
  return (v > 0) - (v < 0);
}

}  // namespace fql_detail

struct FqlFilter::Node {
  enum class Type { And, Or, Leaf };
  Type type = Type::Leaf;
  std::vector<std::shared_ptr<const Node>> children;
  fql_detail::Comparison leaf;
};

}  // namespace falcon::emulator
