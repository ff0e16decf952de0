// The indicator operations: create, update, delete, get, search, combined, aggregate, report.
#include <algorithm>
#include <deque>
#include <unordered_set>

#include "aggregate.hpp"
#include "fql.hpp"
#include "service.hpp"
#include "validate.hpp"

namespace falcon::emulator {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxWrite = 2000;
constexpr std::size_t kMaxGetIds = 500;
constexpr long long kMaxLimit = 2000;
constexpr long long kOffsetCeiling = 10000;

std::vector<std::string> filter_fields(const std::optional<FqlFilter>& f) {
  return f ? f->fields() : std::vector<std::string>{};
}

// Deleted records only show up when the filter asks about `deleted`.
bool mentions_deleted(const std::vector<std::string>& fields) {
  return std::find(fields.begin(), fields.end(), "deleted") != fields.end();
}

// Relative times in the filter ('now-30d') count from the emulator's clock.
FqlTime fql_time(TimePoint t) {
  const std::int64_t ns = to_ns(t);
  FqlTime out;
  out.seconds = ns / 1000000000;
  out.nanos = static_cast<std::int32_t>(ns % 1000000000);
  if (out.nanos < 0) {
    out.nanos += 1000000000;
    --out.seconds;
  }
  return out;
}

std::optional<FqlFilter> parse_filter(const std::optional<std::string>& text, TimePoint now) {
  if (!text || trim(*text).empty()) return std::nullopt;
  try {
    return FqlFilter::parse(*text, fql_time(now));
  } catch (const FqlError& e) {
    throw ApiError(400, e.what());
  }
}

Reply rows_reply(const std::vector<RowMessage>& messages) {
  Reply r;
  r.status = 400;
  r.errors = json::array(
      {{{"code", 400}, {"message", "One or more indicators have a warning or invalid input"}}});
  r.resources = json::array();
  for (const auto& m : messages) r.resources.push_back(m.to_json());
  return r;
}

bool blocks(const std::vector<RowMessage>& messages, bool ignore_warnings) {
  return std::any_of(messages.begin(), messages.end(),
                     [&](const RowMessage& m) { return m.error || !ignore_warnings; });
}

// Fields every stored record carries, whatever the request left out.
void finish_record(json& rec, const std::string& client, TimePoint now) {
  rec["modified_on"] = format_time(now);
  rec["modified_by"] = client;
  for (const char* k : {"platforms", "tags", "host_groups"}) {
    if (!rec.contains(k)) rec[k] = json::array();
  }
  if (!rec.contains("applied_globally")) rec["applied_globally"] = false;
  // The warning said host_groups would be ignored: keep that promise.
  if (rec["applied_globally"].get<bool>()) rec["host_groups"] = json::array();
  if (!rec.contains("metadata") || !is_hash_type(rec.value("type", ""))) {
    rec["metadata"] = json::object();
  }
  // A passed expiration keeps the record but stops it acting (spec §5.5).
  const auto exp =
      rec.contains("expiration") ? parse_time(rec["expiration"].get<std::string>()) : std::nullopt;
  rec["expired"] = exp && *exp <= now;
  if (rec["expired"].get<bool>()) rec["action"] = "no_action";
  rec["from_parent"] = false;
}

// ---- search -------------------------------------------------------------------------------

using Key = SortKey;

struct Item {
  Key key;
  std::string id;
};

struct SearchParams {
  std::optional<FqlFilter> filter;
  bool include_deleted = false;
  SortSpec sort;
  long long limit = 100;
  long long offset = 0;
  bool has_after = false;
  Key after_key;
  std::string after_id;
};

SearchParams parse_search(Service& s, const Call& c) {
  SearchParams p;
  p.filter = parse_filter(query(c, "filter"), c.now);
  p.include_deleted = mentions_deleted(filter_fields(p.filter));
  auto sort = query(c, "sort");
  if (sort && !trim(*sort).empty()) {
    try {
      p.sort = SortSpec::parse(trim(*sort));
    } catch (const FqlError& e) {
      throw ApiError(400, e.what());
    }
  } else {
    p.sort.field = "created_on";  // default: oldest first, ties by id
  }
  if (auto limit = query_int(c, "limit")) {
    if (*limit < 1 || *limit > kMaxLimit) {
      throw ApiError(400, "limit must be between 1 and " + std::to_string(kMaxLimit));
    }
    p.limit = *limit;
  }
  auto offset = query_int(c, "offset");
  if (offset && *offset < 0) throw ApiError(400, "offset must be a non-negative integer");
  auto after = query(c, "after");
  if (after && !after->empty()) {
    if (offset) throw ApiError(400, "offset and after cannot be used together");
    auto raw = base64_decode(*after);
    json cur;
    if (raw) cur = json::parse(*raw, nullptr, false);
    if (!cur.is_array() || cur.size() != 2 || !cur[1].is_string()) {
      throw ApiError(400, "invalid after token");
    }
    p.has_after = true;
    p.after_key = make_sort_key(cur[0], is_time_sort_field(p.sort.field));
    p.after_id = cur[1].get<std::string>();
  }
  if (offset) {
    if (*offset + p.limit > kOffsetCeiling) {
      throw ApiError(s.opts.offset_ceiling_500 ? 500 : 400,
                     "offset + limit must be less than or equal to 10000");
    }
    p.offset = *offset;
  }
  return p;
}

// How an index answers a search: the index, the group it reads, and whether the filter must
// still be checked on each record of that group.
struct SearchPlan {
  IndexSpec spec;
  std::vector<std::string> groups;
  bool exact = true;
};

// The index that answers this search, if any. The filter's top-level AND terms decide: up to
// two equalities on fields the store groups by pick the group; `deleted:false` is what every
// indexed record satisfies; any other term is checked on each record of the group. Without
// such an equality (or when a term reads `deleted` otherwise, since indexes hold no deleted
// records) the search scans every record.
std::optional<SearchPlan> plan_search(const SearchParams& p) {
  SearchPlan plan;
  plan.spec.sort_field = p.sort.field;
  plan.spec.descending = p.sort.descending;
  if (!p.filter) return plan;
  std::vector<const FqlFilter::Equality*> groups;
  bool residual = false;
  const auto terms = p.filter->conjuncts();
  for (const auto& t : terms) {
    if (t.kind == FqlFilter::Conjunct::Kind::not_deleted) continue;
    if (t.kind == FqlFilter::Conjunct::Kind::equality && is_group_field(t.eq.field) &&
        groups.size() < 2 &&
        std::none_of(groups.begin(), groups.end(),
                     [&](const FqlFilter::Equality* g) { return g->field == t.eq.field; })) {
      groups.push_back(&t.eq);
      continue;
    }
    if (std::find(t.fields.begin(), t.fields.end(), "deleted") != t.fields.end()) {
      return std::nullopt;
    }
    residual = true;
  }
  if (groups.empty() && residual) return std::nullopt;
  // One index per set of fields, whatever order the filter names them in.
  std::sort(groups.begin(), groups.end(),
            [](const auto* a, const auto* b) { return a->field < b->field; });
  for (const auto* g : groups) {
    plan.spec.group_fields.push_back(g->field);
    plan.groups.push_back(group_of_literal(g->field, g->text));
  }
  plan.exact = !residual;
  return plan;
}

// What a search page replies with.
enum class PageOf { ids, records };

// Runs a search under the store's shared lock and renders the page straight from the stored
// records into the reply's text (no JSON tree per record).
Reply run_search(Service& s, const Call& c, PageOf what) {
  const SearchParams p = parse_search(s, c);
  const bool time_field = is_time_sort_field(p.sort.field);
  // A filter that names the values it wants (sync's conflict lookup, `value:['a','b',...]`)
  // reads those values' records from the active (type, value) set, not every record or an
  // index's group. Deleted records are in no such set: not when the filter may match them.
  std::optional<std::vector<std::string>> values;
  if (p.filter) {
    const auto terms = p.filter->conjuncts();
    const bool live_only = std::none_of(terms.begin(), terms.end(), [](const auto& t) {
      return t.kind != FqlFilter::Conjunct::Kind::not_deleted &&
             std::find(t.fields.begin(), t.fields.end(), "deleted") != t.fields.end();
    });
    if (live_only) values = p.filter->any_of("value");
    if (values && values->size() > 10000) values.reset();
  }
  auto plan = values ? std::nullopt : plan_search(p);
  if (plan && !s.store.ensure_index(plan->spec)) plan.reset();
  // Render only what the filter and the sort read when a record is checked or sorted.
  std::vector<std::string> keys{"deleted", IndicatorStore::record_key(p.sort.field)};
  for (const auto& f : filter_fields(p.filter)) keys.push_back(IndicatorStore::record_key(f));
  Reply r;
  std::string& text = r.resources_text.emplace();
  const auto render = [&](const IndicatorStore::View& v, const std::vector<RecordRef>& page,
                          std::size_t total, std::size_t end) {
    text.reserve(page.size() * (what == PageOf::records ? 640 : 70) + 2);
    text += '[';
    for (std::size_t i = 0; i < page.size(); ++i) {
      if (i > 0) text += ',';
      if (what == PageOf::records) {
        v.append_json(text, page[i]);
      } else {
        append_json_string(text, page[i]->first);
      }
    }
    text += ']';
    r.pagination = {{"limit", p.limit}, {"total", total}, {"offset", end}};
    if (end < total && !page.empty()) {
      const json last = v.to_json(page.back(), &keys);
      r.pagination["after"] =
          base64_encode(json::array({field_value(last, p.sort.field), page.back()->first}).dump());
    }
  };
  s.store.read(c.now, [&](const IndicatorStore::View& v) {
    if (plan) {
      std::function<bool(RecordRef)> keep;
      if (!plan->exact) {
        keep = [&](RecordRef ref) { return p.filter->matches(v.to_json(ref, &keys)); };
      }
      const auto page = v.page(plan->spec, plan->groups, static_cast<std::size_t>(p.offset),
                               p.has_after ? &p.after_key : nullptr, p.after_id,
                               static_cast<std::size_t>(p.limit), keep);
      if (page) {
        render(v, page->records, page->total, page->start + page->records.size());
        return;
      }
    }
    std::vector<Item> items;
    const auto consider = [&](const json& rec) {
      if (!p.include_deleted && rec.value("deleted", false)) return;
      if (p.filter && !p.filter->matches(rec)) return;
      items.push_back(Item{make_sort_key(field_value(rec, p.sort.field), time_field),
                           rec["id"].get<std::string>()});
    };
    if (values) {
      std::unordered_set<std::string> seen;  // a value named twice is one record
      for (const auto& value : *values) {
        for (const std::string& type : indicator_types()) {
          const auto id = v.active_id(type, value);
          if (id && seen.insert(*id).second) consider(v.to_json(v.ref(*id), &keys));
        }
      }
    } else {
      items.reserve(v.size());
      v.for_each(keys, consider);
    }
    const auto less = [&](const Item& a, const Item& b) {
      const int k = compare_sort_keys(a.key, b.key, p.sort.descending);
      return k != 0 ? k < 0 : a.id < b.id;  // the id makes the order total
    };
    std::sort(items.begin(), items.end(), less);
    std::size_t start = static_cast<std::size_t>(p.offset);
    if (p.has_after) {
      // Strictly after the cursor's (key, id): stable even if records came or went since.
      const auto pos = std::partition_point(items.begin(), items.end(), [&](const Item& it) {
        const int k = compare_sort_keys(it.key, p.after_key, p.sort.descending);
        return k != 0 ? k < 0 : it.id <= p.after_id;
      });
      start = static_cast<std::size_t>(pos - items.begin());
    }
    start = std::min(start, items.size());
    const std::size_t end = std::min(items.size(), start + static_cast<std::size_t>(p.limit));
    std::vector<RecordRef> page;
    for (std::size_t i = start; i < end; ++i) page.push_back(v.ref(items[i].id));
    render(v, page, items.size(), end);
  });
  return r;
}

// ---- aggregate ----------------------------------------------------------------------------

const std::vector<std::string>& aggregate_keys() {
  static const std::vector<std::string> k{"date_ranges",    "exclude",       "extended_bounds",
                                          "field",          "filter",        "filters_spec",
                                          "from",           "include",       "interval",
                                          "max_doc_count",  "min_doc_count", "missing",
                                          "name",           "percents",      "q",
                                          "ranges",         "size",          "sort",
                                          "sub_aggregates", "time_zone",     "type"};
  return k;
}

void check_aggregate(const json& req, const std::string& where) {
  check_object(req, aggregate_keys(), where);
  if (req.contains("sub_aggregates") && req["sub_aggregates"].is_array()) {
    for (std::size_t i = 0; i < req["sub_aggregates"].size(); ++i) {
      check_aggregate(req["sub_aggregates"][i],
                      where + ".sub_aggregates[" + std::to_string(i) + "]");
    }
  }
}

}  // namespace

