// falcon-ioc's credentials: profiles in ${XDG_CONFIG_HOME:-~/.config}/falcon-ioc/credentials,
// --profile / FALCON_PROFILE, the mode check, errors that never echo the file, and a process
// that cannot dump core or be read by its own user once it holds a secret.
#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <dirent.h>
#include <algorithm>
#include <cctype>
#include <csignal>
#include <filesystem>

#include "cli_fixture.hpp"

using falcon_cli_test::Cli;
using nlohmann::json;

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class Credentials : public Cli {
 protected:
  // A profiles file at XDG_CONFIG_HOME/falcon-ioc/credentials: [default] holds a client the
  // emulator refuses, [emu] the emulator's own.
  std::string write_profiles(const std::string& config_home, mode_t mode = 0600) {
    mkdir(config_home.c_str(), 0700);
    mkdir((config_home + "/falcon-ioc").c_str(), 0700);
    const std::string path = config_home + "/falcon-ioc/credentials";
    std::ofstream(path) << "# falcon-ioc profiles\n"
                        << "[default]\nclient_id = nobody\nclient_secret = wrong-secret-AAAA\n"
                        << "base_url = " << emu().base_url() << "\n\n"
                        << "[emu]\nclient_id=" << falcon_it::kClientId
                        << "\nFALCON_CLIENT_SECRET=" << falcon_it::kClientSecret
                        << "\nbase_url=" << emu().base_url() << "\n";
    chmod(path.c_str(), mode);
    return path;
  }
  std::string xdg() const { return dir_.path() + "/xdg"; }
};

}  // namespace

TEST_F(Credentials, AProfileIsChosenByFlagOrEnvironment) {
  write_profiles(xdg());
  const std::string home = "XDG_CONFIG_HOME=" + xdg();

  // No choice and no client in the environment: the default profile (refused by the API).
  auto def = run({"login"}, false, {home});
  EXPECT_EQ(def.rc, 1) << def.err;
  EXPECT_EQ(def.err.find("wrong-secret-AAAA"), std::string::npos);

  auto flag = run({"--profile", "emu", "--format", "json", "login"}, false, {home});
  ASSERT_EQ(flag.rc, 0) << flag.err;
  EXPECT_EQ(json::parse(flag.out)["base_url"], emu().base_url());

  auto env = run({"--format", "json", "login"}, false, {home, "FALCON_PROFILE=emu"});
  ASSERT_EQ(env.rc, 0) << env.err;
  EXPECT_EQ(json::parse(env.out)["base_url"], emu().base_url());

  // The flag beats the variable.
  auto both = run({"--profile", "default", "login"}, false, {home, "FALCON_PROFILE=emu"});
  EXPECT_EQ(both.rc, 1);

  // Without XDG_CONFIG_HOME: ~/.config.
  const std::string home_dir = dir_.path() + "/home";
  mkdir(home_dir.c_str(), 0700);
  write_profiles(home_dir + "/.config");
  auto by_home = run({"--profile", "emu", "login"}, false, {"HOME=" + home_dir});
  EXPECT_EQ(by_home.rc, 0) << by_home.err;
  // --credentials FILE takes the profiles of another file.
  auto other = run(
      {"--credentials", home_dir + "/.config/falcon-ioc/credentials", "--profile", "emu", "login"},
      false);
  EXPECT_EQ(other.rc, 0) << other.err;
}

TEST_F(Credentials, TheEnvironmentBeatsTheImplicitDefaultButNotAnExplicitProfile) {
  write_profiles(xdg());
  const std::string home = "XDG_CONFIG_HOME=" + xdg();
  // The fixture's environment holds the emulator's client: it wins over [default]...
  auto env = run({"login"}, true, {home});
  EXPECT_EQ(env.rc, 0) << env.err;
  // ...but not over a profile asked for by name.
  auto named = run({"--profile", "default", "login"}, true, {home});
  EXPECT_EQ(named.rc, 1);
  // No file at all is no error when nothing asks for one.
  auto none = run({"login"}, true, {"XDG_CONFIG_HOME=" + dir_.path() + "/nowhere"});
  EXPECT_EQ(none.rc, 0) << none.err;
}

