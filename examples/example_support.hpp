// Shared by the examples: configuration from the environment, one line per step, a unique tag
// per run (so a run against a real cloud never touches anything it did not create), and the exit
// code. Header-only so each example stays one file plus this.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

#include <unistd.h>

#include <falcon/falcon.hpp>

namespace example {

/// Reads FALCON_CLIENT_ID, FALCON_CLIENT_SECRET, FALCON_MEMBER_CID and FALCON_BASE_URL; exits 2
/// with a usage note when they do not make a valid configuration.
inline falcon::Config config_from_env(const char* program) {
  falcon::Config cfg = falcon::Config::from_env();
  if (auto err = cfg.check()) {
    std::cerr << program << ": " << err->describe()
              << "\nSet FALCON_CLIENT_ID, FALCON_CLIENT_SECRET and FALCON_BASE_URL (a cloud name "
                 "such as us-2, or the emulator's URL, e.g. http://127.0.0.1:8099).\n";
    std::exit(2);
  }
  return cfg;
}

/// A tag unique to this run: seconds since the epoch and the process id.
inline std::string run_tag() {
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  return std::to_string(secs) + "-" + std::to_string(static_cast<long long>(::getpid()));
}

/// `n` random lower-case hex digits (for sha256/md5 values that exist nowhere else).
inline std::string random_hex(std::size_t n) {
  static std::mt19937_64 rng{std::random_device{}()};
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += digits[rng() % 16];
  return s;
}

/// Counts failed steps and prints one line per step.
class Steps {
 public:
  explicit Steps(const char* program) : program_(program) {}

  /// Prints the outcome of one call; returns r.ok().
  bool check(const std::string& step, const falcon::Response& r) {
    if (r.ok()) {
      std::printf("  ok    %-44s HTTP %d, %zu resources\n", step.c_str(), r.status_code,
                  r.resources().size());
      return true;
    }
    ++failures_;
    std::printf("  FAIL  %-44s HTTP %d", step.c_str(), r.status_code);
    if (r.error) std::printf("  %s", r.error->describe().c_str());
    for (const auto& e : r.api_errors()) std::printf("  [%d] %s", e.code, e.message.c_str());
    for (const auto& row : r.resources()) {
      if (row.is_object() && row.contains("message_type")) {
        std::printf("\n        row %s %s: %s", row.value("row", nlohmann::json()).dump().c_str(),
                    row.value("field_name", "").c_str(), row.value("message", "").c_str());
      }
    }
    std::printf("\n");
    return false;
  }

  /// Records a failed expectation that is not a call.
  void fail(const std::string& what) {
    ++failures_;
    std::printf("  FAIL  %s\n", what.c_str());
  }

  /// Checks an expectation: prints it, counts it when false.
  bool expect(bool condition, const std::string& what) {
    if (!condition) {
      fail(what);
      return false;
    }
    std::printf("  ok    %s\n", what.c_str());
    return true;
  }

  /// A step that could not run (no data for it); the tests treat this as a failure.
  void skip(const std::string& what) { std::printf("  SKIPPED: %s\n", what.c_str()); }

  /// Section heading.
  static void section(const std::string& title) { std::printf("\n%s\n", title.c_str()); }

  /// Prints the summary; the process exit code.
  int finish() const {
    if (failures_ == 0) {
      std::printf("\n%s: every step succeeded\n", program_);
      return 0;
    }
    std::printf("\n%s: %d step(s) failed\n", program_, failures_);
    return 1;
  }

  int failures() const { return failures_; }

 private:
  const char* program_;
  int failures_ = 0;
};

/// A valid create item: detect, high, all desktop platforms, applied globally, tagged `source`.
inline falcon::IndicatorSpec indicator(const std::string& type, const std::string& value,
                                       const std::string& source) {
  falcon::IndicatorSpec s;
  s.type = type;
  s.value = value;
  s.action = "detect";
  s.severity = "high";
  s.source = source;
  s.platforms = std::vector<std::string>{"windows", "mac", "linux"};
  s.applied_globally = true;
  s.description = "created by a falcon-cpp example";
  return s;
}

/// FQL selecting the live indicators of this run.
inline std::string by_source(const std::string& source) {
  return "source:'" + source + "'+deleted:false";
}

/// Deletes everything this run created (by filter); used at the end of each example.
inline void cleanup(const falcon::IOC& ioc, const std::string& source, Steps& steps) {
  falcon::IndicatorDeleteOptions del;
  del.filter = "source:'" + source + "'";
  del.comment = "falcon-cpp example cleanup";
  steps.check("cleanup: indicator_delete by filter", ioc.indicator_delete(del));
}

}  // namespace example
