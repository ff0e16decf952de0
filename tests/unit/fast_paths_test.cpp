// The hot paths of a large sync read the same things as the general ones they skip: the feed's
// objects without nlohmann's tree, a page's records decoded into one reused Indicator, values
// the API returns in normal form taken as they are. Each test runs both paths on one corpus.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "falcon/feeds.hpp"
#include "falcon/indicators.hpp"
#include "falcon/models.hpp"
#include "feeds/reader.hpp"
#include "indicator_fields.hpp"
#include "response_internal.hpp"

namespace feeds = falcon::feeds;
using nlohmann::json;

namespace {

json issue_json(const feeds::FeedIssue& i) {
  json names = json::array();
  for (const auto& n : i.names) names.push_back({n.type, n.value});
  return {{"line", i.line},     {"field", i.field},         {"value", i.value},
          {"reason", i.reason}, {"duplicate", i.duplicate}, {"names", names}};
}

// Entries, issues and the summary of one read, as JSON to compare.
json read_json(const std::string& text, feeds::Format f, bool fast, feeds::ReadOptions o = {}) {
  falcon::internal::feed::set_fast_objects(fast);
  o.format = f;
  const auto r = feeds::read_string(text, o);
  falcon::internal::feed::set_fast_objects(true);
  json out = {{"entries", json::array()},
              {"issues", json::array()},
              {"records", r.summary.records},
              {"errors", r.summary.errors},
              {"fatal", r.summary.fatal ? r.summary.fatal->reason : ""}};
  for (const auto& e : r.entries) {
    out["entries"].push_back({{"spec", json(e.spec)}, {"line", e.line}, {"retire", e.retire}});
  }
  for (const auto& i : r.issues) out["issues"].push_back(issue_json(i));
  return out;
}

const std::vector<std::string> kObjects = {
    R"({"type":"domain","value":"a.example"})",
    R"({"value":"B.Example."})",
    R"({"type":"DOMAIN","value":" c.example ","action":"Detect","severity":"HIGH"})",
    R"({"type":"sha256","value":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})",
    R"({"type":"ipv4","value":"192.0.2.1","platforms":["Windows","mac","windows"," linux "]})",
    R"({"type":"ipv6","value":"::ffff:192.0.2.7","tags":["x","","y"]})",
    R"({"type":"domain","value":"d.example","applied_globally":false,"host_groups":["0123456789abcdef0123456789ABCDEF"]})",
    R"({"type":"domain","value":"e.example","expiration":"2030-01-02","description":"  free text  "})",
    R"({"type":"domain","value":"f.example","created_on":{"deep":[1,2]},"id":"ignored-id"})",
    R"({"type":"domain","value":"g.example","action":null,"tags":null,"applied_globally":null})",
    R"({ "type" : "domain" ,
         "value" : "r.example" , "tags" : [ "a" , "b" ] , "platforms" : [ ] })",
    // Past what the hand reader takes (an escape, bytes past ASCII, DEL): simdjson's path.
    R"({"type":"domain","value":"s.example","description":"say \"hi\"\tthen\/go"})",
    "{\"type\":\"domain\",\"value\":\"t.example\",\"description\":\"caf\xc3\xa9\"}",
    "{\"type\":\"domain\",\"value\":\"u.exa\x7fmple\"}",
    "{\"type\":\"domain\",\"value\":\"v.example\",\"tags\":[\"a\tb\"]}",
    "{\"type\":\"domain\",\"value\":\"w.exa\xffmple\"}",
    // Each of these takes the tree: an unknown key, a key twice, a wrong kind, metadata, escapes.
    R"({"type":"domain","value":"h.example","colour":"red"})",
    R"({"type":"domain","value":"i.example","value":"j.example"})",
    R"({"type":"domain","value":"k.example","value":null})",
    R"({"type":"domain","value":42})",
    R"({"type":"domain","value":"l.example","tags":["x",{"y":1}]})",
    R"({"type":"domain","value":"m.example","applied_globally":"true"})",
    R"({"type":"md5","value":"DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD","metadata":{"filename":"x.exe"}})",
    R"({"type":"md5","value":"dddddddddddddddddddddddddddddddd","metadata":{"filename":"x.exe"},"filename":"y.exe"})",
    R"({"type":"domain","value":"n\u002eexample"})",
    R"({"type":"domain","value":"\ud800.example"})",
    R"({"type":"domain","value":"o.example","big":123456789012345678901234567890})",
    R"({"type":"domain","value":"bad domain"})",
    R"({"type":"domain","value":"p.example","action":"explode"})",
    R"({"type":"domain","value":"q.example","source":")" + std::string(300, 's') + R"("})",
    R"({"type":"domain","value":"a.example"})",  // a duplicate of the first
    R"([1,2])",
    R"("just a string")",
    R"({})",
};

}  // namespace

