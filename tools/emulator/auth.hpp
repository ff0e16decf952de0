// OAuth2 bearer tokens and the sliding-window rate limiter.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "util.hpp"

namespace falcon::emulator {

struct TokenInfo {
  std::string client_id;
  std::string member_cid;
  std::int64_t expires_ns = 0;
};

/// Issued tokens. Thread-safe.
class TokenStore {
 public:
  /// A new random 96-character token valid until `expires`.
  std::string issue(const std::string& client_id, const std::string& member_cid, TimePoint expires);
  /// The token's owner when it is known, not revoked and not expired at `now`.
  std::optional<TokenInfo> validate(const std::string& token, TimePoint now) const;
  /// Revokes `token` when it belongs to `client_id`; other tokens are left alone (RFC 7009).
  void revoke(const std::string& token, const std::string& client_id);
  void expire(const std::string& token);
  void expire_all();
  void clear();

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, TokenInfo> tokens_;
};

/// Sliding 60-second windows, one per key (the API's limit: requests in the last minute). A
/// window counts its requests in 600 slices of 100 ms, so its memory is fixed whatever the
/// limit; a request stops counting 59.9 to 60 s after it was made. Thread-safe.
class RateLimiter {
 public:
  static constexpr std::int64_t kSliceMs = 100;
  static constexpr std::int64_t kSlices = 600;

  struct Result {
    bool allowed = true;
    int limit = 0;
    int remaining = 0;
    std::int64_t retry_after = 0;  ///< epoch seconds when a slot frees up (only when !allowed)
  };
  /// Counts a request against `key` unless the window is full (then allowed is false and
  /// nothing is counted). With enforce=false the request is always counted and allowed.
  Result hit(const std::string& key, int limit, TimePoint now, bool enforce = true);
  /// The window's state without counting anything.
  Result peek(const std::string& key, int limit, TimePoint now);
  void clear();

 private:
  struct Window {
    std::array<std::uint32_t, kSlices> counts{};
    std::int64_t newest = -1;  // slice number (since the epoch) of counts' newest slot
    std::uint64_t total = 0;   // sum of counts
    void advance(TimePoint now);
  };
  Result check_locked(Window& window, int limit, TimePoint now);
  std::mutex mu_;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace falcon::emulator
