#include "fql_time.hpp"

#include <date/date.h>

#include <algorithm>

namespace falcon::emulator {

namespace {

constexpr std::int64_t kNanos = 1000000000;
constexpr std::int64_t kDay = 86400;
// Far outside 0001..9999, keeps long chains of date-math steps clear of int64 overflow, and
// every instant inside date::year's range.
constexpr std::int64_t kMaxDateMathSeconds = 900000000000;  // ~28,500 years
// The years whose instants fit int64 nanoseconds (1677-09-21 .. 2262-04-11), whole years only.
constexpr int kMinNsYear = 1678;
constexpr int kMaxNsYear = 2261;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

date::sys_days day_of(std::int64_t seconds) {
  return date::sys_days(date::days(floor_div(seconds, kDay)));
}

std::int64_t seconds_of(date::sys_days d) {
  return static_cast<std::int64_t>(d.time_since_epoch().count()) * kDay;
}

// A cursor over the text being parsed.
struct Reader {
  std::string_view s;
  std::size_t i = 0;

  bool done() const { return i >= s.size(); }
  bool digits(std::size_t n, int& out) {
    if (i + n > s.size()) return false;
    int v = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const char c = s[i + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    out = v;
    i += n;
    return true;
  }
  bool eat(char c) {
    if (i < s.size() && s[i] == c) return ++i, true;
    return false;
  }
};

void append_digits(std::string& out, unsigned v, int width) {
  char buf[12];
  for (int k = width - 1; k >= 0; --k) {
    buf[k] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<std::size_t>(width));
}

std::optional<TimeUnit> date_math_unit(char c) {
  switch (c) {
    case 's':
      return TimeUnit::second;
    case 'm':
      return TimeUnit::minute;
    case 'h':
    case 'H':
      return TimeUnit::hour;
    case 'd':
      return TimeUnit::day;
    case 'w':
      return TimeUnit::week;
    case 'M':
      return TimeUnit::month;
    case 'y':
      return TimeUnit::year;
    default:
      return std::nullopt;
  }
}

// Calendar months later (earlier when negative), the day clamped to the month's last; nullopt
// past kMaxDateMathSeconds (date::year holds about +-32,767 years).
std::optional<std::int64_t> add_months(std::int64_t seconds, std::int64_t months) {
  constexpr std::int64_t kMaxMonths = kMaxDateMathSeconds / (28 * kDay);
  if (months > kMaxMonths || months < -kMaxMonths) return std::nullopt;
  const date::sys_days day = day_of(seconds);
  const std::int64_t time_of_day = seconds - seconds_of(day);
  const date::year_month_day ymd{day};
  const std::int64_t total = static_cast<int>(ymd.year()) * std::int64_t{12} +
                             static_cast<unsigned>(ymd.month()) - 1 + months;
  const std::int64_t year = floor_div(total, 12);
  if (year > 30000 || year < -30000) return std::nullopt;
  const date::year_month first{date::year{static_cast<int>(year)},
                               date::month{static_cast<unsigned>(total - year * 12 + 1)}};
  const date::year_month_day moved{first / ymd.day()};
  const date::year_month_day ok = moved.ok() ? moved : date::year_month_day{first / date::last};
  return seconds_of(date::sys_days{ok}) + time_of_day;
}

}  // namespace

std::optional<FqlTime> parse_rfc3339(std::string_view text, TimeSyntax syntax) {
  const bool api = syntax == TimeSyntax::api;
  Reader r{text};
  int year = 0, month = 0, day = 0;
  if (!r.digits(4, year) || !r.eat('-') || !r.digits(2, month) || !r.eat('-') ||
      !r.digits(2, day)) {
    return std::nullopt;
  }
  const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                                 date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  if (api && (year < kMinNsYear || year > kMaxNsYear)) return std::nullopt;
  FqlTime t;
  t.seconds = seconds_of(date::sys_days{ymd});
  if (r.done()) return t;  // a date alone: midnight UTC

  if (!r.eat('T') && !r.eat('t') && !r.eat(' ')) return std::nullopt;
  int hour = 0, minute = 0, second = 0;
  if (!r.digits(2, hour) || !r.eat(':') || !r.digits(2, minute)) return std::nullopt;
  std::int64_t nanos = 0;
  const bool has_seconds = r.eat(':');
  if (has_seconds) {
    if (!r.digits(2, second)) return std::nullopt;
    if (r.eat('.') || (!api && r.eat(','))) {
      const std::size_t start = r.i;
      std::int64_t scale = kNanos / 10;
      while (!r.done() && r.s[r.i] >= '0' && r.s[r.i] <= '9') {
        nanos += (r.s[r.i] - '0') * scale;  // digits past the ninth fall off
        scale /= 10;
        ++r.i;
      }
      if (r.i == start) return std::nullopt;
    }
  } else if (api) {
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > (api ? 59 : 60)) return std::nullopt;

  std::int64_t offset = 0;
  if (r.done()) {
    if (api) return std::nullopt;  // the API wants a zone
  } else if (r.eat('Z') || r.eat('z')) {
  } else if (r.s[r.i] == '+' || r.s[r.i] == '-') {
    const int sign = r.s[r.i++] == '-' ? -1 : 1;
    int oh = 0, om = 0;
    if (!r.digits(2, oh)) return std::nullopt;
    if (!r.eat(':') && api) return std::nullopt;
    if (!r.digits(2, om) || oh > 23 || om > 59) return std::nullopt;
    offset = sign * (oh * 3600 + om * 60);
  } else {
    return std::nullopt;
  }
  if (!r.done()) return std::nullopt;
  t.seconds += hour * 3600 + minute * 60 + second - offset;
  t.nanos = static_cast<std::int32_t>(nanos);
  return t;
}

std::optional<FqlTime> parse_fql_time(std::string_view text) {
  return parse_rfc3339(text, TimeSyntax::filter);
}

void append_fql_time(std::string& out, const FqlTime& t) {
  const date::sys_days day = day_of(t.seconds);
  const date::year_month_day ymd{day};
  const auto rem = static_cast<unsigned>(t.seconds - seconds_of(day));
  const int y = static_cast<int>(ymd.year());
  if (y < 0) out += '-';
  append_digits(out, static_cast<unsigned>(y < 0 ? -y : y), 4);
  out += '-';
  append_digits(out, static_cast<unsigned>(ymd.month()), 2);
  out += '-';
  append_digits(out, static_cast<unsigned>(ymd.day()), 2);
  out += 'T';
  append_digits(out, rem / 3600, 2);
  out += ':';
  append_digits(out, rem / 60 % 60, 2);
  out += ':';
  append_digits(out, rem % 60, 2);
  if (t.nanos > 0) {
    auto frac = static_cast<unsigned>(t.nanos);
    int width = 9;
    while (frac % 10 == 0) {
      frac /= 10;
      --width;
    }
    out += '.';
    append_digits(out, frac, width);
  }
  out += 'Z';
}

std::string format_fql_time(const FqlTime& t) {
  std::string out;
  out.reserve(32);
  append_fql_time(out, t);
  return out;
}

FqlTime fql_now() {
  return to_fql_time(TimePoint(Clock::now()));
}

std::int64_t unit_seconds(TimeUnit u) {
  switch (u) {
    case TimeUnit::second:
      return 1;
    case TimeUnit::minute:
      return 60;
    case TimeUnit::hour:
      return 3600;
    case TimeUnit::day:
      return kDay;
    case TimeUnit::week:
      return 7 * kDay;
    default:
      return 0;  // calendar units have no fixed length
  }
}

std::int64_t truncate_time(std::int64_t seconds, TimeUnit u) {
  switch (u) {
    case TimeUnit::second:
    case TimeUnit::minute:
    case TimeUnit::hour:
    case TimeUnit::day:
      return floor_div(seconds, unit_seconds(u)) * unit_seconds(u);
    case TimeUnit::week: {
      const date::sys_days day = day_of(seconds);
      return seconds_of(day - (date::weekday{day} - date::Monday));
    }
    case TimeUnit::month:
    case TimeUnit::quarter:
    case TimeUnit::year: {
      const date::year_month_day ymd{day_of(seconds)};
      unsigned m = static_cast<unsigned>(ymd.month());
      if (u == TimeUnit::year) m = 1;
      if (u == TimeUnit::quarter) m = (m - 1) / 3 * 3 + 1;
      return seconds_of(date::sys_days{ymd.year() / date::month{m} / 1});
    }
  }
  return seconds;
}

std::optional<FqlTime> parse_relative_time(std::string_view text, const FqlTime& now) {
  if (text.substr(0, 3) != "now") return std::nullopt;
  FqlTime t = now;
  std::size_t i = 3;
  while (i < text.size()) {
    const char op = text[i++];
    if (op == '/') {
      if (i >= text.size()) return std::nullopt;
      const auto unit = date_math_unit(text[i++]);
      if (!unit) return std::nullopt;
      t.seconds = truncate_time(t.seconds, *unit);
      t.nanos = 0;
      continue;
    }
    if (op != '+' && op != '-') return std::nullopt;
    std::int64_t n = 0;
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 9) {
      n = n * 10 + (text[i++] - '0');
    }
    if (i == start || i >= text.size()) return std::nullopt;
    const auto unit = date_math_unit(text[i++]);
    if (!unit) return std::nullopt;
    if (op == '-') n = -n;
    if (*unit == TimeUnit::month || *unit == TimeUnit::year) {
      const auto moved = add_months(t.seconds, *unit == TimeUnit::year ? n * 12 : n);
      if (!moved) return std::nullopt;
      t.seconds = *moved;
    } else {
      t.seconds += n * unit_seconds(*unit);
    }
    if (t.seconds > kMaxDateMathSeconds || t.seconds < -kMaxDateMathSeconds) return std::nullopt;
  }
  return t;
}

std::optional<FqlTime> parse_time_expression(std::string_view text, const FqlTime& now) {
  if (text.substr(0, 3) == "now") return parse_relative_time(text, now);
  return parse_fql_time(text);
}

std::int64_t to_ns(TimePoint t) {
  return t.time_since_epoch().count();
}

TimePoint from_ns(std::int64_t ns) {
  return TimePoint(std::chrono::nanoseconds(ns));
}

FqlTime to_fql_time(TimePoint t) {
  const std::int64_t ns = to_ns(t);
  FqlTime out;
  out.seconds = floor_div(ns, kNanos);
  out.nanos = static_cast<std::int32_t>(ns - out.seconds * kNanos);
  return out;
}

std::string format_time(TimePoint t) {
  return format_fql_time(to_fql_time(t));
}

std::optional<TimePoint> parse_time(std::string_view text) {
  const auto t = parse_rfc3339(text, TimeSyntax::api);
  if (!t) return std::nullopt;
  return from_ns(t->seconds * kNanos + t->nanos);
}

}  // namespace falcon::emulator
