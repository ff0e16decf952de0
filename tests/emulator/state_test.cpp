// --state: folder checks at start, crash leftovers, the journal (constant cost per write,
// nothing lost on kill -9, torn tails).
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>

#include "emulator_test_support.hpp"

namespace falcon::emulator::testing {
namespace {

namespace fs = std::filesystem;

std::string start_error(const Options& o) {
  Emulator emu(o);
  try {
    emu.start();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(StateFolder, MissingOrUnwritableFolderIsRefusedAtStart) {
  TempDir dir;
  Options o;
  o.state_file = (dir.path() / "no-such-folder" / "state.json").string();
  std::string err = start_error(o);
  EXPECT_NE(err.find("does not exist"), std::string::npos) << err;
  EXPECT_NE(err.find("no-such-folder"), std::string::npos) << err;

  // A regular file where the folder should be.
  std::ofstream(dir.path() / "plain") << "x";
  o.state_file = (dir.path() / "plain" / "state.json").string();
  err = start_error(o);
  EXPECT_NE(err.find("does not exist or is not a folder"), std::string::npos) << err;

  // A folder nobody can create files in, not even root.
  o.state_file = "/proc/falcon-emulator-state.json";
  err = start_error(o);
  EXPECT_NE(err.find("cannot write next to state file"), std::string::npos) << err;

  o.state_file = dir.path().string();
  err = start_error(o);
  EXPECT_NE(err.find("is a folder"), std::string::npos) << err;
}

TEST(StateFolder, LeftoverTemporaryFilesAreRemovedAtStart) {
  TempDir dir;
  const auto file = dir.path() / "state.json";
  std::ofstream(dir.path() / ".state.json.tmp.0123abcd") << "{\"half\":";
  std::ofstream(dir.path() / ".state.json.tmp.deadbeef") << "";
  std::ofstream(dir.path() / "other.txt") << "kept";
  Options o;
  o.state_file = file.string();
  Emulator emu(o);
  emu.start();
  EXPECT_FALSE(fs::exists(dir.path() / ".state.json.tmp.0123abcd"));
  EXPECT_FALSE(fs::exists(dir.path() / ".state.json.tmp.deadbeef"));
  EXPECT_TRUE(fs::exists(dir.path() / "other.txt"));
  EXPECT_TRUE(fs::exists(file));  // a new store gets its state file at once
}

class JournalTest : public EmulatorTest {
 protected:
  Options make_options() override {
    Options o = EmulatorTest::make_options();
    o.state_file = (dir_.path() / "state.json").string();
    return o;
  }
  std::uintmax_t size_of(const std::string& suffix) const {
    return fs::file_size(dir_.path() / ("state.json" + suffix));
  }
  TempDir dir_;
};

TEST_F(JournalTest, AWriteAppendsItsRecordsOnlyWhateverTheStoreSize) {
  // 2000 indicators, then folded into the snapshot as a restart would.
  json items = json::array();
  for (int i = 0; i < 2000; ++i) items.push_back(hash_item(i));
  emu_->add_indicators(items);
  emu_->stop();
  emu_->start();
  client_ = std::make_unique<httplib::Client>("127.0.0.1", emu_->port());
  const auto snapshot = size_of("");
  ASSERT_GT(snapshot, 2000u * 300u);
  ASSERT_EQ(size_of(".journal"), 0u);

  // Each write adds one journal line holding just the records it changed; the snapshot is
  // not rewritten.
  std::vector<std::uintmax_t> growth;
  for (int i = 0; i < 5; ++i) {
    const auto before = size_of(".journal");
    create({domain_item("journal" + std::to_string(i) + ".example.com")});
    growth.push_back(size_of(".journal") - before);
  }
  for (auto g : growth) {
    EXPECT_GT(g, 100u);
    EXPECT_LT(g, 1500u);  // one record, not 2000
  }
  EXPECT_EQ(size_of(""), snapshot);
  EXPECT_EQ(emu_->indicator_count(), 2005u);
}

TEST_F(JournalTest, TornTailIsDroppedAndCorruptionInsideIsRefused) {
  const auto ids = emu_->add_indicators(json::array({domain_item("a.example.com")}));
  create({domain_item("b.example.com")});
  emu_->stop();
  {
    // A crash in the middle of appending: half a line, no newline, never acknowledged.
    std::ofstream j(dir_.path() / "state.json.journal", std::ios::app);
    j << "{\"put\":[{\"id\":\"";
  }
  Options o = make_options();
  {
    Emulator again(o);
    again.start();
    EXPECT_EQ(again.indicator_count(), 2u);
    EXPECT_EQ(again.indicator(ids[0])["value"], "a.example.com");
  }
  EXPECT_EQ(fs::file_size(dir_.path() / "state.json.journal"), 0u);
  {
    std::ofstream j(dir_.path() / "state.json.journal", std::ios::app);
    j << "not json\n{\"put\":[]}\n";
  }
  const std::string err = start_error(o);
  EXPECT_NE(err.find("journal"), std::string::npos) << err;
  EXPECT_NE(err.find("corrupt at byte 0"), std::string::npos) << err;
}

#ifdef FALCON_EMULATOR_BIN
// Starts the program on a free port with --state; returns its pid and port.
std::pair<pid_t, int> spawn(const std::string& state) {
  int fds[2];
  if (::pipe(fds) != 0) return {-1, 0};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::execl(FALCON_EMULATOR_BIN, FALCON_EMULATOR_BIN, "--port", "0", "--state", state.c_str(),
            nullptr);
    ::_exit(127);
  }
  ::close(fds[1]);
  FILE* out = ::fdopen(fds[0], "r");
  char line[512] = {};
  const bool got = std::fgets(line, sizeof line, out) != nullptr;
  std::fclose(out);
  const std::string text = got ? line : "";
  const auto at = text.find("http://127.0.0.1:");
  return {pid, at == std::string::npos ? 0 : std::stoi(text.substr(at + 17))};
}

TEST(JournalProgram, NothingAcknowledgedIsLostOnKill9) {
  ::signal(SIGPIPE, SIG_IGN);  // no in-process emulator here to set it
  TempDir dir;
  const std::string state = (dir.path() / "state.json").string();
  const auto [pid, port] = spawn(state);
  ASSERT_GT(pid, 0);
  // Whatever fails below, the child does not outlive the test.
  bool reaped = false;
  const std::unique_ptr<void, std::function<void(void*)>> reaper(reinterpret_cast<void*>(1),
                                                                 [child = pid, &reaped](void*) {
                                                                   if (reaped) return;
                                                                   ::kill(child, SIGKILL);
                                                                   ::waitpid(child, nullptr, 0);
                                                                 });
  ASSERT_GT(port, 0);
  httplib::Client c("127.0.0.1", port);
  auto t = c.Post("/oauth2/token",
                  "client_id=falcon-emulator-demo&client_secret=falcon-emulator-demo-secret",
                  "application/x-www-form-urlencoded");
  ASSERT_TRUE(t);
  const httplib::Headers h{
      {"Authorization", "Bearer " + json::parse(t->body)["access_token"].get<std::string>()}};
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    const json body{{"indicators", json::array({hash_item(i), hash_item(1000 + i)})}};
    auto r = c.Post("/iocs/entities/indicators/v1", h, body.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    const json created = json::parse(r->body);
    for (const auto& rec : created["resources"]) ids.push_back(rec["id"]);
  }
  auto d = c.Delete(("/iocs/entities/indicators/v1?ids=" + ids[0]).c_str(), h);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->status, 200);
  auto u =
      c.Patch("/iocs/entities/indicators/v1", h,
              json{{"indicators", json::array({{{"id", ids[1]}, {"severity", "low"}}})}}.dump(),
              "application/json");
  ASSERT_TRUE(u);
  ASSERT_EQ(u->status, 200) << u->body;
  ::kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  reaped = true;
  ASSERT_TRUE(WIFSIGNALED(status));

  Options o;
  o.state_file = state;
  Emulator emu(o);
  emu.start();
  EXPECT_EQ(emu.indicator_count(), 40u);
  for (const auto& id : ids) EXPECT_FALSE(emu.indicator(id).is_null()) << id;
  EXPECT_EQ(emu.indicator(ids[0])["deleted"], true);
  EXPECT_EQ(emu.indicator(ids[1])["severity"], "low");
}
#endif

}  // namespace
}  // namespace falcon::emulator::testing
