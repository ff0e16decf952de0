// Bulk helpers against the emulator: thousands of indicators, a few bad ones, each item gets
// its own outcome and nothing is written twice.
#include <gtest/gtest.h>

#include <set>

#include "fixture.hpp"

using falcon_it::EmulatorTest;
using nlohmann::json;

namespace {
json item(int i) {
  return {{"type", "domain"},
          {"value", "bulk-" + std::to_string(i) + ".example.com"},
          {"action", "detect"},
          {"severity", "low"},
          {"platforms", {"windows", "linux"}},
          {"applied_globally", true},
          {"source", "bulk-test"}};
}
}  // namespace

class BulkIntegration : public EmulatorTest {};

TEST_F(BulkIntegration, CreatesUpdatesAndDeletesFiveThousandWithPerItemOutcomes) {
  auto cfg = config();
  cfg.validate = false;  // let the emulator judge the bad rows
  falcon::IOC ioc(cfg);
  json input = json::array();
  for (int i = 0; i < 5000; ++i) input.push_back(item(i));
  input[17]["value"] = "not a domain!";      // server-side row error
  input[4200]["platforms"] = json::array();  // server-side row error
  input[4999] = input[12];                   // duplicate inside the same batch set
  falcon::BulkOptions o;
  o.comment = "bulk integration";
  auto created = falcon::bulk_create(ioc, input, o);
  ASSERT_EQ(created.items.size(), 5000u);
  EXPECT_EQ(created.succeeded(), 4997u);
  for (std::size_t bad : {17u, 4200u}) {
    EXPECT_FALSE(created.items[bad].ok) << bad;
    EXPECT_FALSE(created.items[bad].messages.empty()) << bad;
  }
  // Batches run concurrently: whichever copy of the duplicate came second was refused.
  EXPECT_NE(created.items[12].ok, created.items[4999].ok);
  EXPECT_EQ(emu().indicator_count(), 4997u);  // nothing written twice
  std::set<std::string> ids;
  for (const auto& it : created.items) {
    if (it.ok) ids.insert(it.id);
  }
  EXPECT_EQ(ids.size(), 4997u);     // every created item knows its own id
  EXPECT_LE(created.requests, 6u);  // 3 batches, each refused once at most

  json updates = json::array();
  for (const auto& id : ids) updates.push_back({{"id", id}, {"severity", "high"}});
  auto updated = falcon::bulk_update(ioc, updates);
  EXPECT_EQ(updated.succeeded(), ids.size());
  EXPECT_EQ(emu().indicator(*ids.begin())["severity"], "high");

  std::vector<std::string> to_delete(ids.begin(), ids.end());
  to_delete.push_back(std::string(64, 'f'));  // unknown id: reported, not silently counted
  auto deleted = falcon::bulk_delete(ioc, to_delete);
  EXPECT_EQ(deleted.succeeded(), ids.size());
  EXPECT_FALSE(deleted.items.back().ok);
  falcon::IndicatorSearchOptions s;
  s.filter = "source:'bulk-test'";
  EXPECT_TRUE(ioc.indicator_search(s).resources().empty());
}
