// FQL filter, sort and time parsing against a fixed set of indicator records.
#include "fql.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace falcon::emulator {
namespace {

using nlohmann::json;

// Twelve records: every type, several actions/severities/platforms/tags, absent and null
// fields, nanosecond timestamps and an offset timestamp.
const json& fixtures() {
  static const json records = json::parse(R"([
    {"id":"r01","type":"sha256","value":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "action":"prevent","severity":"high","platforms":["windows","mac"],"tags":["malware","apt"],
     "host_groups":[],"source":"feed-a","description":"Known dropper",
     "created_on":"2025-01-10T08:00:00Z","created_by":"alice",
     "modified_on":"2025-02-03T10:04:18.39565409Z","modified_by":"alice",
     "expiration":"2025-06-01T00:00:00Z","expired":false,"deleted":false,
     "applied_globally":true,"from_parent":false,
     "metadata":{"filename":"evil.exe","av_hits":12,"signed":false,"company_name":"Evil Corp"}},
    {"id":"r02","type":"sha256","value":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
     "action":"detect","severity":"critical","platforms":["windows"],"tags":["ransomware"],
     "host_groups":["hg1"],"source":"feed-b","created_on":"2024-12-01T00:00:00Z","created_by":"bob",
     "modified_on":"2025-02-03T10:04:18.3956541Z","expiration":null,"expired":false,
     "deleted":false,"applied_globally":false,
     "metadata":{"filename":"Setup.EXE","av_hits":3,"signed":true,"company_name":"Good Inc"}},
    {"id":"r03","type":"md5","value":"cccccccccccccccccccccccccccccccc","action":"allow",
     "severity":"informational","platforms":["linux"],"tags":[],"source":"manual",
     "created_on":"2023-05-05T12:00:00Z","created_by":"alice","modified_on":"2023-05-06T00:00:00Z",
     "expiration":"2024-01-01T00:00:00Z","expired":true,"deleted":false,"applied_globally":true,
     "metadata":{"filename":"libfoo.so","av_hits":-1}},
    {"id":"r04","type":"md5","value":"dddddddddddddddddddddddddddddddd","action":"no_action",
     "platforms":["mac"],"tags":["Malware"],"source":"manual","created_on":"2024-06-15T00:00:00Z",
     "created_by":"carol","modified_on":"2024-06-15T00:00:00Z","deleted":true,
     "applied_globally":true,"metadata":{"filename":"report.pdf","av_hits":0}},
    {"id":"r05","type":"domain","value":"evil.example.com","action":"detect","severity":"medium",
     "platforms":["windows","linux","mac"],"tags":["phishing","apt"],"source":"feed-b",
     "description":"Phishing domain, 'quoted'","created_on":"2025-01-01T00:00:00Z",
     "created_by":"bob","modified_on":"2025-01-02T00:00:00Z","expired":false,"deleted":false,
     "applied_globally":true,"metadata":{}},
    {"id":"r06","type":"domain","value":"good.example.org","action":"no_action","severity":"low",
     "platforms":[],"source":"feed-a","created_on":"2022-01-01T00:00:00+02:00",
     "created_by":"carol","expired":false,"deleted":false,"applied_globally":true,"metadata":{}},
    {"id":"r07","type":"ipv4","value":"10.0.0.1","action":"detect","severity":"high",
     "platforms":["windows"],"tags":["scanner"],"host_groups":["hg1","hg2"],"source":"feed-a",
     "created_on":"2025-02-01T00:00:00Z","created_by":"alice",
     "expiration":"2026-01-01T00:00:00Z","expired":false,"deleted":false,
     "applied_globally":false,"metadata":{}},
    {"id":"r08","type":"ipv4","value":"192.168.1.1","action":"detect","severity":"low",
     "platforms":["linux"],"tags":["scanner","internal"],"source":"feed-b",
     "created_on":"2024-02-29T23:59:59Z","created_by":"bob","expired":true,"deleted":true,
     "applied_globally":true,"metadata":{}},
    {"id":"r09","type":"ipv6","value":"2001:db8::1","action":"detect","severity":"critical",
     "platforms":["ios","android"],"mobile_action":"detect","tags":["mobile"],"source":"feed-c",
     "created_on":"2025-03-01T00:00:00.5Z","created_by":"alice","expired":false,"deleted":false,
     "applied_globally":true,"metadata":{}},
    {"id":"r10","type":"ipv6","value":"fe80::1","action":"no_action","severity":"informational",
     "platforms":["android"],"mobile_action":"allow","tags":[],"source":"feed-c",
     "created_on":"2025-03-01T00:00:00Z","created_by":"carol","expired":false,"deleted":false,
     "applied_globally":true},
    {"id":"r11","type":"sha256","value":"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
     "action":"prevent_no_ui","severity":"medium","platforms":["windows"],"tags":["apt"],
     "source":"feed-a","created_on":"2025-01-20T00:00:00Z","created_by":"bob","expired":false,
     "deleted":false,"applied_globally":true,
     "metadata":{"filename":"EVIL.EXE","av_hits":40,"signed":true,"company_name":"Evil Corp",
                 "product_name":"EvilSuite","product_version":"2.0"}},
    {"id":"r12","type":"md5","value":"ffffffffffffffffffffffffffffffff","action":"detect",
     "severity":"high","platforms":["windows","linux"],"tags":["apt","dropper"],
     "source":"feed-b","created_on":"2025-01-15T00:00:00Z","created_by":"alice","expired":false,
     "deleted":false,"applied_globally":true,"from_parent":true,"parent_cid_name":"Parent Co",
     "metadata":{"filename":"evil.exe.bak","original_filename":"evil.exe","av_hits":7,
                 "product_name":"Evil","product_version":"10.0"}}
  ])");
  return records;
}

