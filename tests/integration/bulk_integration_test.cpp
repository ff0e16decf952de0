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

namespace {

falcon::emulator::Fault after_write(falcon::emulator::Fault::Kind kind, int status, int count,
                                    const std::string& method = "POST") {
  falcon::emulator::Fault f;
  f.kind = kind;
  f.status = status;
  f.method = method;
  f.path = "/iocs/entities/indicators/v1";
  f.count = count;
  f.after = true;  // the handler runs (the write happens), then the reply is lost
  return f;
}

void expect_all_ok_with_distinct_ids(const falcon::BulkResult& r, std::size_t n) {
  ASSERT_EQ(r.items.size(), n);
  std::set<std::string> ids;
  for (const auto& it : r.items) {
    EXPECT_TRUE(it.ok) << it.index << ": " << (it.error ? it.error->describe() : "");
    EXPECT_FALSE(it.id.empty()) << it.index;
    EXPECT_FALSE(it.outcome_unknown) << it.index;
    ids.insert(it.id);
  }
  EXPECT_EQ(ids.size(), n);
}

}  // namespace

// Every batch is written, then answered 502, 503 or 504: the helper looks the items up instead
// of guessing, marks them ok with their ids, and writes nothing twice.
TEST_F(BulkIntegration, GatewayErrorsAfterEveryWriteAreReconciledWithoutDuplicates) {
  using Kind = falcon::emulator::Fault::Kind;
  emu().inject(after_write(Kind::status, 502, 1));
  emu().inject(after_write(Kind::status, 503, 1));
  emu().inject(after_write(Kind::status, 504, 2));
  falcon::IOC ioc(config());
  json input = json::array();
  for (int i = 0; i < 200; ++i) input.push_back(item(i));
  falcon::BulkOptions o;
  o.batch_size = 50;
  o.concurrency = 2;
  auto r = falcon::bulk_create(ioc, input, o);
  expect_all_ok_with_distinct_ids(r, 200);
  EXPECT_EQ(emu().indicator_count(), 200u);
  EXPECT_GE(r.requests, 8u);  // 4 writes and at least 4 lookups
}

// A connection dropped after the write, and a 503 before it (nothing written): the first batch
// is found written, the second provably absent and sent again.
TEST_F(BulkIntegration, DroppedAfterWriteIsFoundAndAbsentItemsAreResentOnce) {
  using Kind = falcon::emulator::Fault::Kind;
  emu().inject(after_write(Kind::drop_connection, 0, 1));
  auto before = after_write(Kind::status, 503, 1);
  before.after = false;  // refused before the handler: nothing written
  emu().inject(before);
  falcon::IOC ioc(config());
  json input = json::array();
  for (int i = 0; i < 100; ++i) input.push_back(item(1000 + i));
  falcon::BulkOptions o;
  o.batch_size = 50;
  o.concurrency = 1;
  auto r = falcon::bulk_create(ioc, input, o);
  expect_all_ok_with_distinct_ids(r, 100);
  EXPECT_EQ(emu().indicator_count(), 100u);
}

// Updates after a lost reply: found applied by comparing the fields sent.
TEST_F(BulkIntegration, UpdateAnsweredWithA503AfterTheWriteIsConfirmedByLookup) {
  falcon::IOC ioc(config());
  json input = json::array();
  for (int i = 0; i < 30; ++i) input.push_back(item(2000 + i));
  auto created = falcon::bulk_create(ioc, input);
  ASSERT_EQ(created.succeeded(), 30u);
  json updates = json::array();
  for (const auto& it : created.items) {
    updates.push_back({{"id", it.id}, {"severity", "critical"}, {"tags", {"reconciled"}}});
  }
  emu().inject(after_write(falcon::emulator::Fault::Kind::status, 503, 1, "PATCH"));
  auto r = falcon::bulk_update(ioc, updates);
  EXPECT_EQ(r.succeeded(), 30u);
  for (const auto& it : r.items) {
    EXPECT_TRUE(it.ok) << (it.error ? it.error->describe() : "");
    EXPECT_EQ(emu().indicator(it.id)["severity"], "critical");
  }
}
