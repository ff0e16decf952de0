// The rulebook (falcon/indicators.hpp): the table test through every offline path (the rules
// themselves, validation of the create the CLI sends, the CSV feed reader), which must agree on
// every row; the value tables and extensible enums; timestamps; the field table.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "falcon/feeds.hpp"
#include "falcon/indicators.hpp"
#include "falcon/ioc.hpp"
#include "ioc_wire_util.hpp"
#include "rulebook_table.hpp"

namespace {

namespace rules = falcon::rules;
using falcon_rulebook::Row;
using nlohmann::json;

// What the API's value lists hold (the fake server's and the emulator's lists).
std::optional<bool> api_lists(rules::Enum e, std::string_view v) {
  if (e == rules::Enum::mobile_action) e = rules::Enum::action;
  return rules::is_known(e, v);
}

std::string trace(const Row& r) {
  return "type '" + r.type + "' value '" + r.value + "'";
}

TEST(Rulebook, TableThroughTheRules) {
  for (const Row& r : falcon_rulebook::rows()) {
    SCOPED_TRACE(trace(r));
    std::string why;
    auto tv = rules::normalize(r.type, r.value, &why, api_lists);
    ASSERT_EQ(tv.has_value(), r.accepted) << why;
    if (tv) {
      EXPECT_EQ(tv->type, r.normal_type);
      EXPECT_EQ(tv->value, r.normal_value);
      // The normal form is a fixed point.
      auto again = rules::normalize(tv->type, tv->value, nullptr, api_lists);
      ASSERT_TRUE(again.has_value());
      EXPECT_EQ(again->value, tv->value);
      EXPECT_EQ(again->type, tv->type);
    } else {
      EXPECT_NE(why.find(r.reason), std::string::npos) << why;
    }
  }
}

TEST(Rulebook, TableThroughValidation) {
  // The create falcon-ioc sends: the value as given with its type, or (no type) the inferred
  // type and the normal value.
  for (const Row& r : falcon_rulebook::rows()) {
    SCOPED_TRACE(trace(r));
    falcon::IndicatorCreateOptions o;
    o.applied_globally = true;
    if (r.type.empty()) {
      std::string why;
      auto tv = rules::normalize("", r.value, &why);
      ASSERT_EQ(tv.has_value(), r.accepted) << why;
      if (!tv) {
        EXPECT_NE(why.find(r.reason), std::string::npos) << why;
        continue;
      }
      o.type = tv->type;
      o.value = tv->value;
    } else {
      o.type = r.type;
      o.value = r.value;
    }
    falcon_wire::Wire w;
    auto resp = w.ioc().indicator_create(o);
    if (r.accepted) {
      EXPECT_FALSE(resp.error.has_value()) << resp.error->describe();
    } else {
      ASSERT_TRUE(resp.error.has_value());
      EXPECT_EQ(resp.error->kind, falcon::ErrorKind::validation);
      EXPECT_NE(resp.error->message.find(r.reason), std::string::npos) << resp.error->message;
      for (const auto& req : w.all()) EXPECT_TRUE(falcon_wire::is_lookup(req)) << req.url;
    }
  }
}

TEST(Rulebook, TableThroughTheCsvReader) {
  std::string csv = "type,value\n";
  for (const Row& r : falcon_rulebook::rows()) csv += r.type + "," + r.value + "\n";
  falcon::feeds::ReadOptions o;
  o.drop_duplicates = false;
  o.lookup = api_lists;
  auto all = falcon::feeds::read_string(csv, o);
  std::map<std::size_t, const falcon::feeds::FeedEntry*> by_line;
  for (const auto& e : all.entries) by_line[e.line] = &e;
  std::map<std::size_t, const falcon::feeds::FeedIssue*> issues;
  for (const auto& i : all.issues) issues[i.line] = &i;
  std::size_t line = 1;
  for (const Row& r : falcon_rulebook::rows()) {
    ++line;
    SCOPED_TRACE(trace(r) + " on line " + std::to_string(line));
    if (r.accepted) {
      ASSERT_TRUE(by_line.count(line)) << (issues.count(line) ? issues[line]->reason : "");
      EXPECT_EQ(*by_line[line]->spec.type, r.normal_type);
      EXPECT_EQ(*by_line[line]->spec.value, r.normal_value);
    } else {
      EXPECT_FALSE(by_line.count(line));
      ASSERT_TRUE(issues.count(line));
      EXPECT_NE(issues[line]->reason.find(r.reason), std::string::npos) << issues[line]->reason;
    }
  }
}

TEST(Rulebook, InferenceReportsWhatAMappedAddressDenotes) {
  EXPECT_EQ(rules::infer_type("::ffff:10.1.2.3"), "ipv4");
  EXPECT_EQ(rules::infer_type("2001:db8::1"), "ipv6");
  std::string why;
  EXPECT_FALSE(rules::infer_type(std::string(40, 'a'), &why));
  EXPECT_EQ(why, "sha1 is not a Falcon IOC type (sha256 and md5 are)");
  EXPECT_EQ(rules::key("domain", "x.example"), "domain\nx.example");
  EXPECT_EQ(rules::key_of_any("DOMAIN", "X.Example."), "domain\nx.example");
  // A type the rulebook does not know keeps its value as given; a value the rules refuse
  // compares lower case, as the API would.
  EXPECT_EQ(rules::key_of_any("url", "HTTP://X"), "url\nHTTP://X");
  EXPECT_EQ(rules::key_of_any("domain", "Not A Domain"), "domain\nnot a domain");
}

TEST(Rulebook, EnumsAreCheckedCaseInsensitivelyAndUnknownOnesAskTheLookup) {
  EXPECT_TRUE(rules::is_known(rules::Enum::severity, "HIGH"));
  EXPECT_FALSE(rules::check_enum(rules::Enum::action, "Prevent_No_UI"));
  // Without a lookup a well-formed new value goes to the server; with one it is judged.
  EXPECT_FALSE(rules::check_enum(rules::Enum::action, "prevent_plus"));
  int asked = 0;
  auto lookup = [&](rules::Enum e, std::string_view v) -> std::optional<bool> {
    ++asked;
    EXPECT_EQ(e, rules::Enum::action);
    return v == "prevent_plus";
  };
  EXPECT_FALSE(rules::check_enum(rules::Enum::action, "PREVENT_PLUS", lookup));
  auto refused = rules::check_enum(rules::Enum::action, "block", lookup);
  ASSERT_TRUE(refused);
  EXPECT_NE(
      refused->find("'block' is not one of: no_action, allow, prevent_no_ui, prevent, detect"),
      std::string::npos)
      << *refused;
  EXPECT_EQ(asked, 2);
  // A lookup that cannot tell lets the value through; a known value never asks.
  EXPECT_FALSE(rules::check_enum(rules::Enum::platform, "fuchsia",
                                 [](rules::Enum, std::string_view) { return std::nullopt; }));
  EXPECT_FALSE(rules::check_enum(rules::Enum::platform, "linux", lookup));
  EXPECT_EQ(asked, 2);
  // Known-bad shapes are refused offline: no name could be an API value with a space or quote.
  EXPECT_TRUE(rules::check_enum(rules::Enum::severity, "very high"));
  EXPECT_TRUE(rules::check_enum(rules::Enum::severity, ""));
}

TEST(Rulebook, Timestamps) {
  EXPECT_EQ(rules::normalize_time("2026-01-31T00:00:00Z"), "2026-01-31T00:00:00Z");
  EXPECT_EQ(rules::normalize_time("2026-01-31T01:30:00+02:00"), "2026-01-30T23:30:00Z");
  EXPECT_EQ(rules::normalize_time("2026-01-31t00:00:00.500000z"), "2026-01-31T00:00:00.5Z");
  EXPECT_EQ(rules::normalize_time("2026-01-31 00:00:00.123456789Z"),
            "2026-01-31T00:00:00.123456789Z");
  EXPECT_EQ(rules::normalize_time("2024-02-29T00:00:00Z"), "2024-02-29T00:00:00Z");
  EXPECT_EQ(rules::normalize_time("2026-01-31"), "2026-01-31T00:00:00Z");
  EXPECT_EQ(rules::normalize_time("2016-12-31T23:59:60Z"), "2016-12-31T23:59:59Z");
  for (const char* bad :
       {"2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-31T00:00:00Zjunk",
        "2030-01-01T00:00:00", "tomorrow", "", "2026-01-32", "0000-01-01T00:00:00Z",
        "9999-12-31T23:00:00-02:00", "2026-01-31T24:00:00Z", "2026-01-31T00:00:00+24:00"}) {
    EXPECT_FALSE(rules::normalize_time(bad)) << bad;
  }
  EXPECT_TRUE(rules::is_zero_time("0001-01-01T00:00:00Z"));
  EXPECT_FALSE(rules::is_zero_time("2001-01-01T00:00:00Z"));

  using std::chrono::hours;
  using std::chrono::seconds;
  EXPECT_EQ(rules::parse_duration("90m"), seconds(5400));
  EXPECT_EQ(rules::parse_duration("365d"), seconds(365 * 86400));
  EXPECT_EQ(rules::parse_duration("2w"), seconds(14 * 86400));
  for (const char* bad : {"", "d", "10", "10y", "-1d", "1.5d", "99999999999d"}) {
    EXPECT_FALSE(rules::parse_duration(bad)) << bad;
  }
  const auto now = std::chrono::system_clock::time_point{} + hours(24 * 365 * 56);
  EXPECT_EQ(*rules::parse_time_or_relative("now+30d", now),
            rules::Time::from(now + hours(24 * 30)));
  EXPECT_EQ(*rules::parse_time_or_relative("-1h", now), rules::Time::from(now - hours(1)));
  EXPECT_EQ(*rules::parse_time_or_relative("now", now), rules::Time::from(now));
  // Order is by instant, whatever the text: 00.5Z is after 00Z.
  EXPECT_TRUE(*rules::parse_time("2026-01-01T00:00:00Z") <
              *rules::parse_time("2026-01-01T00:00:00.5Z"));
  EXPECT_TRUE(*rules::parse_time("2026-01-01T01:00:00+02:00") <
              *rules::parse_time("2026-01-01T00:00:00Z"));
  EXPECT_EQ(rules::format_time(*rules::parse_time_or_relative("2030-01-01T00:00:00Z", now)),
            "2030-01-01T00:00:00Z");
  EXPECT_FALSE(rules::parse_time_or_relative("now+", now));
  EXPECT_FALSE(rules::parse_time_or_relative("later", now));
}

TEST(Rulebook, OneTableOfFieldsWithUniqueNames) {
  std::set<std::string_view> keys, columns, options;
  for (const auto& f : rules::fields()) {
    EXPECT_TRUE(keys.insert(f.key).second) << "key twice: " << f.key;
    if (!f.column.empty()) {
      EXPECT_TRUE(columns.insert(f.column).second) << f.column;
    }
    if (!f.option.empty()) {
      EXPECT_TRUE(options.insert(f.option).second) << f.option;
    }
    EXPECT_EQ(rules::find_field(f.key), &f);
    if (f.managed) {
      EXPECT_TRUE(f.create && f.update) << f.key << ": sync writes what it manages";
    }
  }
  EXPECT_EQ(rules::column_list(),
            "id, type, value, action, severity, platforms, tags, expiration, description, "
            "mobile_action, host_groups, applied_globally, source, filename");
  EXPECT_EQ(rules::find_column("mobile_action")->key, "mobile_action");
  EXPECT_EQ(rules::find_column("nope"), nullptr);
  // Every key of api.IndicatorV1 the models read is in the table, and nothing else is.
  const falcon::Indicator full = json{
      {"id", "i"},
      {"type", "md5"},
      {"value", "v"},
      {"action", "detect"},
      {"severity", "low"},
      {"mobile_action", "allow"},
      {"source", "s"},
      {"description", "d"},
      {"platforms", {"mac"}},
      {"tags", {"t"}},
      {"host_groups", {"g"}},
      {"created_on", "c"},
      {"created_by", "cb"},
      {"modified_on", "m"},
      {"modified_by", "mb"},
      {"expiration", "e"},
      {"expired", true},
      {"deleted", false},
      {"applied_globally", true},
      {"from_parent", false},
      {"parent_cid_name", "p"},
      {"metadata",
       {{"filename", "f.exe"}}}}.get<falcon::Indicator>();
  const json back = full;
  for (const auto& f : rules::fields()) {
    if (f.record) {
      EXPECT_TRUE(back.contains(f.key)) << f.key;
    }
  }
  EXPECT_EQ(back.size(), static_cast<std::size_t>(
                             std::count_if(rules::fields().begin(), rules::fields().end(),
                                           [](const rules::Field& f) { return f.record; })));
  EXPECT_EQ(rules::text_of(full, *rules::find_column("filename")), "f.exe");
  EXPECT_EQ(rules::text_of(full, *rules::find_column("platforms")), "mac");
  EXPECT_EQ(rules::text_of(full, *rules::find_column("applied_globally")), "true");
}

TEST(Rulebook, WholeIndicatorsFromJsonAndText) {
  falcon::IndicatorSpec s;
  auto p = rules::from_json(json{{"type", "DOMAIN"},
                                 {"value", "X.Example"},
                                 {"severity", "HIGH"},
                                 {"platforms", {"Windows", "windows", "mac"}},
                                 {"tags", {"a", "a", "b"}},
                                 {"expiration", "2030-01-01"},
                                 {"created_on", "ignored"},
                                 {"metadata", {{"filename", "x.exe"}}}},
                            s, rules::UnknownKeys::refuse);
  ASSERT_FALSE(p) << p->reason;
  EXPECT_EQ(s.filename, "x.exe");
  ASSERT_FALSE(rules::normalize(s));
  EXPECT_EQ(s.type, "domain");
  EXPECT_EQ(s.value, "x.example");
  EXPECT_EQ(s.severity, "high");
  EXPECT_EQ(s.platforms, (std::vector<std::string>{"windows", "mac"}));
  EXPECT_EQ(s.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.expiration, "2030-01-01T00:00:00Z");

  falcon::IndicatorSpec t;
  p = rules::from_json(json{{"colour", "red"}}, t, rules::UnknownKeys::refuse);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->reason, "unknown field 'colour'");
  EXPECT_FALSE(rules::from_json(json{{"colour", "red"}}, t, rules::UnknownKeys::ignore));
  p = rules::from_json(json{{"platforms", {"mac", 3}}}, t, rules::UnknownKeys::refuse);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->field, "platforms[1]");

  falcon::IndicatorSpec u;
  EXPECT_FALSE(rules::set_from_text(u, *rules::find_column("tags"), " a ; b;;c "));
  EXPECT_EQ(u.tags, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_FALSE(rules::set_from_text(u, *rules::find_column("applied_globally"), "yes"));
  EXPECT_EQ(u.applied_globally, true);
  EXPECT_TRUE(rules::set_from_text(u, *rules::find_column("applied_globally"), "maybe"));
  EXPECT_TRUE(rules::set_from_text(u, *rules::find_field("created_on"), "x"));

  // Invalid UTF-8 in any text field is a problem of that field, never of a whole batch.
  falcon::IndicatorSpec bad;
  bad.type = "domain";
  bad.value = "ok.example";
  bad.description = std::string("caf\xC3", 4);
  p = rules::normalize(bad);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->field, "description");
  EXPECT_NE(p->reason.find("UTF-8"), std::string::npos);

  falcon::IndicatorSpec w;
  EXPECT_EQ(rules::check_write(w, true)->field, "type");
  w.type = "md5";
  w.value = std::string(32, 'a');
  EXPECT_EQ(rules::check_write(w, true)->field, "applied_globally");
  w.host_groups = std::vector<std::string>{std::string(32, 'b')};
  EXPECT_FALSE(rules::check_write(w, true));
  EXPECT_EQ(rules::check_write(w, false)->field, "id");
}

