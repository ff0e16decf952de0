// The rulebook (falcon/indicators.hpp): value tables, inference, per-type rules and normal
// forms, timestamps, and the field-table walks that read and check whole indicators.
#include "falcon/indicators.hpp"

#include <arpa/inet.h>

#include <date/date.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "indicator_fields.hpp"
#include "strings.hpp"

namespace falcon::rules {

using nlohmann::json;

namespace {

bool is_hex_of(std::string_view s, std::size_t n) noexcept {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

bool all_digits(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A label inet_aton would read as a number: decimal, octal (leading 0) or hex (0x...).
bool numeric_label(std::string_view l) noexcept {
  if (all_digits(l)) return true;
  if (l.size() > 2 && l[0] == '0' && (l[1] == 'x' || l[1] == 'X')) {
    return std::all_of(l.begin() + 2, l.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    });
  }
  return false;
}

// A domain's labels, on the stack: a domain of at most 200 characters has at most 101.
struct Labels {
  std::array<std::string_view, 101> items;
  std::size_t size = 0;
  const std::string_view* begin() const { return items.data(); }
  const std::string_view* end() const { return items.data() + size; }
  std::string_view back() const { return items[size - 1]; }
};

// The labels of `s` (at most 200 characters).
Labels labels_of(std::string_view s) {
  Labels out;
  std::size_t start = 0;
  while (out.size < out.items.size()) {
    const std::size_t dot = s.find('.', start);
    out.items[out.size++] = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

bool has_space_or_control(std::string_view s) noexcept {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

std::optional<std::string> refuse(std::string* reason, std::string why) {
  if (reason != nullptr) *reason = std::move(why);
  return std::nullopt;
}

std::string shown(std::string_view v) {
  return "'" + internal::printable(v, 80) + "'";
}

// ---- per-type rules -------------------------------------------------------------------------

std::optional<std::string> ipv4_text(std::string_view v) {
  // Only digits and dots can make one: a domain is turned away without a copy.
  if (v.empty() || v.size() >= INET_ADDRSTRLEN ||
      v.find_first_not_of("0123456789.") != std::string_view::npos) {
    return std::nullopt;
  }
  in_addr a{};
  const std::string s(v);
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) return std::nullopt;
  char buf[INET_ADDRSTRLEN];
  return std::string(inet_ntop(AF_INET, &a, buf, sizeof buf));
}

// Canonical IPv6 text; `mapped_v4` gets the IPv4 address of an IPv4-mapped one.
std::optional<std::string> ipv6_text(std::string_view v, std::optional<std::string>* mapped_v4) {
  in6_addr a{};
  const std::string s(v);
  if (inet_pton(AF_INET6, s.c_str(), &a) != 1) return std::nullopt;
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (mapped_v4 != nullptr && std::equal(std::begin(kMapped), std::end(kMapped), a.s6_addr)) {
    in_addr v4{};
    std::copy(a.s6_addr + 12, a.s6_addr + 16, reinterpret_cast<unsigned char*>(&v4.s_addr));
    char buf4[INET_ADDRSTRLEN];
    *mapped_v4 = std::string(inet_ntop(AF_INET, &v4, buf4, sizeof buf4));
  }
  char buf[INET6_ADDRSTRLEN];
  return std::string(inet_ntop(AF_INET6, &a, buf, sizeof buf));
}

// Why `v` (which is no canonical IPv4) is not a domain either, or nullopt when it may be one.
std::optional<std::string> numeric_host_problem(const Labels& labels) {
  const bool all_numeric = std::all_of(labels.begin(), labels.end(), numeric_label);
  if (all_numeric) {
    if (labels.size == 1) {
      return std::string(
          "a bare number is neither a domain nor a canonical IPv4 address (write a.b.c.d)");
    }
    return std::string(
        "not a valid IPv4 address (four decimal numbers 0-255 without leading zeros) and not a "
        "domain");
  }
  if (all_digits(labels.back())) {
    return std::string("not a domain: its last label is a number");
  }
  return std::nullopt;
}

// The bytes of a domain label (lower case): letters, digits, '-' and '_'.
constexpr std::array<bool, 256> kLabelChar = [] {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
  t['-'] = true;
  t['_'] = true;
  return t;
}();

// Why `d` (lower case, no trailing dot) is no domain; nullopt when it is one.
std::optional<std::string> domain_problem(std::string_view d) {
  if (d.empty()) return std::string("value is empty");
  if (d.size() > 200) return std::string("a domain is at most 200 characters");
  const auto labels = labels_of(d);
  for (auto label : labels) {
    if (label.empty()) return std::string("a domain cannot have an empty label");
    if (label.size() > 63) return std::string("a domain label is at most 63 characters");
    const auto bad = std::find_if(label.begin(), label.end(), [](char c) {
      return !kLabelChar[static_cast<unsigned char>(c)];
    });
    if (bad != label.end()) {
      if (static_cast<unsigned char>(*bad) >= 0x80) {
        return std::string("not an ASCII domain: give its punycode (xn--) form");
      }
      return std::string("a domain holds only letters, digits, '-', '_' and '.'");
    }
    if (label.front() == '-' || label.back() == '-') {
      return std::string("a domain label cannot start or end with '-'");
    }
  }
  if (auto why = numeric_host_problem(labels)) return why;
  if (labels.size < 2) {
    return "a domain needs at least two labels (" + shown(d) + " has one)";
  }
  return std::nullopt;
}

std::optional<std::string> domain_normal(std::string_view v, std::string* reason) {
  std::string d = internal::lower(v);
  if (d.size() > 1 && d.back() == '.') d.pop_back();
  if (auto why = domain_problem(d)) return refuse(reason, std::move(*why));
  return d;
}

bool has_upper(std::string_view s) noexcept {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// The rules of a known type: the normal value, or nullopt with `reason`. Sets `type_out` when
// the value denotes another type (an IPv4-mapped IPv6 address is the IPv4 indicator).
std::optional<std::string> value_normal(std::string_view type, std::string_view v,
                                        std::string* reason, std::string* type_out) {
  if (type == "sha256") {
    if (!is_hex_of(v, 64)) {
      return refuse(reason, "a sha256 value must be 64 hex characters (got " +
                                std::to_string(v.size()) + ")");
    }
    return internal::lower(v);
  }
  if (type == "md5") {
    if (!is_hex_of(v, 32)) {
      return refuse(
          reason, "an md5 value must be 32 hex characters (got " + std::to_string(v.size()) + ")");
    }
    return internal::lower(v);
  }
  if (type == "ipv4") {
    if (auto a = ipv4_text(v)) return a;
    return refuse(reason, shown(v) + " is not a valid IPv4 address");
  }
  if (type == "ipv6") {
    std::optional<std::string> mapped;
    auto a = ipv6_text(v, &mapped);
    if (!a) return refuse(reason, shown(v) + " is not a valid IPv6 address");
    if (mapped) {
      *type_out = "ipv4";
      return mapped;
    }
    return a;
  }
  // domain
  if (ipv4_text(v)) {
    return refuse(reason, shown(v) + " is an IPv4 address, not a domain (use type ipv4)");
  }
  std::string why;
  auto d = domain_normal(v, &why);
  if (!d) return refuse(reason, "not a valid domain: " + why);
  return d;
}

std::optional<std::string> check_utf8(std::string_view s) {
  if (!internal::valid_utf8(s)) return std::string("not valid UTF-8");
  if (s.find('\0') != std::string_view::npos) return std::string("contains a NUL byte");
  return std::nullopt;
}

}  // namespace

// ---- value tables ---------------------------------------------------------------------------

std::string_view to_string(Enum e) noexcept {
  switch (e) {
    case Enum::type:
      return "type";
    case Enum::action:
      return "action";
    case Enum::severity:
      return "severity";
    case Enum::platform:
      return "platforms";
    case Enum::mobile_action:
      return "mobile_action";
  }
  return "?";
}

const std::vector<std::string_view>& known_values(Enum e) {
  static const std::vector<std::string_view> kTypes = {"sha256", "md5", "domain", "ipv4", "ipv6"};
  static const std::vector<std::string_view> kActions = {"no_action", "allow", "prevent_no_ui",
                                                         "prevent", "detect"};
  static const std::vector<std::string_view> kSeverities = {"informational", "low", "medium",
                                                            "high", "critical"};
  static const std::vector<std::string_view> kPlatforms = {"windows", "mac", "linux", "ios",
                                                           "android"};
  static const std::vector<std::string_view> kMobileActions = {"no_action", "allow", "detect",
                                                               "prevent"};
  switch (e) {
    case Enum::type:
      return kTypes;
    case Enum::action:
      return kActions;
    case Enum::severity:
      return kSeverities;
    case Enum::platform:
      return kPlatforms;
    case Enum::mobile_action:
      break;
  }
  return kMobileActions;
}

bool is_known(Enum e, std::string_view value) noexcept {
  const auto& set = known_values(e);
  return std::any_of(set.begin(), set.end(),
                     [&](std::string_view k) { return internal::iequals(k, value); });
}

std::string known_list(Enum e) {
  std::string out;
  for (auto v : known_values(e)) {
    if (!out.empty()) out += ", ";
    out += v;
  }
  return out;
}

std::optional<std::string> check_enum(Enum e, std::string_view value, const EnumLookup& lookup) {
  if (is_known(e, value)) return std::nullopt;
  const std::string refused = shown(value) + " is not one of: " + known_list(e);
  // Only a well-formed name can be a value the API added; anything else is refused offline.
  const bool name_like =
      !value.empty() && value.size() <= 64 && std::all_of(value.begin(), value.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
      });
  if (!name_like) return refused;
  if (!lookup) return std::nullopt;
  const std::optional<bool> accepted = lookup(e, internal::lower(value));
  if (accepted.has_value() && !*accepted) {
    return refused + " (nor in the API's list of " + std::string(to_string(e)) + ")";
  }
  return std::nullopt;
}

// ---- values ---------------------------------------------------------------------------------

namespace {

// Inference; `mapped_as_v4`: an IPv4-mapped IPv6 address reports ipv4 (what it denotes) rather
// than ipv6 (how it is written, which normalize() needs to read it).
std::optional<std::string> infer(std::string_view value, std::string* reason, bool mapped_as_v4) {
  if (value.empty()) return refuse(reason, "value is empty");
  if (has_space_or_control(value)) {
    return refuse(reason, "a value holds no spaces or control characters");
  }
  if (is_hex_of(value, 64)) return std::string("sha256");
  if (is_hex_of(value, 32)) return std::string("md5");
  if (is_hex_of(value, 40))
    return refuse(reason, "sha1 is not a Falcon IOC type (sha256 and md5 are)");
  if (is_hex_of(value, 128)) {
    return refuse(reason, "sha512 is not a Falcon IOC type (sha256 and md5 are)");
  }
  if (ipv4_text(value)) return std::string("ipv4");
  if (value.find(':') != std::string_view::npos) {
    std::optional<std::string> mapped;
    if (ipv6_text(value, &mapped)) return std::string(mapped && mapped_as_v4 ? "ipv4" : "ipv6");
    if (value.find("://") != std::string_view::npos) {
      return refuse(reason, "a URL is not a Falcon IOC type (give its domain)");
    }
    return refuse(reason, shown(value) + " is not a valid IPv6 address");
  }
  std::string why;
  if (!domain_normal(value, &why)) {
    return refuse(reason, "cannot tell the type of " + shown(value) + ": " + why);
  }
  return std::string("domain");
}

}  // namespace

std::optional<std::string> infer_type(std::string_view value, std::string* reason) {
  return infer(value, reason, true);
}

std::optional<TypedValue> normalize(std::string_view type, std::string_view value,
                                    std::string* reason, const EnumLookup& lookup) {
  auto fail = [&](std::string why) -> std::optional<TypedValue> {
    if (reason != nullptr) *reason = std::move(why);
    return std::nullopt;
  };
  if (value.empty()) {
    return fail(type.empty() ? "value is empty"
                             : "value is empty (a " + internal::lower(type) + " is expected)");
  }
  if (auto bad = check_utf8(value)) return fail("value is " + *bad);
  std::string t;
  if (type.empty()) {
    std::string why;
    auto inferred = infer(value, &why, false);
    if (!inferred) return fail(why);
    t = *inferred;
  } else {
    t = internal::lower(type);
  }
  if (!is_known(Enum::type, t)) {
    if (auto why = check_enum(Enum::type, type, lookup)) return fail(*why);
    if (has_space_or_control(value)) return fail("a value holds no spaces or control characters");
    return TypedValue{t, std::string(value)};  // a type the API added: its rules are the API's
  }
  std::string why;
  std::string out_type = t;
  auto v = value_normal(t, value, &why, &out_type);
  if (!v) return fail(why);
  return TypedValue{std::move(out_type), std::move(*v)};
}

std::string key(std::string_view type, std::string_view value) {
  std::string k;
  k.reserve(type.size() + value.size() + 1);
  k.append(type);
  k += '\n';
  k.append(value);
  return k;
}

std::string key_of_any(std::string_view type, std::string_view value) {
  if (auto n = normalize(type, value)) return key(n->type, n->value);
  return key(internal::lower(type), internal::lower(value));
}

}  // namespace falcon::rules

namespace falcon::internal {

bool already_normal(std::string_view type, std::string_view value) {
  if (value.empty() || rules::has_upper(value)) return false;
  if (type == "domain") {
    return value.back() != '.' && !rules::ipv4_text(value) && !rules::domain_problem(value);
  }
  if (type == "sha256") return rules::is_hex_of(value, 64);
  if (type == "md5") return rules::is_hex_of(value, 32);
  if (type == "ipv4") {
    const auto a = rules::ipv4_text(value);
    return a && *a == value;
  }
  return false;  // ipv6 and types the API added: normalize() decides
}

}  // namespace falcon::internal

namespace falcon::rules {

// ---- the allow-list ---------------------------------------------------------------------------

namespace {

// An address (in normal form) as 16 bytes; IPv4 in the first 4.
bool address_bytes(std::string_view value, bool v6, std::array<unsigned char, 16>& out) {
  const std::string s(value);
  out.fill(0);
  if (v6) return inet_pton(AF_INET6, s.c_str(), out.data()) == 1;
  return inet_pton(AF_INET, s.c_str(), out.data()) == 1;
}

bool in_prefix(const std::array<unsigned char, 16>& a, const std::array<unsigned char, 16>& net,
               unsigned prefix) {
  for (unsigned bit = 0; bit < prefix; ++bit) {
    const unsigned byte = bit / 8, mask = 0x80u >> (bit % 8);
    if ((a[byte] & mask) != (net[byte] & mask)) return false;
  }
  return true;
}

}  // namespace

AllowList AllowList::builtin() {
  AllowList a;
  const std::pair<const char*, const char*> kRanges[] = {
      {"127.0.0.0/8", "loopback address"},
      {"0.0.0.0/8", "unspecified address (this network)"},
      {"10.0.0.0/8", "private address (RFC 1918)"},
      {"172.16.0.0/12", "private address (RFC 1918)"},
      {"192.168.0.0/16", "private address (RFC 1918)"},
      {"169.254.0.0/16", "link-local address"},
      {"224.0.0.0/4", "multicast address"},
      {"255.255.255.255/32", "broadcast address"},
      {"::1/128", "loopback address"},
      {"::/128", "unspecified address"},
      {"fc00::/7", "private address (IPv6 unique local)"},
      {"fe80::/10", "link-local address"},
      {"ff00::/8", "multicast address"},
  };
  for (const auto& [cidr, why] : kRanges) {
    a.add(cidr);
    a.ranges_.back().reason = why;
  }
  a.add("localhost");
  a.exact_.back().second = "localhost";
  a.add("*.localhost");
  a.suffixes_.back().second = "localhost";
  return a;
}

std::optional<std::string> AllowList::add(std::string_view entry) {
  entry = internal::trim(entry);
  if (entry.empty() || entry.front() == '#') return std::nullopt;
  const std::string reason = "allow-list entry '" + internal::printable(entry, 100) + "'";
  if (entry.substr(0, 2) == "*.") {
    // A suffix may be one label (*.localhost, *.corp): judged as a name under it.
    std::string why;
    auto d = domain_normal("x." + std::string(entry.substr(2)), &why);
    if (!d) return "not a domain suffix: " + why;
    suffixes_.emplace_back(d->substr(1), reason);
    return std::nullopt;
  }
  if (const auto slash = entry.find('/'); slash != std::string_view::npos) {
    Range r;
    const std::string_view addr = entry.substr(0, slash), bits = entry.substr(slash + 1);
    r.v6 = addr.find(':') != std::string_view::npos;
    if (!address_bytes(addr, r.v6, r.net)) return "not an address before '/'";
    const unsigned max = r.v6 ? 128 : 32;
    if (!all_digits(bits) || bits.size() > 3 || std::stoul(std::string(bits)) > max) {
      return "a prefix length is 0-" + std::to_string(max);
    }
    r.prefix = static_cast<unsigned>(std::stoul(std::string(bits)));
    r.reason = reason;
    ranges_.push_back(std::move(r));
    return std::nullopt;
  }
  // A lone name that is not a valid domain ("localhost") is still an exact name.
  std::string why;
  if (auto tv = normalize("", entry, &why)) {
    exact_.emplace_back(key(tv->type, tv->value), reason);
  } else {
    exact_.emplace_back(key("domain", internal::lower(entry)), reason);
  }
  return std::nullopt;
}

std::optional<std::string> AllowList::match(std::string_view type, std::string_view value) const {
  // Asked for every entry of a feed: no work for a list without entries of a kind.
  if (!exact_.empty()) {
    const std::string k = key(type, value);
    for (const auto& [e, why] : exact_) {
      if (e == k) return why;
    }
  }
  if (type == "domain") {
    for (const auto& [suffix, why] : suffixes_) {
      if (value.size() >= suffix.size() && value.substr(value.size() - suffix.size()) == suffix) {
        return why;
      }
      if (std::string_view(suffix).substr(1) == value) return why;  // *.x.com covers x.com
    }
  }
  if (!ranges_.empty() && (type == "ipv4" || type == "ipv6")) {
    const bool v6 = type == "ipv6";
    std::array<unsigned char, 16> a{};
    if (!address_bytes(value, v6, a)) return std::nullopt;
    for (const auto& r : ranges_) {
      if (r.v6 == v6 && in_prefix(a, r.net, r.prefix)) return r.reason;
    }
  }
  return std::nullopt;
}

// ---- timestamps -----------------------------------------------------------------------------

namespace {

bool read_digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

Time Time::from(std::chrono::system_clock::time_point t) {
  namespace ch = std::chrono;
  const auto secs = ch::floor<ch::seconds>(t);
  return Time{secs,
              static_cast<std::int32_t>(ch::duration_cast<ch::nanoseconds>(t - secs).count())};
}

std::optional<Time> parse_time(std::string_view s) {
  using namespace std::chrono;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (!read_digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !read_digits(s, 5, 2, mo) ||
      s[7] != '-' || !read_digits(s, 8, 2, d)) {
    return std::nullopt;
  }
  const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)},
                                 date::day{static_cast<unsigned>(d)}};
  if (y < 1 || !ymd.ok()) return std::nullopt;
  const Time day{time_point<system_clock, seconds>(date::sys_days{ymd}), 0};
  if (s.size() == 10) return day;
  if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !read_digits(s, 11, 2, h) ||
      s.size() < 19 || s[13] != ':' || !read_digits(s, 14, 2, mi) || s[16] != ':' ||
      !read_digits(s, 17, 2, se) || h > 23 || mi > 59 || se > 60) {
    return std::nullopt;
  }
  std::size_t i = 19;
  std::int32_t ns = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (i - start < 9) ns = ns * 10 + (s[i] - '0');
      ++i;
    }
    if (i == start) return std::nullopt;
    for (std::size_t k = std::min<std::size_t>(i - start, 9); k < 9; ++k) ns *= 10;
  }
  minutes offset{0};
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh = 0, om = 0;
    if (!read_digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !read_digits(s, i + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = minutes((s[i] == '+' ? 1 : -1) * (oh * 60 + om));
    i += 6;
  } else {
    return std::nullopt;  // a date-time needs its zone
  }
  if (i != s.size()) return std::nullopt;
  Time t = day.plus(hours(h) + minutes(mi) + seconds(std::min(se, 59)) - offset);
  t.nanos = ns;
  return t;
}

