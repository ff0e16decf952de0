// OAuth2 bearer tokens and the sliding-window rate limiter.
#pragma once

#include <cstdint>
#include <deque>
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

/// Sliding 60-second windows, one per key. Thread-safe.
class RateLimiter {
 public:
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
  Result check_locked(std::deque<std::int64_t>& window, int limit, TimePoint now);
  std::mutex mu_;
  std::unordered_map<std::string, std::deque<std::int64_t>> windows_;
};

}  // namespace falcon::emulator
