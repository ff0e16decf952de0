// Test helpers: an Emulator started on an ephemeral port and a raw httplib client (no SDK).
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "emulator.hpp"

namespace falcon::emulator::testing {

using nlohmann::json;

inline std::string sha256_of(int n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(64, '0');
  unsigned v = static_cast<unsigned>(n);
  for (int i = 63; i >= 56; --i, v >>= 4) s[static_cast<std::size_t>(i)] = kHex[v & 0xF];
  s[0] = 'a';
  return s;
}

inline json domain_item(const std::string& value) {
  return {{"type", "domain"},
          {"value", value},
          {"action", "detect"},
          {"severity", "high"},
          {"platforms", {"windows", "mac"}},
          {"applied_globally", true}};
}

inline json hash_item(int n) {
  return {{"type", "sha256"},
          {"value", sha256_of(n)},
          {"action", "prevent"},
          {"severity", "medium"},
          {"platforms", {"windows"}},
          {"applied_globally", true},
          {"metadata", {{"filename", "f" + std::to_string(n) + ".exe"}}}};
}

inline std::string url_encode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

/// A fresh folder under the temp directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "falcon-emu-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class EmulatorTest : public ::testing::Test {
 protected:
  virtual Options make_options() {
    Options o;
    o.control = true;
    return o;
  }

  void SetUp() override {
    emu_ = std::make_unique<Emulator>(make_options());
    port_ = emu_->start();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_read_timeout(10);
    client_->set_keep_alive(true);  // like the SDK: one connection for many calls
  }

  void TearDown() override {
    client_.reset();
    emu_.reset();
  }

  std::string fetch_token() {
    auto r = client_->Post("/oauth2/token",
                           "client_id=" + emu_->options().client_id +
                               "&client_secret=" + emu_->options().client_secret,
                           "application/x-www-form-urlencoded");
    EXPECT_TRUE(r);
    if (!r) return "";
    EXPECT_EQ(r->status, 201) << r->body;
    return json::parse(r->body).value("access_token", "");
  }

  httplib::Headers auth() {
    if (token_.empty()) token_ = fetch_token();
    return {{"Authorization", "Bearer " + token_}};
  }

  // Sends a request with the bearer token; the body is JSON when given.
  httplib::Result call(const std::string& method, const std::string& path,
                       const std::string& body = "") {
    const auto h = auth();
    if (method == "GET") return client_->Get(path.c_str(), h);
    if (method == "POST") return client_->Post(path.c_str(), h, body, "application/json");
    if (method == "PATCH") return client_->Patch(path.c_str(), h, body, "application/json");
    if (method == "DELETE") return client_->Delete(path.c_str(), h);
    if (method == "PUT") return client_->Put(path.c_str(), h, body, "application/json");
    ADD_FAILURE() << "unknown method " << method;
    return client_->Get(path.c_str(), h);
  }

  // Calls and parses; fails the test when no reply came or the body is not JSON.
  json call_json(const std::string& method, const std::string& path, int expected_status,
                 const std::string& body = "") {
    auto r = call(method, path, body);
    if (!r) {
      ADD_FAILURE() << method << " " << path << ": no reply (" << httplib::to_string(r.error())
                    << ")";
      return nullptr;
    }
    EXPECT_EQ(r->status, expected_status) << method << " " << path << " -> " << r->body;
    return json::parse(r->body, nullptr, false);
  }

  // `items` must be a JSON array (see the initializer_list overload for literals).
  // The /_emulator control endpoint (no token).
  json control(const std::string& method, const std::string& path, const std::string& body = "",
               int expected_status = 200) {
    auto r = method == "GET" ? client_->Get(path.c_str())
                             : client_->Post(path.c_str(), body, "application/json");
    if (!r) {
      ADD_FAILURE() << "no reply from " << path;
      return nullptr;
    }
    EXPECT_EQ(r->status, expected_status) << r->body;
    return json::parse(r->body);
  }

  json create(const json& items, int expected_status = 201, const std::string& query = "") {
    EXPECT_TRUE(items.is_array());
    json body = json::object();
    body["indicators"] = items;
    return call_json("POST", "/iocs/entities/indicators/v1" + query, expected_status, body.dump());
  }

  // A braced list of one json would otherwise become that json, not an array of it.
  json create(std::initializer_list<json> items, int expected_status = 201,
              const std::string& query = "") {
    return create(json::array_t(items), expected_status, query);
  }

  std::unique_ptr<Emulator> emu_;
  int port_ = 0;
  std::unique_ptr<httplib::Client> client_;
  std::string token_;
};

}  // namespace falcon::emulator::testing
