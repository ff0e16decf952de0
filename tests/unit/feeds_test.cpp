// Feed readers on their corner cases: CSV quoting/BOM/embedded newlines, JSON arrays and
// envelopes, NDJSON, text lines, STIX patterns supported and refused, duplicates, and a line
// number on every problem.
#include <gtest/gtest.h>

#include <sstream>

#include "falcon/feeds.hpp"

namespace feeds = falcon::feeds;
using feeds::Format;

namespace {

const std::string kSha(64, 'A');
const std::string kSha2 = std::string(63, 'b') + "C";
const std::string kMd5(32, 'D');

feeds::ReadAll read_as(Format f, const std::string& text, feeds::ReadOptions o = {}) {
  o.format = f;
  return feeds::read_string(text, o);
}

const feeds::FeedIssue* issue_on(const feeds::ReadAll& r, std::size_t line) {
  for (const auto& i : r.issues) {
    if (i.line == line) return &i;
  }
  return nullptr;
}

}  // namespace

// Type inference, value rules, normal forms and timestamps are the rulebook's:
// tests/unit/rulebook_test.cpp runs its table through these readers too.

TEST(FeedCsv, QuotesCommasNewlinesAndBom) {
  const std::string csv =
      "\xEF\xBB\xBFtype,value,action,severity,platforms,tags,description\r\n"
      "sha256," +
      kSha +
      ",prevent,HIGH,windows;mac,\"a;b\",\"said \"\"hi\"\", then left\"\r\n"
      "domain,Evil.Example.com,detect,low,linux,,\"two\nlines, with comma\"\r\n"
      "ipv4,192.0.2.1,detect,medium,windows,,plain\r\n";
  auto r = read_as(Format::csv, csv);
  ASSERT_EQ(r.entries.size(), 3u) << (r.issues.empty() ? "" : r.issues[0].reason);
  EXPECT_TRUE(r.summary.clean());
  const auto& a = r.entries[0];
  EXPECT_EQ(a.line, 2u);
  EXPECT_EQ(*a.spec.type, "sha256");
  EXPECT_EQ(*a.spec.value, std::string(64, 'a'));
  EXPECT_EQ(*a.spec.severity, "high");
  EXPECT_EQ(*a.spec.platforms, (std::vector<std::string>{"windows", "mac"}));
  EXPECT_EQ(*a.spec.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*a.spec.description, "said \"hi\", then left");
  EXPECT_EQ(*r.entries[1].spec.value, "evil.example.com");
  EXPECT_EQ(*r.entries[1].spec.description, "two\nlines, with comma");
  EXPECT_FALSE(r.entries[1].spec.tags);  // empty cell: unset
  // The record after a quoted newline starts on line 5.
  EXPECT_EQ(r.entries[2].line, 5u);
}

TEST(FeedCsv, RowErrorsCarryLineNumbers) {
  const std::string csv =
      "value,type,severity\n"
      "example.com,,high\n"          // 2: ok, type inferred
      "not a domain!,domain,high\n"  // 3: bad value
      "example.org,domain\n"         // 4: too few fields
      "1.2.3.4,ipv4,extreme\n"       // 5: bad severity
      "\"x.com\"junk,domain,low\n"   // 6: text after the closing quote
      "EXAMPLE.com,domain,low\n"     // 7: duplicate of line 2
      "\n"                           // 8: blank, skipped
      "2001:db8::1,,low\n";          // 9: ok, ipv6
  // The API's lists judge values the rulebook does not know ("extreme"); without a lookup
  // such a value would go on to the server.
  feeds::ReadOptions o;
  o.lookup = [](falcon::rules::Enum e, std::string_view v) -> std::optional<bool> {
    return falcon::rules::is_known(e, v);
  };
  auto r = read_as(Format::csv, csv, o);
  EXPECT_EQ(read_as(Format::csv, csv).entries.size(), 3u);
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(*r.entries[0].spec.type, "domain");
  EXPECT_EQ(*r.entries[1].spec.type, "ipv6");
  EXPECT_EQ(r.entries[1].line, 9u);
  EXPECT_EQ(r.summary.errors, 4u);
  EXPECT_EQ(r.summary.duplicates, 1u);
  ASSERT_TRUE(issue_on(r, 3));
  EXPECT_EQ(issue_on(r, 3)->field, "value");
  ASSERT_TRUE(issue_on(r, 4));
  EXPECT_NE(issue_on(r, 4)->reason.find("2 fields, but the header has 3"), std::string::npos);
  ASSERT_TRUE(issue_on(r, 5));
  EXPECT_EQ(issue_on(r, 5)->field, "severity");
  ASSERT_TRUE(issue_on(r, 6));
  EXPECT_NE(issue_on(r, 6)->reason.find("after the closing quote"), std::string::npos);
  ASSERT_TRUE(issue_on(r, 7));
  EXPECT_TRUE(issue_on(r, 7)->duplicate);
  EXPECT_NE(issue_on(r, 7)->reason.find("line 2"), std::string::npos);
  EXPECT_FALSE(r.summary.fatal);
}

