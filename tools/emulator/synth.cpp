#include "synth.hpp"

#include <algorithm>
#include <array>

#include "util.hpp"

namespace falcon::emulator {

namespace {

std::string hex32(std::uint64_t a, std::uint64_t b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::uint64_t v : {a, b}) {
    for (int i = 0; i < 16; ++i, v >>= 4) out += kHex[v & 0xF];
  }
  return out;
}

std::string key(std::string_view type, std::string_view value) {
  return std::string(type) + '\n' + to_lower(value);
}

}  // namespace

std::vector<std::string> Synth::devices(std::string_view type, std::string_view value) const {
  const std::uint64_t h = stable_hash(key(type, value), seed_);
  const std::size_t count = h % 5 == 0 ? 0 : 1 + (h >> 16) % 120;
  std::vector<std::string> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(hex32(mix64(h + 2 * i + 1), mix64(h + 2 * i + 2)));
  }
  return out;
}

std::vector<std::string> Synth::processes(std::string_view type, std::string_view value,
                                          std::string_view device_id) const {
  const std::string device = to_lower(device_id);
  const auto devs = devices(type, value);
  if (std::find(devs.begin(), devs.end(), device) == devs.end()) return {};
  const std::uint64_t h = stable_hash(key(type, value) + '\n' + device, seed_);
  const std::size_t count = 1 + h % 12;
  std::vector<std::string> out;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint64_t pid = 100000000000ULL + mix64(h + i) % 900000000000ULL;
    out.push_back("pid:" + device + ":" + std::to_string(pid));
  }
  return out;
}

nlohmann::json Synth::process_detail(const std::string& process_id) const {
  static constexpr std::array<const char*, 8> kFiles{"powershell.exe", "cmd.exe",    "rundll32.exe",
                                                     "chrome.exe",     "python3",    "bash",
                                                     "curl",           "svchost.exe"};
  const std::uint64_t h = stable_hash(process_id, seed_);
  const std::string device = process_id.substr(4, 32);
  const std::string digits = process_id.substr(37);
  const std::string file = kFiles[h % kFiles.size()];
  // A start time in 2025, lasting up to ~2 hours.
  const std::int64_t start = 1735689600LL + static_cast<std::int64_t>((h >> 8) % 31536000ULL);
  const std::int64_t stop = start + 1 + static_cast<std::int64_t>((h >> 40) % 7200);
  const auto raw = [](std::int64_t s) {
    return std::to_string((s + 11644473600LL) * 10000000LL);  // Windows FILETIME ticks
  };
  return {{"command_line", file + " --synthetic " + std::to_string(h % 1000)},
          {"device_id", device},
          {"file_name", file},
          {"process_id", digits},
          {"process_id_local", std::to_string(100 + h % 60000)},
          {"start_timestamp", format_time(from_ns(start * 1000000000LL))},
          {"start_timestamp_raw", raw(start)},
          {"stop_timestamp", format_time(from_ns(stop * 1000000000LL))},
          {"stop_timestamp_raw", raw(stop)}};
}

bool is_process_id(std::string_view id) {
  if (id.size() < 38 || id.substr(0, 4) != "pid:" || id[36] != ':') return false;
  if (!is_hex(id.substr(4, 32), 32)) return false;
  const auto digits = id.substr(37);
  if (digits.size() > 20) return false;
  return std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace falcon::emulator