// ---- writes -------------------------------------------------------------------------------

Reply create_indicators(Service& s, const json& items, bool ignore_warnings,
                        const std::string& client_id, const std::string& comment, TimePoint now) {
  if (!items.is_array()) throw BodyError("indicators: expected an array");
  if (items.empty()) throw ApiError(400, "at least one indicator is required");
  if (items.size() > kMaxWrite) {
    throw ApiError(400, "at most 2000 indicators can be written per request, got " +
                            std::to_string(items.size()));
  }
  std::vector<RowMessage> messages;
  std::vector<json> drafts;
  drafts.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    const int row = static_cast<int>(i) + 1;
    json rec = json::object();
    std::vector<RowMessage> mine;
    apply_fields(items[i], WriteKind::create, row, "indicators[" + std::to_string(i) + "]", rec,
                 mine);
    check_record(rec, row, now, mine);
    messages.insert(messages.end(), mine.begin(), mine.end());
    drafts.push_back(std::move(rec));
  }
  Reply r;
  std::vector<std::string> written;
  s.store.write(now, [&](IndicatorStore::Tx& tx) {
    std::unordered_set<std::string> seen;
    for (std::size_t i = 0; i < drafts.size(); ++i) {
      const json& d = drafts[i];
      const json type_j = d.value("type", json());
      const json value_j = d.value("value", json());
      if (!type_j.is_string() || !value_j.is_string()) continue;
      const std::string type = type_j.get<std::string>();
      const std::string value = value_j.get<std::string>();
      if (tx.active_id(type, value) || !seen.insert(type + '\n' + value).second) {
        RowMessage m;
        m.row = static_cast<int>(i) + 1;
        m.value = value;
        m.type = type;
        m.field_name = "value";
        m.message = "Duplicate type: '" + type + "' and value: '" + value + "' combination.";
        messages.push_back(std::move(m));
      }
    }
    if (blocks(messages, ignore_warnings)) {
      std::stable_sort(messages.begin(), messages.end(),
                       [](const RowMessage& a, const RowMessage& b) { return a.row < b.row; });
      r = rows_reply(messages);
      return;
    }
    // The tenant's quota of live indicators, as the API enforces it (issue 16).
    const std::size_t live = tx.live_count();
    const std::size_t quota = s.quota.load();
    if (live + drafts.size() > quota) {
      throw ApiError(400, "custom IOC limit of " + std::to_string(quota) +
                              " reached: the tenant holds " + std::to_string(live) +
                              " indicators and this request would add " +
                              std::to_string(drafts.size()));
    }
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < drafts.size(); ++i) {
      json& rec = drafts[i];
      std::string id;
      do {
        id = random_hex(64);
      } while (tx.contains(id));
      // One nanosecond apart, so created_on order is request order.
      const TimePoint at = now + std::chrono::nanoseconds(i);
      rec["id"] = id;
      rec["created_on"] = format_time(at);
      rec["created_by"] = client_id;
      rec["deleted"] = false;
      finish_record(rec, client_id, at);
      tx.put(rec);
      ids.push_back(id);
    }
    // Re-read: the store may have expired records whose expiration is already past.
    for (const auto& id : ids) r.resources.push_back(*tx.find(id));
    r.status = 201;
    r.meta_extra["writes"] = {{"resources_affected", ids.size()}};
    written = std::move(ids);
  });
  // Only a write that was made durable is counted and audited (write() throws otherwise).
  if (!written.empty()) {
    s.indicators_created += written.size();
    s.audit("indicator_create_v1", client_id, comment, written);
  }
  return r;
}

