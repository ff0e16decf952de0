#include "journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "util.hpp"

namespace falcon::emulator {

namespace fs = std::filesystem;
using nlohmann::json;

ssize_t FileOps::write(int fd, const void* data, std::size_t n) {
  return ::write(fd, data, n);
}
int FileOps::fsync(int fd) {
  return ::fsync(fd);
}
int FileOps::fdatasync(int fd) {
  return ::fdatasync(fd);
}
int FileOps::ftruncate(int fd, off_t length) {
  return ::ftruncate(fd, length);
}

namespace {

FileOps& system_ops() {
  static FileOps ops;
  return ops;
}

FileOps* g_ops = nullptr;

void write_all(int fd, const char* data, std::size_t size, const std::string& path) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = file_ops().write(fd, data + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw PersistError("cannot write " + path + ": " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
}

[[noreturn]] void corrupt(const std::string& path, const std::string& why) {
  throw std::runtime_error("state file '" + path + "' is corrupt (" + why +
                           "); refusing to start so no indicators are lost. Move the file away "
                           "to start with an empty store.");
}

// Why a record read from a state file cannot be served, or nullopt when it can.
std::optional<std::string> record_problem(const json& rec) {
  if (!rec.is_object()) return "an indicator is not a JSON object";
  const auto str = [&](const char* k) { return rec.contains(k) && rec[k].is_string(); };
  if (!str("id") || !is_hex(rec["id"].get<std::string>(), 64) || !str("type") || !str("value")) {
    return "an indicator lacks a valid id, type or value";
  }
  const std::string id = rec["id"].get<std::string>();
  for (const char* k : {"deleted", "expired", "applied_globally", "from_parent"}) {
    if (rec.contains(k) && !rec[k].is_boolean())
      return "indicator " + id + ": " + k + " is not a boolean";
  }
  for (const char* k : {"action", "severity", "mobile_action", "source", "description",
                        "created_on", "created_by", "modified_on", "modified_by"}) {
    if (rec.contains(k) && !rec[k].is_string())
      return "indicator " + id + ": " + k + " is not a string";
  }
  for (const char* k : {"platforms", "tags", "host_groups"}) {
    if (!rec.contains(k)) continue;
    if (!rec[k].is_array()) return "indicator " + id + ": " + k + " is not an array";
    for (const auto& v : rec[k]) {
      if (!v.is_string()) return "indicator " + id + ": " + k + " holds a non-string";
    }
  }
  if (rec.contains("metadata") && !rec["metadata"].is_object()) {
    return "indicator " + id + ": metadata is not an object";
  }
  if (rec.contains("expiration") &&
      (!rec["expiration"].is_string() || !parse_time(rec["expiration"].get<std::string>()))) {
    return "indicator " + id + " has a bad expiration";
  }
  return std::nullopt;
}

}  // namespace

FileOps& file_ops() {
  return g_ops != nullptr ? *g_ops : system_ops();
}

ScopedFileOps::ScopedFileOps(FileOps& ops) : previous_(g_ops) {
  g_ops = &ops;
}

ScopedFileOps::~ScopedFileOps() {
  g_ops = previous_;
}

StateFiles::StateFiles(std::string state_file)
    : state_file_(std::move(state_file)),
      journal_file_(state_file_.empty() ? "" : state_file_ + ".journal") {}

StateFiles::~StateFiles() {
  if (journal_fd_ >= 0) ::close(journal_fd_);
}

bool StateFiles::load(const std::function<void(const json&, bool)>& put) {
  if (!enabled()) return false;
  const fs::path target(state_file_);
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw std::runtime_error("the folder of state file '" + state_file_ +
                             "' does not exist or is not a folder");
  }
  if (fs::is_directory(target, ec)) {
    throw std::runtime_error("state file '" + state_file_ + "' is a folder");
  }
  // Temporary snapshots of an earlier run that died before renaming them into place.
  const std::string tmp_prefix = "." + target.filename().string() + ".tmp.";
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.compare(0, tmp_prefix.size(), tmp_prefix) == 0) fs::remove(entry.path(), ec);
  }
  // Opening the journal for append proves the folder writable before anything is served.
  open_journal();

  const auto checked_put = [&](const json& rec, bool from_journal) {
    if (const auto why = record_problem(rec)) corrupt(state_file_, *why);
    put(rec, from_journal);
  };
  snapshot_bytes_ = 0;
  if (fs::exists(target, ec)) {
    std::ifstream in(state_file_, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read state file '" + state_file_ + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    snapshot_bytes_ = text.size();
    if (!trim(text).empty()) {  // empty: e.g. a fresh mktemp file, nothing to lose
      json doc;
      try {
        doc = json::parse(text);
      } catch (const json::exception& e) {
        corrupt(state_file_, std::string("not valid JSON: ") + e.what());
      }
      if (!doc.is_object() || !doc.contains("format") || doc["format"] != "falcon-emulator-state" ||
          !doc.contains("indicators") || !doc["indicators"].is_array()) {
        corrupt(state_file_, "not a falcon-emulator state document");
      }
      for (const auto& rec : doc["indicators"]) checked_put(rec, false);
    }
  }

  // Only the last line can be torn (a crash or a full disk during its append, so its write
  // was never acknowledged); anything else is corruption.
  std::ifstream jin(journal_file_, std::ios::binary);
  std::stringstream js;
  js << jin.rdbuf();
  const std::string journal = js.str();
  std::size_t pos = 0;
  const auto bad = [&]() {
    throw std::runtime_error("state journal '" + journal_file_ + "' is corrupt at byte " +
                             std::to_string(pos) +
                             "; refusing to start so no indicators are lost. Move the state "
                             "file and its journal away to start with an empty store.");
  };
  while (pos < journal.size()) {
    const std::size_t nl = journal.find('\n', pos);
    if (nl == std::string::npos) break;  // torn tail
    const json entry =
        json::parse(journal.begin() + static_cast<std::ptrdiff_t>(pos),
                    journal.begin() + static_cast<std::ptrdiff_t>(nl), nullptr, false);
    if (!entry.is_object() || !entry.contains("put") || !entry["put"].is_array()) bad();
    for (const auto& rec : entry["put"]) {
      if (record_problem(rec)) bad();
    }
    for (const auto& rec : entry["put"]) put(rec, true);
    pos = nl + 1;
  }
  good_bytes_ = pos;
  torn_ = pos < journal.size();
  stats_.journal_bytes = pos;
  cut_torn_tail();  // if it fails, the next append tries again first
  return !journal.empty() || !fs::exists(target, ec);
}