TEST(FastPaths, FeedObjectsReadTheSameWithoutTheTree) {
  std::string arr = "[";
  std::string nd;
  for (std::size_t i = 0; i < kObjects.size(); ++i) {
    arr += (i == 0 ? "\n" : ",\n") + kObjects[i];
    nd += kObjects[i] + "\n";
  }
  arr += "\n]";
  feeds::ReadOptions defaults;
  defaults.defaults.action = "Prevent";
  defaults.defaults.platforms = std::vector<std::string>{"windows", " Mac"};
  defaults.defaults.applied_globally = true;
  defaults.defaults.source = " feed ";
  feeds::ReadOptions bad_default;
  bad_default.defaults.severity = "enormous";  // every row reports it
  feeds::ReadOptions shallow;
  shallow.max_depth = 1;  // a list nests too deep: the tree path says so
  for (const auto* o : {&defaults, &bad_default, &shallow}) {
    for (auto f : {feeds::Format::json, feeds::Format::ndjson}) {
      const std::string& text = f == feeds::Format::json ? arr : nd;
      const std::size_t before = falcon::internal::feed::fast_objects_read();
      const json fast = read_json(text, f, true, *o);
      // The common objects took the fast path (none under a nesting cap of 1).
      EXPECT_GE(falcon::internal::feed::fast_objects_read() - before, o == &shallow ? 0u : 10u);
      if (o == &shallow) {
        EXPECT_EQ(falcon::internal::feed::fast_objects_read(), before);
      }
      const json tree = read_json(text, f, false, *o);
      EXPECT_EQ(fast, tree) << fast.dump(1) << "\n---\n" << tree.dump(1);
      EXPECT_GE(fast["entries"].size(), o == &defaults ? 12u : 0u);
    }
  }
}

// Objects the hand reader turns away (an escape in each) are still read without the tree.
TEST(FastPaths, EscapedObjectsTakeSimdjsonsPath) {
  std::string nd;
  for (int i = 0; i < 20; ++i) {
    nd += R"({"type":"domain","value":"e)" + std::to_string(i) +
          R"(.example","description":"a \"quoted\" word"})" + "\n";
  }
  const std::size_t before = falcon::internal::feed::fast_objects_read();
  const json fast = read_json(nd, feeds::Format::ndjson, true);
  EXPECT_EQ(falcon::internal::feed::fast_objects_read() - before, 20u);
  EXPECT_EQ(fast, read_json(nd, feeds::Format::ndjson, false));
  EXPECT_EQ(fast["entries"].size(), 20u);
  EXPECT_EQ(fast["entries"][0]["spec"]["description"], "a \"quoted\" word");
}

