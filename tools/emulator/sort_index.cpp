#include "sort_index.hpp"

#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>

#include "fql.hpp"

namespace falcon::emulator {

using nlohmann::json;

namespace {

struct GroupField {
  const char* name;
  bool case_insensitive;  // as FQL compares it
};

constexpr GroupField kGroupFields[] = {
    {"type", true},    {"value", false},        {"action", true},      {"severity", true},
    {"source", false}, {"mobile_action", true}, {"created_by", false}, {"modified_by", false},
};

const GroupField* group_field(const std::string& name) {
  for (const auto& g : kGroupFields) {
    if (name == g.name) return &g;
  }
  return nullptr;
}

std::string ascii_lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

constexpr std::size_t kMaxGroups = 2;

// A position probe: before (-1) or after (+1) a whole group, or at (key, id) inside it (0).
struct Probe {
  std::vector<std::string> groups;
  SortKey key;
  std::string id;
  int bound = 0;
};

// A tree entry: a record, or (only while searching) a probe.
struct Entry {
  RecordRef rec = nullptr;
  const Probe* probe = nullptr;
};

// What an entry is ordered by, read without copying from a compact record.
struct Keys {
  bool has[kMaxGroups] = {};
  std::string_view group[kMaxGroups];
  int kind = 4;
  double num = 0;
  std::int64_t time = 0;
  std::string_view str;
  std::string_view id;
  int bound = 0;
  std::string own[kMaxGroups + 1];  // texts of a verbatim (JSON) record
};

}  // namespace

struct SortIndex::Impl {
  struct Less {
    const Impl* impl = nullptr;
    bool operator()(const Entry& a, const Entry& b) const { return impl->less(a, b); }
  };
  using Tree = __gnu_pbds::tree<Entry, __gnu_pbds::null_type, Less, __gnu_pbds::rb_tree_tag,
                                __gnu_pbds::tree_order_statistics_node_update>;

  Impl(const IndexSpec& spec, const NamePool& n)
      : names(n),
        sort_name(spec.sort_field),
        sort_field(*field_of(spec.sort_field)),
        time_sort(is_time_sort_field(spec.sort_field)),
        descending(spec.descending),
        tree(Less{this}) {
    for (const auto& g : spec.group_fields) {
      group_names.push_back(g);
      group_ids.push_back(*field_of(g));
      group_ci.push_back(group_field(g)->case_insensitive);
    }
  }

  void keys_of(const Entry& e, Keys& k) const {
    if (e.probe != nullptr) {
      for (std::size_t i = 0; i < group_ids.size(); ++i) {
        k.has[i] = true;
        k.group[i] = e.probe->groups[i];
      }
      k.kind = e.probe->key.kind;
      k.num = e.probe->key.num;
      k.time = e.probe->key.time;
      k.str = e.probe->key.str;
      k.id = e.probe->id;
      k.bound = e.probe->bound;
      return;
    }
    const Record& r = e.rec->second;
    k.id = e.rec->first;
    if (r.raw) {  // a verbatim record: read it as the JSON scan would
      const json& rec = *r.raw;
      for (std::size_t i = 0; i < group_ids.size(); ++i) {
        const auto it = rec.find(group_names[i]);
        if (it == rec.end() || !it->is_string()) continue;
        k.has[i] = true;
        k.own[i] = group_ci[i] ? ascii_lower(it->get<std::string>()) : it->get<std::string>();
        k.group[i] = k.own[i];
      }
      const SortKey sk = make_sort_key(field_value(rec, sort_name), time_sort);
      k.kind = sk.kind;
      k.num = sk.num;
      k.time = sk.time;
      k.own[kMaxGroups] = sk.str;
      k.str = k.own[kMaxGroups];
      return;
    }
    for (std::size_t i = 0; i < group_ids.size(); ++i) {
      const FieldView v = r.view(group_ids[i], names);
      if (v.kind != FieldView::Kind::text) continue;
      k.has[i] = true;
      k.group[i] = v.text;  // enum texts (the case-insensitive fields) are lower case already
    }
    const FieldView v = r.view(sort_field, names);
    switch (v.kind) {
      case FieldView::Kind::absent:
        k.kind = 4;
        break;
      case FieldView::Kind::boolean:
        k.kind = 0;
        k.num = v.boolean ? 1 : 0;
        break;
      case FieldView::Kind::number:
        k.kind = 1;
        k.num = v.number;
        break;
      case FieldView::Kind::time:
        k.kind = 2;
        k.time = v.time;
        break;
      case FieldView::Kind::text:
        k.kind = 3;
        k.str = v.text;
        break;
    }
  }

  // compare_sort_keys on views.
  int compare_keys(const Keys& a, const Keys& b) const {
    if (a.kind == 4 || b.kind == 4) return a.kind == b.kind ? 0 : (a.kind == 4 ? 1 : -1);
    int c = 0;
    if (a.kind != b.kind) {
      c = a.kind < b.kind ? -1 : 1;
    } else if (a.kind == 2) {
      c = a.time < b.time ? -1 : a.time > b.time ? 1 : 0;
    } else if (a.kind == 3) {
      c = a.str.compare(b.str);
      c = c < 0 ? -1 : c > 0 ? 1 : 0;
    } else {
      c = a.num < b.num ? -1 : a.num > b.num ? 1 : 0;
    }
    return descending ? -c : c;
  }

