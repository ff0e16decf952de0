// falcon-ioc's front door (issue 18): options on either side of the command, --version, "did
// you mean", the table (ID first, fitted to the width, --wide), one summary style and -q,
// bare --ids-only, numbers out of range in words, every exit code of docs/cli.md, a closed
// output pipe, CSV formula neutralisation and its round trip, and escaped control characters.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <regex>

#include "cli_fixture.hpp"
#include "falcon/feeds.hpp"
#include "falcon/version.hpp"

using falcon_cli_test::Cli;
using falcon_cli_test::RunResult;
using falcon_cli_test::slurp;
using nlohmann::json;

namespace {

class FrontDoor : public Cli {
 protected:
  // The lines of `text`.
  static std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string l;
    while (std::getline(in, l)) out.push_back(l);
    return out;
  }

  // Starts falcon-ioc with stdout on a pipe whose read end is returned in `read_fd`.
  pid_t spawn_piped(std::vector<std::string> args, int& read_fd) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    const std::string err = dir_.path() + "/stderr";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<std::string> env = {"PATH=/usr/bin:/bin",
                                    "FALCON_CLIENT_ID=" + std::string(falcon_it::kClientId),
                                    "FALCON_CLIENT_SECRET=" + std::string(falcon_it::kClientSecret),
                                    "FALCON_BASE_URL=" + emu().base_url()};
    args.insert(args.begin(), FALCON_IOC_PATH);
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawn(&pid, FALCON_IOC_PATH, &fa, nullptr, argv.data(), envp.data()) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    read_fd = fds[0];
    return pid;
  }

  void seed_many(int n, const std::string& source) {
    for (int start = 0; start < n; start += 2000) {
      json items = json::array();
      for (int i = start; i < std::min(n, start + 2000); ++i) {
        items.push_back(falcon_it::domain_item("p" + std::to_string(i) + ".example.com", source));
      }
      emu().add_indicators(items);
    }
  }

  std::uint64_t requests(const std::string& route) {
    return emu().counters().requests_per_route[route];
  }
};

constexpr const char* kCombined = "GET /iocs/combined/indicator/v1";

}  // namespace

TEST_F(FrontDoor, OptionsComeBeforeOrAfterTheCommand) {
  seed_domain("one.example.com", "acme");
  seed_domain("two.example.com", "acme");
  // The --help footer's own example, with --format after the command.
  auto after = run({"export", "--filter", "source:'acme'", "--format", "csv"});
  ASSERT_EQ(after.rc, 0) << after.err;
  EXPECT_EQ(falcon::feeds::read_string(after.out, {}).entries.size(), 2u);
  auto before = run({"--format", "csv", "export", "--filter", "source:'acme'"});
  EXPECT_EQ(before.out, after.out);
  auto nd = run({"search", "--filter", "source:'acme'", "--format", "ndjson", "-q"});
  ASSERT_EQ(nd.rc, 0) << nd.err;
  EXPECT_EQ(ndjson(nd.out).size(), 2u);
  auto eq = run({"search", "--format=json", "--filter=source:'acme'"});
  ASSERT_EQ(eq.rc, 0) << eq.err;
  EXPECT_EQ(json::parse(eq.out).size(), 2u);
  // A bad value after the command is still a usage error, naming the option.
  auto bad = run({"types", "--format", "xml"});
  EXPECT_EQ(bad.rc, 2);
  EXPECT_NE(bad.err.find("--format"), std::string::npos) << bad.err;
}

