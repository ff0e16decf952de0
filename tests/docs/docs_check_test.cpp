// The guides against the code and the build scripts: docs/authentication.md's scopes table
// against the vendored spec, docs/getting-started.md's apt line and README.md's package list
// against scripts/deps.sh, and the version macros against CMake's project(VERSION).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <falcon/falcon.hpp>
#include <falcon/version.hpp>
#include <nlohmann/json.hpp>

namespace {

std::string read_file(const std::string& relative) {
  std::ifstream in(std::string(FALCON_SOURCE_DIR) + "/" + relative);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The lines of `text` from the line `heading` to the next heading of the same or a higher level.
std::vector<std::string> section(const std::string& text, const std::string& heading) {
  std::istringstream in(text);
  std::string line;
  std::vector<std::string> out;
  bool inside = false;
  const std::string level = heading.substr(0, heading.find(' ') + 1);  // "### "
  while (std::getline(in, line)) {
    if (line == heading) {
      inside = true;
      continue;
    }
    if (inside && line.rfind("#", 0) == 0) {
      const std::string hashes = line.substr(0, line.find(' ') + 1);
      if (hashes.size() <= level.size() && hashes.find_first_not_of('#') == hashes.size() - 1) {
        break;
      }
    }
    if (inside) out.push_back(line);
  }
  return out;
}

// Every `word` in backticks on `line`.
std::vector<std::string> ticked(const std::string& line) {
  std::vector<std::string> out;
  for (std::size_t at = line.find('`'); at != std::string::npos; at = line.find('`', at + 1)) {
    const std::size_t end = line.find('`', at + 1);
    if (end == std::string::npos) break;
    out.push_back(line.substr(at + 1, end - at - 1));
    at = end;
  }
  return out;
}

// The packages `bash scripts/deps.sh --list` prints.
std::vector<std::string> required_packages() {
  const std::string cmd = "bash '" + std::string(FALCON_SOURCE_DIR) + "/scripts/deps.sh' --list";
  std::vector<std::string> out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[256];
  while (fgets(buf, sizeof buf, p) != nullptr) {
    std::string s(buf);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (!s.empty()) out.push_back(s);
  }
  EXPECT_EQ(pclose(p), 0) << cmd;
  return out;
}

std::set<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::set<std::string> out;
  for (std::string w; in >> w;) out.insert(w);
  return out;
}

}  // namespace

TEST(Docs, ScopesTableMatchesTheSpec) {
  const auto rows = section(read_file("docs/authentication.md"), "### Scopes");
  ASSERT_FALSE(rows.empty()) << "docs/authentication.md has no '### Scopes' section";
  // operation id -> scope, from the table (methods named by their falcon::IOC name).
  std::map<std::string, std::string> table;
  for (const auto& line : rows) {
    if (line.rfind("| `", 0) != 0) continue;
    const auto cells = ticked(line);
    ASSERT_GE(cells.size(), 2u) << line;
    const std::string& scope = cells[0];
    for (std::size_t i = 1; i < cells.size(); ++i) {
      const falcon::Endpoint* ep = falcon::find_endpoint(cells[i]);
      ASSERT_NE(ep, nullptr) << "'" << cells[i] << "' is not an IOC method";
      EXPECT_EQ(ep->method_name, cells[i]) << "the table names methods";
      EXPECT_TRUE(table.emplace(std::string(ep->operation_id), scope).second)
          << cells[i] << " is listed twice";
    }
  }
  const auto spec = nlohmann::json::parse(read_file("spec/ioc-operations.json"));
  std::size_t checked = 0;
  for (const auto& op : spec.at("operations")) {
    const std::string id = op.at("operation_id").get<std::string>();
    if (id.rfind("oauth2", 0) == 0) continue;  // the token routes need no scope
    SCOPED_TRACE(id);
    const auto scopes = op.at("scopes");
    ASSERT_EQ(scopes.size(), 1u) << "one scope per IOC operation in the spec";
    const auto it = table.find(id);
    ASSERT_NE(it, table.end()) << "the scopes table misses it";
    EXPECT_EQ(it->second, scopes.at(0).get<std::string>());
    // The endpoint table (and so docs/operations.md) says the same.
    EXPECT_EQ(falcon::find_endpoint(id)->scope, it->second);
    ++checked;
  }
  EXPECT_EQ(checked, 20u);
  EXPECT_EQ(table.size(), checked) << "the table lists an operation the spec does not have";
}

