// falcon-ioc's feed sources (issue 19): HTTPS feed URLs with conditional requests, a TAXII 2.1
// collection, MISP feeds and the mapping table. Each test runs the real binary against the
// in-process emulator and a loopback source server (source_servers.hpp), then checks what the
// emulator holds, what was written, and what the state dir kept. The hostile-server tests check
// each bound: exit 1, a message naming the server and the rule, nothing removed.
#include <dirent.h>
#include <signal.h>

#include <algorithm>
#include <map>
#include <set>

#include "cli_fixture.hpp"
#include "falcon/fql.hpp"
#include "falcon/ranges.hpp"
#include "source_servers.hpp"

using falcon_cli_test::Cli;
using falcon_cli_test::RunResult;
using falcon_source_test::FeedServer;
using falcon_source_test::StaticServer;
using falcon_source_test::TaxiiServer;
using nlohmann::json;

namespace {

constexpr const char* kToken = "taxii-secret-token";

std::string domain(int i) {
  return "d" + std::to_string(i) + ".example.com";
}

json indicator(const std::string& id, const std::string& pattern, const std::string& modified,
               json extra = json::object()) {
  json o = {{"type", "indicator"},
            {"spec_version", "2.1"},
            {"id", id},
            {"created", "2025-12-01T00:00:00.000Z"},
            {"modified", modified},
            {"pattern_type", "stix"},
            {"pattern", pattern},
            {"valid_from", "2025-12-01T00:00:00Z"}};
  for (auto& [k, v] : extra.items()) o[k] = v;
  return o;
}

std::string dpat(const std::string& d) {
  return "[domain-name:value = '" + d + "']";
}

class Sources : public Cli {
 protected:
  // The live indicators of `source`, by value.
  std::map<std::string, falcon::Indicator> scope(const std::string& source) {
    std::map<std::string, falcon::Indicator> out;
    falcon::IndicatorCombinedOptions o;
    o.filter = falcon::fql::eq("source", source).str();
    o.limit = 2000;
    for (const auto& i : falcon::indicators(ioc(), o)) out.emplace(i.value, i);
    return out;
  }

