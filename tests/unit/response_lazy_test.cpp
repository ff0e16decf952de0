// The reply text is validated once and decoded lazily: body() builds the nlohmann envelope on
// first use, resources_as<Indicator>() and pagination() read the text directly. Every test here
// checks the fast path against the nlohmann path on the same bytes.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "falcon/models.hpp"
#include "falcon/response.hpp"
#include "response_internal.hpp"

namespace {

falcon::Response reply(std::string body, int status = 200) {
  falcon::HttpResponse h;
  h.status = status;
  h.body = std::move(body);
  return falcon::make_response(std::move(h));
}

nlohmann::json as_json(const std::vector<falcon::Indicator>& v) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& i : v) out.push_back(i);
  return out;
}

// Fast (straight from the text) and slow (body() first, then nlohmann's from_json).
void expect_same_indicators(const std::string& text) {
  const falcon::Response fast = reply(text);
  ASSERT_FALSE(fast.error) << fast.error->describe() << "\n" << text;
  const auto from_text = fast.resources_as<falcon::Indicator>();
  falcon::Response slow = reply(text);
  (void)slow.body();  // decoded: resources_as goes through the JSON now
  const auto from_json = slow.resources_as<falcon::Indicator>();
  EXPECT_EQ(as_json(from_text), as_json(from_json)) << text;
  falcon::Response set;
  set.set_body(nlohmann::json::parse(text));
  EXPECT_EQ(as_json(set.resources_as<falcon::Indicator>()), as_json(from_json)) << text;
}

}  // namespace

TEST(ResponseLazy, TypedIndicatorsMatchTheJsonPathOnEveryShape) {
  const std::vector<std::string> bodies = {
      // A full record.
      R"({"meta":{},"errors":[],"resources":[{"id":"a1","type":"domain","value":"x.example","action":"detect","severity":"high","mobile_action":"no_action","source":"feed","description":"d \"q\" \u00e9","platforms":["windows","mac"],"tags":["t1"],"host_groups":["g"],"created_on":"2026-01-01T00:00:00Z","created_by":"me","modified_on":"2026-01-02T00:00:00Z","modified_by":"you","expiration":"2027-01-01T00:00:00Z","expired":false,"deleted":true,"applied_globally":true,"from_parent":false,"parent_cid_name":"p","metadata":{"av_hits":3,"company_name":"c","file_description":"fd","file_version":"1","filename":"f.exe","original_filename":"o.exe","product_name":"pn","product_version":"2","signed":true}}]})",
      // Nulls, wrong types, a list with a non-string, unknown keys.
      R"({"resources":[{"id":null,"type":5,"value":["v"],"action":true,"severity":null,"platforms":["windows",3],"tags":"notalist","host_groups":null,"expired":"yes","deleted":1,"applied_globally":null,"extra":{"deep":[1,2]},"metadata":{"av_hits":2.9,"signed":"true","filename":7}}]})",
      // Repeated keys: the last one wins, also when the last one is of the wrong type or null.
      R"({"resources":[{"id":"first","id":"second","value":"v1","value":7,"tags":["a"],"tags":["b","c"],"metadata":{"av_hits":1},"metadata":{"company_name":"m2"}}]})",
      // Numbers of every kind for av_hits, a boolean too (not a number there). A double out of
      // int64's range is left out: nlohmann's cast of it is undefined behaviour.
      R"({"resources":[{"metadata":{"av_hits":18446744073709551615}},{"metadata":{"av_hits":-5}},{"metadata":{"av_hits":true}},{"metadata":{"av_hits":-7.9}}]})",
      // Items that are not objects still give one (empty) Indicator each.
      R"({"resources":[1,"s",null,[],{"id":"ok"}]})",
      // No resources, null resources, an empty list, a body that is not an object.
      R"({"meta":{}})",
      R"({"resources":null})",
      R"({"resources":[]})",
      R"([1,2,3])",
      R"("just a string")",
      // Repeated resources: the last one counts.
      R"({"resources":[{"id":"old"}],"resources":[{"id":"new"}]})",
      // resources that is not a list: nlohmann's own rules (an object's values, a scalar).
      R"({"resources":{"k2":{"id":"b"},"k1":{"id":"a"}}})",
      R"({"resources":"text"})",
      // Unicode and escapes.
      R"({"resources":[{"value":"\ud83d\ude00 \u0000 tab\t","tags":["\/slash"]}]})",
  };
  for (const auto& b : bodies) expect_same_indicators(b);
}

