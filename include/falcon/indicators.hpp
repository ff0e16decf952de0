/// @file indicators.hpp
/// The rulebook: the one definition of what an indicator is. Its fields (one table: JSON key,
/// kind, where the API takes it, whether sync manages it, its CSV column and CLI option), the
/// value tables (types, actions, severities, platforms, mobile actions), type inference, the
/// per-type value rules and normal forms, and timestamps. Validation (Config::validate), the
/// typed models, the feed readers, sync, bulk and the falcon-ioc CLI all use these functions,
/// so an indicator is judged the same way wherever it comes from.
///
///     auto v = falcon::rules::normalize("", "Evil.Example.COM.");
///     // v->type == "domain", v->value == "evil.example.com"
///     falcon::rules::normalize("", "256.1.1.1");  // nullopt: not a valid IPv4 address
///
/// **Extensible enums.** The API adds values over time (a new action, a new platform), and a
/// client-side check must never block a value the API accepts. The built-in tables are what is
/// known today; a value outside them is judged by an EnumLookup (the SDK's validation asks the
/// API's own value-list operations, once per Client) and, when no lookup is given or it cannot
/// tell, it is let through for the server to judge. Known-bad shapes (a hash of the wrong length
/// for a known type) are refused offline.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "falcon/models.hpp"

namespace falcon {
class Client;
}  // namespace falcon

namespace falcon::rules {

// ---- value tables ---------------------------------------------------------------------------

/// The value tables of an indicator.
enum class Enum {
  type,           ///< sha256, md5, domain, ipv4, ipv6 (ioc_type_query).
  action,         ///< no_action, allow, prevent_no_ui, prevent, detect (action_query).
  severity,       ///< informational, low, medium, high, critical (severity_query).
  platform,       ///< windows, mac, linux, ios, android (platform_query).
  mobile_action,  ///< no_action, allow, detect, prevent (no list operation: action_query).
};

/// The field the table belongs to: "type", "action", "severity", "platforms", "mobile_action".
std::string_view to_string(Enum e) noexcept;

/// The values the SDK knows today, lower case, in the API's order.
const std::vector<std::string_view>& known_values(Enum e);

/// `value` is in the built-in table (compared ignoring ASCII case, as the API does).
bool is_known(Enum e, std::string_view value) noexcept;

/// "a, b, c": the built-in table, for messages.
std::string known_list(Enum e);

/// Judges a value the built-in table does not know: true when the API accepts it, false when it
/// does not, nullopt when it cannot tell (then the value is let through).
using EnumLookup = std::function<std::optional<bool>(Enum table, std::string_view value)>;

/// The lookup the SDK's own validation uses: the API's value-list operations (ioc_type_query,
/// action_query, platform_query, severity_query; scope ioc:read) asked through `client`, once
/// per list and cached for the Client and its copies. A failed lookup says "cannot tell" and is
/// tried again after five minutes.
EnumLookup api_lookup(const Client& client);

/// Checks one enum value: nullopt when it may be sent, else the reason (naming the known
/// values). An unknown value is refused only when `lookup` says the API does not take it.
std::optional<std::string> check_enum(Enum e, std::string_view value,
                                      const EnumLookup& lookup = {});

// ---- values ---------------------------------------------------------------------------------

/// A type and a value in their normal form.
struct TypedValue {
  std::string type;   ///< Lower case: "sha256", "md5", "domain", "ipv4", "ipv6" (or a new type).
  std::string value;  ///< The normal form (see normalize()).
};

/// Infers the type of `value` strictly: 64 hex → sha256, 32 hex → md5, a canonical IPv4 →
/// ipv4, a valid IPv6 → ipv6 (an IPv4-mapped one, `0:0:0:0:0:ffff:a.b.c.d` however abbreviated, →
/// ipv4), a name of two or more labels → domain. Everything else is refused with `reason` set: a
/// 40-hex value ("sha1 is not a Falcon IOC type"), a dotted-decimal or numeric host that is not a
/// canonical IPv4
/// (`256.1.1.1`, `1.2.3`, `010.0.0.1`, `0x7f000001`, `2130706433`), a single label (`com`).
std::optional<std::string> infer_type(std::string_view value, std::string* reason = nullptr);

/// Checks `value` against `type` (ASCII case ignored; "" infers it) and returns both in normal
/// form: hashes and domains lower case, a domain's trailing dot dropped, IPv4 and IPv6 in
/// canonical text (inet_ntop), an IPv4-mapped IPv6 address as the IPv4 indicator it denotes.
/// A type the built-in table does not know is judged by `lookup` (see check_enum); when it may
/// be sent, its value is only trimmed. nullopt with `reason` set when refused.
std::optional<TypedValue> normalize(std::string_view type, std::string_view value,
                                    std::string* reason = nullptr, const EnumLookup& lookup = {});

/// The key that identifies an indicator: normal type and value joined by '\n'. Two entries
/// with the same key are the same indicator (bulk reconciliation and sync compare by it).
std::string key(std::string_view type, std::string_view value);

/// key() of a type and value that may not be in normal form: normalised when they can be, else
/// both lower-cased (so a value the rules refuse still compares as the API would).
std::string key_of_any(std::string_view type, std::string_view value);

// ---- the allow-list ---------------------------------------------------------------------------

/// Values that must never become a blocking IOC. The built-in list holds loopback, unspecified,
/// private (RFC 1918, IPv6 ULA), link-local, multicast and broadcast addresses and `localhost`
/// (with its subdomains); add() takes a user's entries: an exact value, a CIDR range
/// (`203.0.113.0/24`, `2001:db8::/32`) or a domain suffix (`*.example.com`, which also matches
/// `example.com`). Values are compared in normal form (normalize()).
class AllowList {
 public:
  /// An empty list (nothing allowed).
  AllowList() = default;
  /// The built-in classes above.
  static AllowList builtin();

