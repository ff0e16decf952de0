// The endpoint table (falcon::endpoints()): its rows against shared/spec/ioc-operations.json,
// its order against internal::Op, its option-struct names against the real types, and
// docs/operations.md, which is rendered from it (FALCON_UPDATE_DOCS=1 rewrites the file).
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
// The table against shared/spec/ioc-operations.json (beside the checkout, as in CI).

std::string spec_path() {
  if (const char* env = std::getenv("FALCON_SPEC_JSON"); env != nullptr && *env != '\0') return env;
  return kSourceDir + "/../shared/spec/ioc-operations.json";
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
  if (!found) {
    GTEST_SKIP() << "no " << spec_path()
                 << " (set FALCON_SPEC_JSON to check the endpoint table against the spec)";
  }
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
  }
}

// ---------------------------------------------------------------------------------------------
// docs/operations.md, rendered from the table.

std::string code(std::string_view s) {
  return "`" + std::string(s) + "`";
}

std::string params_cell(const Endpoint& ep) {
  if (ep.query.empty()) return "—";
  std::string out;
  for (const auto& p : ep.query) {
    if (!out.empty()) out += ", ";
    out += code(p.name);
    if (p.required) out += "\\*";
  }
  return out;
}

std::string retry_text(const Endpoint& ep) {
  return ep.idempotent ? "retried after a 5xx or a connection error (idempotent)"
                       : "not resent once it may have reached the server, except on 429";
}

std::string render_operations_md() {
  const auto& table = falcon::endpoints();
  std::ostringstream md;
  md << "# IOC operations\n\n"
     << "<!-- Generated from the endpoint table (src/endpoints.cpp) by "
        "tests/unit/endpoints_test.cpp.\n"
     << "     Do not edit by hand. To regenerate, run the unit tests with FALCON_UPDATE_DOCS=1:\n"
     << "     FALCON_UPDATE_DOCS=1 ./build/tests/unit/falcon_unit_tests "
        "--gtest_filter='OperationsDoc.*' -->\n\n"
     << "falcon-cpp implements the " << table.size()
     << " operations of the Falcon IOC API that FalconPy's `IOC` service class has. Each one is "
        "a method of `falcon::IOC` with FalconPy's PEP 8 name and an alias spelled like the "
        "operation id (the same function), and each can be called through "
        "`falcon::APIHarness::command()` by its operation id, its spec id or its PEP 8 name.\n\n"
     << "- **Options**: the option struct the method takes (`falcon::` namespace). A set field is "
        "sent, even `\"\"`, `0`, `false` or an empty list; an unset field is never sent. Every "
        "struct has `parameters` (raw query parameters); those with a body also have `body`.\n"
     << "- **Query parameters**: `*` marks a required one. Arrays are sent as repeated keys "
        "(`ids=a&ids=b`), booleans as `true`/`false`; every key and value is percent-encoded.\n"
     << "- **Body**: GET and DELETE never send a body; POST and PATCH send a JSON object (`{}` "
        "when nothing is set).\n\n"
     << "## Summary\n\n"
     << "| # | Operation id | IOC method | Alias | HTTP | Route | Scope | Options | "
        "Query parameters | Body |\n"
     << "|---|---|---|---|---|---|---|---|---|---|\n";
  int n = 0;
  for (const auto& ep : table) {
    const bool alias = ep.operation_id != ep.method_name;
    md << "| " << ++n << " | " << code(ep.operation_id) << " | " << code(ep.method_name) << " | "
       << (alias ? code(ep.operation_id) : std::string("—")) << " | " << ep.http_method << " | "
       << code(ep.route) << " | " << code(ep.scope) << " | " << code(ep.option_struct) << " | "
       << params_cell(ep) << " | " << (ep.has_body ? "JSON" : "—") << " |\n";
  }
  md << "\n## Operations\n";
  for (const auto& ep : table) {
    const bool alias = ep.operation_id != ep.method_name;
    md << "\n### " << code(ep.operation_id) << "\n\n"
       << ep.summary << ".\n\n"
       << "- `" << ep.http_method << " " << ep.route << "`, scope " << code(ep.scope)
       << ", success status " << ep.success_status << "; " << retry_text(ep) << ".\n"
       << "- `falcon::IOC::" << ep.method_name << "(const falcon::" << ep.option_struct << "&)`";
    if (alias) md << ", alias " << code(ep.operation_id);
    md << ".\n"
       << "- `APIHarness::command()` names: " << code(ep.operation_id);
    if (ep.spec_operation_id != ep.operation_id) md << ", " << code(ep.spec_operation_id);
    if (ep.method_name != ep.operation_id) md << ", " << code(ep.method_name);
    md << ".\n";
    if (ep.has_body) md << "- JSON body built from the option struct, or `body` sent as given.\n";
    if (ep.deprecated) {
      md << "- Legacy `iocs` collection route, kept for compatibility.\n";
    }
    if (ep.query.empty()) {
      md << "\nNo query parameters.\n";
      continue;
    }
    md << "\n| Query parameter | Type | Required | Format |\n|---|---|---|---|\n";
    for (const auto& p : ep.query) {
      md << "| " << code(p.name) << " | " << param_type_name(p.type) << " | "
         << (p.required ? "yes" : "no") << " | "
         << (p.collection_format.empty() ? std::string("—")
                                         : code(p.collection_format) + " (repeated keys)")
         << " |\n";
    }
  }
  return md.str();
}

