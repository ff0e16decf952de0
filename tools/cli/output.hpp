// falcon-ioc's output: indicator records and value lists as a table, JSON, NDJSON or CSV (the
// CSV columns are the rulebook's, so an export reads back with the CSV feed reader), plans, and
// the progress line.
#pragma once

#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <string>

#include <nlohmann/json.hpp>

#include "falcon/bulk.hpp"
#include "falcon/feeds.hpp"
#include "falcon/sync.hpp"
#include "options.hpp"

namespace falcon_cli {

enum class Fmt { table, json, ndjson, csv };

/// --format, or table on a terminal and NDJSON otherwise.
Fmt output_format(const Global& g);

/// One CSV cell, quoted when it must be (RFC 4180).
std::string csv_cell(const std::string& s);

/// Streams indicator records in one format.
class IndicatorWriter {
 public:
  IndicatorWriter(Fmt f, std::ostream& out) : f_(f), out_(out) {}
  void write(const nlohmann::json& rec);
  void finish();
  std::size_t count() const { return n_; }

 private:
  Fmt f_;
  std::ostream& out_;
  std::size_t n_ = 0;
};

/// Generic JSON values (value lists, aggregates, device ids) in one format.
void write_values(Fmt f, const nlohmann::json& values);

/// "file:line: error in field 'value': reason" on stderr.
void print_issue(const std::string& file, const falcon::feeds::FeedIssue& i);

/// Why a bulk item failed, in one line.
std::string item_reason(const falcon::BulkItem& item);

/// A sync plan printed as its changes arrive (sync streams them): one line per change and a
/// summary (table), one JSON document, or NDJSON lines.
class PlanPrinter {
 public:
  explicit PlanPrinter(Fmt f) : f_(f) {}
  void change(const falcon::sync::Change& c);
  /// The summary (with the writes' request count and least time at `rate_share` of the API's
  /// budget) and the JSON document's close, once the totals are known.
  void end(const falcon::sync::Plan& p, double rate_share);

 private:
  Fmt f_;
  bool first_ = true;
};

/// A whole plan held in memory (undo) through PlanPrinter.
void print_plan(const falcon::sync::Plan& p, Fmt f, double rate_share);

/// A progress line on stderr (only on a terminal).
class Progress {
 public:
  Progress(bool enabled, std::string what, std::size_t total);
  ~Progress() { finish(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  void set_total(std::size_t t) { total_ = t; }
  /// Shown after the rate ("paced at 3000 requests/min").
  void set_note(std::string note) { note_ = std::move(note); }
  void update(std::size_t done);
  void finish();

 private:
  bool on_;
  std::string what_;
  std::string note_;
  std::size_t total_;
  std::chrono::steady_clock::time_point start_;
  bool drawn_ = false;
};

}  // namespace falcon_cli
