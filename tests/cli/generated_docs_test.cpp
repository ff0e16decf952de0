// falcon-ioc's completion scripts and man pages against its --help (CLI11's own printer of the
// same tree): every subcommand and option is in each, the bash script completes for real, the
// roff passes groff's warnings, and the build wrote the same files the binary prints.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Output {
  int rc = -1;
  std::string out;
};

// `cmd` through sh; stdout (and stderr when `with_stderr`).
Output sh(const std::string& cmd, bool with_stderr = false) {
  Output r;
  FILE* p = popen((cmd + (with_stderr ? " 2>&1" : "")).c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

const std::string kIoc = FALCON_IOC_PATH;

// roff source with the escapes the generators write undone: \- and font changes.
std::string plain(const std::string& roff) {
  std::string out;
  for (std::size_t i = 0; i < roff.size(); ++i) {
    if (roff[i] == '\\' && i + 1 < roff.size()) {
      if (roff[i + 1] == '-') {
        out.push_back('-');
        ++i;
        continue;
      }
      if (roff[i + 1] == 'f' && i + 2 < roff.size()) {
        i += 2;
        continue;
      }
    }
    out.push_back(roff[i]);
  }
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The subcommands and options --help lists: CLI11's formatter, not our generator.
struct Help {
  std::vector<std::string> commands;
  std::set<std::string> options;  // every -x / --long, of the root and every subcommand
};

std::set<std::string> options_in(const std::string& help) {
  std::set<std::string> out;
  const std::regex opt(R"((?:^|[ ,])(--?[A-Za-z][A-Za-z0-9-]*))");
  std::istringstream in(help);
  std::string line;
  while (std::getline(in, line)) {
    // Option lines: "  -q,--quiet   ..." / "  --format TEXT ..."; only the part before the help.
    if (line.rfind("  -", 0) != 0) continue;
    const std::string head = line.substr(0, line.find("   ", 2));
    for (std::sregex_iterator it(head.begin(), head.end(), opt), end; it != end; ++it) {
      out.insert((*it)[1]);
    }
  }
  return out;
}

Help help() {
  Help h;
  const auto root = sh("'" + kIoc + "' --help");
  EXPECT_EQ(root.rc, 0);
  h.options = options_in(root.out);
  const auto at = root.out.find("\nSubcommands:\n");
  EXPECT_NE(at, std::string::npos) << root.out;
  std::istringstream in(root.out.substr(at + 14));
  std::string line;
  while (std::getline(in, line) && line.rfind("  ", 0) == 0) {
    std::istringstream words(line);
    std::string name;
    words >> name;
    h.commands.push_back(name);
  }
  for (const auto& c : h.commands) {
    const auto sub = sh("'" + kIoc + "' " + c + " --help");
    EXPECT_EQ(sub.rc, 0) << c;
    for (const auto& o : options_in(sub.out)) h.options.insert(o);
  }
  return h;
}

const Help& the_help() {
  static const Help h = help();
  return h;
}

}  // namespace

TEST(GeneratedDocs, HelpListsWhatTheTestsExpect) {
  const auto& h = the_help();
  // A floor, so that a broken --help parser cannot make the checks below vacuous.
  EXPECT_GE(h.commands.size(), 15u);
  for (const char* o : {"--format", "--quiet", "--profile", "--credentials", "--filter",
                        "--on-missing", "--severity", "--platforms", "--max-delete"}) {
    EXPECT_EQ(h.options.count(o), 1u) << o;
  }
}

TEST(GeneratedDocs, EveryShellsScriptNamesEverySubcommandAndOption) {
  const auto& h = the_help();
  for (const char* shell : {"bash", "zsh", "fish"}) {
    SCOPED_TRACE(shell);
    const auto script = sh("'" + kIoc + "' completion " + shell);
    ASSERT_EQ(script.rc, 0);
    for (const auto& c : h.commands) EXPECT_NE(script.out.find(c), std::string::npos) << c;
    for (const auto& o : h.options) {
      // fish names options without their dashes: `-l quiet`, `-s q`.
      const std::string word = std::string(shell) != "fish" ? o
                               : o.rfind("--", 0) == 0      ? "-l " + o.substr(2)
                                                            : "-s " + o.substr(1);
      EXPECT_NE(script.out.find(word), std::string::npos) << o;
    }
    // The hidden --man is not offered.
    EXPECT_EQ(script.out.find("--man"), std::string::npos);
  }
  // The choices come from the same definitions: --format's set, the field table's severities.
  const auto fish = sh("'" + kIoc + "' completion fish").out;
  EXPECT_NE(fish.find("-l format -x -a 'table json ndjson csv'"), std::string::npos) << fish;
  EXPECT_NE(fish.find("critical"), std::string::npos);
  const auto zsh = sh("'" + kIoc + "' completion zsh").out;
  EXPECT_EQ(zsh.rfind("#compdef falcon-ioc\n", 0), 0u);
  EXPECT_NE(zsh.find("(types platforms severities actions)"), std::string::npos);
  EXPECT_EQ(sh("'" + kIoc + "' completion tcsh", true).rc, 2);
}

TEST(GeneratedDocs, TheBashScriptParsesAndCompletes) {
  const std::string dir = FALCON_CLI_GENERATED_DIR;
  const std::string script = dir + "/falcon-ioc.bash";
  ASSERT_EQ(slurp(script), sh("'" + kIoc + "' completion bash").out) << "built file is stale";
  EXPECT_EQ(sh("bash -n '" + script + "'", true).out, "");
  EXPECT_EQ(sh("bash -n '" + script + "'").rc, 0);
  char tmpl[] = "/tmp/falcon-compl-XXXXXX";
  const std::string files = mkdtemp(tmpl);
  std::ofstream(files + "/feed-a.csv") << "x\n";
  // COMPREPLY for the words typed so far (the last one is being completed), one a line.
  const auto complete = [&](const std::string& words) {
    const std::string cmd = "cd '" + files + "' && bash -c 'source \"" + script +
                            "\"; complete -p falcon-ioc >/dev/null || exit 9; COMP_WORDS=(" +
                            words +
                            "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _falcon_ioc; "
                            "printf \"%s\\n\" \"${COMPREPLY[@]}\"'";
    const auto r = sh(cmd, true);
    EXPECT_EQ(r.rc, 0) << r.out;
    return r.out;
  };
  EXPECT_EQ(complete("falcon-ioc se"), "search\n");
  EXPECT_EQ(complete("falcon-ioc --format \"\""), "table\njson\nndjson\ncsv\n");
  EXPECT_EQ(complete("falcon-ioc --credentials x.cred --format json ag"), "aggregate\n");
  EXPECT_EQ(complete("falcon-ioc search --li"), "--limit\n");
  EXPECT_EQ(complete("falcon-ioc types s"), "severities\n");
  EXPECT_EQ(complete("falcon-ioc create --severity cr"), "critical\n");
  EXPECT_EQ(complete("falcon-ioc sync --on-missing e"), "expire\n");
  EXPECT_EQ(complete("falcon-ioc import fe"), "feed-a.csv\n");
  EXPECT_EQ(complete("falcon-ioc completion z"), "zsh\n");
  // Global options after the subcommand too.
  EXPECT_EQ(complete("falcon-ioc search --prof"), "--profile\n");
  std::system(("rm -rf '" + files + "'").c_str());
}

TEST(GeneratedDocs, TheManPagesAreCleanRoffAndCoverEveryOption) {
  const std::string dir = FALCON_CLI_GENERATED_DIR;
  const auto page = sh("'" + kIoc + "' --man");
  ASSERT_EQ(page.rc, 0);
  ASSERT_EQ(slurp(dir + "/falcon-ioc.1"), page.out) << "built file is stale";
  // groff's warnings (all of them, -ww) are the lint: none allowed.
  const auto warnings = sh("groff -man -ww -z -Tutf8 '" + dir + "/falcon-ioc.1'", true);
  EXPECT_EQ(warnings.rc, 0);
  EXPECT_EQ(warnings.out, "");
  const auto text = sh("groff -man -Tascii -P-cbou '" + dir + "/falcon-ioc.1'");
  ASSERT_EQ(text.rc, 0);
  for (const char* section : {"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS",
                              "EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"}) {
    EXPECT_NE(text.out.find("\n" + std::string(section) + "\n"), std::string::npos) << section;
  }
  // Names are looked for in the source (rendered text may hyphenate at a line's end).
  const std::string source = plain(page.out);
  const auto& h = the_help();
  for (const auto& c : h.commands) {
    EXPECT_NE(source.find("falcon-ioc " + c), std::string::npos) << c;
  }
  for (const auto& o : h.options) {
    if (o == "-h" || o == "--help") continue;  // not repeated under every command
    EXPECT_NE(source.find(o), std::string::npos) << o;
  }

  const std::string emulator = FALCON_EMULATOR_PATH;
  const auto emu_page = sh("'" + emulator + "' --man");
  ASSERT_EQ(emu_page.rc, 0);
  ASSERT_EQ(slurp(dir + "/../emulator/falcon-emulator.1"), emu_page.out) << "built file is stale";
  const auto emu_warnings =
      sh("groff -man -ww -z '" + dir + "/../emulator/falcon-emulator.1'", true);
  EXPECT_EQ(emu_warnings.out, "");
  const std::string emu_source = plain(emu_page.out);
  const auto emu_help = sh("'" + emulator + "' --help");
  const auto emu_options = options_in(emu_help.out);
  EXPECT_GE(emu_options.size(), 20u);
  for (const auto& o : emu_options) EXPECT_NE(emu_source.find(o), std::string::npos) << o;
}