std::set<std::string> select(const std::string& filter) {
  const FqlFilter f = FqlFilter::parse(filter);
  std::set<std::string> ids;
  for (const json& r : fixtures()) {
    if (f.matches(r)) ids.insert(r.at("id").get<std::string>());
  }
  return ids;
}

std::set<std::string> all_but(std::initializer_list<const char*> excluded) {
  std::set<std::string> ids;
  for (const json& r : fixtures()) ids.insert(r.at("id").get<std::string>());
  for (const char* e : excluded) ids.erase(e);
  return ids;
}

struct MatchCase {
  std::string filter;
  std::set<std::string> ids;
};

TEST(FqlFilter, SelectsExactlyTheExpectedRecords) {
  const std::vector<MatchCase> cases = {
      // empty and blank filters match everything
      {"", all_but({})},
      {"   ", all_but({})},
      // equality, quoting styles, case-insensitive enums
      {"type:'sha256'", {"r01", "r02", "r11"}},
      {"type:'SHA256'", {"r01", "r02", "r11"}},
      {"type:\"md5\"", {"r03", "r04", "r12"}},
      {"type:domain", {"r05", "r06"}},
      {"severity:'HIGH'", {"r01", "r07", "r12"}},
      {"mobile_action:'DETECT'", {"r09"}},
      {"type:!'ipv4'", all_but({"r07", "r08"})},
      {"description:'Phishing domain, \\'quoted\\''", {"r05"}},
      {"description:\"Phishing domain, 'quoted'\"", {"r05"}},
      {"parent_cid_name:'Parent Co'", {"r12"}},
      {"value:'10.0.0.1',value:\"2001:db8::1\"", {"r07", "r09"}},
      {"metadata.filename:'evil.exe'", {"r01"}},   // case-sensitive: not EVIL.EXE
      {"metadata.product_version:10.0", {"r12"}},  // unquoted number on a string field
      // sets
      {"type:['ipv4','ipv6']", {"r07", "r08", "r09", "r10"}},
      {"type:!['sha256','md5','domain']", {"r07", "r08", "r09", "r10"}},
      {"action:!['detect', 'no_action']", {"r01", "r03", "r11"}},
      {"id:['r01',\"r02\"]+severity:'critical'", {"r02"}},
      // AND binds tighter than OR; parentheses; whitespace
      {"action:'detect'+severity:'high'", {"r07", "r12"}},
      {"type:'md5',type:'domain'+action:'detect'", {"r03", "r04", "r05", "r12"}},
      {"(type:'md5',type:'domain')+action:'detect'", {"r05", "r12"}},
      {"type:'domain'+(action:'detect',action:'no_action')", {"r05", "r06"}},
      {"type:'sha256'+metadata.av_hits:>5,type:'ipv4'+deleted:true", {"r01", "r08", "r11"}},
      {" ( type : 'domain' ) + action : 'detect' ", {"r05"}},
      {"(((type:'ipv6')))", {"r09", "r10"}},
      // wildcards
      {"value:*'*.example.*'", {"r05", "r06"}},
      {"value:'evil*'", {"r05"}},
      {"value:!*'*example*'", all_but({"r05", "r06"})},
      {"metadata.filename.raw:'*.EXE'", {"r02", "r11"}},
      {"tags:*'scan*'", {"r07", "r08"}},
      {"created_on:*'2025-03*'", {"r09", "r10"}},
      {"type:'SHA*'", {"r01", "r02", "r11"}},  // case-insensitive fields glob that way too
      {"action:*'PREVENT*'", {"r01", "r11"}},
      // ~ and !~
      {"metadata.filename:~'EVIL'", {"r01", "r11", "r12"}},
      {"metadata.filename:!~'evil'",
       {"r02", "r03", "r04", "r05", "r06", "r07", "r08", "r09", "r10"}},
      {"severity:~'CRIT'", {"r02", "r09"}},
      {"tags:~'malware'", {"r01", "r04"}},
      // dotted and .raw fields
      {"metadata.filename.raw:'evil.exe'", {"r01"}},
      {"metadata.original_filename.raw:'evil.exe'", {"r12"}},
      {"metadata.company_name.raw:'Evil Corp'", {"r01", "r11"}},
      // severity_number
      {"severity_number:>=4", {"r01", "r02", "r07", "r09", "r12"}},
      {"severity_number:0", {"r04"}},
      {"severity_number:<3", {"r03", "r04", "r06", "r08", "r10"}},
      // null
      {"severity:null", {"r04"}},
      {"severity:!null", all_but({"r04"})},
      {"expiration:null", {"r02", "r04", "r05", "r06", "r08", "r09", "r10", "r11", "r12"}},
      {"expiration:!null+expired:false", {"r01", "r07"}},
      {"tags:null", {"r03", "r06", "r10"}},
      // booleans (absent counts as false)
      {"expired:true", {"r03", "r08"}},
      {"expired:false", all_but({"r03", "r08"})},
      {"expired:!true", all_but({"r03", "r08"})},
      {"deleted:true+expired:true", {"r08"}},
      {"deleted:false", all_but({"r04", "r08"})},
      {"applied_globally:false", {"r02", "r07"}},
      {"from_parent:true", {"r12"}},
      {"from_parent:'false'", all_but({"r12"})},
      {"metadata.signed:true", {"r02", "r11"}},
      {"metadata.signed:false", all_but({"r02", "r11"})},
      // arrays: any element for positive operators, no element for negative ones
      {"platforms:'windows'", {"r01", "r02", "r05", "r07", "r11", "r12"}},
      {"platforms:!'windows'", {"r03", "r04", "r06", "r08", "r09", "r10"}},
      {"platforms:['ios','mac']", {"r01", "r04", "r05", "r09"}},
      {"platforms:!['windows','linux']", {"r04", "r06", "r09", "r10"}},
      {"tags:'malware'", {"r01"}},
      {"tags:'apt'+tags:'phishing'", {"r05"}},
      {"host_groups:'hg1'", {"r02", "r07"}},
      // numbers
      {"metadata.av_hits:>10", {"r01", "r11"}},
      {"metadata.av_hits:<0", {"r03"}},
      {"metadata.av_hits:>=3+metadata.av_hits:<=12", {"r01", "r02", "r12"}},
      {"metadata.av_hits:'7'", {"r12"}},
      // dates by instant: date-only, offsets, nanoseconds
      {"created_on:>='2025-01-01'", {"r01", "r05", "r07", "r09", "r10", "r11", "r12"}},
      {"created_on:>'2025-03-01T00:00:00Z'", {"r09"}},
      {"created_on:'2025-03-01T00:00:00.500000000Z'", {"r09"}},
      {"created_on:<'2022-01-01T00:00:00Z'", {"r06"}},
      {"created_on:>\"2025-01-10T09:00:00+02:00\"", {"r01", "r07", "r09", "r10", "r11", "r12"}},
      {"modified_on:>'2025-02-03T10:04:18.39565409Z'", {"r02"}},
      {"modified_on:>='2025-02-03T10:04:18.39565409Z'", {"r01", "r02"}},
      {"modified_on:<'2025-02-03T10:04:18.395654095Z'", {"r01", "r03", "r04", "r05"}},
      {"expiration:<'2025-01-01T00:00:00Z'", {"r03"}},
      // other strings byte-wise
      {"created_by:'alice'+source:'feed-a'", {"r01", "r07"}},
      {"source:>'feed-b'", {"r03", "r04", "r09", "r10"}},
  };
  ASSERT_GE(cases.size(), 40U);
  for (const MatchCase& c : cases) {
    SCOPED_TRACE(c.filter);
    EXPECT_EQ(select(c.filter), c.ids);
  }
}

