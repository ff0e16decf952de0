// Shared helpers of the exact-wire unit tests (ioc_wire_test.cpp, falconpy_wire_test.cpp,
// validation_test.cpp, harness_test.cpp): a client over a FakeTransport that answers the token
// call and every API call, and accessors that split a sent request into method, path, query,
// headers and body.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "falcon/client.hpp"
#include "falcon/harness.hpp"
#include "falcon/ioc.hpp"
#include "falcon/testing/fake_transport.hpp"

namespace falcon_wire {

inline constexpr const char* kBase = "https://api.test.local";
inline constexpr const char* kToken = "wire-token";

/// The API's value list a value-list query route answers (nullptr for any other route): the
/// SDK asks these when it meets an enum value it does not know.
inline const std::vector<std::string>* value_list_for(const std::string& url) {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kLists = {
      {"/iocs/queries/ioc-types/v1", {"sha256", "md5", "domain", "ipv4", "ipv6"}},
      {"/iocs/queries/actions/v1", {"no_action", "allow", "prevent_no_ui", "prevent", "detect"}},
      {"/iocs/queries/platforms/v1", {"windows", "mac", "linux", "ios", "android"}},
      {"/iocs/queries/severities/v1", {"informational", "low", "medium", "high", "critical"}},
  };
  for (const auto& [route, values] : kLists) {
    if (url.find(route) != std::string::npos) return &values;
  }
  return nullptr;
}

/// A token call, or a value-list query: what validation may send before refusing an input.
inline bool is_lookup(const falcon::HttpRequest& r) {
  return r.url.find("/oauth2/token") != std::string::npos || value_list_for(r.url) != nullptr;
}

/// One API request as sent, split for assertions.
struct Sent {
  std::string method;
  std::string path;
  std::string query;  ///< Without '?'; empty when there is none.
  bool has_query_mark = false;
  falcon::Headers headers;
  std::optional<std::string> body;

  /// The body parsed as JSON (null when there is none).
  nlohmann::json json() const { return body ? nlohmann::json::parse(*body) : nlohmann::json(); }
};

inline Sent split(const falcon::HttpRequest& r) {
  Sent s;
  s.method = r.method;
  std::string rest = r.url;
  if (rest.rfind(kBase, 0) == 0) rest = rest.substr(std::string(kBase).size());
  const auto q = rest.find('?');
  s.path = rest.substr(0, q);
  if (q != std::string::npos) {
    s.has_query_mark = true;
    s.query = rest.substr(q + 1);
  }
  s.headers = r.headers;
  s.body = r.body;
  return s;
}

/// A client whose transport answers /oauth2/token with a token and every other request with
/// `status` and an empty envelope. `validate` sets Config::validate.
class Wire {
 public:
  explicit Wire(bool validate = true, int status = 200)
      : fake_(std::make_shared<falcon::testing::FakeTransport>()) {
    fake_->respond_with([status](const falcon::HttpRequest& r) {
      falcon::TransportResult t;
      t.response.headers.emplace("Content-Type", "application/json");
      t.response.effective_url = r.url;
      if (r.url.find("/oauth2/token") != std::string::npos) {
        t.response.status = 201;
        t.response.body =
            nlohmann::json{{"access_token", kToken}, {"token_type", "bearer"}, {"expires_in", 1799}}
                .dump();
      } else if (const auto* list = value_list_for(r.url)) {
        t.response.status = 200;
        t.response.body = nlohmann::json{
            {"meta", nlohmann::json::object()},
            {"errors", nlohmann::json::array()},
            {"resources",
             *list}}.dump();
      } else {
        t.response.status = status;
        t.response.body = R"({"meta":{},"errors":[],"resources":[]})";
      }
      return t;
    });
    falcon::Config cfg;
    cfg.client_id = "wire-client-id";
    cfg.client_secret = "wire-client-secret";
    cfg.base_url = kBase;
    cfg.transport = fake_;
    cfg.retry = falcon::RetryPolicy::none();
    cfg.validate = validate;
    client_.emplace(cfg);
    ioc_.emplace(*client_);
    uber_.emplace(*client_);
  }

