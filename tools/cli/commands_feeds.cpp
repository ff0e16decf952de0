// falcon-ioc's feed commands: import (bulk create), sync (plan, guards, apply, journal) and undo.
#include <fstream>
#include <iostream>

#include "cli.hpp"
#include "falcon/indicators.hpp"
#include "output.hpp"
#include "sources/sources.hpp"

namespace falcon_cli {

using nlohmann::json;
namespace feeds = falcon::feeds;
namespace fsy = falcon::sync;

namespace {

// "-" reads stdin.
std::string path_of(const std::string& file) {
  return file == "-" ? "/dev/stdin" : file;
}

bool expired(const falcon::IndicatorSpec& s) {
  if (!s.expiration || falcon::rules::is_zero_time(*s.expiration)) return false;
  const auto t = falcon::rules::parse_time(*s.expiration);
  return t && *t <= falcon::rules::Time::from(std::chrono::system_clock::now());
}

// Applies `plan` in slices so Ctrl-C stops between requests, never inside one; every confirmed
// change goes to the journal. Returns the exit code.
int apply_plan(const falcon::IOC& ioc, const fsy::Plan& plan, const Global& g,
               const falcon::BulkOptions& bo, std::ostream* journal, bool rows_failed) {
  Progress bar(!g.quiet, "sync", plan.changes.size());
  std::size_t done = 0, written = 0, failed = 0;
  constexpr std::size_t kSlice = 2000;
  for (std::size_t start = 0; start < plan.changes.size() && !g_interrupted; start += kSlice) {
    fsy::Plan part;
    part.scope = plan.scope;
    part.source = plan.source;
    part.on_missing = plan.on_missing;
    const std::size_t end = std::min(plan.changes.size(), start + kSlice);
    part.changes.assign(plan.changes.begin() + static_cast<std::ptrdiff_t>(start),
                        plan.changes.begin() + static_cast<std::ptrdiff_t>(end));
    fsy::ApplyOptions ao;
    ao.bulk = bo;
    ao.journal = journal;
    auto r = fsy::apply(ioc, part, ao);
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
      std::cerr << "failed: " << fsy::to_string(c.kind) << " " << c.type << " " << c.value
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
  if (failed == 0 && !rows_failed) return kOk;
  return written > 0 || rows_failed ? kPartial : kError;
}

// What a plan reports besides its changes, on stderr; and the guard's refusal.
int report_plan(const fsy::Plan& plan, Fmt f) {
  for (const auto& i : plan.invalid) print_issue("feed", i);
  for (const auto& i : plan.skipped) print_issue("feed", i);
  print_plan(plan, f);
  if (plan.kept_for_errors > 0) {
    std::cerr << "kept: " << plan.kept_for_errors
              << " indicators named by rows that failed are left as they are\n";
  }
  if (plan.removals_blocked) {
    std::cerr << "kept: a row that failed names no indicator, so this run removes nothing\n";
  }
  if (plan.refused) {
    std::cerr << "falcon-ioc: refused by a safety guard (" << plan.refused->guard
              << "): " << plan.refused->message << "\n";
    return kRefused;
  }
  return kOk;
}

std::unique_ptr<std::ofstream> open_journal(const std::string& path) {
  if (path.empty()) return nullptr;
  auto out = std::make_unique<std::ofstream>(path, std::ios::app);
  if (!*out) throw CliError{kError, "cannot write the journal " + path};
  return out;
}

}  // namespace

int cmd_import(const Global& g, const std::vector<std::string>& args, const FeedDefaults& d,
               const SourceOpts& src) {
  const falcon::Config config = make_config(g);
  // URLs, TAXII and MISP become local files here (docs/sources.md).
  auto in = sources::resolve(config, args, src, d.format);
  falcon::IOC ioc(config);
  const auto allow = g.allow();
  feeds::ReadOptions ro = d.read_options();
  ro.lookup = falcon::rules::api_lookup(ioc.client());
  falcon::BulkOptions bo;
  bo.batch_size = d.batch;
  if (!d.comment.empty()) bo.comment = d.comment;
  std::size_t created = 0, failed = 0, bad = 0, skipped = 0;
  bool fatal = false;
  Progress bar(!g.quiet, "import", 0);
  for (std::size_t n = 0; n < in.paths.size(); ++n) {
    const std::string& file = in.names[n];
    auto summary = feeds::read_file(
        path_of(in.paths[n]), ro,
        [&](std::vector<feeds::FeedEntry>& batch) {
          if (g_interrupted) return false;
          json items = json::array();
          std::vector<const feeds::FeedEntry*> sent;
          for (const auto& e : batch) {
            // Retired (revoked or already expired) and allow-listed entries are not created.
            std::string why;
            if (e.retire) why = "retired by the feed";
            if (why.empty() && expired(e.spec)) why = "already expired";
            if (why.empty()) {
              if (auto a = allow.match(*e.spec.type, *e.spec.value)) why = "allow-listed: " + *a;
            }
            if (!why.empty()) {
              ++skipped;
              if (!g.quiet) {
                bar.finish();
                std::cerr << file << ":" << e.line << ": skipped '" << *e.spec.value << "': " << why
                          << "\n";
              }
              continue;
            }
            items.push_back(e.spec);
            sent.push_back(&e);
          }
          if (items.empty()) return !g_interrupted;
          auto r = falcon::bulk_create(ioc, items, bo);
          for (const auto& item : r.items) {
            if (item.ok) {
              ++created;
              continue;
            }
            ++failed;
            std::cerr << file << ":" << sent[item.index]->line << ": not created '"
                      << *sent[item.index]->spec.value << "': " << item_reason(item) << "\n";
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
  const json out = {
      {"created", created}, {"failed", failed}, {"rejected", bad}, {"skipped", skipped}};
  if (output_format(g) == Fmt::table) {
    std::cout << "created " << created << ", failed " << failed << ", rejected " << bad
              << ", skipped " << skipped << "\n";
  } else {
    std::cout << out.dump() << "\n";
  }
  if (g_interrupted) {
    std::cerr << "interrupted: " << created << " created before the stop; nothing half-sent\n";
    return kError;
  }
  // Rejected rows would be rejected again: only a failed write or read is retried next time.
  if (failed == 0 && !fatal) in.commit();
  if (failed == 0 && bad == 0 && !fatal) return kOk;
  return created > 0 ? kPartial : kError;
}

namespace {

int sync_inputs(const Global& g, const falcon::Config& config, const sources::Inputs& in,
                const FeedDefaults& d, const SyncOpts& s) {
  falcon::IOC ioc(config);
  fsy::Options so;
  so.source = d.source;
  if (!s.scope.empty()) so.scope = s.scope;
  so.on_missing = *fsy::parse_on_missing(s.on_missing);
  so.adopt = s.adopt;
  so.allow_list = g.allow();
  s.apply_to(so);
  feeds::ReadOptions ro = d.read_options();
  ro.lookup = falcon::rules::api_lookup(ioc.client());
  ro.batch_size = 10'000;
  std::vector<feeds::FeedEntry> entries;
  bool empty = true;
  for (std::size_t n = 0; n < in.paths.size(); ++n) {
    const std::string& file = in.names[n];
    auto summary = feeds::read_file(
        path_of(in.paths[n]), ro,
        [&](std::vector<feeds::FeedEntry>& batch) {
          for (auto& e : batch) entries.push_back(std::move(e));
          return !g_interrupted;
        },
        [&](const feeds::FeedIssue& i) {
          so.feed_issues.push_back(i);
          print_issue(file, i);
        });
    if (summary.fatal) {
      // A feed read only in part would remove what it did not reach: refuse.
      throw CliError{kError, file + ":" + std::to_string(summary.fatal->line) +
                                 ": fatal: " + summary.fatal->reason +
                                 "; nothing planned (a partial feed would remove the rest)"};
    }
    if (g_interrupted) throw CliError{kError, "interrupted while reading; nothing written"};
    empty = empty && summary.empty();
  }
  if (empty && !s.allow_empty) {
    throw CliError{kError,
                   "the feed is empty (no record at all): a sync would remove every indicator "
                   "in the scope; nothing planned (--allow-empty if that is meant)"};
  }
  const bool rows_failed = std::any_of(so.feed_issues.begin(), so.feed_issues.end(),
                                       [](const feeds::FeedIssue& i) { return !i.duplicate; });
  auto plan = fsy::plan(ioc, entries, so);
  if (!plan.ok()) throw CliError{kError, "planning failed: " + describe(*plan.error)};
  if (report_plan(plan, output_format(g)) == kRefused) return kRefused;
  const bool failures = rows_failed || !plan.invalid.empty();
  if (s.dry_run || plan.empty()) return failures ? kPartial : kOk;
  falcon::BulkOptions bo;
  bo.batch_size = d.batch;
  if (!d.comment.empty()) bo.comment = d.comment;
  auto journal = open_journal(s.journal);
  return apply_plan(ioc, plan, g, bo, journal.get(), failures);
}

}  // namespace

int cmd_sync(const Global& g, const std::vector<std::string>& args, const FeedDefaults& d,
             const SyncOpts& s, const SourceOpts& src) {
  const falcon::Config config = make_config(g);
  // URLs, TAXII and MISP become local files here (docs/sources.md); an unchanged feed (304)
  // plans nothing.
  auto in = sources::resolve(config, args, src, d.format);
  if (in.unchanged) return kOk;
  const int rc = sync_inputs(g, config, in, d, s);
  // A dry run or a run with failures keeps the old state, so the next run reads it all again.
  if (rc == kOk && !s.dry_run) in.commit();
  return rc;
}

int cmd_undo(const Global& g, const std::string& journal_path, const SyncOpts& s,
             const std::string& comment) {
  falcon::IOC ioc(make_config(g));
  std::ifstream in(journal_path);
  if (!in) throw CliError{kError, "cannot read the journal " + journal_path};
  fsy::Options so;
  s.apply_to(so);
  auto plan = fsy::plan_undo(ioc, in, so);
  if (!plan.ok()) throw CliError{kError, "undo: " + describe(*plan.error)};
  if (report_plan(plan, output_format(g)) == kRefused) return kRefused;
  if (s.dry_run || plan.empty()) return plan.invalid.empty() ? kOk : kPartial;
  falcon::BulkOptions bo;
  if (!comment.empty()) bo.comment = comment;
  // Undo is journaled too: by default beside the journal it reverses.
  auto journal = open_journal(s.journal.empty() ? journal_path + ".undo" : s.journal);
  return apply_plan(ioc, plan, g, bo, journal.get(), !plan.invalid.empty());
}

}  // namespace falcon_cli
