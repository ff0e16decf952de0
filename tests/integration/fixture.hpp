// Integration-test fixture: an in-process falcon::emulator::Emulator on an ephemeral loopback
// port, and falcon::Config values pointing the SDK (with its real CurlTransport) at it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "emulator.hpp"
#include "falcon/falcon.hpp"

namespace falcon_it {

inline constexpr const char* kClientId = "integration-client-id";
inline constexpr const char* kClientSecret = "integration-client-secret";

/// Emulator options with the known credentials, an ephemeral port and the control routes.
inline falcon::emulator::Options emulator_options() {
  falcon::emulator::Options o;
  o.port = 0;
  o.client_id = kClientId;
  o.client_secret = kClientSecret;
  o.control = true;
  return o;
}

/// base_url = the emulator, the known credentials, no log sink, everything else default.
inline falcon::Config config_for(const falcon::emulator::Emulator& emu) {
  falcon::Config c;
  c.base_url = emu.base_url();
  c.client_id = kClientId;
  c.client_secret = kClientSecret;
  return c;
}

/// One emulator per test (fresh state, counters and rate-limit windows). Override
/// customize() to change the emulator's Options before it starts.
class EmulatorTest : public ::testing::Test {
 protected:
  virtual void customize(falcon::emulator::Options& /*options*/) {}

  void SetUp() override {
    falcon::emulator::Options o = emulator_options();
    customize(o);
    emu_ = std::make_unique<falcon::emulator::Emulator>(std::move(o));
    emu_->start();
  }

  void TearDown() override { emu_.reset(); }

  falcon::emulator::Emulator& emu() { return *emu_; }
  falcon::Config config() const { return config_for(*emu_); }
  falcon::IOC ioc() const { return falcon::IOC(config()); }

  std::unique_ptr<falcon::emulator::Emulator> emu_;
};

/// A distinct, valid sha256 for each n.
inline std::string sha256_of(int n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(64, 'c');
  auto v = static_cast<unsigned>(n);
  for (int i = 63; i >= 52; --i, v >>= 4) s[static_cast<std::size_t>(i)] = kHex[v & 0xFU];
  return s;
}

/// A create item for a domain, valid as given.
inline nlohmann::json domain_item(const std::string& value, const std::string& source = "it") {
  return {{"type", "domain"},        {"value", value},   {"action", "detect"},
          {"severity", "high"},      {"source", source}, {"platforms", {"windows", "mac"}},
          {"applied_globally", true}};
}

/// A create item for a sha256, valid as given.
inline nlohmann::json hash_item(int n, const std::string& source = "it") {
  return {
      {"type", "sha256"},         {"value", sha256_of(n)},
      {"action", "prevent"},      {"severity", "medium"},
      {"source", source},         {"platforms", {"windows"}},
      {"applied_globally", true}, {"metadata", {{"filename", "f" + std::to_string(n) + ".exe"}}}};
}

}  // namespace falcon_it