TEST_F(FrontDoor, VersionAndDidYouMean) {
  auto v = run({"--version"}, false);
  EXPECT_EQ(v.rc, 0);
  EXPECT_EQ(v.out.rfind(std::string("falcon-ioc ") + FALCON_CPP_VERSION_STRING, 0), 0u) << v.out;

  auto typo = run({"serach", "--filter", "x"}, false);
  EXPECT_EQ(typo.rc, 2);
  EXPECT_NE(typo.err.find("unknown command 'serach'"), std::string::npos) << typo.err;
  EXPECT_NE(typo.err.find("Did you mean 'search'?"), std::string::npos) << typo.err;
  auto after_global = run({"--format", "json", "exprot"}, false);
  EXPECT_EQ(after_global.rc, 2);
  EXPECT_NE(after_global.err.find("Did you mean 'export'?"), std::string::npos);
  auto nonsense = run({"frobnicate"}, false);
  EXPECT_EQ(nonsense.rc, 2);
  EXPECT_EQ(nonsense.err.find("Did you mean"), std::string::npos) << nonsense.err;

  auto opt = run({"search", "--limt", "5"}, false);
  EXPECT_EQ(opt.rc, 2);
  EXPECT_NE(opt.err.find("Did you mean '--limit'?"), std::string::npos) << opt.err;
  auto first = run({"--fromat", "json", "search"}, false);
  EXPECT_EQ(first.rc, 2);
  EXPECT_NE(first.err.find("Did you mean '--format'?"), std::string::npos) << first.err;
  auto global = run({"search", "--fromat", "json"}, false);
  EXPECT_EQ(global.rc, 2);
  EXPECT_NE(global.err.find("Did you mean '--format'?"), std::string::npos) << global.err;
}

TEST_F(FrontDoor, TableShowsTheIdFirstAndFitsTheWidth) {
  const std::string long_value = "a-rather-long-subdomain-name-for-the-table.example.com";
  const std::string id = seed_domain(long_value, "table-source");
  auto wide_term = run({"--format", "table", "get", id}, true, {"COLUMNS=200"});
  ASSERT_EQ(wide_term.rc, 0) << wide_term.err;
  auto rows = lines(wide_term.out);
  ASSERT_EQ(rows.size(), 2u) << wide_term.out;
  EXPECT_EQ(rows[0].rfind("ID  ", 0), 0u) << rows[0];
  EXPECT_EQ(rows[1].rfind(id + "  domain", 0), 0u) << rows[1];  // the whole id, first
  EXPECT_NE(rows[1].find(long_value), std::string::npos);
  EXPECT_NE(rows[0].find("SOURCE"), std::string::npos);

  // 100 columns: the value is cut with an ellipsis, nothing is longer than the width.
  auto narrow = run({"--format", "table", "get", id}, true, {"COLUMNS=100"});
  ASSERT_EQ(narrow.rc, 0);
  rows = lines(narrow.out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].rfind(id, 0), 0u);
  EXPECT_EQ(rows[1].find(long_value), std::string::npos);
  EXPECT_NE(rows[1].find("\u2026"), std::string::npos) << rows[1];
  for (const auto& r : rows) {
    std::size_t cols = 0;
    for (char c : r) cols += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    EXPECT_LE(cols, 100u) << r;
  }
  // No $COLUMNS and no terminal: 80 columns, so the optional columns are left out.
  auto plain = run({"--format", "table", "get", id});
  EXPECT_EQ(lines(plain.out).at(0).find("SOURCE"), std::string::npos) << plain.out;

  // --wide: every column, nothing cut, even at 60 columns.
  auto wide = run({"get", id, "--format", "table", "--wide"}, true, {"COLUMNS=60"});
  ASSERT_EQ(wide.rc, 0);
  rows = lines(wide.out);
  ASSERT_EQ(rows.size(), 2u);
  for (const char* h : {"ID", "TYPE", "VALUE", "ACTION", "SEVERITY", "PLATFORMS", "TAGS",
                        "EXPIRATION", "DESCRIPTION", "SOURCE"}) {
    EXPECT_NE(rows[0].find(h), std::string::npos) << h;
  }
  EXPECT_NE(rows[1].find(long_value), std::string::npos);
  EXPECT_NE(rows[1].find("table-source"), std::string::npos);
  EXPECT_EQ(rows[1].find("\u2026"), std::string::npos);
}

