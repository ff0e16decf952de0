// Deterministic synthetic host telemetry for the device/process lookups: the same seed and
// input always give the same answer, across runs and platforms.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace falcon::emulator {

class Synth {
 public:
  explicit Synth(std::uint64_t seed) : seed_(seed) {}

  /// 32-hex device ids that "ran" the indicator (0 to 120 of them; some have none).
  std::vector<std::string> devices(std::string_view type, std::string_view value) const;
  /// `pid:<device>:<digits>` ids; empty when `device_id` is not among devices(type, value).
  std::vector<std::string> processes(std::string_view type, std::string_view value,
                                     std::string_view device_id) const;
  /// processesapi.ProcessDetail for a well-formed process id.
  nlohmann::json process_detail(const std::string& process_id) const;

 private:
  std::uint64_t seed_;
};

/// `pid:<32 hex>:<digits>` (PSFalcon's pattern).
bool is_process_id(std::string_view id);

}  // namespace falcon::emulator