  bool less(const Entry& ea, const Entry& eb) const {
    Keys a, b;
    keys_of(ea, a);
    keys_of(eb, b);
    for (std::size_t i = 0; i < group_ids.size(); ++i) {
      if (a.has[i] != b.has[i]) return !a.has[i];  // records without the field first
      if (const int g = a.group[i].compare(b.group[i]); g != 0) return g < 0;
    }
    if (a.bound != b.bound) return a.bound < b.bound;
    if (a.bound != 0) return false;
    if (const int k = compare_keys(a, b); k != 0) return k < 0;
    return a.id < b.id;
  }

  const NamePool& names;
  std::vector<std::string> group_names;
  std::vector<Field> group_ids;
  std::vector<bool> group_ci;
  std::string sort_name;
  Field sort_field;
  bool time_sort;
  bool descending;
  Tree tree;
};

bool is_time_sort_field(const std::string& f) {
  return f == "created_on" || f == "modified_on" || f == "expiration";
}

SortKey make_sort_key(const json& v, bool time_field) {
  SortKey k;
  if (v.is_boolean()) {
    k.kind = 0;
    k.num = v.get<bool>() ? 1 : 0;
  } else if (v.is_number()) {
    k.kind = 1;
    k.num = v.get<double>();
  } else if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (time_field) {
      if (auto t = parse_time(s)) {
        k.kind = 2;
        k.time = to_ns(*t);
        return k;
      }
    }
    k.kind = 3;
    k.str = s;
  } else if (!v.is_null()) {
    k.kind = 3;
    k.str = v.dump();
  }
  return k;
}

int compare_sort_keys(const SortKey& a, const SortKey& b, bool descending) {
  if (a.kind == 4 || b.kind == 4) return a.kind == b.kind ? 0 : (a.kind == 4 ? 1 : -1);
  int c = 0;
  if (a.kind != b.kind) {
    c = a.kind < b.kind ? -1 : 1;
  } else if (a.kind == 2) {
    c = a.time < b.time ? -1 : a.time > b.time ? 1 : 0;
  } else if (a.kind == 3) {
    c = a.str.compare(b.str);
    c = c < 0 ? -1 : c > 0 ? 1 : 0;
  } else {
    c = a.num < b.num ? -1 : a.num > b.num ? 1 : 0;
  }
  return descending ? -c : c;
}

bool is_group_field(const std::string& field) {
  return group_field(field) != nullptr;
}

std::string group_of_literal(const std::string& field, const std::string& text) {
  const GroupField* g = group_field(field);
  return g != nullptr && g->case_insensitive ? ascii_lower(text) : text;
}

SortIndex::SortIndex(IndexSpec spec, const NamePool& names)
    : spec_(std::move(spec)), impl_(std::make_unique<Impl>(spec_, names)) {}

SortIndex::~SortIndex() = default;

std::size_t SortIndex::size() const {
  return impl_->tree.size();
}

void SortIndex::insert(RecordRef r) {
  impl_->tree.insert(Entry{r, nullptr});
}

void SortIndex::erase(RecordRef r) {
  impl_->tree.erase(Entry{r, nullptr});
}

void SortIndex::clear() {
  impl_->tree.clear();
}

std::pair<std::size_t, std::size_t> SortIndex::group(const std::vector<std::string>& groups) const {
  const auto& tree = impl_->tree;
  if (spec_.group_fields.empty()) return {0, tree.size()};
  Probe probe;
  probe.groups = groups;
  probe.bound = -1;
  const std::size_t first = tree.order_of_key(Entry{nullptr, &probe});
  probe.bound = 1;
  return {first, tree.order_of_key(Entry{nullptr, &probe})};
}

std::size_t SortIndex::after(const std::vector<std::string>& groups, const SortKey& key,
                             const std::string& id) const {
  const auto& tree = impl_->tree;
  Probe probe;
  probe.groups = groups;
  probe.key = key;
  probe.id = id;
  std::size_t pos = tree.order_of_key(Entry{nullptr, &probe});
  // The cursor's own record, when it is still there, is not after it.
  auto it = tree.find_by_order(pos);
  if (it != tree.end() && !tree.get_cmp_fn()(Entry{nullptr, &probe}, *it)) ++pos;
  return pos;
}

void SortIndex::visit(std::size_t from, std::size_t to,
                      const std::function<bool(RecordRef)>& fn) const {
  const auto& tree = impl_->tree;
  auto it = tree.find_by_order(from);
  for (std::size_t pos = from; pos < to && it != tree.end(); ++pos, ++it) {
    if (!fn(it->rec)) return;
  }
}

}  // namespace falcon::emulator
