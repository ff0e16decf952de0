// falcon-ioc's credentials file (docs/cli.md#credentials): KEY=VALUE lines in [profile]
// sections; the lines before the first header are the `default` profile, so the sectionless
// files of earlier releases still work.
#include "credentials.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string_view>

#include "cli.hpp"

namespace falcon_cli {

namespace {

/// Larger than any credentials file: a bigger one is not one (and is not read).
constexpr std::size_t kMaxFileBytes = 64 * 1024;
constexpr std::size_t kMaxProfileName = 64;

struct Profile {
  std::map<std::string, std::string> values;  // client_id, client_secret, member_cid, base_url
};

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

bool valid_profile_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxProfileName) return false;
  for (char ch : name) {
    const auto u = static_cast<unsigned char>(ch);
    if (!std::isalnum(u) && ch != '-' && ch != '_' && ch != '.') return false;
  }
  return true;
}

// client_id, client_secret, member_cid, base_url (cloud is base_url), any case, with or
// without FALCON_; "" for anything else.
std::string canonical_key(std::string_view raw) {
  std::string key(trim(raw));
  for (char& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (key.rfind("falcon_", 0) == 0) key.erase(0, 7);
  if (key == "cloud") key = "base_url";
  if (key == "client_id" || key == "client_secret" || key == "member_cid" || key == "base_url") {
    return key;
  }
  return "";
}

// The whole file, after the same mode check as ever: refused when group or others have any
// access. Checked on the open descriptor, so the file checked is the file read.
std::string read_private_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    throw CliError{kError, "cannot read credentials file " + path + ": " + std::strerror(errno)};
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    throw CliError{kError, "credentials file " + path + " is not a regular file"};
  }
  if ((st.st_mode & 077) != 0) {
    throw CliError{kError, "credentials file " + path +
                               " is accessible by group or others; run: chmod 600 " + path};
  }
  if (static_cast<std::size_t>(st.st_size) > kMaxFileBytes) {
    throw CliError{kError, "credentials file " + path + " is larger than " +
                               std::to_string(kMaxFileBytes) + " bytes"};
  }
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      throw CliError{kError, "cannot read credentials file " + path + ": " + std::strerror(errno)};
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxFileBytes) {
      throw CliError{kError, "credentials file " + path + " is larger than " +
                                 std::to_string(kMaxFileBytes) + " bytes"};
    }
  }
  ::explicit_bzero(buf, sizeof buf);
  return text;
}

// Every profile of the file. Errors name the file, the line and the rule; never the line.
std::map<std::string, Profile> parse_profiles(const std::string& path, std::string_view text) {
  std::map<std::string, Profile> profiles;
  std::string current = "default";
  bool default_implicit = false;  // keys before the first header
  int n = 0;
  const auto fail = [&](const std::string& rule) {
    throw CliError{kError, path + ":" + std::to_string(n) + ": " + rule};
  };
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = trim(text.substr(at, end - at));
    at = end + 1;
    ++n;
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      const std::string_view name =
          line.back() == ']' ? trim(line.substr(1, line.size() - 2)) : std::string_view{};
      if (!valid_profile_name(name)) {
        fail("a profile header is [NAME], NAME of letters, digits, '.', '_' or '-' (at most " +
             std::to_string(kMaxProfileName) + ")");
      }
      current = std::string(name);
      if (profiles.count(current) != 0 && !(current == "default" && default_implicit)) {
        fail("profile [" + current + "] appears twice");
      }
      if (current == "default" && default_implicit) {
        fail(
            "profile [default] appears twice (the lines before the first header are the "
            "default profile)");
      }
      profiles[current];
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      fail("expected KEY=VALUE (client_id, client_secret, member_cid or base_url) or [profile]");
    }
    const std::string key = canonical_key(line.substr(0, eq));
    if (key.empty()) {
      fail("unknown key: the keys are client_id, client_secret, member_cid and base_url");
    }
    if (profiles.empty() && current == "default") default_implicit = true;
    profiles[current].values[key] = std::string(trim(line.substr(eq + 1)));
  }
  return profiles;
}

bool env_set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0';
}

void wipe(std::string& s) {
  if (!s.empty()) ::explicit_bzero(s.data(), s.size());
  s.clear();
}

}  // namespace

void protect_secrets_in_memory() {
  // Both, since either alone leaves a way: a pipe in core_pattern ignores RLIMIT_CORE 0, and a
  // dumpable process can be read through /proc/PID/mem by the same user.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  const struct rlimit none {};
  ::setrlimit(RLIMIT_CORE, &none);
}

std::string default_credentials_path() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  // The XDG spec: a relative XDG_CONFIG_HOME is invalid and ignored.
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/falcon-ioc/credentials";
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] != '\0') {
    return std::string(home) + "/.config/falcon-ioc/credentials";
  }
  return "";
}

void apply_credentials(const Global& g, falcon::Config& c) {
  const bool explicit_choice = !g.credentials.empty() || !g.profile.empty();
  const std::string name = g.profile.empty() ? "default" : g.profile;
  std::string path = g.credentials;
  if (path.empty()) {
    path = default_credentials_path();
    if (path.empty()) {
      if (!explicit_choice) return;
      throw CliError{kError, "--profile " + name +
                                 ": no credentials file (set XDG_CONFIG_HOME or HOME, or give "
                                 "--credentials FILE)"};
    }
    if (!explicit_choice) {
      // The environment's client wins over the implicit default profile, and a missing
      // default file is no error.
      if (env_set("FALCON_CLIENT_ID") || env_set("FALCON_CLIENT_SECRET")) return;
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) return;
    }
  }
  std::string text = read_private_file(path);
  auto profiles = parse_profiles(path, text);
  wipe(text);
  const auto it = profiles.find(name);
  if (it == profiles.end()) {
    std::string names;
    for (const auto& [n, p] : profiles) names += (names.empty() ? "" : ", ") + n;
    throw CliError{
        kError, path + " has no profile [" + name + "]" +
                    (names.empty() ? std::string(" (it has none)") : " (it has: " + names + ")") +
                    (g.profile.empty() ? "; pick one with --profile NAME" : "")};
  }
  for (auto& [key, value] : it->second.values) {
    if (key == "client_id") c.client_id = value;
    if (key == "client_secret") c.client_secret = value;
    if (key == "member_cid") c.member_cid = value;
    if (key == "base_url") c.base_url = value;
  }
  for (auto& [n, p] : profiles) {
    for (auto& [key, value] : p.values) wipe(value);
  }
}

}  // namespace falcon_cli