  /// Adds one entry; the reason it cannot be read, or nullopt. Blank lines and `#` comments are
  /// ignored (nullopt).
  std::optional<std::string> add(std::string_view entry);
  /// Why `value` of `type` (normal form) is allowed ("private address (RFC 1918)",
  /// "allow-list entry '*.corp.example'"), or nullopt when it is not.
  std::optional<std::string> match(std::string_view type, std::string_view value) const;
  /// Entries added (built-in classes count as one each).
  std::size_t size() const noexcept { return exact_.size() + suffixes_.size() + ranges_.size(); }

 private:
  struct Range {
    bool v6 = false;
    std::array<unsigned char, 16> net{};
    unsigned prefix = 0;
    std::string reason;
  };
  std::vector<std::pair<std::string, std::string>> exact_;     // key(type, value), reason
  std::vector<std::pair<std::string, std::string>> suffixes_;  // ".example.com", reason
  std::vector<Range> ranges_;
};

// ---- timestamps -----------------------------------------------------------------------------

/// A point in time, UTC, with nanosecond precision (the API's created_on has nanoseconds) over
/// the years 0001-9999 (a nanosecond time_point would overflow past 2262).
struct Time {
  /// Whole seconds since 1970-01-01T00:00:00Z.
  std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds> seconds{};
  std::int32_t nanos = 0;  ///< 0 to 999,999,999.

  /// From a system_clock time.
  static Time from(std::chrono::system_clock::time_point t);
  /// This time plus `d` (which may be negative).
  Time plus(std::chrono::seconds d) const { return Time{seconds + d, nanos}; }