TEST(FeedCsv, BadHeadersAndUnterminatedQuotesAreFatal) {
  auto unknown = read_as(Format::csv, "value,colour\nx.com,red\n");
  ASSERT_TRUE(unknown.summary.fatal);
  EXPECT_NE(unknown.summary.fatal->reason.find("unknown column 'colour'"), std::string::npos);
  auto novalue = read_as(Format::csv, "type,action\n");
  ASSERT_TRUE(novalue.summary.fatal);
  auto twice = read_as(Format::csv, "value,Value\n");
  ASSERT_TRUE(twice.summary.fatal);
  auto open = read_as(Format::csv, "value,description\na.com,ok\nb.com,\"never closed\n\n");
  ASSERT_TRUE(open.summary.fatal);
  EXPECT_EQ(open.summary.fatal->line, 3u);
  EXPECT_EQ(open.entries.size(), 1u);  // what came before is kept
  auto empty = read_as(Format::csv, "");
  ASSERT_TRUE(empty.summary.fatal);
  feeds::ReadOptions small;
  small.max_record_bytes = 64;
  auto big = read_as(Format::csv, "value\n\"" + std::string(1000, 'a') + "\"\n", small);
  ASSERT_TRUE(big.summary.fatal);
  EXPECT_NE(big.summary.fatal->reason.find("longer than 64"), std::string::npos);
}

TEST(FeedCsv, DefaultsFillUnsetFields) {
  feeds::ReadOptions o;
  o.defaults.action = "detect";
  o.defaults.severity = "low";
  o.defaults.platforms = std::vector<std::string>{"windows"};
  o.defaults.applied_globally = true;
  auto r = read_as(Format::csv, "value,severity\nx.com,high\n", o);
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(*r.entries[0].spec.action, "detect");
  EXPECT_EQ(*r.entries[0].spec.severity, "high");
  EXPECT_EQ(*r.entries[0].spec.applied_globally, true);
}

TEST(FeedText, InferenceCommentsAndErrors) {
  const std::string text = "# a feed\n" + kSha + "\n" + kMd5 +
                           "  # trailing comment\n"
                           "\n"
                           "192.0.2.7\n"
                           "2001:DB8::7\n"
                           "Bad..Domain\n"
                           "two values\n"
                           "example.net\r\n"
                           "192.0.2.7\n";
  auto r = read_as(Format::text, text);
  ASSERT_EQ(r.entries.size(), 5u);
  EXPECT_EQ(*r.entries[0].spec.type, "sha256");
  EXPECT_EQ(r.entries[0].line, 2u);
  EXPECT_EQ(*r.entries[1].spec.type, "md5");
  EXPECT_EQ(*r.entries[2].spec.type, "ipv4");
  EXPECT_EQ(*r.entries[3].spec.value, "2001:db8::7");
  EXPECT_EQ(*r.entries[4].spec.value, "example.net");
  ASSERT_TRUE(issue_on(r, 7));
  ASSERT_TRUE(issue_on(r, 8));
  EXPECT_NE(issue_on(r, 8)->reason.find("more than one value"), std::string::npos);
  ASSERT_TRUE(issue_on(r, 10));
  EXPECT_TRUE(issue_on(r, 10)->duplicate);
}