struct ErrorCase {
  std::string filter;
  std::string mentions;
};

TEST(FqlFilter, MalformedFiltersThrowNamingTheProblem) {
  const std::vector<ErrorCase> cases = {
      {"(type:'md5'", "parenthes"},
      {"type:'md5')", "parenthes"},
      {"((type:'md5')", "parenthes"},
      {"()", "empty parentheses"},
      {"type:'md5", "quote"},
      {"type:\"md5", "quote"},
      {"type'md5'", "missing ':' after field 'type'"},
      {"type", "missing ':'"},
      {"type:", "empty value for field 'type'"},
      {"type:''", "empty value"},
      {"type:+value:'x'", "empty value"},
      {"type:'a'+", "expected a field name"},
      {"+type:'a'", "expected a field name"},
      {"type:'a',,type:'b'", "expected a field name"},
      {"nosuch:'x'", "unknown field 'nosuch'"},
      {"metadata.nosuch:'x'", "unknown field 'metadata.nosuch'"},
      {"metadata:'x'", "unknown field 'metadata'"},
      {"expired.raw:true", "unknown field 'expired.raw'"},
      {"type:'a' value:'b'", "unexpected 'v'"},
      {"type:'a'x", "unexpected 'x'"},
      {"type:>['a','b']", "cannot be used with a set"},
      {"type:~['a']", "cannot be used with a set"},
      {"type:[]", "empty set"},
      {"type:['a','b'", "']'"},
      {"type:[['a']]", "set"},
      {"expired:'maybe'", "true or false"},
      {"metadata.av_hits:>'lots'", "number"},
      {"created_on:>'yesterday'", "RFC 3339"},
      {"created_on:'2025-13-01'", "RFC 3339"},
      {"type:>null", "null"},
      {"type:*null", "null"},
      {"type:'a'\x01", "0x01"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.filter);
    try {
      FqlFilter::parse(c.filter);
      ADD_FAILURE() << "no FqlError";
    } catch (const FqlError& e) {
      EXPECT_NE(std::string(e.what()).find(c.mentions), std::string::npos) << e.what();
    }
  }
}

