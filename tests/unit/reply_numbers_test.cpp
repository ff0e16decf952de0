// Integers read from a reply: a float out of int64's range (1e101, 1e30), an unsigned past
// INT64_MAX or a code past int's range is treated as absent, never cast (a cast of such a
// double is undefined behaviour; the clang UBSan pass of scripts/test.sh checks these inputs).
// Each reply is read on both paths: straight from the text, and through body().
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "falcon/models.hpp"
#include "falcon/response.hpp"
#include "json_number.hpp"
#include "response_internal.hpp"

namespace {

falcon::Response reply(std::string body, int status = 200) {
  falcon::HttpResponse h;
  h.status = status;
  h.body = std::move(body);
  return falcon::make_response(std::move(h));
}

// The same bytes read lazily (fast) and after body() (slow).
struct Both {
  falcon::Response fast;
  falcon::Response slow;
};
Both both(const std::string& body, int status = 200) {
  Both b{reply(body, status), reply(body, status)};
  (void)b.slow.body();
  return b;
}

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

}  // namespace

TEST(ReplyNumbers, ErrorCodeOutOfRangeIsZeroAndTheMessageIsKept) {
  const auto r =
      reply(R"({"errors":[{"code":1e101,"message":"huge"},{"code":-1e300,"message":"tiny"},)"
            R"({"code":4294967296,"message":"past int"},{"code":404.0,"message":"float"},)"
            R"({"code":"429","message":"text"},{"code":true,"message":"bool"}]})",
            400);
  const auto errs = r.api_errors();
  ASSERT_EQ(errs.size(), 6u);
  EXPECT_EQ(errs[0].code, 0);
  EXPECT_EQ(errs[0].message, "huge");
  EXPECT_EQ(errs[1].code, 0);
  EXPECT_EQ(errs[2].code, 0) << "2^32 does not fit an int";
  EXPECT_EQ(errs[3].code, 404);
  EXPECT_EQ(errs[4].code, 429);
  EXPECT_EQ(errs[5].code, 0);
  try {
    r.raise_for_status();
    ADD_FAILURE() << "a 400 must throw";
  } catch (const falcon::Exception& e) {
    EXPECT_NE(std::string(e.what()).find("huge"), std::string::npos) << e.what();
  }
}

TEST(ReplyNumbers, PaginationOutOfRangeIsAbsentOnBothPaths) {
  const auto b =
      both(R"({"meta":{"pagination":{"offset":-1e300,"limit":18446744073709551615,"total":1e30,)"
           R"("after":"c"}},"resources":[]})");
  for (const auto* r : {&b.fast, &b.slow}) {
    const auto p = r->pagination();
    EXPECT_FALSE(p.offset.has_value());
    EXPECT_FALSE(p.limit.has_value()) << "an unsigned past INT64_MAX is not wrapped negative";
    EXPECT_FALSE(p.total.has_value());
    EXPECT_EQ(p.after, "c") << "the rest of the page is still read";
  }
}

TEST(ReplyNumbers, PaginationAtTheEdgesOfInt64) {
  // 9223372036854775807 is an integer; 9.2e18 a float inside the range; 9223372036854775808.0
  // (2^63) the first double outside it; -9223372036854775808.0 (-2^63) the last inside.
  const auto b = both(R"({"meta":{"pagination":{"offset":-9223372036854775808.0,"limit":9.2e18,)"
                      R"("total":9223372036854775807}}})");
  for (const auto* r : {&b.fast, &b.slow}) {
    const auto p = r->pagination();
    EXPECT_EQ(p.offset, kMin);
    EXPECT_EQ(p.limit, std::int64_t{9200000000000000000});
    EXPECT_EQ(p.total, kMax);
  }
  const auto over = both(R"({"meta":{"pagination":{"total":9223372036854775808.0}}})");
  EXPECT_FALSE(over.fast.pagination().total.has_value());
  EXPECT_FALSE(over.slow.pagination().total.has_value());
  const auto frac = both(R"({"meta":{"pagination":{"total":1.5e3,"limit":-7.9}}})");
  for (const auto* r : {&frac.fast, &frac.slow}) {
    EXPECT_EQ(r->pagination().total, 1500);
    EXPECT_EQ(r->pagination().limit, -7) << "a float in range is truncated, as before";
  }
}

TEST(ReplyNumbers, TypedModelsLeaveOutOfRangeIntegersUnset) {
  const auto b =
      both(R"({"resources":[{"id":"a","metadata":{"av_hits":1e30,"filename":"f"}},)"
           R"({"id":"b","metadata":{"av_hits":-9.3e18}},{"id":"c","metadata":{"av_hits":42.0}}]})");
  for (const auto* r : {&b.fast, &b.slow}) {
    const auto v = r->resources_as<falcon::Indicator>();
    ASSERT_EQ(v.size(), 3u);
    ASSERT_TRUE(v[0].metadata.has_value());
    EXPECT_FALSE(v[0].metadata->av_hits.has_value());
    EXPECT_EQ(v[0].metadata->filename, "f");
    EXPECT_FALSE(v[1].metadata->av_hits.has_value());
    EXPECT_EQ(v[2].metadata->av_hits, 42);
  }
  const auto rows = reply(R"({"resources":[{"row":1e30,"message_type":"error","message":"m"},)"
                          R"({"row":3,"message_type":"error"}]})",
                          400);
  const auto msgs = rows.resources_as<falcon::RowMessage>();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].row, 0) << "no row: it blames nothing";
  EXPECT_EQ(msgs[0].message, "m");
  EXPECT_EQ(msgs[1].row, 3);
  const auto counts =
      reply(R"({"resources":[{"id":"x","device_count":1e300},{"device_count":7}]})");
  const auto dc = counts.resources_as<falcon::DeviceCount>();
  ASSERT_EQ(dc.size(), 2u);
  EXPECT_EQ(dc[0].device_count, 0);
  EXPECT_EQ(dc[1].device_count, 7);
}

TEST(ReplyNumbers, ConversionHelpersRefuseEverythingOutOfRange) {
  using falcon::internal::double_to_int64;
  using falcon::internal::int64_to_int;
  using falcon::internal::json_number_to_int64;
  EXPECT_EQ(double_to_int64(-9223372036854775808.0), kMin);
  EXPECT_EQ(double_to_int64(9223372036854774784.0), std::int64_t{9223372036854774784});
  EXPECT_FALSE(double_to_int64(9223372036854775808.0));
  EXPECT_FALSE(double_to_int64(-9223372036854777856.0)) << "the next double below -2^63";
  EXPECT_FALSE(double_to_int64(std::nan("")));
  EXPECT_FALSE(double_to_int64(std::numeric_limits<double>::infinity()));
  EXPECT_FALSE(double_to_int64(-std::numeric_limits<double>::infinity()));
  EXPECT_EQ(double_to_int64(-0.5), 0);
  EXPECT_EQ(json_number_to_int64(nlohmann::json(std::uint64_t{9223372036854775807u})), kMax);
  EXPECT_FALSE(json_number_to_int64(nlohmann::json(std::uint64_t{9223372036854775808u})));
  EXPECT_FALSE(json_number_to_int64(nlohmann::json(true)));
  EXPECT_FALSE(json_number_to_int64(nlohmann::json("12")));
  EXPECT_EQ(int64_to_int(-2147483648LL), std::numeric_limits<int>::min());
  EXPECT_FALSE(int64_to_int(2147483648LL));
}