std::string format_time(Time t) {
  using namespace std::chrono;
  const auto day = date::floor<date::days>(t.seconds);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<seconds> tod{t.seconds - day};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                static_cast<int>(tod.seconds().count()));
  std::string out(buf);
  if (t.nanos > 0 && t.nanos < 1'000'000'000) {
    char f[16];
    std::snprintf(f, sizeof f, ".%09d", static_cast<int>(t.nanos));
    std::string frac(f);
    while (frac.back() == '0') frac.pop_back();
    out += frac;
  }
  return out + "Z";
}

std::optional<std::string> normalize_time(std::string_view text) {
  auto t = parse_time(text);
  if (!t) return std::nullopt;
  const date::year_month_day ymd{date::floor<date::days>(t->seconds)};
  if (ymd.year() < date::year{1} || ymd.year() > date::year{9999}) return std::nullopt;
  return format_time(*t);
}

bool is_zero_time(std::string_view text) noexcept {
  return text.rfind("0001-01-01T00:00:00", 0) == 0 || text == "0001-01-01";
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  const char unit = text.back();
  const std::string_view digits = text.substr(0, text.size() - 1);
  if (!all_digits(digits) || digits.size() > 9) return std::nullopt;
  const std::int64_t n = std::stoll(std::string(digits));
  std::int64_t per = 0;
  switch (unit) {
    case 's':
      per = 1;
      break;
    case 'm':
      per = 60;
      break;
    case 'h':
      per = 3600;
      break;
    case 'd':
      per = 86400;
      break;
    case 'w':
      per = 7 * 86400;
      break;
    default:
      return std::nullopt;
  }
  constexpr std::int64_t kMax = 100LL * 366 * 86400;
  if (n > kMax / per) return std::nullopt;
  return std::chrono::seconds(n * per);
}

