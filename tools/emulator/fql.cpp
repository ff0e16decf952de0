// FQL filters and sort keys for the emulator. The parser is a hand-written recursive descent
// over the raw text: linear in the input, recursion bounded by kMaxDepth, so it can be fed
// arbitrary bytes.
#include "fql.hpp"
#include "util.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

namespace falcon::emulator {

using nlohmann::json;

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

}  // namespace fql_detail

using fql_detail::Comparison;
using fql_detail::Kind;
using fql_detail::Literal;
using fql_detail::Op;

struct FqlFilter::Node {
  enum class Type { And, Or, Leaf };
  Type type = Type::Leaf;
  std::vector<std::shared_ptr<const Node>> children;
  Comparison leaf;
};

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

std::string_view strip_raw(std::string_view field) {
  constexpr std::string_view kRaw = ".raw";
  if (field.size() > kRaw.size() && field.substr(field.size() - kRaw.size()) == kRaw) {
    return field.substr(0, field.size() - kRaw.size());
  }
  return field;
}

// The kind of a filterable field, or nullopt; ".raw" only exists on string-valued fields.
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

std::string to_lower(std::string_view s) {
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

int sign(int v) {
  return (v > 0) - (v < 0);
}

template <typename T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
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

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// ---- evaluation -------------------------------------------------------------------------

const json* lookup(const json& record, std::string_view path) {
  const json* cur = &record;
  while (true) {
    if (!cur->is_object()) return nullptr;
    const std::size_t dot = path.find('.');
    const std::string key(path.substr(0, dot));
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
    if (dot == std::string_view::npos) return cur;
    path.remove_prefix(dot + 1);
  }
}

int severity_number(const json& record) {
  const json* sev = lookup(record, "severity");
  if (sev == nullptr || !sev->is_string()) return 0;
  static constexpr std::string_view kNames[] = {"informational", "low", "medium", "high",
                                                "critical"};
  const auto& s = sev->get_ref<const std::string&>();
  for (int i = 0; i < 5; ++i) {
    if (iequals(s, kNames[i])) return i + 1;
  }
  return 0;
}

// The text a wildcard or '~' sees; nullopt for null, objects and arrays.
std::optional<std::string> text_of(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
  if (v.is_number()) return v.dump();
  return std::nullopt;
}

// '*' matches any run of characters. Greedy with a single backtrack point: O(n*m), never
// exponential, whatever the pattern.
bool glob(std::string_view pat, std::string_view s, bool ci) {
  std::size_t p = 0, i = 0, star = std::string_view::npos, mark = 0;
  auto same = [ci](char a, char b) { return ci ? lower(a) == lower(b) : a == b; };
  while (i < s.size()) {
    if (p < pat.size() && pat[p] == '*') {
      star = p++;
      mark = i;
    } else if (p < pat.size() && same(pat[p], s[i])) {
      ++p;
      ++i;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

bool contains_ci(std::string_view hay, std::string_view needle) {
  return to_lower(hay).find(to_lower(needle)) != std::string::npos;
}

// Three-way compare of one record value with a literal; nullopt when they cannot be compared.
std::optional<int> compare_value(Kind kind, const json& v, const Literal& lit) {
  if (v.is_boolean()) {
    if (!lit.boolean) return std::nullopt;
    return three_way(v.get<bool>(), *lit.boolean);
  }
  if (v.is_number()) {
    if (!lit.number) return std::nullopt;
    return three_way(v.get<double>(), *lit.number);
  }
  if (!v.is_string()) return std::nullopt;
  const auto& s = v.get_ref<const std::string&>();
  if (lit.time) {
    if (auto t = parse_fql_time(s)) return three_way(*t, *lit.time);
  }
  if (kind == Kind::Time) return std::nullopt;
  if (kind == Kind::Number && lit.number) {
    if (auto n = parse_number(s)) return three_way(*n, *lit.number);
  }
  if (kind == Kind::Bool && lit.boolean) {
    if (iequals(s, "true") || iequals(s, "false"))
      return three_way(iequals(s, "true"), *lit.boolean);
  }
  if (kind == Kind::CiString) return sign(to_lower(s).compare(to_lower(lit.text)));
  return sign(s.compare(lit.text));
}

bool element_matches(const Comparison& c, const json& v) {
  const bool ci = c.kind == Kind::CiString;
  switch (c.op) {
    case Op::Eq:
    case Op::Ne:
      if (c.wildcard) {
        auto t = text_of(v);
        return t && glob(c.values[0].text, *t, ci);
      }
      [[fallthrough]];
    case Op::In:
    case Op::NotIn:
      for (const Literal& lit : c.values) {
        if (lit.type == Literal::Type::Null) continue;  // handled by the caller
        auto r = compare_value(c.kind, v, lit);
        if (r && *r == 0) return true;
      }
      return false;
    case Op::Wild:
    case Op::NotWild: {
      auto t = text_of(v);
      return t && glob(c.values[0].text, *t, ci);
    }
    case Op::Text:
    case Op::NotText: {
      auto t = text_of(v);
      return t && contains_ci(*t, c.values[0].text);
    }
    case Op::Gt:
    case Op::Ge:
    case Op::Lt:
    case Op::Le: {
      auto r = compare_value(c.kind, v, c.values[0]);
      if (!r) return false;
      if (c.op == Op::Gt) return *r > 0;
      if (c.op == Op::Ge) return *r >= 0;
      if (c.op == Op::Lt) return *r < 0;
      return *r <= 0;
    }
  }
  return false;
}

bool is_negative(Op op) {
  return op == Op::Ne || op == Op::NotWild || op == Op::NotText || op == Op::NotIn;
}

// The positive form of the comparison; negative operators are its complement, which gives
// "no element matches" on arrays and "absent counts as not equal" on scalars.
bool positive_match(const Comparison& c, const json& record) {
  json derived;
  const json* raw = nullptr;
  if (c.path == "severity_number") {
    derived = severity_number(record);
    raw = &derived;
  } else {
    raw = lookup(record, c.path);
  }
  const bool wants_null = std::any_of(c.values.begin(), c.values.end(), [](const Literal& l) {
    return l.type == Literal::Type::Null;
  });

  if (c.kind == Kind::StringArray) {
    const bool empty = raw == nullptr || raw->is_null() || (raw->is_array() && raw->empty());
    if (wants_null && empty) return true;
    if (raw == nullptr || raw->is_null()) return false;
    if (!raw->is_array()) return element_matches(c, *raw);
    return std::any_of(raw->begin(), raw->end(),
                       [&c](const json& e) { return element_matches(c, e); });
  }
  const bool absent = raw == nullptr || raw->is_null();
  if (wants_null && absent) return true;
  if (absent) {
    if (c.kind != Kind::Bool) return false;
    static const json kFalse = false;  // an absent flag is a false flag
    return element_matches(c, kFalse);
  }
  return element_matches(c, *raw);
}

bool evaluate(const FqlFilter::Node& node, const json& record) {
  switch (node.type) {
    case FqlFilter::Node::Type::And:
      return std::all_of(node.children.begin(), node.children.end(),
                         [&record](const auto& ch) { return evaluate(*ch, record); });
    case FqlFilter::Node::Type::Or:
      return std::any_of(node.children.begin(), node.children.end(),
                         [&record](const auto& ch) { return evaluate(*ch, record); });
    case FqlFilter::Node::Type::Leaf:
      break;
  }
  const bool positive = positive_match(node.leaf, record);
  return is_negative(node.leaf.op) ? !positive : positive;
}

// ---- parsing ----------------------------------------------------------------------------

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

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
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

// ---- sorting ----------------------------------------------------------------------------

int type_rank(const json& v) {
  if (v.is_null()) return 0;
  if (v.is_boolean()) return 1;
  if (v.is_number()) return 2;
  if (v.is_string()) return 3;
  return 4;
}

int compare_sort_values(const json& a, const json& b, bool time_field) {
  const int ra = type_rank(a), rb = type_rank(b);
  if (ra != rb) return three_way(ra, rb);
  switch (ra) {
    case 1:
      return three_way(a.get<bool>(), b.get<bool>());
    case 2:
      return three_way(a.get<double>(), b.get<double>());
    case 3: {
      const auto& sa = a.get_ref<const std::string&>();
      const auto& sb = b.get_ref<const std::string&>();
      if (time_field) {
        auto ta = parse_fql_time(sa), tb = parse_fql_time(sb);
        if (ta && tb) return three_way(*ta, *tb);
        if (ta || tb) return ta ? 1 : -1;  // unparseable times sort with the missing ones
      }
      return sign(sa.compare(sb));
    }
    case 4:
      return sign(a.dump().compare(b.dump()));
    default:
      return 0;
  }
}

}  // namespace

// ---- public API -------------------------------------------------------------------------

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

bool FqlFilter::matches(const json& record) const {
  return root_ == nullptr || evaluate(*root_, record);
}

const std::vector<std::string>& FqlFilter::fields() const noexcept {
  return fields_;
}

std::optional<FqlFilter::Equality> FqlFilter::simple_equality() const {
  if (root_ == nullptr || root_->type != Node::Type::Leaf) return std::nullopt;
  const Comparison& c = root_->leaf;
  if (c.op != Op::Eq || c.wildcard || c.values.size() != 1) return std::nullopt;
  if (c.kind != Kind::String && c.kind != Kind::CiString) return std::nullopt;
  const Literal& lit = c.values.front();
  // On these fields only a time literal compares other than as text (see compare_value).
  if (lit.type == Literal::Type::Null || lit.time) return std::nullopt;
  return Equality{c.path, lit.text, c.kind == Kind::CiString};
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

json field_value(const json& record, std::string_view field) {
  if (field == "severity_number") return severity_number(record);
  const json* v = lookup(record, strip_raw(field));
  return v == nullptr ? json(nullptr) : *v;
}

int compare_records(const json& a, const json& b, const SortSpec& sort) {
  const auto kind = kind_of(sort.field);
  const bool time_field = kind && *kind == Kind::Time;
  const int r =
      compare_sort_values(field_value(a, sort.field), field_value(b, sort.field), time_field);
  return sort.descending ? -r : r;
}

bool is_filter_field(std::string_view field) {
  return kind_of(field).has_value();
}

std::optional<FqlTime> parse_fql_time(std::string_view s) {
  std::size_t i = 0;
  auto num = [&](std::size_t n, int& out) {
    if (i + n > s.size()) return false;
    int v = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const char c = s[i + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    out = v;
    i += n;
    return true;
  };
  auto lit = [&](char c) {
    if (i < s.size() && s[i] == c) return ++i, true;
    return false;
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!num(4, year) || !lit('-') || !num(2, month) || !lit('-') || !num(2, day)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 ||
      static_cast<unsigned>(day) > days_in_month(year, static_cast<unsigned>(month))) {
    return std::nullopt;
  }
  std::int64_t nanos = 0;
  std::int64_t offset = 0;
  if (i < s.size()) {
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return std::nullopt;
    ++i;
    if (!num(2, hour) || !lit(':') || !num(2, minute)) return std::nullopt;
    if (lit(':')) {
      if (!num(2, second)) return std::nullopt;
      if (lit('.') || lit(',')) {
        const std::size_t start = i;
        std::int64_t scale = 100000000;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
          nanos += (s[i] - '0') * scale;  // digits past the ninth fall off
          scale /= 10;
          ++i;
        }
        if (i == start) return std::nullopt;
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    if (i < s.size()) {
      if (s[i] == 'Z' || s[i] == 'z') {
        ++i;
      } else if (s[i] == '+' || s[i] == '-') {
        const int dir = s[i++] == '-' ? -1 : 1;
        int oh = 0, om = 0;
        if (!num(2, oh)) return std::nullopt;
        lit(':');
        if (!num(2, om) || oh > 23 || om > 59) return std::nullopt;
        offset = dir * (oh * 3600 + om * 60);
      } else {
        return std::nullopt;
      }
    }
    if (i != s.size()) return std::nullopt;
  }
  FqlTime t;
  t.seconds =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
      hour * 3600 + minute * 60 + second - offset;
  t.nanos = static_cast<std::int32_t>(nanos);
  return t;
}

std::string format_fql_time(const FqlTime& t) {
  std::int64_t days = t.seconds / 86400;
  std::int64_t rem = t.seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d", static_cast<long long>(y), m, d,
                static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60),
                static_cast<int>(rem % 60));
  std::string out = buf;
  if (t.nanos > 0) {
    std::snprintf(buf, sizeof buf, ".%09d", static_cast<int>(t.nanos));
    std::string frac = buf;
    while (frac.back() == '0') frac.pop_back();
    out += frac;
  }
  return out + "Z";
}

}  // namespace falcon::emulator
