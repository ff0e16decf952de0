// falcon-ioc: the command-line tool over falcon-cpp. This file only wires CLI11 subcommands to
// the option groups (options.cpp) and the commands (commands_*.cpp).
#include <algorithm>
#include <csignal>
#include <iostream>
#include <string_view>
#include <type_traits>

#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "credentials.hpp"
#include "falcon/version.hpp"
#include "generated_docs.hpp"
#include "output.hpp"

namespace falcon_cli {

std::atomic<bool> g_interrupted{false};

namespace {

extern "C" void on_sigint(int) {
  g_interrupted = true;
  // A second Ctrl-C ends the process at once.
  std::signal(SIGINT, SIG_DFL);
}

// Optimal string alignment distance: an edit is an insert, a delete, a change or swapping two
// neighbours ("serach" is one edit from "search").
std::size_t edits(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// The candidate nearest to `word` when it is a plausible typo of it (1 edit, 2 for long words),
// or a unique candidate that `word` starts (3 characters at least); "" otherwise.
std::string nearest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = word.size() >= 6 ? 3 : 2;
  for (const auto& c : candidates) {
    const std::size_t d = edits(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  if (!best.empty()) return best;
  std::vector<std::string> prefixed;
  for (const auto& c : candidates) {
    if (word.size() >= 3 && c.size() > word.size() && c.compare(0, word.size(), word) == 0) {
      prefixed.push_back(c);
    }
  }
  return prefixed.size() == 1 ? prefixed[0] : "";
}

std::vector<std::string> command_names(CLI::App& app) {
  std::vector<std::string> out;
  for (auto* s : app.get_subcommands([](CLI::App*) { return true; })) out.push_back(s->get_name());
  return out;
}

// "--name" of every option of `app` and of the parent whose options it falls through to.
std::vector<std::string> option_names(CLI::App* app) {
  std::vector<std::string> out;
  for (; app != nullptr; app = app->get_parent()) {
    for (const auto* o : app->get_options()) {
      for (const auto& l : o->get_lnames()) out.push_back("--" + l);
    }
  }
  return out;
}

bool takes_value(CLI::App* app, const std::string& name) {
  for (; app != nullptr; app = app->get_parent()) {
    if (const auto* o = app->get_option_no_throw(name)) return o->get_items_expected_min() > 0;
  }
  return false;
}

// The first word that is not an option or an option's value: the command the user meant.
// Returns the unknown word, or "" when it names a command (or there is none).
std::string unknown_command(CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") return "";
    if (a.size() > 1 && a[0] == '-') {
      // An unknown option: whether it takes a value is unknown too, so CLI11 reports it.
      if (app.get_option_no_throw(a.substr(0, a.find('='))) == nullptr) return "";
      if (a.find('=') == std::string::npos && takes_value(&app, a)) ++i;
      continue;
    }
    const auto names = command_names(app);
    return std::find(names.begin(), names.end(), a) == names.end() ? a : "";
  }
  return "";
}

// After CLI11's message: "Did you mean ...?" for the first option no command knows.
void suggest_option(CLI::App& app, int argc, char** argv) {
  CLI::App* cmd = &app;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") return;
    if (a.size() < 2 || a[0] != '-') {
      if (cmd == &app) {
        for (auto* s : app.get_subcommands([](CLI::App*) { return true; })) {
          if (s->get_name() == a) cmd = s;
        }
      }
      continue;
    }
    const std::string name = a.substr(0, a.find('='));
    bool known = false;
    for (CLI::App* p = cmd; p != nullptr && !known; p = p->get_parent()) {
      known = p->get_option_no_throw(name) != nullptr;
    }
    if (known) {
      if (a.find('=') == std::string::npos && takes_value(cmd, name)) ++i;
      continue;
    }
    if (name.rfind("--", 0) != 0) continue;
    const std::string guess = nearest(name, option_names(cmd));
    if (!guess.empty()) std::cerr << "Did you mean '" << guess << "'?\n";
    return;
  }
}

// A number option outside its range, said in words (not CLI11's numeric limits).
template <class T>
void require_range(const CLI::Option* o, T value, long long lo, long long hi) {
  if (o == nullptr || o->count() == 0) return;
  bool out = false;
  if constexpr (std::is_signed_v<T>) {
    out = static_cast<long long>(value) < lo || static_cast<long long>(value) > hi;
  } else {
    out = static_cast<unsigned long long>(value) < static_cast<unsigned long long>(lo) ||
          static_cast<unsigned long long>(value) > static_cast<unsigned long long>(hi);
  }
  if (out) {
    throw CliError{kUsage, o->get_name() + " must be between " + std::to_string(lo) + " and " +
                               std::to_string(hi) + " (got " + std::to_string(value) + ")"};
  }
}

// The options of sync's guards that undo shares.
void add_guards(CLI::App* c, SyncOpts& o) {
  c->add_option("--max-delete", o.max_delete,
                "Most removals (deletes and expiries) allowed: N or P% of the scope "
                "(default: 10% or 10, whichever is more; 100% lifts it)");
  c->add_option("--journal", o.journal,
                "Append every applied change with its before-image to FILE (JSON lines)")
      ->type_name("FILE");
  c->add_option("--rate-share", o.rate_share,
                "Share of the API's request rate (6000/min per tenant, shared by every "
                "integration) the writes may use, 0 to 1 (default 0.5; 0 does not pace)")
      ->check(CLI::Range(0.0, 1.0));
}

}  // namespace

}  // namespace falcon_cli

