// OAuth2, bearer checks, and the indicator write/read round trip over real HTTP.
#include "emulator_test_support.hpp"
#include "util.hpp"

namespace falcon::emulator::testing {
namespace {

constexpr const char* kEntities = "/iocs/entities/indicators/v1";

void expect_common_headers(const httplib::Response& r) {
  EXPECT_TRUE(r.has_header("X-CS-TRACEID"));
  EXPECT_TRUE(r.has_header("X-RateLimit-Limit"));
  EXPECT_TRUE(r.has_header("X-RateLimit-Remaining"));
  EXPECT_EQ(r.get_header_value("Content-Type"), "application/json");
}

using ServerTest = EmulatorTest;

TEST_F(ServerTest, TokenWithFormFieldsAndBasic) {
  auto r =
      client_->Post("/oauth2/token",
                    "grant_type=client_credentials&client_id=falcon-emulator-demo&client_secret="
                    "falcon-emulator-demo-secret&member_cid=abc",
                    "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->get_header_value("X-CS-Region"), "us-1");
  expect_common_headers(*r);
  const json body = json::parse(r->body);
  EXPECT_GE(body["access_token"].get<std::string>().size(), 64u);
  EXPECT_EQ(body["token_type"], "bearer");
  EXPECT_EQ(body["expires_in"], 1799);

  // gofalcon style: Basic header, the form holds only grant_type.
  httplib::Headers basic{
      {"Authorization",
       "basic " + base64_encode("falcon-emulator-demo:falcon-emulator-demo-secret")}};
  r = client_->Post("/oauth2/token", basic, "grant_type=client_credentials",
                    "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(emu_->counters().tokens_issued, 2u);
}

TEST_F(ServerTest, TokenRejectsBadAndMissingCredentials) {
  auto r = client_->Post("/oauth2/token", "client_id=falcon-emulator-demo&client_secret=nope",
                         "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  expect_common_headers(*r);
  json body = json::parse(r->body);
  EXPECT_EQ(body["errors"][0]["code"], 403);
  EXPECT_EQ(body["errors"][0]["message"], "access denied, invalid client credentials");
  EXPECT_TRUE(body["meta"].contains("trace_id"));

  r = client_->Post("/oauth2/token", "grant_type=client_credentials",
                    "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

TEST_F(ServerTest, InvalidExpiredAndRevokedTokensGet401) {
  const auto expect_401 = [&](const httplib::Headers& h) {
    auto r = client_->Get("/iocs/queries/indicators/v1", h);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(r->get_header_value("X-RateLimit-Limit"), "15");
    expect_common_headers(*r);
    const json body = json::parse(r->body);
    EXPECT_EQ(body["errors"],
              json::parse(R"([{"code":401,"message":"access denied, invalid bearer token"}])"));
    EXPECT_EQ(body["meta"]["powered_by"], "crowdstrike-api-gateway");
    EXPECT_TRUE(body["meta"]["query_time"].is_number());
    EXPECT_TRUE(body["meta"]["trace_id"].is_string());
  };
  expect_401({});
  expect_401({{"Authorization", "Bearer not-a-token"}});

  // expired via the library call
  std::string token = fetch_token();
  httplib::Headers h{{"Authorization", "Bearer " + token}};
  auto ok = client_->Get("/iocs/queries/indicators/v1", h);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  emu_->expire_tokens();
  expect_401(h);

  // expired by the clock
  token = fetch_token();
  h = {{"Authorization", "Bearer " + token}};
  emu_->advance_clock(std::chrono::seconds(1800));
  expect_401(h);

  // revoked: Basic auth is required to revoke
  token = fetch_token();
  h = {{"Authorization", "Bearer " + token}};
  auto r = client_->Post("/oauth2/revoke", "token=" + token, "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  r = client_->Post("/oauth2/revoke",
                    {{"Authorization", "Basic " + base64_encode("falcon-emulator-demo:wrong")}},
                    "token=" + token, "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  ok = client_->Get("/iocs/queries/indicators/v1", h);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  r = client_->Post(
      "/oauth2/revoke",
      {{"Authorization",
        "Basic " + base64_encode("falcon-emulator-demo:falcon-emulator-demo-secret")}},
      "token=" + token, "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["errors"], json::array());
  expect_401(h);
}

TEST_F(ServerTest, CreateGetSearchUpdateDeleteRoundTrip) {
  json created = create({domain_item("Evil.Example.com"), hash_item(1)});
  ASSERT_EQ(created["resources"].size(), 2u);
  EXPECT_EQ(created["errors"], json::array());
  const json dom = created["resources"][0];
  const std::string id = dom["id"];
  EXPECT_TRUE(is_hex(id, 64));
  EXPECT_EQ(id, to_lower(id));
  EXPECT_EQ(dom["value"], "evil.example.com");
  EXPECT_EQ(dom["severity"], "high");
  EXPECT_EQ(dom["created_by"], "falcon-emulator-demo");
  EXPECT_EQ(dom["modified_by"], "falcon-emulator-demo");
  EXPECT_EQ(dom["deleted"], false);
  EXPECT_EQ(dom["expired"], false);
  EXPECT_EQ(dom["metadata"], json::object());
  EXPECT_TRUE(parse_time(dom["created_on"].get<std::string>()));
  EXPECT_EQ(created["resources"][1]["metadata"], json({{"filename", "f1.exe"}}));
  EXPECT_EQ(emu_->counters().indicators_created, 2u);

  json got = call_json("GET", std::string(kEntities) + "?ids=" + id, 200);
  ASSERT_EQ(got["resources"].size(), 1u);
  EXPECT_EQ(got["resources"][0], dom);

  json found =
      call_json("GET", "/iocs/queries/indicators/v1?filter=" + url_encode("type:'domain'"), 200);
  EXPECT_EQ(found["resources"], json({id}));
  EXPECT_EQ(found["meta"]["pagination"]["total"], 1);

  // Update: set a description, then reset it (and the expiration) with null.
  json upd =
      call_json("PATCH", kEntities, 200,
                json{{"indicators", json::array({json{{"id", id},
                                                      {"description", "seen in phish"},
                                                      {"expiration", "2099-01-01T00:00:00Z"}}})}}
                    .dump());
  EXPECT_EQ(upd["resources"][0]["description"], "seen in phish");
  EXPECT_EQ(upd["resources"][0]["expiration"], "2099-01-01T00:00:00Z");
  upd = call_json(
      "PATCH", kEntities, 200,
      json{{"bulk_update", nullptr},
           {"indicators",
            json::array({json{{"id", id}, {"description", nullptr}, {"expiration", nullptr}}})}}
          .dump());
  const json after_reset = upd["resources"][0];
  EXPECT_FALSE(after_reset.contains("description"));
  EXPECT_FALSE(after_reset.contains("expiration"));
  EXPECT_EQ(after_reset["severity"], "high");
  EXPECT_GE(after_reset["modified_on"].get<std::string>(), dom["modified_on"].get<std::string>());

  // Bulk update by filter.
  upd = call_json("PATCH", kEntities, 200,
                  json{{"bulk_update", {{"filter", "type:'sha256'"}, {"tags", {"bulk"}}}},
                       {"indicators", json::array()}}
                      .dump());
  ASSERT_EQ(upd["resources"].size(), 1u);
  EXPECT_EQ(upd["resources"][0]["tags"], json({"bulk"}));

  // Delete (comma-joined ids), then deleted records only show up when asked for.
  json del =
      call_json("DELETE", std::string(kEntities) + "?comment=cleanup&ids=" + id + ",nope", 200);
  EXPECT_EQ(del["resources"], json({id}));
  EXPECT_EQ(del["errors"][0]["code"], 404);
  found = call_json("GET", "/iocs/queries/indicators/v1", 200);
  EXPECT_EQ(found["meta"]["pagination"]["total"], 1);
  found = call_json("GET", "/iocs/queries/indicators/v1?filter=" + url_encode("deleted:true"), 200);
  EXPECT_EQ(found["resources"], json({id}));
  got = call_json("GET", std::string(kEntities) + "?ids=" + id, 200);
  EXPECT_EQ(got["resources"][0]["deleted"], true);
  const json audit = emu_->audit_log();
  EXPECT_EQ(audit.back()["operation"], "indicator_delete_v1");
  EXPECT_EQ(audit.back()["comment"], "cleanup");

  // The value can be created again once the old one is deleted.
  create({domain_item("evil.example.com")});
  // Neither ids nor filter.
  call_json("DELETE", kEntities, 400);
  call_json("GET", std::string(kEntities) + "?ids=" + std::string(64, 'f'), 404);
  call_json("GET", kEntities, 400);
}

TEST_F(ServerTest, RowErrorsWarningsAndDuplicates) {
  json bad = domain_item("bad.example.com");
  bad["action"] = "prevent";
  json r = create({domain_item("ok.example.com"), bad}, 400);
  EXPECT_EQ(r["errors"][0]["message"], "One or more indicators have a warning or invalid input");
  ASSERT_EQ(r["resources"].size(), 1u);
  EXPECT_EQ(r["resources"][0]["row"], 2);
  EXPECT_EQ(r["resources"][0]["field_name"], "action");
  EXPECT_EQ(r["resources"][0]["message_type"], "error");
  EXPECT_EQ(r["resources"][0]["value"], "bad.example.com");
  EXPECT_EQ(r["resources"][0]["type"], "domain");
  EXPECT_EQ(emu_->indicator_count(), 0u);  // nothing half-written

  json past = domain_item("past.example.com");
  past["expiration"] = "2020-01-01T00:00:00Z";
  r = create({past}, 400);
  EXPECT_EQ(r["resources"][0]["message_type"], "warning");
  EXPECT_EQ(r["resources"][0]["field_name"], "expiration");
  r = create({past}, 201, "?ignore_warnings=true");
  EXPECT_EQ(r["resources"][0]["expired"], true);
  EXPECT_EQ(r["resources"][0]["action"], "no_action");

  // Errors still block with ignore_warnings.
  create({bad}, 400, "?ignore_warnings=true");

  // Duplicates of an existing value and within one request.
  create({domain_item("dup.example.com")});
  r = create({domain_item("DUP.example.com")}, 400);
  EXPECT_EQ(r["resources"][0]["field_name"], "value");
  r = create({domain_item("twice.example.com"), domain_item("twice.example.com")}, 400);
  EXPECT_EQ(r["resources"][0]["row"], 2);

  // Update with an unknown or missing id.
  r = call_json("PATCH", kEntities, 400,
                json{{"indicators", json::array({json{{"id", std::string(64, '0')}},
                                                 json{{"description", "x"}}})}}
                    .dump());
  ASSERT_EQ(r["resources"].size(), 2u);
  EXPECT_EQ(r["resources"][0]["field_name"], "id");
  EXPECT_EQ(r["resources"][1]["field_name"], "ID");  // the real API's spelling (spec §3.9)
  EXPECT_EQ(r["resources"][1]["message"], "required string is missing");
}

TEST_F(ServerTest, WriteBatchLimit) {
  json items = json::array();
  for (int i = 0; i < 2001; ++i) items.push_back(hash_item(i));
  json r = create(items, 400);
  EXPECT_NE(r["errors"][0]["message"].get<std::string>().find("2000"), std::string::npos);
  items.erase(items.size() - 1);
  r = create(items, 201);
  EXPECT_EQ(r["resources"].size(), 2000u);
}

TEST_F(ServerTest, ExpirationFollowsTheClock) {
  json item = domain_item("soon.example.com");
  item["expiration"] = format_time(TimePoint(Clock::now()) + std::chrono::hours(1));
  const std::string id = create({item})["resources"][0]["id"];
  json found =
      call_json("GET", "/iocs/combined/indicator/v1?filter=" + url_encode("expired:false"), 200);
  EXPECT_EQ(found["resources"].size(), 1u);
  emu_->advance_clock(std::chrono::hours(2));
  token_.clear();  // the old token outlived its 1799 s as well
  const json rec = call_json("GET", std::string(kEntities) + "?ids=" + id, 200)["resources"][0];
  EXPECT_EQ(rec["expired"], true);
  EXPECT_EQ(rec["action"], "no_action");
  found = call_json("GET", "/iocs/queries/indicators/v1?filter=" + url_encode("expired:true"), 200);
  EXPECT_EQ(found["resources"], json({id}));
  // Moving the expiration into the future again revives the flag (the action stays as set).
  json upd = call_json(
      "PATCH", kEntities, 200,
      json{{"indicators", json::array({json{{"id", id},
                                            {"action", "detect"},
                                            {"expiration", format_time(TimePoint(emu_->now()) +
                                                                       std::chrono::hours(1))}}})}}
          .dump());
  EXPECT_EQ(upd["resources"][0]["expired"], false);
  EXPECT_EQ(upd["resources"][0]["action"], "detect");
}

TEST_F(ServerTest, WrongMethodAndUnknownRoute) {
  auto r = call("PUT", kEntities, "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  expect_common_headers(*r);
  r = call("GET", "/iocs/entities/nothing/v1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  expect_common_headers(*r);
  EXPECT_EQ(json::parse(r->body)["errors"][0]["code"], 404);
  // A method httplib does not know is 405 too.
  httplib::Request req;
  req.method = "BREW";
  req.path = kEntities;
  auto brew = client_->send(req);
  ASSERT_TRUE(brew);
  EXPECT_EQ(brew->status, 405);
  EXPECT_EQ(json::parse(brew->body)["errors"][0]["code"], 405);
  // Legacy CRUD routes are gone from the API.
  r = call("GET", "/indicators/queries/iocs/v1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

}  // namespace
}  // namespace falcon::emulator::testing
