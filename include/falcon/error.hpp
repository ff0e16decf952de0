/// @file error.hpp
/// SDK-side errors: what went wrong when no usable API reply arrived, or before any request.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace falcon {

/// What kind of SDK-side failure an Error is. API errors (4xx/5xx with a JSON envelope) are not
/// Errors: they are data on the Response (status_code, errors()).
enum class ErrorKind {
  transport,      ///< No HTTP reply: connection refused, reset, TLS failure, DNS failure.
  timeout,        ///< No HTTP reply within the connect or total timeout.
  auth,           ///< The token could not be obtained, or a 401 survived one token renewal.
  validation,     ///< Client-side input check failed; nothing was sent.
  rate_limited,   ///< A 429 asked for a wait longer than RetryPolicy::max_rate_limit_wait.
  decode,         ///< A reply arrived but its body is not the JSON that was promised.
  configuration,  ///< A Config setting is unusable (unknown cloud, missing credentials, ...).
};

/// The lower-case name of a kind ("transport", "timeout", ...).
std::string_view to_string(ErrorKind kind) noexcept;

/// An SDK-side error. `field` names the option or setting at fault for validation and
/// configuration errors, so the message can be acted on without reading the code.
struct Error {
  /// What went wrong (see ErrorKind).
  ErrorKind kind = ErrorKind::transport;
  std::string message;  ///< Human-readable; never contains secrets.
  std::string field;    ///< Offending field or setting ("indicators[3].value", "base_url"), if any.
  /// For transport errors: false when the request provably never left this process (connect or
  /// DNS failure), so even a non-idempotent call may be resent safely.
  bool request_sent = true;
  /// For rate_limited: when the server said the call may be retried.
  std::optional<std::chrono::system_clock::time_point> retry_at;
  /// Number of HTTP attempts made for the call (0 when nothing was sent).
  int attempts = 0;

  /// "<kind>: <message>" plus the field when set.
  std::string describe() const;
};

/// Thrown by Response::raise_for_status() and by Client's constructor on a bad Config.
class Exception : public std::runtime_error {
 public:
  /// An exception for an SDK-side error.
  explicit Exception(Error error);
  /// An exception for an API error reply (status_code >= 400) without SDK-side error.
  Exception(int status_code, std::string message, std::string trace_id);

  /// The SDK-side error, when there was one.
  const std::optional<Error>& error() const noexcept { return error_; }
  /// The HTTP status of the reply (0 when none arrived).
  int status_code() const noexcept { return status_code_; }
  /// The X-CS-TRACEID of the reply, for support tickets.
  const std::string& trace_id() const noexcept { return trace_id_; }

 private:
  std::optional<Error> error_;
  int status_code_ = 0;
  std::string trace_id_;
};

}  // namespace falcon
