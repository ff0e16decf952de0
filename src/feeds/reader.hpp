// The feed readers' shared parts (never installed): one buffered byte source every reader pulls
// from, and the Sink every reader hands records to. The Sink applies the defaults, judges each
// entry by the rulebook (falcon/indicators.hpp), drops duplicates and batches; the readers only
// split the input into records. Input is untrusted: every record, line and object is size-capped
// and JSON nesting is counted before nlohmann (which recurses) sees the text.
#pragma once

#include <cstddef>
#include <functional>
#include <istream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "falcon/feeds.hpp"

namespace falcon::internal::feed {

using feeds::BatchCallback;
using feeds::FeedEntry;
using feeds::FeedIssue;
using feeds::IssueCallback;
using feeds::ReadOptions;
using feeds::ReadSummary;

/// A buffered byte source over an istream.
class CharReader {
 public:
  explicit CharReader(std::istream& in) : in_(in), buf_(kFill + kReplay) {}

  int peek() {
    if (pos_ == len_ && !fill()) return EOF;
    return static_cast<unsigned char>(buf_[pos_]);
  }
  int get() {
    const int c = peek();
    if (c != EOF) ++pos_;
    return c;
  }
  /// The bytes buffered from the current position on (empty at end of input); advance() moves
  /// past some of them. Scanners read whole runs this way instead of a byte per call.
  std::string_view window() {
    if (pos_ == len_ && !fill()) return {};
    return {buf_.data() + pos_, len_ - pos_};
  }
  void advance(std::size_t n) { pos_ += n; }
  /// Puts `head` (at most kReplay bytes, just read) back in front of what is left to read: the
  /// format detection's look at the start is then read again by the format's reader.
  void replay(std::string_view head);
  static constexpr std::size_t kReplay = 4096;
  /// Drops a UTF-8 byte order mark at the very start.
  void skip_bom();
  bool failed() const { return in_.bad(); }

 private:
  static constexpr std::size_t kFill = 1 << 16;
  bool fill();

  std::istream& in_;
  std::vector<char> buf_;  // kFill read at a time, plus room for a replayed head
  std::size_t pos_ = 0;
  std::size_t len_ = 0;
};

/// Reads one physical line (without its \n or \r\n). Returns false at end of input. A line over
/// `max` bytes sets `too_long` and stops.
bool read_line(CharReader& r, std::string& out, std::size_t max, bool& too_long);

/// Deepest [ / { nesting of a JSON text, strings skipped.
int json_depth(std::string_view s);

/// Where entries go: defaults, the rulebook's checks, duplicates, batches.
class Sink {
 public:
  Sink(const ReadOptions& o, const BatchCallback& on_batch, const IssueCallback& on_issue,
       ReadSummary& summary);

  bool stopped() const { return s_.stopped; }
  ReadSummary& summary() { return s_; }
  const ReadOptions& options() const { return o_; }

  /// A record that gives no entry; `names`: the indicators it names, when readable.
  void error(std::size_t line, std::string field, std::string_view value, std::string reason,
             std::vector<rules::TypedValue> names = {});
  /// The reading must stop: what follows cannot be trusted.
  void fatal(std::size_t line, std::string field, std::string reason);
  /// Judges `spec` and queues it (`retire`: the feed says it is retired). Returns false once
  /// reading must stop.
  bool add(IndicatorSpec&& spec, std::size_t line, bool retire = false);
  /// Hands the queued entries to the batch callback.
  bool flush();

 private:
  void report(const FeedIssue& issue);

  const ReadOptions& o_;
  const BatchCallback& on_batch_;
  const IssueCallback& on_issue_;
  ReadSummary& s_;
  std::size_t batch_size_ = 1000;
  std::vector<FeedEntry> batch_;
  std::unordered_map<std::string, std::size_t> seen_;
  IndicatorSpec defaults_;  // o_.defaults trimmed and normalised, when defaults_judged_
  bool defaults_judged_ = false;
};

/// The indicator `type` (may be empty: inferred) and `value` name, in normal form, when they can
/// be read; empty otherwise.
std::vector<rules::TypedValue> names_of(std::string_view type, std::string_view value,
                                        const rules::EnumLookup& lookup);

/// The readers, one per format (csv.cpp, json.cpp, text.cpp, stix.cpp).
void read_csv(CharReader& r, Sink& sink);
/// A JSON document, one element at a time: a top-level array or an envelope's "resources" of
/// indicator objects, or a STIX bundle's "objects" (the content decides, not the file name).
void read_json(CharReader& r, Sink& sink);
void read_ndjson(CharReader& r, Sink& sink);
void read_text(CharReader& r, Sink& sink);
/// One STIX object (stix.cpp): an indicator gives its entries, anything else is skipped.
void add_stix_object(const nlohmann::json& j, std::size_t line, Sink& sink);

/// Parses one captured JSON object text; reports it and returns a discarded value when it is
/// nested too deep or not JSON.
nlohmann::json parse_object_text(const std::string& text, std::size_t line, Sink& sink);

/// Whether objects of the common shape skip nlohmann's tree (json.cpp), on this thread; tests
/// turn it off to hold both paths equal, and count the objects that took it.
bool fast_objects_enabled();
void set_fast_objects(bool on);
std::size_t fast_objects_read();

/// Calls on_line(line, number) for each line, stopping at a line over the size cap.
void read_lines(CharReader& r, Sink& sink,
                const std::function<void(std::string_view, std::size_t)>& on_line);

}  // namespace falcon::internal::feed