// Validation with the SDK's own lookup: a value the API's list holds is sent, one it does not
// is refused after one value-list request per Client, and a failed lookup lets the server judge.
struct ListServer {
  std::vector<std::string> actions{"no_action", "allow",  "prevent_no_ui",
                                   "prevent",   "detect", "prevent_plus"};
  int list_status = 200;
  int lookups = 0;
  std::vector<std::string> writes;
  std::shared_ptr<falcon::testing::FakeTransport> fake =
      std::make_shared<falcon::testing::FakeTransport>();

  falcon::Client client() {
    fake->respond_with([this](const falcon::HttpRequest& r) {
      falcon::TransportResult t;
      t.response.headers.emplace("Content-Type", "application/json");
      if (r.url.find("/oauth2/token") != std::string::npos) {
        t.response.status = 201;
        t.response.body = R"({"access_token":"tok","expires_in":1799})";
      } else if (r.url.find("/iocs/queries/actions/v1") != std::string::npos) {
        ++lookups;
        t.response.status = list_status;
        t.response.body = json{
            {"resources", list_status == 200 ? json(actions) : json::array()},
            {"errors",
             json::array()}}.dump();
      } else {
        writes.push_back(r.body.value_or(""));
        t.response.status = 201;
        t.response.body = R"({"resources":[],"errors":[]})";
      }
      return t;
    });
    falcon::Config c;
    c.client_id = "id";
    c.client_secret = "secret";
    c.base_url = "https://api.test.local";
    c.transport = fake;
    c.retry = falcon::RetryPolicy::none();
    return falcon::Client(c);
  }
};