std::string error_of(const std::string& filter) {
  try {
    FqlFilter::parse(filter);
  } catch (const FqlError& e) {
    return e.what();
  }
  return "";
}

TEST(FqlFilter, ErrorsGiveTheCharacterPosition) {
  EXPECT_NE(error_of("type:'md5')").find("character 11"), std::string::npos);
  EXPECT_NE(error_of("type:'md5'+nosuch:1").find("character 12"), std::string::npos);
  EXPECT_NE(error_of("type:'md5'+value:'x").find("character 18"), std::string::npos);
}

TEST(FqlFilter, LimitsPropertyComparisonsToTwenty) {
  std::string twenty = "type:'md5'";
  for (int i = 1; i < 20; ++i) twenty += ",type:'md5'";
  EXPECT_NO_THROW(FqlFilter::parse(twenty));
  EXPECT_NE(error_of(twenty + ",type:'md5'").find("more than 20"), std::string::npos);
  // a set is one comparison however many values it holds
  EXPECT_NO_THROW(
      FqlFilter::parse("id:['1','2','3','4','5','6','7','8','9','10','11','12','13',"
                       "'14','15','16','17','18','19','20','21','22']"));
}

TEST(FqlFilter, BoundsParenthesisNesting) {
  const auto nested = [](int depth) {
    return std::string(depth, '(') + "type:'md5'" + std::string(depth, ')');
  };
  EXPECT_EQ(select(nested(32)), (std::set<std::string>{"r03", "r04", "r12"}));
  EXPECT_NE(error_of(nested(64)).find("nested deeper"), std::string::npos);
  EXPECT_NE(error_of(std::string(100000, '(')).find("nested deeper"), std::string::npos);
}

