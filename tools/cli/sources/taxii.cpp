// The TAXII 2.1 client (taxii.hpp). Pages go to a temporary NDJSON file as they arrive (memory
// holds one page and one id per object), then the latest version of each indicator is written
// into the STIX bundle, mapped.
#include "taxii.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <vector>

#include "falcon/feeds.hpp"
#include "falcon/indicators.hpp"

namespace falcon_cli::sources {

using nlohmann::json;

namespace {

constexpr const char* kTaxiiType = "application/taxii+json;version=2.1";

std::string printable(const std::string& s, std::size_t max = 200) {
  std::string out;
  for (unsigned char c : s.substr(0, max))
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  if (s.size() > max) out += "...";
  return out;
}

std::string reason_of(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized: the credentials (FALCON_TAXII_TOKEN, FALCON_TAXII_USER/"
             "FALCON_TAXII_PASSWORD) are missing or refused";
    case 403:
      return "Forbidden: these credentials may not read this collection";
    case 404:
      return "Not Found: no such API root or collection";
    case 406:
      return "Not Acceptable: the server does not serve TAXII 2.1 "
             "(application/taxii+json;version=2.1)";
    case 416:
      return "Range Not Satisfiable";
    default:
      return "";
  }
}

// Refuses any status but 200 and any media type but TAXII 2.1's, naming the server.
void check_reply(const FetchReply& r, const std::string& what) {
  const std::string server = origin_of(r.url);
  if (r.status != 200) {
    std::string msg = "TAXII server " + server + " answered HTTP " + std::to_string(r.status);
    if (auto why = reason_of(r.status); !why.empty()) msg += " " + why;
    msg += " for " + what;
    // The spec's error message carries a title; show it, untrusted and shortened.
    auto j = json::parse(r.body, nullptr, false);
    if (j.is_object() && j.contains("title") && j["title"].is_string()) {
      msg += " (server says: " + printable(j["title"].get<std::string>()) + ")";
    }
    throw SourceError(msg + "; nothing read from it");
  }
  const std::string ct = r.header("content-type");
  std::string norm;
  for (char c : ct) {
    if (c != ' ' && c != '\t')
      norm += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const bool taxii =
      media_type(ct) == "application/taxii+json" &&
      (norm == "application/taxii+json" || norm.find(";version=2.1") != std::string::npos);
  if (!taxii) {
    throw SourceError("TAXII server " + server + " answered " + what + " with Content-Type '" +
                      printable(ct) + "', not " + kTaxiiType + "; nothing read from it");
  }
}

json parse_body(const FetchReply& r, const std::string& what) {
  auto j = json::parse(r.body, nullptr, false);
  if (!j.is_object()) {
    throw SourceError("TAXII server " + origin_of(r.url) + ": " + what +
                      " is not a JSON object; nothing read from it");
  }
  return j;
}

// A string member, or "" (never throws on a mistyped value: the reply is untrusted).
std::string str_member(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<falcon::rules::Time> time_of(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_string()) return std::nullopt;
  return falcon::rules::parse_time(it->get<std::string>());
}

std::string base64(const std::string& in) {
  static constexpr char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {k[v >> 18], k[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
  }
  return out;
}

std::string checked_secret(const std::string& v, const std::string& name) {
  for (unsigned char c : v) {
    if (c < 0x20 || c == 0x7f) throw SourceError(name + " holds a control character");
  }
  return v;
}

// The STIX object path of a type, for rebuilt patterns.
const char* stix_path(const std::string& type) {
  if (type == "sha256") return "file:hashes.'SHA-256'";
  if (type == "md5") return "file:hashes.MD5";
  if (type == "domain") return "domain-name:value";
  if (type == "ipv4") return "ipv4-addr:value";
  return "ipv6-addr:value";
}

std::string quote(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// The mapped objects of one indicator: one per indicator type of its pattern, since severity
// and action are per object and the action depends on the type.
std::vector<json> mapped(json o, const Mapping& m, TaxiiResult& res) {
  SourceRecord rec;
  if (auto c = o.find("confidence"); c != o.end() && c->is_number_integer()) {
    const auto v = c->get<long long>();
    if (v >= 0 && v <= 100) rec.confidence = static_cast<int>(v);
  }
  // OpenCTI's score, when a producer puts it beside confidence.
  if (!rec.confidence) {
    if (auto c = o.find("x_opencti_score"); c != o.end() && c->is_number_integer()) {
      const auto v = c->get<long long>();
      if (v >= 0 && v <= 100) rec.confidence = static_cast<int>(v);
    }
  }
  if (auto l = o.find("labels"); l != o.end() && l->is_array()) {
    for (const auto& t : *l) {
      if (t.is_string()) rec.tags.push_back(t.get<std::string>());
    }
  }
  // Object markings are ids; a TLP marking definition is named in the spec, so say it as a tag.
  if (auto mk = o.find("object_marking_refs"); mk != o.end() && mk->is_array()) {
    static const std::map<std::string, std::string> kTlp = {
        {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "tlp:clear"},
        {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "tlp:green"},
        {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "tlp:amber"},
        {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "tlp:red"}};
    for (const auto& ref : *mk) {
      if (!ref.is_string()) continue;
      if (auto t = kTlp.find(ref.get<std::string>()); t != kTlp.end())
        rec.tags.push_back(t->second);
    }
  }
  // A past valid_until retires the indicator, as revoked does.
  if (auto until = time_of(o, "valid_until");
      until && *until <= falcon::rules::Time::from(std::chrono::system_clock::now())) {
    o["revoked"] = true;
    o.erase("valid_until");
  }
  if (auto rv = o.find("revoked"); rv != o.end() && *rv == true) ++res.retired;
  std::string why;
  const auto pat = o.find("pattern");
  auto pairs = pat != o.end() && pat->is_string()
                   ? falcon::feeds::parse_stix_pattern(pat->get<std::string>(), &why)
                   : std::nullopt;
  if (!pairs) return {o};  // the STIX reader reports it, with its reason
  std::map<std::string, std::vector<std::string>> by_type;
  for (auto& [t, v] : *pairs) by_type[t].push_back(v);
  std::vector<json> out;
  for (const auto& [type, values] : by_type) {
    json copy = o;
    if (by_type.size() > 1) {
      std::string p = "[";
      for (std::size_t i = 0; i < values.size(); ++i) {
        p += (i ? " OR " : "") + std::string(stix_path(type)) + " = " + quote(values[i]);
      }
      copy["pattern"] = p + "]";
    }
    rec.type = type;
    const Mapped mp = map_record(m, rec);
    if (mp.severity) copy["x_falcon_severity"] = *mp.severity;
    if (mp.action) copy["x_falcon_action"] = *mp.action;
    copy.erase("labels");
    if (!mp.tags.empty()) copy["labels"] = mp.tags;
    out.push_back(std::move(copy));
  }
  return out;
}

}  // namespace

std::string taxii_authorization(const std::string& credentials_file) {
  std::string token, user, password;
  if (const char* t = std::getenv("FALCON_TAXII_TOKEN"); t && *t) token = t;
  if (const char* u = std::getenv("FALCON_TAXII_USER"); u && *u) user = u;
  if (const char* p = std::getenv("FALCON_TAXII_PASSWORD"); p) password = p;
  if (token.empty() && user.empty() && !credentials_file.empty()) {
    struct stat st {};
    if (stat(credentials_file.c_str(), &st) != 0) {
      throw SourceError("cannot read the TAXII credentials file " + credentials_file);
    }
    if ((st.st_mode & 077) != 0) {
      throw SourceError("TAXII credentials file " + credentials_file +
                        " is accessible by group or others; run: chmod 600 " + credentials_file);
    }
    std::ifstream in(credentials_file);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      const auto eq = line.find('=');
      const std::string key = eq == std::string::npos ? line : line.substr(0, eq);
      const std::string value = eq == std::string::npos ? "" : line.substr(eq + 1);
      if (key == "token") {
        token = value;
      } else if (key == "user") {
        user = value;
      } else if (key == "password") {
        password = value;
      } else {
        // Never echo the line: it may hold a secret.
        throw SourceError(credentials_file + ":" + std::to_string(n) +
                          ": expected token=, user= or password=");
      }
    }
  }
  if (!token.empty()) return "Bearer " + checked_secret(token, "the TAXII token");
  if (!user.empty()) {
    if (user.find(':') != std::string::npos) throw SourceError("the TAXII user name holds ':'");
    return "Basic " + base64(checked_secret(user, "the TAXII user") + ":" +
                             checked_secret(password, "the TAXII password"));
  }
  return "";
}

namespace {

// A GET of the TAXII server; a failure below HTTP (cap, transfer) names the server too.
FetchReply taxii_get(const std::string& url, const std::vector<std::string>& headers,
                     const FetchSettings& s, std::size_t cap, const std::string& what) {
  try {
    return fetch_to_string(url, headers, s, cap);
  } catch (const SourceError& e) {
    std::string msg = e.what();
    if (msg.find("size cap") != std::string::npos) msg += " (--taxii-max-page-bytes)";
    throw SourceError("TAXII server " + msg + ", reading " + what);
  }
}

}  // namespace

TaxiiResult spool_taxii(const TaxiiOptions& o, const FetchSettings& s, const Mapping& mapping,
                        const std::string& bundle_path, const std::string& work_dir) {
  std::string root = o.api_root;
  if (root.empty() || root.back() != '/') root += '/';
  check_url(root, "TAXII API root");
  if (o.collection.empty()) throw SourceError("--collection: the collection id is empty");
  std::vector<std::string> headers = {std::string("Accept: ") + kTaxiiType};
  if (!o.authorization.empty()) headers.push_back("Authorization: " + o.authorization);
  const std::string coll_url = root + "collections/" + url_encode(o.collection) + "/";

  // The collection resource says whether it can be read (and a 404 names a wrong id early).
  {
    const auto r = taxii_get(coll_url, headers, s, o.max_page_bytes, "collection " + o.collection);
    check_reply(r, "collection " + o.collection);
    const json c = parse_body(r, "collection " + o.collection);
    if (c.contains("can_read") && c["can_read"] != true) {
      throw SourceError("TAXII server " + origin_of(r.url) + ": collection " + o.collection +
                        " cannot be read with these credentials (can_read is false)");
    }
  }

  TaxiiResult res;
  const std::string pages_path = work_dir + "/taxii-pages.ndjson";
  std::ofstream pages(pages_path, std::ios::binary | std::ios::trunc);
  if (!pages) throw SourceError("cannot write the spool file " + pages_path);
  // id -> the newest `modified` seen (as text and as a time).
  std::map<std::string, falcon::rules::Time> latest;
  std::optional<std::string> added_after = o.added_after;
  std::optional<std::string> next;
  std::optional<falcon::rules::Time> last_added;
  while (true) {
    if (res.pages == o.max_pages) {
      throw SourceError("TAXII server " + origin_of(root) + " still says more: true after " +
                        std::to_string(o.max_pages) +
                        " pages (--taxii-max-pages); nothing read from it");
    }
    std::string url =
        coll_url + "objects/?match%5Btype%5D=indicator&limit=" + std::to_string(o.page_limit);
    if (added_after) url += "&added_after=" + url_encode(*added_after);
    if (next) url += "&next=" + url_encode(*next);
    ++res.pages;
    const std::string what = "page " + std::to_string(res.pages) + " of collection " + o.collection;
    const auto r = taxii_get(url, headers, s, o.max_page_bytes, what);
    check_reply(r, what);
    const json env = parse_body(r, what);
    if (auto h = r.header("x-taxii-date-added-last"); !h.empty()) {
      const auto t = falcon::rules::parse_time(h);
      if (!t) {
        throw SourceError("TAXII server " + origin_of(r.url) + ": X-TAXII-Date-Added-Last '" +
                          printable(h) + "' is not a timestamp");
      }
      if (!last_added || *last_added < *t) {
        last_added = *t;
        res.date_added_last = h;
      }
    }
    if (auto objs = env.find("objects"); objs != env.end()) {
      if (!objs->is_array()) {
        throw SourceError("TAXII server " + origin_of(r.url) + ": " + what +
                          ": objects is not an array");
      }
      for (const auto& obj : *objs) {
        if (++res.objects > o.max_objects) {
          throw SourceError("TAXII server " + origin_of(r.url) + ": more than " +
                            std::to_string(o.max_objects) +
                            " objects (--taxii-max-objects); nothing read from it");
        }
        if (!obj.is_object() || str_member(obj, "type") != "indicator") continue;
        const auto id = obj.find("id");
        if (id == obj.end() || !id->is_string()) {
          pages << obj.dump() << "\n";  // the reader reports what is wrong with it
          continue;
        }
        const auto mod =
            time_of(obj, "modified") ? time_of(obj, "modified") : time_of(obj, "created");
        const auto when = mod.value_or(falcon::rules::Time{});
        auto [it, fresh] = latest.emplace(id->get<std::string>(), when);
        if (!fresh && it->second < when) it->second = when;
        pages << obj.dump() << "\n";
      }
    }
    const auto more = env.find("more");
    if (more == env.end() || more->is_null() || *more == false) break;
    if (!more->is_boolean()) {
      throw SourceError("TAXII server " + origin_of(r.url) + ": more is not true or false");
    }
    auto nx = env.find("next");
    if (nx != env.end() && nx->is_string() && !nx->get<std::string>().empty()) {
      next = nx->get<std::string>();
    } else if (res.date_added_last) {
      // No `next`: continue after the last object of this page (OpenCTI's fallback).
      next.reset();
      if (added_after == res.date_added_last) {
        throw SourceError("TAXII server " + origin_of(r.url) +
                          " says more: true without next, and its X-TAXII-Date-Added-Last did "
                          "not move; nothing read from it");
      }
      added_after = res.date_added_last;
    } else {
      throw SourceError("TAXII server " + origin_of(r.url) +
                        " says more: true but gives neither next nor X-TAXII-Date-Added-Last");
    }
  }
  pages.close();
  if (!pages) throw SourceError("cannot write the spool file " + pages_path);

  std::ifstream in(pages_path, std::ios::binary);
  std::ofstream bundle(bundle_path, std::ios::binary | std::ios::trunc);
  if (!bundle) throw SourceError("cannot write the spool file " + bundle_path);
  bundle << "{\"type\":\"bundle\",\"id\":\"bundle--falcon-ioc-taxii\",\"objects\":[";
  std::string line;
  bool first = true;
  std::map<std::string, bool> written;
  while (std::getline(in, line)) {
    json obj = json::parse(line);
    const auto id = obj.find("id");
    if (id != obj.end() && id->is_string()) {
      const auto best = latest[id->get<std::string>()];
      const auto when =
          time_of(obj, "modified") ? time_of(obj, "modified") : time_of(obj, "created");
      // One copy of the newest version; an identical repeat counts as an older version.
      if (when.value_or(falcon::rules::Time{}) != best || written[id->get<std::string>()]) {
        ++res.older_versions;
        continue;
      }
      written[id->get<std::string>()] = true;
    }
    ++res.indicators;
    for (auto& m : mapped(std::move(obj), mapping, res)) {
      bundle << (first ? "" : ",") << m.dump();
      first = false;
    }
  }
  bundle << "]}\n";
  bundle.close();
  if (!bundle) throw SourceError("cannot write the spool file " + bundle_path);
  std::remove(pages_path.c_str());
  return res;
}

}  // namespace falcon_cli::sources