falcon::IndicatorCreateOptions create_with(const std::string& action,
                                           const std::string& mobile = "") {
  falcon::IndicatorCreateOptions o;
  o.type = "md5";
  o.value = std::string(32, 'a');
  o.action = action;
  if (!mobile.empty()) o.mobile_action = mobile;
  o.applied_globally = true;
  return o;
}

TEST(Rulebook, ValidationAsksTheApiOncePerClientForAnUnknownEnum) {
  ListServer s;
  falcon::Client c = s.client();
  falcon::IOC ioc(c);
  EXPECT_TRUE(ioc.indicator_create(create_with("prevent_plus")).ok());
  EXPECT_EQ(s.lookups, 1);
  EXPECT_EQ(s.writes.size(), 1u);
  auto refused = ioc.indicator_create(create_with("block"));
  ASSERT_TRUE(refused.error.has_value());
  EXPECT_EQ(refused.error->field, "indicators[0].action");
  EXPECT_NE(refused.error->message.find("nor in the API's list"), std::string::npos);
  // A copy of the client shares the cache; mobile_action is judged by the action list.
  falcon::IOC copy(falcon::Client{c});
  auto m = copy.indicator_create(create_with("detect", "block"));
  ASSERT_TRUE(m.error.has_value());
  EXPECT_EQ(m.error->field, "indicators[0].mobile_action");
  EXPECT_EQ(s.lookups, 1);
  EXPECT_EQ(s.writes.size(), 1u);
}

TEST(Rulebook, AFailedLookupLetsTheServerJudge) {
  ListServer s;
  s.list_status = 503;
  falcon::IOC ioc(s.client());
  EXPECT_TRUE(ioc.indicator_create(create_with("block")).ok());
  EXPECT_TRUE(ioc.indicator_create(create_with("block2")).ok());
  EXPECT_EQ(s.writes.size(), 2u);
  EXPECT_EQ(s.lookups, 1) << "a failed lookup is not repeated at once";
}

}  // namespace
