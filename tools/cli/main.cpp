// falcon-ioc: the command-line tool over falcon-cpp. Arguments are parsed by CLI11; data goes
// to stdout, errors and progress to stderr. Exit codes: 0 done, 1 error, 2 usage, 3 partial.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "falcon/bulk.hpp"
#include "falcon/falcon.hpp"
#include "falcon/feeds.hpp"
#include "falcon/fql.hpp"
#include "falcon/pagination.hpp"
#include "falcon/ranges.hpp"
#include "falcon/sync.hpp"

namespace {

using nlohmann::json;
namespace feeds = falcon::feeds;
namespace fsync = falcon::sync;

constexpr int kOk = 0, kError = 1, kUsage = 2, kPartial = 3;

std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int) {
  g_interrupted = true;
  // A second Ctrl-C ends the process at once.
  std::signal(SIGINT, SIG_DFL);
}

struct CliError {
  int code;
  std::string message;
};

// ---- settings shared by every subcommand --------------------------------------------------

struct Global {
  std::string base_url;
  std::string credentials;
  std::string format;
  bool quiet = false;
  std::string member_cid;
};

bool stdout_tty() {
  return isatty(STDOUT_FILENO) == 1;
}

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// KEY=VALUE lines (client_id, client_secret, member_cid, base_url; FALCON_* names too).
void read_credentials(const std::string& path, falcon::Config& c) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) throw CliError{kError, "cannot read credentials file " + path};
  if ((st.st_mode & 077) != 0) {
    throw CliError{kError, "credentials file " + path +
                               " is accessible by group or others; run: chmod 600 " + path};
  }
  std::ifstream in(path);
  if (!in) throw CliError{kError, "cannot read credentials file " + path};
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) {
      throw CliError{kError, path + ":" + std::to_string(n) + ": expected KEY=VALUE"};
    }
    std::string key = trim(line.substr(0, eq));
    std::string value = trim(line.substr(eq + 1));
    for (char& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (key.rfind("falcon_", 0) == 0) key = key.substr(7);
    if (key == "client_id") {
      c.client_id = value;
    } else if (key == "client_secret") {
      c.client_secret = value;
    } else if (key == "member_cid") {
      c.member_cid = value;
    } else if (key == "base_url" || key == "cloud") {
      c.base_url = value;
    } else {
      // Never echo the line: it may hold a secret.
      throw CliError{kError, path + ":" + std::to_string(n) + ": unknown key '" + key + "'"};
    }
  }
}

falcon::Config make_config(const Global& g) {
  falcon::Config c = falcon::Config::from_env();
  if (!g.credentials.empty()) read_credentials(g.credentials, c);
  if (!g.base_url.empty()) c.base_url = g.base_url;
  if (!g.member_cid.empty()) c.member_cid = g.member_cid;
  c.user_agent = std::string("falcon-ioc/") + falcon::version();
  if (auto e = c.check()) throw CliError{kError, e->describe()};
  return c;
}

enum class Fmt { table, json, ndjson, csv };

Fmt output_format(const Global& g) {
  if (g.format.empty()) return stdout_tty() ? Fmt::table : Fmt::ndjson;
  if (g.format == "table") return Fmt::table;
  if (g.format == "json") return Fmt::json;
  if (g.format == "ndjson") return Fmt::ndjson;
  return Fmt::csv;
}

std::string describe(const falcon::Response& r) {
  if (r.error) return r.error->describe();
  std::string msg = "HTTP " + std::to_string(r.status_code);
  for (const auto& e : r.api_errors()) msg += ": " + e.message;
  return msg;
}

void check(const falcon::Response& r) {
  if (!r.ok()) throw CliError{kError, describe(r)};
}

// ---- progress -----------------------------------------------------------------------------

class Progress {
 public:
  Progress(bool enabled, std::string what, std::size_t total)
      : on_(enabled && isatty(STDERR_FILENO) == 1),
        what_(std::move(what)),
        total_(total),
        start_(std::chrono::steady_clock::now()) {}
  ~Progress() { finish(); }
  void set_total(std::size_t t) { total_ = t; }
  void update(std::size_t done) {
    if (!on_) return;
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    std::string bar;
    if (total_ > 0) {
      const std::size_t w = 30, fill = std::min(w, done * w / total_);
      bar = "[" + std::string(fill, '=') + std::string(w - fill, ' ') + "] ";
    }
    char buf[160];
    if (total_ > 0 && rate > 0) {
      const double eta = static_cast<double>(total_ > done ? total_ - done : 0) / rate;
      std::snprintf(buf, sizeof buf, "%zu/%zu %.0f/s ETA %.0fs", done, total_, rate, eta);
    } else {
      std::snprintf(buf, sizeof buf, "%zu %.0f/s", done, rate);
    }
    std::cerr << "\r" << what_ << " " << bar << buf << "   " << std::flush;
    drawn_ = true;
  }
  void finish() {
    if (drawn_) std::cerr << "\n";
    drawn_ = false;
  }

 private:
  bool on_;
  std::string what_;
  std::size_t total_;
  std::chrono::steady_clock::time_point start_;
  bool drawn_ = false;
};