TEST_F(FrontDoor, ControlCharactersAreEscapedInTablesAndPlans) {
  const std::string evil = "\x1b]0;pwned\x07\x1b[31m";
  json item = falcon_it::domain_item("evil.example.com", evil);
  item["description"] =
      "line\r\nbreak\xc2\x9b"
      "2J";
  const std::string id = emu().add_indicators(json::array({item})).at(0);
  auto t = run({"--format", "table", "--wide", "get", id});
  ASSERT_EQ(t.rc, 0) << t.err;
  EXPECT_EQ(t.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(t.out.find('\x07'), std::string::npos);
  EXPECT_EQ(t.out.find('\r'), std::string::npos);
  EXPECT_EQ(t.out.find("\xc2\x9b"), std::string::npos);  // C1 CSI
  EXPECT_NE(t.out.find("\\x1b]0;pwned\\x07\\x1b[31m"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("line\\x0d\\x0abreak\\xc2\\x9b2J"), std::string::npos) << t.out;
  EXPECT_EQ(lines(t.out).size(), 2u);  // the CR LF did not split the row

  // The plan: the same value claimed by a feed of another source is a conflict naming the
  // existing source.
  auto feed = dir_.file("feed.csv", "value\nevil.example.com\n");
  auto plan = run({"sync", feed, "--source", "acme", "--dry-run", "--format", "table"});
  ASSERT_EQ(plan.rc, 0) << plan.err;
  EXPECT_NE(plan.out.find("! conflict domain evil.example.com"), std::string::npos) << plan.out;
  EXPECT_EQ(plan.out.find('\x1b'), std::string::npos);
  EXPECT_NE(plan.out.find("source '\\x1b]0;pwned\\x07\\x1b[31m'"), std::string::npos) << plan.out;

  // Feed errors echo the bad value escaped (a binary file must not reach the terminal raw).
  auto binary = dir_.file("binary.txt", std::string("\x1b[2Jbad\x01value\n", 13));
  auto imp = run({"import", binary, "--source", "bin"});
  EXPECT_NE(imp.rc, 0);
  EXPECT_EQ(imp.err.find('\x1b'), std::string::npos);
  EXPECT_NE(imp.err.find("\\x1b[2Jbad\\x01value"), std::string::npos) << imp.err;
}

TEST_F(FrontDoor, QuietSilencesEverySummaryAndSummariesAreText) {
  auto feed = dir_.file("feed.csv", "value\nq1.example.com\nq2.example.com\n");
  // import: text on stderr unless --format json, whatever stdout is.
  auto text = run({"import", feed, "--source", "imp"});
  ASSERT_EQ(text.rc, 0) << text.err;
  EXPECT_EQ(text.out, "");
  EXPECT_NE(text.err.find("created 2, failed 0, rejected 0, skipped 0"), std::string::npos);
  auto js = run({"import", dir_.file("j.csv", "value\nj1.example.com\n"), "--source", "imp2",
                 "--format", "json", "-q"});
  ASSERT_EQ(js.rc, 0) << js.err;
  EXPECT_EQ(json::parse(js.out)["created"], 1);  // JSON only because --format json asked

  // -q: no summary from import, sync (Applied), export or delete.
  auto feed2 = dir_.file("feed2.csv", "value\nq3.example.com\n");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"import", feed2, "--source", "quiet", "-q"},
           {"sync", feed2, "--source", "quiet2", "--format", "table", "-q", "--adopt"},
           {"export", "-q"},
           {"-q", "search", "--filter", "source:'imp'", "--format", "csv"}}) {
    auto r = run(args);
    EXPECT_EQ(r.rc, 0) << args[0] << ": " << r.err;
    EXPECT_EQ(r.err, "") << args[0];
  }
  auto ids = run({"search", "--filter", "source:'imp'", "--ids-only"});
  auto del = run({"delete", lines(ids.out).at(0), "-q"});
  EXPECT_EQ(del.rc, 0);
  EXPECT_EQ(del.err, "");
  auto loud = run({"sync", feed2, "--source", "quiet2", "--format", "table"});
  EXPECT_EQ(loud.rc, 0);
  EXPECT_EQ(loud.err, "");  // nothing to apply: no Applied line either
}