std::optional<Time> parse_time_or_relative(std::string_view text,
                                           std::chrono::system_clock::time_point now) {
  const Time base = Time::from(now);
  std::string_view rest = text;
  if (rest.rfind("now", 0) == 0) {
    rest.remove_prefix(3);
    if (rest.empty()) return base;
  } else if (rest.empty() || (rest.front() != '+' && rest.front() != '-')) {
    return parse_time(text);
  }
  if (rest.front() != '+' && rest.front() != '-') return std::nullopt;
  const auto d = parse_duration(rest.substr(1));
  if (!d) return std::nullopt;
  return base.plus(rest.front() == '+' ? *d : -*d);
}

// ---- the field table ------------------------------------------------------------------------

const std::vector<Field>& fields() {
  static const std::vector<Field> table = [] {
    std::vector<Field> out;
    internal::for_each_field([&](const auto& r) { out.push_back(r.field); });
    return out;
  }();
  return table;
}

const Field* find_field(std::string_view key) noexcept {
  for (const auto& f : fields()) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

const Field* find_column(std::string_view name) noexcept {
  if (name.empty()) return nullptr;
  for (const auto& f : fields()) {
    if (f.column == name) return &f;
  }
  return nullptr;
}

std::string column_list() {
  std::string out;
  for (const auto& f : fields()) {
    if (f.column.empty()) continue;
    if (!out.empty()) out += ", ";
    out += f.column;
  }
  return out;
}

// ---- whole indicators -----------------------------------------------------------------------

namespace {

// Calls fn(row) for the row whose field is `f`.
template <class Fn>
void with_row(const Field& f, Fn&& fn) {
  internal::for_each_field([&](const auto& r) {
    if (r.field.key == f.key) fn(r);
  });
}

std::optional<Problem> json_into(const Field& f, const json& v, std::optional<std::string>& out) {
  if (v.is_null()) return std::nullopt;
  if (!v.is_string()) {
    return Problem{std::string(f.key), v.dump(), std::string(f.key) + " must be a string"};
  }
  out = v.get<std::string>();
  return std::nullopt;
}
std::optional<Problem> json_into(const Field& f, const json& v,
                                 std::optional<std::vector<std::string>>& out) {
  if (v.is_null()) return std::nullopt;
  const std::string rule = std::string(f.key) + " must be a list of strings";
  if (!v.is_array()) return Problem{std::string(f.key), v.dump(), rule};
  std::vector<std::string> items;
  items.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      return Problem{std::string(f.key) + "[" + std::to_string(i) + "]", v[i].dump(),
                     "must be a string"};
    }
    items.push_back(v[i].get<std::string>());
  }
  out = std::move(items);
  return std::nullopt;
}
std::optional<Problem> json_into(const Field& f, const json& v, std::optional<bool>& out) {
  if (v.is_null()) return std::nullopt;
  if (!v.is_boolean()) {
    return Problem{std::string(f.key), v.dump(), std::string(f.key) + " must be true or false"};
  }
  out = v.get<bool>();
  return std::nullopt;
}
// metadata of a create/update item: api.MetadataReqV1 carries only the file name.
std::optional<Problem> json_into(const Field& f, const json& v, std::optional<json>& out,
                                 IndicatorSpec& spec) {
  if (v.is_null()) return std::nullopt;
  if (!v.is_object()) {
    return Problem{std::string(f.key), v.dump(), std::string(f.key) + " must be a JSON object"};
  }
  auto fn = v.find("filename");
  if (fn != v.end() && !fn->is_null()) {
    if (!fn->is_string()) return Problem{"metadata.filename", fn->dump(), "must be a string"};
    if (!spec.filename) spec.filename = fn->get<std::string>();
  }
  (void)out;
  return std::nullopt;
}

