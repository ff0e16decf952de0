// falcon-ioc's feed commands: import (bulk create), sync (plan, guards, apply, journal) and undo.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
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

// stdin copied to an unlinked temporary file (in $TMPDIR), which sync can read twice; the
// file goes with the process.
class Spool {
 public:
  explicit Spool(std::istream& in) {
    const char* dir = std::getenv("TMPDIR");
    std::string name =
        std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/falcon-ioc-feed-XXXXXX";
    fd_ = mkstemp(name.data());
    if (fd_ < 0) throw CliError{kError, "cannot spool stdin to " + name + " (TMPDIR)"};
    unlink(name.c_str());
    char buf[1 << 16];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      const char* p = buf;
      auto left = static_cast<std::size_t>(in.gcount());
      while (left > 0) {
        const ssize_t n = write(fd_, p, left);
        if (n <= 0) throw CliError{kError, "cannot spool stdin: the temporary file is full"};
        p += n;
        left -= static_cast<std::size_t>(n);
      }
    }
  }
  Spool(Spool&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;
  Spool& operator=(Spool&&) = delete;
  ~Spool() {
    if (fd_ >= 0) close(fd_);
  }
  // Opening this path opens the unlinked file afresh, from its start.
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_ = -1;
};

bool expired(const falcon::IndicatorSpec& s) {
  if (!s.expiration || falcon::rules::is_zero_time(*s.expiration)) return false;
  const auto t = falcon::rules::parse_time(*s.expiration);
  return t && *t <= falcon::rules::Time::from(std::chrono::system_clock::now());
}

// "failed: KIND TYPE VALUE (line N): why" on stderr, for a change apply or stream could not
// write.
void print_failed(const fsy::Change& c, const fsy::Outcome& o) {
  falcon::BulkItem as_item;
  as_item.messages = o.messages;
  as_item.error = o.error;
  as_item.status_code = o.status_code;
  as_item.outcome_unknown = o.outcome_unknown;
  std::cerr << "failed: " << fsy::to_string(c.kind) << " " << escape_controls(c.type) << " "
            << escape_controls(c.value)
            << (c.line ? " (line " + std::to_string(c.line) + ")" : std::string()) << ": "
            << escape_controls(item_reason(as_item)) << "\n";
}

// Applies `plan` in slices so Ctrl-C stops between requests, never inside one; every confirmed
// change goes to the journal. Returns the exit code.
int apply_plan(const falcon::IOC& ioc, const fsy::Plan& plan, const Global& g,
               const falcon::BulkOptions& bo, std::ostream* journal, bool rows_failed,
               double rate_share) {
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
    ao.rate_share = rate_share;
    auto r = fsy::apply(ioc, part, ao);
    for (const auto& o : r.outcomes) {
      const auto& c = part.changes[o.change];
      if (o.ok) {
        if (!o.skipped) ++written;
        continue;
      }
      ++failed;
      bar.finish();
      print_failed(c, o);
    }
    done = end;
    bar.update(done);
  }
  bar.finish();
  print_summary(
      g, "Applied: " + std::to_string(written) + " written, " + std::to_string(failed) + " failed" +
             (g_interrupted ? ", interrupted (" + std::to_string(plan.changes.size() - done) +
                                  " changes not sent)"
                            : std::string()) +
             ".");
  if (g_interrupted) return kError;
  if (failed == 0 && !rows_failed) return kOk;
  return written > 0 || rows_failed ? kPartial : kError;
}

