// FQL parsing: filters (a hand-written recursive descent over the raw text: linear in the input,
// recursion bounded by kMaxDepth, so it can be fed arbitrary bytes) and sort specs.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "fql_internal.hpp"

namespace falcon::emulator {

using fql_detail::Comparison;
using fql_detail::Kind;
using fql_detail::Literal;
using fql_detail::Op;
using nlohmann::json;

namespace {

constexpr int kMaxDepth = 32;
constexpr int kMaxComparisons = 20;

const std::map<std::string, Kind, std::less<>>& field_kinds() {
  static const std::map<std::string, Kind, std::less<>> kinds = {
      {"id", Kind::String},
      {"type", Kind::CiString},
      {"value", Kind::String},
      {"action", Kind::CiString},
      {"severity", Kind::CiString},
      {"severity_number", Kind::Number},
      {"mobile_action", Kind::CiString},
      {"platforms", Kind::StringArray},
      {"tags", Kind::StringArray},
      {"host_groups", Kind::StringArray},
      {"source", Kind::String},
      {"description", Kind::String},
      {"created_on", Kind::Time},
      {"created_by", Kind::String},
      {"modified_on", Kind::Time},
      {"modified_by", Kind::String},
      {"expiration", Kind::Time},
      {"expired", Kind::Bool},
      {"deleted", Kind::Bool},
      {"applied_globally", Kind::Bool},
      {"from_parent", Kind::Bool},
      {"parent_cid_name", Kind::String},
      {"metadata.av_hits", Kind::Number},
      {"metadata.company_name", Kind::String},
      {"metadata.file_description", Kind::String},
      {"metadata.file_version", Kind::String},
      {"metadata.filename", Kind::String},
      {"metadata.original_filename", Kind::String},
      {"metadata.product_name", Kind::String},
      {"metadata.product_version", Kind::String},
      {"metadata.signed", Kind::Bool},
  };
  return kinds;
}

}  // namespace

namespace fql_detail {

std::string_view strip_raw(std::string_view field) {
  constexpr std::string_view kRaw = ".raw";
  if (field.size() > kRaw.size() && field.substr(field.size() - kRaw.size()) == kRaw) {
    return field.substr(0, field.size() - kRaw.size());
  }
  return field;
}

std::optional<Kind> kind_of(std::string_view field) {
  const auto& kinds = field_kinds();
  if (auto it = kinds.find(field); it != kinds.end()) return it->second;
  const std::string_view base = strip_raw(field);
  if (base.size() == field.size()) return std::nullopt;
  auto it = kinds.find(base);
  if (it == kinds.end()) return std::nullopt;
  if (it->second == Kind::String || it->second == Kind::CiString ||
      it->second == Kind::StringArray) {
    return it->second;
  }
  return std::nullopt;
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Strict decimal number: [-+]digits[.digits][e[-+]digits]; no hex, inf or nan.
std::optional<double> parse_number(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  if (!digits()) return std::nullopt;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return std::nullopt;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (!digits()) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  const std::string copy(s);
  const double v = std::strtod(copy.c_str(), nullptr);
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace fql_detail

using fql_detail::iequals;
using fql_detail::is_space;
using fql_detail::kind_of;
using fql_detail::parse_number;
using fql_detail::strip_raw;

namespace {

using NodePtr = std::shared_ptr<const FqlFilter::Node>;

std::string op_name(Op op) {
  switch (op) {
    case Op::Eq:
      return ":";
    case Op::Ne:
      return "!";
    case Op::Gt:
      return ">";
    case Op::Ge:
      return ">=";
    case Op::Lt:
      return "<";
    case Op::Le:
      return "<=";
    case Op::Wild:
      return "*";
    case Op::NotWild:
      return "!*";
    case Op::Text:
      return "~";
    case Op::NotText:
      return "!~";
    case Op::In:
      return "[";
    case Op::NotIn:
      return "![";
  }
  return "?";
}

bool is_field_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.';
}

// Characters that end an unquoted value.
bool ends_bare(char c) {
  return is_space(c) || c == '+' || c == ',' || c == '(' || c == ')' || c == '[' || c == ']' ||
         c == '\'' || c == '"';
}

std::string describe(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u >= 0x7f) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", u);
    return buf;
  }
  return std::string("'") + c + "'";
}

class Parser {
 public:
  Parser(std::string_view text, const FqlTime& now) : s_(text), now_(now) {}

  NodePtr run() {
    skip_ws();
    if (at_end()) return nullptr;
    NodePtr root = parse_or();
    skip_ws();
    if (!at_end()) {
      if (peek() == ')') fail("unbalanced parentheses: unexpected ')'", pos_);
      fail("unexpected " + describe(peek()) + " (expected '+', ',' or the end of the filter)",
           pos_);
    }
    return root;
  }

  std::vector<std::string> take_fields() { return std::move(fields_); }

 private:
  [[noreturn]] void fail(const std::string& what, std::size_t at) const {
    throw FqlError("invalid filter: " + what + " at character " + std::to_string(at + 1));
  }

  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }
  void skip_ws() {
    while (!at_end() && is_space(s_[pos_])) ++pos_;
  }