Reply op_indicator_create(Service& s, const Call& c) {
  const bool ignore = query_bool(c, "ignore_warnings").value_or(false);
  query_bool(c, "retrodetects");  // validated; detections are not modelled
  const json body = parse_body(c.req.body);
  check_object(body, {"comment", "indicators"}, "body");
  const json comment = body.value("comment", json());
  if (!comment.is_null() && !comment.is_string()) throw BodyError("comment: expected a string");
  if (!body.contains("indicators") || body["indicators"].is_null()) {
    throw ApiError(400, "indicators is required");
  }
  return create_indicators(s, body["indicators"], ignore, c.client_id,
                           comment.is_string() ? comment.get<std::string>() : "", c.now);
}

Reply op_indicator_update(Service& s, const Call& c) {
  const bool ignore = query_bool(c, "ignore_warnings").value_or(false);
  query_bool(c, "retrodetects");
  const json body = parse_body(c.req.body);
  check_object(body, {"bulk_update", "comment", "indicators"}, "body");
  const json comment = body.value("comment", json());
  if (!comment.is_null() && !comment.is_string()) throw BodyError("comment: expected a string");
  json items = body.value("indicators", json());
  if (items.is_null()) items = json::array();
  if (!items.is_array()) throw BodyError("indicators: expected an array");
  if (items.size() > kMaxWrite) {
    throw ApiError(400, "at most 2000 indicators can be written per request, got " +
                            std::to_string(items.size()));
  }
  // bulk_update may be missing (FalconPy) or null (gofalcon).
  const json bulk = body.value("bulk_update", json());
  std::optional<FqlFilter> bulk_filter;
  if (!bulk.is_null()) {
    std::vector<RowMessage> field_messages;
    json scratch = json::object();
    apply_fields(bulk, WriteKind::bulk, 0, "bulk_update", scratch, field_messages);
    if (!field_messages.empty()) return rows_reply(field_messages);
    const json f = bulk.value("filter", json());
    if (!f.is_null() && !f.is_string()) throw BodyError("bulk_update.filter: expected a string");
    const json fp = bulk.value("from_parent", json());
    if (!fp.is_null() && !fp.is_boolean()) {
      throw BodyError("bulk_update.from_parent: expected a boolean");
    }
    bulk_filter =
        parse_filter(f.is_string() ? std::optional(f.get<std::string>()) : std::nullopt, c.now);
    // gofalcon sends every field; null and "" mean "not given".
    bool has_fields = false;
    for (const auto& kv : bulk.items()) {
      const json& v = kv.value();
      has_fields = has_fields || (kv.key() != "filter" && kv.key() != "from_parent" &&
                                  !v.is_null() && !(v.is_string() && v.get<std::string>().empty()));
    }
    if (has_fields && !bulk_filter) throw ApiError(400, "bulk_update.filter is required");
    if (!has_fields) bulk_filter.reset();  // a filter with nothing to change is a no-op
  }
  if (items.empty() && !bulk_filter) {
    throw ApiError(400, "indicators or bulk_update (a filter and fields to change) is required");
  }
  Reply r;
  bool audited = false;
  std::vector<std::string> order;
  s.store.write(c.now, [&](IndicatorStore::Tx& tx) {
    std::vector<RowMessage> messages;
    std::unordered_map<std::string, json> changed;
    const auto touch = [&](const std::string& id, const json& base) -> json& {
      auto it = changed.find(id);
      if (it != changed.end()) return it->second;
      order.push_back(id);
      return changed[id] = base;
    };
    if (bulk_filter) {
      const bool with_deleted = mentions_deleted(bulk_filter->fields());
      std::vector<json> matches;
      tx.for_each([&](const json& rec) {
        if ((with_deleted || !rec.value("deleted", false)) && bulk_filter->matches(rec)) {
          matches.push_back(rec);
        }
      });
      std::sort(matches.begin(), matches.end(),
                [](const json& a, const json& b) { return a["id"] < b["id"]; });
      for (const json& m : matches) {
        json& rec = touch(m["id"].get<std::string>(), m);
        std::vector<RowMessage> mine;
        apply_fields(bulk, WriteKind::bulk, 0, "bulk_update", rec, mine);
        check_record(rec, 0, c.now, mine);
        messages.insert(messages.end(), mine.begin(), mine.end());
      }
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      const int row = static_cast<int>(i) + 1;
      const std::string where = "indicators[" + std::to_string(i) + "]";
      if (!items[i].is_object()) throw BodyError(where + ": expected a JSON object");
      const json id = items[i].value("id", json());
      if (!id.is_null() && !id.is_string()) throw BodyError(where + ".id: expected a string");
      const std::optional<json> stored =
          id.is_string() ? tx.find(id.get<std::string>()) : std::nullopt;
      if (!stored || stored->value("deleted", false)) {
        RowMessage m;
        m.row = row;
        m.value = stored ? (*stored)["value"] : json(nullptr);
        m.type = stored ? (*stored)["type"] : json(nullptr);
        const bool missing = id.is_null() || id.get<std::string>().empty();
        // The real API names a missing id "ID" (spec §3.9, FalconPy #634).
        m.field_name = missing ? "ID" : "id";
        m.message = missing ? "required string is missing"
                            : "indicator not found: " + id.get<std::string>();
        messages.push_back(std::move(m));
        json scratch = json::object();
        std::vector<RowMessage> ignored;
        apply_fields(items[i], WriteKind::update, row, where, scratch, ignored);  // type checks
        continue;
      }
      json& rec = touch(id.get<std::string>(), *stored);
      std::vector<RowMessage> mine;
      apply_fields(items[i], WriteKind::update, row, where, rec, mine);
      check_record(rec, row, c.now, mine);
      messages.insert(messages.end(), mine.begin(), mine.end());
    }
    if (blocks(messages, ignore)) {
      r = rows_reply(messages);
      return;
    }
    for (const auto& id : order) {
      json& rec = changed[id];
      finish_record(rec, c.client_id, c.now);
      tx.put(rec);
    }
    for (const auto& id : order) r.resources.push_back(*tx.find(id));
    r.meta_extra["writes"] = {{"resources_affected", order.size()}};
    audited = true;
  });
  if (audited) {
    s.audit("indicator_update_v1", c.client_id,
            comment.is_string() ? comment.get<std::string>() : "", order);
  }
  return r;
}

