// falcon-ioc sync left unattended (issue 16): a broken feed never wipes a tenant. Each test
// seeds a scope in the emulator, runs the real binary on a feed that is empty, mislabelled,
// truncated or half bad, and checks the exit code and that the scope still holds every
// indicator, except where the feed really changed. Then the guards (removal cap, scope, quota,
// allow-list), the expiry policy, and journal + undo.
#include <map>
#include <set>

#include "cli_fixture.hpp"
#include "falcon/fql.hpp"
#include "falcon/ranges.hpp"

using falcon_cli_test::Cli;
using falcon_cli_test::RunResult;
using nlohmann::json;

namespace {

constexpr const char* kSource = "acme";

std::string domain(int i) {
  return "d" + std::to_string(i) + ".example.com";
}

class SyncSafety : public Cli {
 protected:
  // Seeds indicators first..first+n-1 of `source`.
  void seed(int n, const std::string& source = kSource, int first = 0) {
    json items = json::array();
    for (int i = first; i < first + n; ++i) {
      items.push_back(falcon_it::domain_item(domain(i), source));
    }
    emu().add_indicators(items);
  }

  // The live indicators of `source`, by value.
  std::map<std::string, falcon::Indicator> scope(const std::string& source = kSource) {
    std::map<std::string, falcon::Indicator> out;
    falcon::IndicatorCombinedOptions o;
    o.filter = falcon::fql::eq("source", source).str();
    o.limit = 2000;
    for (const auto& i : falcon::indicators(ioc(), o)) out.emplace(i.value, i);
    return out;
  }

  // Write requests the emulator has answered so far.
  std::uint64_t writes() {
    std::uint64_t n = 0;
    for (const auto& [route, count] : emu().counters().requests_per_route) {
      if (route.rfind("GET ", 0) != 0 && route.rfind("POST /oauth2", 0) != 0 &&
          route.rfind("POST /iocs/aggregates", 0) != 0) {
        n += count;
      }
    }
    return n;
  }

  // CSV rows of the seeded domains `from`..`to`-1 as seeded (severity high).
  static std::string rows(int from, int to) {
    std::string s;
    for (int i = from; i < to; ++i) s += "domain," + domain(i) + ",detect,high,windows;mac\n";
    return s;
  }
  // A CSV feed of those rows, then `extra`.
  static std::string csv(int from, int to, const std::string& extra = "") {
    return "type,value,action,severity,platforms\n" + rows(from, to) + extra;
  }

  RunResult sync(const std::string& file, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--format", "json", "sync", file, "--source", kSource};
    for (auto& e : extra) args.push_back(e);
    return run(args);
  }
};

}  // namespace

TEST_F(SyncSafety, EmptyFeedsNeverRemoveAnything) {
  seed(20);
  const auto before = writes();
  const std::string bundle_without_indicators =
      R"({"type":"bundle","id":"bundle--1","objects":[{"type":"identity","id":"identity--1","name":"x"}]})";
  const std::vector<std::pair<std::string, std::string>> feeds = {
      {"empty", ""},
      {"empty.txt", ""},
      {"empty.json", ""},
      {"header.csv", "type,value,action\n"},
      {"array.json", "[]"},
      {"envelope.json", R"({"meta":{},"resources":[],"errors":[]})"},
      {"bundle.json", bundle_without_indicators},
      {"comments.txt", "# nothing today\n\n"},
  };
  for (const auto& [name, content] : feeds) {
    SCOPED_TRACE(name);
    auto r = sync(dir_.file(name, content));
    EXPECT_EQ(r.rc, 1) << r.err;
    EXPECT_NE(r.err.find("empty"), std::string::npos) << r.err;
  }
  // An empty pipe: stdin is /dev/null for the child.
  auto pipe = sync("-");
  EXPECT_EQ(pipe.rc, 1) << pipe.err;
  EXPECT_EQ(scope().size(), 20u);
  EXPECT_EQ(writes(), before);

  // Meant: --allow-empty, and the cap lifted, removes the scope.
  auto meant = sync(dir_.file("meant.txt", ""), {"--allow-empty", "--max-delete", "100%"});
  EXPECT_EQ(meant.rc, 0) << meant.err;
  EXPECT_TRUE(scope().empty());
}

