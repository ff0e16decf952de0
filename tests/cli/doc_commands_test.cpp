// Every documented falcon-ioc command runs (issue 18): the command lines of README.md's and
// docs/*.md's code blocks and the examples of every --help text are extracted and run against
// the emulator, in a scratch directory that holds the files they name. None may be a usage
// error (exit 2) or die by a signal.
//
// How a line is read: fenced code blocks only (inline `falcon-ioc ...` spans name commands in
// prose); `\` continues a line; a `# comment` is dropped; heredocs (`cat > F <<'EOF'`) write F,
// except that a credentials file gets the emulator's credentials. A falcon-ioc stage of a
// pipeline runs alone (jq, head: dropped), `| xargs falcon-ioc ...` gets the previous stage's
// words appended, `> FILE` writes FILE in the scratch directory. Leading VAR=... assignments
// are dropped (the emulator's credentials are in the environment), --base-url always names the
// emulator, the placeholders ID, ID..., 4f8c...e1 become the id of an indicator seeded for
// that command, and DEVICE_ID a host id. (`<id>` is no placeholder: pasted, it redirects.)
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <regex>

#include "cli_fixture.hpp"

using falcon_cli_test::Cli;
using falcon_cli_test::slurp;
using nlohmann::json;

namespace {

namespace fs = std::filesystem;

// A shell word or an operator (|, &&, ||, ;, >, >>, <, 2>, (, ), $(, <().
struct Token {
  std::string text;
  bool op = false;
};

std::vector<Token> tokenize(const std::string& line) {
  std::vector<Token> out;
  std::string word;
  bool in_word = false;
  auto flush = [&] {
    if (in_word) out.push_back({word, false});
    word.clear();
    in_word = false;
  };
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\'') {
      const auto end = line.find('\'', i + 1);
      word += line.substr(i + 1, end - i - 1);
      in_word = true;
      i = end == std::string::npos ? line.size() : end;
    } else if (c == '"') {
      in_word = true;
      for (++i; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size()) ++i;
        word += line[i];
      }
    } else if (c == '\\' && i + 1 < line.size()) {
      word += line[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      flush();
    } else if (c == '#' && !in_word) {
      break;
    } else if (std::string("|&;<>()").find(c) != std::string::npos ||
               (c == '$' && i + 1 < line.size() && line[i + 1] == '(')) {
      if (c == '>' && word == "2" && in_word) {
        word.clear();
        in_word = false;
        out.push_back({"2>", true});
        continue;
      }
      flush();
      std::string op(1, c);
      if (i + 1 < line.size() && (std::string("|&>(").find(line[i + 1]) != std::string::npos) &&
          (op == "|" || op == "&" || op == ">" || op == "$" || op == "<")) {
        op += line[++i];
      }
      out.push_back({op, true});
    } else {
      word += c;
      in_word = true;
    }
  }
  flush();
  return out;
}

// One falcon-ioc invocation of a documented line.
struct Stage {
  std::vector<std::string> args;  // after "falcon-ioc"
  bool from_xargs = false;        // append the previous stage's output words
  std::string stdout_file;        // > FILE
};

struct DocCommand {
  std::string where;  // file:line or "falcon-ioc X --help"
  std::string line;
  std::vector<Stage> stages;
};

bool is_falcon_ioc(const std::string& w) {
  return w == "falcon-ioc" || (w.size() > 11 && w.compare(w.size() - 11, 11, "/falcon-ioc") == 0);
}

// The falcon-ioc stages of a shell line (none when it runs no falcon-ioc).
std::vector<Stage> stages_of(const std::string& line) {
  std::vector<Stage> out;
  std::vector<std::vector<Token>> parts(1);
  for (const auto& t : tokenize(line)) {
    if (t.op && t.text != ">" && t.text != ">>" && t.text != "<" && t.text != "2>") {
      parts.emplace_back();
    } else {
      parts.back().push_back(t);
    }
  }
  for (const auto& part : parts) {
    std::vector<std::string> words;
    Stage s;
    for (std::size_t i = 0; i < part.size(); ++i) {
      if (part[i].op) {
        const bool out_redirect = part[i].text == ">" || part[i].text == ">>";
        if (out_redirect && i + 1 < part.size()) s.stdout_file = part[i + 1].text;
        ++i;  // the redirection's target
        continue;
      }
      words.push_back(part[i].text);
    }
    std::size_t k = 0;
    while (k < words.size() &&
           std::regex_match(words[k], std::regex("[A-Za-z_][A-Za-z0-9_]*=.*"))) {
      ++k;
    }
    if (k < words.size() && words[k] == "xargs") {
      s.from_xargs = true;
      ++k;
    }
    if (k >= words.size() || !is_falcon_ioc(words[k])) continue;
    s.args.assign(words.begin() + static_cast<std::ptrdiff_t>(k) + 1, words.end());
    out.push_back(std::move(s));
  }
  return out;
}

