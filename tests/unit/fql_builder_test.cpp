// FQL builder: exact strings, quoting, precedence and refusals.
#include <gtest/gtest.h>

#include <chrono>

#include "falcon/fql.hpp"

namespace fql = falcon::fql;

TEST(FqlBuilder, ComparisonsGiveExactText) {
  EXPECT_EQ(fql::eq("type", "domain").str(), "type:'domain'");
  EXPECT_EQ(fql::ne("action", "allow").str(), "action:!'allow'");
  EXPECT_EQ(fql::eq("expired", false).str(), "expired:false");
  EXPECT_EQ(fql::ne("deleted", true).str(), "deleted:!true");
  EXPECT_EQ(fql::eq("severity_number", 4).str(), "severity_number:4");
  EXPECT_EQ(fql::gt("created_on", "2025-01-01").str(), "created_on:>'2025-01-01'");
  EXPECT_EQ(fql::gte("severity_number", std::int64_t{3}).str(), "severity_number:>=3");
  EXPECT_EQ(fql::lt("modified_on", "x").str(), "modified_on:<'x'");
  EXPECT_EQ(fql::lte("modified_on", "x").str(), "modified_on:<='x'");
  EXPECT_EQ(fql::like("value", "*.example.com").str(), "value:*'*.example.com'");
  EXPECT_EQ(fql::not_like("value", "*x*").str(), "value:!*'*x*'");
  EXPECT_EQ(fql::contains("description", "Emotet").str(), "description:~'Emotet'");
  EXPECT_EQ(fql::is_null("expiration").str(), "expiration:null");
  EXPECT_EQ(fql::not_null("expiration").str(), "expiration:!null");
  EXPECT_EQ(fql::any_of("type", {"md5", "sha256"}).str(), "type:['md5','sha256']");
  EXPECT_EQ(fql::none_of("type", {"domain"}).str(), "type:!['domain']");
  EXPECT_EQ(fql::sort("created_on", true), "created_on.desc");
  EXPECT_EQ(fql::sort("value"), "value.asc");
}

TEST(FqlBuilder, QuotesAndBackslashesAreEscaped) {
  EXPECT_EQ(fql::quote("it's"), R"('it\'s')");
  EXPECT_EQ(fql::quote(R"(a\b)"), R"('a\\b')");
  EXPECT_EQ(fql::eq("source", R"(o'brien\feed)").str(), R"(source:'o\'brien\\feed')");
  // '+' and ',' inside a quoted value are data, not operators.
  EXPECT_EQ(fql::eq("source", "a+b,c").str(), "source:'a+b,c'");
}

TEST(FqlBuilder, StarInAnExactValueBecomesASet) {
  // field:'a*' is a wildcard in FQL; the set form matches the literal text only.
  EXPECT_EQ(fql::eq("description", "a*b").str(), "description:['a*b']");
  EXPECT_EQ(fql::ne("description", "a*b").str(), "description:!['a*b']");
}

TEST(FqlBuilder, AndOrPrecedence) {
  auto a = fql::eq("type", "domain");
  auto b = fql::eq("type", "ipv4");
  auto c = fql::eq("source", "feed");
  EXPECT_EQ((a && c).str(), "type:'domain'+source:'feed'");
  EXPECT_EQ((a || b).str(), "type:'domain',type:'ipv4'");
  // '+' binds tighter than ',': an OR under an AND needs parentheses.
  EXPECT_EQ(((a || b) && c).str(), "(type:'domain',type:'ipv4')+source:'feed'");
  EXPECT_EQ((c && (a || b)).str(), "source:'feed'+(type:'domain',type:'ipv4')");
  EXPECT_EQ(((a && c) || b).str(), "type:'domain'+source:'feed',type:'ipv4'");
  EXPECT_EQ(((a || b) && (c || a)).str(),
            "(type:'domain',type:'ipv4')+(source:'feed',type:'domain')");
  EXPECT_EQ((a && b && c).str(), "type:'domain'+type:'ipv4'+source:'feed'");
}

TEST(FqlBuilder, EmptyIsTheIdentity) {
  fql::Expr none;
  auto a = fql::eq("type", "md5");
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none && a, a);
  EXPECT_EQ(a && none, a);
  EXPECT_EQ(none || a, a);
  EXPECT_EQ(fql::all_of({none, a, fql::eq("expired", true)}).str(), "type:'md5'+expired:true");
  EXPECT_EQ(fql::either({a, none, fql::eq("type", "sha256")}).str(), "type:'md5',type:'sha256'");
  EXPECT_EQ(fql::all_of({}).str(), "");
}

TEST(FqlBuilder, RawIsParenthesisedUnderAnd) {
  auto r = fql::Expr::raw("type:'md5',type:'sha256'");
  EXPECT_EQ((r && fql::eq("source", "x")).str(), "(type:'md5',type:'sha256')+source:'x'");
}

TEST(FqlBuilder, TimestampsAreRfc3339Utc) {
  using namespace std::chrono;
  const system_clock::time_point t{seconds{1735689600}};  // 2025-01-01T00:00:00Z
  EXPECT_EQ(fql::timestamp(t), "2025-01-01T00:00:00Z");
  EXPECT_EQ((fql::eq("source", "feed") && fql::gte("modified_on", t)).str(),
            "source:'feed'+modified_on:>='2025-01-01T00:00:00Z'");
}

TEST(FqlBuilder, BadFieldsAndEmptyValuesAreRefused) {
  EXPECT_THROW(fql::eq("", "x"), std::invalid_argument);
  EXPECT_THROW(fql::eq("type'+x", "x"), std::invalid_argument);
  EXPECT_THROW(fql::eq("a b", "x"), std::invalid_argument);
  EXPECT_THROW(fql::eq("source", ""), std::invalid_argument);
  EXPECT_THROW(fql::any_of("type", {}), std::invalid_argument);
  EXPECT_THROW(fql::any_of("type", {"md5", ""}), std::invalid_argument);
  EXPECT_THROW(fql::sort("x;y"), std::invalid_argument);
  try {
    fql::eq("bad field", "x");
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'bad field'"), std::string::npos);
  }
}
