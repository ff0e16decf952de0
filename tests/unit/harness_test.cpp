// APIHarness (the Uber class): command() by operation id, dotted spec id or PEP 8 name over the
// endpoint table, and override() to any route. Exact method, path, query and body.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "falcon/endpoints.hpp"
#include "falcon/harness.hpp"
#include "ioc_wire_util.hpp"

namespace {

using falcon::APIHarness;
using falcon::CommandOptions;
using falcon_wire::expect_body;
using falcon_wire::expect_no_body;
using falcon_wire::one;
using falcon_wire::rejected;
using falcon_wire::Sent;
using falcon_wire::Wire;
using nlohmann::json;

template <typename F>
Sent uber_one(F call, bool validate = true) {
  return one([&](const Wire& w) { return call(w.uber()); }, validate);
}

CommandOptions params(json p) {
  CommandOptions c;
  c.parameters = std::move(p);
  return c;
}

TEST(Harness, CommandByOperationIdWithParameters) {
  const auto c =
      params({{"filter", "type:'domain'+expired:false"}, {"limit", 10}, {"from_parent", false}});
  Sent s = uber_one([&](const APIHarness& u) { return u.command("indicator_search_v1", c); });
  EXPECT_EQ(s.method, "GET");
  EXPECT_EQ(s.path, "/iocs/queries/indicators/v1");
  EXPECT_EQ(s.query, "filter=type%3A%27domain%27%2Bexpired%3Afalse&from_parent=false&limit=10");
  expect_no_body(s);
}

TEST(Harness, EveryNameFormResolvesToTheSameRequest) {
  const auto c = params({{"ids", json::array({"a", "b"})}});
  for (const char* name : {"indicator_get_v1", "indicator.get.v1", "indicator_get"}) {
    SCOPED_TRACE(name);
    Sent s = uber_one([&](const APIHarness& u) { return u.command(name, c); });
    EXPECT_EQ(s.method, "GET");
    EXPECT_EQ(s.path, "/iocs/entities/indicators/v1");
    EXPECT_EQ(s.query, "ids=a&ids=b");
    expect_no_body(s);
  }
}

TEST(Harness, EveryTableRowByEveryName) {
  // validate=false so that required parameters may be absent; each name must reach its route.
  for (const auto& ep : falcon::endpoints()) {
    for (auto name : {ep.operation_id, ep.spec_operation_id, ep.method_name}) {
      SCOPED_TRACE(std::string(name));
      Sent s = uber_one([&](const APIHarness& u) { return u.command(name); }, false);
      EXPECT_EQ(s.method, ep.http_method);
      EXPECT_EQ(s.path, ep.route);
      EXPECT_EQ(s.query, "");
      if (ep.has_body) {
        ASSERT_TRUE(s.body.has_value());
        EXPECT_EQ(*s.body, "{}") << "a POST/PATCH operation without a body sends {}";
      } else {
        expect_no_body(s);
      }
    }
  }
}

TEST(Harness, DottedIdsOfTheNewLookups) {
  const auto c = params({{"type", "domain"}, {"value", "x.example"}});
  Sent s =
      uber_one([&](const APIHarness& u) { return u.command("indicator.get.device_count.v1", c); });
  EXPECT_EQ(s.path, "/iocs/aggregates/indicators/device-count/v1");
  EXPECT_EQ(s.query, "type=domain&value=x.example");
  Sent legacy = uber_one([&](const APIHarness& u) { return u.command("DevicesCount", c); });
  EXPECT_EQ(legacy.path, "/indicators/aggregates/devices-count/v1");
  Sent procs = uber_one([&](const APIHarness& u) {
    return u.command("entities.processes", params({{"ids", "p1,p2"}}));
  });
  EXPECT_EQ(procs.path, "/processes/entities/processes/v1");
  EXPECT_EQ(procs.query, "ids=p1&ids=p2");
}

TEST(Harness, UnknownOperationIsAValidationError) {
  for (const char* bad :
       {"indicator_get_v2", "INDICATOR_GET_V1", "", "GetIOC", "oauth2AccessToken"}) {
    SCOPED_TRACE(bad);
    rejected([&](const Wire& w) { return w.uber().command(bad); }, "operation",
             "is not an IOC operation id");
  }
}

TEST(Harness, RequiredParametersAreChecked) {
  rejected([](const Wire& w) { return w.uber().command("indicator_get_v1"); }, "ids",
           "ids is required");
  rejected(
      [](const Wire& w) {
        return w.uber().command("ProcessesRanOn", params({{"type", "domain"}, {"value", "x"}}));
      },
      "device_id");
}

TEST(Harness, GetOrDeleteWithABodyIsRefused) {
  CommandOptions c;
  c.parameters = json{{"ids", "a"}};
  c.body = json::object();
  rejected([&](const Wire& w) { return w.uber().command("indicator_get_v1", c); }, "body",
           "GET sends no body");
  rejected([&](const Wire& w) { return w.uber().command("indicator_delete_v1", c); }, "body",
           "DELETE sends no body");
  c.body = json{{"ids", {"a"}}};
  rejected([&](const Wire& w) { return w.uber().command("indicator.delete.v1", c); }, "body");
  // Even with validation off nothing goes out.
  Wire w(false);
  auto r = w.uber().command("indicator_search_v1", c);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->field, "body");
  EXPECT_TRUE(w.all().empty());
}

TEST(Harness, NullBodyIsNoBody) {
  CommandOptions c;
  c.parameters = json{{"ids", "a"}};
  c.body = json();  // JSON null
  Sent get = uber_one([&](const APIHarness& u) { return u.command("indicator_get_v1", c); });
  expect_no_body(get);
  Sent post = uber_one([&](const APIHarness& u) { return u.command("indicator_aggregate_v1", c); });
  EXPECT_EQ(post.body.value_or("<none>"), "{}");
}

