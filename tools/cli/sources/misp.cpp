// MISP feeds (misp.hpp).
#include "misp.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

namespace falcon_cli::sources {

using nlohmann::json;

namespace {

bool is_url(const std::string& s) {
  return s.rfind("https://", 0) == 0 || s.rfind("http://", 0) == 0;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// An event's UUID names its file: anything else (a path, "..") is refused.
bool is_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

std::string str_member(const json& o, const char* key) {
  if (!o.is_object()) return "";
  auto it = o.find(key);
  if (it == o.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<long long>());
  return "";
}

// MISP writes booleans as true/false, older exports as "1"/"0" or 1/0.
bool truthy(const json& o, const char* key) {
  if (!o.is_object()) return false;
  auto it = o.find(key);
  if (it == o.end()) return false;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_number_integer()) return it->get<long long>() != 0;
  if (it->is_string()) return *it == "1" || *it == "true";
  return false;
}

std::vector<std::string> tag_names(const json& o) {
  std::vector<std::string> out;
  if (!o.is_object()) return out;
  auto tags = o.find("Tag");
  if (tags == o.end() || !tags->is_array()) return out;
  for (const auto& t : *tags) {
    const std::string n = str_member(t, "name");
    if (!n.empty()) out.push_back(n);
  }
  return out;
}

bool has_any(const std::vector<std::string>& have, const std::vector<std::string>& wanted) {
  for (const auto& w : wanted) {
    for (const auto& h : have) {
      if (lower(h) == lower(w)) return true;
    }
  }
  return false;
}

// The reply or file text, under the cap.
class Reader {
 public:
  Reader(const FetchSettings& s) : s_(s) {}

  std::string url(const std::string& u) {
    const auto r = fetch_to_string(u, {"Accept: application/json"}, s_, s_.max_bytes);
    if (r.status != 200) {
      throw SourceError("MISP feed " + origin_of(r.url) + " answered HTTP " +
                        std::to_string(r.status) + " for " + u + "; nothing read from it");
    }
    const std::string mt = media_type(r.header("content-type"));
    if (mt == "text/html" || mt == "application/xhtml+xml") {
      throw SourceError("MISP feed " + origin_of(r.url) + " answered " + u +
                        " with an HTML page, not JSON; nothing read from it");
    }
    return r.body;
  }

  std::string file(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      throw SourceError("cannot read the MISP file " + path);
    }
    if (static_cast<std::size_t>(st.st_size) > s_.max_bytes) {
      throw SourceError(path + " is larger than the size cap of " + std::to_string(s_.max_bytes) +
                        " bytes (--max-feed-bytes)");
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    if (!in && !in.eof()) throw SourceError("cannot read the MISP file " + path);
    return out.str();
  }

 private:
  const FetchSettings& s_;
};

json parse(const std::string& text, const std::string& where) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw SourceError(where + ": not valid JSON; nothing read from the feed");
  return j;
}

class Spooler {
 public:
  Spooler(const MispOptions& o, const Mapping& m, MispResult& r, std::ostream& out)
      : o_(o), m_(m), r_(r), out_(out) {}

  // True when the filters let the event (or its manifest summary) through. An event without
  // "published" is taken as published: a feed serves published events.
  bool wanted(const json& e) const {
    if (!o_.unpublished && e.contains("published") && !truthy(e, "published")) return false;
    const auto tags = tag_names(e);
    if (!o_.tags.empty() && !has_any(tags, o_.tags)) return false;
    return !has_any(tags, o_.exclude_tags);
  }

  void event(const json& doc, const std::string& where) {
    const json& e = doc.is_object() && doc.contains("Event") ? doc["Event"] : doc;
    if (!e.is_object()) throw SourceError(where + ": not a MISP event ({\"Event\": {...}})");
    if (++r_.events > o_.max_events) {
      throw SourceError(where + ": more than " + std::to_string(o_.max_events) + " events");
    }
    if (!wanted(e)) {
      ++r_.events_skipped;
      return;
    }
    const std::vector<std::string> event_tags = tag_names(e);
    const std::string level = str_member(e, "threat_level_id");
    std::string info = str_member(e, "info");
    if (info.size() > 1000) info.resize(1000);
    auto attrs = [&](const json& holder) {
      auto a = holder.find("Attribute");
      if (a == holder.end() || !a->is_array()) return;
      for (const auto& attr : *a) attribute(attr, event_tags, level, info);
    };
    attrs(e);
    if (auto objs = e.find("Object"); objs != e.end() && objs->is_array()) {
      for (const auto& obj : *objs) {
        if (obj.is_object()) attrs(obj);
      }
    }
  }