TEST_F(FrontDoor, IdsOnlyIsBareInEveryFormatAndLimitsAreInWords) {
  std::set<std::string> seeded;
  for (int i = 0; i < 5; ++i) seeded.insert(seed_domain("b" + std::to_string(i) + ".example.com"));
  for (const char* f : {"table", "json", "ndjson", "csv"}) {
    auto r = run({"search", "--ids-only", "--format", f, "--filter", "source:'seed'"});
    ASSERT_EQ(r.rc, 0) << f << r.err;
    auto got = lines(r.out);
    EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), seeded) << f << "\n" << r.out;
  }
  auto limited = run({"export", "--limit", "3", "--format", "ndjson"});
  ASSERT_EQ(limited.rc, 0) << limited.err;
  EXPECT_EQ(ndjson(limited.out).size(), 3u);
  EXPECT_NE(limited.err.find("exported 3 indicators"), std::string::npos);

  auto zero = run({"search", "--limit", "0"}, false);
  EXPECT_EQ(zero.rc, 2);
  EXPECT_NE(zero.err.find("--limit must be between 1 and 1000000000 (got 0)"), std::string::npos)
      << zero.err;
  EXPECT_LT(zero.err.size(), 200u);  // no 300-digit range
  auto size = run({"aggregate", "--size", "5000"}, false);
  EXPECT_EQ(size.rc, 2);
  EXPECT_NE(size.err.find("--size must be between 1 and 1000 (got 5000)"), std::string::npos);
  auto batch = run({"import", "x.csv", "--batch", "0"}, false);
  EXPECT_EQ(batch.rc, 2);
  EXPECT_NE(batch.err.find("--batch must be between 1 and 2000"), std::string::npos);
  EXPECT_EQ(run({"export", "--limit", "-1"}, false).rc, 2);
}

// Each row of docs/cli.md's exit-code table, in the order of the table.
TEST_F(FrontDoor, EveryExitCodeOfCliMd) {
  const std::string table = slurp(std::string(FALCON_SOURCE_DIR) + "/docs/cli.md");
  for (int code = 0; code <= 4; ++code) {
    EXPECT_NE(table.find("| " + std::to_string(code) + " |"), std::string::npos) << code;
  }
  auto feed = dir_.file("ok.csv", "value\nx1.example.com\n");
  // 0: done, and nothing to do.
  EXPECT_EQ(run({"import", feed, "--source", "codes"}).rc, 0);
  EXPECT_EQ(run({"sync", feed, "--source", "codes"}).rc, 0);
  // 1: bad credentials, unreachable API, an API error, a feed that cannot be read (missing or
  // unreadable), a missing credentials file; Ctrl-C is CliTest.CtrlCStops...
  EXPECT_EQ(run({"login"}, false,
                {"FALCON_CLIENT_ID=nobody", "FALCON_CLIENT_SECRET=wrong",
                 "FALCON_BASE_URL=" + emu().base_url()})
                .rc,
            1);
  EXPECT_EQ(
      run({"types"}, false,
          {"FALCON_CLIENT_ID=a", "FALCON_CLIENT_SECRET=b", "FALCON_BASE_URL=http://127.0.0.1:1"})
          .rc,
      1);
  EXPECT_EQ(run({"search", "--filter", "nosuchfield:'x'"}).rc, 1);
  auto missing_feed = run({"import", dir_.path() + "/no-such-feed.csv"});
  EXPECT_EQ(missing_feed.rc, 1) << missing_feed.err;
  EXPECT_NE(missing_feed.err.find("no-such-feed.csv"), std::string::npos);
  EXPECT_EQ(run({"sync", dir_.path() + "/no-such-feed.csv", "--source", "codes"}).rc, 1);
  EXPECT_EQ(run({"undo", dir_.path() + "/no-such.journal"}).rc, 1);
  auto missing_cred = run({"--credentials", dir_.path() + "/no-such-credentials", "login"}, false);
  EXPECT_EQ(missing_cred.rc, 1) << missing_cred.err;
  EXPECT_EQ(run({"--allow-list", dir_.path() + "/no-such-list", "import", feed}).rc, 1);
  // 2: unknown command or option, a bad option value, a missing required option.
  EXPECT_EQ(run({"frobnicate"}).rc, 2);
  EXPECT_EQ(run({"search", "--frobnicate"}).rc, 2);
  EXPECT_EQ(run({"sync", feed, "--source", "codes", "--on-missing", "explode"}).rc, 2);
  EXPECT_EQ(run({"sync", feed}).rc, 2);
  // 3: partial.
  EXPECT_EQ(run({"import", dir_.file("half.csv",
                                     "value,severity\nx2.example.com,high\n"
                                     "x3.example.com,extreme\n")})
                .rc,
            3);
  // 4: refused by a guard (an allow-listed value given to create).
  EXPECT_EQ(run({"create", "--value", "10.1.2.3", "--action", "detect", "--severity", "low"}).rc,
            4);
}

