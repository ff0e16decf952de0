// --state under a full disk (issue 17): a write that cannot be made durable is rolled back and
// answered 5xx, a torn journal tail is cut before the next append, and the emulator always
// starts again from its own journal. ENOSPC is injected through the persistence layer's
// FileOps seam, so no tmpfs (and no mount privilege) is needed.
#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>

#include "emulator_test_support.hpp"
#include "journal.hpp"

namespace falcon::emulator::testing {
namespace {

namespace fs = std::filesystem;

// A disk with `space` bytes left (-1: plenty); sync and truncate can be made to fail too.
class FullDisk : public FileOps {
 public:
  ssize_t write(int fd, const void* data, std::size_t n) override {
    if (space >= 0) {
      if (space == 0) {
        errno = ENOSPC;
        return -1;
      }
      n = std::min(n, static_cast<std::size_t>(space));  // a short write, as a filling disk gives
      space -= static_cast<long>(n);
    }
    return FileOps::write(fd, data, n);
  }
  int fdatasync(int fd) override {
    if (fail_sync > 0) {
      --fail_sync;
      errno = EIO;
      return -1;
    }
    return FileOps::fdatasync(fd);
  }
  int ftruncate(int fd, off_t length) override {
    if (fail_truncate) {
      errno = ENOSPC;
      return -1;
    }
    return FileOps::ftruncate(fd, length);
  }

  long space = -1;
  int fail_sync = 0;
  bool fail_truncate = false;
};

class FullDiskTest : public EmulatorTest {
 protected:
  Options make_options() override {
    Options o = EmulatorTest::make_options();
    o.state_file = (dir_.path() / "state.json").string();
    return o;
  }

  std::string journal() const {
    std::ifstream in(dir_.path() / "state.json.journal", std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // Values of the non-deleted indicators, read over HTTP.
  std::set<std::string> live_values() {
    std::set<std::string> out;
    json page = call_json("GET", "/iocs/combined/indicator/v1?limit=2000", 200);
    for (const auto& rec : page["resources"]) out.insert(rec["value"].get<std::string>());
    return out;
  }

  std::size_t audited_creates() const {
    std::size_t n = 0;
    for (const auto& e : emu_->audit_log()) n += e["operation"] == "indicator_create_v1";
    return n;
  }

  // Declared before the fixture's emulator starts, so every write goes through it.
  FullDisk disk_;
  ScopedFileOps scoped_{disk_};
  TempDir dir_;
};

TEST_F(FullDiskTest, NothingAcknowledgedIsLostNothingUnacknowledgedIsVisible) {
  std::set<std::string> acknowledged;
  for (const char* v : {"a1.example.com", "a2.example.com", "a3.example.com"}) {
    create({domain_item(v)});
    acknowledged.insert(v);
  }
  const json a1 =
      call_json("GET", "/iocs/queries/indicators/v1?filter=value:'a1.example.com'", 200);
  const std::string a1_id = a1["resources"][0];

  // The disk fills in the middle of the journal line: 503, the record is not kept.
  disk_.space = 40;
  json refused = create({domain_item("b1.example.com")}, 503);
  EXPECT_NE(refused["errors"][0]["message"].get<std::string>().find("nothing was changed"),
            std::string::npos)
      << refused.dump();
  EXPECT_EQ(live_values(), acknowledged);
  const std::string after_cut = journal();
  EXPECT_TRUE(after_cut.empty() || after_cut.back() == '\n') << "torn tail left in place";

  // Even cutting fails now: the half line stays in the file until the next append.
  disk_.space = 40;
  disk_.fail_truncate = true;
  create({domain_item("b2.example.com")}, 503);
  EXPECT_NE(journal().back(), '\n');  // torn
  // A delete and an update that cannot be persisted are rolled back as well.
  call_json("DELETE", "/iocs/entities/indicators/v1?ids=" + a1_id, 503);
  json update = {{"indicators", {{{"id", a1_id}, {"severity", "low"}}}}};
  call_json("PATCH", "/iocs/entities/indicators/v1", 503, update.dump());
  EXPECT_EQ(live_values(), acknowledged);
  EXPECT_EQ(emu_->indicator(a1_id)["severity"], "high");
  EXPECT_EQ(emu_->indicator(a1_id)["deleted"], false);

  // A line written whole but never made durable is not acknowledged either.
  disk_.space = -1;
  disk_.fail_truncate = false;
  disk_.fail_sync = 1;
  create({domain_item("b3.example.com")}, 503);
  EXPECT_EQ(live_values(), acknowledged);

  // Space again: the torn tail is cut before the next line, which lands on a clean end.
  create({domain_item("c1.example.com")});
  acknowledged.insert("c1.example.com");
  EXPECT_EQ(live_values(), acknowledged);
  std::istringstream lines(journal());
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    EXPECT_TRUE(json::parse(line, nullptr, false).is_object()) << line;
    ++count;
  }
  EXPECT_GT(count, 0);
  EXPECT_EQ(journal().back(), '\n');
  // Only acknowledged writes were counted and audited.
  EXPECT_EQ(audited_creates(), 4u);
  EXPECT_EQ(emu_->counters().indicators_created, 4u);

  // Restart from the journal: exactly the acknowledged writes.
  emu_->stop();
  emu_ = std::make_unique<Emulator>(make_options());
  port_ = emu_->start();
  client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
  token_.clear();
  EXPECT_EQ(live_values(), acknowledged);
  EXPECT_EQ(emu_->indicator_count(), acknowledged.size());
}

TEST_F(FullDiskTest, StartsFromItsJournalWhileTheDiskIsStillFull) {
  create({domain_item("kept.example.com")});
  emu_->stop();
  {
    // A crash mid-append left half a line; now not even a snapshot fits on the disk.
    std::ofstream j(dir_.path() / "state.json.journal", std::ios::app);
    j << "{\"put\":[{\"id\":\"";
  }
  disk_.space = 0;
  disk_.fail_truncate = true;
  emu_ = std::make_unique<Emulator>(make_options());
  port_ = emu_->start();  // compaction waits; the torn tail is cut before the next append
  client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
  token_.clear();
  EXPECT_EQ(live_values(), std::set<std::string>{"kept.example.com"});
  create({domain_item("refused.example.com")}, 503);

  disk_.space = -1;
  disk_.fail_truncate = false;
  create({domain_item("later.example.com")});
  emu_->stop();
  emu_ = std::make_unique<Emulator>(make_options());
  port_ = emu_->start();
  client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
  token_.clear();
  EXPECT_EQ(live_values(), (std::set<std::string>{"kept.example.com", "later.example.com"}));
}

}  // namespace
}  // namespace falcon::emulator::testing
