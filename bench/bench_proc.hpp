// Process plumbing shared by the harnesses that drive bench_client (bench_e2e, bench_tls): the
// emulator in a forked child process (its CPU counted apart from the client's), driven over two
// pipes one command per line, and one bench_client process per run whose JSON line, exit code
// and peak RSS (wait4) are collected.
#pragma once

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_util.hpp"
#include "emulator.hpp"

extern char** environ;

namespace falcon_bench {

/// The emulator child: `counters`, `reset`, `preload N` (fills the store to N indicators without
/// HTTP, answers the first new id) and `quit`, one per line; every answer is one JSON line.
struct EmulatorProcess {
  pid_t pid = -1;
  int to = -1, from = -1;
  std::string url;

  std::string ask(const std::string& cmd) {
    const std::string line = cmd + "\n";
    if (write(to, line.data(), line.size()) < 0) std::exit(1);
    std::string out;
    char c = 0;
    while (read(from, &c, 1) == 1 && c != '\n') out += c;
    return out;
  }
  nlohmann::json counters() { return nlohmann::json::parse(ask("counters")); }
  void quit() {
    if (pid <= 0) return;
    ask("quit");
    waitpid(pid, nullptr, 0);
    close(to);
    close(from);
    pid = -1;
  }
};

[[noreturn]] inline void emulator_child(int in, int out, const falcon::emulator::Options& o) {
  using nlohmann::json;
  falcon::emulator::Emulator emu(o);
  emu.start();
  auto say = [&](const std::string& s) {
    const std::string line = s + "\n";
    if (write(out, line.data(), line.size()) < 0) std::_Exit(1);
  };
  say(emu.base_url());
  std::string cmd;
  char c = 0;
  while (read(in, &c, 1) == 1) {
    if (c != '\n') {
      cmd += c;
      continue;
    }
    if (cmd == "quit") {
      say("{}");
      break;
    }
    if (cmd == "counters") {
      const auto k = emu.counters();
      say(json{{"connections", k.connections},
               {"requests", k.requests_total},
               {"created", k.indicators_created},
               {"indicators", emu.indicator_count()},
               {"cpu_s", cpu_seconds()},
               {"maxrss_kib", peak_rss_kib()}}
              .dump());
    } else if (cmd == "reset") {
      emu.reset();
      say("{}");
    } else if (cmd.rfind("preload ", 0) == 0) {
      const long target = std::atol(cmd.c_str() + 8);
      std::string first;
      long have = static_cast<long>(emu.indicator_count());
      while (have < target) {
        json items = json::array();
        for (long i = 0; i < 1000 && have + i < target; ++i) {
          items.push_back({{"type", "domain"},
                           {"value", "p" + std::to_string(have + i) + ".preload.bench.example"},
                           {"action", "detect"},
                           {"severity", "medium"},
                           {"description", "preloaded by the benchmark"},
                           {"platforms", {"windows", "mac", "linux"}},
                           {"tags", {"bench"}},
                           {"applied_globally", true}});
        }
        const auto ids = emu.add_indicators(items);
        if (first.empty() && !ids.empty()) first = ids.front();
        have += static_cast<long>(ids.size());
      }
      say(json{{"first_id", first}}.dump());
    } else {
      say("{\"error\":\"unknown command\"}");
    }
    cmd.clear();
  }
  emu.stop();
  std::_Exit(0);
}

/// Forks the emulator with `o`; call before the harness starts any thread.
inline EmulatorProcess start_emulator(const falcon::emulator::Options& o) {
  int a[2], b[2];
  if (pipe(a) != 0 || pipe(b) != 0) std::exit(1);
  EmulatorProcess e;
  e.pid = fork();
  if (e.pid == 0) {
    close(a[1]);
    close(b[0]);
    emulator_child(a[0], b[1], o);
  }
  close(a[0]);
  close(b[1]);
  e.to = a[1];
  e.from = b[0];
  char c = 0;
  while (read(e.from, &c, 1) == 1 && c != '\n') e.url += c;
  if (e.url.empty()) {
    std::fprintf(stderr, "bench: the emulator did not start\n");
    std::exit(1);
  }
  return e;
}

/// One bench_client run.
struct Run {
  nlohmann::json out;  // the client's JSON line (null when it printed none)
  long maxrss_kib = 0;
  int exit_code = -1;
  nlohmann::json emu_before, emu_after;  // the emulator's counters around the run
};

/// Runs `client args...` to completion; with `emulator`, its counters are read before and after.
inline Run run_client(const std::string& client, const std::vector<std::string>& args,
                      EmulatorProcess* emulator) {
  Run r;
  if (emulator != nullptr) r.emu_before = emulator->counters();
  int p[2];
  if (pipe(p) != 0) std::exit(1);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  posix_spawn_file_actions_addclose(&fa, p[0]);
  std::vector<std::string> all{client};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : all) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, client.c_str(), &fa, nullptr, argv.data(), environ) != 0) {
    std::fprintf(stderr, "bench: cannot start %s\n", client.c_str());
    std::exit(1);
  }
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(p[0], buf, sizeof(buf))) > 0) text.append(buf, static_cast<std::size_t>(n));
  close(p[0]);
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  r.maxrss_kib = ru.ru_maxrss;
  const auto nl = text.find_last_of('\n', text.size() >= 2 ? text.size() - 2 : 0);
  const std::string last = nl == std::string::npos ? text : text.substr(nl + 1);
  r.out = nlohmann::json::parse(last, nullptr, false);
  if (r.out.is_discarded()) r.out = nullptr;
  if (emulator != nullptr) r.emu_after = emulator->counters();
  if (r.exit_code != 0 || r.out.is_null()) {
    std::fprintf(stderr, "bench: client %s exited %d\n", args.empty() ? "" : args[0].c_str(),
                 r.exit_code);
  }
  return r;
}

/// The change of an emulator counter over a run.
inline double emu_delta(const Run& r, const char* key) {
  return r.emu_after.value(key, 0.0) - r.emu_before.value(key, 0.0);
}

}  // namespace falcon_bench