TEST(Harness, PostWithoutBodySendsEmptyObject) {
  for (const char* op : {"indicator_aggregate_v1", "GetIndicatorsReport", "indicator_create_v1",
                         "indicator_update_v1"}) {
    SCOPED_TRACE(op);
    // validate=false: an empty create/update is refused by the shared check (as by IOC).
    Sent s = uber_one([&](const APIHarness& u) { return u.command(op); }, false);
    ASSERT_TRUE(s.body.has_value());
    EXPECT_EQ(*s.body, "{}");
    EXPECT_EQ(falcon::header_value(s.headers, "Content-Type").value_or(""), "application/json");
  }
}

TEST(Harness, BodyIsSentVerbatim) {
  CommandOptions c;
  c.parameters = json{{"retrodetects", true}, {"ignore_warnings", false}};
  c.body = json{
      {"comment", "via uber"},
      {"indicators", {{{"type", "domain"}, {"value", "x.example"}, {"applied_globally", true}}}}};
  Sent s = uber_one([&](const APIHarness& u) { return u.command("indicator_create_v1", c); });
  EXPECT_EQ(s.method, "POST");
  EXPECT_EQ(s.path, "/iocs/entities/indicators/v1");
  EXPECT_EQ(s.query, "ignore_warnings=false&retrodetects=true");
  expect_body(s, *c.body);

  CommandOptions patch;
  patch.body = json{{"bulk_update", {{"filter", "x"}, {"from_parent", true}}}};
  Sent p = uber_one([&](const APIHarness& u) { return u.command("indicator.update.v1", patch); });
  EXPECT_EQ(p.method, "PATCH");
  expect_body(p, *patch.body);
}

TEST(Harness, ParameterRules) {
  // Array parameter: comma string split, list repeated; scalars: booleans, numbers, null omitted.
  const auto c = params({{"ids", "a, b"},
                         {"comment", "x,y"},
                         {"from_parent", true},
                         {"filter", nullptr},
                         {"unknown", json::array({1, 2.5})}});
  Sent s = uber_one([&](const APIHarness& u) { return u.command("indicator_delete_v1", c); });
  EXPECT_EQ(s.method, "DELETE");
  EXPECT_EQ(s.query, "comment=x%2Cy&from_parent=true&ids=a&ids=b&unknown=1&unknown=2.5");
  expect_no_body(s);
  rejected(
      [](const Wire& w) {
        return w.uber().command("indicator_search_v1", params({{"filter", {{"a", 1}}}}));
      },
      "parameters.filter");
  rejected([](const Wire& w) { return w.uber().command("indicator_search_v1", params("x")); },
           "parameters");
}

TEST(Harness, OverrideSendsAsGiven) {
  const auto c = params({{"limit", 2}, {"filter", "type:'md5'"}});
  Sent s = uber_one(
      [&](const APIHarness& u) { return u.override("get", "/iocs/queries/indicators/v1", c); });
  EXPECT_EQ(s.method, "GET");
  EXPECT_EQ(s.path, "/iocs/queries/indicators/v1");
  EXPECT_EQ(s.query, "filter=type%3A%27md5%27&limit=2");
  expect_no_body(s);

  // No table row: a comma string is not split, and no required check applies.
  Sent raw = uber_one([&](const APIHarness& u) {
    return u.override("GET", "/iocs/entities/indicators/v1", params({{"ids", "a,b"}}));
  });
  EXPECT_EQ(raw.query, "ids=a%2Cb");

  CommandOptions body;
  body.body = json{{"field", "type"}};
  Sent post = uber_one([&](const APIHarness& u) {
    return u.override("Post", "/iocs/aggregates/indicators/v1", body);
  });
  EXPECT_EQ(post.method, "POST");
  expect_body(post, json{{"field", "type"}});

  Sent bare = uber_one([](const APIHarness& u) {
    return u.override("POST", "/iocs/entities/indicators-reports/v1");
  });
  expect_no_body(bare);  // override sends exactly what it is given
}

TEST(Harness, OverrideRefusesBadMethodOrRoute) {
  rejected([](const Wire& w) { return w.uber().override("TRACE", "/x"); }, "method");
  rejected([](const Wire& w) { return w.uber().override("GET", "iocs/queries/indicators/v1"); },
           "route");
  rejected([](const Wire& w) { return w.uber().override("GET", "https://evil.example/x"); },
           "route");
  rejected([](const Wire& w) { return w.uber().override("GET", ""); }, "route");
}

TEST(Harness, CallerDataIsNotModified) {
  CommandOptions c;
  c.parameters = json{{"ids", "a,b"}, {"n", nullptr}};
  c.body = json{{"k", json::array()}};
  const CommandOptions copy = c;
  Wire w;
  EXPECT_FALSE(w.uber().command("indicator_aggregate_v1", c).error);
  EXPECT_EQ(*c.parameters, *copy.parameters);
  EXPECT_EQ(*c.body, *copy.body);
}

TEST(Harness, SameClientAsIoc) {
  // APIHarness and IOC over one Client share the token: one token request for both.
  Wire w;
  EXPECT_FALSE(w.uber().command("action_query_v1").error);
  EXPECT_FALSE(w.ioc().action_query().error);
  EXPECT_EQ(w.all().size(), 3u);
  const auto sent = w.sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].path, sent[1].path);
  falcon_wire::expect_headers(sent[0]);
}

}  // namespace
