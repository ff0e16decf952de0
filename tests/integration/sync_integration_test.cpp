// fsy::plan / fsy::apply against the emulator over real HTTP: a 10,000-indicator feed into an
// empty scope, the same feed again (nothing planned, only reads), 500 removed/added/changed
// with delete and with expire, conflicts outside the scope (and adopt), and 429s plus a
// connection dropped after a write, ending with exactly the feed and no duplicate.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "falcon/fql.hpp"
#include "falcon/ranges.hpp"
#include "falcon/sync.hpp"
#include "fixture.hpp"
#include "rulebook_table.hpp"

using falcon_it::EmulatorTest;
using nlohmann::json;
namespace fsy = falcon::sync;
using falcon::sync::ChangeKind;

namespace {

constexpr const char* kSource = "acme-feed";

falcon::IndicatorSpec spec(int i, const std::string& severity = "high") {
  falcon::IndicatorSpec s;
  s.type = "domain";
  s.value = "s" + std::to_string(i) + ".example.com";
  s.action = "detect";
  s.severity = severity;
  s.platforms = std::vector<std::string>{"windows", "linux"};
  s.tags = std::vector<std::string>{"feed", "acme"};
  s.applied_globally = true;
  return s;
}

std::vector<falcon::IndicatorSpec> feed(int from, int to) {
  std::vector<falcon::IndicatorSpec> out;
  for (int i = from; i < to; ++i) out.push_back(spec(i));
  return out;
}

// Seeds the scope without HTTP, as a previous sync would have left it.
void seed(falcon::emulator::Emulator& e, const std::vector<falcon::IndicatorSpec>& specs) {
  for (std::size_t start = 0; start < specs.size(); start += 2000) {
    json items = json::array();
    for (std::size_t i = start; i < std::min(specs.size(), start + 2000); ++i) {
      json j = specs[i];
      j["source"] = kSource;
      items.push_back(j);
    }
    e.add_indicators(items);
  }
}

fsy::Options options(fsy::OnMissing m = fsy::OnMissing::remove) {
  fsy::Options o;
  o.source = kSource;
  o.on_missing = m;
  return o;
}

// The same, with the removal cap lifted: for tests whose point is not the cap
// (tests/cli/sync_safety_test.cpp holds it).
fsy::Options uncapped(fsy::OnMissing m = fsy::OnMissing::remove) {
  fsy::Options o = options(m);
  o.max_remove = fsy::RemovalCap{0, 100};
  return o;
}

std::uint64_t writes(const falcon::emulator::Emulator& e) {
  std::uint64_t n = 0;
  for (const auto& [route, count] : e.counters().requests_per_route) {
    if (route.rfind("GET ", 0) != 0 && route.rfind("POST /oauth2", 0) != 0) n += count;
  }
  return n;
}

// Every live indicator in the scope: value -> record; fails on a duplicate value.
std::map<std::string, falcon::Indicator> scope(const falcon::IOC& ioc) {
  std::map<std::string, falcon::Indicator> out;
  falcon::IndicatorCombinedOptions o;
  o.filter = falcon::fql::eq("source", kSource).str();
  o.limit = 2000;
  auto all = falcon::indicators(ioc, o);
  for (const auto& i : all) {
    EXPECT_TRUE(out.emplace(i.value, i).second) << "duplicate " << i.value;
  }
  EXPECT_TRUE(all.ok());
  return out;
}

}  // namespace

class Sync : public EmulatorTest {};