// What a plan reports besides its changes and summary, on stderr; and the guard's refusal.
int report_plan(const fsy::Plan& plan) {
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
                std::cerr << escape_controls(file) << ":" << e.line << ": skipped '"
                          << escape_controls(*e.spec.value) << "': " << escape_controls(why)
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
            std::cerr << escape_controls(file) << ":" << sent[item.index]->line << ": not created '"
                      << escape_controls(*sent[item.index]->spec.value)
                      << "': " << escape_controls(item_reason(item)) << "\n";
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
      std::cerr << escape_controls(file) << ":" << summary.fatal->line
                << ": fatal: " << escape_controls(summary.fatal->reason) << "\n";
    }
    if (g_interrupted) break;
  }
  bar.finish();
  // One summary style: a text line on stderr (silenced by -q); JSON on stdout only when
  // --format json asks for it.
  if (output_format(g) == Fmt::json) {
    std::cout << json{{"created", created},
                      {"failed", failed},
                      {"rejected", bad},
                      {"skipped", skipped}}
                     .dump()
              << "\n";
  } else {
    print_summary(g, "created " + std::to_string(created) + ", failed " + std::to_string(failed) +
                         ", rejected " + std::to_string(bad) + ", skipped " +
                         std::to_string(skipped));
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
  ro.batch_size = 2'000;
  ro.drop_duplicates = false;  // stream() drops them, in less memory
  // The feed is read twice (fingerprints, then the writes), so stdin is spooled to a file.
  std::vector<std::string> paths;
  std::vector<Spool> spools;
  spools.reserve(in.paths.size());
  for (const auto& file : in.paths) {
    if (file == "-") {
      spools.emplace_back(std::cin);
      paths.push_back(spools.back().path());
    } else {
      paths.push_back(file);
    }
  }
  std::string reading;  // the file being read, for messages
  bool rows_failed = false;
  std::optional<std::string> fatal_file;
  const fsy::FeedReader reader = [&](const feeds::BatchCallback& on_batch,
                                     const feeds::IssueCallback& on_issue) {
    feeds::ReadSummary total;
    for (std::size_t i = 0; i < paths.size(); ++i) {
      reading = in.names[i];
      // The reader's own issues are rows that failed (duplicates are stream()'s to find).
      feeds::IssueCallback row_failed;
      if (on_issue) {
        row_failed = [&](const feeds::FeedIssue& issue) {
          rows_failed = true;
          on_issue(issue);
        };
      }
      auto one = feeds::read_file(
          paths[i], ro,
          [&](std::vector<feeds::FeedEntry>& batch) { return !g_interrupted && on_batch(batch); },
          row_failed);
      total.records += one.records;
      total.entries += one.entries;
      total.errors += one.errors;
      total.skipped += one.skipped;
      if (g_interrupted && !one.fatal) {
        one.fatal = feeds::FeedIssue{one.records, "", "", "interrupted while reading", false, {}};
      }
      if (one.fatal) {
        // A feed read only in part would remove what it did not reach: the plan stops here.
        total.fatal = one.fatal;
        fatal_file = in.names[i];
        return total;
      }
    }
    return total;
  };
  const Fmt f = output_format(g);
  PlanPrinter printer(f);
  Progress bar(!g.quiet, "sync", 0);
  std::size_t done = 0;
  fsy::StreamCallbacks cb;
  cb.on_issue = [&](const feeds::FeedIssue& i) {
    bar.finish();
    print_issue(reading, i);
  };
  cb.on_plan = [&](const fsy::Plan& p) {
    std::size_t total = 0;
    for (const auto n : p.counts) total += n;
    bar.set_total(total);
  };
  cb.on_change = [&](const fsy::Change& c) { printer.change(c); };
  cb.on_outcome = [&](const fsy::Change& c, const fsy::Outcome& o) {
    if (o.ok) {
      bar.update(++done);
      return;
    }
    bar.finish();
    print_failed(c, o);
  };
  fsy::ApplyOptions ao;
  ao.bulk.batch_size = d.batch;
  if (!d.comment.empty()) ao.bulk.comment = d.comment;
  ao.rate_share = s.rate_share;
  ao.stop = [] { return g_interrupted != 0; };
  auto journal = s.dry_run ? nullptr : open_journal(s.journal);
  ao.journal = journal.get();
  if (!s.dry_run && s.rate_share > 0) {
    bar.set_note("paced at " + std::to_string(static_cast<int>(s.rate_share * 100 + 0.5)) +
                 "% of the API's rate (--rate-share)");
  }
  const auto r = fsy::stream(ioc, reader, so, cb, s.dry_run ? nullptr : &ao);
  bar.finish();
  if (r.fatal) {
    throw CliError{kError, fatal_file.value_or(reading) + ":" + std::to_string(r.fatal->line) +
                               ": fatal: " + r.fatal->reason +
                               "; nothing planned (a partial feed would remove the rest)"};
  }
  if (!r.plan.ok()) throw CliError{kError, "planning failed: " + describe(*r.plan.error)};
  printer.end(r.plan, s.dry_run ? 0.0 : s.rate_share);
  const int code = report_plan(r.plan);
  if (code == kRefused) return kRefused;
  const bool failures =
      rows_failed || std::any_of(r.plan.invalid.begin(), r.plan.invalid.end(),
                                 [](const feeds::FeedIssue& i) { return !i.duplicate; });
  if (s.dry_run || r.plan.empty()) return failures ? kPartial : kOk;
  print_summary(
      g, "Applied: " + std::to_string(r.written) + " written, " + std::to_string(r.failed) +
             " failed" +
             (r.stopped ? ", interrupted (" + std::to_string(r.not_sent) + " changes not sent)"
                        : std::string()) +
             ".");
  if (r.stopped) return kError;
  if (r.failed == 0 && !failures) return kOk;
  return r.written > 0 || failures ? kPartial : kError;
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
  for (const auto& i : plan.invalid) print_issue(journal_path, i);
  print_plan(plan, output_format(g), s.dry_run ? 0.0 : s.rate_share);
  if (report_plan(plan) == kRefused) return kRefused;
  if (s.dry_run || plan.empty()) return plan.invalid.empty() ? kOk : kPartial;
  falcon::BulkOptions bo;
  if (!comment.empty()) bo.comment = comment;
  // Undo is journaled too: by default beside the journal it reverses.
  auto journal = open_journal(s.journal.empty() ? journal_path + ".undo" : s.journal);
  return apply_plan(ioc, plan, g, bo, journal.get(), !plan.invalid.empty(), s.rate_share);
}

}  // namespace falcon_cli
