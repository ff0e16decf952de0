// Pages, journal lines and snapshots are written by Record::append_json straight from the typed
// record; they must be byte for byte what nlohmann's dump() of to_json() gives (issue 17).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "record.hpp"

namespace falcon::emulator {
namespace {

using nlohmann::json;

std::string rendered(const json& rec) {
  NamePool names;
  const Record r = Record::from_json(rec, names);
  std::string out;
  r.append_json(out, rec.at("id").get<std::string>(), names);
  EXPECT_EQ(json::parse(out), rec);
  return out;
}

std::string dumped(const json& rec) {
  return rec.dump(-1, ' ', false, json::error_handler_t::replace);
}

TEST(RecordRender, TextEqualsDumpOfTheJson) {
  const std::string id(64, 'a');
  const json full = {
      {"id", id},
      {"type", "sha256"},
      {"value", std::string(64, 'b')},
      {"action", "prevent"},
      {"severity", "critical"},
      {"mobile_action", "detect"},
      {"platforms", {"windows", "mac", "linux"}},
      {"tags", {"a\"b", "back\\slash", "tab\there", "nl\nx", "ctl\x01\x1f", "del\x7f"}},
      {"host_groups", json::array()},
      {"applied_globally", false},
      {"from_parent", false},
      {"deleted", true},
      {"expired", false},
      {"source", "caf\xc3\xa9 \xf0\x9f\x90\x9f feed"},  // UTF-8 passes through as it is
      {"description", "line1\r\nline2 \b\f </script>"},
      {"created_on", "2025-02-03T10:04:18.39565409Z"},
      {"modified_on", "2025-02-03T10:04:18Z"},
      {"expiration", "2261-12-31T23:59:59.000000001Z"},
      {"created_by", "client"},
      {"modified_by", "other \"client\""},
      {"metadata", {{"filename", "f.exe"}}},
  };
  EXPECT_EQ(rendered(full), dumped(full));

  const json minimal = {{"id", id}, {"type", "domain"}, {"value", "x.example.com"}};
  EXPECT_EQ(rendered(minimal), dumped(minimal));
  const json empty_meta = {
      {"id", id}, {"type", "md5"}, {"value", "m"}, {"metadata", json::object()}};
  EXPECT_EQ(rendered(empty_meta), dumped(empty_meta));
  // No compact form (an unknown key, a number): kept as JSON, rendered by dump().
  const json odd = {{"id", id}, {"type", "domain"}, {"value", "v"}, {"score", 1.5}};
  EXPECT_EQ(rendered(odd), dumped(odd));
}

TEST(RecordRender, InvalidUtf8IsReplacedAsDumpReplacesIt) {
  for (const std::string& bad :
       {std::string("a\xff"), std::string("\xc3"), std::string("\xed\xa0\x80"),
        std::string("ok\xe2\x82"), std::string("\xc0\xaf")}) {
    std::string mine;
    append_json_string(mine, bad);
    EXPECT_EQ(mine, json(bad).dump(-1, ' ', false, json::error_handler_t::replace));
  }
  std::string good;
  append_json_string(good, "\xe2\x82\xac \xf4\x8f\xbf\xbf");  // U+20AC, U+10FFFF
  EXPECT_EQ(good, "\"\xe2\x82\xac \xf4\x8f\xbf\xbf\"");
}

}  // namespace
}  // namespace falcon::emulator
