// falcon-ioc: the command-line tool over falcon-cpp. This file only wires CLI11 subcommands to
// the option groups (options.cpp) and the commands (commands_*.cpp).
#include <csignal>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "credentials.hpp"
#include "generated_docs.hpp"

namespace falcon_cli {

std::atomic<bool> g_interrupted{false};

namespace {

extern "C" void on_sigint(int) {
  g_interrupted = true;
  // A second Ctrl-C ends the process at once.
  std::signal(SIGINT, SIG_DFL);
}

// A feed argument: an existing file, or '-' for stdin.
const CLI::Validator kFileOrStdin(
    [](std::string& v) { return v == "-" ? std::string() : CLI::ExistingFile(v); }, "FILE|-");

// The options of sync's guards that undo shares.
void add_guards(CLI::App* c, SyncOpts& o) {
  c->add_option("--max-delete", o.max_delete,
                "Most removals (deletes and expiries) allowed: N or P% of the scope "
                "(default: 10% or 10, whichever is more; 100% lifts it)");
  c->add_option("--journal", o.journal,
                "Append every applied change with its before-image to FILE (JSON lines)")
      ->type_name("FILE");
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
      "sections, mode 600; --profile NAME); never from a flag.\n"
      "Exit codes: 0 done, 1 error, 2 usage, 3 partial "
      "(some rows failed), 4 refused by a safety guard (nothing written)."};
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  falcon-ioc login\n"
      "  falcon-ioc search --filter \"type:'domain'\" --limit 20\n"
      "  falcon-ioc import feed.csv --source acme --comment 'daily load'\n"
      "  falcon-ioc sync feed.csv --source acme --on-missing expire --dry-run\n"
      "  falcon-ioc export --filter \"source:'acme'\" --format csv > acme.csv");
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
  import
      ->add_option("files", import_files,
                   "Feed files (CSV, JSON, NDJSON, text, STIX 2.1; '-' reads stdin)")
      ->required()
      ->check(kFileOrStdin);
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
  sync->add_option("files", sync_files, "Feed files ('-' reads stdin)")
      ->required()
      ->check(kFileOrStdin);
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
  undo->add_option("journal", undo_file, "A journal written by sync --journal")
      ->required()
      ->check(CLI::ExistingFile);
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

  add_generated_docs(app);

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
    if (undo->parsed()) return cmd_undo(g, undo_file, undo_o, undo_comment);
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
