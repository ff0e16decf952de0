// The endpoint table (endpoints.hpp). Every row names each of its fields: an operation is built
// with Row's setters, so no field is known by its position alone.
#include "falcon/endpoints.hpp"

#include <utility>

#include "ops.hpp"

namespace falcon {

const ParamSpec* Endpoint::find_param(std::string_view name) const noexcept {
  for (const auto& p : query) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

namespace {

// Query parameters by wire type.
ParamSpec text(std::string_view name) {
  return ParamSpec{name, ParamType::string, false, ""};
}
ParamSpec integer(std::string_view name) {
  return ParamSpec{name, ParamType::integer, false, ""};
}
ParamSpec boolean(std::string_view name) {
  return ParamSpec{name, ParamType::boolean, false, ""};
}
// An array sent as repeated keys (ids=a&ids=b), the one array format of the IOC API.
ParamSpec multi(std::string_view name) {
  return ParamSpec{name, ParamType::string_array, false, "multi"};
}
// A parameter the spec requires.
ParamSpec required(ParamSpec p) {
  p.required = true;
  return p;
}

// One row, each field set by name. The HTTP verb fixes has_body (POST and PATCH take a JSON
// body, GET and DELETE never do); whether a row may be resent is always said, never defaulted.
class Row {
 public:
  explicit Row(std::string_view operation_id) { e_.operation_id = operation_id; }
  Row& spec_id(std::string_view id) {
    e_.spec_operation_id = id;
    return *this;
  }
  Row& ioc_method(std::string_view name) {
    e_.method_name = name;
    return *this;
  }
  Row& get(std::string_view route) { return http("GET", route, false); }
  Row& del(std::string_view route) { return http("DELETE", route, false); }
  Row& post(std::string_view route) { return http("POST", route, true); }
  Row& patch(std::string_view route) { return http("PATCH", route, true); }
  Row& scope(std::string_view scope) {
    e_.scope = scope;
    return *this;
  }
  Row& options(std::string_view option_struct) {
    e_.option_struct = option_struct;
    return *this;
  }
  Row& query(std::vector<ParamSpec> params) {
    e_.query = std::move(params);
    return *this;
  }
  Row& sort_fields(std::vector<std::string_view> fields) {
    e_.sort_fields = std::move(fields);
    return *this;
  }
  // Safe to resend after a 5xx or a connection error: it writes nothing, or writes the same.
  Row& idempotent() {
    e_.idempotent = true;
    return *this;
  }
  // A resend after the request may have reached the server could write twice.
  Row& not_idempotent() {
    e_.idempotent = false;
    return *this;
  }
  Row& deprecated() {
    e_.deprecated = true;
    return *this;
  }
  Row& success_status(int status) {
    e_.success_status = status;
    return *this;
  }
  Row& summary(std::string_view text) {
    e_.summary = text;
    return *this;
  }
  // Implicit, so the table lists rows as they are built.
  operator Endpoint() const { return e_; }

 private:
  Row& http(std::string_view method, std::string_view route, bool json_body) {
    e_.http_method = method;
    e_.route = route;
    e_.has_body = json_body;
    return *this;
  }
  Endpoint e_;
};

Row op(std::string_view operation_id) {
  return Row(operation_id);
}

}  // namespace

const std::vector<Endpoint>& endpoints() {
  // The sort fields of the indicator searches: the spec's enum for `sort` (checked by
  // tests/unit/endpoints_test.cpp), in alphabetical order.
  static const std::vector<std::string_view> kIndicatorSortFields = {
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
      "value"};
  // The one table of routes, in the order of shared/spec/ioc-operations.json, which
  // internal::Op mirrors; tests/unit/endpoints_test.cpp checks both.
  static const std::vector<Endpoint> table = {
      op("indicator_aggregate_v1")
          .spec_id("indicator.aggregate.v1")
          .ioc_method("indicator_aggregate")
          .post("/iocs/aggregates/indicators/v1")
          .scope("ioc:write")
          .options("IndicatorAggregateOptions")
          .query({text("filter"), boolean("from_parent")})
          .idempotent()
          .summary("Get Indicators aggregates as specified via json in the request body"),
      op("indicator_combined_v1")
          .spec_id("indicator.combined.v1")
          .ioc_method("indicator_combined")
          .get("/iocs/combined/indicator/v1")
          .scope("ioc:read")
          .options("IndicatorCombinedOptions")
          .query({text("filter"), integer("offset"), integer("limit"), text("sort"), text("after"),
                  boolean("from_parent")})
          .sort_fields(kIndicatorSortFields)
          .idempotent()
          .summary("Get Combined for Indicators"),
      op("action_get_v1")
          .spec_id("action.get.v1")
          .ioc_method("action_get")
          .get("/iocs/entities/actions/v1")
          .scope("ioc:read")
          .options("ActionGetOptions")
          .query({multi("ids")})
          .idempotent()
          .summary("Get Actions by ids"),
      op("GetIndicatorsReport")
          .spec_id("GetIndicatorsReport")
          .ioc_method("get_indicators_report")
          .post("/iocs/entities/indicators-reports/v1")
          .scope("ioc:write")
          .options("GetIndicatorsReportOptions")
          .idempotent()
          .summary("Launch an indicators report creation job"),
      op("indicator_get_v1")
          .spec_id("indicator.get.v1")
          .ioc_method("indicator_get")
          .get("/iocs/entities/indicators/v1")
          .scope("ioc:read")
          .options("IndicatorGetOptions")
          .query({required(multi("ids"))})
          .idempotent()
          .summary("Get Indicators by ids"),
      op("indicator_create_v1")
          .spec_id("indicator.create.v1")
          .ioc_method("indicator_create")
          .post("/iocs/entities/indicators/v1")
          .scope("ioc:write")
          .options("IndicatorCreateOptions")
          .query({boolean("retrodetects"), boolean("ignore_warnings")})
          .not_idempotent()
          .success_status(201)
          .summary("Create Indicators"),
      op("indicator_delete_v1")
          .spec_id("indicator.delete.v1")
          .ioc_method("indicator_delete")
          .del("/iocs/entities/indicators/v1")
          .scope("ioc:write")
          .options("IndicatorDeleteOptions")
          .query({text("filter"), multi("ids"), text("comment"), boolean("from_parent")})
          .idempotent()
          .summary("Delete Indicators by ids"),
      op("indicator_update_v1")
          .spec_id("indicator.update.v1")
          .ioc_method("indicator_update")
          .patch("/iocs/entities/indicators/v1")
          .scope("ioc:write")
          .options("IndicatorUpdateOptions")
          .query({boolean("retrodetects"), boolean("ignore_warnings")})
          .not_idempotent()
          .summary("Update Indicators"),
      op("action_query_v1")
          .spec_id("action.query.v1")
          .ioc_method("action_query")
          .get("/iocs/queries/actions/v1")
          .scope("ioc:read")
          .options("ActionQueryOptions")
          .query({text("offset"), integer("limit")})
          .idempotent()
          .summary("Query Actions"),
      op("indicator_search_v1")
          .spec_id("indicator.search.v1")
          .ioc_method("indicator_search")
          .get("/iocs/queries/indicators/v1")
          .scope("ioc:read")
          .options("IndicatorSearchOptions")
          .query({text("filter"), integer("offset"), integer("limit"), text("sort"), text("after"),
                  boolean("from_parent")})
          .sort_fields(kIndicatorSortFields)
          .idempotent()
          .summary("Search for Indicators"),
      op("ioc_type_query_v1")
          .spec_id("ioc_type.query.v1")
          .ioc_method("ioc_type_query")
          .get("/iocs/queries/ioc-types/v1")
          .scope("ioc:read")
          .options("IocTypeQueryOptions")
          .query({text("offset"), integer("limit")})
          .idempotent()
          .summary("Query IOC Types"),
      op("platform_query_v1")
          .spec_id("platform.query.v1")
          .ioc_method("platform_query")
          .get("/iocs/queries/platforms/v1")
          .scope("ioc:read")
          .options("PlatformQueryOptions")
          .query({text("offset"), integer("limit")})
          .idempotent()
          .summary("Query Platforms"),
      op("severity_query_v1")
          .spec_id("severity.query.v1")
          .ioc_method("severity_query")
          .get("/iocs/queries/severities/v1")
          .scope("ioc:read")
          .options("SeverityQueryOptions")
          .query({text("offset"), integer("limit")})
          .idempotent()
          .summary("Query Severities"),
      op("DevicesCount")
          .spec_id("DevicesCount")
          .ioc_method("devices_count_legacy")
          .get("/indicators/aggregates/devices-count/v1")
          .scope("iocs:read")
          .options("DevicesCountOptions")
          .query({required(text("type")), required(text("value"))})
          .idempotent()
          .deprecated()
          .summary(
              "Number of hosts in your customer account that have observed a given custom IOC"),
      op("indicator_get_device_count_v1")
          .spec_id("indicator.get.device_count.v1")
          .ioc_method("devices_count")
          .get("/iocs/aggregates/indicators/device-count/v1")
          .scope("ioc:read")
          .options("DevicesCountOptions")
          .query({required(text("type")), required(text("value"))})
          .idempotent()
          .summary("Get the number of devices the indicator has run on"),
      op("DevicesRanOn")
          .spec_id("DevicesRanOn")
          .ioc_method("devices_ran_on_legacy")
          .get("/indicators/queries/devices/v1")
          .scope("iocs:read")
          .options("DevicesRanOnOptions")
          .query({required(text("type")), required(text("value")), text("limit"), text("offset")})
          .idempotent()
          .deprecated()
          .summary("Find hosts that have observed a given custom IOC"),
      op("indicator_get_devices_ran_on_v1")
          .spec_id("indicator.get.devices_ran_on.v1")
          .ioc_method("devices_ran_on")
          .get("/iocs/queries/indicators/devices/v1")
          .scope("ioc:read")
          .options("DevicesRanOnOptions")
          .query({required(text("type")), required(text("value")), text("limit"), text("offset")})
          .idempotent()
          .summary("Get the IDs of devices the indicator has run on"),
      op("ProcessesRanOn")
          .spec_id("ProcessesRanOn")
          .ioc_method("processes_ran_on_legacy")
          .get("/indicators/queries/processes/v1")
          .scope("iocs:read")
          .options("ProcessesRanOnOptions")
          .query({required(text("type")), required(text("value")), required(text("device_id")),
                  text("limit"), text("offset")})
          .idempotent()
          .deprecated()
          .summary("Search for processes associated with a custom IOC"),
      op("indicator_get_processes_ran_on_v1")
          .spec_id("indicator.get.processes_ran_on.v1")
          .ioc_method("processes_ran_on")
          .get("/iocs/queries/indicators/processes/v1")
          .scope("ioc:read")
          .options("ProcessesRanOnOptions")
          .query({required(text("type")), required(text("value")), required(text("device_id")),
                  text("limit"), text("offset")})
          .idempotent()
          .summary("Get the number of processes the indicator has run on"),
      op("entities_processes")
          .spec_id("entities.processes")
          .ioc_method("entities_processes")
          .get("/processes/entities/processes/v1")
          .scope("iocs:read")
          .options("EntitiesProcessesOptions")
          .query({required(multi("ids"))})
          .idempotent()
          .deprecated()
          .summary("For the provided ProcessID retrieve the process details"),
  };
  return table;
}

const Endpoint* find_endpoint(std::string_view name) noexcept {
  for (const auto& e : endpoints()) {
    if (e.operation_id == name || e.spec_operation_id == name || e.method_name == name) return &e;
  }
  return nullptr;
}

namespace internal {
const Endpoint& endpoint(Op op) noexcept {
  return endpoints()[static_cast<std::size_t>(op)];
}
}  // namespace internal

}  // namespace falcon