// ---- output -------------------------------------------------------------------------------

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// Streams indicator records in one format. CSV columns are those the CSV reader takes back.
class IndicatorWriter {
 public:
  IndicatorWriter(Fmt f, std::ostream& out) : f_(f), out_(out) {}

  void write(const json& rec) {
    switch (f_) {
      case Fmt::json:
        out_ << (n_ == 0 ? "[\n" : ",\n") << rec.dump();
        break;
      case Fmt::ndjson:
        out_ << rec.dump() << "\n";
        break;
      case Fmt::csv: {
        if (n_ == 0) {
          out_ << "id,type,value,action,severity,platforms,tags,expiration,description,"
                  "mobile_action,host_groups,applied_globally,source,filename\n";
        }
        const auto i = rec.get<falcon::Indicator>();
        std::string fn;
        if (i.metadata && i.metadata->filename) fn = *i.metadata->filename;
        out_ << csv_cell(i.id) << ',' << csv_cell(i.type) << ',' << csv_cell(i.value) << ','
             << csv_cell(i.action.value_or("")) << ',' << csv_cell(i.severity.value_or("")) << ','
             << csv_cell(join(i.platforms, ";")) << ',' << csv_cell(join(i.tags, ";")) << ','
             << csv_cell(i.expiration.value_or("")) << ',' << csv_cell(i.description.value_or(""))
             << ',' << csv_cell(i.mobile_action.value_or("")) << ','
             << csv_cell(join(i.host_groups, ";")) << ','
             << (i.applied_globally ? (*i.applied_globally ? "true" : "false") : "") << ','
             << csv_cell(i.source.value_or("")) << ',' << csv_cell(fn) << "\n";
        break;
      }
      case Fmt::table: {
        if (n_ == 0) {
          std::snprintf(buf_, sizeof buf_, "%-8s %-64s %-13s %-13s %s\n", "TYPE", "VALUE", "ACTION",
                        "SEVERITY", "SOURCE");
          out_ << buf_;
        }
        const auto i = rec.get<falcon::Indicator>();
        std::snprintf(buf_, sizeof buf_, "%-8s %-64s %-13s %-13s %s\n", i.type.c_str(),
                      i.value.c_str(), i.action.value_or("-").c_str(),
                      i.severity.value_or("-").c_str(), i.source.value_or("-").c_str());
        out_ << buf_;
        break;
      }
    }
    ++n_;
  }

  void finish() {
    if (f_ == Fmt::json) out_ << (n_ == 0 ? "[]\n" : "\n]\n");
    out_ << std::flush;
  }
  std::size_t count() const { return n_; }

 private:
  Fmt f_;
  std::ostream& out_;
  std::size_t n_ = 0;
  char buf_[512];
};

// Generic JSON values (value lists, aggregates, device ids) in one format.
void write_values(Fmt f, const json& values) {
  if (f == Fmt::json) {
    std::cout << values.dump(2) << "\n";
    return;
  }
  for (const auto& v : values) {
    if (f == Fmt::ndjson) {
      std::cout << v.dump() << "\n";
    } else {
      std::cout << (v.is_string() ? csv_cell(v.get<std::string>()) : v.dump()) << "\n";
    }
  }
}

// ---- indicator fields given on the command line --------------------------------------------

struct FieldOpts {
  std::string type, value, action, severity, mobile_action, description, expiration, source,
      filename, comment;
  std::vector<std::string> platforms, tags, host_groups;
  bool applied_globally = false, not_global = false, ignore_warnings = false;

  void add_to(CLI::App* c, bool with_type_value) {
    if (with_type_value) {
      c->add_option("--type", type, "sha256, md5, domain, ipv4 or ipv6 (inferred if omitted)");
      c->add_option("--value", value, "The hash, domain or address")->required();
    }
    c->add_option("--action", action, "no_action, allow, prevent_no_ui, prevent, detect");
    c->add_option("--severity", severity, "informational, low, medium, high, critical");
    c->add_option("--mobile-action", mobile_action, "no_action, allow, detect, prevent");
    c->add_option("--platforms", platforms, "windows, mac, linux, ios, android")->delimiter(',');
    c->add_option("--tags", tags, "Tags")->delimiter(',');
    c->add_option("--host-groups", host_groups, "Host group ids")->delimiter(',');
    c->add_option("--description", description, "Free text");
    c->add_option("--expiration", expiration, "RFC 3339 UTC, e.g. 2026-12-31T00:00:00Z");
    c->add_option("--source", source, "Source label");
    c->add_option("--filename", filename, "metadata.filename (hashes)");
    c->add_flag("--applied-globally", applied_globally, "Apply to every host");
    c->add_option("--comment", comment, "Audit comment");
    c->add_flag("--ignore-warnings", ignore_warnings, "Warnings do not block the write");
  }

