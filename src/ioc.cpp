// falcon::IOC: option struct -> query + JSON body -> Client::send. Each operation refers to its
// row of the endpoint table; no route is written here.
#include "falcon/ioc.hpp"

#include "falcon/models.hpp"

#include "dispatch.hpp"
#include "indicator_fields.hpp"
#include "ops.hpp"
#include "query.hpp"
#include "response_internal.hpp"
#include "validate.hpp"

namespace falcon {

using internal::Op;
using internal::Query;
using nlohmann::json;

namespace {

template <typename T>
void put(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

// The per-indicator fields shared by create and update, as the one IndicatorSpec whose to_json
// (models.cpp) decides the wire form: set fields only, filename merged into metadata.
template <typename Options>
IndicatorSpec indicator_spec(const Options& o) {
  // Every field the create/update option structs share with IndicatorSpec (same names), from
  // the rulebook's field table.
  IndicatorSpec s;
  internal::for_each_field([&](const auto& r) {
    if constexpr (internal::reaches<decltype(r.spec), IndicatorSpec> &&
                  internal::reaches<decltype(r.spec), const Options>) {
      r.spec(s) = r.spec(o);
    }
  });
  return s;
}

struct Prepared {
  Query query;
  std::optional<json> body;
  std::optional<Error> error;
};

// Query from `parameters` first, so the typed fields set afterwards win on the same key.
template <typename Options>
Prepared start(const Options& o, const Endpoint& ep) {
  Prepared p;
  if (o.parameters) p.error = internal::query_from_parameters(*o.parameters, &ep, p.query);
  return p;
}

// A `body` escape hatch that is unset or JSON null is "not given" (like FalconPy's body=None and
// like a null `parameters`): the body is built from the fields.
bool given(const std::optional<json>& body) {
  return body && !body->is_null();
}

Response dispatch(const Client& client, Op op, Prepared&& p, const CallOptions& call) {
  return internal::dispatch(client, internal::endpoint(op), p.query, p.body, std::move(p.error),
                            call);
}

Response query_operation(const Client& client, Op op, const IndicatorQueryOptions& o,
                         const CallOptions& call) {
  Prepared p = start(o, internal::endpoint(op));
  p.query.set_opt("filter", o.filter);
  p.query.set_opt("offset", o.offset);
  p.query.set_opt("limit", o.limit);
  p.query.set_opt("sort", o.sort);
  p.query.set_opt("after", o.after);
  p.query.set_opt("from_parent", o.from_parent);
  return dispatch(client, op, std::move(p), call);
}

Response ids_operation(const Client& client, Op op, const IdsOptions& o, const CallOptions& call) {
  Prepared p = start(o, internal::endpoint(op));
  p.query.set_opt("ids", o.ids);
  return dispatch(client, op, std::move(p), call);
}

Response value_query(const Client& client, Op op, const ValueQueryOptions& o,
                     const CallOptions& call) {
  Prepared p = start(o, internal::endpoint(op));
  p.query.set_opt("offset", o.offset);
  p.query.set_opt("limit", o.limit);
  return dispatch(client, op, std::move(p), call);
}

// Lookups are reads: the value rules that guard writes (domain characters, hash length) do not
// refuse a value the API may still answer for.
template <typename Options>
void lookup_type_value(const Options& o, Prepared& p) {
  p.query.set_opt("type", o.type);
  p.query.set_opt("value", o.value);
}

Response devices_count_op(const Client& client, Op op, const DevicesCountOptions& o,
                          const CallOptions& call) {
  Prepared p = start(o, internal::endpoint(op));
  lookup_type_value(o, p);
  return dispatch(client, op, std::move(p), call);
}

Response devices_ran_on_op(const Client& client, Op op, const DevicesRanOnOptions& o,
                           const CallOptions& call) {
  Prepared p = start(o, internal::endpoint(op));
  lookup_type_value(o, p);
  p.query.set_opt("limit", o.limit);
  p.query.set_opt("offset", o.offset);
  return dispatch(client, op, std::move(p), call);
}

Response processes_ran_on_op(const Client& client, Op op, const ProcessesRanOnOptions& o,
                             const CallOptions& call) {
  Prepared p = start(o, internal::endpoint(op));
  lookup_type_value(o, p);
  p.query.set_opt("device_id", o.device_id);
  p.query.set_opt("limit", o.limit);
  p.query.set_opt("offset", o.offset);
  return dispatch(client, op, std::move(p), call);
}

}  // namespace

IOC::IOC(Client client) : client_(std::move(client)) {}
IOC::IOC(Config config) : client_(std::move(config)) {}

Response IOC::indicator_aggregate(const IndicatorAggregateOptions& o,
                                  const CallOptions& call) const {
  Prepared p = start(o, internal::endpoint(Op::indicator_aggregate));
  p.query.set_opt("from_parent", o.from_parent);
  if (!p.error) {
    if (given(o.body)) {
      p.body = *o.body;
    } else {
      json b = json::object();
      put(b, "date_ranges", o.date_ranges);
      put(b, "exclude", o.exclude);
      put(b, "extended_bounds", o.extended_bounds);
      put(b, "field", o.field);
      put(b, "filter", o.filter);
      put(b, "filters_spec", o.filters_spec);
      put(b, "from", o.from);
      put(b, "include", o.include);
      put(b, "interval", o.interval);
      put(b, "max_doc_count", o.max_doc_count);
      put(b, "min_doc_count", o.min_doc_count);
      put(b, "missing", o.missing);
      put(b, "name", o.name);
      put(b, "percents", o.percents);
      put(b, "q", o.q);
      put(b, "ranges", o.ranges);
      put(b, "size", o.size);
      put(b, "sort", o.sort);
      put(b, "sub_aggregates", o.sub_aggregates);
      put(b, "time_zone", o.time_zone);
      put(b, "type", o.type);
      p.body = std::move(b);
    }
  }
  return dispatch(client_, Op::indicator_aggregate, std::move(p), call);
}

Response IOC::indicator_combined(const IndicatorCombinedOptions& o, const CallOptions& call) const {
  return query_operation(client_, Op::indicator_combined, o, call);
}

Response IOC::indicator_search(const IndicatorSearchOptions& o, const CallOptions& call) const {
  return query_operation(client_, Op::indicator_search, o, call);
}

Response IOC::action_get(const ActionGetOptions& o, const CallOptions& call) const {
  return ids_operation(client_, Op::action_get, o, call);
}

Response IOC::indicator_get(const IndicatorGetOptions& o, const CallOptions& call) const {
  return ids_operation(client_, Op::indicator_get, o, call);
}

Response IOC::entities_processes(const EntitiesProcessesOptions& o, const CallOptions& call) const {
  return ids_operation(client_, Op::entities_processes, o, call);
}

Response IOC::get_indicators_report(const GetIndicatorsReportOptions& o,
                                    const CallOptions& call) const {
  Prepared p = start(o, internal::endpoint(Op::get_indicators_report));
  if (!p.error) {
    if (given(o.body)) {
      p.body = *o.body;
    } else {
      json b = json::object();
      if (o.search) {
        b["search"] = *o.search;  // replaces filter/query/sort whole, as documented
      } else if (o.filter || o.query || o.sort) {
        json s = json::object();
        put(s, "filter", o.filter);
        put(s, "query", o.query);
        put(s, "sort", o.sort);
        b["search"] = std::move(s);
      }
      put(b, "report_format", o.report_format);
      put(b, "from_parent", o.from_parent);
      p.body = std::move(b);
    }
  }
  return dispatch(client_, Op::get_indicators_report, std::move(p), call);
}

Response IOC::indicator_create(const IndicatorCreateOptions& o, const CallOptions& call) const {
  Prepared p = start(o, internal::endpoint(Op::indicator_create));
  p.query.set_opt("retrodetects", o.retrodetects);
  p.query.set_opt("ignore_warnings", o.ignore_warnings);
  if (!p.error) {
    if (given(o.body)) {
      p.body = *o.body;
    } else {
      json b = json::object();
      put(b, "comment", o.comment);
      if (o.indicators) {
        b["indicators"] = *o.indicators;
      } else if (json ind = indicator_spec(o); !ind.empty()) {
        b["indicators"] = json::array({std::move(ind)});
      }
      p.body = std::move(b);
    }
  }
  return dispatch(client_, Op::indicator_create, std::move(p), call);
}

Response IOC::indicator_update(const IndicatorUpdateOptions& o, const CallOptions& call) const {
  Prepared p = start(o, internal::endpoint(Op::indicator_update));
  p.query.set_opt("retrodetects", o.retrodetects);
  p.query.set_opt("ignore_warnings", o.ignore_warnings);
  if (!p.error) {
    if (given(o.body)) {
      p.body = *o.body;
    } else {
      json b = json::object();
      put(b, "comment", o.comment);
      if (o.bulk_update) b["bulk_update"] = *o.bulk_update;
      if (o.from_parent) {
        // FalconPy drops this keyword; the update model carries it in bulk_update.
        json& bulk = b["bulk_update"];
        if (bulk.is_null()) bulk = json::object();
        if (bulk.is_object()) {
          bulk["from_parent"] = *o.from_parent;
        } else {
          // Never overwrite the caller's bulk_update, and never drop from_parent silently.
          p.error = internal::validation_error(
              "bulk_update", "bulk_update must be a JSON object to carry from_parent");
        }
      }
      if (o.indicators) {
        b["indicators"] = *o.indicators;
      } else {
        json ind = indicator_spec(o);  // id included
        if (!ind.empty()) b["indicators"] = json::array({std::move(ind)});
      }
      p.body = std::move(b);
    }
  }
  return dispatch(client_, Op::indicator_update, std::move(p), call);
}

Response IOC::indicator_delete(const IndicatorDeleteOptions& o, const CallOptions& call) const {
  Prepared p = start(o, internal::endpoint(Op::indicator_delete));
  p.query.set_opt("filter", o.filter);
  p.query.set_opt("ids", o.ids);
  p.query.set_opt("comment", o.comment);
  p.query.set_opt("from_parent", o.from_parent);
  return dispatch(client_, Op::indicator_delete, std::move(p), call);
}

Response IOC::action_query(const ActionQueryOptions& o, const CallOptions& call) const {
  return value_query(client_, Op::action_query, o, call);
}
Response IOC::ioc_type_query(const IocTypeQueryOptions& o, const CallOptions& call) const {
  return value_query(client_, Op::ioc_type_query, o, call);
}
Response IOC::platform_query(const PlatformQueryOptions& o, const CallOptions& call) const {
  return value_query(client_, Op::platform_query, o, call);
}
Response IOC::severity_query(const SeverityQueryOptions& o, const CallOptions& call) const {
  return value_query(client_, Op::severity_query, o, call);
}

Response IOC::devices_count(const DevicesCountOptions& o, const CallOptions& call) const {
  return devices_count_op(client_, Op::devices_count, o, call);
}
Response IOC::devices_count_legacy(const DevicesCountOptions& o, const CallOptions& call) const {
  return devices_count_op(client_, Op::devices_count_legacy, o, call);
}
Response IOC::devices_ran_on(const DevicesRanOnOptions& o, const CallOptions& call) const {
  return devices_ran_on_op(client_, Op::devices_ran_on, o, call);
}
Response IOC::devices_ran_on_legacy(const DevicesRanOnOptions& o, const CallOptions& call) const {
  return devices_ran_on_op(client_, Op::devices_ran_on_legacy, o, call);
}
Response IOC::processes_ran_on(const ProcessesRanOnOptions& o, const CallOptions& call) const {
  return processes_ran_on_op(client_, Op::processes_ran_on, o, call);
}
Response IOC::processes_ran_on_legacy(const ProcessesRanOnOptions& o,
                                      const CallOptions& call) const {
  return processes_ran_on_op(client_, Op::processes_ran_on_legacy, o, call);
}

}  // namespace falcon