// In place: the first of each repeated item stays, in order.
void dedupe(std::vector<std::string>& v) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto end = v.begin() + static_cast<std::ptrdiff_t>(kept);
    if (std::find(v.begin(), end, v[i]) != end) continue;
    if (kept != i) v[kept] = std::move(v[i]);
    ++kept;
  }
  v.resize(kept);
}

void lower_in_place(std::string& s) {
  for (auto& ch : s) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch | 0x20);
  }
}

std::optional<Problem> check_text(const Field& f, const std::string& s) {
  if (auto bad = check_utf8(s))
    return Problem{std::string(f.key), s, std::string(f.key) + " is " + *bad};
  if (f.key == "source" && s.size() > 256) {
    return Problem{"source", s, "source is longer than 256 characters"};
  }
  return std::nullopt;
}

// Normalises one set field of `spec` per its kind.
template <class Row>
std::optional<Problem> normalize_field(const Row& r, IndicatorSpec& spec,
                                       const EnumLookup& lookup) {
  const Field& f = r.field;
  if constexpr (internal::reaches<decltype(r.spec), IndicatorSpec>) {
    auto& m = r.spec(spec);
    using M = std::decay_t<decltype(m)>;
    if (!m) return std::nullopt;
    if constexpr (std::is_same_v<M, std::optional<std::string>>) {
      switch (f.kind) {
        case Kind::enumeration: {
          if (f.values == Enum::type) return std::nullopt;  // with the value, in normalize()
          if (auto why = check_enum(f.values, *m, lookup))
            return Problem{std::string(f.key), *m, *why};
          lower_in_place(*m);
          return std::nullopt;
        }
        case Kind::timestamp: {
          if (is_zero_time(*m)) return std::nullopt;  // clears the expiration on update
          auto t = normalize_time(*m);
          if (!t) {
            return Problem{std::string(f.key), *m,
                           shown(*m) +
                               " is not an RFC 3339 date-time (2026-01-31T00:00:00Z) or a "
                               "YYYY-MM-DD date"};
          }
          *m = std::move(*t);
          return std::nullopt;
        }
        case Kind::value:
          return std::nullopt;  // with the type, in normalize()
        default:
          return check_text(f, *m);
      }
    } else if constexpr (std::is_same_v<M, std::optional<std::vector<std::string>>>) {
      for (std::size_t i = 0; i < m->size(); ++i) {
        std::string& item = (*m)[i];
        // Built only for a problem: this runs for every item of every feed entry.
        const auto at = [&] { return std::string(f.key) + "[" + std::to_string(i) + "]"; };
        if (auto bad = check_utf8(item)) return Problem{at(), item, "is " + *bad};
        if (f.kind == Kind::enum_list) {
          if (auto why = check_enum(f.values, item, lookup)) return Problem{at(), item, *why};
          lower_in_place(item);
        } else if (f.kind == Kind::id_list) {
          if (!is_hex_of(item, 32))
            return Problem{at(), item, "a host group id is 32 hex characters"};
          lower_in_place(item);
        }
      }
      dedupe(*m);
      return std::nullopt;
    } else {
      return std::nullopt;  // booleans and metadata need no normalising
    }
  } else {
    (void)spec;
    (void)lookup;
    return std::nullopt;
  }
}