  falcon::IndicatorSpec spec() const {
    falcon::IndicatorSpec s;
    auto set = [](std::optional<std::string>& f, const std::string& v) {
      if (!v.empty()) f = v;
    };
    set(s.type, type);
    set(s.value, value);
    set(s.action, action);
    set(s.severity, severity);
    set(s.mobile_action, mobile_action);
    set(s.description, description);
    set(s.expiration, expiration);
    set(s.source, source);
    set(s.filename, filename);
    if (!platforms.empty()) s.platforms = platforms;
    if (!tags.empty()) s.tags = tags;
    if (!host_groups.empty()) s.host_groups = host_groups;
    if (applied_globally) s.applied_globally = true;
    return s;
  }
};

// Defaults for feed entries (import, sync): what a row does not say.
struct FeedDefaults {
  std::string action = "detect", severity = "medium", format = "auto", source;
  std::vector<std::string> platforms{"windows", "mac", "linux"};
  std::string comment;
  std::size_t batch = 2000;

  void add_to(CLI::App* c) {
    c->add_option("--action", action, "Action for rows without one")->capture_default_str();
    c->add_option("--severity", severity, "Severity for rows without one")->capture_default_str();
    c->add_option("--platforms", platforms, "Platforms for rows without them")
        ->delimiter(',')
        ->capture_default_str();
    c->add_option("--input-format", format, "auto, csv, json, ndjson, text, stix")
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "csv", "json", "ndjson", "text", "stix"}));
    c->add_option("--comment", comment, "Audit comment on every write");
    c->add_option("--batch", batch, "Indicators per request (1-2000)")
        ->capture_default_str()
        ->check(CLI::Range(1, 2000));
  }

  feeds::ReadOptions read_options() const {
    feeds::ReadOptions o;
    o.format = *feeds::parse_format(format);
    o.batch_size = batch;
    o.defaults.action = action;
    o.defaults.severity = severity;
    o.defaults.platforms = platforms;
    o.defaults.applied_globally = true;
    if (!source.empty()) o.defaults.source = source;
    return o;
  }
};

void print_issue(const std::string& file, const feeds::FeedIssue& i) {
  std::cerr << file << ":" << i.line << ": " << (i.duplicate ? "duplicate" : "error");
  if (!i.field.empty()) std::cerr << " in " << i.field;
  if (!i.value.empty()) std::cerr << " '" << i.value << "'";
  std::cerr << ": " << i.reason << "\n";
}

std::string item_reason(const falcon::BulkItem& item) {
  std::string out;
  for (const auto& m : item.messages) {
    out +=
        (out.empty() ? "" : "; ") + (m.field_name.empty() ? "" : m.field_name + ": ") + m.message;
  }
  if (item.error) out += (out.empty() ? "" : "; ") + item.error->describe();
  if (item.outcome_unknown) out += " (may have been written)";
  return out.empty() ? "HTTP " + std::to_string(item.status_code) : out;
}

// ---- subcommands --------------------------------------------------------------------------

int cmd_login(const Global& g) {
  falcon::Config cfg = make_config(g);
  falcon::Client client(cfg);
  if (auto e = client.login()) throw CliError{kError, "login failed: " + e->describe()};
  const std::string url = client.base_url();
  std::string cloud = "custom";
  for (const char* name : {"us-1", "us-2", "us-3", "eu-1", "us-gov-1", "us-gov-2"}) {
    if (falcon::cloud_base_url(name) == url) cloud = name;
  }
  json out = {{"base_url", url}, {"cloud", cloud}};
  if (auto exp = client.token_expiry()) {
    out["token_expires"] = falcon::fql::timestamp(*exp);
    out["token_expires_in_seconds"] =
        std::chrono::duration_cast<std::chrono::seconds>(*exp - std::chrono::system_clock::now())
            .count();
  }
  const Fmt f = output_format(g);
  if (f == Fmt::table) {
    std::cout << "Logged in.\n  base URL: " << url << "\n  cloud:    " << cloud << "\n";
    if (out.contains("token_expires")) {
      std::cout << "  token expires: " << out["token_expires"].get<std::string>() << " (in "
                << out["token_expires_in_seconds"].get<long long>() << " s)\n";
    }
  } else {
    std::cout << out.dump() << "\n";
  }
  return kOk;
}

int cmd_create(const Global& g, const FieldOpts& f) {
  falcon::IOC ioc(make_config(g));
  falcon::IndicatorSpec s = f.spec();
  if (!s.type) s.type = feeds::infer_type(*s.value);
  if (!s.applied_globally && !s.host_groups) s.applied_globally = true;
  falcon::IndicatorCreateOptions o;
  o.indicators = json::array({json(s)});
  if (!f.comment.empty()) o.comment = f.comment;
  if (f.ignore_warnings) o.ignore_warnings = true;
  auto r = ioc.indicator_create(o);
  if (!r.ok()) {
    std::string msg = describe(r);
    for (const auto& m : r.resources_as<falcon::RowMessage>()) {
      msg += "\n  " + m.message_type + " in " + m.field_name + ": " + m.message;
    }
    throw CliError{kError, msg};
  }
  IndicatorWriter w(output_format(g), std::cout);
  for (const auto& rec : r.resources()) w.write(rec);
  w.finish();
  return kOk;
}

