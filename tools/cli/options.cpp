// falcon-ioc's options (options.hpp) and the client settings they build.
#include "options.hpp"

#include <sys/stat.h>

#include <fstream>

#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "credentials.hpp"
#include "falcon/indicators.hpp"

namespace falcon_cli {

namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace

falcon::Config make_config(const Global& g) {
  falcon::Config c = falcon::Config::from_env();
  apply_credentials(g, c);
  if (!g.base_url.empty()) c.base_url = g.base_url;
  if (!g.member_cid.empty()) c.member_cid = g.member_cid;
  c.user_agent = std::string("falcon-ioc/") + falcon::version();
  if (auto e = c.check()) throw CliError{kError, e->describe()};
  return c;
}

void Global::add_to(CLI::App* app) {
  app->add_option("--base-url", base_url, "Cloud name (us-1, eu-1, ...) or URL");
  // A missing file is an error (exit 1, make_config), not a usage error.
  app->add_option("--credentials", credentials,
                  "Credentials file (KEY=VALUE lines, [profile] sections, mode 600; default "
                  "~/.config/falcon-ioc/credentials)")
      ->type_name("FILE");
  app->add_option("--profile", profile, "Profile of the credentials file (default: default)")
      ->envname("FALCON_PROFILE");
  app->add_option("--member-cid", member_cid, "MSSP child CID");
  app->add_option("--format", format, "table, json, ndjson, csv (default: table on a terminal)")
      ->check(CLI::IsMember({"table", "json", "ndjson", "csv"}));
  app->add_flag("-q,--quiet", quiet, "No progress or summaries on stderr");
  app->add_flag("--wide", wide, "Tables: every column, nothing truncated");
  app->add_flag("--csv-raw", csv_raw,
                "CSV: write cells starting with = + - @ TAB CR as they are (by default they "
                "get a leading ' so a spreadsheet does not run them as formulas)");
  app->add_option("--allow-list", allow_list,
                  "File of values never written as IOCs (exact values, CIDR ranges, *.domain "
                  "suffixes), beside the built-in private/loopback/link-local/multicast ones")
      ->type_name("FILE");
}

falcon::rules::AllowList Global::allow() const {
  auto list = falcon::rules::AllowList::builtin();
  if (allow_list.empty()) return list;
  std::ifstream in(allow_list);
  if (!in) throw CliError{kError, "cannot read allow-list file " + allow_list};
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (auto why = list.add(line)) {
      throw CliError{kError, allow_list + ":" + std::to_string(n) + ": " + *why};
    }
  }
  return list;
}

void SyncOpts::apply_to(falcon::sync::Options& o) const {
  o.allow_empty = allow_empty;
  o.any_scope = any_scope;
  o.quota = quota;
  if (!max_delete.empty()) {
    auto cap = falcon::sync::RemovalCap::parse(max_delete);
    if (!cap) {
      throw CliError{kUsage, "--max-delete: '" + max_delete +
                                 "' is neither a number of indicators (50) nor a share of the "
                                 "scope (5%, at most 100%)"};
    }
    o.max_remove = *cap;
  }
  std::size_t start = 0;
  while (start < expire_after.size()) {
    std::size_t end = expire_after.find(',', start);
    if (end == std::string::npos) end = expire_after.size();
    const std::string item = trim(expire_after.substr(start, end - start));
    start = end + 1;
    if (item.empty()) continue;
    const auto eq = item.find('=');
    const std::string type = eq == std::string::npos ? "" : trim(item.substr(0, eq));
    const auto d = eq == std::string::npos
                       ? std::nullopt
                       : falcon::rules::parse_duration(trim(item.substr(eq + 1)));
    if (!falcon::rules::is_known(falcon::rules::Enum::type, type) || !d) {
      throw CliError{kUsage, "--expire-after: '" + item +
                                 "' is not TYPE=DURATION (e.g. sha256=365d, domain=180d, "
                                 "ipv4=30d; durations in s, m, h, d or w)"};
    }
    o.expire_after[type] = *d;
  }
}

void FieldOpts::add_to(CLI::App* c, bool with_type_value) {
  for (const auto& f : falcon::rules::fields()) {
    if (f.option.empty()) continue;
    const bool identity = f.key == "type" || f.key == "value";
    if (identity && !with_type_value) continue;
    const std::string name(f.option), key(f.key), help(f.help);
    switch (f.kind) {
      case falcon::rules::Kind::boolean:
        c->add_flag(name, applied_globally, help);
        break;
      case falcon::rules::Kind::enum_list:
      case falcon::rules::Kind::list:
      case falcon::rules::Kind::id_list:
        c->add_option(name, lists[key], help)->delimiter(',');
        break;
      default: {
        auto* o = c->add_option(name, text[key], help);
        if (key == "value") o->required();
        break;
      }
    }
  }
  c->add_option("--comment", comment, "Audit comment");
  c->add_flag("--ignore-warnings", ignore_warnings, "Warnings do not block the write");
}

falcon::IndicatorSpec FieldOpts::spec() const {
  falcon::IndicatorSpec s;
  auto set = [&](const falcon::rules::Field& f, const std::string& v) {
    if (auto p = falcon::rules::set_from_text(s, f, v, '\x1f')) {
      throw CliError{kUsage, std::string(f.option) + ": " + p->reason};
    }
  };
  for (const auto& f : falcon::rules::fields()) {
    const std::string key(f.key);
    if (auto t = text.find(key); t != text.end() && !t->second.empty()) {
      std::string v = t->second;
      if (f.kind == falcon::rules::Kind::timestamp) {
        // now+30d, +90d, now: relative to the clock; an absolute time is kept as given.
        if (auto rel = falcon::rules::parse_time_or_relative(v, std::chrono::system_clock::now());
            rel && !falcon::rules::parse_time(v)) {
          v = falcon::rules::format_time(*rel);
        }
      }
      set(f, v);
    }
    if (auto l = lists.find(key); l != lists.end() && !l->second.empty()) {
      std::string joined;
      for (const auto& item : l->second) joined += (joined.empty() ? "" : "\x1f") + item;
      set(f, joined);
    }
  }
  if (applied_globally) s.applied_globally = true;
  return s;
}

void FeedDefaults::add_to(CLI::App* c) {
  c->add_option("--action", action, "Action for rows without one")->capture_default_str();
  c->add_option("--severity", severity, "Severity for rows without one")->capture_default_str();
  c->add_option("--platforms", platforms, "Platforms for rows without them")
      ->delimiter(',')
      ->capture_default_str();
  c->add_option("--input-format", format, "auto, csv, json, ndjson, text, stix")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "csv", "json", "ndjson", "text", "stix"}));
  c->add_option("--comment", comment, "Audit comment on every write");
  c->add_option("--batch", batch, "Indicators per request (1-2000)")->capture_default_str();
}

falcon::feeds::ReadOptions FeedDefaults::read_options() const {
  falcon::feeds::ReadOptions o;
  o.format = *falcon::feeds::parse_format(format);
  o.batch_size = batch;
  o.defaults.action = action;
  o.defaults.severity = severity;
  o.defaults.platforms = platforms;
  o.defaults.applied_globally = true;
  if (!source.empty()) o.defaults.source = source;
  return o;
}

}  // namespace falcon_cli