TEST(Docs, GettingStartedAptLineListsEveryRequiredPackage) {
  const auto required = required_packages();
  ASSERT_GE(required.size(), 10u);
  // The first `apt-get install` command of the guide, with its continuation lines.
  const std::string doc = read_file("docs/getting-started.md");
  const std::size_t at = doc.find("apt-get install ");
  ASSERT_NE(at, std::string::npos) << "docs/getting-started.md has no apt-get install line";
  std::string command;
  for (std::size_t i = at + 16; i < doc.size(); ++i) {
    if (doc[i] == '\\' && i + 1 < doc.size() && doc[i + 1] == '\n') {
      ++i;
      command.push_back(' ');
      continue;
    }
    if (doc[i] == '\n') break;
    command.push_back(doc[i]);
  }
  const auto listed = words(command);
  for (const auto& p : required) EXPECT_EQ(listed.count(p), 1u) << p << " is not in: " << command;
  const std::set<std::string> req(required.begin(), required.end());
  for (const auto& p : listed) EXPECT_EQ(req.count(p), 1u) << p << " is not in scripts/deps.sh";
}

TEST(Docs, ReadmeNamesEveryRequiredPackage) {
  const std::string readme = read_file("README.md");
  // The package list sits in the paragraph under "## The two commands".
  const auto lines = section(readme, "## The two commands");
  std::set<std::string> named;
  for (const auto& l : lines) {
    for (const auto& w : ticked(l)) named.insert(w);
  }
  for (const auto& p : required_packages()) {
    EXPECT_EQ(named.count(p), 1u) << "README.md's list misses " << p;
  }
}

TEST(Docs, VersionMacrosAreCMakesProjectVersion) {
  const std::string cmake = read_file("CMakeLists.txt");
  const std::string key = "project(falcon-cpp VERSION ";
  const std::size_t at = cmake.find(key);
  ASSERT_NE(at, std::string::npos);
  const std::string version =
      cmake.substr(at + key.size(), cmake.find(' ', at + key.size()) - (at + key.size()));
  const std::string macros = std::to_string(FALCON_CPP_VERSION_MAJOR) + "." +
                             std::to_string(FALCON_CPP_VERSION_MINOR) + "." +
                             std::to_string(FALCON_CPP_VERSION_PATCH);
  EXPECT_EQ(macros, version);
  EXPECT_EQ(std::string(FALCON_CPP_VERSION_STRING), version);
  EXPECT_EQ(FALCON_CPP_VERSION, FALCON_CPP_VERSION_MAJOR * 10000 + FALCON_CPP_VERSION_MINOR * 100 +
                                    FALCON_CPP_VERSION_PATCH);
  EXPECT_EQ(std::string(falcon::version()), version) << "the library's own idea of its version";
}

// One emulator client in every guide: each literal FALCON_CLIENT_ID= / FALCON_CLIENT_SECRET=,
// --client-id / --client-secret and -d client_id= / -d client_secret= value in README.md and
// docs/*.md is the emulator's default (tools/emulator/emulator.hpp). Placeholders (`...`) and
// variables (`$x`) are not values.
TEST(Docs, OneEmulatorCredentialConvention) {
  const std::string header = read_file("tools/emulator/emulator.hpp");
  const auto default_of = [&](const std::string& member) {
    const std::string key = "std::string " + member + " = \"";
    const std::size_t at = header.find(key);
    EXPECT_NE(at, std::string::npos) << member;
    if (at == std::string::npos) return std::string();
    const std::size_t start = at + key.size();
    return header.substr(start, header.find('"', start) - start);
  };
  const std::string id = default_of("client_id"), secret = default_of("client_secret");
  ASSERT_EQ(id, "falcon-emulator-demo");
  ASSERT_EQ(secret, "falcon-emulator-demo-secret");
  std::vector<std::string> pages = {"README.md"};
  for (const char* p :
       {"architecture", "authentication", "benchmarks", "bulk-writes", "cli", "emulator",
        "errors-and-retries", "getting-started", "migrating-from-falconpy", "operations",
        "packaging", "pagination", "performance", "reliability", "sync", "testing"}) {
    pages.push_back(std::string("docs/") + p + ".md");
  }
  const std::vector<std::pair<std::string, bool>> keys = {
      {"FALCON_CLIENT_ID=", false}, {"FALCON_CLIENT_SECRET=", true}, {"--client-id ", false},
      {"--client-secret ", true},   {"-d client_id=", false},        {"-d client_secret=", true}};
  std::size_t seen = 0;
  for (const auto& page : pages) {
    const std::string text = read_file(page);
    ASSERT_FALSE(text.empty()) << page;
    for (const auto& [key, is_secret] : keys) {
      for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + 1)) {
        const std::size_t start = at + key.size();
        const std::size_t end = text.find_first_of(" \t\n`'\")|;\\", start);
        const std::string value = text.substr(start, end - start);
        if (value.empty() || value[0] == '$' || value.rfind("...", 0) == 0 || value == "ID" ||
            value == "SECRET" || value == "S") {
          continue;
        }
        EXPECT_EQ(value, is_secret ? secret : id) << page << ": " << key << value;
        ++seen;
      }
    }
  }
  EXPECT_GE(seen, 4u) << "the guides show the emulator's client somewhere";
}
