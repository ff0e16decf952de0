// The state dir (state.hpp).
#include "state.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "fetch.hpp"

namespace falcon_cli::sources {

namespace {

// FNV-1a: a stable file name per source; the key itself is stored inside and compared.
std::string fnv_hex(const std::string& s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) out[static_cast<std::size_t>(i)] = kHex[h & 15];
  return out;
}

void make_dirs(const std::string& dir) {
  for (std::size_t p = 1; p <= dir.size(); ++p) {
    if (p != dir.size() && dir[p] != '/') continue;
    const std::string part = dir.substr(0, p);
    if (mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) {
      throw SourceError("cannot create the state dir " + dir + ": " + std::strerror(errno));
    }
  }
}

}  // namespace

StateDir::StateDir(std::string dir) : dir_(std::move(dir)) {
  if (!dir_.empty()) return;
  const char* xdg = std::getenv("XDG_STATE_HOME");
  if (xdg && *xdg == '/') {
    dir_ = std::string(xdg) + "/falcon-ioc";
    return;
  }
  const char* home = std::getenv("HOME");
  if (!home || !*home) {
    throw SourceError("no state dir: set XDG_STATE_HOME or HOME, or pass --state-dir");
  }
  dir_ = std::string(home) + "/.local/state/falcon-ioc";
}

std::string StateDir::file_for(const std::string& kind, const std::string& key) const {
  return dir_ + "/" + kind + "-" + fnv_hex(key) + ".json";
}

nlohmann::json StateDir::load(const std::string& kind, const std::string& key) const {
  std::ifstream in(file_for(kind, key));
  if (!in) return nlohmann::json::object();
  auto j = nlohmann::json::parse(in, nullptr, false);
  // A damaged or foreign file only costs a full fetch.
  if (!j.is_object() || !j.contains("key") || j["key"] != key) return nlohmann::json::object();
  return j;
}

void StateDir::save(const std::string& kind, const std::string& key, nlohmann::json state) const {
  make_dirs(dir_);
  state["key"] = key;
  const std::string path = file_for(kind, key);
  const std::string tmp = path + ".tmp" + std::to_string(getpid());
  const std::string text = state.dump(2) + "\n";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw SourceError("cannot write the state file " + tmp + ": " + std::strerror(errno));
  std::size_t off = 0;
  bool ok = true;
  while (off < text.size()) {
    const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    off += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw SourceError("cannot write the state file " + path + ": " + why);
  }
}

}  // namespace falcon_cli::sources