TEST(FeedJson, ArrayEnvelopeAndNdjson) {
  const std::string arr = R"([
    {"type":"domain","value":"A.example","action":"detect","platforms":["windows"],
     "id":"ignored","created_on":"2025-01-01T00:00:00Z","metadata":{}},
    {"type":"md5","value":")" +
                          kMd5 + R"(","metadata":{"filename":"x.exe"}},
    {"type":"domain","value":"b.example","colour":"red"},
    {"type":"domain","value":42},
    [1,2],
    {"type":"ipv4","value":"192.0.2.9","tags":["x",{"y":1}]}
  ])";
  auto r = read_as(Format::json, arr);
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(*r.entries[0].spec.value, "a.example");
  EXPECT_EQ(*r.entries[1].spec.filename, "x.exe");
  EXPECT_EQ(r.entries[1].line, 2u);
  ASSERT_TRUE(issue_on(r, 3));
  EXPECT_NE(issue_on(r, 3)->reason.find("unknown field 'colour'"), std::string::npos);
  ASSERT_TRUE(issue_on(r, 4));
  EXPECT_EQ(issue_on(r, 4)->field, "value");
  ASSERT_TRUE(issue_on(r, 5));
  ASSERT_TRUE(issue_on(r, 6));
  EXPECT_EQ(issue_on(r, 6)->field, "tags[1]");

  auto env =
      read_as(Format::json,
              R"({"meta":{"x":[1,{"a":"]"}]},"resources":[{"value":"c.example"}],"errors":[]})");
  ASSERT_EQ(env.entries.size(), 1u);
  EXPECT_FALSE(env.summary.fatal);

  const std::string nd =
      "{\"value\":\"d.example\"}\n\n{\"value\":\"e.example\"\n{\"value\":\"" + kSha2 + "\"}\n";
  auto n = read_as(Format::ndjson, nd);
  ASSERT_EQ(n.entries.size(), 2u);
  EXPECT_EQ(n.entries[1].line, 4u);
  EXPECT_EQ(*n.entries[1].spec.type, "sha256");
  ASSERT_TRUE(issue_on(n, 3));
  EXPECT_EQ(issue_on(n, 3)->reason, "not valid JSON");
}

TEST(FeedJson, HostileShapesAreRefusedNotCrashed) {
  auto deep = read_as(Format::json, "[" + std::string(5000, '[') + std::string(5000, ']') + "]");
  EXPECT_EQ(deep.entries.size(), 0u);
  EXPECT_EQ(deep.summary.errors, 1u);
  EXPECT_NE(deep.issues.at(0).reason.find("nested deeper"), std::string::npos);
  EXPECT_TRUE(read_as(Format::json, "[{\"value\":\"a.b\"}").summary.fatal);
  EXPECT_TRUE(read_as(Format::json, "\"x\"").summary.fatal);
  EXPECT_TRUE(read_as(Format::json, "{\"a\":1}").summary.fatal);
  EXPECT_TRUE(read_as(Format::json, "[{\"value\":\"a.b\"}] trailing").summary.fatal);
  EXPECT_EQ(read_as(Format::json, "[]").entries.size(), 0u);
}

TEST(FeedStix, SupportedPatterns) {
  std::string why;
  auto p =
      feeds::parse_stix_pattern("[file:hashes.'SHA-256' = '" + kSha + "' OR file:hashes.MD5 = '" +
                                    kMd5 + "'] OR [domain-name:value = 'it\\'s.example']",
                                &why);
  ASSERT_TRUE(p) << why;
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ((*p)[0].first, "sha256");
  EXPECT_EQ((*p)[1].first, "md5");
  EXPECT_EQ((*p)[2].second, "it's.example");
  EXPECT_TRUE(feeds::parse_stix_pattern("[ipv4-addr:value = '192.0.2.1']"));
  EXPECT_TRUE(feeds::parse_stix_pattern("[ipv6-addr:value='::1']"));
}

TEST(FeedStix, RefusedPatternsSayWhy) {
  std::string why;
  EXPECT_FALSE(feeds::parse_stix_pattern("[url:value = 'http://x']", &why));
  EXPECT_NE(why.find("unsupported object path 'url:value'"), std::string::npos);
  EXPECT_FALSE(feeds::parse_stix_pattern(
      "[domain-name:value = 'a.b' AND ipv4-addr:value = '1.2.3.4']", &why));
  EXPECT_NE(why.find("AND"), std::string::npos);
  EXPECT_FALSE(feeds::parse_stix_pattern("[domain-name:value LIKE '%.b']", &why));
  EXPECT_FALSE(feeds::parse_stix_pattern("[domain-name:value != 'a.b']", &why));
  EXPECT_FALSE(feeds::parse_stix_pattern("[domain-name:value = 'a.b'] WITHIN 5 SECONDS", &why));
  EXPECT_FALSE(feeds::parse_stix_pattern("[domain-name:value = 'a.b'", &why));
  EXPECT_FALSE(feeds::parse_stix_pattern("[domain-name:value = 'a.b]", &why));
  EXPECT_FALSE(feeds::parse_stix_pattern("", &why));
}

