// The endpoint table (falcon::endpoints()): its rows against spec/ioc-operations.json, its
// order against internal::Op, and its option-struct names against the real types.
// docs/operations.md is rendered from it by tools/render_operations (checked by ctest).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "falcon/endpoints.hpp"
#include "falcon/ioc.hpp"
#include "ioc_wire_util.hpp"
#include "ops.hpp"
#include "validate.hpp"

#ifndef FALCON_SOURCE_DIR
#error "tests/unit/CMakeLists.txt must define FALCON_SOURCE_DIR"
#endif

namespace {

using falcon::Endpoint;
using falcon::ParamType;
using nlohmann::json;

const std::string kSourceDir = FALCON_SOURCE_DIR;

std::string read_file(const std::string& path, bool* found = nullptr) {
  std::ifstream in(path, std::ios::binary);
  if (found != nullptr) *found = in.good();
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---------------------------------------------------------------------------------------------
// Unconditional checks of the table.

TEST(Endpoints, TwentyRowsInInternalOpOrder) {
  using falcon::internal::Op;
  const std::vector<std::pair<Op, std::string>> order = {
      {Op::indicator_aggregate, "indicator_aggregate"},
      {Op::indicator_combined, "indicator_combined"},
      {Op::action_get, "action_get"},
      {Op::get_indicators_report, "get_indicators_report"},
      {Op::indicator_get, "indicator_get"},
      {Op::indicator_create, "indicator_create"},
      {Op::indicator_delete, "indicator_delete"},
      {Op::indicator_update, "indicator_update"},
      {Op::action_query, "action_query"},
      {Op::indicator_search, "indicator_search"},
      {Op::ioc_type_query, "ioc_type_query"},
      {Op::platform_query, "platform_query"},
      {Op::severity_query, "severity_query"},
      {Op::devices_count_legacy, "devices_count_legacy"},
      {Op::devices_count, "devices_count"},
      {Op::devices_ran_on_legacy, "devices_ran_on_legacy"},
      {Op::devices_ran_on, "devices_ran_on"},
      {Op::processes_ran_on_legacy, "processes_ran_on_legacy"},
      {Op::processes_ran_on, "processes_ran_on"},
      {Op::entities_processes, "entities_processes"},
  };
  const auto& table = falcon::endpoints();
  ASSERT_EQ(table.size(), 20u);
  ASSERT_EQ(static_cast<std::size_t>(Op::count_), table.size());
  ASSERT_EQ(order.size(), table.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    const auto& [op, name] = order[i];
    EXPECT_EQ(static_cast<std::size_t>(op), i) << name;
    EXPECT_EQ(&falcon::internal::endpoint(op), &table[i]) << name;
    EXPECT_EQ(table[i].method_name, name) << "row " << i;
  }
}

TEST(Endpoints, EveryNameResolvesToItsRowAndNamesAreUnique) {
  std::set<std::string_view> seen;
  for (const auto& ep : falcon::endpoints()) {
    SCOPED_TRACE(std::string(ep.operation_id));
    EXPECT_EQ(falcon::find_endpoint(ep.operation_id), &ep);
    EXPECT_EQ(falcon::find_endpoint(ep.spec_operation_id), &ep);
    EXPECT_EQ(falcon::find_endpoint(ep.method_name), &ep);
    std::set<std::string_view> own = {ep.operation_id, ep.spec_operation_id, ep.method_name};
    for (auto n : own) EXPECT_TRUE(seen.insert(n).second) << "name used twice: " << n;
  }
  EXPECT_EQ(falcon::find_endpoint("nope"), nullptr);
  EXPECT_EQ(falcon::find_endpoint("INDICATOR_GET_V1"), nullptr) << "lookup is case-sensitive";
  EXPECT_EQ(falcon::find_endpoint(""), nullptr);
}

TEST(Endpoints, RowsAreConsistent) {
  for (const auto& ep : falcon::endpoints()) {
    SCOPED_TRACE(std::string(ep.operation_id));
    const bool read = ep.http_method == "GET" || ep.http_method == "DELETE";
    EXPECT_TRUE(read || ep.http_method == "POST" || ep.http_method == "PATCH");
    EXPECT_EQ(ep.has_body, !read) << "GET/DELETE never take a body; POST/PATCH always do";
    EXPECT_EQ(ep.route.front(), '/');
    EXPECT_EQ(ep.route.find('?'), std::string_view::npos);
    // Only create and update may not be resent after a 5xx.
    const bool write = ep.method_name == "indicator_create" || ep.method_name == "indicator_update";
    EXPECT_EQ(ep.idempotent, !write);
    EXPECT_EQ(ep.success_status, ep.method_name == "indicator_create" ? 201 : 200);
    EXPECT_TRUE(ep.scope == "ioc:read" || ep.scope == "ioc:write" || ep.scope == "iocs:read")
        << ep.scope;
    EXPECT_FALSE(ep.summary.empty());
    for (const auto& p : ep.query) {
      EXPECT_EQ(ep.find_param(p.name), &p);
      EXPECT_EQ(p.collection_format, p.type == ParamType::string_array ? "multi" : "");
    }
    EXPECT_EQ(ep.find_param("no_such_parameter"), nullptr);
  }
}

// Each row's option_struct names the type its IOC method really takes: the macro passes that
// very type, so a wrong name in the test does not compile, and a wrong name in the table fails.
struct TypedRow {
  std::string method;
  std::string option_struct;
  std::function<falcon::Response(const falcon::IOC&)> call;
};
#define TYPED_ROW(fn, Struct)                                                 \
  TypedRow {                                                                  \
#fn, #Struct, [](const falcon::IOC& i) { return i.fn(falcon::Struct{}); } \
  }

TEST(Endpoints, OptionStructNamesAreTheRealTypes) {
  const std::vector<TypedRow> rows = {
      TYPED_ROW(indicator_aggregate, IndicatorAggregateOptions),
      TYPED_ROW(indicator_combined, IndicatorCombinedOptions),
      TYPED_ROW(action_get, ActionGetOptions),
      TYPED_ROW(get_indicators_report, GetIndicatorsReportOptions),
      TYPED_ROW(indicator_get, IndicatorGetOptions),
      TYPED_ROW(indicator_create, IndicatorCreateOptions),
      TYPED_ROW(indicator_delete, IndicatorDeleteOptions),
      TYPED_ROW(indicator_update, IndicatorUpdateOptions),
      TYPED_ROW(action_query, ActionQueryOptions),
      TYPED_ROW(indicator_search, IndicatorSearchOptions),
      TYPED_ROW(ioc_type_query, IocTypeQueryOptions),
      TYPED_ROW(platform_query, PlatformQueryOptions),
      TYPED_ROW(severity_query, SeverityQueryOptions),
      TYPED_ROW(devices_count_legacy, DevicesCountOptions),
      TYPED_ROW(devices_count, DevicesCountOptions),
      TYPED_ROW(devices_ran_on_legacy, DevicesRanOnOptions),
      TYPED_ROW(devices_ran_on, DevicesRanOnOptions),
      TYPED_ROW(processes_ran_on_legacy, ProcessesRanOnOptions),
      TYPED_ROW(processes_ran_on, ProcessesRanOnOptions),
      TYPED_ROW(entities_processes, EntitiesProcessesOptions),
  };
  const auto& table = falcon::endpoints();
  ASSERT_EQ(rows.size(), table.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(rows[i].method);
    EXPECT_EQ(table[i].method_name, rows[i].method);
    EXPECT_EQ(table[i].option_struct, rows[i].option_struct);
    // And the method really sends to this row's route.
    falcon_wire::Sent s =
        falcon_wire::one([&](const falcon_wire::Wire& w) { return rows[i].call(w.ioc()); }, false);
    EXPECT_EQ(s.method, table[i].http_method);
    EXPECT_EQ(s.path, table[i].route);
  }
}

// ---------------------------------------------------------------------------------------------
// The table against spec/ioc-operations.json (vendored from the API description).

std::string spec_path() {
  if (const char* env = std::getenv("FALCON_SPEC_JSON"); env != nullptr && *env != '\0') return env;
  return kSourceDir + "/spec/ioc-operations.json";
}

std::string param_type_name(ParamType t) {
  switch (t) {
    case ParamType::string:
      return "string";
    case ParamType::integer:
      return "integer";
    case ParamType::boolean:
      return "boolean";
    case ParamType::string_array:
      return "string[]";
  }
  return "?";
}

std::string spec_type_name(const json& p) {
  const std::string type = p.value("type", "");
  if (type == "array") return p.value("items_type", std::string()) + "[]";
  return type;
}

// The first sentence, without its period: the table keeps only that much of a summary.
std::string first_sentence(std::string s) {
  if (auto dot = s.find(". "); dot != std::string::npos) s.resize(dot);
  while (!s.empty() && (s.back() == '.' || s.back() == ' ')) s.pop_back();
  return s;
}

TEST(EndpointsSpec, TableMatchesIocOperationsJson) {
  bool found = false;
  const std::string text = read_file(spec_path(), &found);
  ASSERT_TRUE(found) << "cannot read " << spec_path() << " (the vendored API description)";
  const json spec = json::parse(text);
  std::vector<json> ops;
  for (const auto& op : spec.at("operations")) {
    const std::string tag = op.value("tag", "");
    if (tag == "ioc" || tag == "iocs") ops.push_back(op);
  }
  const auto& table = falcon::endpoints();
  ASSERT_EQ(ops.size(), 20u) << "the spec's IOC operations";
  ASSERT_EQ(table.size(), ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const json& op = ops[i];
    const Endpoint& ep = table[i];
    SCOPED_TRACE(op.at("operation_id").get<std::string>());
    EXPECT_EQ(ep.operation_id, op.at("operation_id").get<std::string>()) << "row order";
    EXPECT_EQ(ep.spec_operation_id, op.at("spec_operation_id").get<std::string>());
    EXPECT_EQ(ep.http_method, op.at("method").get<std::string>());
    EXPECT_EQ(ep.route, op.at("path").get<std::string>());
    EXPECT_EQ(ep.success_status, op.at("success_status").get<int>());
    ASSERT_TRUE(op.contains("scopes") && op["scopes"].size() == 1u);
    EXPECT_EQ(ep.scope, op["scopes"][0].get<std::string>());
    EXPECT_EQ(first_sentence(std::string(ep.summary)),
              first_sentence(op.value("summary", std::string())));
    EXPECT_EQ(ep.deprecated, op.value("tag", "") == "iocs") << "legacy 'iocs' collection";
    bool body = false;
    std::vector<json> query;
    for (const auto& p : op.at("parameters")) {
      const std::string in = p.value("in", "");
      if (in == "body") body = true;
      if (in == "query") query.push_back(p);
      EXPECT_TRUE(in == "body" || in == "query") << "unexpected parameter location " << in;
    }
    EXPECT_EQ(ep.has_body, body);
    ASSERT_EQ(ep.query.size(), query.size());
    for (std::size_t k = 0; k < query.size(); ++k) {
      const json& p = query[k];
      const auto& mine = ep.query[k];
      SCOPED_TRACE(p.at("name").get<std::string>());
      EXPECT_EQ(mine.name, p.at("name").get<std::string>()) << "parameter order";
      EXPECT_EQ(param_type_name(mine.type), spec_type_name(p));
      EXPECT_EQ(mine.required, p.value("required", false));
      const std::string fmt = p.contains("collection_format") && p["collection_format"].is_string()
                                  ? p["collection_format"].get<std::string>()
                                  : std::string();
      EXPECT_EQ(mine.collection_format, fmt);
    }
    // The row's sort fields are the spec's enum for `sort`; no enum, no sort fields.
    std::set<std::string> spec_sort;
    for (const auto& p : query) {
      if (p.value("name", "") != "sort" || !p.contains("enum") || !p["enum"].is_array()) continue;
      for (const auto& v : p["enum"]) spec_sort.insert(v.get<std::string>());
      EXPECT_FALSE(spec_sort.empty()) << "the spec lists an empty enum for sort";
    }
    const std::set<std::string> row_sort(ep.sort_fields.begin(), ep.sort_fields.end());
    EXPECT_EQ(row_sort, spec_sort);
    EXPECT_EQ(row_sort.size(), ep.sort_fields.size()) << "a sort field listed twice";
  }
}

// check_sort takes the fields from the row: a field of the row passes (with or without a
// direction), anything else is refused naming `sort`, and a row's own list is what is offered.
TEST(EndpointsSpec, SortIsCheckedAgainstTheRowsFields) {
  const Endpoint* search = falcon::find_endpoint("indicator_search_v1");
  ASSERT_NE(search, nullptr);
  ASSERT_FALSE(search->sort_fields.empty());
  for (std::string_view f : search->sort_fields) {
    EXPECT_FALSE(falcon::internal::check_sort(std::string(f) + ".desc", search->sort_fields)) << f;
  }
  const std::vector<std::string_view> only_value = {"value"};
  EXPECT_FALSE(falcon::internal::check_sort("value|asc", only_value));
  auto e = falcon::internal::check_sort("action", only_value);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->field, "sort");
  EXPECT_NE(e->message.find("use one of: value "), std::string::npos) << e->message;
}

}  // namespace