TEST_F(SyncSafety, ErrorPagesAndUnreadableFeedsRemoveNothing) {
  seed(20);
  const std::string page =
      "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
      "Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
  for (const char* name : {"feed.json", "feed.txt", "feed.csv", "feed"}) {
    SCOPED_TRACE(name);
    auto r = sync(dir_.file(name, page));
    EXPECT_EQ(r.rc, 1) << r.err;
    EXPECT_NE(r.err.find("HTML"), std::string::npos) << r.err;
  }
  // JSON named .txt contradicts its name.
  auto json_as_text = sync(dir_.file("feed2.txt", R"([{"type":"domain","value":"x.example"}])"));
  EXPECT_EQ(json_as_text.rc, 1);
  // Every row invalid: nothing can be read, so nothing is removed (exit 3, rows failed).
  auto invalid = sync(dir_.file("bad.csv", "type,value\nsha256,zzz\nmd5,nope\nipv4,999.1.1.1\n"));
  EXPECT_EQ(invalid.rc, 3) << invalid.err;
  EXPECT_NE(invalid.err.find("removes nothing"), std::string::npos) << invalid.err;
  EXPECT_EQ(scope().size(), 20u);
}

TEST_F(SyncSafety, ABundleWithSortedKeysNamedJsonIsReadAsStix) {
  seed(20);
  // "objects" before "type", as a tool that sorts keys writes it.
  json objects = json::array();
  for (int i = 0; i < 20; ++i) {
    objects.push_back({{"type", "indicator"},
                       {"spec_version", "2.1"},
                       {"id", "indicator--" + std::to_string(i)},
                       {"pattern_type", "stix"},
                       {"pattern", "[domain-name:value = '" + domain(i) + "']"}});
  }
  const std::string text =
      R"({"id":"bundle--9","objects":)" + objects.dump() + R"(,"type":"bundle"})";
  const auto before = writes();
  auto r =
      sync(dir_.file("sorted.json", text), {"--severity", "high", "--platforms", "windows,mac"});
  EXPECT_EQ(r.rc, 0) << r.err;
  auto plan = json::parse(r.out);
  EXPECT_EQ(plan["summary"]["delete"], 0);
  EXPECT_EQ(plan["summary"]["create"], 0);
  EXPECT_EQ(writes(), before);
  EXPECT_EQ(scope().size(), 20u);
}

TEST_F(SyncSafety, ARowThatFailsKeepsWhatItNames) {
  seed(20);
  // Row for d5: a severity typo. Its indicator stays as it is; the rest is in sync.
  std::string feed = csv(0, 5) + "domain," + domain(5) + ",detect,hgih,windows\n" + rows(6, 20);
  auto r = sync(dir_.file("typo.csv", feed));
  EXPECT_EQ(r.rc, 3) << r.err;
  EXPECT_NE(r.err.find("hgih"), std::string::npos) << r.err;
  EXPECT_EQ(scope().size(), 20u);

  // A stray quote swallows rows 4-9 into one bad record: no value can be read, so nothing is
  // removed at all (creates and updates would still go).
  std::string swallowed = "type,value,description\n";
  for (int i = 0; i < 20; ++i) {
    std::string desc = "ok";
    if (i == 3) desc = "\"oops";
    if (i == 9) desc = "end\"";
    swallowed += "domain," + domain(i) + "," + desc + "\n";
  }
  auto s = sync(dir_.file("quote.csv", swallowed));
  EXPECT_EQ(s.rc, 3) << s.err;
  EXPECT_NE(s.err.find("removes nothing"), std::string::npos) << s.err;
  EXPECT_EQ(scope().size(), 20u);
}

