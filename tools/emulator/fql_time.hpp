// Time in the emulator: its one RFC 3339 parser and formatter, the relative forms FQL filters
// and date ranges take ('now-30d', 'now-1M/M'), and calendar rounding for date histograms.
// Civil dates come from Howard Hinnant's date library (<date/date.h>); nothing here does its
// own calendar arithmetic.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace falcon::emulator {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::nanoseconds>;

/// A UTC instant with nanosecond precision; wide enough for 0001-01-01 (gofalcon's zero time).
struct FqlTime {
  std::int64_t seconds = 0;  ///< Since 1970-01-01T00:00:00Z.
  std::int32_t nanos = 0;    ///< 0 .. 999'999'999.

  friend bool operator==(const FqlTime& a, const FqlTime& b) {
    return a.seconds == b.seconds && a.nanos == b.nanos;
  }
  friend bool operator!=(const FqlTime& a, const FqlTime& b) { return !(a == b); }
  friend bool operator<(const FqlTime& a, const FqlTime& b) {
    return a.seconds != b.seconds ? a.seconds < b.seconds : a.nanos < b.nanos;
  }
};

/// How strictly parse_rfc3339 reads.
enum class TimeSyntax {
  /// What the API takes in a body (an expiration): seconds and a zone (Z or +hh:mm) are
  /// required, a date alone means midnight UTC, the year must fit int64 nanoseconds
  /// (1678..2261).
  api,
  /// What a filter literal may be: seconds and zone may be omitted (:00, UTC), a ',' fraction,
  /// an offset without its colon, a leap second, any year 0000..9999.
  filter,
};

/// The emulator's RFC 3339 parser ("2025-02-03T10:04:18.39565409Z"; any fraction length,
/// digits past the ninth dropped; 'T', 't' or ' ' between date and time), or a bare
/// "YYYY-MM-DD" (midnight UTC). nullopt when `text` is not one under `syntax`.
std::optional<FqlTime> parse_rfc3339(std::string_view text, TimeSyntax syntax);

/// parse_rfc3339(text, TimeSyntax::filter).
std::optional<FqlTime> parse_fql_time(std::string_view text);

/// RFC 3339 in UTC ("2025-02-03T10:04:18.39565409Z"): the fraction only when non-zero, with
/// trailing zeros trimmed (Go's RFC3339Nano, as the API writes times).
std::string format_fql_time(const FqlTime& t);
/// As above, appended to `out` (the reply renderer's form: no allocation of its own).
void append_fql_time(std::string& out, const FqlTime& t);

/// The system clock as an FqlTime.
FqlTime fql_now();

/// Elasticsearch-style date math on "now" as Falcon filters and date ranges take it: "now",
/// then any of +N or -N with a unit (s, m, h, d, w, M, y) or /unit (round down). nullopt when
/// `text` is not such an expression.
std::optional<FqlTime> parse_relative_time(std::string_view text, const FqlTime& now);

/// An absolute time (parse_fql_time) or a relative one (parse_relative_time).
std::optional<FqlTime> parse_time_expression(std::string_view text, const FqlTime& now);

/// Units of date math and of date histogram intervals.
enum class TimeUnit { second, minute, hour, day, week, month, quarter, year };

/// Seconds in a fixed-length unit; 0 for the calendar units (month, quarter, year).
std::int64_t unit_seconds(TimeUnit u);
/// The start of the unit holding `seconds` (UTC); weeks start on Monday (ISO, as
/// Elasticsearch).
std::int64_t truncate_time(std::int64_t seconds, TimeUnit u);

// The emulator's clock type (TimePoint) and its text.

/// Nanoseconds since the Unix epoch.
std::int64_t to_ns(TimePoint t);
TimePoint from_ns(std::int64_t ns);
FqlTime to_fql_time(TimePoint t);

/// format_fql_time of `t`.
std::string format_time(TimePoint t);
/// parse_rfc3339(text, TimeSyntax::api) as a TimePoint.
std::optional<TimePoint> parse_time(std::string_view text);

}  // namespace falcon::emulator