Reply op_indicator_delete(Service& s, const Call& c) {
  const auto filter = parse_filter(query(c, "filter"), c.now);
  const auto ids = query_list(c, "ids");
  const std::string comment = query(c, "comment").value_or("");
  query_bool(c, "from_parent");
  if (!filter && ids.empty()) throw ApiError(400, "ids or filter is required");
  Reply r;
  bool audited = false;
  std::vector<std::string> targets;
  s.store.write(c.now, [&](IndicatorStore::Tx& tx) {
    if (filter) {  // the filter wins over ids (spec §2.2)
      const bool with_deleted = mentions_deleted(filter->fields());
      tx.for_each([&](const json& rec) {
        if ((with_deleted || !rec.value("deleted", false)) && filter->matches(rec)) {
          targets.push_back(rec["id"].get<std::string>());
        }
      });
      std::sort(targets.begin(), targets.end());
    } else {
      for (const auto& id : ids) {
        if (tx.contains(id)) {
          if (std::find(targets.begin(), targets.end(), id) == targets.end()) targets.push_back(id);
        } else {
          r.errors.push_back({{"code", 404}, {"message", "indicator not found: " + id}});
        }
      }
      if (targets.empty()) {
        r.status = 404;
        return;
      }
    }
    for (const auto& id : targets) {
      json rec = *tx.find(id);
      if (rec.value("deleted", false)) continue;  // deleting twice is a no-op, not an error
      rec["deleted"] = true;
      rec["modified_on"] = format_time(c.now);
      rec["modified_by"] = c.client_id;
      tx.put(std::move(rec));
    }
    r.resources = targets;
    r.meta_extra["writes"] = {{"resources_affected", targets.size()}};
    audited = true;
  });
  if (audited) s.audit("indicator_delete_v1", c.client_id, comment, targets);
  return r;
}

