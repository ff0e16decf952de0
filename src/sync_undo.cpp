// sync's undo: a journal read back, each indicator returned to its first before-image, as a plan
// the same apply() writes and the same guards check.
#include <istream>
#include <unordered_map>

#include "falcon/fql.hpp"
#include "falcon/pagination.hpp"
#include "query.hpp"
#include "response_internal.hpp"
#include "strings.hpp"
#include "sync_internal.hpp"

namespace falcon::sync {

using nlohmann::json;
using namespace internal::sync_core;

namespace {

// What one indicator went through in a journal: its first entry holds the state to go back to.
struct Journaled {
  std::string type, value;
  std::string first_op;
  json first;  // the first entry
  std::size_t line = 0;
};

// The value of `field` in `rec` as the journal writes it (to_json of Indicator).
json record_field(const json& rec, const std::string& field) {
  auto it = rec.find(field);
  return it == rec.end() ? json() : *it;
}

// Equal as sync compares: lists as sets, enums ignoring case, times by instant, null and absent
// alike.
bool same_value(const std::string& field, const json& a, const json& b) {
  if (a.is_null() || b.is_null()) {
    auto empty = [](const json& v) {
      return v.is_null() || (v.is_array() && v.empty()) ||
             (v.is_string() && v.get<std::string>().empty());
    };
    if (field == "expiration") {
      auto none = [](const json& v) {
        return v.is_null() || (v.is_string() && rules::is_zero_time(v.get<std::string>()));
      };
      return none(a) && none(b);
    }
    return empty(a) && empty(b);
  }
  if (a.is_array() && b.is_array()) {
    std::vector<std::string> x, y;
    for (const auto& v : a) x.push_back(v.dump());
    for (const auto& v : b) y.push_back(v.dump());
    return sorted(x) == sorted(y);
  }
  if (a.is_string() && b.is_string()) {
    if (field == "expiration") {
      return norm_time(a.get<std::string>()) == norm_time(b.get<std::string>());
    }
    return internal::iequals(a.get<std::string>(), b.get<std::string>());
  }
  return a == b;
}

// A create item from a before-image: the fields a create takes (filename from metadata).
IndicatorSpec recreate(const json& before, const std::string& source) {
  IndicatorSpec s;
  json item = json::object();
  for (const auto& f : rules::fields()) {
    if (!f.create || f.key == "metadata") continue;
    auto it = before.find(f.key);
    if (it != before.end() && !it->is_null()) item[std::string(f.key)] = *it;
  }
  if (auto md = before.find("metadata"); md != before.end() && md->is_object()) {
    if (auto fn = md->find("filename"); fn != md->end() && fn->is_string()) item["filename"] = *fn;
  }
  (void)rules::from_json(item, s, rules::UnknownKeys::ignore);
  if (!s.source && !source.empty()) s.source = source;
  if (s.expiration && rules::is_zero_time(*s.expiration)) s.expiration.reset();
  return s;
}

}  // namespace

Plan plan_undo(const IOC& ioc, std::istream& journal, const Options& options) {
  Plan p;
  p.on_missing = OnMissing::remove;
  p.source = options.source;
  auto fail = [&](std::size_t line, std::string why) {
    p.error = make_error_response(
        internal::validation_error("journal", "line " + std::to_string(line) + ": " + why));
    return p;
  };
  // Read every entry; keep each indicator's first (its state before the journal).
  std::vector<Journaled> order;
  std::unordered_map<std::string, std::size_t> by_key;
  std::string text;
  std::size_t n = 0;
  bool header = false;
  while (std::getline(journal, text)) {
    ++n;
    if (internal::trim(text).empty()) continue;
    json j = json::parse(text, nullptr, false);
    if (!j.is_object()) return fail(n, "not a JSON object (is this a falcon-ioc journal?)");
    if (j.contains("journal")) {
      header = true;
      if (p.scope.empty() && j.value("scope", json()).is_string()) p.scope = j["scope"];
      if (p.source.empty() && j.value("source", json()).is_string()) p.source = j["source"];
      continue;
    }
    const json op = j.value("op", json()), type = j.value("type", json()),
               value = j.value("value", json());
    if (!op.is_string() || !type.is_string() || !value.is_string()) {
      return fail(n, "an entry needs op, type and value");
    }
    const std::string o = op.get<std::string>();
    if (o != "create" && o != "update" && o != "adopt" && o != "expire" && o != "delete") {
      return fail(n, "unknown op '" + internal::printable(o, 40) + "'");
    }
    const std::string k = rules::key_of_any(type.get<std::string>(), value.get<std::string>());
    if (by_key.count(k) != 0) continue;
    by_key.emplace(k, order.size());
    order.push_back({type.get<std::string>(), value.get<std::string>(), o, std::move(j), n});
  }
  if (!header) return fail(n == 0 ? 1 : n, "no journal header (the first line of a journal)");
  if (p.scope.empty() && !options.source.empty()) p.scope = fql::eq("source", options.source).str();
  if (order.empty()) return p;

  // The current state of every indicator the journal names.
  std::vector<std::string> values;
  for (const auto& e : order) values.push_back(e.value);
  std::unordered_map<std::string, json> current;
  Response r = combined_any_of(
      ioc, "value", values,
      [&](Response& page) {
        ++p.requests;
        for (const auto& rec : page.resources()) {
          const std::string k = rules::key_of_any(rec.value("type", ""), rec.value("value", ""));
          if (by_key.count(k) != 0) current[k] = rec;
        }
        return true;
      },
      options.call);
  if (!r.ok()) {
    p.error = std::move(r);
    return p;
  }

  for (const auto& e : order) {
    const std::string k = rules::key_of_any(e.type, e.value);
    const auto now_it = current.find(k);
    const json* now = now_it == current.end() ? nullptr : &now_it->second;
    Change c;
    c.type = e.type;
    c.value = e.value;
    c.line = e.line;
    if (e.first_op == "create") {
      if (now == nullptr) continue;  // already gone
      c.kind = ChangeKind::remove;
      c.id = now->value("id", "");
      c.before = now->get<Indicator>();
    } else if (e.first_op == "delete") {
      if (now != nullptr) continue;  // already back
      c.kind = ChangeKind::create;
      c.write = recreate(e.first.value("before", json::object()), p.source);
    } else {
      // update, adopt, expire: put the fields back as they were.
      if (now == nullptr) {
        p.invalid.push_back({e.line,
                             "value",
                             e.value,
                             "no longer exists; its fields cannot be restored",
                             false,
                             {}});
        continue;
      }
      const json before = e.first.value("before", json::object());
      json item = json::object();
      for (const auto& [field, was] : before.items()) {
        const json is = record_field(*now, field);
        if (same_value(field, was, is)) continue;
        c.fields.push_back({field, is, was});
        if (was.is_null()) {
          if (field == "expiration") {
            item[field] = kNoExpiration;
          } else if (field == "platforms" || field == "tags" || field == "host_groups") {
            item[field] = json::array();
          } else {
            c.reset.push_back(field);
          }
        } else {
          item[field] = was;
        }
      }
      if (c.fields.empty()) continue;
      c.kind = ChangeKind::update;
      c.id = now->value("id", "");
      (void)rules::from_json(item, c.write, rules::UnknownKeys::ignore);
      c.write.id = c.id;
    }
    p.changes.push_back(std::move(c));
  }

  // The guards hold for undo too: the deletes count against the scope's size.
  if (!p.scope.empty() && p.removals() > 0) {
    IndicatorSearchOptions q;
    q.filter = p.scope;
    q.limit = 1;
    Response count = ioc.indicator_search(q, options.call);
    ++p.requests;
    if (!count.ok()) {
      p.error = std::move(count);
      return p;
    }
    p.existing =
        static_cast<std::size_t>(std::max<std::int64_t>(0, count.pagination().total.value_or(0)));
  }
  recount(p);
  Options guards = options;
  guards.quota = 0;  // undo re-creates what the journal deleted: never more than was there
  guard(guards, p);
  return p;
}

}  // namespace falcon::sync