TEST_F(SyncSafety, APastValidUntilRetiresTheIndicator) {
  seed(3);
  auto stix = [&](const std::string& until_of_d1, const std::string& revoked_d2) {
    json objects = json::array();
    for (int i = 0; i < 3; ++i) {
      json o = {{"type", "indicator"},
                {"id", "indicator--" + std::to_string(i)},
                {"pattern_type", "stix"},
                {"pattern", "[domain-name:value = '" + domain(i) + "']"}};
      if (i == 1) o["valid_until"] = until_of_d1;
      if (i == 2 && !revoked_d2.empty()) o["revoked"] = json::parse(revoked_d2);
      objects.push_back(o);
    }
    return json{{"type", "bundle"}, {"id", "bundle--1"}, {"objects", objects}}.dump();
  };
  // A revoked that is not a boolean is a row issue: its indicator is kept.
  auto odd =
      sync(dir_.file("odd.json", stix("2099-01-01T00:00:00Z", "\"yes\"")), {"--severity", "high"});
  EXPECT_EQ(odd.rc, 3) << odd.err;
  EXPECT_NE(odd.err.find("revoked"), std::string::npos);
  EXPECT_EQ(scope().size(), 3u);
  // d1's valid_until has passed and d2 is revoked: both are retired (expired here), with the
  // API's past-expiration warning ignored, in one run, exit 0; a rerun writes nothing.
  auto r = sync(dir_.file("retire.json", stix("2001-01-01T00:00:00Z", "true")),
                {"--severity", "high", "--on-missing", "expire"});
  EXPECT_EQ(r.rc, 0) << r.err;
  auto now = scope();
  ASSERT_EQ(now.size(), 3u);
  EXPECT_FALSE(now.at(domain(0)).expiration.has_value());
  EXPECT_TRUE(now.at(domain(1)).expiration.has_value());
  EXPECT_TRUE(now.at(domain(2)).expiration.has_value());
  const auto before = writes();
  auto again = sync(dir_.file("retire.json", stix("2001-01-01T00:00:00Z", "true")),
                    {"--severity", "high", "--on-missing", "expire"});
  EXPECT_EQ(again.rc, 0) << again.err;
  EXPECT_EQ(writes(), before);
}

TEST_F(SyncSafety, InvalidUtf8FailsItsRowNotItsBatch) {
  std::string feed = "type,value,description\n";
  for (int i = 0; i < 1001; ++i) {
    feed += "domain," + domain(i) + "," + (i == 500 ? std::string("caf\xC3", 4) : "fine") + "\n";
  }
  auto r = sync(dir_.file("utf8.csv", feed), {"--severity", "high"});
  EXPECT_EQ(r.rc, 3) << r.err;
  EXPECT_NE(r.err.find(":502:"), std::string::npos) << r.err;  // the row's line
  EXPECT_NE(r.err.find("UTF-8"), std::string::npos) << r.err;
  EXPECT_EQ(scope().size(), 1000u);
}

TEST_F(SyncSafety, TheRemovalCap) {
  seed(200);
  // 5 of 200 removed: within the default cap (10% or 10), applied.
  auto small = sync(dir_.file("small.csv", csv(0, 195)));
  EXPECT_EQ(small.rc, 0) << small.err;
  EXPECT_EQ(scope().size(), 195u);
  // 75% removed: refused, exit 4, nothing written; the plan is printed.
  const auto before = writes();
  auto big = sync(dir_.file("big.csv", csv(0, 50)));
  EXPECT_EQ(big.rc, 4) << big.err;
  EXPECT_NE(big.err.find("removal_cap"), std::string::npos) << big.err;
  EXPECT_EQ(json::parse(big.out)["summary"]["delete"], 145);
  EXPECT_EQ(writes(), before);
  EXPECT_EQ(scope().size(), 195u);
  auto pct = sync(dir_.file("big.csv", csv(0, 50)), {"--max-delete", "50%"});
  EXPECT_EQ(pct.rc, 4);
  auto bad = sync(dir_.file("big.csv", csv(0, 50)), {"--max-delete", "lots"});
  EXPECT_EQ(bad.rc, 2);
  // Lifted: applied.
  auto lifted = sync(dir_.file("big.csv", csv(0, 50)), {"--max-delete", "100%"});
  EXPECT_EQ(lifted.rc, 0) << lifted.err;
  EXPECT_EQ(scope().size(), 50u);
}

