/// @file harness.hpp
/// APIHarness, the Uber class: call any IOC operation by its id with raw parameters and body,
/// over the same endpoint table as falcon::IOC.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "falcon/client.hpp"
#include "falcon/response.hpp"

namespace falcon {

/// Arguments of APIHarness::command().
struct CommandOptions {
  /// Query parameters: scalars, booleans and arrays (repeated keys); a comma-separated string
  /// for an array parameter is split.
  std::optional<nlohmann::json> parameters{};
  /// JSON body, sent as given. Never sent on GET or DELETE, where it is a validation error.
  std::optional<nlohmann::json> body{};
};

/// The Uber class.
/// @par Thread safety
/// Like IOC: a cheap handle around a Client, safe to share between threads.
class APIHarness {
 public:
  /// Wraps an existing client; shares its token, connection pool and rate-limit state.
  explicit APIHarness(Client client);
  /// Builds its own Client from `config`.
  /// @throws falcon::Exception (kind configuration) when Config::check() fails.
  explicit APIHarness(Config config);

  /// Calls operation `operation` (operation id such as "indicator_search_v1", dotted spec id
  /// such as "indicator.search.v1", or PEP 8 name). An unknown name is a validation error.
  [[nodiscard]] Response command(std::string_view operation, const CommandOptions& options = {},
                                 const CallOptions& call = {}) const;

  /// Sends `method` to `route` with the parameters and body as given, bypassing the table.
  [[nodiscard]] Response override(std::string_view method, std::string_view route,
                                  const CommandOptions& options = {},
                                  const CallOptions& call = {}) const;

  /// The client every call goes through.
  const Client& client() const noexcept { return client_; }

 private:
  Client client_;
};

}  // namespace falcon
