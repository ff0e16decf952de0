// falcon-ioc's output: indicator records and value lists as a table, JSON, NDJSON or CSV (the
// CSV columns are the rulebook's, so an export reads back with the CSV feed reader), plans, and
// the progress line.
#pragma once

#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "falcon/bulk.hpp"
#include "falcon/feeds.hpp"
#include "falcon/sync.hpp"
#include "options.hpp"

namespace falcon_cli {

enum class Fmt { table, json, ndjson, csv };

/// --format, or table on a terminal and NDJSON otherwise.
Fmt output_format(const Global& g);

/// How tables and CSV are drawn: --wide, --csv-raw and the width tables fit.
struct Style {
  bool wide = false;     ///< every column, nothing truncated
  bool csv_raw = false;  ///< no formula neutralisation
  std::size_t width = 80;
};

/// The style of `g`: the width is $COLUMNS, else the terminal's (TIOCGWINSZ), else 80.
Style output_style(const Global& g);

/// `s` with control characters (C0, DEL, C1, bidi overrides) and invalid UTF-8 shown as `\xNN`
/// (or `\u202e`), so text from a server or a feed never drives the terminal. `keep_newlines`
/// leaves '\n' alone (multi-line messages).
std::string escape_controls(std::string_view s, bool keep_newlines = false);

/// Columns `s` takes on a terminal: one per code point (wide CJK is not measured).
std::size_t text_width(std::string_view s);

/// `s` cut to `width` columns, ending in "…" when it was cut.
std::string truncate_to(std::string_view s, std::size_t width);

/// True when a spreadsheet would take the cell for a formula: it starts with = + - @ TAB or CR,
/// after any number of the quotes that neutralise it (so neutralising is reversible).
bool csv_formula_like(std::string_view s);

/// One CSV cell, quoted when it must be (RFC 4180); a formula-like cell gets a leading `'`
/// (OWASP) unless `raw`. The feed reader drops exactly that quote again.
std::string csv_cell(const std::string& s, bool raw = false);

/// True once a write to stdout failed: paging commands stop, sending no further request.
bool stdout_failed();
/// True when it failed because its reader is gone (a pipe closed early, `| head -1`; SIGPIPE is
/// ignored): the command then ends quietly with exit 0, like the reader asked.
bool stdout_closed();

/// Streams indicator records in one format. Tables hold their first rows to size the columns.
class IndicatorWriter {
 public:
  IndicatorWriter(Fmt f, std::ostream& out, Style style = {}) : f_(f), out_(out), style_(style) {}
  void write(const nlohmann::json& rec);
  void finish();
  std::size_t count() const { return n_; }

 private:
  void layout();
  void print_row(const std::vector<std::string>& cells);

  Fmt f_;
  std::ostream& out_;
  Style style_;
  std::size_t n_ = 0;
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> pending_;  ///< rows held until the layout is known
  std::vector<std::size_t> widths_;                ///< 0: column dropped
  bool laid_out_ = false;
};

/// Generic JSON values (value lists, aggregates, device ids) in one format.
void write_values(Fmt f, const nlohmann::json& values, Style style = {});

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

/// The summary line of a command ("exported 20 indicators") on stderr, unless --quiet.
void print_summary(const Global& g, const std::string& line);

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
