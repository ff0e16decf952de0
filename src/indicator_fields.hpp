// The table of an indicator's fields, with where each lives in the SDK's structs. This is the
// only list of the fields: rules::fields() is built from it, and every piece of code that walks
// an indicator's fields (models, the simdjson decoder, validation, feeds, sync, the CLI) calls
// for_each_field() rather than naming them.
//
// Each row holds the public descriptor (rules::Field) and two accessors: `spec` reaches the
// member in IndicatorSpec and in the create/update option structs (same member names), `record`
// reaches it in Indicator. An accessor that does not apply to a struct simply cannot be called
// with it (SFINAE), which generic code tests with std::is_invocable.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "falcon/indicators.hpp"
#include "falcon/models.hpp"

namespace falcon::internal {

/// No member in that struct.
struct NoMember {};

template <class Spec, class Record>
struct FieldRow {
  rules::Field field;
  Spec spec;
  Record record;
};

template <class Spec, class Record>
constexpr FieldRow<Spec, Record> row(rules::Field f, Spec s, Record r) {
  return {f, s, r};
}

// A member of whichever struct it is applied to; not callable on a struct without it.
#define FALCON_FIELD_MEMBER(m) [](auto& s) -> decltype((s.m)) { return s.m; }

// The file name of a hash lives in the record's metadata; a copy, since it may be absent.
inline constexpr auto kRecordFilename = [](const Indicator& i) -> std::optional<std::string> {
  return i.metadata ? i.metadata->filename : std::nullopt;
};

using rules::Enum;
using rules::Field;
using rules::Kind;

// clang-format off
// key, kind, values, record, create, update, managed, in_metadata, column, option, help
inline constexpr auto kFieldRows = std::make_tuple(
    row(Field{"id", Kind::id, Enum::type, true, false, true, false, false, "id", "", "Indicator id (64 hex)"},
        FALCON_FIELD_MEMBER(id), FALCON_FIELD_MEMBER(id)),
    row(Field{"type", Kind::enumeration, Enum::type, true, true, false, false, false, "type", "--type",
              "sha256, md5, domain, ipv4 or ipv6 (inferred if omitted)"},
        FALCON_FIELD_MEMBER(type), FALCON_FIELD_MEMBER(type)),
    row(Field{"value", Kind::value, Enum::type, true, true, false, false, false, "value", "--value",
              "The hash, domain or address"},
        FALCON_FIELD_MEMBER(value), FALCON_FIELD_MEMBER(value)),
    row(Field{"action", Kind::enumeration, Enum::action, true, true, true, true, false, "action", "--action",
              "no_action, allow, prevent_no_ui, prevent, detect"},
        FALCON_FIELD_MEMBER(action), FALCON_FIELD_MEMBER(action)),
    row(Field{"severity", Kind::enumeration, Enum::severity, true, true, true, true, false, "severity",
              "--severity", "informational, low, medium, high, critical"},
        FALCON_FIELD_MEMBER(severity), FALCON_FIELD_MEMBER(severity)),
    row(Field{"platforms", Kind::enum_list, Enum::platform, true, true, true, true, false, "platforms",
              "--platforms", "windows, mac, linux, ios, android"},
        FALCON_FIELD_MEMBER(platforms), FALCON_FIELD_MEMBER(platforms)),
    row(Field{"tags", Kind::list, Enum::type, true, true, true, true, false, "tags", "--tags", "Tags"},
        FALCON_FIELD_MEMBER(tags), FALCON_FIELD_MEMBER(tags)),
    row(Field{"expiration", Kind::timestamp, Enum::type, true, true, true, true, false, "expiration",
              "--expiration", "RFC 3339 (2026-12-31T00:00:00Z) or relative (now+30d)"},
        FALCON_FIELD_MEMBER(expiration), FALCON_FIELD_MEMBER(expiration)),
    row(Field{"description", Kind::free_text, Enum::type, true, true, true, true, false, "description",
              "--description", "Free text"},
        FALCON_FIELD_MEMBER(description), FALCON_FIELD_MEMBER(description)),
    row(Field{"mobile_action", Kind::enumeration, Enum::mobile_action, true, true, true, true, false,
              "mobile_action", "--mobile-action", "no_action, allow, detect, prevent"},
        FALCON_FIELD_MEMBER(mobile_action), FALCON_FIELD_MEMBER(mobile_action)),
    row(Field{"host_groups", Kind::id_list, Enum::type, true, true, true, true, false, "host_groups",
              "--host-groups", "Host group ids (32 hex)"},
        FALCON_FIELD_MEMBER(host_groups), FALCON_FIELD_MEMBER(host_groups)),
    row(Field{"applied_globally", Kind::boolean, Enum::type, true, true, true, true, false,
              "applied_globally", "--applied-globally", "Apply to every host"},
        FALCON_FIELD_MEMBER(applied_globally), FALCON_FIELD_MEMBER(applied_globally)),
    row(Field{"source", Kind::text, Enum::type, true, true, true, false, false, "source", "--source",
              "Source label (1-256 characters)"},
        FALCON_FIELD_MEMBER(source), FALCON_FIELD_MEMBER(source)),
    row(Field{"filename", Kind::text, Enum::type, false, true, true, true, true, "filename", "--filename",
              "File name of a hash (metadata.filename)"},
        FALCON_FIELD_MEMBER(filename), kRecordFilename),
    row(Field{"metadata", Kind::object, Enum::type, true, true, true, false, false, "", "", ""},
        FALCON_FIELD_MEMBER(metadata), FALCON_FIELD_MEMBER(metadata)),
    row(Field{"created_on", Kind::timestamp, Enum::type, true, false, false, false, false, "", "", ""},
        NoMember{}, FALCON_FIELD_MEMBER(created_on)),
    row(Field{"created_by", Kind::text, Enum::type, true, false, false, false, false, "", "", ""},
        NoMember{}, FALCON_FIELD_MEMBER(created_by)),
    row(Field{"modified_on", Kind::timestamp, Enum::type, true, false, false, false, false, "", "", ""},
        NoMember{}, FALCON_FIELD_MEMBER(modified_on)),
    row(Field{"modified_by", Kind::text, Enum::type, true, false, false, false, false, "", "", ""},
        NoMember{}, FALCON_FIELD_MEMBER(modified_by)),
    row(Field{"expired", Kind::boolean, Enum::type, true, false, false, false, false, "", "", ""},
        NoMember{}, FALCON_FIELD_MEMBER(expired)),
    row(Field{"deleted", Kind::boolean, Enum::type, true, false, false, false, false, "", "", ""},
        NoMember{}, FALCON_FIELD_MEMBER(deleted)),
    row(Field{"from_parent", Kind::boolean, Enum::type, true, false, false, false, false, "", "", ""},
        NoMember{}, FALCON_FIELD_MEMBER(from_parent)),
    row(Field{"parent_cid_name", Kind::text, Enum::type, true, false, false, false, false, "", "", ""},
        NoMember{}, FALCON_FIELD_MEMBER(parent_cid_name)));
// clang-format on

#undef FALCON_FIELD_MEMBER

inline constexpr std::size_t kFieldCount = std::tuple_size_v<decltype(kFieldRows)>;

/// Calls fn(row) for every row, in table order.
template <class Fn>
constexpr void for_each_field(Fn&& fn) {
  std::apply([&](const auto&... r) { (fn(r), ...); }, kFieldRows);
}

/// `value` is already in the normal form of `type` (a known type, in lower case): then
/// rules::normalize(type, value) gives both back unchanged, so callers on a hot path skip it. False
/// says only "ask normalize()".
bool already_normal(std::string_view type, std::string_view value);

/// Row's accessor `Get` reaches a member of `T`.
template <class Get, class T>
inline constexpr bool reaches = std::is_invocable_v<const Get&, T&>;

}  // namespace falcon::internal