class DocCommands : public Cli {
 protected:
  // Runs falcon-ioc in the scratch directory with HOME there; stdout to `out_file`.
  int run_in_scratch(std::vector<std::string> args, const std::string& out_file, std::string& err) {
    const std::string err_file = scratch_ + "/.stderr";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addchdir_np(&fa, scratch_.c_str());
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<std::string> env = {"PATH=/usr/bin:/bin", "HOME=" + scratch_,
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
    const int rc = posix_spawn(&pid, FALCON_IOC_PATH, &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return -1;
    int status = 0;
    waitpid(pid, &status, 0);
    err = slurp(err_file);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  std::string fresh_id() {
    return seed_domain("doc" + std::to_string(++seeded_) + ".example.com", "acme");
  }

  // The documented arguments with placeholders, ~ and --base-url made real.
  std::vector<std::string> substitute(const std::vector<std::string>& args) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < args.size(); ++i) {
      std::string a = args[i];
      if (a == "ID" || a == "ID..." ||
          std::regex_match(a, std::regex("[0-9a-f]+\\.\\.\\.[0-9a-f]+"))) {
        a = fresh_id();
      }
      if (a == "DEVICE_ID") a = std::string(32, 'd');
      if (a.rfind("~/", 0) == 0) a = scratch_ + a.substr(1);
      if (i > 0 && args[i - 1] == "--base-url") a = emu().base_url();
      if (a.rfind("--base-url=", 0) == 0) a = "--base-url=" + emu().base_url();
      out.push_back(a);
    }
    return out;
  }

  // Writes a heredoc's file into the scratch directory; credentials get the emulator's.
  void write_heredoc(std::string name, const std::string& body) {
    if (name.rfind("~/", 0) == 0) name = name.substr(2);
    name = fs::path(name).filename().string();
    std::string content = body;
    if (body.find("client_secret") != std::string::npos) {
      content = "# the documented file, with the emulator's credentials\nclient_id=" +
                std::string(falcon_it::kClientId) + "\nclient_secret=" + falcon_it::kClientSecret +
                "\nbase_url=" + emu().base_url() + "\n";
    }
    const std::string p = scratch_ + "/" + name;
    std::ofstream(p) << content;
    chmod(p.c_str(), 0600);
  }

  // Code-block lines (heredocs written as found) of one markdown file.
  void collect_markdown(const fs::path& file, std::vector<DocCommand>& out) {
    std::istringstream in(slurp(file.string()));
    std::string line, pending;
    bool code = false;
    std::size_t n = 0, start = 0;
    const std::regex heredoc(R"(cat\s+>\s*(\S+)\s+<<\s*'?(\w+)'?)");
    while (std::getline(in, line)) {
      ++n;
      const auto first = line.find_first_not_of(" \t");
      if (first != std::string::npos && line.compare(first, 3, "```") == 0) {
        code = !code;
        continue;
      }
      if (!code) continue;
      std::smatch m;
      if (std::regex_search(line, m, heredoc)) {
        const std::string name = m[1], end = m[2];
        std::string body, l;
        while (std::getline(in, l) && l != end) {
          ++n;
          body += l + "\n";
        }
        ++n;
        heredocs_.emplace_back(name, body);
        continue;
      }
      if (pending.empty()) start = n;
      if (!line.empty() && line.back() == '\\') {
        pending += line.substr(0, line.size() - 1) + " ";
        continue;
      }
      const std::string full = pending + line;
      pending.clear();
      auto stages = stages_of(full);
      if (!stages.empty()) {
        out.push_back({file.filename().string() + ":" + std::to_string(start), full, stages});
      }
    }
  }

  // The example lines of a --help text.
  void collect_help(const std::vector<std::string>& args, std::vector<DocCommand>& out,
                    std::size_t& examples) {
    std::string err;
    const std::string out_file = scratch_ + "/.help";
    ASSERT_EQ(run_in_scratch(args, out_file, err), 0) << err;
    const std::string text = slurp(out_file);
    // The footer ends its line: what follows (a prompt, an error) starts on a line of its own.
    EXPECT_TRUE(!text.empty() && text.back() == '\n') << args[0] << " --help";
    std::istringstream in(text);
    std::string line, where = "falcon-ioc";
    for (const auto& a : args) where += " " + a;
    while (std::getline(in, line)) {
      auto stages = stages_of(line);
      if (stages.empty()) continue;
      ++examples;
      out.push_back({where, line, stages});
    }
  }

  void SetUp() override {
    Cli::SetUp();
    scratch_ = dir_.path() + "/scratch";
    fs::create_directories(scratch_);
  }

  std::string scratch_;
  int seeded_ = 0;
  std::vector<std::pair<std::string, std::string>> heredocs_;
};

}  // namespace