TEST(FqlFilter, ListsFieldsInOrderOfAppearance) {
  const FqlFilter f =
      FqlFilter::parse("type:'a'+(metadata.filename.raw:'x',severity_number:>1)+type:'b'");
  EXPECT_EQ(f.fields(),
            (std::vector<std::string>{"type", "metadata.filename.raw", "severity_number"}));
  EXPECT_TRUE(FqlFilter::parse("").fields().empty());
}

TEST(FqlFilter, SurvivesRandomInput) {
  // Not a fuzzer, but every byte pattern must end in a result or an FqlError.
  const std::string alphabet = "()+,:!*~<>=[]'\"\\ .tyepvalu0123-_TZnulrfs";
  std::mt19937 rng(12345);
  std::uniform_int_distribution<std::size_t> len(0, 40), pick(0, alphabet.size() - 1);
  std::size_t parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    const std::size_t n = len(rng);
    for (std::size_t k = 0; k < n; ++k) s += alphabet[pick(rng)];
    if (i % 3 == 0) s = "type:" + s;
    try {
      const FqlFilter f = FqlFilter::parse(s);
      for (const json& r : fixtures()) (void)f.matches(r);
      ++parsed;
    } catch (const FqlError&) {
    }
  }
  EXPECT_GT(parsed, 0U);
}

TEST(FqlFilter, MatchesNonObjectRecordsWithoutThrowing) {
  const FqlFilter f = FqlFilter::parse("type:'md5'");
  EXPECT_FALSE(f.matches(json(nullptr)));
  EXPECT_FALSE(f.matches(json::array({1, 2})));
  EXPECT_FALSE(f.matches(json{{"type", {{"nested", 1}}}}));
  EXPECT_TRUE(FqlFilter::parse("expired:false").matches(json::object()));
}

// ---- fields and times -------------------------------------------------------------------

TEST(FieldValue, MapsRawSuffixesAndSeverityNumber) {
  const json& r01 = fixtures()[0];
  EXPECT_EQ(field_value(r01, "metadata.filename.raw"), "evil.exe");
  EXPECT_EQ(field_value(r01, "metadata.filename"), "evil.exe");
  EXPECT_EQ(field_value(r01, "metadata.av_hits"), 12);
  EXPECT_EQ(field_value(r01, "severity_number"), 4);
  EXPECT_EQ(field_value(fixtures()[1], "severity_number"), 5);
  EXPECT_EQ(field_value(fixtures()[2], "severity_number"), 1);
  EXPECT_EQ(field_value(fixtures()[3], "severity_number"), 0);
  EXPECT_EQ(field_value(json{{"severity", "Medium"}}, "severity_number"), 3);
  EXPECT_TRUE(field_value(r01, "metadata.product_name.raw").is_null());
  EXPECT_TRUE(field_value(fixtures()[1], "expiration").is_null());
  EXPECT_TRUE(field_value(r01, "nosuch.field").is_null());
}

