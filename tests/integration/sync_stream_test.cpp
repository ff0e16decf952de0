// stream() (fingerprints, the feed read twice) against plan() (the feed in memory) on the same
// feed and tenant: the same changes with the same fields, the same totals, the same guards; and
// stream() with apply ends where plan() + apply() end, a rerun planning nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "falcon/fql.hpp"
#include "falcon/ranges.hpp"
#include "falcon/sync.hpp"
#include "fixture.hpp"

using falcon_it::EmulatorTest;
using nlohmann::json;
namespace fsy = falcon::sync;
namespace feeds = falcon::feeds;
using fsy::ChangeKind;

namespace {

constexpr const char* kSource = "stream-feed";

std::string domain(int i) {
  return "s" + std::to_string(i) + ".example.org";
}

json seeded(int i, const std::string& source = kSource) {
  json j = falcon_it::domain_item(domain(i), source);
  if (i % 7 == 0) j["expiration"] = "2099-01-01T00:00:00Z";
  return j;
}

// A feed over the seeded scope 0..299: 0-19 gone, 20-39 changed in one field or another,
// 40-59 with the expiration that is there, 300-339 new, 340-344 outside the scope (conflicts),
// plus a duplicate, an allow-listed address, s46 retired (a past expiration), and a row that
// failed naming s45 (kept).
std::vector<feeds::FeedEntry> feed() {
  std::vector<feeds::FeedEntry> out;
  std::size_t line = 0;
  auto add = [&](falcon::IndicatorSpec s, bool retire = false) {
    out.push_back({std::move(s), ++line, retire});
  };
  for (int i = 20; i < 345; ++i) {
    if (i == 45 || i == 46) continue;
    falcon::IndicatorSpec s;
    s.type = "domain";
    s.value = domain(i);
    s.action = "detect";
    s.severity = "high";
    s.platforms = std::vector<std::string>{"mac", "windows"};
    s.applied_globally = true;
    if (i % 7 == 0) s.expiration = "2099-01-01T00:00:00Z";
    if (i >= 20 && i < 25) s.severity = "low";
    if (i >= 25 && i < 30) s.platforms = std::vector<std::string>{"linux"};
    if (i >= 30 && i < 35) s.description = "now described";
    if (i >= 35 && i < 40) s.expiration = "2098-06-01T00:00:00Z";
    add(s);
  }
  falcon::IndicatorSpec dup;
  dup.type = "domain";
  dup.value = domain(300);
  add(dup);
  falcon::IndicatorSpec priv;
  priv.type = "ipv4";
  priv.value = "10.1.1.1";
  add(priv);
  falcon::IndicatorSpec old;
  old.type = "domain";
  old.value = domain(46);
  old.expiration = "2001-01-01T00:00:00Z";
  add(old);
  return out;
}

fsy::Options options() {
  fsy::Options o;
  o.source = kSource;
  o.max_remove = fsy::RemovalCap{0, 100};
  feeds::FeedIssue failed;
  failed.line = 999;
  failed.field = "severity";
  failed.reason = "'hgih' is not one of: ...";
  failed.names = {falcon::rules::TypedValue{"domain", domain(45)}};
  o.feed_issues = {failed};
  return o;
}

fsy::FeedReader reader(const std::vector<feeds::FeedEntry>& entries) {
  return [&entries](const feeds::BatchCallback& on_batch, const feeds::IssueCallback&) {
    feeds::ReadSummary s;
    std::vector<feeds::FeedEntry> batch;
    for (const auto& e : entries) {
      batch.push_back(e);
      if (batch.size() == 64) {
        on_batch(batch);
        batch.clear();
      }
    }
    if (!batch.empty()) on_batch(batch);
    s.records = s.entries = entries.size();
    return s;
  };
}

// A change as a comparable JSON value.
json as_json(const fsy::Change& c) {
  json fields = json::array();
  for (const auto& f : c.fields) fields.push_back({f.field, f.before, f.after});
  json write = c.write;
  if (c.kind == ChangeKind::expire) write.erase("expiration");  // "now" differs by a second
  return {{"kind", fsy::to_string(c.kind)},
          {"type", c.type},
          {"value", c.value},
          {"id", c.id},
          {"line", c.line},
          {"fields", c.kind == ChangeKind::expire ? json::array() : fields},
          {"source", c.existing_source},
          {"write", write}};
}

}  // namespace