TEST_F(DocCommands, EveryDocumentedCommandRuns) {
  const fs::path root(FALCON_SOURCE_DIR);
  std::vector<DocCommand> cmds;
  collect_markdown(root / "README.md", cmds);
  std::vector<fs::path> docs;
  for (const auto& e : fs::directory_iterator(root / "docs")) {
    if (e.path().extension() == ".md") docs.push_back(e.path());
  }
  std::sort(docs.begin(), docs.end());
  for (const auto& d : docs) collect_markdown(d, cmds);
  const std::size_t from_docs = cmds.size();

  // Every --help: the main one and each subcommand it lists.
  std::string err;
  ASSERT_EQ(run_in_scratch({"--help"}, scratch_ + "/.main-help", err), 0);
  std::vector<std::string> subs;
  {
    std::istringstream in(slurp(scratch_ + "/.main-help"));
    std::string line;
    bool listing = false;
    while (std::getline(in, line)) {
      if (line.rfind("Subcommands:", 0) == 0 || line.rfind("SUBCOMMANDS:", 0) == 0) {
        listing = true;
        continue;
      }
      if (listing && line.empty()) break;
      std::smatch m;
      if (listing && std::regex_search(line, m, std::regex(R"(^\s+([a-z][a-z0-9-]*)\s)"))) {
        subs.push_back(m[1]);
      }
    }
  }
  ASSERT_GE(subs.size(), 14u);  // login ... types
  std::size_t examples = 0;
  collect_help({"--help"}, cmds, examples);
  for (const auto& s : subs) {
    const std::size_t before = examples;
    collect_help({s, "--help"}, cmds, examples);
    EXPECT_GT(examples, before) << s << " --help shows no example";
  }
  EXPECT_GE(from_docs, 8u);
  EXPECT_GE(cmds.size(), from_docs + 20);

  // The files the examples name, then the documented heredocs over them.
  write_heredoc("feed.csv", "type,value,action,severity\ndomain,feed1.example.com,detect,high\n");
  write_heredoc("hashes.txt", falcon_it::sha256_of(1) + "\n" + falcon_it::sha256_of(2) + "\n");
  write_heredoc("feed.stix.json", R"({"type":"bundle","id":"bundle--1","objects":[
    {"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000001",
     "created":"2025-01-01T00:00:00Z","modified":"2025-01-01T00:00:00Z",
     "pattern":"[domain-name:value = 'stix1.example.com']","pattern_type":"stix",
     "valid_from":"2025-01-01T00:00:00Z"}]})");
  for (const auto& [name, body] : heredocs_) write_heredoc(name, body);
  // Indicators for the documented filters, and a journal for undo.
  for (const char* source : {"acme", "old", "old-feed"}) {
    for (int i = 0; i < 3; ++i) {
      json item =
          falcon_it::domain_item(std::string(source) + std::to_string(i) + ".example.com", source);
      item["severity"] = "critical";
      emu().add_indicators(json::array({item}));
    }
  }
  seed_domain("evil.example.com", "seed");
  std::string journal_err;
  ASSERT_NE(
      run_in_scratch({"sync", "feed.csv", "--source", "acme-journal", "--journal", "acme.journal"},
                     scratch_ + "/.journal-out", journal_err),
      2)
      << journal_err;

  std::size_t ran = 0;
  for (const auto& c : cmds) {
    std::string previous_out;
    for (const auto& st : c.stages) {
      std::vector<std::string> args = substitute(st.args);
      if (st.from_xargs) {
        std::istringstream words(previous_out);
        for (std::string w; words >> w;) args.push_back(w);
      }
      const std::string out_file =
          scratch_ + "/" +
          (st.stdout_file.empty() ? ".stdout" : fs::path(st.stdout_file).filename().string());
      const int rc = run_in_scratch(args, out_file, err);
      ++ran;
      if (std::getenv("FALCON_DOC_COMMANDS_VERBOSE") != nullptr) {
        std::cout << "rc " << rc << "  " << c.where << ": " << c.line << "\n";
      }
      EXPECT_NE(rc, 2) << c.where << ": " << c.line << "\n" << err;
      EXPECT_LT(rc, 128) << c.where << ": " << c.line << " died by a signal";
      EXPECT_GE(rc, 0) << c.where << ": could not start";
      previous_out = slurp(out_file);
    }
  }
  EXPECT_GE(ran, cmds.size());
}