TEST_F(SyncSafety, AScopeMustConstrainSource) {
  seed(5, "other-team", 100);
  seed(5);
  const auto before = writes();
  auto r =
      run({"sync", dir_.file("f.csv", csv(0, 5)), "--source", kSource, "--scope", "type:'domain'"});
  EXPECT_EQ(r.rc, 4) << r.err;
  EXPECT_NE(r.err.find("does not constrain source"), std::string::npos) << r.err;
  auto either = run({"sync", dir_.file("f.csv", csv(0, 5)), "--source", kSource, "--scope",
                     "source:'acme',type:'domain'"});
  EXPECT_EQ(either.rc, 4) << either.err;
  EXPECT_EQ(writes(), before);
  auto narrowed = run({"sync", dir_.file("f.csv", csv(0, 5)), "--source", kSource, "--scope",
                       "source:'acme'+type:'domain'", "--dry-run"});
  EXPECT_EQ(narrowed.rc, 0) << narrowed.err;
  auto any = run({"--format", "json", "sync", dir_.file("f.csv", csv(0, 5)), "--source", kSource,
                  "--scope", "type:'domain'", "--any-scope", "--dry-run"});
  EXPECT_EQ(any.rc, 0) << any.err;
  EXPECT_EQ(scope("other-team").size(), 5u);
}

TEST_F(SyncSafety, TheQuotaIsCheckedBeforeAnyWrite) {
  seed(30, "elsewhere");
  const auto before = writes();
  auto r = sync(dir_.file("new.csv", csv(100, 120)), {"--quota", "40"});
  EXPECT_EQ(r.rc, 4) << r.err;
  EXPECT_NE(r.err.find("quota"), std::string::npos) << r.err;
  EXPECT_EQ(writes(), before);
  auto ok = sync(dir_.file("new.csv", csv(100, 110)), {"--quota", "40"});
  EXPECT_EQ(ok.rc, 0) << ok.err;
  EXPECT_EQ(scope().size(), 10u);
}

TEST_F(SyncSafety, TheAllowListSkipsValuesThatMustNeverBeBlocked) {
  const std::string allow = dir_.file("allow.txt",
                                      "# ours\nevil-but-ours.example\n203.0.113.0/24\n"
                                      "*.corp.example\n");
  std::string feed = "real.example\n";
  for (const char* v :
       {"127.0.0.1", "0.0.0.0", "10.1.2.3", "172.20.0.1", "192.168.1.1", "169.254.1.1", "224.0.0.1",
        "255.255.255.255", "::1", "fd00::1", "fe80::2", "ff02::1", "a.localhost",
        "evil-but-ours.example", "203.0.113.7", "x.corp.example", "corp.example"}) {
    feed += std::string(v) + "\n";
  }
  const std::string file = dir_.file("allow-feed.txt", feed);
  auto r = run({"--allow-list", allow, "sync", file, "--source", kSource, "--severity", "high"});
  EXPECT_EQ(r.rc, 0) << r.err;
  auto now = scope();
  EXPECT_EQ(now.size(), 1u);
  EXPECT_TRUE(now.count("real.example"));
  for (const char* why :
       {"loopback", "private address (RFC 1918)", "link-local", "multicast", "broadcast",
        "unspecified", "unique local", "localhost", "allow-list entry '203.0.113.0/24'",
        "allow-list entry '*.corp.example'"}) {
    EXPECT_NE(r.err.find(why), std::string::npos) << why << "\n" << r.err;
  }
  // import skips them too; create refuses one with exit 4.
  std::string second = feed;
  second.replace(0, std::string("real.example").size(), "real2.example");
  auto imp = run(
      {"--allow-list", allow, "import", dir_.file("import.txt", second), "--source", "imported"});
  EXPECT_EQ(imp.rc, 0) << imp.err;
  EXPECT_EQ(scope("imported").size(), 1u);
  auto create = run({"create", "--value", "10.9.9.9", "--action", "detect", "--severity", "high"});
  EXPECT_EQ(create.rc, 4) << create.err;
  EXPECT_NE(create.err.find("RFC 1918"), std::string::npos);
  auto bad_list = run({"--allow-list", dir_.file("bad-allow.txt", "10.0.0.0/99\n"), "sync", file,
                       "--source", kSource});
  EXPECT_EQ(bad_list.rc, 1);
  EXPECT_NE(bad_list.err.find("bad-allow.txt:1"), std::string::npos) << bad_list.err;
}