void StateFiles::open_journal() {
  if (journal_fd_ >= 0) return;
  journal_fd_ = ::open(journal_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (journal_fd_ < 0) {
    throw std::runtime_error("cannot write next to state file '" + state_file_ + "' (" +
                             journal_file_ + ": " + std::strerror(errno) + ")");
  }
}

bool StateFiles::cut_torn_tail() {
  if (!torn_) return true;
  if (file_ops().ftruncate(journal_fd_, static_cast<off_t>(good_bytes_)) != 0 ||
      file_ops().fdatasync(journal_fd_) != 0) {
    return false;
  }
  torn_ = false;
  return true;
}

void StateFiles::append(const std::string& line) {
  if (!enabled()) return;
  // A line appended behind a torn one would make the journal unreadable: cut it first.
  if (!cut_torn_tail()) {
    throw PersistError("cannot cut the unfinished end of " + journal_file_ + ": " +
                       std::strerror(errno));
  }
  std::string data;
  data.reserve(line.size() + 1);
  data += line;
  data += '\n';
  try {
    torn_ = true;  // from here on, bytes past good_bytes_ may be in the file
    // One write of a whole line, then fdatasync: the reply goes out only once it is durable.
    write_all(journal_fd_, data.data(), data.size(), journal_file_);
    if (file_ops().fdatasync(journal_fd_) != 0) {
      throw PersistError("fdatasync " + journal_file_ + " failed: " + std::strerror(errno));
    }
  } catch (const PersistError&) {
    const int saved = errno;
    cut_torn_tail();
    errno = saved;
    throw;
  }
  torn_ = false;
  good_bytes_ += data.size();
  ++stats_.journal_appends;
  stats_.journal_bytes += data.size();
}

bool StateFiles::should_compact() const {
  return enabled() && stats_.journal_bytes > std::max(kMinCompactBytes, snapshot_bytes_);
}

void StateFiles::snapshot(const std::function<bool(std::string&)>& next) {
  if (!enabled()) return;
  open_journal();
  const fs::path target(state_file_);
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  const fs::path tmp = dir / ("." + target.filename().string() + ".tmp." + random_hex(8));
  // Same directory so rename() is atomic; fsync before rename so a crash never leaves a torn
  // file. Written in pieces so a large store never needs its whole text in memory.
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw PersistError("cannot create " + tmp.string() + ": " + std::strerror(errno));
  std::size_t written = 0;
  try {
    constexpr std::size_t kChunk = 1 << 20;
    std::string buf = R"({"format":"falcon-emulator-state","indicators":[)";
    bool first = true;
    for (;;) {
      const std::size_t mark = buf.size();
      if (!first) buf += ',';
      if (!next(buf)) {
        buf.resize(mark);
        break;
      }
      first = false;
      if (buf.size() >= kChunk) {
        write_all(fd, buf.data(), buf.size(), tmp.string());
        written += buf.size();
        buf.clear();
      }
    }
    buf += R"(],"version":1})";
    write_all(fd, buf.data(), buf.size(), tmp.string());
    written += buf.size();
    if (file_ops().fsync(fd) != 0) {
      throw PersistError("fsync " + tmp.string() + " failed: " + std::strerror(errno));
    }
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw PersistError("cannot replace " + state_file_ + ": " + err);
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    file_ops().fsync(dfd);
    ::close(dfd);
  }
  snapshot_bytes_ = written;
  ++stats_.snapshots;
  // The snapshot holds everything now. A crash (or a failure) before this truncation only
  // replays records the snapshot already has, which is harmless.
  good_bytes_ = 0;
  torn_ = true;
  cut_torn_tail();
  stats_.journal_bytes = 0;
}

}  // namespace falcon::emulator