TEST(FastPaths, ReusedRecordsDecodeAsTheWholeRecord) {
  const std::string page = R"({"meta":{},"errors":[],"resources":[
    {"id":"a","type":"domain","value":"x.example","action":"detect","severity":"high","source":"s","platforms":["windows","mac"],"tags":["t"],"expiration":"2030-01-01T00:00:00Z","expired":false,"metadata":{"filename":"f.exe"},"description":"long enough to live outside the small buffer"},
    {"id":"b","type":"domain","value":"y.example"},
    {"id":"c","type":5,"value":["v"],"action":null,"platforms":["windows",3],"tags":"notalist","expired":"yes","metadata":7},
    {"id":"d","id":"e","value":"v1","value":"v2","tags":["a"],"tags":null,"source":"s1","source":7},
    {"id":"f","type":"md5","value":"dddddddddddddddddddddddddddddddd","metadata":{"filename":"g.exe"},"expiration":"2031-01-01T00:00:00Z","description":"another long description to reuse"},
    1, null, {}
  ]})";
  falcon::HttpResponse h;
  h.status = 200;
  h.body = page;
  const falcon::Response r = falcon::make_response(std::move(h));
  ASSERT_FALSE(r.error);
  const auto whole = r.resources_as<falcon::Indicator>();
  ASSERT_EQ(whole.size(), 8u);
  // Every field, and a few subsets, each run over all records with one reused Indicator.
  const std::uint64_t all = (std::uint64_t{1} << falcon::internal::kFieldCount) - 1;
  std::uint64_t some = 0;
  const auto& table = falcon::rules::fields();
  for (std::size_t i = 0; i < table.size(); ++i) {
    const auto k = table[i].key;
    if (k == "id" || k == "value" || k == "tags" || k == "expiration" || k == "metadata") {
      some |= std::uint64_t{1} << i;
    }
  }
  for (const std::uint64_t mask : {all, some, std::uint64_t{0}}) {
    std::size_t n = 0;
    falcon::internal::for_each_record(r, mask, [&](const falcon::internal::RecordView& rec) {
      ASSERT_LT(n, whole.size());
      EXPECT_EQ(json(rec.full()), json(whole[n])) << n;
      // The asked-for fields equal the whole record's; the others are at their defaults.
      const json slim = json(rec.slim());
      const json full = json(whole[n]);
      const json none = json(falcon::Indicator{});
      for (std::size_t i = 0; i < table.size(); ++i) {
        const std::string k(table[i].key);
        if (!table[i].record || k == "filename") continue;  // filename lives in metadata
        const json& want = (mask >> i & 1U) != 0 ? full : none;
        EXPECT_EQ(slim.value(k, json()), want.value(k, json())) << n << " " << k;
      }
      ++n;
    });
    EXPECT_EQ(n, whole.size());
  }
}

TEST(FastPaths, AlreadyNormalValuesAreWhatNormalizeReturns) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"domain", "a.example"},
      {"domain", "A.example"},
      {"domain", "a.example."},
      {"domain", "xn--bcher-kva.example"},
      {"domain", "a_b.example"},
      {"domain", "-a.example"},
      {"domain", "example"},
      {"domain", "1.2.3.4"},
      {"domain", "1.2.3.04"},
      {"domain", "0x7f.1"},
      {"domain", "a.123"},
      {"domain", "a..example"},
      {"domain", std::string(64, 'a') + ".example"},
      {"domain", "caf\xc3\xa9.example"},
      {"domain", std::string("a\0b.example", 11)},
      {"domain", ""},
      {"sha256", std::string(64, 'a')},
      {"sha256", std::string(64, 'A')},
      {"sha256", std::string(63, 'a')},
      {"md5", std::string(32, 'f')},
      {"md5", std::string(32, 'g')},
      {"ipv4", "192.0.2.1"},
      {"ipv4", "192.000.2.1"},
      {"ipv4", "192.0.2"},
      {"ipv4", "256.0.0.1"},
      {"ipv6", "2001:db8::1"},
      {"Domain", "a.example"},
      {"url", "a.example"},
  };
  std::size_t normal = 0;
  for (const auto& [type, value] : cases) {
    if (!falcon::internal::already_normal(type, value)) continue;
    ++normal;
    const auto n = falcon::rules::normalize(type, value);
    ASSERT_TRUE(n) << type << " " << value;
    EXPECT_EQ(n->type, type);
    EXPECT_EQ(n->value, value);
  }
  // The common forms are recognised (else the fast path would never be taken).
  EXPECT_TRUE(falcon::internal::already_normal("domain", "a.example"));
  EXPECT_TRUE(falcon::internal::already_normal("sha256", std::string(64, 'a')));
  EXPECT_TRUE(falcon::internal::already_normal("ipv4", "192.0.2.1"));
  EXPECT_EQ(normal, 6u);
}