int cmd_get(const Global& g, const std::vector<std::string>& ids) {
  falcon::IOC ioc(make_config(g));
  IndicatorWriter w(output_format(g), std::cout);
  int rc = kOk;
  for (std::size_t start = 0; start < ids.size(); start += 500) {
    falcon::IndicatorGetOptions o;
    o.ids = std::vector<std::string>(
        ids.begin() + static_cast<std::ptrdiff_t>(start),
        ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), start + 500)));
    auto r = ioc.indicator_get(o);
    if (!r.ok() && r.status_code != 404) throw CliError{kError, describe(r)};
    for (const auto& rec : r.resources()) w.write(rec);
    for (const auto& e : r.api_errors()) {
      std::cerr << "error: " << e.message << "\n";
      rc = kPartial;
    }
  }
  w.finish();
  if (rc != kOk && w.count() == 0) return kError;
  return rc;
}

struct SearchOpts {
  std::string filter, sort;
  std::int64_t limit = 0;
  bool ids_only = false;
};

int cmd_search(const Global& g, const SearchOpts& s, bool is_export) {
  falcon::IOC ioc(make_config(g));
  const Fmt f = is_export && g.format.empty() ? Fmt::csv : output_format(g);
  falcon::IndicatorQueryOptions q;
  if (!s.filter.empty()) q.filter = s.filter;
  if (!s.sort.empty()) q.sort = s.sort;
  q.limit = 2000;
  if (s.limit > 0 && s.limit < 2000) q.limit = s.limit;
  std::size_t n = 0;
  Progress bar(!g.quiet && is_export, "export", 0);
  if (s.ids_only) {
    auto ids = falcon::indicator_ids(ioc, q);
    json batch = json::array();
    for (const auto& id : ids) {
      if (g_interrupted || (s.limit > 0 && n >= static_cast<std::size_t>(s.limit))) break;
      if (f == Fmt::json) {
        batch.push_back(id);
      } else {
        std::cout << (f == Fmt::ndjson ? json(id).dump() : id) << "\n";
      }
      ++n;
    }
    if (f == Fmt::json) std::cout << batch.dump(2) << "\n";
    if (ids.error()) throw CliError{kError, describe(*ids.error())};
  } else {
    auto all = falcon::indicators(ioc, q);
    IndicatorWriter w(f, std::cout);
    for (const auto& i : all) {
      if (g_interrupted || (s.limit > 0 && n >= static_cast<std::size_t>(s.limit))) break;
      if (n == 0 && all.total().value_or(0) > 0) {
        bar.set_total(static_cast<std::size_t>(*all.total()));
      }
      w.write(json(i));
      if (++n % 2000 == 0) bar.update(n);
    }
    w.finish();
    bar.finish();
    if (all.error()) {
      throw CliError{kError,
                     describe(*all.error()) + " (after " + std::to_string(n) + " indicators)"};
    }
  }
  if (g_interrupted) throw CliError{kError, "interrupted after " + std::to_string(n)};
  if (!g.quiet && is_export) std::cerr << "exported " << n << " indicators\n";
  return kOk;
}

int cmd_update(const Global& g, const std::string& id, const FieldOpts& f) {
  falcon::IOC ioc(make_config(g));
  falcon::IndicatorSpec s = f.spec();
  s.id = id;
  s.type.reset();
  s.value.reset();
  falcon::IndicatorUpdateOptions o;
  o.indicators = json::array({json(s)});
  if (!f.comment.empty()) o.comment = f.comment;
  if (f.ignore_warnings) o.ignore_warnings = true;
  auto r = ioc.indicator_update(o);
  if (!r.ok()) {
    std::string msg = describe(r);
    for (const auto& m : r.resources_as<falcon::RowMessage>()) {
      msg += "\n  " + m.message_type + " in " + m.field_name + ": " + m.message;
    }
    throw CliError{kError, msg};
  }
  IndicatorWriter w(output_format(g), std::cout);
  for (const auto& rec : r.resources()) w.write(rec);
  w.finish();
  return kOk;
}

int cmd_delete(const Global& g, const std::vector<std::string>& ids, const std::string& comment) {
  falcon::IOC ioc(make_config(g));
  falcon::BulkOptions o;
  if (!comment.empty()) o.comment = comment;
  auto r = falcon::bulk_delete(ioc, ids, o);
  for (const auto& item : r.items) {
    if (item.ok) {
      std::cout << ids[item.index] << "\n";
    } else {
      std::cerr << "error: " << ids[item.index] << ": " << item_reason(item) << "\n";
    }
  }
  if (!g.quiet) std::cerr << "deleted " << r.succeeded() << ", failed " << r.failed() << "\n";
  if (r.failed() == 0) return kOk;
  return r.succeeded() == 0 ? kError : kPartial;
}