TEST(FieldValue, KnowsTheFilterableFields) {
  for (const std::string& f : sort_fields()) EXPECT_TRUE(is_filter_field(f)) << f;
  EXPECT_TRUE(is_filter_field("tags"));
  EXPECT_TRUE(is_filter_field("metadata.signed"));
  EXPECT_TRUE(is_filter_field("value.raw"));
  EXPECT_FALSE(is_filter_field("metadata"));
  EXPECT_FALSE(is_filter_field("severity_number.raw"));
  EXPECT_FALSE(is_filter_field("nosuch"));
  EXPECT_FALSE(is_filter_field(""));
}

TEST(FqlTime, ParsesRfc3339AndDates) {
  const auto t = parse_fql_time("2025-02-03T10:04:18.39565409Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->seconds, 1738577058);
  EXPECT_EQ(t->nanos, 395654090);
  EXPECT_EQ(format_fql_time(*t), "2025-02-03T10:04:18.39565409Z");

  EXPECT_EQ(parse_fql_time("2025-01-01")->seconds, 1735689600);
  EXPECT_EQ(parse_fql_time("2025-01-01T02:00:00+02:00")->seconds, 1735689600);
  EXPECT_EQ(parse_fql_time("2024-12-31T19:30:00-04:30")->seconds, 1735689600);
  EXPECT_EQ(parse_fql_time("0001-01-01T00:00:00Z")->seconds, -62135596800);
  EXPECT_EQ(format_fql_time(*parse_fql_time("0001-01-01T00:00:00Z")), "0001-01-01T00:00:00Z");
  EXPECT_EQ(parse_fql_time("2025-01-01T00:00:00.1234567891234Z")->nanos, 123456789);
  EXPECT_EQ(format_fql_time(*parse_fql_time("2024-02-29T23:59:59.5Z")), "2024-02-29T23:59:59.5Z");

  for (const char* bad : {"", "2025", "2025-02-30", "2023-02-29", "2025-13-01", "2025-01-01T",
                          "2025-01-01T25:00:00Z", "2025-01-01T00:00:00.Z",
                          "2025-01-01T00:00:00Zjunk", "yesterday", "2025-01-01T00:00:00+2"}) {
    EXPECT_FALSE(parse_fql_time(bad)) << bad;
  }
}

// ---- sort -------------------------------------------------------------------------------

TEST(SortSpec, ParsesEveryDirectionSyntax) {
  struct Case {
    const char* text;
    const char* field;
    bool descending;
  };
  for (const Case& c :
       std::vector<Case>{{"created_on", "created_on", false},
                         {"created_on.asc", "created_on", false},
                         {"created_on.desc", "created_on", true},
                         {"value|asc", "value", false},
                         {"value|desc", "value", true},
                         {"metadata.filename.raw", "metadata.filename.raw", false},
                         {"metadata.filename.raw.desc", "metadata.filename.raw", true},
                         {"metadata.av_hits|desc", "metadata.av_hits", true},
                         {" severity_number.DESC ", "severity_number", true}}) {
    SCOPED_TRACE(c.text);
    const SortSpec s = SortSpec::parse(c.text);
    EXPECT_EQ(s.field, c.field);
    EXPECT_EQ(s.descending, c.descending);
  }
  EXPECT_EQ(sort_fields().size(), 18U);
  for (const std::string& f : sort_fields()) {
    EXPECT_EQ(SortSpec::parse(f + "|desc").field, f);
  }
}

TEST(SortSpec, RejectsUnsortableFields) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"severity", "'severity'"},
      {"foo.desc", "'foo'"},
      {"metadata.filename", "'metadata.filename'"},
      {"value|up", "'up'"},
      {"value.up", "'value.up'"},
      {"", "empty"},
      {"  ", "empty"},
  };
  for (const auto& [text, mentions] : cases) {
    SCOPED_TRACE(text);
    try {
      SortSpec::parse(text);
      ADD_FAILURE() << "no FqlError";
    } catch (const FqlError& e) {
      EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
    }
  }
}

