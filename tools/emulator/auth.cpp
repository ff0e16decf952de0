#include "auth.hpp"

#include <algorithm>

namespace falcon::emulator {

namespace {
constexpr std::int64_t kWindowNs = 60LL * 1000000000LL;
}

std::string TokenStore::issue(const std::string& client_id, const std::string& member_cid,
                              TimePoint expires) {
  std::string token = random_hex(96);
  std::lock_guard lock(mu_);
  // Forget tokens that expired long ago so a long-running emulator does not grow forever;
  // they answer 401 either way.
  if (tokens_.size() > 10000) {
    const std::int64_t cutoff = to_ns(Clock::now()) - 3600LL * 1000000000LL;
    for (auto it = tokens_.begin(); it != tokens_.end();) {
      it = it->second.expires_ns < cutoff ? tokens_.erase(it) : std::next(it);
    }
  }
  tokens_[token] = TokenInfo{client_id, member_cid, to_ns(expires)};
  return token;
}

std::optional<TokenInfo> TokenStore::validate(const std::string& token, TimePoint now) const {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end() || it->second.expires_ns <= to_ns(now)) return std::nullopt;
  return it->second;
}

void TokenStore::revoke(const std::string& token, const std::string& client_id) {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(token);
  if (it != tokens_.end() && it->second.client_id == client_id) tokens_.erase(it);
}

void TokenStore::expire(const std::string& token) {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(token);
  if (it != tokens_.end()) it->second.expires_ns = 0;
}

void TokenStore::expire_all() {
  std::lock_guard lock(mu_);
  for (auto& [t, info] : tokens_) info.expires_ns = 0;
}

void TokenStore::clear() {
  std::lock_guard lock(mu_);
  tokens_.clear();
}

RateLimiter::Result RateLimiter::check_locked(std::deque<std::int64_t>& window, int limit,
                                              TimePoint now) {
  const std::int64_t n = to_ns(now);
  while (!window.empty() && window.front() <= n - kWindowNs) window.pop_front();
  Result r;
  r.limit = limit;
  r.remaining = std::max(0, limit - static_cast<int>(window.size()));
  r.allowed = r.remaining > 0;
  if (!r.allowed && !window.empty()) {
    const std::int64_t free_at = window.front() + kWindowNs;
    r.retry_after = (free_at + 999999999) / 1000000000;  // round up to whole seconds
  }
  return r;
}

RateLimiter::Result RateLimiter::hit(const std::string& key, int limit, TimePoint now,
                                     bool enforce) {
  std::lock_guard lock(mu_);
  auto& window = windows_[key];
  Result r = check_locked(window, limit, now);
  if (!r.allowed && enforce) return r;
  window.push_back(to_ns(now));
  r.allowed = true;
  r.remaining = std::max(0, r.remaining - 1);
  r.retry_after = 0;
  return r;
}

RateLimiter::Result RateLimiter::peek(const std::string& key, int limit, TimePoint now) {
  std::lock_guard lock(mu_);
  return check_locked(windows_[key], limit, now);
}

void RateLimiter::clear() {
  std::lock_guard lock(mu_);
  windows_.clear();
}

}  // namespace falcon::emulator
