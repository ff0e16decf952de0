// falcon-ioc's feed commands: import (bulk create) and sync (plan, then apply).
#include <iostream>

#include "cli.hpp"
#include "falcon/indicators.hpp"
#include "output.hpp"

namespace falcon_cli {

using nlohmann::json;
namespace feeds = falcon::feeds;
namespace fsy = falcon::sync;

int cmd_import(const Global& g, const std::vector<std::string>& files, const FeedDefaults& d) {
  falcon::IOC ioc(make_config(g));
  feeds::ReadOptions ro = d.read_options();
  ro.lookup = falcon::rules::api_lookup(ioc.client());
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

int cmd_sync(const Global& g, const std::vector<std::string>& files, const FeedDefaults& d,
             const SyncOpts& s) {
  falcon::IOC ioc(make_config(g));
  feeds::ReadOptions ro = d.read_options();
  ro.lookup = falcon::rules::api_lookup(ioc.client());
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
  fsy::Options so;
  so.source = d.source;
  if (!s.scope.empty()) so.scope = s.scope;
  so.on_missing = *fsy::parse_on_missing(s.on_missing);
  so.adopt = s.adopt;
  auto plan = fsy::plan(ioc, entries, so);
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
    fsy::Plan part;
    part.scope = plan.scope;
    part.source = plan.source;
    part.on_missing = plan.on_missing;
    const std::size_t end = std::min(plan.changes.size(), start + kSlice);
    part.changes.assign(plan.changes.begin() + static_cast<std::ptrdiff_t>(start),
                        plan.changes.begin() + static_cast<std::ptrdiff_t>(end));
    auto r = fsy::apply(ioc, part, bo);
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
  if (failed == 0 && bad == 0) return kOk;
  return written > 0 || bad > 0 ? kPartial : kError;
}

}  // namespace falcon_cli