  const falcon::IOC& ioc() const { return *ioc_; }
  const falcon::APIHarness& uber() const { return *uber_; }
  falcon::testing::FakeTransport& fake() const { return *fake_; }

  /// Every request, token call included.
  std::vector<falcon::HttpRequest> all() const { return fake_->requests(); }
  /// The API requests (not /oauth2/), split.
  std::vector<Sent> sent() const {
    std::vector<Sent> out;
    for (const auto& r : fake_->api_requests()) out.push_back(split(r));
    return out;
  }

 private:
  std::shared_ptr<falcon::testing::FakeTransport> fake_;
  std::optional<falcon::Client> client_;
  std::optional<falcon::IOC> ioc_;
  std::optional<falcon::APIHarness> uber_;
};

/// Checks the headers every API request carries, and Content-Type exactly when there is a body.
inline void expect_headers(const Sent& s) {
  const std::string sdk = std::string("falcon-cpp/") + falcon::version();
  EXPECT_EQ(falcon::header_value(s.headers, "User-Agent").value_or("<none>"), sdk);
  EXPECT_EQ(falcon::header_value(s.headers, "CrowdStrike-SDK").value_or("<none>"), sdk);
  EXPECT_EQ(falcon::header_value(s.headers, "Authorization").value_or("<none>"),
            std::string("Bearer ") + kToken);
  EXPECT_EQ(s.headers.count("Authorization"), 1u);
  if (s.body) {
    EXPECT_EQ(falcon::header_value(s.headers, "Content-Type").value_or("<none>"),
              "application/json");
  } else {
    EXPECT_EQ(s.headers.count("Content-Type"), 0u) << "Content-Type without a body";
  }
}

/// Runs `call` on a fresh client and returns the one API request it sent (after checking the
/// common headers and that the call returned without an SDK-side error).
inline Sent one(const std::function<falcon::Response(const Wire&)>& call, bool validate = true) {
  Wire w(validate);
  falcon::Response r = call(w);
  EXPECT_FALSE(r.error.has_value()) << (r.error ? r.error->describe() : std::string());
  auto sent = w.sent();
  EXPECT_EQ(sent.size(), 1u) << "expected exactly one API request";
  if (sent.empty()) return Sent{};
  expect_headers(sent.front());
  EXPECT_EQ(sent.front().has_query_mark, !sent.front().query.empty()) << "a '?' without a query";
  return sent.front();
}

/// Runs `call` with validation on and checks that it fails with a validation error naming
/// `field` (and, when given, a message containing `message_part`), having sent nothing but,
/// for an enum value the SDK does not know, the API's value-list query (`offline`: nothing at
/// all, not even the token request).
inline falcon::Error rejected(const std::function<falcon::Response(const Wire&)>& call,
                              const std::string& field, const std::string& message_part = "",
                              bool offline = false) {
  Wire w(true);
  falcon::Response r = call(w);
  for (const auto& req : w.all()) {
    EXPECT_TRUE(!offline && is_lookup(req)) << "a request was sent: " << req.url;
  }
  EXPECT_EQ(r.status_code, 0);
  EXPECT_FALSE(r.ok());
  if (!r.error) {
    ADD_FAILURE() << "no error; expected a validation error on " << field;
    return falcon::Error{};
  }
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::validation) << r.error->describe();
  EXPECT_EQ(r.error->field, field) << r.error->describe();
  EXPECT_FALSE(r.error->request_sent);
  if (!message_part.empty()) {
    EXPECT_NE(r.error->message.find(message_part), std::string::npos)
        << "message '" << r.error->message << "' lacks '" << message_part << "'";
  }
  return *r.error;
}

/// The body equals `expected` both semantically and byte for byte (nlohmann sorts keys, so the
/// dump is deterministic).
inline void expect_body(const Sent& s, const nlohmann::json& expected) {
  ASSERT_TRUE(s.body.has_value()) << "no body was sent";
  EXPECT_EQ(nlohmann::json::parse(*s.body), expected);
  EXPECT_EQ(*s.body, expected.dump());
}

inline void expect_no_body(const Sent& s) {
  EXPECT_FALSE(s.body.has_value()) << "unexpected body: " << s.body.value_or("");
}

}  // namespace falcon_wire
