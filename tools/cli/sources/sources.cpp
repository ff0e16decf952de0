// The feed sources' options and resolve() (sources.hpp).
#include "sources.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>

#include "../cli.hpp"
#include "fetch.hpp"
#include "mapping.hpp"
#include "misp.hpp"
#include "taxii.hpp"

namespace falcon_cli {

void SourceOpts::add_to(CLI::App* c, bool import) {
  c->add_option("--taxii", taxii,
                "TAXII 2.1 API root URL; reads the indicators of --collection (docs/sources.md)");
  c->add_option("--collection", collection, "TAXII collection id (with --taxii)");
  c->add_option("--taxii-credentials", taxii_credentials,
                "KEY=VALUE file (mode 600) with token= or user= and password=, when "
                "FALCON_TAXII_TOKEN / FALCON_TAXII_USER + FALCON_TAXII_PASSWORD are not set")
      ->type_name("FILE");
  c->add_option("--taxii-page-size", taxii_page_size, "TAXII objects asked for per page")
      ->capture_default_str()
      ->check(CLI::Range(1, 10'000));
  c->add_option("--taxii-max-pages", taxii_max_pages,
                "Most TAXII pages read; a server that says more past it fails the read")
      ->capture_default_str()
      ->check(CLI::Range(1, 10'000'000));
  c->add_option("--taxii-max-objects", taxii_max_objects,
                "Most TAXII objects read; more fails the read")
      ->capture_default_str()
      ->check(CLI::Range(1, 100'000'000));
  c->add_option("--taxii-max-page-bytes", taxii_max_page_bytes,
                "Largest TAXII page (bytes); a larger one fails the read")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 32));
  if (import) {
    c->add_flag("--incremental", incremental,
                "With --taxii: read only what was added since the last successful run (the "
                "checkpoint in the state dir)");
  }
  c->add_option("--misp", misp,
                "MISP feed: a URL or folder with manifest.json, or one event's JSON file");
  c->add_option("--misp-tag", misp_tags, "Only MISP events with this tag (repeatable)");
  c->add_option("--misp-exclude-tag", misp_exclude_tags,
                "Leave out MISP events with this tag (repeatable)");
  c->add_flag("--misp-unpublished", misp_unpublished, "Read MISP events not published too");
  c->add_option("--mapping", mapping,
                "JSON file overriding the mapping of confidence, threat level, tags and action")
      ->type_name("FILE");
  c->add_option("--state-dir", state_dir,
                "Where sources keep ETags and checkpoints (default "
                "${XDG_STATE_HOME:-~/.local/state}/falcon-ioc)");
  c->add_option("--feed-ca-bundle", ca_bundle,
                "PEM file of the CAs that verify feed, TAXII and MISP servers (default: the "
                "system store), e.g. an internal CA")
      ->type_name("FILE");
  c->add_option("--max-feed-bytes", max_feed_bytes,
                "Largest feed fetched from a URL, MISP event or manifest (bytes)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 40));
  c->add_option("--feed-timeout", feed_timeout, "Total seconds allowed for one fetch")
      ->capture_default_str()
      ->check(CLI::Range(1, 86'400));
}

namespace sources {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The URL path's last segment, safe as a file name (its extension tells the reader the format).
std::string base_name(const std::string& url) {
  std::string path = url.substr(0, url.find_first_of("?#"));
  const auto scheme = path.find("://");
  path = scheme == std::string::npos ? path : path.substr(scheme + 3);
  const auto slash = path.find('/');
  path = slash == std::string::npos ? "" : path.substr(slash);
  std::string name = path.substr(path.rfind('/') + 1);
  std::string out;
  for (char c : name) {
    out +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  }
  if (out.empty() || out[0] == '.') out = "feed" + out;
  return out.substr(0, 100);
}

std::string extension_format(const std::string& name) {
  const std::string n = lower(name);
  for (const char* e : {".csv", ".txt", ".json", ".ndjson", ".jsonl", ".stix"}) {
    const std::string ext(e);
    if (n.size() > ext.size() && n.compare(n.size() - ext.size(), ext.size(), ext) == 0) {
      if (ext == ".txt") return "text";
      if (ext == ".jsonl") return "ndjson";
      return ext.substr(1);
    }
  }
  return "auto";
}

// A Content-Type that contradicts the feed's format (HTML for anything; JSON for CSV or text;
// CSV for JSON): the server sent something else than the feed, e.g. a login or error page.
std::string contradiction(const std::string& content_type, const std::string& format) {
  const std::string mt = media_type(content_type);
  if (mt == "text/html" || mt == "application/xhtml+xml") return "an HTML page";
  const bool json_type = mt == "application/json" || mt == "application/stix+json" ||
                         mt == "application/taxii+json" || mt == "application/x-ndjson";
  if ((format == "csv" || format == "text") && json_type) return "JSON (" + mt + ")";
  if ((format == "json" || format == "ndjson" || format == "stix") && mt == "text/csv") {
    return "CSV (text/csv)";
  }
  return "";
}

struct UrlFetch {
  std::string url, path;
  FetchReply reply;
};

}  // namespace

bool is_url(const std::string& arg) {
  const std::string l = lower(arg.substr(0, 8));
  return l.rfind("https://", 0) == 0 || l.rfind("http://", 0) == 0;
}

Inputs::~Inputs() {
  if (spool_.empty()) return;
  // The spool holds only files this run wrote (no subfolders).
  if (DIR* d = ::opendir(spool_.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") ::unlink((spool_ + "/" + name).c_str());
    }
    ::closedir(d);
  }
  ::rmdir(spool_.c_str());
}

void Inputs::commit() {
  if (pending_.empty()) return;
  try {
    StateDir dir(state_dir_);
    for (const auto& p : pending_) dir.save(p.kind, p.key, p.state);
  } catch (const SourceError& e) {
    throw CliError{kError, std::string(e.what()) + " (the run itself succeeded)"};
  }
  pending_.clear();
}

Inputs resolve(const falcon::Config& config, const std::vector<std::string>& files,
               const SourceOpts& o, const std::string& format) {
  if (files.empty() && o.taxii.empty() && o.misp.empty()) {
    throw CliError{kUsage,
                   "give feed files or URLs, --taxii API_ROOT --collection ID, or --misp "
                   "FEED (docs/sources.md)"};
  }
  if (o.taxii.empty() != o.collection.empty()) {
    throw CliError{kUsage, "--taxii and --collection go together"};
  }
  if (o.incremental && o.taxii.empty()) {
    throw CliError{kUsage, "--incremental reads a TAXII collection: give --taxii and --collection"};
  }
  if (o.misp.empty() &&
      (!o.misp_tags.empty() || !o.misp_exclude_tags.empty() || o.misp_unpublished)) {
    throw CliError{kUsage, "--misp-tag, --misp-exclude-tag and --misp-unpublished need --misp"};
  }
  Inputs in;
  in.state_dir_ = o.state_dir;
  bool remote = !o.taxii.empty() || is_url(o.misp);
  for (const auto& f : files) remote = remote || is_url(f);
  if (!remote && o.misp.empty()) {
    in.paths = files;
    in.names = files;
    return in;
  }
  try {
    // A missing file is the command's error (exit 1, as docs/cli.md says), not a usage error.
    if (!o.ca_bundle.empty() && access(o.ca_bundle.c_str(), R_OK) != 0) {
      throw SourceError("cannot read the CA bundle " + o.ca_bundle + " (--feed-ca-bundle)");
    }
    Mapping mapping = o.mapping.empty() ? Mapping::defaults() : Mapping::load(o.mapping);
    FetchSettings s;
    s.connect_timeout = config.connect_timeout;
    s.total_timeout = std::chrono::seconds(o.feed_timeout);
    s.proxy = config.proxy;
    s.ssl_verify = config.ssl_verify;
    s.ca_bundle = o.ca_bundle.empty() ? config.ca_bundle : o.ca_bundle;
    s.max_bytes = o.max_feed_bytes;
    s.user_agent = config.user_agent.empty() ? "falcon-ioc" : config.user_agent;
    s.cancel = &g_interrupted;
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/falcon-ioc-spool-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw SourceError("cannot create a spool dir in " + tmpl);
    in.spool_ = tmpl;
    std::optional<StateDir> state;
    auto state_dir = [&]() -> StateDir& {
      if (!state) state.emplace(o.state_dir);
      return *state;
    };

    // Feed URLs, conditionally when every source is one: all "not modified" is nothing to do.
    std::vector<UrlFetch> urls;
    std::size_t n = 0;
    for (const auto& f : files) {
      if (!is_url(f)) continue;
      check_url(f, "feed URL");
      urls.push_back({f, in.spool_ + "/" + std::to_string(++n) + "-" + base_name(f), {}});
    }
    const bool only_urls = urls.size() == files.size() && o.taxii.empty() && o.misp.empty();
    std::size_t not_modified = 0;
    for (auto& u : urls) {
      std::vector<std::string> h = {"Accept: */*"};
      const auto st = state_dir().load("feed", u.url);
      if (only_urls) {
        if (st.contains("etag") && st["etag"].is_string()) {
          h.push_back("If-None-Match: " + st["etag"].get<std::string>());
        }
        if (st.contains("last_modified") && st["last_modified"].is_string()) {
          h.push_back("If-Modified-Since: " + st["last_modified"].get<std::string>());
        }
      }
      u.reply = fetch_to_file(u.url, h, s, u.path);
      if (u.reply.status == 304) ++not_modified;
    }
    if (only_urls && not_modified == urls.size()) {
      std::cerr << "unchanged since the last run (HTTP 304 for every feed URL): nothing to do\n";
      in.unchanged = true;
      return in;
    }
    for (auto& u : urls) {
      if (u.reply.status == 304) {
        // Another feed changed: this one's content is needed in full.
        u.reply = fetch_to_file(u.url, {"Accept: */*"}, s, u.path);
      }
      const std::string where = origin_of(u.url);
      if (u.reply.status != 200) {
        throw SourceError(u.url + ": HTTP " + std::to_string(u.reply.status) + " from " + where +
                          "; nothing read from it");
      }
      const std::string fmt = format == "auto" ? extension_format(base_name(u.url)) : format;
      if (auto what = contradiction(u.reply.header("content-type"), fmt); !what.empty()) {
        throw SourceError(u.url + ": the server sent " + what + " where a " +
                          (fmt == "auto" ? std::string("feed") : fmt + " feed") +
                          " was expected; nothing read from it");
      }
      nlohmann::json st = nlohmann::json::object();
      if (auto e = u.reply.header("etag"); !e.empty()) st["etag"] = e;
      if (auto l = u.reply.header("last-modified"); !l.empty()) st["last_modified"] = l;
      in.pending_.push_back({"feed", u.url, st});
      std::cerr << "fetched " << u.url << ": " << u.reply.bytes << " bytes\n";
    }
    std::size_t next_url = 0;
    for (const auto& f : files) {
      if (is_url(f)) {
        in.paths.push_back(urls[next_url++].path);
      } else {
        in.paths.push_back(f);
      }
      in.names.push_back(f);
    }

    if (!o.taxii.empty()) {
      TaxiiOptions t;
      t.api_root = o.taxii;
      t.collection = o.collection;
      t.page_limit = o.taxii_page_size;
      t.max_pages = o.taxii_max_pages;
      t.max_objects = o.taxii_max_objects;
      t.max_page_bytes = o.taxii_max_page_bytes;
      t.authorization = taxii_authorization(o.taxii_credentials);
      const std::string key = o.taxii + "\n" + o.collection;
      const auto st = state_dir().load("taxii", key);
      std::optional<std::string> checkpoint;
      if (st.contains("added_after") && st["added_after"].is_string()) {
        checkpoint = st["added_after"].get<std::string>();
      }
      if (o.incremental) t.added_after = checkpoint;
      const std::string path = in.spool_ + "/taxii.stix";
      const auto r = spool_taxii(t, s, mapping, path, in.spool_);
      std::cerr << "taxii " << origin_of(o.taxii) << " collection " << o.collection << ": "
                << r.pages << " page(s), " << r.objects << " object(s), " << r.indicators
                << " indicator(s) (" << r.older_versions << " older version(s) dropped, "
                << r.retired << " retired)"
                << (t.added_after ? ", added after " + *t.added_after : std::string()) << "\n";
      nlohmann::json next = nlohmann::json::object();
      if (r.date_added_last) {
        next["added_after"] = *r.date_added_last;
      } else if (checkpoint) {
        next["added_after"] = *checkpoint;
      }
      in.pending_.push_back({"taxii", key, next});
      in.paths.push_back(path);
      in.names.push_back("taxii:" + o.collection);
    }

    if (!o.misp.empty()) {
      MispOptions m;
      m.where = o.misp;
      m.tags = o.misp_tags;
      m.exclude_tags = o.misp_exclude_tags;
      m.unpublished = o.misp_unpublished;
      const std::string path = in.spool_ + "/misp.json";
      const auto r = spool_misp(m, s, mapping, path);
      std::cerr << "misp " << (is_url(o.misp) ? origin_of(o.misp) : o.misp) << ": " << r.events
                << " event(s) read, " << r.events_skipped << " left out by the filters, "
                << r.attributes << " attribute(s), " << r.indicators << " indicator(s), "
                << r.not_for_ids << " not for IDS, " << r.duplicates << " duplicate(s)\n";
      for (const auto& [type, count] : r.skipped_by_type) {
        std::cerr << "misp: skipped " << count << " attribute(s) of type " << type
                  << " (no Falcon IOC type)\n";
      }
      in.paths.push_back(path);
      in.names.push_back("misp:" + o.misp);
    }
    return in;
  } catch (const SourceError& e) {
    throw CliError{kError, std::string(e.what()) + " (nothing planned, nothing removed)"};
  }
}

}  // namespace sources
}  // namespace falcon_cli