bool parse_bool(std::string_view v, bool& out) {
  const std::string l = internal::lower(internal::trim(v));
  if (l == "true" || l == "1" || l == "yes") {
    out = true;
    return true;
  }
  if (l == "false" || l == "0" || l == "no") {
    out = false;
    return true;
  }
  return false;
}

}  // namespace

std::optional<Problem> from_json(const json& object, IndicatorSpec& out, UnknownKeys unknown) {
  if (!object.is_object()) return Problem{"", "", "not a JSON object"};
  for (const auto& item : object.items()) {
    // Named, not a structured binding: C++17 lets no lambda capture one (clang refuses it).
    const std::string& k = item.key();
    const json& v = item.value();
    const Field* f = find_field(k);
    if (f == nullptr) {
      if (unknown == UnknownKeys::ignore) continue;
      return Problem{internal::printable(k, 80), "",
                     "unknown field '" + internal::printable(k, 80) + "'"};
    }
    if (!f->create && !f->update) continue;  // a record-only key (created_on, ...)
    std::optional<Problem> p;
    with_row(*f, [&](const auto& r) {
      if constexpr (internal::reaches<decltype(r.spec), IndicatorSpec>) {
        auto& m = r.spec(out);
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, std::optional<json>>) {
          p = json_into(r.field, v, m, out);
        } else {
          p = json_into(r.field, v, m);
        }
      }
    });
    if (p) return p;
  }
  return std::nullopt;
}

