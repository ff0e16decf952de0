// Indicator validation rules (row messages), the value tables, and the small utilities.
#include <gtest/gtest.h>

#include "emulator_test_support.hpp"
#include "synth.hpp"
#include "util.hpp"
#include "validate.hpp"

namespace falcon::emulator {
namespace {

using nlohmann::json;
using testing::domain_item;
using testing::hash_item;
using testing::sha256_of;

struct Case {
  const char* name;
  json item;
  // Expected messages as "field:error" / "field:warning", in order; empty: valid.
  std::vector<std::string> expected;
};

json with(json base, const json& patch) {
  base.merge_patch(patch);
  return base;
}

std::vector<std::string> validate_create(const json& item, TimePoint now) {
  json rec = json::object();
  std::vector<RowMessage> messages;
  apply_fields(item, WriteKind::create, 1, "indicators[0]", rec, messages);
  check_record(rec, 1, now, messages);
  std::vector<std::string> out;
  for (const auto& m : messages) {
    EXPECT_EQ(m.row, 1);
    out.push_back(m.field_name + ":" + (m.error ? "error" : "warning"));
  }
  return out;
}

TEST(Validate, CreateTable) {
  const TimePoint now = *parse_time("2025-06-01T00:00:00Z");
  const json dom = domain_item("evil.example.com");
  const json hash = hash_item(1);
  const std::vector<Case> cases = {
      {"valid domain", dom, {}},
      {"valid sha256", hash, {}},
      {"valid md5", with(hash, {{"type", "md5"}, {"value", std::string(32, 'b')}}), {}},
      {"valid ipv4", with(dom, {{"type", "ipv4"}, {"value", "10.1.2.3"}}), {}},
      {"valid ipv6", with(dom, {{"type", "ipv6"}, {"value", "2001:db8::1"}}), {}},
      {"severity case-insensitive", with(dom, {{"severity", "CRITICAL"}}), {}},
      {"no_action needs no severity",
       with(dom, {{"action", "no_action"}, {"severity", nullptr}}),
       {}},
      {"host groups instead of global",
       with(dom, {{"applied_globally", false}, {"host_groups", {std::string(32, 'c')}}}),
       {}},
      {"date-only expiration", with(dom, {{"expiration", "2030-01-01"}}), {}},
      {"missing type", with(dom, {{"type", nullptr}}), {"type:error"}},
      {"unknown type", with(dom, {{"type", "url"}}), {"type:error"}},
      {"missing value", with(dom, {{"value", nullptr}}), {"value:error"}},
      {"short sha256", with(hash, {{"value", "abc"}}), {"value:error"}},
      {"non-hex md5",
       with(hash, {{"type", "md5"}, {"value", std::string(32, 'z')}}),
       {"value:error"}},
      {"bad ipv4", with(dom, {{"type", "ipv4"}, {"value", "300.1.1.1"}}), {"value:error"}},
      {"bad ipv6", with(dom, {{"type", "ipv6"}, {"value", "2001:::1"}}), {"value:error"}},
      {"bad domain chars", with(dom, {{"value", "ev il.com"}}), {"value:error"}},
      {"domain too long", with(dom, {{"value", std::string(199, 'a') + ".com"}}), {"value:error"}},
      {"missing action", with(dom, {{"action", nullptr}}), {"action:error"}},
      {"unknown action", with(dom, {{"action", "block"}}), {"action:error"}},
      {"prevent on a domain", with(dom, {{"action", "prevent"}}), {"action:error"}},
      {"allow on an ip",
       with(dom, {{"type", "ipv4"}, {"value", "1.2.3.4"}, {"action", "allow"}}),
       {"action:error"}},
      {"detect needs severity", with(dom, {{"severity", nullptr}}), {"severity:error"}},
      {"prevent needs severity", with(hash, {{"severity", nullptr}}), {"severity:error"}},
      {"unknown severity", with(dom, {{"severity", "urgent"}}), {"severity:error"}},
      {"unknown platform", with(dom, {{"platforms", {"windows", "beos"}}}), {"platforms:error"}},
      {"no platforms", with(dom, {{"platforms", json::array()}}), {"platforms:error"}},
      {"mobile platform cannot prevent", with(hash, {{"platforms", {"ios"}}}), {"platforms:error"}},
      {"unknown mobile_action", with(dom, {{"mobile_action", "explode"}}), {"mobile_action:error"}},
      {"source too long", with(dom, {{"source", std::string(257, 's')}}), {"source:error"}},
      {"bad host group",
       with(dom, {{"applied_globally", false}, {"host_groups", {"xyz"}}}),
       {"host_groups:error"}},
      {"neither global nor groups",
       with(dom, {{"applied_globally", false}}),
       {"applied_globally:error"}},
      {"global with groups warns",
       with(dom, {{"host_groups", {std::string(32, 'd')}}}),
       {"host_groups:warning"}},
      {"past expiration warns",
       with(dom, {{"expiration", "2020-01-01T00:00:00Z"}}),
       {"expiration:warning"}},
      {"bad expiration", with(dom, {{"expiration", "next tuesday"}}), {"expiration:error"}},
      {"two problems",
       with(dom, {{"action", "prevent"}, {"source", std::string(300, 'x')}}),
       {"source:error", "action:error"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(validate_create(c.item, now), c.expected) << c.name << ": " << c.item.dump();
  }
}

TEST(Validate, WrongJsonTypesAreBodyErrors) {
  const json dom = domain_item("a.example.com");
  for (const json& patch :
       {json{{"applied_globally", "yes"}}, json{{"platforms", "windows"}}, json{{"platforms", {1}}},
        json{{"value", 5}}, json{{"metadata", {{"filename", 3}}}}, json{{"surprise", true}}}) {
    json rec = json::object();
    std::vector<RowMessage> messages;
    EXPECT_THROW(
        apply_fields(with(dom, patch), WriteKind::create, 1, "indicators[0]", rec, messages),
        BodyError)
        << patch.dump();
  }
}

TEST(Validate, UpdateNullResetsOnlyNullableFields) {
  json rec = {{"type", "domain"},
              {"value", "x.example.com"},
              {"action", "detect"},
              {"severity", "low"},
              {"description", "d"},
              {"source", "s"},
              {"expiration", "2030-01-01T00:00:00Z"},
              {"platforms", {"mac"}},
              {"applied_globally", true}};
  std::vector<RowMessage> messages;
  apply_fields({{"id", "x"},
                {"description", nullptr},
                {"source", nullptr},
                {"expiration", "0001-01-01T00:00:00Z"},
                {"platforms", nullptr},
                {"action", nullptr},
                {"tags", {"t1"}}},
               WriteKind::update, 1, "indicators[0]", rec, messages);
  EXPECT_TRUE(messages.empty());
  EXPECT_FALSE(rec.contains("description"));
  EXPECT_FALSE(rec.contains("source"));
  EXPECT_FALSE(rec.contains("expiration"));
  EXPECT_EQ(rec["platforms"], json({"mac"}));  // null array: unchanged (gofalcon sends null)
  EXPECT_EQ(rec["action"], "detect");
  EXPECT_EQ(rec["tags"], json({"t1"}));
  apply_fields({{"severity", nullptr}}, WriteKind::update, 1, "indicators[0]", rec, messages);
  EXPECT_FALSE(rec.contains("severity"));
  check_record(rec, 1, TimePoint(Clock::now()), messages);
  ASSERT_EQ(messages.size(), 1u);  // detect without severity is now an error
  EXPECT_EQ(messages[0].field_name, "severity");
}

TEST(Validate, ActionTableMatchesValidation) {
  for (const auto& action : indicator_actions()) {
    const json a = action_v1(action);
    ASSERT_TRUE(a.is_object()) << action;
    EXPECT_EQ(a["id"], action);
    EXPECT_EQ(a["severities"], json(indicator_severities()));
    for (const auto& type : indicator_types()) {
      EXPECT_EQ(a["platforms_by_type"].contains(type), action_allows_type(action, type))
          << action << "/" << type;
    }
  }
  EXPECT_TRUE(action_v1("block").is_null());
  EXPECT_EQ(action_v1("prevent")["platforms_by_type"]["sha256"], json({"windows", "mac", "linux"}));
}

TEST(Validate, ParseBodyRejectsDeepNestingAndGarbage) {
  EXPECT_THROW(parse_body(std::string(100, '[') + std::string(100, ']')), BodyError);
  EXPECT_THROW(parse_body("{\"a\":"), BodyError);
  EXPECT_THROW(parse_body("   "), BodyError);
  EXPECT_EQ(parse_body("{\"s\":\"[[[[\"}")["s"], "[[[[");  // brackets in strings do not count
}

TEST(Util, TimeRoundTrip) {
  const auto t = parse_time("2025-02-03T10:04:18.39565409Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_time(*t), "2025-02-03T10:04:18.39565409Z");
  EXPECT_EQ(format_time(*parse_time("2025-02-03T12:04:18+02:00")), "2025-02-03T10:04:18Z");
  EXPECT_EQ(format_time(*parse_time("2024-02-29")), "2024-02-29T00:00:00Z");
  EXPECT_FALSE(parse_time("2023-02-29"));
  EXPECT_FALSE(parse_time("2025-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_time("2025-01-01T00:00:00"));   // no zone
  EXPECT_FALSE(parse_time("0001-01-01T00:00:00Z"));  // outside int64 nanoseconds
}

TEST(Util, Base64AndParsing) {
  for (const std::string s : {"", "a", "ab", "abc", "abcd", "[\"x\",1]"}) {
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
  }
  EXPECT_FALSE(base64_decode("!!!"));
  EXPECT_EQ(parse_int("-12"), -12);
  EXPECT_FALSE(parse_int("12a"));
  EXPECT_FALSE(parse_int("99999999999999999999"));
  EXPECT_EQ(parse_bool("True"), true);
  EXPECT_FALSE(parse_bool("yes"));
  EXPECT_TRUE(is_loopback_host("127.0.0.2"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_FALSE(is_loopback_host("0.0.0.0"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
}

TEST(Synth, DeterministicAndConsistent) {
  Synth a(7);
  Synth b(7);
  Synth c(8);
  const auto devs = a.devices("domain", "evil.example.com");
  EXPECT_EQ(devs, b.devices("domain", "EVIL.example.com"));
  EXPECT_NE(devs, c.devices("domain", "evil.example.com"));
  for (const auto& d : devs) EXPECT_TRUE(is_hex(d, 32)) << d;
  if (!devs.empty()) {
    const auto procs = a.processes("domain", "evil.example.com", devs[0]);
    ASSERT_FALSE(procs.empty());
    for (const auto& p : procs) {
      EXPECT_TRUE(is_process_id(p)) << p;
      const auto detail = a.process_detail(p);
      EXPECT_EQ(detail["device_id"], devs[0]);
      EXPECT_EQ(detail, b.process_detail(p));
    }
  }
  EXPECT_TRUE(a.processes("domain", "evil.example.com", std::string(32, '0')).empty());
  EXPECT_FALSE(is_process_id("pid:abc:1"));
  EXPECT_TRUE(is_process_id("pid:" + std::string(32, 'a') + ":42"));
}

}  // namespace
}  // namespace falcon::emulator
