// docs/migrating-from-falconpy.md, checked: for every row of its operations table, falcon::IOC
// has the named method and its operation-id alias with the named option struct (compile time),
// the endpoint table maps the operation id to that method and struct (run time), and the page
// carries the row with the same names.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include <falcon/falcon.hpp>

namespace {

template <typename Options>
using Method = falcon::Response (falcon::IOC::*)(const Options&, const falcon::CallOptions&) const;

struct Row {
  const char* operation_id;
  const char* method;
  const char* options;
};

// One row: the method and the alias must exist with exactly this signature, or this file does
// not compile.
#define MIGRATION_ROW(op, method, alias, Options)                                        \
  static_assert(std::is_same_v<decltype(&falcon::IOC::method), Method<falcon::Options>>, \
                "falcon::IOC::" #method " takes falcon::" #Options);                     \
  static_assert(std::is_same_v<decltype(&falcon::IOC::alias), Method<falcon::Options>>,  \
                "falcon::IOC::" #alias " takes falcon::" #Options);                      \
  rows.push_back(Row{#op, #method, #Options})

std::vector<Row> migration_rows() {
  std::vector<Row> rows;
  MIGRATION_ROW(indicator_aggregate_v1, indicator_aggregate, indicator_aggregate_v1,
                IndicatorAggregateOptions);
  MIGRATION_ROW(indicator_combined_v1, indicator_combined, indicator_combined_v1,
                IndicatorCombinedOptions);
  MIGRATION_ROW(action_get_v1, action_get, action_get_v1, ActionGetOptions);
  MIGRATION_ROW(GetIndicatorsReport, get_indicators_report, GetIndicatorsReport,
                GetIndicatorsReportOptions);
  MIGRATION_ROW(indicator_get_v1, indicator_get, indicator_get_v1, IndicatorGetOptions);
  MIGRATION_ROW(indicator_create_v1, indicator_create, indicator_create_v1, IndicatorCreateOptions);
  MIGRATION_ROW(indicator_update_v1, indicator_update, indicator_update_v1, IndicatorUpdateOptions);
  MIGRATION_ROW(indicator_delete_v1, indicator_delete, indicator_delete_v1, IndicatorDeleteOptions);
  MIGRATION_ROW(action_query_v1, action_query, action_query_v1, ActionQueryOptions);
  MIGRATION_ROW(indicator_search_v1, indicator_search, indicator_search_v1, IndicatorSearchOptions);
  MIGRATION_ROW(ioc_type_query_v1, ioc_type_query, ioc_type_query_v1, IocTypeQueryOptions);
  MIGRATION_ROW(platform_query_v1, platform_query, platform_query_v1, PlatformQueryOptions);
  MIGRATION_ROW(severity_query_v1, severity_query, severity_query_v1, SeverityQueryOptions);
  MIGRATION_ROW(indicator_get_device_count_v1, devices_count, indicator_get_device_count_v1,
                DevicesCountOptions);
  MIGRATION_ROW(indicator_get_devices_ran_on_v1, devices_ran_on, indicator_get_devices_ran_on_v1,
                DevicesRanOnOptions);
  MIGRATION_ROW(indicator_get_processes_ran_on_v1, processes_ran_on,
                indicator_get_processes_ran_on_v1, ProcessesRanOnOptions);
  MIGRATION_ROW(DevicesCount, devices_count_legacy, DevicesCount, DevicesCountOptions);
  MIGRATION_ROW(DevicesRanOn, devices_ran_on_legacy, DevicesRanOn, DevicesRanOnOptions);
  MIGRATION_ROW(ProcessesRanOn, processes_ran_on_legacy, ProcessesRanOn, ProcessesRanOnOptions);
  MIGRATION_ROW(entities_processes, entities_processes, entities_processes,
                EntitiesProcessesOptions);
  return rows;
}

// The Uber class's entry point keeps the signature the page shows.
static_assert(std::is_same_v<decltype(&falcon::APIHarness::command),
                             falcon::Response (falcon::APIHarness::*)(
                                 std::string_view, const falcon::CommandOptions&,
                                 const falcon::CallOptions&) const>,
              "APIHarness::command(operation, CommandOptions, CallOptions)");

std::string read_doc() {
  std::ifstream in(std::string(FALCON_SOURCE_DIR) + "/docs/migrating-from-falconpy.md");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(MigrationGuide, EveryOperationOnce) {
  const auto rows = migration_rows();
  ASSERT_EQ(rows.size(), falcon::endpoints().size());
  ASSERT_EQ(rows.size(), 20u);
  for (const auto& ep : falcon::endpoints()) {
    int seen = 0;
    for (const auto& row : rows) seen += ep.operation_id == row.operation_id ? 1 : 0;
    EXPECT_EQ(seen, 1) << ep.operation_id;
  }
}

TEST(MigrationGuide, RowsMatchTheEndpointTable) {
  for (const auto& row : migration_rows()) {
    SCOPED_TRACE(row.operation_id);
    const falcon::Endpoint* ep = falcon::find_endpoint(row.operation_id);
    ASSERT_NE(ep, nullptr);
    EXPECT_EQ(ep->operation_id, row.operation_id);
    EXPECT_EQ(ep->method_name, row.method);
    EXPECT_EQ(ep->option_struct, row.options);
    // The Uber class resolves the PEP 8 name to the same row.
    EXPECT_EQ(falcon::find_endpoint(row.method), ep);
  }
}

TEST(MigrationGuide, PageHasEveryRow) {
  const std::string doc = read_doc();
  ASSERT_FALSE(doc.empty()) << "docs/migrating-from-falconpy.md is missing";
  std::istringstream lines(doc);
  std::string line;
  std::vector<std::string> table;
  while (std::getline(lines, line)) {
    if (line.rfind("| ", 0) == 0 && line.find("`ioc.") != std::string::npos) table.push_back(line);
  }
  const auto rows = migration_rows();
  EXPECT_EQ(table.size(), rows.size()) << "one table row per operation";
  for (const auto& row : rows) {
    SCOPED_TRACE(row.operation_id);
    const std::string id_cell = "| `" + std::string(row.operation_id) + "` |";
    bool found = false;
    for (const auto& l : table) {
      if (l.find(id_cell) == std::string::npos) continue;
      found = true;
      EXPECT_NE(l.find("`ioc." + std::string(row.method) + "(o)`"), std::string::npos) << l;
      EXPECT_NE(l.find("| `" + std::string(row.options) + "` |"), std::string::npos) << l;
      EXPECT_NE(l.find("`uber.command(\"" + std::string(row.operation_id) + "\", c)`"),
                std::string::npos)
          << l;
    }
    EXPECT_TRUE(found) << "no row for " << row.operation_id;
  }
}

}  // namespace
