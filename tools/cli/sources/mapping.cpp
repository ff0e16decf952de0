// The sources' mapping table (mapping.hpp).
#include "mapping.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>

#include "falcon/indicators.hpp"
#include "fetch.hpp"

namespace falcon_cli::sources {

using nlohmann::json;
namespace rules = falcon::rules;

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool tag_matches(const std::string& pattern, const std::string& tag) {
  const std::string p = lower(pattern), t = lower(tag);
  if (!p.empty() && p.back() == '*') return t.compare(0, p.size() - 1, p, 0, p.size() - 1) == 0;
  return p == t;
}

[[noreturn]] void bad(const std::string& file, const std::string& key, const std::string& why) {
  throw SourceError(file + ": " + key + ": " + why);
}

std::string enum_value(const std::string& file, const std::string& key, const json& v,
                       rules::Enum e) {
  if (!v.is_string() || !rules::is_known(e, v.get<std::string>())) {
    bad(file, key, v.dump() + " is not one of " + rules::known_list(e));
  }
  return v.get<std::string>();
}

std::vector<std::string> string_list(const std::string& file, const std::string& key,
                                     const json& v) {
  if (!v.is_array()) bad(file, key, "must be an array of strings");
  std::vector<std::string> out;
  for (const auto& s : v) {
    if (!s.is_string() || s.get<std::string>().empty()) {
      bad(file, key, "must be an array of non-empty strings");
    }
    out.push_back(s.get<std::string>());
  }
  return out;
}

}  // namespace

Mapping Mapping::defaults() {
  Mapping m;
  m.confidence = {
      {0, "informational"}, {20, "low"}, {40, "medium"}, {60, "high"}, {80, "critical"}};
  m.threat_level = {{"1", "high"}, {"2", "medium"}, {"3", "low"}};
  m.action = {{"sha256", "prevent"},
              {"md5", "prevent"},
              {"domain", "detect"},
              {"ipv4", "detect"},
              {"ipv6", "detect"}};
  return m;
}

Mapping Mapping::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw SourceError("cannot read the mapping file " + path);
  json j = json::parse(in, nullptr, false);
  if (!j.is_object()) throw SourceError(path + ": the mapping file must be a JSON object");
  Mapping m = defaults();
  for (const auto& [key, v] : j.items()) {
    if (key == "confidence") {
      if (!v.is_object() || v.empty()) bad(path, key, "must be an object {\"MIN\": \"severity\"}");
      m.confidence.clear();
      for (const auto& [min, sev] : v.items()) {
        std::size_t used = 0;
        int n = -1;
        try {
          n = std::stoi(min, &used);
        } catch (const std::exception&) {
        }
        if (used != min.size() || n < 0 || n > 100) {
          bad(path, key + "." + min, "the key must be a whole number 0-100");
        }
        m.confidence.emplace_back(n, enum_value(path, key + "." + min, sev, rules::Enum::severity));
      }
      std::sort(m.confidence.begin(), m.confidence.end());
      if (m.confidence.front().first != 0) bad(path, key, "the lowest band must start at 0");
    } else if (key == "threat_level") {
      if (!v.is_object()) bad(path, key, "must be an object {\"1\": \"high\", ...}");
      m.threat_level.clear();
      for (const auto& [id, sev] : v.items()) {
        if (id != "1" && id != "2" && id != "3" && id != "4") {
          bad(path, key + "." + id, "MISP's threat_level_id is 1, 2, 3 or 4");
        }
        m.threat_level[id] = enum_value(path, key + "." + id, sev, rules::Enum::severity);
      }
    } else if (key == "action") {
      if (!v.is_object()) bad(path, key, "must be an object {\"sha256\": \"prevent\", ...}");
      for (const auto& [type, act] : v.items()) {
        if (!rules::is_known(rules::Enum::type, type)) {
          bad(path, key + "." + type,
              "not an indicator type (" + rules::known_list(rules::Enum::type) + ")");
        }
        m.action[type] = enum_value(path, key + "." + type, act, rules::Enum::action);
      }
    } else if (key == "drop_tags") {
      m.drop_tags = string_list(path, key, v);
    } else if (key == "add_tags") {
      m.add_tags = string_list(path, key, v);
    } else {
      bad(path, key, "unknown key (known: confidence, threat_level, action, drop_tags, add_tags)");
    }
  }
  return m;
}

json Mapping::to_json() const {
  json c = json::object(), t = json::object(), a = json::object();
  for (const auto& [min, sev] : confidence) c[std::to_string(min)] = sev;
  for (const auto& [id, sev] : threat_level) t[id] = sev;
  for (const auto& [type, act] : action) a[type] = act;
  return {{"confidence", c},
          {"threat_level", t},
          {"action", a},
          {"drop_tags", drop_tags},
          {"add_tags", add_tags}};
}

Mapped map_record(const Mapping& m, const SourceRecord& r) {
  Mapped out;
  if (r.confidence) {
    for (const auto& [min, sev] : m.confidence) {
      if (*r.confidence >= min) out.severity = sev;
    }
  }
  if (!out.severity && r.threat_level) {
    if (auto it = m.threat_level.find(*r.threat_level); it != m.threat_level.end()) {
      out.severity = it->second;
    }
  }
  if (auto it = m.action.find(r.type); it != m.action.end()) out.action = it->second;
  std::set<std::string> seen;
  auto add = [&](const std::string& tag) {
    if (tag.empty() || !seen.insert(lower(tag)).second) return;
    out.tags.push_back(tag);
  };
  for (const auto& tag : r.tags) {
    const bool dropped = std::any_of(m.drop_tags.begin(), m.drop_tags.end(),
                                     [&](const std::string& p) { return tag_matches(p, tag); });
    if (!dropped) add(tag);
  }
  for (const auto& tag : m.add_tags) add(tag);
  return out;
}

}  // namespace falcon_cli::sources