TEST_F(FrontDoor, AClosedPipeStopsPagingAtOnceAndQuietly) {
  seed_many(5000, "pipe");  // three pages of 2,000
  const auto before = requests(kCombined);
  int fd = -1;
  const pid_t pid = spawn_piped({"--format", "ndjson", "export", "--filter", "source:'pipe'"}, fd);
  ASSERT_GT(pid, 0);
  // Read one line, as `head -1` does, then close the pipe.
  std::string got;
  char buf[256];
  while (got.find('\n') == std::string::npos) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(json::parse(got.substr(0, got.find('\n')))["source"], "pipe");
  EXPECT_EQ(slurp(dir_.path() + "/stderr"), "");  // quiet: no "exported N", no error
  // The first page filled the pipe; no second page was asked for.
  EXPECT_EQ(requests(kCombined) - before, 1u);
}

TEST_F(FrontDoor, CsvCellsAreNeutralisedAndReadBack) {
  json item = falcon_it::domain_item("formula.example.com", "=HYPERLINK(\"http://x\")");
  item["tags"] = {"-1", "=cmd", "+plus", "@at", "'=quoted", "plain"};
  item["description"] = "-1";
  const std::string id = emu().add_indicators(json::array({item})).at(0);
  auto csv = run({"export", "--filter", "source:'=HYPERLINK(\"http://x\")'", "-q"});
  ASSERT_EQ(csv.rc, 0) << csv.err;
  // Every cell that starts like a formula got a leading quote (and an existing quote one more).
  EXPECT_NE(csv.out.find(",\"'=HYPERLINK(\"\"http://x\"\")\""), std::string::npos) << csv.out;
  EXPECT_NE(csv.out.find(",'-1,"), std::string::npos) << csv.out;  // the description
  EXPECT_NE(csv.out.find(",'-1;"), std::string::npos) << csv.out;  // the tags cell
  auto raw = run({"export", "--csv-raw", "--filter", "source:'=HYPERLINK(\"http://x\")'", "-q"});
  EXPECT_NE(raw.out.find(",\"=HYPERLINK("), std::string::npos) << raw.out;
  EXPECT_NE(raw.out.find(",-1,"), std::string::npos) << raw.out;

  // search and aggregate neutralise too.
  auto search = run({"search", "--format", "csv", "--filter", "value:'formula.example.com'"});
  EXPECT_EQ(search.out, csv.out);
  auto agg = run({"aggregate", "--field", "source", "--format", "csv"});
  EXPECT_NE(agg.out.find("\"'=HYPERLINK("), std::string::npos) << agg.out;
  auto agg_raw = run({"aggregate", "--field", "source", "--format", "csv", "--csv-raw"});
  EXPECT_NE(agg_raw.out.find("\"=HYPERLINK("), std::string::npos) << agg_raw.out;

  // export -> import gives back every value exactly.
  auto file = dir_.file("export.csv", csv.out);
  auto back = falcon::feeds::read_string(csv.out, {});
  ASSERT_EQ(back.entries.size(), 1u);
  const auto& spec = back.entries[0].spec;
  EXPECT_EQ(*spec.source, "=HYPERLINK(\"http://x\")");
  EXPECT_EQ(*spec.description, "-1");
  const auto original = emu().indicator(id);
  EXPECT_EQ(json(*spec.tags), original["tags"]);
  // And through the binary: delete, re-import the export, compare.
  ASSERT_EQ(run({"delete", id, "-q"}).rc, 0);
  auto imp = run({"import", file, "-q"});
  ASSERT_EQ(imp.rc, 0) << imp.err;
  auto again = run({"search", "--format", "json", "--filter", "value:'formula.example.com'"});
  auto rec = json::parse(again.out).at(0);
  EXPECT_EQ(rec["source"], "=HYPERLINK(\"http://x\")");
  EXPECT_EQ(rec["description"], "-1");
  EXPECT_EQ(rec["tags"], original["tags"]);
}
