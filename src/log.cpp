// The client's log sink (log.hpp).
#include "log.hpp"

namespace falcon::internal {

void log(const Config& cfg, LogLevel level, std::string_view line) {
  if (!log_enabled(cfg, level)) return;
  try {
    cfg.log(level, line);
  } catch (...) {
    // A throwing sink must not break the call that logged.
  }
}

}  // namespace falcon::internal