  NodePtr combine(FqlFilter::Node::Type type, std::vector<NodePtr> parts) {
    if (parts.size() == 1) return parts.front();
    auto node = std::make_shared<FqlFilter::Node>();
    node->type = type;
    node->children = std::move(parts);
    return node;
  }

  NodePtr parse_or() {
    std::vector<NodePtr> parts{parse_and()};
    while (true) {
      skip_ws();
      if (peek() != ',') break;
      ++pos_;
      parts.push_back(parse_and());
    }
    return combine(FqlFilter::Node::Type::Or, std::move(parts));
  }

  NodePtr parse_and() {
    std::vector<NodePtr> parts{parse_primary()};
    while (true) {
      skip_ws();
      if (peek() != '+') break;
      ++pos_;
      parts.push_back(parse_primary());
    }
    return combine(FqlFilter::Node::Type::And, std::move(parts));
  }

  NodePtr parse_primary() {
    skip_ws();
    if (at_end()) fail("expected a field name but the filter ends", pos_);
    if (peek() == ')') fail("unbalanced parentheses: unexpected ')'", pos_);
    if (peek() != '(') return parse_comparison();
    const std::size_t open = pos_++;
    if (++depth_ > kMaxDepth) {
      fail("parentheses nested deeper than " + std::to_string(kMaxDepth) + " levels", open);
    }
    skip_ws();
    if (peek() == ')') fail("empty parentheses", open);
    NodePtr inner = parse_or();
    skip_ws();
    if (peek() != ')') {
      fail("unbalanced parentheses: no ')' closes the '(' at character " +
               std::to_string(open + 1) + ", found " +
               (at_end() ? std::string("the end of the filter") : describe(peek())),
           pos_);
    }
    ++pos_;
    --depth_;
    return inner;
  }

  NodePtr parse_comparison() {
    const std::size_t start = pos_;
    while (!at_end() && is_field_char(peek())) ++pos_;
    if (pos_ == start) fail("expected a field name, found " + describe(peek()), pos_);
    const std::string field(s_.substr(start, pos_ - start));
    skip_ws();
    if (peek() != ':') {
      fail("missing ':' after field '" + field + "'", pos_);
    }
    const std::optional<Kind> kind = kind_of(field);
    if (!kind) {
      fail("unknown field '" + field + "'", start);
    }
    if (++comparisons_ > kMaxComparisons) {
      fail("more than " + std::to_string(kMaxComparisons) + " property comparisons", start);
    }
    if (std::find(fields_.begin(), fields_.end(), field) == fields_.end()) {
      fields_.push_back(field);
    }
    ++pos_;  // ':'
    skip_ws();

    auto node = std::make_shared<FqlFilter::Node>();
    Comparison& c = node->leaf;
    c.path = std::string(strip_raw(field));
    c.kind = *kind;
    c.op = parse_op();
    skip_ws();
    const std::size_t value_at = pos_;
    if (peek() == '[') {
      if (c.op != Op::Eq && c.op != Op::Ne) {
        fail("operator '" + op_name(c.op) + "' cannot be used with a set for field '" + field + "'",
             value_at);
      }
      c.op = c.op == Op::Eq ? Op::In : Op::NotIn;
      parse_set(field, c.values);
    } else {
      c.values.push_back(parse_value(field));
      const Literal& lit = c.values.front();
      c.wildcard = c.op == Op::Eq && lit.type == Literal::Type::String &&
                   lit.text.find('*') != std::string::npos;
    }
    check_types(field, c, value_at);
    return node;
  }

  // Consumes `c` when it is next.
  bool eat(char c) {
    if (peek() != c || at_end()) return false;
    ++pos_;
    return true;
  }

  Op parse_op() {
    if (eat('!')) {
      if (eat('*')) return Op::NotWild;
      if (eat('~')) return Op::NotText;
      return Op::Ne;
    }
    if (eat('>')) return eat('=') ? Op::Ge : Op::Gt;
    if (eat('<')) return eat('=') ? Op::Le : Op::Lt;
    if (eat('*')) return Op::Wild;
    if (eat('~')) return Op::Text;
    return Op::Eq;
  }

  void parse_set(const std::string& field, std::vector<Literal>& out) {
    const std::size_t open = pos_++;  // '['
    skip_ws();
    if (peek() == ']') fail("empty set for field '" + field + "'", open);
    while (true) {
      skip_ws();
      out.push_back(parse_value(field));
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return;
      }
      fail("unbalanced brackets: no ']' closes the '[' at character " + std::to_string(open + 1),
           pos_);
    }
  }

