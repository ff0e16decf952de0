// The falcon-ioc test fixture: runs the real binary (with a private stdout/stderr) against an
// in-process emulator over loopback HTTP. Shared by the tests/cli suites.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fixture.hpp"

extern char** environ;

namespace falcon_cli_test {

using nlohmann::json;

struct RunResult {
  int rc = -1;
  std::string out, err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/falcon-cli-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  std::string file(const std::string& name, const std::string& content, mode_t mode = 0600) {
    const std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    chmod(p.c_str(), mode);
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class Cli : public falcon_it::EmulatorTest {
 protected:
  // Runs falcon-ioc with `args`; env holds the emulator's credentials unless `with_env` is off.
  // Starts falcon-ioc with `args`; env holds the emulator's credentials unless `with_env` is off.
  pid_t spawn(std::vector<std::string> args, bool with_env = true,
              std::vector<std::string> extra_env = {}) {
    const std::string out = dir_.path() + "/stdout", err = dir_.path() + "/stderr";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<std::string> env = {"PATH=/usr/bin:/bin"};
    if (with_env) {
      env.push_back("FALCON_CLIENT_ID=" + std::string(falcon_it::kClientId));
      env.push_back("FALCON_CLIENT_SECRET=" + std::string(falcon_it::kClientSecret));
      env.push_back("FALCON_BASE_URL=" + emu().base_url());
    }
    for (auto& e : extra_env) env.push_back(e);
    args.insert(args.begin(), FALCON_IOC_PATH);
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawn(&pid, FALCON_IOC_PATH, &fa, nullptr, argv.data(), envp.data()) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    return pid;
  }

  RunResult finish(pid_t pid) {
    RunResult r;
    if (pid <= 0) {
      ADD_FAILURE() << "spawn failed";
      return r;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(dir_.path() + "/stdout");
    r.err = slurp(dir_.path() + "/stderr");
    return r;
  }

  RunResult run(std::vector<std::string> args, bool with_env = true,
                std::vector<std::string> extra_env = {}) {
    return finish(spawn(std::move(args), with_env, std::move(extra_env)));
  }

  std::vector<json> ndjson(const std::string& text) {
    std::vector<json> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) out.push_back(json::parse(line));
    }
    return out;
  }

  std::string seed_domain(const std::string& value, const std::string& source = "seed") {
    return emu().add_indicators(json::array({falcon_it::domain_item(value, source)})).at(0);
  }

  TempDir dir_;
};

}  // namespace falcon_cli_test