TEST_F(SyncSafety, TheExpiryPolicy) {
  const std::string feed = dir_.file("policy.csv", csv(0, 3) +
                                                       "domain,kept.example,detect,high,"
                                                       "windows\n");
  auto r = sync(feed, {"--expire-after", "domain=30d,sha256=365d"});
  EXPECT_EQ(r.rc, 0) << r.err;
  auto now = scope();
  ASSERT_EQ(now.size(), 4u);
  const auto exp = falcon::rules::parse_time(now.at(domain(0)).expiration.value_or(""));
  ASSERT_TRUE(exp.has_value());
  const auto in_30d =
      falcon::rules::Time::from(std::chrono::system_clock::now()).plus(std::chrono::hours(24 * 30));
  EXPECT_LE(exp->seconds.time_since_epoch().count(), in_30d.seconds.time_since_epoch().count());
  EXPECT_GE(exp->seconds.time_since_epoch().count() + 600,
            in_30d.seconds.time_since_epoch().count());
  // The next run finds more than half of the 30 days left: nothing is rewritten.
  const auto before = writes();
  auto again = sync(feed, {"--expire-after", "domain=30d"});
  EXPECT_EQ(again.rc, 0) << again.err;
  EXPECT_EQ(writes(), before);
  EXPECT_EQ(run({"sync", feed, "--source", kSource, "--expire-after", "url=3d"}).rc, 2);
}

TEST_F(SyncSafety, UndoPutsTheTenantBackFieldForField) {
  // Day 1: 20 indicators.
  auto day1 = sync(dir_.file("day1.csv", csv(0, 20)));
  ASSERT_EQ(day1.rc, 0) << day1.err;
  const auto before = scope();
  // Day 2: d0-d1 removed, d2-d4 change severity, d20-d23 new.
  std::string feed = "type,value,action,severity,platforms\n";
  for (int i = 2; i < 24; ++i) {
    feed += "domain," + domain(i) + ",detect," + (i < 5 ? "low" : "high") + ",windows;mac\n";
  }
  const std::string journal = dir_.path() + "/day2.journal";
  auto day2 = sync(dir_.file("day2.csv", feed), {"--journal", journal});
  ASSERT_EQ(day2.rc, 0) << day2.err;
  EXPECT_EQ(scope().size(), 22u);
  // The journal: a header and one line per change.
  std::istringstream lines(falcon_cli_test::slurp(journal));
  std::string line;
  std::map<std::string, int> ops;
  while (std::getline(lines, line)) {
    auto j = json::parse(line);
    if (!j.contains("journal")) ++ops[j["op"].get<std::string>()];
  }
  EXPECT_EQ(ops, (std::map<std::string, int>{{"create", 4}, {"update", 3}, {"delete", 2}}));

  auto undo = run({"--format", "json", "undo", journal});
  ASSERT_EQ(undo.rc, 0) << undo.err;
  const auto after = scope();
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [value, was] : before) {
    SCOPED_TRACE(value);
    ASSERT_TRUE(after.count(value));
    const auto& is = after.at(value);
    EXPECT_EQ(is.type, was.type);
    EXPECT_EQ(is.action, was.action);
    EXPECT_EQ(is.severity, was.severity);
    EXPECT_EQ(is.platforms, was.platforms);
    EXPECT_EQ(is.tags, was.tags);
    EXPECT_EQ(is.description, was.description);
    EXPECT_EQ(is.expiration, was.expiration);
    EXPECT_EQ(is.source, was.source);
    EXPECT_EQ(is.applied_globally, was.applied_globally);
    EXPECT_EQ(is.mobile_action, was.mobile_action);
  }
  // Undo journaled itself; a second undo writes nothing.
  EXPECT_FALSE(falcon_cli_test::slurp(journal + ".undo").empty());
  const auto writes_before = writes();
  auto twice = run({"undo", journal});
  EXPECT_EQ(twice.rc, 0) << twice.err;
  EXPECT_EQ(writes(), writes_before);
  // A journal that is not one is refused.
  EXPECT_EQ(run({"undo", dir_.file("not.journal", "hello\n")}).rc, 1);
}
