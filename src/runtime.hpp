// What every stage of a call shares: the settings, the clock and sleeper (injectable), and the
// log sink behind a redactor, so no stage can write a secret to the log or into an Error.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "falcon/config.hpp"
#include "falcon/error.hpp"
#include "log.hpp"

namespace falcon::internal {

/// Replaces every known secret (client_secret, tokens, and their percent-encoded and Basic
/// forms) in text that leaves the SDK. Thread-safe; tokens are added as they are issued.
class Redactor {
 public:
  /// Adds `secret`; a permanent one (the client secret) is never forgotten, the last 8 tokens
  /// are kept.
  void add(std::string_view secret, bool permanent) const;
  /// `text` with every secret replaced by "[redacted]".
  std::string apply(std::string_view text) const;
  void apply_to(Error& error) const;

 private:
  mutable std::mutex mu_;
  mutable std::vector<std::string> permanent_;
  mutable std::vector<std::string> recent_;
};

/// The per-client runtime shared by the token manager and the call pipeline.
struct Runtime {
  Config cfg;
  Redactor redactor;

  std::chrono::system_clock::time_point now() const {
    return cfg.clock ? cfg.clock() : std::chrono::system_clock::now();
  }
  void sleep(std::chrono::milliseconds d) const;
  bool logs(LogLevel level) const { return log_enabled(cfg, level); }
  /// Logs `line` (redacted) when a sink takes `level`; build the line only after logs(level).
  void log(LogLevel level, std::string_view line) const;
};

}  // namespace falcon::internal