// ---- reads --------------------------------------------------------------------------------

Reply op_indicator_get(Service& s, const Call& c) {
  const auto ids = query_list(c, "ids");
  if (ids.empty()) throw ApiError(400, "ids is required");
  if (ids.size() > kMaxGetIds) {
    throw ApiError(400, "at most 500 ids per request, got " + std::to_string(ids.size()));
  }
  Reply r;
  s.store.read(c.now, [&](const IndicatorStore::View& v) {
    for (const auto& id : ids) {
      if (auto rec = v.find(id)) {
        r.resources.push_back(*rec);
      } else {
        r.errors.push_back({{"code", 404}, {"message", "indicator not found: " + id}});
      }
    }
  });
  if (r.resources.empty()) r.status = 404;
  return r;
}

Reply op_indicator_search(Service& s, const Call& c) {
  query_bool(c, "from_parent");
  return run_search(s, c, PageOf::ids);
}

Reply op_indicator_combined(Service& s, const Call& c) {
  query_bool(c, "from_parent");
  return run_search(s, c, PageOf::records);
}

Reply op_indicator_aggregate(Service& s, const Call& c) {
  const auto filter = parse_filter(query(c, "filter"), c.now);
  query_bool(c, "from_parent");
  const json body = parse_body(c.req.body);
  // The spec says one object; an array of them is accepted and answered one result each.
  const json requests = body.is_array() ? body : json::array({body});
  if (requests.empty()) throw ApiError(400, "at least one aggregation is required");
  bool with_deleted = mentions_deleted(filter_fields(filter));
  for (std::size_t i = 0; i < requests.size(); ++i) {
    check_aggregate(requests[i], body.is_array() ? "body[" + std::to_string(i) + "]" : "body");
    const json f = requests[i].value("filter", json());
    if (f.is_string())
      with_deleted = with_deleted ||
                     mentions_deleted(filter_fields(parse_filter(f.get<std::string>(), c.now)));
  }
  Reply r;
  s.store.read(c.now, [&](const IndicatorStore::View& v) {
    // Aggregations run over rendered copies of the matching records.
    std::deque<json> matched;
    std::vector<const json*> records;
    v.for_each([&](const json& rec) {
      if ((with_deleted || !rec.value("deleted", false)) && (!filter || filter->matches(rec))) {
        matched.push_back(rec);
        records.push_back(&matched.back());
      }
    });
    std::sort(records.begin(), records.end(),
              [](const json* a, const json* b) { return (*a)["id"] < (*b)["id"]; });
    for (const auto& req : requests) {
      try {
        r.resources.push_back(run_aggregation(req, records));
      } catch (const AggregateError& e) {
        throw ApiError(400, e.what());
      } catch (const FqlError& e) {
        throw ApiError(400, e.what());
      }
    }
  });
  return r;
}