TEST_F(Credentials, AMissingProfileOrFileIsNamed) {
  write_profiles(xdg());
  auto r = run({"--profile", "prod", "login"}, false, {"XDG_CONFIG_HOME=" + xdg()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("has no profile [prod]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("default, emu"), std::string::npos) << r.err;

  auto no_file =
      run({"--profile", "emu", "login"}, false, {"XDG_CONFIG_HOME=" + dir_.path() + "/nowhere"});
  EXPECT_EQ(no_file.rc, 1);
  EXPECT_NE(no_file.err.find("nowhere/falcon-ioc/credentials"), std::string::npos) << no_file.err;

  auto no_home = run({"--profile", "emu", "login"}, false);
  EXPECT_EQ(no_home.rc, 1);
  EXPECT_NE(no_home.err.find("no credentials file"), std::string::npos) << no_home.err;

  // A file of named profiles only, and no client in the environment: say how to pick one.
  mkdir((dir_.path() + "/named").c_str(), 0700);
  mkdir((dir_.path() + "/named/falcon-ioc").c_str(), 0700);
  dir_.file("named/falcon-ioc/credentials", "[emu]\nclient_id=a\nclient_secret=b\n");
  auto pick = run({"login"}, false, {"XDG_CONFIG_HOME=" + dir_.path() + "/named"});
  EXPECT_EQ(pick.rc, 1);
  EXPECT_NE(pick.err.find("--profile NAME"), std::string::npos) << pick.err;
}

TEST_F(Credentials, TheModeCheckHoldsForTheDefaultFileToo) {
  write_profiles(xdg(), 0640);
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"login"}, {"--profile", "emu", "login"}}) {
    auto r = run(args, false, {"XDG_CONFIG_HOME=" + xdg()});
    EXPECT_EQ(r.rc, 1);
    EXPECT_NE(r.err.find("chmod 600"), std::string::npos) << r.err;
  }
  chmod((xdg() + "/falcon-ioc/credentials").c_str(), 0600);
  EXPECT_EQ(run({"--profile", "emu", "login"}, false, {"XDG_CONFIG_HOME=" + xdg()}).rc, 0);
}

TEST_F(Credentials, ErrorsNameTheLineAndTheRuleNeverTheContent) {
  struct Case {
    std::string body, rule;
    int line;
  };
  const std::vector<Case> cases = {
      {"client_id=a\n\nclient_secret: TOPSECRET=x\n", "unknown key", 3},
      {"client_id=a\nTOPSECRET\n", "expected KEY=VALUE", 2},
      {"[prod TOPSECRET\nclient_id=a\n", "a profile header is [NAME]", 1},
      {"[TOP SECRET]\n", "a profile header is [NAME]", 1},
      {"[prod]\nclient_id=a\n[prod]\nclient_secret=TOPSECRET\n", "appears twice", 3},
      {"client_id=a\n[default]\nclient_secret=TOPSECRET\n", "appears twice", 2},
  };
  int i = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    const auto path = dir_.file("bad" + std::to_string(i++) + ".cred", c.body);
    auto r = run({"--credentials", path, "login"}, false);
    EXPECT_EQ(r.rc, 1);
    EXPECT_NE(r.err.find(path + ":" + std::to_string(c.line) + ": "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.rule), std::string::npos) << r.err;
    EXPECT_EQ(lower(r.err).find("topsecret"), std::string::npos) << r.err;
    EXPECT_EQ(lower(r.err).find("top secret"), std::string::npos) << r.err;
  }
}

namespace {

// The owner of /proc/PID/status (root for a process that is not dumpable: the kernel's
// task_dump_owner; the /proc/PID directory itself keeps the user's) and the real uid.
std::pair<uid_t, uid_t> proc_owner_and_uid(pid_t pid) {
  struct stat st {};
  const std::string dir = "/proc/" + std::to_string(pid);
  EXPECT_EQ(stat((dir + "/status").c_str(), &st), 0);
  std::ifstream status(dir + "/status");
  std::string line;
  uid_t uid = 0;
  while (std::getline(status, line)) {
    if (line.rfind("Uid:", 0) == 0) uid = static_cast<uid_t>(std::stoul(line.substr(4)));
  }
  return {st.st_uid, uid};
}

// Forks and execs `argv` with `env` in `cwd`, as nobody when we are root (so that "owned by
// root" tells a non-dumpable process apart), with its core limit raised to the hard limit.
pid_t start_unprivileged(std::vector<std::string> argv, std::vector<std::string> env,
                         const std::string& cwd) {
  std::vector<char*> a, e;
  for (auto& s : argv) a.push_back(s.data());
  a.push_back(nullptr);
  for (auto& s : env) e.push_back(s.data());
  e.push_back(nullptr);
  const bool root = geteuid() == 0;
  const pid_t pid = fork();
  if (pid != 0) return pid;
  // The child: async-signal-safe calls only.
  struct rlimit core {};
  getrlimit(RLIMIT_CORE, &core);
  core.rlim_cur = core.rlim_max;
  setrlimit(RLIMIT_CORE, &core);
  if (root && (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0)) _exit(126);
  const int null = open("/dev/null", O_RDWR);
  dup2(null, 0);
  dup2(null, 1);
  dup2(null, 2);
  if (chdir(cwd.c_str()) != 0) _exit(125);
  execve(a[0], a.data(), e.data());
  _exit(127);
}

}  // namespace