  /// Earlier than.
  friend bool operator<(const Time& a, const Time& b) {
    return a.seconds < b.seconds || (a.seconds == b.seconds && a.nanos < b.nanos);
  }
  /// The same instant.
  friend bool operator==(const Time& a, const Time& b) {
    return a.seconds == b.seconds && a.nanos == b.nanos;
  }
  /// Not the same instant.
  friend bool operator!=(const Time& a, const Time& b) { return !(a == b); }
  /// Not later than.
  friend bool operator<=(const Time& a, const Time& b) { return !(b < a); }
};

/// Parses RFC 3339 (`2026-01-31T12:00:00Z`, `…T12:00:00.5+02:00`, `t` or a space for `T`,
/// fractions to 9 digits) or a date alone (`2026-01-31`, midnight UTC). Years 0001-9999; a
/// leap second (`:60`) is read as :59. nullopt when malformed or not a real date.
std::optional<Time> parse_time(std::string_view text);

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` in UTC, the fraction without trailing zeros.
std::string format_time(Time t);

/// parse_time() then format_time(): the normal form of an expiration; nullopt when malformed.
std::optional<std::string> normalize_time(std::string_view text);

/// True for Falcon's zero time (`0001-01-01T00:00:00Z`), which on update clears an expiration.
bool is_zero_time(std::string_view text) noexcept;

/// A duration: a whole number followed by s, m, h, d or w (`90m`, `365d`, `2w`); up to 100
/// years. nullopt when malformed.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

/// An absolute time (parse_time) or one relative to `now`: `now`, `now+30d`, `now-1h`, `+30d`.
std::optional<Time> parse_time_or_relative(std::string_view text,
                                           std::chrono::system_clock::time_point now);

// ---- the fields of an indicator -----------------------------------------------------------

/// How a field's value is written and checked.
enum class Kind {
  text,         ///< Text (source: at most 256 characters, filename); feeds trim it.
  free_text,    ///< Free text kept exactly as given, spaces included (description).
  id,           ///< The indicator's id.
  value,        ///< The indicator value: its rules depend on `type`.
  enumeration,  ///< One value of an Enum table (type, action, severity, mobile_action).
  enum_list,    ///< A list of values of an Enum table (platforms).
  list,         ///< A list of free strings (tags).
  id_list,      ///< A list of 32-hex ids (host_groups).
  boolean,      ///< true / false.
  timestamp,    ///< RFC 3339 (expiration, created_on, modified_on).
  object,       ///< A JSON object (metadata).
};

/// One field of an indicator. The table (fields()) is the only list of them: the models'
/// decoders, validation, the feed readers, sync's comparison and the CLI are all driven by it.
struct Field {
  std::string_view key;    ///< JSON key in API records and request bodies ("" for none).
  Kind kind = Kind::text;  ///< How the value is typed, checked and compared.
  /// For enumeration and enum_list: the values' table.
  Enum values = Enum::type;
  bool record = false;  ///< A key of the API's records (api.IndicatorV1).
  bool create = false;  ///< Taken by create (api.IndicatorCreateReqV1).
  bool update = false;  ///< Taken by update (api.IndicatorUpdateReqV1).
  /// Compared and written by sync when a feed entry sets it.
  bool managed = false;
  /// Lives inside `metadata` on the wire (`filename` is metadata.filename).
  bool in_metadata = false;
  std::string_view column;  ///< CSV column name (feeds and export); "" when not a column.
  std::string_view option;  ///< falcon-ioc option (`--mobile-action`); "" when none.
  std::string_view help;    ///< One line for the CLI's help.
};

/// Every field, in the order of the CSV columns that falcon-ioc export writes.
const std::vector<Field>& fields();

/// The field with JSON key (or, for metadata.filename, name) `key`; nullptr when unknown.
const Field* find_field(std::string_view key) noexcept;

/// The field of CSV column `name` (exact, lower case); nullptr when unknown.
const Field* find_column(std::string_view name) noexcept;

/// "id, type, value, …": every CSV column, for messages.
std::string column_list();

// ---- whole indicators -----------------------------------------------------------------------

/// A problem with one field of an indicator.
struct Problem {
  std::string field;   ///< Field name, with the item index for lists ("platforms[1]").
  std::string value;   ///< The offending value as given (may be "").
  std::string reason;  ///< What is wrong, e.g. "not a valid IPv4 address".
};

/// How from_json treats keys that are not fields of an indicator.
enum class UnknownKeys {
  refuse,  ///< A problem (feeds: a typo must not be dropped silently).
  ignore,  ///< Skipped (validation: the server judges keys it may have added).
};

/// Reads one indicator object (a record, or a create/update item) into `out`: the fields a
/// create or update takes are set; record-only keys (created_on, ...) are skipped; a value of
/// the wrong JSON type is a problem. `metadata.filename` becomes IndicatorSpec::filename.
std::optional<Problem> from_json(const nlohmann::json& object, IndicatorSpec& out,
                                 UnknownKeys unknown);

/// Sets `field` of `out` from text, as CSV cells and CLI options carry it: lists split on
/// `separator` (trimmed, empty items dropped), booleans true/false/yes/no/1/0.
std::optional<Problem> set_from_text(IndicatorSpec& out, const Field& field, std::string_view text,
                                     char separator = ';');

/// The text of `field` in a record, as CSV writes it: lists joined with ';', booleans
/// true/false, unset as "".
std::string text_of(const Indicator& record, const Field& field);

/// Checks and normalises every field `spec` sets: type and value (normalize()), enums lower
/// case (unknown ones judged by `lookup`), platforms/tags/host_groups trimmed and de-duplicated
/// (host groups lower case, 32 hex), expiration in normal form, source at most 256 characters.
/// Returns the first problem; `spec` is then partly normalised.
std::optional<Problem> normalize(IndicatorSpec& spec, const EnumLookup& lookup = {});

/// The write rules beyond single fields: a create needs type and value, and applied_globally
/// or a host group; an update needs an id.
std::optional<Problem> check_write(const IndicatorSpec& spec, bool for_create);

}  // namespace falcon::rules
