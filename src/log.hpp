// Logging to the client's sink: nothing is built unless a sink takes the level.
#pragma once

#include <string_view>

#include "falcon/config.hpp"

namespace falcon::internal {

/// Writes a line to the client's sink when `level` passes its threshold.
void log(const Config& cfg, LogLevel level, std::string_view line);
inline bool log_enabled(const Config& cfg, LogLevel level) {
  return cfg.log && level >= cfg.log_level && cfg.log_level != LogLevel::off;
}

}  // namespace falcon::internal
