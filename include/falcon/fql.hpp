/// @file fql.hpp
/// Builds FQL (Falcon Query Language) filter strings with the quoting done right, so nobody
/// hand-writes `type:'domain'+value:'x'` again:
///
///     auto f = fql::eq("source", name) && fql::gte("modified_on", t);
///     opts.filter = f.str();   // source:'my feed'+modified_on:>='2025-01-01T00:00:00Z'
///
/// Strings are single-quoted with `\` and `'` escaped by a backslash. `&&` is FQL's `+` (AND),
/// `||` its `,` (OR); an OR inside an AND is parenthesised, because `+` binds tighter. Field
/// names are checked (letters, digits, `_` and `.`); a bad field or an empty value throws
/// std::invalid_argument naming the field and the rule.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace falcon::fql {

/// One FQL expression. The default one is empty: it matches everything, and is the identity
/// of `&&` and `||`.
class Expr {
 public:
  Expr() = default;

  /// Wraps `text` as given (no checks): an escape hatch for syntax the builder lacks.
  static Expr raw(std::string text);

  /// The FQL text, ready for a `filter` parameter (the SDK percent-encodes it on the wire).
  const std::string& str() const noexcept { return text_; }
  /// True for the empty expression.
  bool empty() const noexcept { return text_.empty(); }

  /// AND: `a+b` (an OR operand is parenthesised).
  friend Expr operator&&(const Expr& a, const Expr& b);
  /// OR: `a,b`.
  friend Expr operator||(const Expr& a, const Expr& b);
  /// Same FQL text.
  friend bool operator==(const Expr& a, const Expr& b) { return a.text_ == b.text_; }
  /// Different FQL text.
  friend bool operator!=(const Expr& a, const Expr& b) { return !(a == b); }

 private:
  enum class Kind { atom, conj, disj };
  Expr(std::string text, Kind kind) : text_(std::move(text)), kind_(kind) {}
  friend Expr make_atom(std::string text);

  std::string text_;
  Kind kind_ = Kind::atom;
};

/// `'v'` with backslashes and single quotes escaped by a backslash.
std::string quote(std::string_view value);

/// RFC 3339 UTC with seconds, as FQL compares timestamps: "2025-01-01T00:00:00Z".
std::string timestamp(std::chrono::system_clock::time_point t);

/// `field:'value'`, exact. A value containing an asterisk (which FQL would read as a
/// wildcard) is sent as a one-element FQL set, which matches exactly.
Expr eq(std::string_view field, std::string_view value);
/// `field:'value'` for a C string (so string literals do not pick the bool overload).
inline Expr eq(std::string_view field, const char* value) {
  return eq(field, std::string_view(value));
}
/// `field:true` / `field:false`.
Expr eq(std::string_view field, bool value);
/// `field:42`.
Expr eq(std::string_view field, std::int64_t value);
/// `field:42` for an int.
inline Expr eq(std::string_view field, int value) {
  return eq(field, static_cast<std::int64_t>(value));
}
/// `field:!'value'` (a value with `*` becomes `field:!['value']`).
Expr ne(std::string_view field, std::string_view value);
/// `field:!'value'` for a C string.
inline Expr ne(std::string_view field, const char* value) {
  return ne(field, std::string_view(value));
}
/// `field:!true` / `field:!false`.
Expr ne(std::string_view field, bool value);

/// `field:>'value'`.
Expr gt(std::string_view field, std::string_view value);
/// `field:>='value'`.
Expr gte(std::string_view field, std::string_view value);
/// `field:<'value'`.
Expr lt(std::string_view field, std::string_view value);
/// `field:<='value'`.
Expr lte(std::string_view field, std::string_view value);
/// `field:>'<RFC 3339>'`.
Expr gt(std::string_view field, std::chrono::system_clock::time_point t);
/// `field:>='<RFC 3339>'`.
Expr gte(std::string_view field, std::chrono::system_clock::time_point t);
/// `field:<'<RFC 3339>'`.
Expr lt(std::string_view field, std::chrono::system_clock::time_point t);
/// `field:<='<RFC 3339>'`.
Expr lte(std::string_view field, std::chrono::system_clock::time_point t);
/// `field:>N`.
Expr gt(std::string_view field, std::int64_t n);
/// `field:>=N`.
Expr gte(std::string_view field, std::int64_t n);
/// `field:<N`.
Expr lt(std::string_view field, std::int64_t n);
/// `field:<=N`.
Expr lte(std::string_view field, std::int64_t n);

/// `field:['a','b']`: exact match against a set. Throws on an empty set.
Expr any_of(std::string_view field, const std::vector<std::string>& values);
/// `field:!['a','b']`: none of the set. Throws on an empty set.
Expr none_of(std::string_view field, const std::vector<std::string>& values);
/// `field:*'pattern'`: wildcard match (`*` matches any run of characters).
Expr like(std::string_view field, std::string_view pattern);
/// `field:!*'pattern'`: negated wildcard.
Expr not_like(std::string_view field, std::string_view pattern);
/// `field:~'text'`: case-insensitive text match.
Expr contains(std::string_view field, std::string_view text);
/// `field:null`.
Expr is_null(std::string_view field);
/// `field:!null`.
Expr not_null(std::string_view field);

/// AND of every expression (empty ones skipped).
Expr all_of(std::initializer_list<Expr> exprs);
/// OR of every expression (empty ones skipped).
Expr either(std::initializer_list<Expr> exprs);

/// `name.asc` / `name.desc`: a sort parameter; throws on a bad field name.
std::string sort(std::string_view field, bool descending = false);

}  // namespace falcon::fql