 private:
  void attribute(const json& a, const std::vector<std::string>& event_tags,
                 const std::string& level, const std::string& info) {
    ++r_.attributes;
    if (!a.is_object() || !truthy(a, "to_ids") || truthy(a, "deleted")) {
      ++r_.not_for_ids;
      return;
    }
    const std::string type = str_member(a, "type");
    const std::string value = str_member(a, "value");
    auto split = [&](std::string& first, std::string& second) {
      const auto bar = value.find('|');
      first = value.substr(0, bar);
      second = bar == std::string::npos ? "" : value.substr(bar + 1);
    };
    auto ip_type = [](const std::string& v) {
      return v.find(':') != std::string::npos ? "ipv6" : "ipv4";
    };
    std::string left, right;
    std::vector<std::string> tags = event_tags;
    for (auto& t : tag_names(a)) tags.push_back(std::move(t));
    if (type == "md5" || type == "sha256") {
      emit(type, value, "", tags, level, info);
    } else if (type == "domain" || type == "hostname") {
      emit("domain", value, "", tags, level, info);
    } else if (type == "ip-src" || type == "ip-dst") {
      emit(ip_type(value), value, "", tags, level, info);
    } else if (type == "domain|ip") {
      split(left, right);
      emit("domain", left, "", tags, level, info);
      emit(ip_type(right), right, "", tags, level, info);
    } else if (type == "ip-dst|port" || type == "ip-src|port") {
      split(left, right);
      emit(ip_type(left), left, "", tags, level, info);
    } else if (type == "filename|md5" || type == "filename|sha256") {
      split(left, right);
      emit(type.substr(9), right, left, tags, level, info);
    } else {
      ++r_.skipped_by_type[type.empty() ? "(none)" : type];
    }
  }

  void emit(const std::string& type, const std::string& value, const std::string& filename,
            const std::vector<std::string>& tags, const std::string& level,
            const std::string& info) {
    if (!seen_.insert(type + "\n" + lower(value)).second) {
      ++r_.duplicates;
      return;
    }
    SourceRecord rec;
    rec.type = type;
    rec.tags = tags;
    if (!level.empty()) rec.threat_level = level;
    const Mapped mp = map_record(m_, rec);
    json j = {{"type", type}, {"value", value}};
    if (!filename.empty()) j["filename"] = filename;
    if (mp.severity) j["severity"] = *mp.severity;
    if (mp.action) j["action"] = *mp.action;
    if (!mp.tags.empty()) j["tags"] = mp.tags;
    if (!info.empty()) j["description"] = info;
    out_ << (r_.indicators++ ? ",\n" : "\n") << j.dump();
  }

  const MispOptions& o_;
  const Mapping& m_;
  MispResult& r_;
  std::ostream& out_;
  std::set<std::string> seen_;
};

}  // namespace

MispResult spool_misp(const MispOptions& o, const FetchSettings& s, const Mapping& mapping,
                      const std::string& json_path) {
  MispResult res;
  std::ofstream out(json_path, std::ios::binary | std::ios::trunc);
  if (!out) throw SourceError("cannot write the spool file " + json_path);
  out << "[";
  Spooler sp(o, mapping, res, out);
  Reader rd(s);
  const std::string& w = o.where;
  std::string base;  // the feed's root, with a trailing '/', when it is a feed
  bool single = false;
  if (is_url(w)) {
    check_url(w, "MISP feed URL");
    if (ends_with(w, "/manifest.json")) {
      base = w.substr(0, w.size() - 13);
    } else if (ends_with(lower(w), ".json")) {
      single = true;
    } else {
      base = w.back() == '/' ? w : w + "/";
    }
  } else {
    struct stat st {};
    if (stat(w.c_str(), &st) != 0) throw SourceError("--misp: no such file or folder " + w);
    if (S_ISDIR(st.st_mode)) {
      base = w.back() == '/' ? w : w + "/";
    } else if (ends_with(w, "/manifest.json") || w == "manifest.json") {
      base = w.substr(0, w.size() - 13);
      if (base.empty()) base = "./";
    } else {
      single = true;
    }
  }
  auto load = [&](const std::string& where) {
    return parse(is_url(where) ? rd.url(where) : rd.file(where), where);
  };
  if (single) {
    sp.event(load(w), w);
  } else {
    const std::string manifest_at = base + "manifest.json";
    const json manifest = load(manifest_at);
    if (!manifest.is_object()) {
      throw SourceError(manifest_at + ": a MISP manifest is an object keyed by event UUID");
    }
    for (const auto& [uuid, summary] : manifest.items()) {
      if (!is_uuid(uuid)) {
        throw SourceError(manifest_at + ": '" + uuid.substr(0, 60) +
                          "' is not an event UUID; nothing read from the feed");
      }
      // The manifest's summary spares a download of an event the filters leave out.
      if (summary.is_object() && !sp.wanted(summary)) {
        ++res.events_skipped;
        continue;
      }
      sp.event(load(base + uuid + ".json"), base + uuid + ".json");
    }
  }
  out << "\n]\n";
  out.close();
  if (!out) throw SourceError("cannot write the spool file " + json_path);
  return res;
}

}  // namespace falcon_cli::sources