TEST(OperationsDoc, MatchesTheEndpointTable) {
  const std::string path = kSourceDir + "/docs/operations.md";
  const std::string expected = render_operations_md();
  const char* update = std::getenv("FALCON_UPDATE_DOCS");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    ASSERT_TRUE(out.good()) << "cannot write " << path;
    out << expected;
    out.close();
    ASSERT_TRUE(out.good()) << "cannot write " << path;
    std::cout << "[ wrote    ] " << path << "\n";
  }
  bool found = false;
  const std::string committed = read_file(path, &found);
  const std::string how =
      "docs/operations.md is generated from the endpoint table (src/endpoints.cpp). Regenerate "
      "it by running the unit tests with FALCON_UPDATE_DOCS=1, e.g.\n  FALCON_UPDATE_DOCS=1 "
      "./build/tests/unit/falcon_unit_tests --gtest_filter='OperationsDoc.*'\nand commit the "
      "result.";
  ASSERT_TRUE(found) << path << " is missing. " << how;
  if (committed == expected) return;
  // Point at the first differing line to make the failure readable.
  std::istringstream a(committed);
  std::istringstream b(expected);
  std::string la;
  std::string lb;
  int line = 0;
  while (true) {
    ++line;
    const bool ga = static_cast<bool>(std::getline(a, la));
    const bool gb = static_cast<bool>(std::getline(b, lb));
    if (!ga && !gb) break;
    if (!ga || !gb || la != lb) {
      ADD_FAILURE() << "docs/operations.md differs from the endpoint table at line " << line
                    << ":\n  committed: " << (ga ? la : std::string("<end of file>"))
                    << "\n  expected:  " << (gb ? lb : std::string("<end of file>")) << "\n"
                    << how;
      return;
    }
  }
  ADD_FAILURE() << "docs/operations.md differs from the endpoint table (line endings?). " << how;
}

TEST(OperationsDoc, RendersEveryRow) {
  const std::string md = render_operations_md();
  for (const auto& ep : falcon::endpoints()) {
    EXPECT_NE(md.find("| " + code(ep.operation_id) + " | " + code(ep.method_name) + " |"),
              std::string::npos)
        << ep.operation_id;
    EXPECT_NE(md.find("### " + code(ep.operation_id) + "\n"), std::string::npos);
    EXPECT_NE(md.find("`" + std::string(ep.http_method) + " " + std::string(ep.route) + "`"),
              std::string::npos);
  }
}

}  // namespace