int main(int argc, char** argv) {
  using namespace falcon_cli;
  protect_secrets_in_memory();
  CLI::App app{
      "falcon-ioc: manage CrowdStrike Falcon custom IOCs, import feeds and keep them in "
      "sync.\n\nCredentials come from FALCON_CLIENT_ID / FALCON_CLIENT_SECRET (and "
      "FALCON_BASE_URL, FALCON_MEMBER_CID) or from a credentials file "
      "(~/.config/falcon-ioc/credentials or --credentials FILE: KEY=VALUE lines in [profile] "
      "sections, mode 600; --profile NAME); never from a flag.\nFeed sources (import, sync; "
      "docs/sources.md): files, https:// feed URLs (conditional requests, state in "
      "--state-dir), TAXII 2.1 collections (--taxii API_ROOT --collection ID), MISP feeds "
      "(--misp URL_OR_DIR).\nExit codes: 0 done, 1 error, 2 usage, 3 partial "
      "(some rows failed), 4 refused by a safety guard (nothing written)."};
  app.require_subcommand(1);
  // Options may follow the subcommand: what a subcommand does not know goes to the main app.
  app.fallthrough();
  app.set_version_flag("--version", std::string("falcon-ioc ") + FALCON_CPP_VERSION_STRING +
                                        " (libfalcon-cpp " + falcon::version() + ")");
  app.footer(
      "Examples:\n"
      "  falcon-ioc login\n"
      "  falcon-ioc search --filter \"type:'domain'\" --limit 20\n"
      "  falcon-ioc import feed.csv --source acme --comment 'daily load'\n"
      "  falcon-ioc sync feed.csv --source acme --on-missing expire --dry-run\n"
      "  falcon-ioc export --filter \"source:'acme'\" --format csv > acme.csv\n"
      "  falcon-ioc sync https://intel.example.com/feeds/daily.csv --source daily\n"
      "  falcon-ioc sync --taxii https://taxii.example.com/api1/ --collection ID --source octi\n"
      "  falcon-ioc import --misp https://misp.example.com/feed/ --source misp\n"
      "Options may come before or after the command.");
  Global g;
  g.add_to(&app);

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
  auto* search_limit = search->add_option(
      "--limit", search_o.limit, "At most this many results (1-" + std::to_string(kMaxLimit) + ")");
  search->add_flag("--ids-only", search_o.ids_only, "Print bare ids, one a line, in every format");
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
  SourceOpts import_src;
  auto* import = app.add_subcommand("import", "Create every indicator of feed files (bulk)");
  import
      ->add_option("files", import_files,
                   "Feed files or https:// URLs (CSV, JSON, NDJSON, text, STIX 2.1; '-' reads "
                   "stdin)")
      ->type_name("FILE");
  import_src.add_to(import, true);
  import->add_option("--source", import_d.source, "Source for rows without one");
  import_d.add_to(import);
  import->footer(
      "Examples:\n  falcon-ioc import feed.csv --source acme\n"
      "  falcon-ioc import hashes.txt --action prevent --severity high "
      "--platforms windows\n"
      "  falcon-ioc import --taxii https://taxii.example.com/api1/ --collection ID "
      "--source octi --incremental");

  SearchOpts export_o;
  auto* exp = app.add_subcommand("export", "Stream every matching indicator (CSV by default)");
  exp->add_option("--filter", export_o.filter, "FQL filter");
  exp->add_option("--sort", export_o.sort, "Sort");
  auto* export_limit =
      exp->add_option("--limit", export_o.limit,
                      "At most this many indicators (1-" + std::to_string(kMaxLimit) + ")");
  exp->footer(
      "Example:\n  falcon-ioc export --filter \"source:'acme'\" > acme.csv\n"
      "  falcon-ioc export --format ndjson | jq .value");

  std::vector<std::string> sync_files;
  FeedDefaults sync_d;
  SyncOpts sync_o;
  SourceOpts sync_src;
  auto* sync = app.add_subcommand("sync", "Make the indicators of --source match feed files");
  sync->add_option("files", sync_files, "Feed files or https:// URLs ('-' reads stdin)")
      ->type_name("FILE");
  sync_src.add_to(sync, false);
  sync->add_option("--source", sync_d.source, "The feed's name (its scope: source:'NAME')")
      ->required();
  sync->add_option("--on-missing", sync_o.on_missing, "delete, expire or keep")
      ->capture_default_str()
      ->check(CLI::IsMember({"delete", "expire", "keep"}));
  sync->add_option("--scope", sync_o.scope, "FQL scope instead of source:'NAME'");
  sync->add_flag("--dry-run", sync_o.dry_run, "Print the plan; write nothing");
  sync->add_flag("--adopt", sync_o.adopt, "Take over values that exist outside the scope");
  add_guards(sync, sync_o);
  sync->add_flag("--allow-empty", sync_o.allow_empty,
                 "Sync an empty feed (it removes the whole scope, within --max-delete)");
  sync->add_flag("--any-scope", sync_o.any_scope, "Allow a --scope that does not constrain source");
  sync->add_option("--quota", sync_o.quota,
                   "The tenant's indicator quota: refuse creates past it (0: no check)")
      ->capture_default_str();
  sync->add_option("--expire-after", sync_o.expire_after,
                   "Expiry policy for entries without one: TYPE=DURATION,... (sha256=365d,"
                   "domain=180d,ipv4=30d)");
  sync_d.add_to(sync);
  sync->footer(
      "Examples:\n  falcon-ioc sync feed.csv --source acme --dry-run\n"
      "  falcon-ioc sync feed.stix.json --source acme --on-missing expire\n"
      "  falcon-ioc sync feed.csv --source acme --journal acme.journal --max-delete 5%\n"
      "Exit code 4: refused by a safety guard (removal cap, quota, scope); nothing written.");

  std::string undo_file, undo_comment;
  SyncOpts undo_o;
  auto* undo = app.add_subcommand("undo", "Reverse what a sync journal recorded");
  undo->add_option("journal", undo_file, "A journal written by sync --journal")->required();
  undo->add_flag("--dry-run", undo_o.dry_run, "Print the plan; write nothing");
  undo->add_option("--comment", undo_comment, "Audit comment on every write");
  add_guards(undo, undo_o);
  undo->footer(
      "Example:\n  falcon-ioc undo acme.journal --dry-run\n"
      "Undo journals itself (to JOURNAL.undo unless --journal); a second undo writes nothing.");

  std::string agg_field = "type", agg_filter;
  std::int64_t agg_size = 20;
  auto* agg = app.add_subcommand("aggregate", "Count indicators per value of a field");
  agg->add_option("--field", agg_field, "Field to group by")->capture_default_str();
  agg->add_option("--filter", agg_filter, "FQL filter");
  auto* agg_size_opt =
      agg->add_option("--size", agg_size, "Buckets (1-1000)")->capture_default_str();
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
  processes->footer(
      "Example (DEVICE_ID from falcon-ioc devices):\n"
      "  falcon-ioc processes --value evil.example.com --device-id DEVICE_ID");

  std::string types_which = "types";
  auto* types = app.add_subcommand("types", "The API's value lists");
  types->add_option("list", types_which, "types, platforms, severities or actions")
      ->capture_default_str()
      ->check(CLI::IsMember({"types", "platforms", "severities", "actions"}));
  types->footer("Example:\n  falcon-ioc types severities");

  add_generated_docs(app);

  // A closed stdout is seen as a failed write (EPIPE), so a command stops quietly instead of
  // being killed mid-way or paging on.
  std::signal(SIGPIPE, SIG_IGN);
  if (const std::string word = unknown_command(app, argc, argv); !word.empty()) {
    std::cerr << "falcon-ioc: unknown command '" << escape_controls(word) << "'\n";
    const std::string guess = nearest(word, command_names(app));
    if (!guess.empty()) std::cerr << "Did you mean '" << guess << "'?\n";
    std::cerr << "Run 'falcon-ioc --help' for the list of commands.\n";
    return kUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    if (rc != 0) suggest_option(app, argc, argv);
    return rc == 0 ? kOk : kUsage;
  }

  std::signal(SIGINT, on_sigint);
  try {
    require_range(search_limit, search_o.limit, 1, kMaxLimit);
    require_range(export_limit, export_o.limit, 1, kMaxLimit);
    require_range(agg_size_opt, agg_size, 1, 1000);
    require_range(import->get_option("--batch"), import_d.batch, 1, 2000);
    require_range(sync->get_option("--batch"), sync_d.batch, 1, 2000);
    auto run_command = [&]() -> int {
      if (login->parsed()) return cmd_login(g);
      if (create->parsed()) return cmd_create(g, create_f);
      if (get->parsed()) return cmd_get(g, get_ids);
      if (search->parsed()) return cmd_search(g, search_o, false);
      if (update->parsed()) return cmd_update(g, update_id, update_f);
      if (del->parsed()) return cmd_delete(g, delete_ids, delete_comment);
      if (import->parsed()) return cmd_import(g, import_files, import_d, import_src);
      if (exp->parsed()) return cmd_search(g, export_o, true);
      if (sync->parsed()) return cmd_sync(g, sync_files, sync_d, sync_o, sync_src);
      if (undo->parsed()) return cmd_undo(g, undo_file, undo_o, undo_comment);
      if (agg->parsed()) return cmd_aggregate(g, agg_field, agg_filter, agg_size);
      if (devices->parsed()) return cmd_devices(g, dev_type, dev_value);
      if (processes->parsed()) return cmd_processes(g, proc_type, proc_value, proc_device);
      if (types->parsed()) return cmd_types(g, types_which);
      return kUsage;
    };
    const int rc = run_command();
    std::cout.flush();
    if (stdout_closed()) return rc;  // the reader stopped early: not an error
    if (stdout_failed()) throw CliError{kError, "cannot write the output (stdout)"};
    return rc;
  } catch (const CliError& e) {
    std::cerr << "falcon-ioc: " << escape_controls(e.message, true) << "\n";
    return e.code;
  } catch (const std::exception& e) {
    std::cerr << "falcon-ioc: " << escape_controls(e.what(), true) << "\n";
    return kError;
  }
}
