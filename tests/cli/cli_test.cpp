// falcon-ioc end to end: the real binary against an in-process emulator over loopback HTTP.
// Every subcommand, each output format, credentials handling, and the exit codes 0/1/2/3.
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "cli_fixture.hpp"
#include "falcon/feeds.hpp"

using nlohmann::json;

using falcon_cli_test::Cli;
using falcon_cli_test::RunResult;
using falcon_cli_test::slurp;
using falcon_cli_test::TempDir;

TEST_F(Cli, HelpAndUsageErrors) {
  auto help = run({"--help"}, false);
  EXPECT_EQ(help.rc, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos);
  EXPECT_NE(help.out.find("sync"), std::string::npos);
  for (const char* sub : {"login", "create", "get", "search", "update", "delete", "import",
                          "export", "sync", "aggregate", "devices", "processes", "types"}) {
    auto r = run({sub, "--help"}, false);
    EXPECT_EQ(r.rc, 0) << sub;
    EXPECT_NE(r.out.find("Example"), std::string::npos) << sub;
  }
  EXPECT_EQ(run({}, false).rc, 2);
  EXPECT_EQ(run({"frobnicate"}, false).rc, 2);
  EXPECT_EQ(run({"search", "--limit", "-3"}, false).rc, 2);
  EXPECT_EQ(run({"--format", "xml", "types"}, false).rc, 2);
  auto secret_flag = run({"--client-secret", "x", "login"}, false);
  EXPECT_EQ(secret_flag.rc, 2);  // there is no such flag: secrets never go on a command line
}

TEST_F(Cli, CredentialsFromEnvOrAPrivateFile) {
  auto none = run({"login"}, false);
  EXPECT_EQ(none.rc, 1);
  EXPECT_NE(none.err.find("client_id"), std::string::npos);

  const std::string body = "# falcon\nclient_id=" + std::string(falcon_it::kClientId) +
                           "\nFALCON_CLIENT_SECRET=" + falcon_it::kClientSecret +
                           "\nbase_url=" + emu().base_url() + "\n";
  auto open = dir_.file("open.cred", body, 0644);
  auto r = run({"--credentials", open, "login"}, false);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("chmod 600"), std::string::npos);

  auto priv = dir_.file("priv.cred", body, 0600);
  auto ok = run({"--credentials", priv, "--format", "json", "login"}, false);
  ASSERT_EQ(ok.rc, 0) << ok.err;
  auto j = json::parse(ok.out);
  EXPECT_EQ(j["base_url"], emu().base_url());
  EXPECT_EQ(j["cloud"], "custom");
  EXPECT_GT(j["token_expires_in_seconds"].get<long long>(), 1000);
  EXPECT_EQ(ok.out.find(falcon_it::kClientSecret), std::string::npos);
  EXPECT_EQ(ok.err.find(falcon_it::kClientSecret), std::string::npos);

  auto table = run({"--format", "table", "login"});
  EXPECT_EQ(table.rc, 0);
  EXPECT_NE(table.out.find("token expires:"), std::string::npos);

  auto wrong = run({"login"}, false,
                   {"FALCON_CLIENT_ID=nobody", "FALCON_CLIENT_SECRET=wrong-secret-value",
                    "FALCON_BASE_URL=" + emu().base_url()});
  EXPECT_EQ(wrong.rc, 1);
  EXPECT_EQ(wrong.err.find("wrong-secret-value"), std::string::npos);
}

