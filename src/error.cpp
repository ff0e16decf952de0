#include "falcon/error.hpp"

#include <utility>

namespace falcon {

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::transport:
      return "transport";
    case ErrorKind::timeout:
      return "timeout";
    case ErrorKind::auth:
      return "auth";
    case ErrorKind::validation:
      return "validation";
    case ErrorKind::rate_limited:
      return "rate_limited";
    case ErrorKind::decode:
      return "decode";
    case ErrorKind::configuration:
      return "configuration";
  }
  return "unknown";
}

std::string Error::describe() const {
  std::string out(to_string(kind));
  out += ": ";
  if (!field.empty() && message.find(field) == std::string::npos) {
    out += field;
    out += ": ";
  }
  out += message;
  return out;
}

Exception::Exception(Error error)
    : std::runtime_error(error.describe()), error_(std::move(error)) {}

Exception::Exception(int status_code, std::string message, std::string trace_id)
    : std::runtime_error("HTTP " + std::to_string(status_code) +
                         (message.empty() ? std::string() : ": " + message) +
                         (trace_id.empty() ? std::string() : " (trace id " + trace_id + ")")),
      status_code_(status_code),
      trace_id_(std::move(trace_id)) {}

}  // namespace falcon
