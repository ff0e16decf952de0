#include "auth.hpp"

#include <algorithm>

namespace falcon::emulator {

namespace {
constexpr std::int64_t kSliceNs = RateLimiter::kSliceMs * 1000000LL;
// maybe_unused: clang 14 reports it unused although every use below is evaluated.
[[maybe_unused]] constexpr std::int64_t kSlices = RateLimiter::kSlices;
}  // namespace

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

void RateLimiter::Window::advance(TimePoint now) {
  const std::int64_t slice = to_ns(now) / kSliceNs;
  if (slice <= newest) return;  // the same slice (or a clock read before a later one)
  // Slices that fall out of the minute give their requests back.
  for (std::int64_t k = std::max(newest + 1, slice - kSlices + 1); k <= slice; ++k) {
    auto& c = counts[static_cast<std::size_t>(k % kSlices)];
    total -= c;
    c = 0;
  }
  newest = slice;
}

RateLimiter::Result RateLimiter::check_locked(Window& w, int limit, TimePoint now) {
  w.advance(now);
  Result r;
  r.limit = limit;
  r.remaining =
      static_cast<int>(std::max<std::int64_t>(0, limit - static_cast<std::int64_t>(w.total)));
  r.allowed = r.remaining > 0;
  if (!r.allowed) {
    // The oldest slice still counted frees its requests when it leaves the minute.
    std::int64_t oldest = w.newest;
    for (std::int64_t k = w.newest - kSlices + 1; k <= w.newest; ++k) {
      if (k >= 0 && w.counts[static_cast<std::size_t>(k % kSlices)] != 0) {
        oldest = k;
        break;
      }
    }
    const std::int64_t free_at = (oldest + kSlices) * kSliceNs;
    r.retry_after = (free_at + 999999999) / 1000000000;  // round up to whole seconds
  }
  return r;
}

RateLimiter::Result RateLimiter::hit(const std::string& key, int limit, TimePoint now,
                                     bool enforce) {
  std::lock_guard lock(mu_);
  Window& w = windows_[key];
  Result r = check_locked(w, limit, now);
  if (!r.allowed && enforce) return r;
  ++w.counts[static_cast<std::size_t>(w.newest % kSlices)];
  ++w.total;
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