class SyncStream : public EmulatorTest {
 protected:
  void SetUp() override {
    EmulatorTest::SetUp();
    json scope = json::array();
    for (int i = 0; i < 300; ++i) scope.push_back(seeded(i));
    for (int i = 340; i < 345; ++i) scope.push_back(seeded(i, "another-team"));
    emu().add_indicators(scope);
  }
};

TEST_F(SyncStream, EqualsTheInMemoryPlan) {
  const auto entries = feed();
  for (const auto on_missing : {fsy::OnMissing::remove, fsy::OnMissing::expire}) {
    for (const bool adopt : {false, true}) {
      SCOPED_TRACE(std::string(fsy::to_string(on_missing)) + (adopt ? " adopt" : ""));
      auto o = options();
      o.on_missing = on_missing;
      o.adopt = adopt;
      const fsy::Plan mem = fsy::plan(ioc(), entries, o);
      ASSERT_TRUE(mem.ok());
      std::vector<json> streamed;
      std::vector<feeds::FeedIssue> issues;
      fsy::StreamCallbacks cb;
      cb.on_change = [&](const fsy::Change& c) { streamed.push_back(as_json(c)); };
      cb.on_issue = [&](const feeds::FeedIssue& i) { issues.push_back(i); };
      const auto got = fsy::stream(ioc(), reader(entries), o, cb);
      ASSERT_TRUE(got.plan.ok());
      std::vector<json> expected;
      for (const auto& c : mem.changes) expected.push_back(as_json(c));
      // stream() reports in feed order, plan() groups by kind: compare as sets.
      std::sort(streamed.begin(), streamed.end());
      std::sort(expected.begin(), expected.end());
      EXPECT_EQ(streamed, expected);
      EXPECT_EQ(got.plan.counts, mem.counts);
      EXPECT_EQ(got.plan.unchanged, mem.unchanged);
      EXPECT_EQ(got.plan.existing, mem.existing);
      EXPECT_EQ(got.plan.kept, mem.kept);
      EXPECT_EQ(got.plan.kept_for_errors, mem.kept_for_errors);
      EXPECT_EQ(got.plan.retired, mem.retired);
      EXPECT_EQ(got.plan.desired, mem.desired);
      EXPECT_EQ(got.plan.skipped.size(), mem.skipped.size());
      EXPECT_EQ(got.plan.invalid.size(), mem.invalid.size());
      EXPECT_EQ(got.plan.write_requests, mem.write_requests);
      EXPECT_EQ(mem.count(ChangeKind::create), 40u);
      EXPECT_EQ(mem.count(ChangeKind::update) + mem.count(ChangeKind::adopt),
                20u + (adopt ? 5u : 0u));
      EXPECT_EQ(mem.removals(), 21u);  // 0-19 and the retired s46; s45 kept
    }
  }
}