std::optional<Problem> set_from_text(IndicatorSpec& out, const Field& field, std::string_view text,
                                     char separator) {
  std::optional<Problem> p;
  with_row(field, [&](const auto& r) {
    if constexpr (internal::reaches<decltype(r.spec), IndicatorSpec>) {
      auto& m = r.spec(out);
      using M = std::decay_t<decltype(m)>;
      if constexpr (std::is_same_v<M, std::optional<std::string>>) {
        m = std::string(text);
      } else if constexpr (std::is_same_v<M, std::optional<std::vector<std::string>>>) {
        m = internal::split_trimmed(text, separator);
      } else if constexpr (std::is_same_v<M, std::optional<bool>>) {
        bool b = false;
        if (!parse_bool(text, b)) {
          p = Problem{std::string(r.field.key), std::string(text), "must be true or false"};
        } else {
          m = b;
        }
      } else {
        p = Problem{std::string(r.field.key), std::string(text), "cannot be given as text"};
      }
    } else {
      p = Problem{std::string(r.field.key), std::string(text),
                  std::string(r.field.key) + " is set by the API, not by a feed"};
    }
  });
  return p;
}

std::string text_of(const Indicator& record, const Field& field) {
  std::string out;
  with_row(field, [&](const auto& r) {
    if constexpr (internal::reaches<decltype(r.record), const Indicator>) {
      const auto& m = r.record(record);
      using M = std::decay_t<decltype(m)>;
      if constexpr (std::is_same_v<M, std::string>) {
        out = m;
      } else if constexpr (std::is_same_v<M, std::optional<std::string>>) {
        out = m.value_or("");
      } else if constexpr (std::is_same_v<M, std::vector<std::string>>) {
        for (const auto& s : m) out += (out.empty() ? "" : ";") + s;
      } else if constexpr (std::is_same_v<M, std::optional<bool>>) {
        out = m ? (*m ? "true" : "false") : "";
      }
    }
  });
  return out;
}