std::vector<std::string> sorted_ids(const std::string& sort) {
  const SortSpec spec = SortSpec::parse(sort);
  std::vector<const json*> recs;
  for (const json& r : fixtures()) recs.push_back(&r);
  std::stable_sort(recs.begin(), recs.end(), [&spec](const json* a, const json* b) {
    return compare_records(*a, *b, spec) < 0;
  });
  std::vector<std::string> ids;
  for (const json* r : recs) ids.push_back(r->at("id").get<std::string>());
  return ids;
}

TEST(CompareRecords, SortsTimestampsByInstant) {
  EXPECT_EQ(sorted_ids("created_on"),
            (std::vector<std::string>{"r06", "r03", "r08", "r04", "r02", "r05", "r01", "r12", "r11",
                                      "r07", "r10", "r09"}));
  EXPECT_EQ(sorted_ids("created_on.desc"),
            (std::vector<std::string>{"r09", "r10", "r07", "r11", "r12", "r01", "r05", "r02", "r04",
                                      "r08", "r03", "r06"}));

  // Byte order would get both of these wrong.
  const json a = {{"created_on", "2022-01-01T01:00:00+02:00"}};
  const json b = {{"created_on", "2021-12-31T23:30:00Z"}};
  EXPECT_LT(compare_records(a, b, SortSpec::parse("created_on")), 0);
  const json c = {{"modified_on", "2025-01-01T00:00:18Z"}};
  const json d = {{"modified_on", "2025-01-01T00:00:18.1Z"}};
  EXPECT_LT(compare_records(c, d, SortSpec::parse("modified_on")), 0);
  EXPECT_GT(compare_records(c, d, SortSpec::parse("modified_on|desc")), 0);
  EXPECT_EQ(compare_records(c, c, SortSpec::parse("modified_on")), 0);
}

TEST(CompareRecords, PutsMissingValuesFirstAscending) {
  // r01 2025-06-01, r03 2024-01-01, r07 2026-01-01; the rest have none (r02 has null).
  const std::vector<std::string> asc = sorted_ids("expiration");
  EXPECT_EQ(std::vector<std::string>(asc.end() - 3, asc.end()),
            (std::vector<std::string>{"r03", "r01", "r07"}));
  const std::vector<std::string> desc = sorted_ids("expiration.desc");
  EXPECT_EQ(std::vector<std::string>(desc.begin(), desc.begin() + 3),
            (std::vector<std::string>{"r07", "r01", "r03"}));
  EXPECT_EQ(desc.back(), "r12");  // stable: the missing ones keep fixture order, at the end
}

TEST(CompareRecords, SortsNumbersBooleansAndStrings) {
  EXPECT_EQ(sorted_ids("metadata.av_hits"),
            (std::vector<std::string>{"r05", "r06", "r07", "r08", "r09", "r10", "r03", "r04", "r02",
                                      "r12", "r01", "r11"}));
  EXPECT_EQ(sorted_ids("severity_number|desc"),
            (std::vector<std::string>{"r02", "r09", "r01", "r07", "r12", "r05", "r11", "r06", "r08",
                                      "r03", "r10", "r04"}));
  EXPECT_EQ(sorted_ids("applied_globally"),
            (std::vector<std::string>{"r02", "r07", "r01", "r03", "r04", "r05", "r06", "r08", "r09",
                                      "r10", "r11", "r12"}));
  EXPECT_EQ(sorted_ids("value"),
            (std::vector<std::string>{"r07", "r08", "r09", "r01", "r02", "r03", "r04", "r11", "r05",
                                      "r10", "r12", "r06"}));
  EXPECT_EQ(sorted_ids("metadata.filename.raw"),
            (std::vector<std::string>{"r05", "r06", "r07", "r08", "r09", "r10", "r11", "r02", "r01",
                                      "r12", "r03", "r04"}));
}

}  // namespace
}  // namespace falcon::emulator