TEST_F(Cli, CreateGetUpdateSearchDeleteInEveryFormat) {
  auto c =
      run({"--format", "json", "create", "--value", "Cli.Example.com", "--action", "detect",
           "--severity", "high", "--platforms", "windows,mac", "--tags", "a,b", "--source", "cli"});
  ASSERT_EQ(c.rc, 0) << c.err;
  auto created = json::parse(c.out);
  ASSERT_EQ(created.size(), 1u);
  const std::string id = created[0]["id"];
  EXPECT_EQ(created[0]["type"], "domain");  // inferred
  EXPECT_EQ(created[0]["value"], "cli.example.com");

  auto nd = run({"--format", "ndjson", "get", id});
  ASSERT_EQ(nd.rc, 0);
  EXPECT_EQ(ndjson(nd.out).at(0)["id"], id);
  auto csv = run({"--format", "csv", "get", id});
  ASSERT_EQ(csv.rc, 0);
  auto back = falcon::feeds::read_string(csv.out, {});
  ASSERT_EQ(back.entries.size(), 1u);  // the CSV reads back as a feed
  EXPECT_EQ(*back.entries[0].spec.severity, "high");
  EXPECT_EQ(*back.entries[0].spec.tags, (std::vector<std::string>{"a", "b"}));
  auto table = run({"--format", "table", "get", id});
  ASSERT_EQ(table.rc, 0);
  EXPECT_NE(table.out.find("TYPE"), std::string::npos);
  EXPECT_NE(table.out.find("cli.example.com"), std::string::npos);
  // Not a terminal: ndjson by default, so pipes get one record per line.
  EXPECT_EQ(ndjson(run({"get", id}).out).size(), 1u);

  auto up = run({"--format", "json", "update", id, "--severity", "low", "--comment", "lower"});
  ASSERT_EQ(up.rc, 0) << up.err;
  EXPECT_EQ(json::parse(up.out)[0]["severity"], "low");

  auto bad = run({"create", "--value", "x.example", "--action", "explode"});
  EXPECT_EQ(bad.rc, 1);
  EXPECT_NE(bad.err.find("action"), std::string::npos);

  for (int i = 0; i < 30; ++i) seed_domain("s" + std::to_string(i) + ".example.com");
  auto s = run({"--format", "ndjson", "search", "--filter", "source:'seed'", "--sort", "value.asc",
                "--limit", "25"});
  ASSERT_EQ(s.rc, 0) << s.err;
  auto rows = ndjson(s.out);
  EXPECT_EQ(rows.size(), 25u);
  EXPECT_EQ(rows[0]["value"], "s0.example.com");
  // --ids-only: bare ids, one a line, even with --format json (FrontDoor tests every format).
  auto ids = run({"--format", "json", "search", "--filter", "source:'seed'", "--ids-only"});
  ASSERT_EQ(ids.rc, 0);
  EXPECT_EQ(std::count(ids.out.begin(), ids.out.end(), '\n'), 30);
  EXPECT_EQ(ids.out.find('"'), std::string::npos);
  auto badq = run({"search", "--filter", "nosuchfield:'x'"});
  EXPECT_EQ(badq.rc, 1);
  EXPECT_NE(badq.err.find("400"), std::string::npos);

  auto d = run({"delete", id, "--comment", "cli test"});
  EXPECT_EQ(d.rc, 0) << d.err;
  EXPECT_EQ(d.out, id + "\n");
  EXPECT_TRUE(emu().indicator(id)["deleted"].get<bool>());

  // One found, one unknown: partial.
  const std::string other = seed_domain("other.example.com");
  auto partial = run({"--format", "ndjson", "get", other, std::string(64, 'f')});
  EXPECT_EQ(partial.rc, 3);
  EXPECT_EQ(ndjson(partial.out).size(), 1u);
  EXPECT_NE(partial.err.find("not found"), std::string::npos);
}

TEST_F(Cli, ImportFiveThousandRowsWithTwentyBadOnes) {
  std::string csv = "type,value,action,severity,platforms,tags\n";
  std::set<int> bad_lines;
  for (int i = 0; i < 5000; ++i) {
    const int line = i + 2;
    if (i % 250 == 7) {
      bad_lines.insert(line);
      csv += (i % 500 == 7) ? "sha256,nothex" + std::to_string(i) + ",detect,high,windows,\n"
                            : "domain,bad" + std::to_string(i) +
                                  ".example.com,detect,extreme,"
                                  "windows,\n";
      continue;
    }
    csv += "domain,imp" + std::to_string(i) + ".example.com,detect,high,windows;linux,feed\n";
  }
  ASSERT_EQ(bad_lines.size(), 20u);
  auto file = dir_.file("feed.csv", csv);
  auto r = run({"--format", "json", "import", file, "--source", "import-test"});
  EXPECT_EQ(r.rc, 3) << r.err;
  auto j = json::parse(r.out);
  EXPECT_EQ(j["created"], 4980);
  EXPECT_EQ(j["rejected"], 20);
  EXPECT_EQ(j["failed"], 0);
  EXPECT_EQ(emu().indicator_count(), 4980u);
  // Each bad row named with its line and reason.
  std::set<int> reported;
  std::regex re(R"(feed\.csv:(\d+): error in (\w+))");
  for (std::sregex_iterator it(r.err.begin(), r.err.end(), re), end; it != end; ++it) {
    reported.insert(std::stoi((*it)[1]));
    const std::string field = (*it)[2];
    EXPECT_TRUE(field == "value" || field == "severity") << field;
  }
  EXPECT_EQ(reported, bad_lines);

  auto clean = dir_.file("clean.txt", "# text feed\nclean1.example.com\n192.0.2.44\n");
  auto ok = run({"import", clean, "--source", "t", "--severity", "low"});
  EXPECT_EQ(ok.rc, 0) << ok.err;
  auto none = dir_.file("none.csv", "value,colour\nx.com,red\n");
  auto fatal = run({"import", none});
  EXPECT_EQ(fatal.rc, 1);
  EXPECT_NE(fatal.err.find("unknown column 'colour'"), std::string::npos);
}

