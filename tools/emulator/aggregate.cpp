// Elasticsearch-style aggregations over in-memory indicator records, shaped as
// msa.AggregationResult. Every bucket keeps the records that fell into it so sub_aggregates
// can run over exactly those.
#include "aggregate.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "fql.hpp"

namespace falcon::emulator {

using nlohmann::json;

namespace {

using Records = std::vector<const json*>;

constexpr std::int64_t kMaxSize = 10000;
constexpr std::int64_t kDefaultSize = 10;
constexpr int kMaxNesting = 8;
// Buckets multiply sub-aggregation work, so the request tree itself is kept small.
constexpr std::size_t kMaxRequests = 64;

struct Context {
  FqlTime now;
  int depth = 0;
};

[[noreturn]] void fail(const std::string& what) {
  throw AggregateError("invalid aggregate request: " + what);
}

// A request member, or nullptr when absent or null (gofalcon sends null for every unset one).
const json* member(const json& req, const char* key) {
  auto it = req.find(key);
  if (it == req.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string string_member(const json& req, const char* key) {
  const json* v = member(req, key);
  if (v == nullptr) return {};
  if (!v->is_string()) fail(std::string("'") + key + "' must be a string");
  return v->get<std::string>();
}

std::optional<std::int64_t> int_member(const json& req, const char* key) {
  const json* v = member(req, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_integer()) return v->get<std::int64_t>();
  if (v->is_number_float()) {
    const double d = v->get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) {
      return static_cast<std::int64_t>(d);
    }
  }
  fail(std::string("'") + key + "' must be an integer");
}

bool is_time_field(std::string_view f) {
  return f == "created_on" || f == "modified_on" || f == "expiration";
}

bool is_number_field(std::string_view f) {
  return f == "metadata.av_hits" || f == "severity_number";
}

double epoch_ms(const FqlTime& t) {
  return static_cast<double>(t.seconds) * 1000.0 + std::floor(t.nanos / 1e6);
}

FqlTime from_epoch_ms(double ms) {
  FqlTime t;
  const double secs = std::floor(ms / 1000.0);
  t.seconds = static_cast<std::int64_t>(secs);
  t.nanos = static_cast<std::int32_t>(std::llround((ms - secs * 1000.0) * 1e6));
  if (t.nanos >= 1000000000) {
    t.nanos -= 1000000000;
    ++t.seconds;
  }
  return t;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Shortest text that reads back as the same double; integers without a fraction.
std::string format_number(double v) {
  char buf[40];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    return buf;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

// ---- record values ----------------------------------------------------------------------

// The distinct scalar values of `field` in one record (array elements count separately).
std::vector<json> values_of(const json& record, const std::string& field) {
  json v = field_value(record, field);
  std::vector<json> out;
  auto add = [&out](const json& e) {
    if (e.is_null() || e.is_object() || e.is_array()) return;
    if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
  };
  if (v.is_array()) {
    for (const json& e : v) add(e);
  } else {
    add(v);
  }
  return out;
}

// A numeric view for range and metric aggregations: numbers, and times as epoch ms.
std::optional<double> number_of(const json& record, const std::string& field) {
  const json v = field_value(record, field);
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    if (is_time_field(field)) {
      if (auto t = parse_fql_time(v.get_ref<const std::string&>())) return epoch_ms(*t);
    }
  }
  return std::nullopt;
}

std::optional<FqlTime> time_of(const json& record, const std::string& field) {
  const json v = field_value(record, field);
  if (!v.is_string()) return std::nullopt;
  return parse_fql_time(v.get_ref<const std::string&>());
}

// ---- the aggregations -------------------------------------------------------------------

struct Bucket {
  json body;  // everything but sub_aggregates
  Records records;
};

json run(const json& request, const Records& records, const Context& ctx);

json run_subs(const json& subs, const Records& records, const Context& ctx) {
  json out = json::array();
  Context inner = ctx;
  ++inner.depth;
  for (const json& sub : subs) out.push_back(run(sub, records, inner));
  return out;
}

std::vector<Bucket> terms(const json& req, const std::string& field, const Records& records,
                          std::int64_t& other) {
  std::int64_t size = int_member(req, "size").value_or(kDefaultSize);
  if (size < 0 || size > kMaxSize) fail("'size' must be between 0 and 10000");
  if (size == 0) size = kDefaultSize;  // some clients send 0 for "unset"
  const std::int64_t min_count = int_member(req, "min_doc_count").value_or(1);
  if (min_count < 0) fail("'min_doc_count' must not be negative");
  const std::optional<std::int64_t> max_count = int_member(req, "max_doc_count");
  if (max_count && *max_count < 0) fail("'max_doc_count' must not be negative");
  const std::string missing = string_member(req, "missing");

  bool by_count = true, ascending = false;
  if (const std::string sort = string_member(req, "sort"); !sort.empty()) {
    std::string key = sort, dir;
    if (const auto sep = sort.find_first_of("|."); sep != std::string::npos) {
      key = sort.substr(0, sep);
      dir = sort.substr(sep + 1);
    }
    if (key == "_count") {
      by_count = true;
    } else if (key == "_term" || key == "_key") {
      by_count = false;
    } else {
      fail("'sort' must be _count, _term or _key with an optional |asc or |desc, not '" + sort +
           "'");
    }
    if (!dir.empty() && dir != "asc" && dir != "desc") {
      fail("'sort' direction must be asc or desc, not '" + dir + "'");
    }
    ascending = dir.empty() ? !by_count : dir == "asc";
  }

  std::map<json, Records> groups;
  for (const json* r : records) {
    std::vector<json> vals = values_of(*r, field);
    if (vals.empty() && !missing.empty()) vals.emplace_back(missing);
    for (const json& v : vals) groups[v].push_back(r);
  }
  std::vector<std::pair<json, Records>> sorted;
  for (auto& [label, recs] : groups) {
    const auto n = static_cast<std::int64_t>(recs.size());
    if (n < min_count || (max_count && n > *max_count)) continue;
    sorted.emplace_back(label, std::move(recs));
  }
  std::stable_sort(sorted.begin(), sorted.end(), [&](const auto& a, const auto& b) {
    if (by_count && a.second.size() != b.second.size()) {
      return ascending ? a.second.size() < b.second.size() : a.second.size() > b.second.size();
    }
    if (by_count || ascending) return a.first < b.first;
    return b.first < a.first;
  });
  std::vector<Bucket> out;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const auto n = static_cast<std::int64_t>(sorted[i].second.size());
    if (static_cast<std::int64_t>(i) >= size) {
      other += n;
      continue;
    }
    out.push_back({{{"label", sorted[i].first}, {"count", n}}, std::move(sorted[i].second)});
  }
  return out;
}

std::vector<Bucket> date_ranges(const json& req, const std::string& field, const Records& records,
                                const Context& ctx) {
  const json* ranges = member(req, "date_ranges");
  if (ranges == nullptr || !ranges->is_array() || ranges->empty()) {
    fail("'date_ranges' must be a non-empty array of {from, to} for type date_range");
  }
  std::vector<Bucket> out;
  for (std::size_t i = 0; i < ranges->size(); ++i) {
    const json& spec = (*ranges)[i];
    const std::string where = "'date_ranges[" + std::to_string(i) + "]";
    if (!spec.is_object()) fail(where + "' must be an object with from and to");
    std::optional<FqlTime> bound[2];
    std::string text[2];
    const char* keys[2] = {"from", "to"};
    for (int k = 0; k < 2; ++k) {
      text[k] = string_member(spec, keys[k]);
      if (text[k].empty()) continue;  // open end
      bound[k] = parse_time_expression(text[k], ctx.now);
      if (!bound[k]) {
        fail(where + "." + keys[k] + "' is not a date (RFC 3339, YYYY-MM-DD or now-7d): '" +
             text[k] + "'");
      }
    }
    const std::string key =
        (text[0].empty() ? "*" : text[0]) + "-" + (text[1].empty() ? "*" : text[1]);
    Bucket b;
    for (const json* r : records) {
      const auto t = time_of(*r, field);
      if (!t || (bound[0] && *t < *bound[0]) || (bound[1] && !(*t < *bound[1]))) continue;
      b.records.push_back(r);
    }
    b.body = {{"label", key},
              {"key_as_string", key},
              {"count", static_cast<std::int64_t>(b.records.size())}};
    for (int k = 0; k < 2; ++k) {
      if (!bound[k]) continue;
      b.body[keys[k]] = epoch_ms(*bound[k]);
      b.body[k == 0 ? "string_from" : "string_to"] = format_fql_time(*bound[k]);
    }
    out.push_back(std::move(b));
  }
  return out;
}

struct Interval {
  std::optional<TimeUnit> calendar;
  std::int64_t fixed_seconds = 0;
};

Interval parse_interval(const std::string& text) {
  static const std::map<std::string, TimeUnit> kCalendar = {
      {"second", TimeUnit::second},   {"1s", TimeUnit::second},   {"minute", TimeUnit::minute},
      {"1m", TimeUnit::minute},       {"hour", TimeUnit::hour},   {"1h", TimeUnit::hour},
      {"day", TimeUnit::day},         {"1d", TimeUnit::day},      {"week", TimeUnit::week},
      {"1w", TimeUnit::week},         {"month", TimeUnit::month}, {"1M", TimeUnit::month},
      {"quarter", TimeUnit::quarter}, {"1q", TimeUnit::quarter},  {"year", TimeUnit::year},
      {"1y", TimeUnit::year}};
  if (auto it = kCalendar.find(text); it != kCalendar.end()) return {it->second, 0};
  // Fixed intervals ("7d", "30m", "12h"): N units, aligned on the epoch like Elasticsearch.
  std::size_t i = 0;
  std::int64_t n = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i < 9) {
    n = n * 10 + (text[i++] - '0');
  }
  if (i > 0 && n > 0 && i + 1 == text.size()) {
    const std::int64_t unit = text[i] == 's'   ? 1
                              : text[i] == 'm' ? 60
                              : text[i] == 'h' ? 3600
                              : text[i] == 'd' ? 86400
                                               : 0;
    if (unit != 0) return {std::nullopt, n * unit};
  }
  fail(
      "'interval' must be second, minute, hour, day, week, month, quarter, year or a fixed "
      "interval like 1h, 12h, 1d or 7d, not '" +
      text + "'");
}

std::vector<Bucket> date_histogram(const json& req, const std::string& field,
                                   const Records& records) {
  const std::string text = string_member(req, "interval");
  if (text.empty()) fail("'interval' is required for type date_histogram");
  const Interval interval = parse_interval(text);
  const std::int64_t min_count = int_member(req, "min_doc_count").value_or(1);
  if (min_count < 0) fail("'min_doc_count' must not be negative");

  std::map<std::int64_t, Records> groups;
  for (const json* r : records) {
    const auto t = time_of(*r, field);
    if (!t) continue;
    const std::int64_t start =
        interval.calendar ? truncate_time(t->seconds, *interval.calendar)
                          : floor_div(t->seconds, interval.fixed_seconds) * interval.fixed_seconds;
    groups[start].push_back(r);
  }
  std::vector<Bucket> out;
  for (auto& [start, recs] : groups) {
    if (static_cast<std::int64_t>(recs.size()) < min_count) continue;
    const FqlTime key{start, 0};
    const std::string key_text = format_fql_time(key);
    out.push_back({{{"label", key_text},
                    {"key_as_string", key_text},
                    {"value", epoch_ms(key)},
                    {"count", static_cast<std::int64_t>(recs.size())}},
                   std::move(recs)});
  }
  return out;
}

std::optional<double> range_bound(const json& spec, const char* upper, const char* lower,
                                  const std::string& where) {
  const json* v = member(spec, upper);
  if (v == nullptr) v = member(spec, lower);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number()) fail(where + "." + upper + "' must be a number");
  return v->get<double>();
}

std::vector<Bucket> ranges(const json& req, const std::string& field, const Records& records) {
  const json* specs = member(req, "ranges");
  if (specs == nullptr || !specs->is_array() || specs->empty()) {
    fail("'ranges' must be a non-empty array of {From, To} for type range");
  }
  std::vector<Bucket> out;
  for (std::size_t i = 0; i < specs->size(); ++i) {
    const json& spec = (*specs)[i];
    const std::string where = "'ranges[" + std::to_string(i) + "]";
    if (!spec.is_object()) fail(where + "' must be an object with From and To");
    const auto from = range_bound(spec, "From", "from", where);
    const auto to = range_bound(spec, "To", "to", where);
    Bucket b;
    for (const json* r : records) {
      const auto v = number_of(*r, field);
      if (!v || (from && *v < *from) || (to && *v >= *to)) continue;
      b.records.push_back(r);
    }
    const std::string key =
        (from ? format_number(*from) : "*") + "-" + (to ? format_number(*to) : "*");
    b.body = {{"label", key}, {"count", static_cast<std::int64_t>(b.records.size())}};
    if (from) b.body["from"] = *from;
    if (to) b.body["to"] = *to;
    out.push_back(std::move(b));
  }
  return out;
}

Bucket metric(const std::string& type, const std::string& field, const Records& records) {
  Bucket b;
  if (type == "cardinality") {
    std::set<json> distinct;
    for (const json* r : records) {
      const std::vector<json> vals = values_of(*r, field);
      if (vals.empty()) continue;
      distinct.insert(vals.begin(), vals.end());
      b.records.push_back(r);
    }
    b.body = {{"value", static_cast<std::int64_t>(distinct.size())},
              {"count", static_cast<std::int64_t>(b.records.size())}};
    return b;
  }
  std::optional<double> acc;
  double sum = 0;
  for (const json* r : records) {
    const auto v = number_of(*r, field);
    if (!v) continue;
    b.records.push_back(r);
    sum += *v;
    if (type == "min") acc = acc ? std::min(*acc, *v) : *v;
    if (type == "max") acc = acc ? std::max(*acc, *v) : *v;
  }
  const auto n = static_cast<std::int64_t>(b.records.size());
  if (type == "sum") acc = sum;
  if (type == "avg" && n > 0) acc = sum / static_cast<double>(n);
  b.body = {{"value", acc ? json(*acc) : json(nullptr)}, {"count", n}};
  if (acc && is_time_field(field)) {
    b.body["value_as_string"] = format_fql_time(from_epoch_ms(*acc));
  }
  return b;
}

json run(const json& request, const Records& input, const Context& ctx) {
  if (ctx.depth > kMaxNesting) {
    fail("sub_aggregates nested deeper than " + std::to_string(kMaxNesting) + " levels");
  }
  if (!request.is_object()) fail("each request must be a JSON object");
  std::string type = string_member(request, "type");
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (type.empty()) fail("'type' is required");
  static const std::set<std::string> kTypes = {
      "terms", "date_range", "date_histogram", "range", "cardinality", "min", "max", "avg", "sum"};
  if (kTypes.count(type) == 0) {
    fail("'type' '" + type +
         "' is not supported (terms, date_range, date_histogram, range, cardinality, min, max, "
         "avg, sum)");
  }
  const std::string field = string_member(request, "field");
  if (field.empty()) fail("'field' is required for type " + type);
  if (!is_filter_field(field)) fail("'field' names an unknown field '" + field + "'");
  const bool numeric = is_number_field(field) || is_time_field(field);
  if ((type == "date_range" || type == "date_histogram") && !is_time_field(field)) {
    fail("'field' must be a date field (created_on, modified_on, expiration) for type " + type +
         ", not '" + field + "'");
  }
  if ((type == "range" || type == "min" || type == "max" || type == "avg" || type == "sum") &&
      !numeric) {
    fail("'field' must be numeric (metadata.av_hits, severity_number) or a date for type " + type +
         ", not '" + field + "'");
  }
  if (auto size = int_member(request, "size"); size && (*size < 0 || *size > kMaxSize)) {
    fail("'size' must be between 0 and 10000");
  }
  const json* subs = member(request, "sub_aggregates");
  if (subs != nullptr) {
    if (!subs->is_array()) fail("'sub_aggregates' must be an array of requests");
    if (subs->empty()) subs = nullptr;
  }
  if (subs != nullptr) run_subs(*subs, {}, ctx);  // so bad nested requests fail even when empty

  Records records = input;
  if (const std::string filter = string_member(request, "filter"); !filter.empty()) {
    const FqlFilter f = FqlFilter::parse(filter);
    records.erase(std::remove_if(records.begin(), records.end(),
                                 [&f](const json* r) { return !f.matches(*r); }),
                  records.end());
  }

  std::int64_t other = 0;
  std::vector<Bucket> buckets;
  if (type == "terms") {
    buckets = terms(request, field, records, other);
  } else if (type == "date_range") {
    buckets = date_ranges(request, field, records, ctx);
  } else if (type == "date_histogram") {
    buckets = date_histogram(request, field, records);
  } else if (type == "range") {
    buckets = ranges(request, field, records);
  } else {
    buckets.push_back(metric(type, field, records));
  }

  json result;
  std::string name = string_member(request, "name");
  result["name"] = name.empty() ? field : name;
  result["buckets"] = json::array();
  for (Bucket& b : buckets) {
    if (subs != nullptr) b.body["sub_aggregates"] = run_subs(*subs, b.records, ctx);
    result["buckets"].push_back(std::move(b.body));
  }
  result["sum_other_doc_count"] = other;
  if (type == "terms") result["doc_count_error_upper_bound"] = 0;
  return result;
}

std::size_t count_requests(const json& request, int depth) {
  if (depth > kMaxNesting) {
    fail("sub_aggregates nested deeper than " + std::to_string(kMaxNesting) + " levels");
  }
  std::size_t n = 1;
  if (request.is_object()) {
    const json* subs = member(request, "sub_aggregates");
    if (subs != nullptr && subs->is_array()) {
      for (const json& sub : *subs) {
        n += count_requests(sub, depth + 1);
        if (n > kMaxRequests) {
          fail("more than " + std::to_string(kMaxRequests) + " requests in sub_aggregates");
        }
      }
    }
  }
  return n;
}

}  // namespace

json run_aggregation(const json& request, const std::vector<const json*>& records) {
  count_requests(request, 0);
  Context ctx;
  ctx.now = fql_now();
  return run(request, records, ctx);
}

}  // namespace falcon::emulator
