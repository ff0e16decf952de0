// FQL evaluation: a parsed filter against one indicator record held as JSON (api.IndicatorV1
// shape, or the subset of its keys the filter reads), and sort-order comparison of records.
#include <algorithm>

#include "fql_internal.hpp"

namespace falcon::emulator {

using fql_detail::Comparison;
using fql_detail::iequals;
using fql_detail::Kind;
using fql_detail::kind_of;
using fql_detail::Literal;
using fql_detail::lower;
using fql_detail::lowered;
using fql_detail::Op;
using fql_detail::parse_number;
using fql_detail::sign;
using fql_detail::strip_raw;
using fql_detail::three_way;
using nlohmann::json;

namespace {

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
  return lowered(hay).find(lowered(needle)) != std::string::npos;
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
  if (kind == Kind::CiString) return sign(lowered(s).compare(lowered(lit.text)));
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

namespace {

// The terms of a filter's top-level AND: its children, or the filter itself.
std::vector<const FqlFilter::Node*> top_terms(const FqlFilter::Node& root) {
  std::vector<const FqlFilter::Node*> terms;
  if (root.type == FqlFilter::Node::Type::And) {
    for (const auto& child : root.children) terms.push_back(child.get());
  } else {
    terms.push_back(&root);
  }
  return terms;
}

}  // namespace

std::optional<std::vector<std::string>> FqlFilter::any_of(std::string_view field) const {
  if (root_ == nullptr) return std::nullopt;
  const std::vector<const Node*> terms = top_terms(*root_);
  for (const Node* term : terms) {
    if (term->type != Node::Type::Leaf) continue;
    const Comparison& c = term->leaf;
    // The same conditions as simple_equality(), with a set of literals, and case-sensitive.
    if (c.path != field || (c.op != Op::Eq && c.op != Op::In) || c.wildcard || c.values.empty()) {
      continue;
    }
    if (c.kind != Kind::String) continue;
    std::vector<std::string> out;
    for (const Literal& lit : c.values) {
      if (lit.type != Literal::Type::String || lit.time) {
        out.clear();
        break;
      }
      out.push_back(lit.text);
    }
    if (!out.empty()) return out;
  }
  return std::nullopt;
}

namespace {

void collect_paths(const FqlFilter::Node& node, std::vector<std::string>& out) {
  if (node.type == FqlFilter::Node::Type::Leaf) {
    if (std::find(out.begin(), out.end(), node.leaf.path) == out.end())
      out.push_back(node.leaf.path);
    return;
  }
  for (const auto& child : node.children) collect_paths(*child, out);
}

// `deleted:false` (or 'false', "false"): a flag that is false or absent.
bool is_not_deleted(const FqlFilter::Node& node) {
  if (node.type != FqlFilter::Node::Type::Leaf) return false;
  const Comparison& c = node.leaf;
  return c.path == "deleted" && c.op == Op::Eq && !c.wildcard && c.values.size() == 1 &&
         c.values.front().type != Literal::Type::Null && c.values.front().boolean &&
         !*c.values.front().boolean;
}

}  // namespace

std::vector<FqlFilter::Conjunct> FqlFilter::conjuncts() const {
  std::vector<Conjunct> out;
  if (root_ == nullptr) return out;
  const std::vector<const Node*> terms = top_terms(*root_);
  for (const Node* term : terms) {
    Conjunct c;
    collect_paths(*term, c.fields);
    FqlFilter single;
    single.root_ = std::shared_ptr<const Node>(root_, term);  // shares ownership of the tree
    if (auto eq = single.simple_equality()) {
      c.kind = Conjunct::Kind::equality;
      c.eq = std::move(*eq);
    } else if (is_not_deleted(*term)) {
      c.kind = Conjunct::Kind::not_deleted;
    }
    out.push_back(std::move(c));
  }
  return out;
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

}  // namespace falcon::emulator
