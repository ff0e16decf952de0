/// @file feeds.hpp
/// Readers for threat-intel feeds: CSV (RFC 4180), JSON (an array of indicator objects, the API's
/// `{"resources":[...]}` envelope, or NDJSON), plain text (one value per line, the type
/// inferred) and STIX 2.1 bundles (indicator patterns that are an equality, or an OR of
/// equalities, on a hash, domain or IP).
///
/// Every reader streams: entries are handed to a callback in batches, so memory is bounded by
/// the batch (plus one key per distinct indicator, to drop duplicates), never by the file.
/// Every entry is judged and normalised by the rulebook (falcon/indicators.hpp), exactly as
/// validation and sync judge it; duplicates are dropped and reported, and every problem is
/// reported with its line (or object) number and the reason. Input is untrusted: records,
/// objects and lines have explicit size limits, and JSON nesting is capped.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "falcon/indicators.hpp"
#include "falcon/models.hpp"

namespace falcon::feeds {

/// The feed formats.
enum class Format {
  automatic,  ///< Chosen from the file name, then the first bytes (see detect_format).
  csv,        ///< RFC 4180 with a header row naming the columns.
  json,       ///< A JSON array of indicator objects, or `{"resources":[...]}`.
  ndjson,     ///< One JSON indicator object per line.
  text,       ///< One value per line, `#` comments, the type inferred.
  stix,       ///< A STIX 2.1 bundle (`{"type":"bundle","objects":[...]}`).
};

/// "csv", "json", "ndjson", "text", "stix" or "auto".
std::string_view to_string(Format f) noexcept;
/// Parses a format name (as to_string prints it; also "txt", "jsonl", "stix2"); nullopt if
/// unknown.
std::optional<Format> parse_format(std::string_view name);

/// One indicator read from a feed: `spec` has `type` and `value` set and normalised.
struct FeedEntry {
  IndicatorSpec spec;  ///< The indicator, normalised.
  /// Where it came from: the 1-based line of the record (CSV, NDJSON, text), or the 1-based
  /// object number in the array (JSON, STIX).
  std::size_t line = 0;
  /// The feed says this indicator is retired (a STIX `revoked: true`): sync treats it as gone
  /// from the feed (the on-missing action), import skips it.
  bool retire = false;
};

/// A problem with one record; the record is skipped (nothing is guessed).
struct FeedIssue {
  std::size_t line = 0;    ///< Line (CSV, NDJSON, text) or object number (JSON, STIX).
  std::string field;       ///< The field at fault ("value", "type", "pattern", ...); may be "".
  std::string value;       ///< The offending value, truncated to 200 bytes.
  std::string reason;      ///< What is wrong, e.g. "not a valid IPv4 address".
  bool duplicate = false;  ///< A repeat of an earlier entry (reason names its line).
  /// The indicators the record names, when its type and value could be read although another
  /// field failed (normal form). Sync keeps these as they are; an error that names none (not
  /// even a value could be read) makes sync remove nothing at all.
  std::vector<rules::TypedValue> names;
};

/// How to read.
struct ReadOptions {
  Format format = Format::automatic;  ///< The feed's format; automatic guesses it.
  /// Entries per call of the batch callback (1-100,000).
  std::size_t batch_size = 1000;
  /// Largest CSV record, text/NDJSON line, or JSON/STIX object, in bytes. A larger one is an
  /// error naming its line; the reader then stops (it cannot find the next record reliably).
  std::size_t max_record_bytes = 1 << 20;
  /// Deepest JSON nesting accepted inside one object.
  int max_depth = 32;
  /// Drop (and report) an entry whose type and value repeat an earlier one.
  bool drop_duplicates = true;
  /// Fields for entries that do not set them (e.g. action, severity, platforms,
  /// applied_globally, source for a plain-text feed). `type` and `value` are ignored.
  IndicatorSpec defaults;
  /// Judges enum values the rulebook does not know (falcon-ioc passes the API's value lists);
  /// without one, such a value is passed on for the server to judge.
  rules::EnumLookup lookup;
  /// "Now", for a STIX `valid_from` in the future (a row issue); empty: the system clock.
  std::function<std::chrono::system_clock::time_point()> clock;
};

/// Totals of one read.
struct ReadSummary {
  std::size_t records = 0;     ///< Records seen (rows, lines with a value, objects).
  std::size_t entries = 0;     ///< Entries handed to the batch callback.
  std::size_t duplicates = 0;  ///< Entries dropped as duplicates.
  std::size_t errors = 0;      ///< Records skipped for an error (duplicates not included).
  std::size_t skipped = 0;     ///< STIX objects that are not indicators (not errors).
  /// Set when reading stopped early: unreadable input, a record over the size limit, a bad CSV
  /// header, JSON that is not an array/bundle, or the callback asked to stop.
  std::optional<FeedIssue> fatal;
  bool stopped = false;  ///< The batch callback returned false.
  /// True when the whole input was read and every record gave an entry.
  bool clean() const noexcept { return !fatal && !stopped && errors == 0 && duplicates == 0; }
  /// True when the input held no record at all (zero bytes, a header alone, `[]`, a bundle
  /// without indicators): such a feed never removes anything (see sync).
  bool empty() const noexcept { return records == 0 && entries == 0 && errors == 0; }
};

/// Receives a batch of entries (which it may move from); returns false to stop reading.
using BatchCallback = std::function<bool(std::vector<FeedEntry>& batch)>;
/// Receives every problem (errors and duplicates) as it is found.
using IssueCallback = std::function<void(const FeedIssue& issue)>;

/// Reads a feed from `in`. With Format::automatic the format is detected from the first bytes.
[[nodiscard]] ReadSummary read(std::istream& in, const ReadOptions& options,
                               const BatchCallback& on_batch, const IssueCallback& on_issue = {});

/// Opens and reads `path`; Format::automatic looks at the extension (.csv, .json, .ndjson,
/// .jsonl, .txt, .stix) first. An unreadable file is reported in ReadSummary::fatal.
[[nodiscard]] ReadSummary read_file(const std::string& path, const ReadOptions& options,
                                    const BatchCallback& on_batch,
                                    const IssueCallback& on_issue = {});

/// Reads everything into memory (convenience for small feeds and tests).
struct ReadAll {
  std::vector<FeedEntry> entries;  ///< Every entry read.
  std::vector<FeedIssue> issues;   ///< Errors and duplicates, in input order.
  ReadSummary summary;             ///< Counts, duplicates and errors.
};
/// Reads all of `in` with read().
[[nodiscard]] ReadAll read_all(std::istream& in, const ReadOptions& options = {});
/// Reads all of `text` with read().
[[nodiscard]] ReadAll read_string(std::string_view text, const ReadOptions& options = {});

/// Guesses the format from the first bytes: `{` with `"type":"bundle"` → stix, `[` or `{` →
/// json (an object per line → ndjson), a first line of known column names → csv, else text.
Format detect_format(std::string_view head);

/// The parts of one STIX 2.1 pattern this SDK supports: an equality, or an OR of equalities,
/// on file:hashes.'SHA-256' / file:hashes.MD5 / domain-name:value / ipv4-addr:value /
/// ipv6-addr:value (observation expressions `[..] OR [..]` included). Returns (type, value)
/// pairs, not yet normalised, or nullopt with `reason` naming what is not supported.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_stix_pattern(
    std::string_view pattern, std::string* reason = nullptr);

}  // namespace falcon::feeds