int cmd_import(const Global& g, const std::vector<std::string>& files, const FeedDefaults& d) {
  falcon::IOC ioc(make_config(g));
  feeds::ReadOptions ro = d.read_options();
  falcon::BulkOptions bo;
  bo.batch_size = d.batch;
  if (!d.comment.empty()) bo.comment = d.comment;
  std::size_t created = 0, failed = 0, bad = 0;
  bool fatal = false;
  Progress bar(!g.quiet, "import", 0);
  for (const auto& file : files) {
    auto summary = feeds::read_file(
        file, ro,
        [&](std::vector<feeds::FeedEntry>& batch) {
          if (g_interrupted) return false;
          json items = json::array();
          for (const auto& e : batch) items.push_back(e.spec);
          auto r = falcon::bulk_create(ioc, items, bo);
          for (const auto& item : r.items) {
            if (item.ok) {
              ++created;
              continue;
            }
            ++failed;
            std::cerr << file << ":" << batch[item.index].line << ": not created '"
                      << *batch[item.index].spec.value << "': " << item_reason(item) << "\n";
          }
          bar.update(created + failed);
          return !g_interrupted;
        },
        [&](const feeds::FeedIssue& i) {
          ++bad;
          bar.finish();
          print_issue(file, i);
        });
    if (summary.fatal) {
      fatal = true;
      bar.finish();
      std::cerr << file << ":" << summary.fatal->line << ": fatal: " << summary.fatal->reason
                << "\n";
    }
    if (g_interrupted) break;
  }
  bar.finish();
  const json out = {{"created", created}, {"failed", failed}, {"rejected", bad}};
  if (output_format(g) == Fmt::table) {
    std::cout << "created " << created << ", failed " << failed << ", rejected " << bad << "\n";
  } else {
    std::cout << out.dump() << "\n";
  }
  if (g_interrupted) {
    std::cerr << "interrupted: " << created << " created before the stop; nothing half-sent\n";
    return kError;
  }
  if (failed == 0 && bad == 0 && !fatal) return kOk;
  return created > 0 ? kPartial : kError;
}

json change_json(const fsync::Change& c) {
  json j = {{"op", fsync::to_string(c.kind)}, {"type", c.type}, {"value", c.value}};
  if (!c.id.empty()) j["id"] = c.id;
  if (c.line) j["line"] = c.line;
  if (!c.fields.empty()) {
    json f = json::object();
    for (const auto& fc : c.fields) f[fc.field] = {{"before", fc.before}, {"after", fc.after}};
    j["fields"] = f;
  }
  if (!c.existing_source.empty()) j["existing_source"] = c.existing_source;
  return j;
}

void print_plan(const fsync::Plan& p, Fmt f) {
  std::ostringstream summary;
  summary << "Plan: " << p.count(fsync::ChangeKind::create) << " to create, "
          << p.count(fsync::ChangeKind::update) + p.count(fsync::ChangeKind::adopt)
          << " to update, " << p.count(fsync::ChangeKind::remove) << " to delete, "
          << p.count(fsync::ChangeKind::expire) << " to expire, "
          << p.count(fsync::ChangeKind::conflict) << " conflicts, " << p.unchanged << " unchanged.";
  if (f == Fmt::json || f == Fmt::ndjson) {
    if (f == Fmt::ndjson) {
      for (const auto& c : p.changes) std::cout << change_json(c).dump() << "\n";
      return;
    }
    json changes = json::array();
    for (const auto& c : p.changes) changes.push_back(change_json(c));
    std::cout << json{{"scope", p.scope},
                      {"changes", changes},
                      {"summary",
                       {{"create", p.count(fsync::ChangeKind::create)},
                        {"update", p.count(fsync::ChangeKind::update)},
                        {"adopt", p.count(fsync::ChangeKind::adopt)},
                        {"delete", p.count(fsync::ChangeKind::remove)},
                        {"expire", p.count(fsync::ChangeKind::expire)},
                        {"conflict", p.count(fsync::ChangeKind::conflict)},
                        {"unchanged", p.unchanged}}}}
                     .dump(2)
              << "\n";
    return;
  }
  for (const auto& c : p.changes) {
    switch (c.kind) {
      case fsync::ChangeKind::create:
        std::cout << "+ create ";
        break;
      case fsync::ChangeKind::update:
        std::cout << "~ update ";
        break;
      case fsync::ChangeKind::adopt:
        std::cout << "~ adopt  ";
        break;
      case fsync::ChangeKind::remove:
        std::cout << "- delete ";
        break;
      case fsync::ChangeKind::expire:
        std::cout << "- expire ";
        break;
      case fsync::ChangeKind::conflict:
        std::cout << "! conflict ";
        break;
    }
    std::cout << c.type << " " << c.value;
    if (c.kind == fsync::ChangeKind::conflict) {
      std::cout << " (exists outside the scope, source '" << c.existing_source << "')";
    }
    if (!c.fields.empty() && c.kind != fsync::ChangeKind::expire) {
      std::cout << " (";
      for (std::size_t i = 0; i < c.fields.size(); ++i) {
        std::cout << (i ? ", " : "") << c.fields[i].field << ": " << c.fields[i].before.dump()
                  << " -> " << c.fields[i].after.dump();
      }
      std::cout << ")";
    }
    std::cout << "\n";
  }
  std::cout << summary.str() << "\n";
}

struct SyncOpts {
  std::string on_missing = "delete";
  std::string scope;
  bool dry_run = false, adopt = false;
};