  std::set<std::string> values(const std::string& source) {
    std::set<std::string> out;
    for (const auto& [v, i] : scope(source)) out.insert(v);
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

  void seed(int n, const std::string& source) {
    json items = json::array();
    for (int i = 0; i < n; ++i) items.push_back(falcon_it::domain_item(domain(i), source));
    emu().add_indicators(items);
  }

  std::string state_dir() { return dir_.path() + "/state"; }

  // Files in the state dir.
  std::size_t state_files() {
    std::size_t n = 0;
    if (DIR* d = opendir(state_dir().c_str())) {
      while (const dirent* e = readdir(d)) n += e->d_name[0] != '.';
      closedir(d);
    }
    return n;
  }

  RunResult cli(std::vector<std::string> args, std::vector<std::string> env = {}) {
    args.insert(args.begin(), {"--format", "json"});
    args.push_back("--state-dir");
    args.push_back(state_dir());
    env.push_back("FALCON_TAXII_TOKEN=" + std::string(kToken));
    return run(args, true, env);
  }
};

// ---- HTTPS feed URLs ------------------------------------------------------------------------

TEST_F(Sources, AFeedUrlSyncsThenAnUnchangedFeedCostsOne304) {
  FeedServer feed;
  std::string csv = "type,value,action,severity,platforms\n";
  for (int i = 0; i < 5; ++i) csv += "domain," + domain(i) + ",detect,high,windows\n";
  feed.set_feed(csv);
  const std::string url = feed.url() + "/feeds/daily.csv";

  // A dry run plans but keeps no state: the real run after it reads the feed again.
  auto dry = cli({"sync", url, "--source", "daily", "--dry-run"});
  ASSERT_EQ(dry.rc, 0) << dry.err;
  EXPECT_EQ(json::parse(dry.out)["summary"]["create"], 5);
  EXPECT_EQ(state_files(), 0u);
  EXPECT_TRUE(values("daily").empty());

  auto first = cli({"sync", url, "--source", "daily"});
  ASSERT_EQ(first.rc, 0) << first.err;
  EXPECT_EQ(values("daily").size(), 5u);
  EXPECT_EQ(state_files(), 1u);
  EXPECT_EQ(feed.not_modified, 0);

  const int requests = feed.requests;
  const auto before = writes();
  auto second = cli({"sync", url, "--source", "daily"});
  EXPECT_EQ(second.rc, 0) << second.err;
  EXPECT_EQ(feed.requests, requests + 1);
  EXPECT_EQ(feed.not_modified, 1);
  EXPECT_EQ(writes(), before);
  EXPECT_NE(second.err.find("304"), std::string::npos) << second.err;

  // The feed changes: a 200 again, and sync converges (d4 removed, d9 created).
  feed.set_feed("type,value,action,severity,platforms\n" + [] {
    std::string s;
    for (int i : {0, 1, 2, 3, 9}) s += "domain," + domain(i) + ",detect,high,windows\n";
    return s;
  }());
  auto third = cli({"sync", url, "--source", "daily"});
  EXPECT_EQ(third.rc, 0) << third.err;
  EXPECT_EQ(values("daily"),
            (std::set<std::string>{domain(0), domain(1), domain(2), domain(3), domain(9)}));
  EXPECT_EQ(feed.not_modified, 1);
}

TEST_F(Sources, AFeedUrlThatMisbehavesRemovesNothing) {
  seed(10, "daily");
  FeedServer feed;
  std::string csv = "type,value\n";
  for (int i = 0; i < 3; ++i) csv += "domain," + domain(i) + "\n";
  feed.set_feed(csv);
  const std::string url = feed.url() + "/feeds/daily.csv";
  const auto before = writes();
  struct Case {
    FeedServer::Mode mode;
    std::vector<std::string> extra;
    std::string says;
  };
  const std::vector<Case> cases = {
      {FeedServer::Mode::html, {}, "an HTML page"},
      {FeedServer::Mode::json_type, {}, "JSON (application/json) where a csv feed"},
      {FeedServer::Mode::status500, {}, "HTTP 500 from http://" + feed.origin()},
      {FeedServer::Mode::truncated, {}, "cut short"},
      {FeedServer::Mode::redirect_http, {}, "redirects are followed only to https://"},
      {FeedServer::Mode::normal, {"--max-feed-bytes", "1024"}, "larger than the size cap"},
  };
  if (cases.back().mode == FeedServer::Mode::normal) feed.set_feed(csv + std::string(2000, '#'));
  for (const auto& c : cases) {
    SCOPED_TRACE(c.says);
    feed.set_mode(c.mode);
    std::vector<std::string> args = {"sync", url, "--source", "daily"};
    for (const auto& e : c.extra) args.push_back(e);
    auto r = cli(args);
    EXPECT_EQ(r.rc, 1) << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("nothing removed"), std::string::npos) << r.err;
  }
  // Plain http to a host that is not loopback is refused before any connection.
  auto remote = cli({"sync", "http://intel.example.com/feed.csv", "--source", "daily"});
  EXPECT_EQ(remote.rc, 1);
  EXPECT_NE(remote.err.find("plain http:// is refused"), std::string::npos) << remote.err;
  EXPECT_EQ(writes(), before);
  EXPECT_EQ(values("daily").size(), 10u);
  EXPECT_EQ(state_files(), 0u);
}

// Over real TLS: a certificate the client does not trust is refused; with its CA it is read.
TEST_F(Sources, AFeedUrlOverTlsIsVerified) {
  const std::string dir = dir_.path();
  const std::string cert = dir + "/localhost.pem", key = dir + "/localhost-key.pem";
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
      "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  seed(3, "daily");
  FeedServer feed(cert, key);
  feed.set_feed("type,value\ndomain," + domain(0) + "\ndomain," + domain(1) + "\n");
  const std::string url = feed.url() + "/feeds/daily.csv";
  ASSERT_EQ(url.rfind("https://", 0), 0u);

  auto untrusted = cli({"sync", url, "--source", "daily"});
  EXPECT_EQ(untrusted.rc, 1);
  EXPECT_NE(untrusted.err.find("certificate"), std::string::npos) << untrusted.err;
  EXPECT_EQ(values("daily").size(), 3u);

  auto trusted = cli({"sync", url, "--source", "daily", "--feed-ca-bundle", cert});
  EXPECT_EQ(trusted.rc, 0) << trusted.err;
  EXPECT_EQ(values("daily"), (std::set<std::string>{domain(0), domain(1)}));
}

TEST_F(Sources, CtrlCDuringAFetchStopsItAndRemovesNothing) {
  seed(3, "daily");
  FeedServer feed;
  feed.set_feed("type,value\n" + std::string(4000, '#') + "\n");
  feed.set_mode(FeedServer::Mode::stall);
  const pid_t pid = spawn(
      {"sync", feed.url() + "/feeds/daily.csv", "--source", "daily", "--state-dir", state_dir()});
  // Wait (bounded) until the server has sent half the body and holds the rest.
  for (int i = 0; i < 10'000 && feed.stalls == 0; ++i) usleep(1000);
  ASSERT_EQ(feed.stalls, 1);
  kill(pid, SIGINT);
  auto r = finish(pid);
  EXPECT_EQ(r.rc, 1) << r.err;
  EXPECT_NE(r.err.find("interrupted"), std::string::npos) << r.err;
  EXPECT_EQ(values("daily").size(), 3u);
  EXPECT_EQ(state_files(), 0u);
}

TEST_F(Sources, HelpListsTheSources) {
  auto top = run({"--help"}, false);
  EXPECT_EQ(top.rc, 0);
  EXPECT_NE(top.out.find("TAXII 2.1 collections"), std::string::npos) << top.out;
  EXPECT_NE(top.out.find("MISP feeds"), std::string::npos) << top.out;
  auto import = run({"import", "--help"}, false);
  for (const char* flag : {"--taxii", "--collection", "--incremental", "--misp", "--misp-tag",
                           "--mapping", "--state-dir", "--max-feed-bytes"}) {
    EXPECT_NE(import.out.find(flag), std::string::npos) << flag;
  }
  auto sync = run({"sync", "--help"}, false);
  EXPECT_NE(sync.out.find("--taxii-max-pages"), std::string::npos);
  EXPECT_EQ(sync.out.find("--incremental"), std::string::npos);
  // --incremental without --taxii, --collection without --taxii: usage errors.
  auto lone = run({"import", "--incremental", dir_.file("f.txt", "x.example.com\n")});
  EXPECT_EQ(lone.rc, 2);
  EXPECT_NE(lone.err.find("--incremental reads a TAXII collection"), std::string::npos);
  auto nothing = run({"sync", "--source", "x"});
  EXPECT_EQ(nothing.rc, 2);
  EXPECT_NE(nothing.err.find("give feed files or URLs"), std::string::npos) << nothing.err;
}

// ---- TAXII 2.1 --------------------------------------------------------------------------------

class Taxii : public Sources {
 protected:
  // Six indicators over three pages of two; d1 has two versions, d3 is revoked, d4 expired.
  void fill(TaxiiServer& t) {
    t.add("c1", indicator("indicator--0", dpat(domain(0)), "2025-12-01T00:00:00.000Z",
                          {{"confidence", 85}, {"labels", {"apt"}}}));
    t.add("c1", indicator("indicator--1", dpat(domain(1)), "2025-12-01T00:00:00.000Z",
                          {{"confidence", 10}}));
    t.add("c1", {{"type", "identity"}, {"id", "identity--1"}, {"name", "acme"}});
    t.add("c1", indicator("indicator--1", dpat(domain(1)), "2025-12-02T00:00:00.000Z",
                          {{"confidence", 65}}));
    t.add("c1",
          indicator("indicator--2", "[file:hashes.'SHA-256' = '" + falcon_it::sha256_of(2) + "']",
                    "2025-12-01T00:00:00.000Z", {{"confidence", 45}}));
    t.add("c1", indicator("indicator--3", dpat(domain(3)), "2025-12-01T00:00:00.000Z",
                          {{"revoked", true}}));
    t.add("c1", indicator("indicator--4", dpat(domain(4)), "2025-12-01T00:00:00.000Z",
                          {{"valid_until", "2025-12-31T00:00:00Z"}}));
    t.add("c1", indicator("indicator--5", "[ipv4-addr:value = '198.51.100.7']",
                          "2025-12-01T00:00:00.000Z"));
  }

  std::vector<std::string> taxii_args(const TaxiiServer& t, const std::string& cmd) {
    return {cmd, "--taxii", t.url() + "/api1/", "--collection", "c1", "--source", "octi"};
  }
};

TEST_F(Taxii, SyncReadsTheWholeCollectionAndConvergesOnce) {
  TaxiiServer t;
  fill(t);
  auto r = cli(taxii_args(t, "sync"));
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto held = scope("octi");
  // Latest version of d1, not d3 (revoked) or d4 (valid_until passed).
  ASSERT_EQ(held.size(), 4u) << r.err;
  EXPECT_EQ(held.at(domain(0)).severity, "critical");  // confidence 85
  EXPECT_EQ(held.at(domain(1)).severity, "high");      // confidence 65, the newer version
  EXPECT_EQ(held.at(falcon_it::sha256_of(2)).severity, "medium");
  EXPECT_EQ(held.at(falcon_it::sha256_of(2)).action, "prevent");
  EXPECT_EQ(held.at(domain(0)).action, "detect");
  EXPECT_EQ(held.at("198.51.100.7").severity, "medium");  // no confidence: --severity
  EXPECT_EQ(held.at(domain(0)).tags, std::vector<std::string>{"apt"});
  // Paged by limit/next: the 6 latest versions in the server's pages of two.
  EXPECT_EQ(t.object_requests, 3);
  EXPECT_NE(r.err.find("3 page(s), 6 object(s), 6 indicator(s) (0 older version(s) dropped, 2 "
                       "retired)"),
            std::string::npos)
      << r.err;
  for (const auto& a : t.added_after_seen()) EXPECT_EQ(a, "");

  const auto before = writes();
  auto again = cli(taxii_args(t, "sync"));
  EXPECT_EQ(again.rc, 0) << again.err;
  EXPECT_EQ(writes(), before);

  // d0 revoked in a new version: sync removes it.
  t.add("c1", indicator("indicator--0", dpat(domain(0)), "2025-12-03T00:00:00.000Z",
                        {{"revoked", true}}));
  auto third = cli(taxii_args(t, "sync"));
  EXPECT_EQ(third.rc, 0) << third.err;
  EXPECT_EQ(values("octi").count(domain(0)), 0u);
  EXPECT_EQ(values("octi").size(), 3u);
}

TEST_F(Taxii, ImportIncrementalReadsOnlyWhatWasAddedAndNeverRemoves) {
  TaxiiServer t;
  fill(t);
  auto args = taxii_args(t, "import");
  args.push_back("--incremental");
  auto first = cli(args);
  ASSERT_EQ(first.rc, 0) << first.err;
  EXPECT_EQ(values("octi").size(), 4u);
  const std::string checkpoint = TaxiiServer::date(8);

  // Nothing added: one page, added_after = the last date seen, nothing written.
  const auto before = writes();
  auto second = cli(args);
  EXPECT_EQ(second.rc, 0) << second.err;
  EXPECT_EQ(writes(), before);
  EXPECT_EQ(t.added_after_seen().back(), checkpoint);

  // Two added (one a revocation of d0): only they are read; the revocation removes nothing.
  t.add("c1", indicator("indicator--6", dpat(domain(6)), "2025-12-05T00:00:00.000Z"));
  t.add("c1", indicator("indicator--0", dpat(domain(0)), "2025-12-05T00:00:00.000Z",
                        {{"revoked", true}}));
  auto third = cli(args);
  EXPECT_EQ(third.rc, 0) << third.err;
  EXPECT_NE(third.err.find("2 indicator(s)"), std::string::npos) << third.err;
  EXPECT_EQ(json::parse(third.out)["created"], 1);
  EXPECT_EQ(values("octi"), (std::set<std::string>{domain(0), domain(1), falcon_it::sha256_of(2),
                                                   "198.51.100.7", domain(6)}));
  EXPECT_EQ(t.added_after_seen().back(), checkpoint);
  auto fourth = cli(args);
  EXPECT_EQ(fourth.rc, 0) << fourth.err;
  EXPECT_EQ(t.added_after_seen().back(), TaxiiServer::date(10));
}

TEST_F(Taxii, AServerWithoutNextIsPagedByItsDateHeader) {
  TaxiiServer t;
  fill(t);
  t.set_mode(TaxiiServer::Mode::no_next);
  auto r = cli(taxii_args(t, "sync"));
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(values("octi").size(), 4u);
}

TEST_F(Taxii, AllVersionsFromTheServerKeepOnlyTheNewest) {
  TaxiiServer t;
  fill(t);
  t.set_mode(TaxiiServer::Mode::all_versions);
  auto r = cli(taxii_args(t, "sync"));
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("7 object(s), 6 indicator(s) (1 older version(s) dropped"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(scope("octi").at(domain(1)).severity, "high");
}

TEST_F(Taxii, AHostileServerIsBoundedAndRemovesNothing) {
  seed(5, "octi");
  const auto before = writes();
  TaxiiServer t;
  fill(t);
  const std::string server = "TAXII server http://" + t.origin();
  auto expect_fail = [&](std::vector<std::string> extra, const std::string& says,
                         std::vector<std::string> env = {}) {
    SCOPED_TRACE(says);
    auto args = taxii_args(t, "sync");
    for (auto& e : extra) args.push_back(e);
    auto r = env.empty() ? cli(args)
                         : run(
                               [&] {
                                 args.insert(args.begin(), {"--format", "json"});
                                 args.push_back("--state-dir");
                                 args.push_back(state_dir());
                                 return args;
                               }(),
                               true, env);
    EXPECT_EQ(r.rc, 1) << r.err;
    EXPECT_NE(r.err.find(server), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("nothing removed"), std::string::npos) << r.err;
  };
  t.set_mode(TaxiiServer::Mode::never_ending);
  expect_fail({"--taxii-max-pages", "5"}, "still says more: true after 5 pages");
  EXPECT_EQ(t.object_requests, 5);
  t.set_mode(TaxiiServer::Mode::normal);
  expect_fail({"--taxii-max-objects", "3"}, "more than 3 objects");
  t.set_mode(TaxiiServer::Mode::big_page);
  expect_fail({"--taxii-max-page-bytes", "16384"}, "larger than the size cap of 16384");
  t.set_mode(TaxiiServer::Mode::wrong_type);
  expect_fail({}, "Content-Type 'application/json'");
  t.set_mode(TaxiiServer::Mode::normal);
  expect_fail({}, "HTTP 401 Unauthorized", {"FALCON_TAXII_TOKEN=wrong"});
  for (int status : {403, 404, 406, 416}) {
    t.set_status(status);
    expect_fail({}, "HTTP " + std::to_string(status));
  }
  t.set_status(0);
  auto wrong = taxii_args(t, "sync");
  wrong[4] = "nope";
  auto r = cli(wrong);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("HTTP 404 Not Found"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("server says: Collection not found"), std::string::npos) << r.err;
  EXPECT_EQ(writes(), before);
  EXPECT_EQ(values("octi").size(), 5u);
  EXPECT_EQ(state_files(), 0u);
}

// ---- MISP feeds -------------------------------------------------------------------------------

class Misp : public Sources {
 protected:
  static json attr(const std::string& type, const std::string& value, bool ids = true) {
    return {{"uuid", "a-" + value}, {"type", type},  {"category", "Network activity"},
            {"value", value},       {"to_ids", ids}, {"timestamp", "1767225600"}};
  }

  // A feed of three events: published (tlp:green, threat level 1), unpublished, and one tagged
  // "false-positive".
  std::string make_feed() {
    const std::string dir = dir_.path() + "/misp";
    mkdir(dir.c_str(), 0700);
    const std::string e1 = "11111111-1111-4111-8111-111111111111";
    const std::string e2 = "22222222-2222-4222-8222-222222222222";
    const std::string e3 = "33333333-3333-4333-8333-333333333333";
    json event1 = {
        {"Event",
         {{"uuid", e1},
          {"info", "Phishing wave"},
          {"threat_level_id", "1"},
          {"published", true},
          {"Tag", {{{"name", "tlp:green"}}}},
          {"Attribute",
           {attr("domain", "evil.example.com"), attr("ip-dst", "203.0.113.5"),
            attr("hostname", "c2.example.net"), attr("md5", std::string(32, 'a')),
            attr("url", "https://evil.example.com/x"), attr("sha1", std::string(40, 'b')),
            attr("domain", "benign.example.org", false),
            attr("domain|ip", "pair.example.com|203.0.113.9"),
            attr("ip-dst|port", "203.0.113.10|443"),
            attr("filename|sha256", "dropper.exe|" + falcon_it::sha256_of(7))}},
          {"Object",
           {{{"name", "file"}, {"Attribute", {attr("sha256", falcon_it::sha256_of(8))}}}}}}}};
    json event2 = {{"Event",
                    {{"uuid", e2},
                     {"info", "Draft"},
                     {"threat_level_id", "2"},
                     {"published", false},
                     {"Attribute", {attr("domain", "draft.example.com")}}}}};
    json event3 = {{"Event",
                    {{"uuid", e3},
                     {"info", "Noise"},
                     {"threat_level_id", "3"},
                     {"published", true},
                     {"Tag", {{{"name", "false-positive"}}}},
                     {"Attribute", {attr("domain", "noise.example.com")}}}}};
    json manifest = {{e1, {{"info", "Phishing wave"}, {"Tag", {{{"name", "tlp:green"}}}}}},
                     {e2, {{"info", "Draft"}}},
                     {e3, {{"info", "Noise"}, {"Tag", {{{"name", "false-positive"}}}}}}};
    std::ofstream(dir + "/manifest.json") << manifest.dump();
    std::ofstream(dir + "/" + e1 + ".json") << event1.dump();
    std::ofstream(dir + "/" + e2 + ".json") << event2.dump();
    std::ofstream(dir + "/" + e3 + ".json") << event3.dump();
    return dir;
  }

  const std::set<std::string> expected_ = {
      "evil.example.com",   "203.0.113.5",           "c2.example.net",
      std::string(32, 'a'), "pair.example.com",      "203.0.113.9",
      "203.0.113.10",       falcon_it::sha256_of(7), falcon_it::sha256_of(8)};
};

TEST_F(Misp, AFeedFolderSyncsItsIdsAttributesOnce) {
  const std::string dir = make_feed();
  auto r = cli({"sync", "--misp", dir, "--source", "misp", "--misp-exclude-tag", "false-positive"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto held = scope("misp");
  std::set<std::string> got;
  for (const auto& [v, i] : held) got.insert(v);
  EXPECT_EQ(got, expected_) << r.err;
  EXPECT_EQ(held.at("evil.example.com").severity, "high");  // threat_level_id 1
  EXPECT_EQ(held.at("evil.example.com").tags, std::vector<std::string>{"tlp:green"});
  EXPECT_EQ(held.at(falcon_it::sha256_of(7)).action, "prevent");
  const auto& meta = held.at(falcon_it::sha256_of(7)).metadata;
  ASSERT_TRUE(meta && meta->filename);
  EXPECT_EQ(*meta->filename, "dropper.exe");
  EXPECT_EQ(held.at("evil.example.com").description, "Phishing wave");
  EXPECT_NE(r.err.find("skipped 1 attribute(s) of type sha1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("skipped 1 attribute(s) of type url"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 left out by the filters"), std::string::npos) << r.err;

  const auto before = writes();
  auto again =
      cli({"sync", "--misp", dir, "--source", "misp", "--misp-exclude-tag", "false-positive"});
  EXPECT_EQ(again.rc, 0) << again.err;
  EXPECT_EQ(writes(), before);

  // --misp-unpublished and --misp-tag: the draft only.
  auto draft = cli({"import", "--misp", dir, "--source", "drafts", "--misp-unpublished",
                    "--misp-tag", "nothing-has-this"});
  EXPECT_EQ(draft.rc, 0) << draft.err;
  EXPECT_TRUE(values("drafts").empty());
  auto drafts = cli({"import", "--misp", dir + "/22222222-2222-4222-8222-222222222222.json",
                     "--source", "drafts", "--misp-unpublished"});
  EXPECT_EQ(drafts.rc, 0) << drafts.err;
  EXPECT_EQ(values("drafts"), std::set<std::string>{"draft.example.com"});
}

TEST_F(Misp, AFeedUrlReadsLikeItsFolder) {
  const std::string dir = make_feed();
  StaticServer web(dir);
  auto r = cli({"import", "--misp", web.url() + "/feed/", "--source", "misp", "--misp-exclude-tag",
                "false-positive"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(values("misp"), expected_);
  // A manifest that names a path instead of a UUID is refused before any event is read.
  std::ofstream(dir + "/manifest.json") << R"({"../../etc/passwd": {}})";
  auto bad = cli({"import", "--misp", web.url() + "/feed/", "--source", "misp2"});
  EXPECT_EQ(bad.rc, 1);
  EXPECT_NE(bad.err.find("is not an event UUID"), std::string::npos) << bad.err;
}

// ---- mapping ------------------------------------------------------------------------------------

TEST_F(Taxii, AMappingFileReplacesTheDefaults) {
  TaxiiServer t;
  fill(t);
  const std::string mapping = dir_.file("mapping.json", R"({
    "confidence": {"0": "low", "50": "high"},
    "action": {"sha256": "detect"},
    "add_tags": ["from-taxii"],
    "drop_tags": ["ap*"]
  })");
  auto args = taxii_args(t, "sync");
  args.push_back("--mapping");
  args.push_back(mapping);
  auto r = cli(args);
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto held = scope("octi");
  EXPECT_EQ(held.at(domain(0)).severity, "high");
  EXPECT_EQ(held.at(domain(1)).severity, "high");
  EXPECT_EQ(held.at(falcon_it::sha256_of(2)).severity, "low");
  EXPECT_EQ(held.at(falcon_it::sha256_of(2)).action, "detect");
  EXPECT_EQ(held.at(domain(0)).tags, std::vector<std::string>{"from-taxii"});

  const std::string bad = dir_.file("bad.json", R"({"action": {"sha256": "block"}})");
  args.back() = bad;
  auto refused = cli(args);
  EXPECT_EQ(refused.rc, 1);
  EXPECT_NE(refused.err.find("action.sha256: \"block\" is not one of"), std::string::npos)
      << refused.err;
}

}  // namespace

// ---- docs/sources.md: every example runs ------------------------------------------------------

namespace {

// The `falcon-ioc` command lines of the ```sh blocks of the page's "## Examples" section
// (continuation lines joined), and the first ```json block after "with `mapping.json`".
std::vector<std::vector<std::string>> doc_commands(const std::string& page, std::string& mapping) {
  const std::string text = falcon_cli_test::slurp(page);
  const auto at = text.find("\n## Examples\n");
  EXPECT_NE(at, std::string::npos) << page;
  std::vector<std::vector<std::string>> out;
  std::size_t pos = at;
  while ((pos = text.find("```sh\n", pos)) != std::string::npos) {
    pos += 6;
    const auto end = text.find("```", pos);
    std::string block = text.substr(pos, end - pos);
    pos = end + 3;
    std::string joined;
    for (std::size_t i = 0; i < block.size(); ++i) {
      if (block[i] == '\\' && i + 1 < block.size() && block[i + 1] == '\n') {
        ++i;
        continue;
      }
      joined += block[i];
    }
    std::istringstream lines(joined);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind("falcon-ioc ", 0) != 0) continue;
      std::istringstream words(line);
      std::vector<std::string> args;
      std::string w;
      while (words >> w) args.push_back(w);
      args.erase(args.begin());
      out.push_back(args);
    }
  }
  const auto m = text.find("```json\n", text.find("with `mapping.json`", at));
  mapping = text.substr(m + 8, text.find("```", m + 8) - m - 8);
  return out;
}

}  // namespace

TEST_F(Taxii, TheExamplesOfDocsSourcesRun) {
  FeedServer feed;
  feed.set_feed("type,value\ndomain,daily.example.com\n");
  TaxiiServer t;
  const std::string coll = "91a7b528-80eb-42ed-a74d-c6fbd5a26116";
  t.add(coll, indicator("indicator--1", dpat("octi.example.com"), "2025-12-01T00:00:00.000Z",
                        {{"confidence", 90}}));
  const std::string misp_dir = dir_.path() + "/mispfeed";
  mkdir(misp_dir.c_str(), 0700);
  const std::string uuid = "44444444-4444-4444-8444-444444444444";
  std::ofstream(misp_dir + "/manifest.json") << json{{uuid, {{"info", "x"}}}}.dump();
  std::ofstream(misp_dir + "/" + uuid + ".json")
      << json{{"Event",
               {{"uuid", uuid},
                {"info", "x"},
                {"published", true},
                {"Attribute",
                 {{{"type", "sha256"}, {"value", falcon_it::sha256_of(3)}, {"to_ids", true}}}}}}}
             .dump();
  StaticServer web(misp_dir);

  std::string mapping;
  const auto commands = doc_commands(std::string(FALCON_SOURCE_DIR) + "/docs/sources.md", mapping);
  ASSERT_EQ(commands.size(), 5u);
  const std::string mapping_file = dir_.file("mapping.json", mapping);
  for (auto args : commands) {
    for (auto& a : args) {
      for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
               {"https://intel.example.com", feed.url()},
               {"https://taxii.example.com", t.url()},
               {"https://misp.example.com", web.url()}}) {
        if (a.rfind(from, 0) == 0) a = to + a.substr(from.size());
      }
      if (a == "mapping.json") a = mapping_file;
    }
    std::string line;
    for (const auto& a : args) line += a + " ";
    SCOPED_TRACE(line);
    // Between the sync and the incremental import, the collection gains one indicator.
    if (std::find(args.begin(), args.end(), "--incremental") != args.end()) {
      t.add(coll, indicator("indicator--2", dpat("new.example.com"), "2025-12-02T00:00:00.000Z"));
    }
    auto r = cli(args);
    EXPECT_EQ(r.rc, 0) << r.err;
  }
  EXPECT_EQ(feed.not_modified, 1);
  EXPECT_EQ(values("daily"), std::set<std::string>{"daily.example.com"});
  EXPECT_EQ(scope("opencti").at("octi.example.com").severity, "critical");
  EXPECT_EQ(values("opencti-new"), std::set<std::string>{"new.example.com"});
  EXPECT_EQ(scope("misp").at(falcon_it::sha256_of(3)).action, "detect");
}