  Literal parse_value(const std::string& field) {
    Literal lit;
    const std::size_t at = pos_;
    const char c = peek();
    if (c == '\'' || c == '"') {
      lit.text = parse_quoted();
      if (lit.text.empty()) fail("empty value for field '" + field + "'", at);
    } else {
      while (!at_end() && !ends_bare(peek())) ++pos_;
      const std::string_view word = s_.substr(at, pos_ - at);
      if (word.empty()) {
        if (c == '[') fail("a set cannot hold a set (field '" + field + "')", at);
        fail("empty value for field '" + field + "'", at);
      }
      lit.text = std::string(word);
      if (word == "null") {
        lit.type = Literal::Type::Null;
        return lit;
      }
      if (word == "true" || word == "false") {
        lit.type = Literal::Type::Bool;
      } else if (parse_number(word)) {
        lit.type = Literal::Type::Number;
      }
    }
    lit.number = parse_number(lit.text);
    if (iequals(lit.text, "true") || iequals(lit.text, "false")) {
      lit.boolean = iequals(lit.text, "true");
    }
    lit.time = parse_fql_time(lit.text);
    if (!lit.time && kind_of(field) == Kind::Time) lit.time = parse_relative_time(lit.text, now_);
    return lit;
  }

  std::string parse_quoted() {
    const std::size_t open = pos_;
    const char quote = s_[pos_++];
    std::string out;
    while (true) {
      if (at_end()) {
        fail(std::string("unbalanced quotes: no closing ") + quote + " for the quote", open);
      }
      const char ch = s_[pos_++];
      if (ch == quote) return out;
      if (ch == '\\' && !at_end()) {
        out += s_[pos_++];
        continue;
      }
      out += ch;
    }
  }

  // Rejects literals that can never compare with the field, so typos surface as 400s.
  void check_types(const std::string& field, const Comparison& c, std::size_t at) const {
    const bool textual = c.wildcard || c.op == Op::Wild || c.op == Op::NotWild ||
                         c.op == Op::Text || c.op == Op::NotText;
    for (const Literal& lit : c.values) {
      if (lit.type == Literal::Type::Null) {
        if (c.op != Op::Eq && c.op != Op::Ne && c.op != Op::In && c.op != Op::NotIn) {
          fail("operator '" + op_name(c.op) + "' cannot take null (field '" + field + "')", at);
        }
        continue;
      }
      if (textual) continue;
      if (c.kind == Kind::Bool && !lit.boolean) {
        fail("field '" + field + "' takes true or false, not '" + lit.text + "'", at);
      }
      if (c.kind == Kind::Number && !lit.number) {
        fail("field '" + field + "' takes a number, not '" + lit.text + "'", at);
      }
      if (c.kind == Kind::Time && !lit.time) {
        fail("field '" + field + "' takes an RFC 3339 timestamp, YYYY-MM-DD or now-30d, not '" +
                 lit.text + "'",
             at);
      }
    }
  }

  std::string_view s_;
  FqlTime now_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  int comparisons_ = 0;
  std::vector<std::string> fields_;
};

}  // namespace

FqlFilter FqlFilter::parse(std::string_view text) {
  return parse(text, fql_now());
}

FqlFilter FqlFilter::parse(std::string_view text, const FqlTime& now) {
  Parser parser(text, now);
  FqlFilter filter;
  filter.root_ = parser.run();
  filter.fields_ = parser.take_fields();
  return filter;
}

const std::vector<std::string>& sort_fields() {
  static const std::vector<std::string> fields = {
      "action",
      "applied_globally",
      "created_by",
      "created_on",
      "expiration",
      "expired",
      "metadata.av_hits",
      "metadata.company_name.raw",
      "metadata.filename.raw",
      "metadata.original_filename.raw",
      "metadata.product_name.raw",
      "metadata.product_version",
      "modified_by",
      "modified_on",
      "severity_number",
      "source",
      "type",
      "value",
  };
  return fields;
}

SortSpec SortSpec::parse(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  if (text.empty()) throw FqlError("invalid sort: empty sort field");
  SortSpec spec;
  std::string_view field = text;
  std::string_view direction;
  if (const std::size_t bar = text.rfind('|'); bar != std::string_view::npos) {
    field = text.substr(0, bar);
    direction = text.substr(bar + 1);
    if (!iequals(direction, "asc") && !iequals(direction, "desc")) {
      throw FqlError("invalid sort: direction '" + std::string(direction) +
                     "' is not asc or desc in '" + std::string(text) + "'");
    }
  } else if (const std::size_t dot = text.rfind('.'); dot != std::string_view::npos) {
    const std::string_view tail = text.substr(dot + 1);
    if (iequals(tail, "asc") || iequals(tail, "desc")) {
      field = text.substr(0, dot);
      direction = tail;
    }
  }
  spec.descending = iequals(direction, "desc");
  const auto& allowed = sort_fields();
  if (std::find(allowed.begin(), allowed.end(), field) == allowed.end()) {
    std::string list;
    for (const auto& f : allowed) list += (list.empty() ? "" : ", ") + f;
    throw FqlError("invalid sort: cannot sort by field '" + std::string(field) +
                   "'; sortable fields are " + list);
  }
  spec.field = std::string(field);
  return spec;
}

bool is_filter_field(std::string_view field) {
  return kind_of(field).has_value();
}
}  // namespace falcon::emulator
