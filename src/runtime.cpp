// Runtime and Redactor (runtime.hpp).
#include "runtime.hpp"

#include <algorithm>
#include <thread>

#include "strings.hpp"

namespace falcon::internal {

void Redactor::add(std::string_view secret, bool permanent) const {
  // Short values would redact ordinary words; real secrets and tokens are long.
  if (secret.size() < 6) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto& list = permanent ? permanent_ : recent_;
  for (std::string form : {std::string(secret), percent_encode(secret)}) {
    if (std::find(list.begin(), list.end(), form) == list.end()) list.push_back(std::move(form));
  }
  // Bounded: a long-lived client sees a new token every 30 minutes; old ones expire anyway.
  constexpr std::size_t kRecent = 16;
  while (recent_.size() > kRecent) recent_.erase(recent_.begin());
}

std::string Redactor::apply(std::string_view text) const {
  std::string out(text);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto* list : {&permanent_, &recent_}) {
    for (const auto& s : *list) {
      for (std::size_t pos = out.find(s); pos != std::string::npos; pos = out.find(s, pos)) {
        out.replace(pos, s.size(), "[redacted]");
        pos += 10;
      }
    }
  }
  return out;
}

void Redactor::apply_to(Error& error) const {
  error.message = apply(error.message);
  error.field = apply(error.field);
}

void Runtime::sleep(std::chrono::milliseconds d) const {
  if (d.count() <= 0) return;
  if (cfg.sleeper) {
    cfg.sleeper(d);
  } else {
    std::this_thread::sleep_for(d);
  }
}

void Runtime::log(LogLevel level, std::string_view line) const {
  if (!logs(level)) return;
  internal::log(cfg, level, redactor.apply(line));
}

}  // namespace falcon::internal