TEST_F(SyncStream, TheGuardsAgree) {
  const auto entries = feed();
  auto o = options();
  o.max_remove = fsy::RemovalCap{};  // 21 of 300: within 10%... so cap it lower
  o.max_remove.at_least = 5;
  o.max_remove.percent = 1;
  const auto mem = fsy::plan(ioc(), entries, o);
  std::size_t reported = 0;
  fsy::StreamCallbacks cb;
  cb.on_change = [&](const fsy::Change&) { ++reported; };
  fsy::ApplyOptions apply;
  const auto got = fsy::stream(ioc(), reader(entries), o, cb, &apply);
  ASSERT_TRUE(mem.refused.has_value());
  ASSERT_TRUE(got.plan.refused.has_value());
  EXPECT_EQ(got.plan.refused->guard, mem.refused->guard);
  EXPECT_EQ(got.plan.refused->message, mem.refused->message);
  EXPECT_EQ(reported, mem.changes.size()) << "a refused plan is still reported";
  EXPECT_EQ(got.written, 0u);
  // A failed row that names nothing: removals dropped by both.
  o = options();
  o.feed_issues.push_back(feeds::FeedIssue{1000, "", "", "unreadable", false, {}});
  const auto mem2 = fsy::plan(ioc(), entries, o);
  const auto got2 = fsy::stream(ioc(), reader(entries), o, {});
  EXPECT_TRUE(mem2.removals_blocked);
  EXPECT_TRUE(got2.plan.removals_blocked);
  EXPECT_EQ(got2.plan.removals(), 0u);
  EXPECT_EQ(got2.plan.kept, mem2.kept);
  // An empty feed: refused by both before any read.
  const std::vector<feeds::FeedEntry> none;
  auto empty_options = options();
  empty_options.feed_issues.clear();
  EXPECT_FALSE(fsy::plan(ioc(), none, empty_options).ok());
  EXPECT_FALSE(fsy::stream(ioc(), reader(none), empty_options, {}).plan.ok());
}

TEST_F(SyncStream, ApplyingTheStreamEndsWhereThePlanEnds) {
  const auto entries = feed();
  const auto o = options();
  std::size_t outcomes = 0;
  fsy::StreamCallbacks cb;
  cb.on_outcome = [&](const fsy::Change&, const fsy::Outcome& out) {
    ++outcomes;
    EXPECT_TRUE(out.ok) << (out.error ? out.error->describe() : "");
  };
  fsy::ApplyOptions apply;
  apply.rate_share = 0;  // no pacing in a test
  const auto got = fsy::stream(ioc(), reader(entries), o, cb, &apply);
  ASSERT_TRUE(got.plan.ok());
  EXPECT_EQ(got.failed, 0u);
  EXPECT_EQ(got.written, 40u + 20u + 21u);
  EXPECT_EQ(outcomes, got.written + got.plan.count(ChangeKind::conflict));
  // Now the in-memory plan of the same feed finds nothing to do, and so does a second stream
  // (reads only).
  const auto after = fsy::plan(ioc(), entries, o);
  EXPECT_TRUE(after.empty()) << after.changes.size();
  const auto again = fsy::stream(ioc(), reader(entries), o, {}, &apply);
  EXPECT_TRUE(again.plan.empty());
  EXPECT_EQ(again.written, 0u);
  // Without the entries that stay conflicts (they live outside the scope, so they are looked
  // for each run), a no-op costs reads only: the scope's page, no count request, no write, one
  // read of the feed (docs/sync.md).
  std::vector<std::string> conflicts;
  fsy::StreamCallbacks seen;
  seen.on_change = [&](const fsy::Change& c) {
    if (c.kind == ChangeKind::conflict) conflicts.push_back(c.value);
  };
  (void)fsy::stream(ioc(), reader(entries), o, seen, nullptr);
  ASSERT_FALSE(conflicts.empty());
  std::vector<feeds::FeedEntry> quiet;
  for (const auto& e : entries) {
    if (std::find(conflicts.begin(), conflicts.end(), *e.spec.value) == conflicts.end()) {
      quiet.push_back(e);
    }
  }
  std::size_t reads = 0;
  const fsy::FeedReader inner = reader(quiet);
  const fsy::FeedReader counted = [&](const feeds::BatchCallback& b,
                                      const feeds::IssueCallback& i) {
    ++reads;
    return inner(b, i);
  };
  const auto noop = fsy::stream(ioc(), counted, o, {}, &apply);
  ASSERT_TRUE(noop.plan.ok());
  EXPECT_TRUE(noop.plan.empty());
  EXPECT_EQ(noop.plan.count(ChangeKind::conflict), 0u);
  EXPECT_EQ(noop.requests, 0u);
  EXPECT_EQ(noop.plan.requests, 1u);
  EXPECT_EQ(reads, 1u);
}