TEST(ResponseLazy, PaginationFromTheTextMatchesTheJsonPath) {
  const std::vector<std::string> bodies = {
      R"({"meta":{"pagination":{"offset":100,"limit":100,"total":250,"after":"abc"}}})",
      R"({"meta":{"pagination":{"offset":"4bbe6e4a:1","limit":"50","total":1.5e3}}})",
      R"({"meta":{"pagination":{"offset":null,"limit":true,"after":5}}})",
      R"({"meta":{"pagination":null}})",
      R"({"meta":{"pagination":{"total":1},"pagination":{"total":2}}})",
      R"({"meta":"x"})",
      R"({})",
  };
  for (const auto& b : bodies) {
    const falcon::Pagination fast = reply(b).pagination();
    falcon::Response slow_r = reply(b);
    (void)slow_r.body();
    const falcon::Pagination slow = slow_r.pagination();
    EXPECT_EQ(fast.offset, slow.offset) << b;
    EXPECT_EQ(fast.offset_text, slow.offset_text) << b;
    EXPECT_EQ(fast.limit, slow.limit) << b;
    EXPECT_EQ(fast.total, slow.total) << b;
    EXPECT_EQ(fast.after, slow.after) << b;
  }
  EXPECT_EQ(*reply(bodies[0]).pagination().total, 250);
  EXPECT_EQ(*reply(bodies[1]).pagination().offset_text, "4bbe6e4a:1");
}

TEST(ResponseLazy, TextIsKeptAsReceivedAndBodyIsDecodedOnDemand) {
  const std::string text = R"({"meta":{"trace_id":"t"},"errors":[],"resources":[{"id":"x"}]})";
  const falcon::Response r = reply(text);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.text(), text);
  EXPECT_EQ(r.body()["resources"][0]["id"], "x");
  EXPECT_EQ(&r.body(), &r.body()) << "decoded once and kept";
  EXPECT_EQ(r.trace_id(), "t");
  falcon::Response none;
  EXPECT_TRUE(none.body().is_null());
  EXPECT_EQ(none.text(), "");
}

TEST(ResponseLazy, ManyThreadsDecodingAtOnceSeeOneBody) {
  std::string text = R"({"resources":[)";
  for (int i = 0; i < 500; ++i)
    text += (i ? "," : "") + std::string(R"({"id":"i)") + std::to_string(i) + "\"}";
  text += "]}";
  const falcon::Response r = reply(text);
  std::vector<const nlohmann::json*> seen(8, nullptr);
  std::vector<std::size_t> typed(8, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      typed[t] = r.resources_as<falcon::Indicator>().size();
      seen[t] = &r.body();
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) {
    EXPECT_EQ(seen[t], seen[0]);
    EXPECT_EQ(typed[t], 500u);
  }
  EXPECT_EQ(r.resources().size(), 500u);
}

TEST(ResponseLazy, CopiesShareTheTextAndMutableBodyCopiesOnWrite) {
  const falcon::Response a = reply(R"({"resources":[{"id":"x"}]})");
  falcon::Response b = a;
  b.mutable_body()["resources"][0]["id"] = "changed";
  EXPECT_EQ(a.body()["resources"][0]["id"], "x") << "the original is untouched";
  EXPECT_EQ(a.resources_as<falcon::Indicator>()[0].id, "x");
  EXPECT_EQ(b.resources_as<falcon::Indicator>()[0].id, "changed")
      << "typed reads follow the changed JSON, not the text";
  EXPECT_EQ(b.text(), a.text()) << "text() stays the reply as received";
  b.set_body({{"resources", nlohmann::json::array()}});
  EXPECT_EQ(b.text(), "");
  EXPECT_TRUE(b.resources_as<falcon::Indicator>().empty());
}

TEST(ResponseLazy, InterleavedRepliesOnOneThreadEachDecodeTheirOwnText) {
  const falcon::Response a = reply(R"({"resources":[{"id":"a"}]})");
  const falcon::Response b = reply(R"({"resources":[{"id":"b"},{"id":"b2"}]})");
  // b was parsed last on this thread; a must not be read from b's document.
  EXPECT_EQ(a.resources_as<falcon::Indicator>()[0].id, "a");
  EXPECT_EQ(b.resources_as<falcon::Indicator>().size(), 2u);
  EXPECT_EQ(a.resources_as<falcon::Indicator>().size(), 1u);
  const falcon::Response a_copy = a;
  EXPECT_EQ(a_copy.resources_as<falcon::Indicator>()[0].id, "a");
}

TEST(ResponseLazy, JsonThatOnlyNlohmannTakesIsStillJson) {
  // An integer past 64 bits: simdjson refuses it, nlohmann reads it as a double.
  const falcon::Response r = reply(
      R"({"resources":[{"id":"big","metadata":{"av_hits":123456789012345678901234567890}}]})");
  EXPECT_TRUE(r.ok()) << (r.error ? r.error->describe() : "");
  EXPECT_EQ(r.resources_as<falcon::Indicator>().at(0).id, "big");
  EXPECT_TRUE(r.body()["resources"][0]["metadata"]["av_hits"].is_number_float());
}

TEST(ResponseLazy, TruncatedOrInvalidJsonIsADecodeErrorWithTheTextKept) {
  for (const std::string bad :
       {R"({"resources":[{"id":"x"})", "{\"a\":\"\xff\xfe\"}", "nul", "{}}"}) {
    const falcon::Response r = reply(bad);
    ASSERT_TRUE(r.error.has_value()) << bad;
    EXPECT_EQ(r.error->kind, falcon::ErrorKind::decode);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.text(), bad);
    EXPECT_TRUE(r.body().is_null());
    EXPECT_TRUE(r.resources_as<falcon::Indicator>().empty());
  }
}