int cmd_sync(const Global& g, const std::vector<std::string>& files, FeedDefaults d,
             const SyncOpts& s) {
  falcon::IOC ioc(make_config(g));
  feeds::ReadOptions ro = d.read_options();
  ro.batch_size = 10'000;
  std::vector<feeds::FeedEntry> entries;
  std::size_t bad = 0;
  for (const auto& file : files) {
    auto summary = feeds::read_file(
        file, ro,
        [&](std::vector<feeds::FeedEntry>& batch) {
          for (auto& e : batch) entries.push_back(std::move(e));
          return !g_interrupted;
        },
        [&](const feeds::FeedIssue& i) {
          ++bad;
          print_issue(file, i);
        });
    if (summary.fatal) {
      // A feed read only in part would delete what it did not reach: refuse.
      throw CliError{kError, file + ":" + std::to_string(summary.fatal->line) +
                                 ": fatal: " + summary.fatal->reason +
                                 "; nothing planned (a partial feed would delete the rest)"};
    }
    if (g_interrupted) throw CliError{kError, "interrupted while reading; nothing written"};
  }
  fsync::Options so;
  so.source = d.source;
  if (!s.scope.empty()) so.scope = s.scope;
  so.on_missing = *fsync::parse_on_missing(s.on_missing);
  so.adopt = s.adopt;
  auto plan = fsync::plan(ioc, entries, so);
  for (const auto& i : plan.invalid) print_issue("feed", i);
  if (!plan.ok()) throw CliError{kError, "reading the scope failed: " + describe(*plan.error)};
  const Fmt f = output_format(g);
  print_plan(plan, f);
  if (s.dry_run || plan.empty()) return bad > 0 ? kPartial : kOk;

  // Apply in slices so Ctrl-C stops between requests, never inside one.
  falcon::BulkOptions bo;
  bo.batch_size = d.batch;
  if (!d.comment.empty()) bo.comment = d.comment;
  Progress bar(!g.quiet, "sync", plan.changes.size());
  std::size_t done = 0, written = 0, failed = 0;
  constexpr std::size_t kSlice = 2000;
  for (std::size_t start = 0; start < plan.changes.size() && !g_interrupted; start += kSlice) {
    fsync::Plan part;
    part.scope = plan.scope;
    part.source = plan.source;
    part.on_missing = plan.on_missing;
    const std::size_t end = std::min(plan.changes.size(), start + kSlice);
    part.changes.assign(plan.changes.begin() + static_cast<std::ptrdiff_t>(start),
                        plan.changes.begin() + static_cast<std::ptrdiff_t>(end));
    auto r = fsync::apply(ioc, part, bo);
    for (const auto& o : r.outcomes) {
      const auto& c = part.changes[o.change];
      if (o.ok) {
        if (!o.skipped) ++written;
        continue;
      }
      ++failed;
      falcon::BulkItem as_item;
      as_item.messages = o.messages;
      as_item.error = o.error;
      as_item.status_code = o.status_code;
      as_item.outcome_unknown = o.outcome_unknown;
      bar.finish();
      std::cerr << "failed: " << fsync::to_string(c.kind) << " " << c.type << " " << c.value
                << (c.line ? " (line " + std::to_string(c.line) + ")" : std::string()) << ": "
                << item_reason(as_item) << "\n";
    }
    done = end;
    bar.update(done);
  }
  bar.finish();
  std::cerr << "Applied: " << written << " written, " << failed << " failed"
            << (g_interrupted ? ", interrupted (" + std::to_string(plan.changes.size() - done) +
                                    " changes not sent)"
                              : std::string())
            << ".\n";
  if (g_interrupted) return kError;
  if (failed == 0 && bad == 0) return kOk;
  return written > 0 || bad > 0 ? kPartial : kError;
}

int cmd_aggregate(const Global& g, const std::string& field, const std::string& filter,
                  std::int64_t size) {
  falcon::IOC ioc(make_config(g));
  falcon::IndicatorAggregateOptions o;
  o.field = field;
  o.name = field;
  o.type = "terms";
  o.size = size;
  if (!filter.empty()) o.filter = filter;
  auto r = ioc.indicator_aggregate(o);
  check(r);
  const Fmt f = output_format(g);
  json buckets = json::array();
  for (const auto& agg : r.resources()) {
    for (const auto& b : agg.value("buckets", json::array())) buckets.push_back(b);
  }
  if (f == Fmt::table || f == Fmt::csv) {
    if (f == Fmt::csv) std::cout << "label,count\n";
    for (const auto& b : buckets) {
      const auto label = b.value("label", json()).is_string() ? b["label"].get<std::string>()
                                                              : b.value("label", json()).dump();
      const auto count = b.value("count", json(0)).dump();
      std::cout << (f == Fmt::csv ? csv_cell(label) + "," + count : label + "\t" + count) << "\n";
    }
  } else {
    write_values(f, buckets);
  }
  return kOk;
}