Reply op_indicators_report(Service& s, const Call& c) {
  const json body = parse_body(c.req.body);
  check_object(body, {"from_parent", "report_format", "search"}, "body");
  const json fmt = body.value("report_format", json());
  if (!fmt.is_null() && !fmt.is_string()) throw BodyError("report_format: expected a string");
  const std::string format = fmt.is_string() ? to_lower(fmt.get<std::string>()) : "";
  if (!format.empty() && format != "csv" && format != "json") {
    throw ApiError(
        400, "invalid report_format '" + fmt.get<std::string>() + "', must be one of: csv, json");
  }
  const json search = body.value("search", json::object());
  if (!search.is_null()) {
    check_object(search, {"filter", "query", "sort"}, "search");
    for (const char* k : {"filter", "query", "sort"}) {
      const json v = search.value(k, json());
      if (!v.is_null() && !v.is_string()) {
        throw BodyError(std::string("search.") + k + ": expected a string");
      }
    }
    const json f = search.value("filter", json());
    if (f.is_string()) parse_filter(f.get<std::string>(), c.now);
    const json sort = search.value("sort", json());
    if (sort.is_string() && !trim(sort.get<std::string>()).empty()) {
      try {
        SortSpec::parse(trim(sort.get<std::string>()));
      } catch (const FqlError& e) {
        throw ApiError(400, e.what());
      }
    }
  }
  const std::string id = random_uuid();
  s.audit("GetIndicatorsReport", c.client_id, format.empty() ? "csv" : format, {id});
  Reply r;
  r.resources = json::array({id});
  return r;
}

}  // namespace falcon::emulator