TEST(FeedStix, BundleObjects) {
  const std::string bundle = R"({"type":"bundle","id":"bundle--1","objects":[
    {"type":"identity","id":"identity--1","name":"ACME"},
    {"type":"indicator","pattern_type":"stix","name":"Emotet C2","description":"seen 2025",
     "pattern":"[domain-name:value = 'C2.Example'] OR [ipv4-addr:value = '192.0.2.5']",
     "valid_until":"2027-01-01T00:00:00.000Z","labels":["malicious-activity","emotet"]},
    {"type":"indicator","pattern_type":"sigma","pattern":"title: x"},
    {"type":"indicator","pattern":"[url:value = 'http://x']"},
    {"type":"indicator","pattern":"[file:hashes.'SHA-256' = ')" +
                             kSha + R"(']","revoked":true}
  ]})";
  auto r = read_as(Format::automatic, bundle);
  // The revoked indicator is an entry the feed retires (sync applies the on-missing action).
  ASSERT_EQ(r.entries.size(), 3u);
  EXPECT_FALSE(r.entries[0].retire);
  EXPECT_TRUE(r.entries[2].retire);
  EXPECT_EQ(r.entries[2].line, 5u);
  EXPECT_EQ(r.summary.skipped, 1u);
  const auto& e = r.entries[0].spec;
  EXPECT_EQ(*e.value, "c2.example");
  EXPECT_EQ(*e.description, "Emotet C2: seen 2025");
  EXPECT_EQ(*e.expiration, "2027-01-01T00:00:00Z");
  EXPECT_EQ(*e.tags, (std::vector<std::string>{"malicious-activity", "emotet"}));
  EXPECT_EQ(r.entries[1].line, 2u);
  EXPECT_EQ(*r.entries[1].spec.type, "ipv4");
  EXPECT_EQ(r.summary.errors, 2u);
  ASSERT_TRUE(issue_on(r, 3));
  EXPECT_EQ(issue_on(r, 3)->field, "pattern_type");
  ASSERT_TRUE(issue_on(r, 4));
  EXPECT_EQ(issue_on(r, 4)->field, "pattern");
}

TEST(FeedStix, FalconCustomPropertiesSetActionAndSeverity) {
  const std::string bundle = R"({"type":"bundle","objects":[
    {"type":"indicator","pattern":"[domain-name:value = 'a.example']",
     "x_falcon_action":"prevent_no_ui","x_falcon_severity":"critical"},
    {"type":"indicator","pattern":"[domain-name:value = 'b.example']","x_falcon_severity":"huge"},
    {"type":"indicator","pattern":"[domain-name:value = 'c.example']","x_falcon_action":3}
  ]})";
  feeds::ReadOptions o;
  o.defaults.action = "detect";
  o.defaults.severity = "low";
  o.lookup = [](falcon::rules::Enum e, std::string_view v) -> std::optional<bool> {
    return falcon::rules::is_known(e, v);
  };
  std::istringstream in(bundle);
  auto r = feeds::read_all(in, o);
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(*r.entries[0].spec.action, "prevent_no_ui");
  EXPECT_EQ(*r.entries[0].spec.severity, "critical");
  // The rulebook judges them like any other field; the indicator they belong to is named.
  ASSERT_EQ(r.issues.size(), 2u);
  EXPECT_EQ(r.issues[0].field, "severity");
  EXPECT_EQ(r.issues[1].field, "x_falcon_action");
  EXPECT_EQ(r.issues[1].names.at(0).value, "c.example");
}

TEST(FeedStix, BadFieldsAfterThePatternNameTheIndicator) {
  const std::string bundle = R"({"objects":[
    {"type":"indicator","pattern":"[domain-name:value = 'a.example']","revoked":"yes"},
    {"type":"indicator","pattern":"[domain-name:value = 'b.example']",
     "valid_from":"2999-01-01T00:00:00Z"},
    {"type":"indicator","pattern":"[domain-name:value = 'c.example']","valid_until":5}
  ],"type":"bundle"})";
  auto r = read_as(Format::json, bundle);
  EXPECT_TRUE(r.entries.empty());
  ASSERT_EQ(r.issues.size(), 3u);
  EXPECT_EQ(r.issues[0].field, "revoked");
  EXPECT_EQ(r.issues[1].reason, "the indicator is not valid yet");
  EXPECT_EQ(r.issues[2].field, "valid_until");
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_EQ(r.issues[i].names.size(), 1u);
    EXPECT_EQ(r.issues[i].names[0].value, std::string(1, static_cast<char>('a' + i)) + ".example");
  }
  // "type" that is not bundle, and an objects array without one, are fatal.
  EXPECT_TRUE(read_as(Format::json, R"({"objects":[],"type":"report"})").summary.fatal);
  EXPECT_TRUE(read_as(Format::json, R"({"objects":[]})").summary.fatal);
}