TEST_F(Sync, TenThousandIntoAnEmptyScopeThenTheSameFeedPlansNothing) {
  const auto desired = feed(0, 10'000);
  auto client = ioc();
  auto p = fsy::plan(client, desired, options());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.desired, 10'000u);
  EXPECT_EQ(p.existing, 0u);
  EXPECT_EQ(p.count(ChangeKind::create), 10'000u);
  EXPECT_EQ(p.changes.size(), 10'000u);
  auto r = fsy::apply(client, p);
  EXPECT_EQ(r.written(), 10'000u);
  EXPECT_EQ(r.failed(), 0u);
  EXPECT_EQ(r.requests, 5u);  // 2,000 per create request
  EXPECT_EQ(emu().indicator_count(), 10'000u);
  auto now = scope(client);
  ASSERT_EQ(now.size(), 10'000u);
  EXPECT_EQ(now.at("s42.example.com").source.value_or(""), kSource);
  EXPECT_EQ(now.at("s42.example.com").severity.value_or(""), "high");

  const auto before = writes(emu());
  auto again = fsy::plan(client, desired, options());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(again.changes.size(), 0u);
  EXPECT_EQ(again.unchanged, 10'000u);
  EXPECT_EQ(again.requests, 5u);  // the scope in 5 pages, no lookups
  auto none = fsy::apply(client, again);
  EXPECT_EQ(none.requests, 0u);
  EXPECT_EQ(writes(emu()), before);  // only reads
}

TEST_F(Sync, FiveHundredRemovedAddedAndChangedWithDelete) {
  seed(emu(), feed(0, 10'000));
  // Drop 0..499, add 10000..10499, change 500..999.
  auto desired = feed(500, 10'500);
  for (int i = 500; i < 1000; ++i) desired[static_cast<std::size_t>(i - 500)].severity = "low";
  auto client = ioc();
  auto p = fsy::plan(client, desired, options());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.count(ChangeKind::create), 500u);
  EXPECT_EQ(p.count(ChangeKind::update), 500u);
  EXPECT_EQ(p.count(ChangeKind::remove), 500u);
  EXPECT_EQ(p.count(ChangeKind::conflict), 0u);
  EXPECT_EQ(p.unchanged, 9'000u);
  for (const auto& c : p.changes) {
    if (c.kind != ChangeKind::update) continue;
    ASSERT_EQ(c.fields.size(), 1u);
    EXPECT_EQ(c.fields[0].field, "severity");
    EXPECT_EQ(c.fields[0].before, "high");
    EXPECT_EQ(c.fields[0].after, "low");
  }
  auto r = fsy::apply(client, p);
  EXPECT_EQ(r.failed(), 0u);
  EXPECT_EQ(r.written(), 1'500u);
  auto now = scope(client);
  EXPECT_EQ(now.size(), 10'000u);
  EXPECT_EQ(now.count("s0.example.com"), 0u);
  EXPECT_EQ(now.count("s10499.example.com"), 1u);
  EXPECT_EQ(now.at("s700.example.com").severity.value_or(""), "low");
  EXPECT_EQ(now.at("s1700.example.com").severity.value_or(""), "high");
  EXPECT_TRUE(fsy::plan(client, desired, options()).empty());
}

TEST_F(Sync, MissingOnesExpireAndStayExpired) {
  seed(emu(), feed(0, 2'000));
  auto desired = feed(500, 2'500);
  auto client = ioc();
  auto p = fsy::plan(client, desired, uncapped(fsy::OnMissing::expire));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.count(ChangeKind::expire), 500u);
  EXPECT_EQ(p.count(ChangeKind::create), 500u);
  EXPECT_EQ(p.count(ChangeKind::remove), 0u);
  auto r = fsy::apply(client, p);
  EXPECT_EQ(r.failed(), 0u);
  auto now = scope(client);
  EXPECT_EQ(now.size(), 2'500u);  // expired ones stay
  EXPECT_TRUE(now.at("s10.example.com").expired.value_or(false));
  EXPECT_EQ(now.at("s10.example.com").action.value_or(""), "no_action");
  EXPECT_FALSE(now.at("s510.example.com").expired.value_or(false));
  // Already expired: nothing more to do.
  auto again = fsy::plan(client, desired, options(fsy::OnMissing::expire));
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(again.kept, 500u);
  // keep: the same, without touching anything.
  auto keep = fsy::plan(client, feed(1'000, 2'500), options(fsy::OnMissing::keep));
  EXPECT_TRUE(keep.empty());
  EXPECT_EQ(keep.kept, 1'000u);
}

TEST_F(Sync, ValuesOutsideTheScopeAreConflictsUnlessAdopted) {
  json other = falcon_it::domain_item("s3.example.com", "someone-else");
  const std::string other_id = emu().add_indicators(json::array({other})).at(0);
  auto client = ioc();
  auto p = fsy::plan(client, feed(0, 5), options());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.count(ChangeKind::create), 4u);
  ASSERT_EQ(p.count(ChangeKind::conflict), 1u);
  const auto& c = *std::find_if(p.changes.begin(), p.changes.end(),
                                [](const auto& x) { return x.kind == ChangeKind::conflict; });
  EXPECT_EQ(c.value, "s3.example.com");
  EXPECT_EQ(c.id, other_id);
  EXPECT_EQ(c.existing_source, "someone-else");
  EXPECT_EQ(c.line, 4u);
  auto r = fsy::apply(client, p);
  EXPECT_EQ(r.failed(), 0u);
  EXPECT_EQ(r.written(), 4u);
  EXPECT_EQ(emu().indicator(other_id)["source"], "someone-else");  // untouched
  EXPECT_EQ(emu().indicator_count(), 5u);

  auto o = options();
  o.adopt = true;
  auto a = fsy::plan(client, feed(0, 5), o);
  ASSERT_EQ(a.count(ChangeKind::adopt), 1u);
  EXPECT_EQ(a.changes.size(), 1u);
  EXPECT_EQ(fsy::apply(client, a).failed(), 0u);
  EXPECT_EQ(emu().indicator(other_id)["source"], kSource);
  EXPECT_EQ(emu().indicator(other_id)["severity"], "high");
  EXPECT_TRUE(fsy::plan(client, feed(0, 5), options()).empty());
}

TEST_F(Sync, RateLimitsAndADroppedConnectionAfterAWriteEndWithExactlyTheFeed) {
  seed(emu(), feed(0, 3'000));
  auto desired = feed(1'000, 7'000);  // 1,000 removed, 4,000 created
  for (std::size_t i = 0; i < 300; ++i) desired[i].severity = "critical";  // 300 changed
  auto cfg = config();
  cfg.sleeper = [](std::chrono::milliseconds) {};  // 429 waits cost no time
  falcon::IOC client(cfg);
  auto p = fsy::plan(client, desired, uncapped());
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p.count(ChangeKind::create), 4'000u);

  namespace emu_ns = falcon::emulator;
  auto fault = [](emu_ns::Fault::Kind k, const char* method, int count, bool after) {
    emu_ns::Fault f;
    f.kind = k;
    f.method = method;
    f.path = "/iocs/entities/indicators/v1";
    f.count = count;
    f.after = after;
    f.retry_after_seconds = 1;
    return f;
  };
  emu().inject(fault(emu_ns::Fault::Kind::rate_limit, "POST", 2, false));
  // The next create is written, then its connection dropped before the reply.
  emu().inject(fault(emu_ns::Fault::Kind::drop_connection, "POST", 1, true));
  emu().inject(fault(emu_ns::Fault::Kind::rate_limit, "PATCH", 1, false));
  emu().inject(fault(emu_ns::Fault::Kind::drop_connection, "DELETE", 1, true));

  auto r = fsy::apply(client, p);
  EXPECT_EQ(r.failed(), 0u);
  for (const auto& o : r.outcomes) EXPECT_FALSE(o.outcome_unknown);
  EXPECT_TRUE(emu().pending_faults().empty());

  auto now = scope(client);  // fails on any duplicate
  ASSERT_EQ(now.size(), desired.size());
  for (const auto& s : desired) {
    auto it = now.find(*s.value);
    ASSERT_NE(it, now.end()) << *s.value;
    EXPECT_EQ(it->second.severity.value_or(""), *s.severity);
  }
  // 3,000 seeded + 4,000 created, each exactly once (deleted ones stay, soft-deleted).
  EXPECT_EQ(emu().indicator_count(), 7'000u);
  EXPECT_TRUE(fsy::plan(client, desired, options()).empty());
}

TEST_F(Sync, InvalidAndDuplicateEntriesAreReportedWithLines) {
  std::vector<falcon::feeds::FeedEntry> entries;
  entries.push_back({spec(1), 10});
  auto bad = spec(2);
  bad.value = "not a domain!";
  entries.push_back({bad, 11});
  auto dup = spec(1);
  dup.value = "S1.Example.com";
  entries.push_back({dup, 12});
  auto p = fsy::plan(ioc(), entries, options());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.desired, 1u);
  ASSERT_EQ(p.invalid.size(), 2u);
  EXPECT_EQ(p.invalid[0].line, 11u);
  EXPECT_EQ(p.invalid[1].line, 12u);
  EXPECT_TRUE(p.invalid[1].duplicate);
  EXPECT_NE(p.invalid[1].reason.find("line 10"), std::string::npos);

  fsy::Options none;
  auto refused = fsy::plan(ioc(), entries, none);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error->error->field, "source");
  auto r = fsy::apply(ioc(), refused);
  EXPECT_EQ(r.requests, 0u);
}

// The rulebook's table through sync's comparison: the normal form of every accepted row is in
// the scope; the feed gives each row as written. Every accepted row must match its record
// (unchanged) and every refused row must be reported on its line, as validation and the feed
// readers decide (tests/unit/rulebook_test.cpp).
TEST_F(Sync, RulebookTableThroughTheComparison) {
  json seeded = json::array();
  std::vector<falcon::feeds::FeedEntry> entries;
  std::set<std::size_t> refused;
  std::size_t line = 0;
  for (const auto& r : falcon_rulebook::rows()) {
    ++line;
    falcon::IndicatorSpec s;
    if (!r.type.empty()) s.type = r.type;
    s.value = r.value;
    entries.push_back({s, line});
    if (!r.accepted) {
      refused.insert(line);
      continue;
    }
    seeded.push_back({{"type", r.normal_type},
                      {"value", r.normal_value},
                      {"source", kSource},
                      {"action", "detect"},
                      {"severity", "medium"},
                      {"platforms", {"windows"}},
                      {"applied_globally", true}});
  }
  emu().add_indicators(seeded);
  auto o = options(fsy::OnMissing::remove);
  o.allow_list = falcon::rules::AllowList();  // private addresses are rows of the table too
  auto p = fsy::plan(ioc(), entries, o);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.unchanged, seeded.size());
  EXPECT_TRUE(p.changes.empty()) << fsy::to_string(p.changes.front().kind) << " "
                                 << p.changes.front().value;
  std::set<std::size_t> reported;
  for (const auto& i : p.invalid) reported.insert(i.line);
  EXPECT_EQ(reported, refused);
}