TEST_F(Cli, ExportStreamsEveryFormat) {
  for (int start = 0; start < 2500; start += 1250) {
    json items = json::array();
    for (int i = start; i < start + 1250; ++i) {
      items.push_back(falcon_it::domain_item("e" + std::to_string(i) + ".example.com", "exp"));
    }
    emu().add_indicators(items);  // at most 2,000 per call
  }
  auto csv = run({"export", "--filter", "source:'exp'"});  // CSV by default
  ASSERT_EQ(csv.rc, 0) << csv.err;
  auto back = falcon::feeds::read_string(csv.out, {});
  EXPECT_EQ(back.entries.size(), 2500u);
  EXPECT_TRUE(back.summary.clean());
  EXPECT_NE(csv.err.find("exported 2500"), std::string::npos);
  EXPECT_EQ(csv.err.find('\r'), std::string::npos);  // no progress bar: stderr is no terminal
  auto js = run({"--format", "json", "export", "--filter", "source:'exp'"});
  EXPECT_EQ(json::parse(js.out).size(), 2500u);
  auto nd = run({"--format", "ndjson", "--quiet", "export"});
  EXPECT_EQ(ndjson(nd.out).size(), 2500u);
  EXPECT_EQ(nd.err, "");
}

TEST_F(Cli, SyncDryRunThenApplyThenNothing) {
  std::string feed = "value,severity\n";
  for (int i = 0; i < 50; ++i) feed += "f" + std::to_string(i) + ".example.com,high\n";
  auto file = dir_.file("feed.csv", feed);
  seed_domain("f7.example.com", "someone-else");  // a conflict

  auto dry = run({"--format", "table", "sync", file, "--source", "acme", "--dry-run"});
  ASSERT_EQ(dry.rc, 0) << dry.err;
  EXPECT_NE(dry.out.find("+ create domain f0.example.com"), std::string::npos);
  EXPECT_NE(dry.out.find("! conflict domain f7.example.com"), std::string::npos);
  EXPECT_NE(dry.out.find("Plan: 49 to create, 0 to update, 0 to delete, 0 to expire, 1 conflicts"),
            std::string::npos);
  EXPECT_EQ(emu().indicator_count(), 1u);  // dry run wrote nothing

  auto apply = run({"--format", "table", "sync", file, "--source", "acme"});
  ASSERT_EQ(apply.rc, 0) << apply.err;
  EXPECT_NE(apply.err.find("Applied: 49 written, 0 failed"), std::string::npos);
  EXPECT_EQ(emu().indicator_count(), 50u);

  // Changed severities, one dropped: update and delete, shown with the changed field.
  std::string next = "value,severity\n";
  for (int i = 1; i < 50; ++i) {
    next += "f" + std::to_string(i) + ".example.com," + (i == 3 ? "low" : "high") + "\n";
  }
  auto file2 = dir_.file("feed2.csv", next);
  auto plan = run({"--format", "table", "sync", file2, "--source", "acme", "--dry-run"});
  ASSERT_EQ(plan.rc, 0);
  EXPECT_NE(plan.out.find("~ update domain f3.example.com (severity: \"high\" -> \"low\")"),
            std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("- delete domain f0.example.com"), std::string::npos);
  auto js = run({"--format", "json", "sync", file2, "--source", "acme", "--on-missing", "expire"});
  ASSERT_EQ(js.rc, 0) << js.err;
  auto pj = json::parse(js.out);
  EXPECT_EQ(pj["summary"]["update"], 1);
  EXPECT_EQ(pj["summary"]["expire"], 1);
  auto again =
      run({"--format", "table", "sync", file2, "--source", "acme", "--on-missing", "expire"});
  EXPECT_EQ(again.rc, 0);
  EXPECT_NE(again.out.find("Plan: 0 to create, 0 to update, 0 to delete, 0 to expire"),
            std::string::npos);
  EXPECT_EQ(run({"sync", file2}).rc, 2);  // --source is required
}

