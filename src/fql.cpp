#include "falcon/fql.hpp"

#include "falcon/indicators.hpp"

#include <ctime>
#include <stdexcept>

namespace falcon::fql {

Expr make_atom(std::string text);

namespace {

void check_field(std::string_view field) {
  if (field.empty()) throw std::invalid_argument("fql: empty field name");
  if (field.size() > 128) {
    throw std::invalid_argument("fql: field name longer than 128 characters");
  }
  for (char c : field) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.';
    if (!ok) {
      throw std::invalid_argument("fql: field '" + std::string(field) +
                                  "' may hold only letters, digits, '_' and '.'");
    }
  }
}

void check_value(std::string_view field, std::string_view value) {
  if (value.empty()) {
    throw std::invalid_argument("fql: empty value for field '" + std::string(field) +
                                "' (FQL has no empty string; use is_null)");
  }
}

std::string set_text(std::string_view field, const std::vector<std::string>& values) {
  if (values.empty()) {
    throw std::invalid_argument("fql: empty set for field '" + std::string(field) + "'");
  }
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    check_value(field, values[i]);
    if (i) out += ',';
    out += quote(values[i]);
  }
  out += ']';
  return out;
}

Expr compare(std::string_view field, std::string_view op, std::string_view value) {
  check_field(field);
  check_value(field, value);
  return make_atom(std::string(field) + ":" + std::string(op) + quote(value));
}

Expr compare_bare(std::string_view field, std::string_view op, std::string_view bare) {
  check_field(field);
  return make_atom(std::string(field) + ":" + std::string(op) + std::string(bare));
}

}  // namespace

Expr make_atom(std::string text) {
  return Expr(std::move(text), Expr::Kind::atom);
}

Expr Expr::raw(std::string text) {
  // Unknown structure: parenthesise when combined, so its own ',' cannot leak out.
  return Expr(std::move(text), Kind::disj);
}

Expr operator&&(const Expr& a, const Expr& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  auto part = [](const Expr& e) {
    return e.kind_ == Expr::Kind::disj ? "(" + e.text_ + ")" : e.text_;
  };
  return Expr(part(a) + "+" + part(b), Expr::Kind::conj);
}

Expr operator||(const Expr& a, const Expr& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return Expr(a.text_ + "," + b.text_, Expr::Kind::disj);
}

std::string quote(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  out += '\'';
  for (char c : value) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

std::string timestamp(std::chrono::system_clock::time_point t) {
  rules::Time whole = rules::Time::from(t);
  whole.nanos = 0;  // FQL compares timestamps in whole seconds
  return rules::format_time(whole);
}

Expr eq(std::string_view field, std::string_view value) {
  if (value.find('*') != std::string_view::npos) {
    check_field(field);
    return make_atom(std::string(field) + ":" + set_text(field, {std::string(value)}));
  }
  return compare(field, "", value);
}
Expr eq(std::string_view field, bool value) {
  return compare_bare(field, "", value ? "true" : "false");
}
Expr eq(std::string_view field, std::int64_t value) {
  return compare_bare(field, "", std::to_string(value));
}
Expr ne(std::string_view field, std::string_view value) {
  if (value.find('*') != std::string_view::npos) {
    check_field(field);
    return make_atom(std::string(field) + ":!" + set_text(field, {std::string(value)}));
  }
  return compare(field, "!", value);
}
Expr ne(std::string_view field, bool value) {
  return compare_bare(field, "!", value ? "true" : "false");
}

Expr gt(std::string_view f, std::string_view v) {
  return compare(f, ">", v);
}
Expr gte(std::string_view f, std::string_view v) {
  return compare(f, ">=", v);
}
Expr lt(std::string_view f, std::string_view v) {
  return compare(f, "<", v);
}
Expr lte(std::string_view f, std::string_view v) {
  return compare(f, "<=", v);
}
Expr gt(std::string_view f, std::chrono::system_clock::time_point t) {
  return compare(f, ">", timestamp(t));
}
Expr gte(std::string_view f, std::chrono::system_clock::time_point t) {
  return compare(f, ">=", timestamp(t));
}
Expr lt(std::string_view f, std::chrono::system_clock::time_point t) {
  return compare(f, "<", timestamp(t));
}
Expr lte(std::string_view f, std::chrono::system_clock::time_point t) {
  return compare(f, "<=", timestamp(t));
}
Expr gt(std::string_view f, std::int64_t n) {
  return compare_bare(f, ">", std::to_string(n));
}
Expr gte(std::string_view f, std::int64_t n) {
  return compare_bare(f, ">=", std::to_string(n));
}
Expr lt(std::string_view f, std::int64_t n) {
  return compare_bare(f, "<", std::to_string(n));
}
Expr lte(std::string_view f, std::int64_t n) {
  return compare_bare(f, "<=", std::to_string(n));
}

Expr any_of(std::string_view field, const std::vector<std::string>& values) {
  check_field(field);
  return make_atom(std::string(field) + ":" + set_text(field, values));
}
Expr none_of(std::string_view field, const std::vector<std::string>& values) {
  check_field(field);
  return make_atom(std::string(field) + ":!" + set_text(field, values));
}
Expr like(std::string_view field, std::string_view pattern) {
  return compare(field, "*", pattern);
}
Expr not_like(std::string_view field, std::string_view pattern) {
  return compare(field, "!*", pattern);
}
Expr contains(std::string_view field, std::string_view text) {
  return compare(field, "~", text);
}
Expr is_null(std::string_view field) {
  return compare_bare(field, "", "null");
}
Expr not_null(std::string_view field) {
  return compare_bare(field, "!", "null");
}

Expr all_of(std::initializer_list<Expr> exprs) {
  Expr out;
  for (const Expr& e : exprs) out = out && e;
  return out;
}
Expr either(std::initializer_list<Expr> exprs) {
  Expr out;
  for (const Expr& e : exprs) out = out || e;
  return out;
}

std::string sort(std::string_view field, bool descending) {
  check_field(field);
  return std::string(field) + (descending ? ".desc" : ".asc");
}

}  // namespace falcon::fql