TEST_F(Credentials, OnceItHoldsASecretTheProcessCannotDumpCoreOrBeReadByItsUser) {
  // A server that accepts the token request and never answers: the CLI waits holding the
  // secret (read from the environment and sent in the request).
  const int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(ls, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(ls, 4), 0);
  socklen_t len = sizeof addr;
  getsockname(ls, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  // Where a core file would land (writable by the child, whoever it runs as).
  const std::string cwd = dir_.path() + "/cores";
  mkdir(cwd.c_str(), 0777);
  chmod(cwd.c_str(), 0777);
  chmod(dir_.path().c_str(), 0755);

  // The check tells the two apart: a plain program started the same way is owned by its user.
  const pid_t control = start_unprivileged({"/bin/sleep", "30"}, {}, cwd);
  ASSERT_GT(control, 0);
  const auto comm = [](pid_t p) {
    std::string name;
    std::getline(std::ifstream("/proc/" + std::to_string(p) + "/comm"), name);
    return name;
  };
  for (int i = 0; i < 500 && comm(control) != "sleep"; ++i) usleep(10'000);  // until exec'd
  ASSERT_EQ(comm(control), "sleep");
  const auto [control_owner, control_uid] = proc_owner_and_uid(control);
  EXPECT_NE(control_uid, 0u);
  EXPECT_EQ(control_owner, control_uid);
  kill(control, SIGKILL);
  waitpid(control, nullptr, 0);

  // A copy nobody can run, wherever the build tree is (a checkout under /root is not).
  const std::string binary = dir_.path() + "/falcon-ioc";
  std::filesystem::copy_file(FALCON_IOC_PATH, binary);
  chmod(binary.c_str(), 0755);
  const pid_t pid = start_unprivileged(
      {binary, "login"},
      {"PATH=/usr/bin:/bin", "FALCON_CLIENT_ID=" + std::string(falcon_it::kClientId),
       "FALCON_CLIENT_SECRET=core-secret-" + std::to_string(getpid()), "FALCON_BASE_URL=" + url},
      cwd);
  ASSERT_GT(pid, 0);
  pollfd p{ls, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 20'000), 1) << "falcon-ioc never connected";
  const int conn = accept(ls, nullptr, nullptr);
  ASSERT_GE(conn, 0);

  const auto [owner, uid] = proc_owner_and_uid(pid);
  EXPECT_NE(uid, 0u);
  EXPECT_EQ(owner, 0u) << "/proc/" << pid << "/status is owned by its user: it is dumpable";
  std::ifstream limits("/proc/" + std::to_string(pid) + "/limits");
  std::string line, core_line;
  while (std::getline(limits, line)) {
    if (line.rfind("Max core file size", 0) == 0) core_line = line;
  }
  std::istringstream fields(core_line.substr(std::string("Max core file size").size()));
  std::string soft, hard;
  fields >> soft >> hard;
  EXPECT_EQ(soft, "0") << core_line;
  EXPECT_EQ(hard, "0") << core_line;

  kill(pid, SIGABRT);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  close(conn);
  close(ls);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_FALSE(WCOREDUMP(status));
  DIR* d = opendir(cwd.c_str());
  ASSERT_NE(d, nullptr);
  int entries = 0;
  while (dirent* ent = readdir(d)) {
    if (std::string(ent->d_name) != "." && std::string(ent->d_name) != "..") ++entries;
  }
  closedir(d);
  EXPECT_EQ(entries, 0) << "a core file was written";
}

// docs/cli.md's profiles file, written by the guide's own commands, loads: both profiles are
// read (the emulator then refuses the made-up clients: an API error, not a file error).
TEST_F(Credentials, TheGuidesProfilesFileLoads) {
  const std::string doc = falcon_cli_test::slurp(std::string(FALCON_SOURCE_DIR) + "/docs/cli.md");
  const auto at = doc.find("## Credentials\n");
  ASSERT_NE(at, std::string::npos);
  const auto start = doc.find("```sh\n", at);
  ASSERT_NE(start, std::string::npos);
  const std::string block = doc.substr(start + 6, doc.find("```", start + 6) - start - 6);
  // The commands up to the chmod: they write the file. The falcon-ioc lines after it would
  // call the real cloud.
  const auto chmod_at = block.find("chmod 600 ~/.config/falcon-ioc/credentials\n");
  ASSERT_NE(chmod_at, std::string::npos) << block;
  const std::string setup = block.substr(0, block.find('\n', chmod_at) + 1);
  const std::string home = dir_.path() + "/guide-home";
  mkdir(home.c_str(), 0700);
  const auto script = dir_.file("guide.sh", setup);
  ASSERT_EQ(std::system(
                ("env -i HOME='" + home + "' PATH=/usr/bin:/bin bash -e '" + script + "'").c_str()),
            0);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"login"}, {"--profile", "eu-prod", "login"}}) {
    std::vector<std::string> full = {"--base-url", emu().base_url()};
    full.insert(full.end(), args.begin(), args.end());
    auto r = run(full, false, {"HOME=" + home});
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.err.find("credentials:"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("no profile"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("invalid client credentials"), std::string::npos) << r.err;
  }
}