TEST_F(Cli, AggregateDevicesProcessesAndValueLists) {
  for (int i = 0; i < 5; ++i) seed_domain("a" + std::to_string(i) + ".example.com");
  auto agg = run({"--format", "json", "aggregate", "--field", "type"});
  ASSERT_EQ(agg.rc, 0) << agg.err;
  auto buckets = json::parse(agg.out);
  ASSERT_EQ(buckets.size(), 1u);
  EXPECT_EQ(buckets[0]["label"], "domain");
  EXPECT_EQ(buckets[0]["count"], 5);
  auto aggcsv = run({"--format", "csv", "aggregate", "--field", "type"});
  EXPECT_EQ(aggcsv.out, "label,count\ndomain,5\n");

  // The emulator's synthetic data: find a value that ran somewhere.
  std::string value, device;
  for (int i = 0; i < 40 && device.empty(); ++i) {
    value = "dev" + std::to_string(i) + ".example.com";
    auto d = run({"--format", "json", "devices", "--value", value});
    ASSERT_EQ(d.rc, 0) << d.err;
    auto ids = json::parse(d.out);
    if (!ids.empty()) device = ids[0];
  }
  ASSERT_FALSE(device.empty());
  auto p = run({"--format", "ndjson", "processes", "--value", value, "--device-id", device});
  ASSERT_EQ(p.rc, 0) << p.err;
  auto procs = ndjson(p.out);
  ASSERT_FALSE(procs.empty());
  EXPECT_EQ(procs[0].get<std::string>().rfind("pid:" + device, 0), 0u);
  auto badp = run({"processes", "--value", value, "--device-id", "nothex"});
  EXPECT_EQ(badp.rc, 1);

  auto types = run({"--format", "json", "types"});
  ASSERT_EQ(types.rc, 0);
  EXPECT_EQ(json::parse(types.out).size(), 5u);
  auto sev = run({"--format", "csv", "types", "severities"});
  EXPECT_NE(sev.out.find("critical"), std::string::npos);
  EXPECT_EQ(run({"types", "planets"}).rc, 2);
}

TEST_F(Cli, ServerUnreachableIsAnError) {
  auto r =
      run({"login"}, false,
          {"FALCON_CLIENT_ID=a", "FALCON_CLIENT_SECRET=b", "FALCON_BASE_URL=http://127.0.0.1:1"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("falcon-ioc:"), std::string::npos);
}

TEST_F(Cli, CtrlCStopsBetweenRequestsAndReportsWhatWasWritten) {
  std::string csv = "value\n";
  for (int i = 0; i < 6000; ++i) csv += "int" + std::to_string(i) + ".example.com\n";
  auto file = dir_.file("big.csv", csv);
  // Slow creates, so the interrupt lands while the import is under way.
  falcon::emulator::Fault slow;
  slow.kind = falcon::emulator::Fault::Kind::latency;
  slow.latency_ms = 300;
  slow.method = "POST";
  slow.path = "/iocs/entities/indicators/v1";
  slow.count = -1;
  emu().inject(slow);
  const pid_t pid = spawn({"--format", "json", "import", file, "--batch", "500"});
  ASSERT_GT(pid, 0);
  // Wait (bounded) until the first create request has arrived, then press Ctrl-C.
  for (int i = 0;
       i < 500 && emu().counters().requests_per_route["POST /iocs/entities/indicators/v1"] == 0;
       ++i) {
    usleep(10'000);
  }
  kill(pid, SIGINT);
  auto r = finish(pid);
  EXPECT_EQ(r.rc, 1) << r.err;
  EXPECT_NE(r.err.find("interrupted"), std::string::npos);
  auto j = json::parse(r.out);
  const auto created = j["created"].get<std::size_t>();
  EXPECT_GE(created, 500u);  // the batch in flight was finished, not cut
  EXPECT_LT(created, 6000u);
  EXPECT_EQ(created % 500, 0u);                 // whole batches only
  EXPECT_EQ(emu().indicator_count(), created);  // what it reports is what was written
}