int cmd_devices(const Global& g, const std::string& type, const std::string& value) {
  falcon::IOC ioc(make_config(g));
  falcon::DevicesRanOnOptions o;
  o.type = type.empty() ? feeds::infer_type(value) : type;
  o.value = value;
  o.limit = 100;
  json ids = json::array();
  auto r = falcon::devices_ran_on_all(ioc, o, [&](falcon::Response& page) {
    for (const auto& id : page.resources()) ids.push_back(id);
    return !g_interrupted.load();
  });
  check(r);
  write_values(output_format(g), ids);
  return kOk;
}

int cmd_processes(const Global& g, const std::string& type, const std::string& value,
                  const std::string& device) {
  falcon::IOC ioc(make_config(g));
  falcon::ProcessesRanOnOptions o;
  o.type = type.empty() ? feeds::infer_type(value) : type;
  o.value = value;
  o.device_id = device;
  o.limit = 100;
  json ids = json::array();
  auto r = falcon::processes_ran_on_all(ioc, o, [&](falcon::Response& page) {
    for (const auto& id : page.resources()) ids.push_back(id);
    return !g_interrupted.load();
  });
  check(r);
  write_values(output_format(g), ids);
  return kOk;
}

int cmd_types(const Global& g, const std::string& which) {
  falcon::IOC ioc(make_config(g));
  falcon::ValueQueryOptions o;
  o.limit = 2000;
  falcon::Response r;
  if (which == "types") r = ioc.ioc_type_query(o);
  if (which == "platforms") r = ioc.platform_query(o);
  if (which == "severities") r = ioc.severity_query(o);
  if (which == "actions") r = ioc.action_query(o);
  check(r);
  write_values(output_format(g), r.resources());
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "falcon-ioc: manage CrowdStrike Falcon custom IOCs, import feeds and keep them in "
      "sync.\n\nCredentials come from FALCON_CLIENT_ID / FALCON_CLIENT_SECRET (and "
      "FALCON_BASE_URL, FALCON_MEMBER_CID) or from --credentials FILE (KEY=VALUE lines, "
      "mode 600); never from a flag.\nExit codes: 0 done, 1 error, 2 usage, 3 partial "
      "(some rows failed)."};
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  falcon-ioc login\n"
      "  falcon-ioc search --filter \"type:'domain'\" --limit 20\n"
      "  falcon-ioc import feed.csv --source acme --comment 'daily load'\n"
      "  falcon-ioc sync feed.csv --source acme --on-missing expire --dry-run\n"
      "  falcon-ioc export --filter \"source:'acme'\" --format csv > acme.csv");
  Global g;
  app.add_option("--base-url", g.base_url, "Cloud name (us-1, eu-1, ...) or URL");
  app.add_option("--credentials", g.credentials, "KEY=VALUE file with client_id/client_secret")
      ->check(CLI::ExistingFile);
  app.add_option("--member-cid", g.member_cid, "MSSP child CID");
  app.add_option("--format", g.format, "table, json, ndjson, csv (default: table on a terminal)")
      ->check(CLI::IsMember({"table", "json", "ndjson", "csv"}));
  app.add_flag("-q,--quiet", g.quiet, "No progress or summaries on stderr");

  auto* login = app.add_subcommand("login", "Check the credentials; print cloud and token expiry");
  login->footer("Example:\n  FALCON_CLIENT_ID=... FALCON_CLIENT_SECRET=... falcon-ioc login");

  FieldOpts create_f;
  auto* create = app.add_subcommand("create", "Create one indicator");
  create_f.add_to(create, true);
  create->footer(
      "Example:\n  falcon-ioc create --value evil.example.com --action detect --severity high "
      "--platforms windows,mac");

  std::vector<std::string> get_ids;
  auto* get = app.add_subcommand("get", "Get indicators by id");
  get->add_option("ids", get_ids, "Indicator ids")->required();
  get->footer("Example:\n  falcon-ioc get 4f8c...e1 --format json");

  SearchOpts search_o;
  auto* search = app.add_subcommand("search", "Search indicators (every page, no 10,000 limit)");
  search->add_option("--filter", search_o.filter, "FQL filter, e.g. type:'domain'+expired:false");
  search->add_option("--sort", search_o.sort, "e.g. created_on.desc");
  search->add_option("--limit", search_o.limit, "At most this many results")
      ->check(CLI::PositiveNumber);
  search->add_flag("--ids-only", search_o.ids_only, "Print ids only");
  search->footer("Example:\n  falcon-ioc search --filter \"severity_number:>=4\" --limit 50");

  std::string update_id;
  FieldOpts update_f;
  auto* update = app.add_subcommand("update", "Update one indicator");
  update->add_option("id", update_id, "Indicator id")->required();
  update_f.add_to(update, false);
  update->footer("Example:\n  falcon-ioc update 4f8c...e1 --severity critical --tags apt29");

  std::vector<std::string> delete_ids;
  std::string delete_comment;
  auto* del = app.add_subcommand("delete", "Delete indicators by id");
  del->add_option("ids", delete_ids, "Indicator ids")->required();
  del->add_option("--comment", delete_comment, "Audit comment");
  del->footer(
      "Example:\n  falcon-ioc search --filter \"source:'old'\" --ids-only | xargs "
      "falcon-ioc delete");

  std::vector<std::string> import_files;
  FeedDefaults import_d;
  auto* import = app.add_subcommand("import", "Create every indicator of feed files (bulk)");
  import->add_option("files", import_files, "Feed files (CSV, JSON, NDJSON, text, STIX 2.1)")
      ->required()
      ->check(CLI::ExistingFile);
  import->add_option("--source", import_d.source, "Source for rows without one");
  import_d.add_to(import);
  import->footer(
      "Examples:\n  falcon-ioc import feed.csv --source acme\n"
      "  falcon-ioc import hashes.txt --action prevent --severity high "
      "--platforms windows");

  SearchOpts export_o;
  auto* exp = app.add_subcommand("export", "Stream every matching indicator (CSV by default)");
  exp->add_option("--filter", export_o.filter, "FQL filter");
  exp->add_option("--sort", export_o.sort, "Sort");
  exp->footer(
      "Example:\n  falcon-ioc export --filter \"source:'acme'\" > acme.csv\n"
      "  falcon-ioc export --format ndjson | jq .value");

  std::vector<std::string> sync_files;
  FeedDefaults sync_d;
  SyncOpts sync_o;
  auto* sync = app.add_subcommand("sync", "Make the indicators of --source match feed files");
  sync->add_option("files", sync_files, "Feed files")->required()->check(CLI::ExistingFile);
  sync->add_option("--source", sync_d.source, "The feed's name (its scope: source:'NAME')")
      ->required();
  sync->add_option("--on-missing", sync_o.on_missing, "delete, expire or keep")
      ->capture_default_str()
      ->check(CLI::IsMember({"delete", "expire", "keep"}));
  sync->add_option("--scope", sync_o.scope, "FQL scope instead of source:'NAME'");
  sync->add_flag("--dry-run", sync_o.dry_run, "Print the plan; write nothing");
  sync->add_flag("--adopt", sync_o.adopt, "Take over values that exist outside the scope");
  sync_d.add_to(sync);
  sync->footer(
      "Examples:\n  falcon-ioc sync feed.csv --source acme --dry-run\n"
      "  falcon-ioc sync feed.stix.json --source acme --on-missing expire");

  std::string agg_field = "type", agg_filter;
  std::int64_t agg_size = 20;
  auto* agg = app.add_subcommand("aggregate", "Count indicators per value of a field");
  agg->add_option("--field", agg_field, "Field to group by")->capture_default_str();
  agg->add_option("--filter", agg_filter, "FQL filter");
  agg->add_option("--size", agg_size, "Buckets")->capture_default_str()->check(CLI::Range(1, 1000));
  agg->footer("Example:\n  falcon-ioc aggregate --field severity --filter \"type:'domain'\"");

  std::string dev_type, dev_value;
  auto* devices = app.add_subcommand("devices", "Hosts that saw an indicator value");
  devices->add_option("--type", dev_type, "Indicator type (inferred if omitted)");
  devices->add_option("--value", dev_value, "Indicator value")->required();
  devices->footer("Example:\n  falcon-ioc devices --value evil.example.com");

  std::string proc_type, proc_value, proc_device;
  auto* processes = app.add_subcommand("processes", "Processes on a host that saw a value");
  processes->add_option("--type", proc_type, "Indicator type (inferred if omitted)");
  processes->add_option("--value", proc_value, "Indicator value")->required();
  processes->add_option("--device-id", proc_device, "Host id")->required();
  processes->footer("Example:\n  falcon-ioc processes --value evil.example.com --device-id <id>");

  std::string types_which = "types";
  auto* types = app.add_subcommand("types", "The API's value lists");
  types->add_option("list", types_which, "types, platforms, severities or actions")
      ->capture_default_str()
      ->check(CLI::IsMember({"types", "platforms", "severities", "actions"}));
  types->footer("Example:\n  falcon-ioc types severities");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kOk : kUsage;
  }

  std::signal(SIGINT, on_sigint);
  std::signal(SIGPIPE, SIG_IGN);
  try {
    if (login->parsed()) return cmd_login(g);
    if (create->parsed()) return cmd_create(g, create_f);
    if (get->parsed()) return cmd_get(g, get_ids);
    if (search->parsed()) return cmd_search(g, search_o, false);
    if (update->parsed()) return cmd_update(g, update_id, update_f);
    if (del->parsed()) return cmd_delete(g, delete_ids, delete_comment);
    if (import->parsed()) return cmd_import(g, import_files, import_d);
    if (exp->parsed()) return cmd_search(g, export_o, true);
    if (sync->parsed()) return cmd_sync(g, sync_files, sync_d, sync_o);
    if (agg->parsed()) return cmd_aggregate(g, agg_field, agg_filter, agg_size);
    if (devices->parsed()) return cmd_devices(g, dev_type, dev_value);
    if (processes->parsed()) return cmd_processes(g, proc_type, proc_value, proc_device);
    if (types->parsed()) return cmd_types(g, types_which);
  } catch (const CliError& e) {
    std::cerr << "falcon-ioc: " << e.message << "\n";
    return e.code;
  } catch (const std::exception& e) {
    std::cerr << "falcon-ioc: " << e.what() << "\n";
    return kError;
  }
  return kUsage;
}