TEST(FeedRead, DetectsFormats) {
  EXPECT_EQ(feeds::detect_format("type,value\n"), Format::csv);
  EXPECT_EQ(feeds::detect_format("\xEF\xBB\xBFvalue\nx.com\n"), Format::csv);
  EXPECT_EQ(feeds::detect_format("[{}]"), Format::json);
  EXPECT_EQ(feeds::detect_format("{\"value\":\"a\"}\n{\"value\":\"b\"}\n"), Format::ndjson);
  EXPECT_EQ(feeds::detect_format("{ \"type\" : \"bundle\", \"objects\": []}"), Format::stix);
  EXPECT_EQ(feeds::detect_format("{\"resources\":[]}"), Format::json);
  EXPECT_EQ(feeds::detect_format("example.com\n1.2.3.4\n"), Format::text);
  EXPECT_EQ(feeds::parse_format("jsonl"), Format::ndjson);
  EXPECT_FALSE(feeds::parse_format("xml"));
}

TEST(FeedRead, StreamsInBatchesAndStopsOnRequest) {
  std::string text;
  for (int i = 0; i < 2500; ++i) text += "h" + std::to_string(i) + ".example\n";
  std::istringstream in(text);
  feeds::ReadOptions o;
  o.format = Format::automatic;  // detected as text, through the replayed head
  o.batch_size = 1000;
  std::vector<std::size_t> sizes;
  auto s = feeds::read(in, o, [&](std::vector<feeds::FeedEntry>& b) {
    sizes.push_back(b.size());
    return true;
  });
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1000, 1000, 500}));
  EXPECT_EQ(s.entries, 2500u);
  EXPECT_TRUE(s.clean());

  std::istringstream again(text);
  std::size_t calls = 0;
  auto stopped = feeds::read(again, o, [&](std::vector<feeds::FeedEntry>&) {
    ++calls;
    return false;
  });
  EXPECT_EQ(calls, 1u);
  EXPECT_TRUE(stopped.stopped);
  EXPECT_EQ(stopped.entries, 1000u);
}

TEST(FeedRead, MissingFileIsFatal) {
  auto s = feeds::read_file("/nonexistent/feed.csv", {}, [](auto&) { return true; });
  ASSERT_TRUE(s.fatal);
  EXPECT_EQ(s.fatal->reason, "cannot open the file");
}

TEST(FeedCsv, ExportedIdColumnIsIgnored) {
  auto r = read_as(Format::csv, "id,type,value\nabc,domain,x.example\n");
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_FALSE(r.entries[0].spec.id);
}

// falcon-ioc export writes a formula-like cell with a leading ' (docs/cli.md); the reader drops
// exactly one quote from a cell of quotes then = + - @ TAB or CR, and nothing else.
TEST(FeedCsv, NeutralisedFormulaCellsReadBack) {
  auto r = read_as(Format::csv,
                   "value,source,tags,description\n"
                   "a.example,'=HYPERLINK(\"x\"),'-1;=b,'-1\n"
                   "b.example,''=x,'+1,'@at\n"
                   "c.example,'plain,'',\"'\tTAB\"\n"
                   "d.example,-raw,=raw,@raw\n");
  ASSERT_EQ(r.entries.size(), 4u) << (r.issues.empty() ? "" : r.issues[0].reason);
  const auto& a = r.entries[0].spec;
  EXPECT_EQ(*a.source, "=HYPERLINK(\"x\")");
  EXPECT_EQ(*a.tags, (std::vector<std::string>{"-1", "=b"}));
  EXPECT_EQ(*a.description, "-1");
  const auto& b = r.entries[1].spec;
  EXPECT_EQ(*b.source, "'=x");  // one quote dropped, one kept
  EXPECT_EQ(*b.tags, (std::vector<std::string>{"+1"}));
  EXPECT_EQ(*b.description, "@at");
  const auto& c = r.entries[2].spec;
  EXPECT_EQ(*c.source, "'plain");  // no formula character after the quote: as written
  EXPECT_EQ(*c.tags, (std::vector<std::string>{"''"}));
  EXPECT_EQ(*c.description, "\tTAB");
  // Cells nobody neutralised (a hand-written feed) are read as they are.
  const auto& d = r.entries[3].spec;
  EXPECT_EQ(*d.source, "-raw");
  EXPECT_EQ(*d.tags, (std::vector<std::string>{"=raw"}));
  EXPECT_EQ(*d.description, "@raw");
}