std::optional<Problem> normalize(IndicatorSpec& spec, const EnumLookup& lookup) {
  if (spec.type) {
    if (auto why = check_enum(Enum::type, *spec.type, lookup)) {
      return Problem{"type", *spec.type, *why};
    }
  }
  if (spec.value && spec.type && internal::already_normal(*spec.type, *spec.value)) {
    // type and value stay as they are
  } else if (spec.value) {
    std::string why;
    auto tv = normalize(spec.type.value_or(""), *spec.value, &why, lookup);
    if (!tv) return Problem{"value", *spec.value, why};
    spec.type = std::move(tv->type);
    spec.value = std::move(tv->value);
  } else if (spec.type) {
    spec.type = internal::lower(*spec.type);
  }
  std::optional<Problem> p;
  internal::for_each_field([&](const auto& r) {
    if (!p) p = normalize_field(r, spec, lookup);
  });
  return p;
}

std::optional<Problem> check_write(const IndicatorSpec& spec, bool for_create) {
  if (for_create) {
    if (!spec.type) return Problem{"type", "", "type is required"};
    if (!spec.value) return Problem{"value", "", "value is required"};
    const bool global = spec.applied_globally.value_or(false);
    const bool groups = spec.host_groups && !spec.host_groups->empty();
    if (!global && !groups) {
      return Problem{"applied_globally", "",
                     "an indicator needs applied_globally=true or at least one host_groups id"};
    }
  } else if (!spec.id || spec.id->empty()) {
    return Problem{"id", "", "id is required to update an indicator"};
  }
  return std::nullopt;
}

}  // namespace falcon::rules
