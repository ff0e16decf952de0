// Numbers from a server reply read as integers. A reply is untrusted: a JSON float outside
// int64's range (1e101, 1e30) cast with static_cast is undefined behaviour, and nlohmann's
// get<std::int64_t>() does exactly that cast. Every integer the SDK reads from a reply goes
// through these. Never installed.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <optional>

namespace falcon::internal {

/// `d` truncated toward zero (as a cast would) when it is finite and inside int64's range;
/// nullopt for NaN, infinities and anything at or past +-2^63.
inline std::optional<std::int64_t> double_to_int64(double d) noexcept {
  // -2^63 and 2^63 are exact doubles; NaN fails both comparisons.
  constexpr double kLow = -9223372036854775808.0;
  constexpr double kHigh = 9223372036854775808.0;
  if (!(d >= kLow && d < kHigh)) return std::nullopt;
  return static_cast<std::int64_t>(d);
}

/// An unsigned JSON integer as int64; nullopt past INT64_MAX (a cast would wrap it negative).
inline std::optional<std::int64_t> uint64_to_int64(std::uint64_t u) noexcept {
  if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(u);
}

/// A JSON number as int64: integers in range as they are, floats truncated when in range.
/// Out of range, or not a number (booleans included): nullopt.
inline std::optional<std::int64_t> json_number_to_int64(const nlohmann::json& j) noexcept {
  if (j.is_number_unsigned()) return uint64_to_int64(j.get<std::uint64_t>());
  if (j.is_number_integer()) return j.get<std::int64_t>();
  if (j.is_number_float()) return double_to_int64(j.get<double>());
  return std::nullopt;
}

/// An int64 as int (an API error's `code`); nullopt outside int's range.
inline std::optional<int> int64_to_int(std::int64_t v) noexcept {
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
    return std::nullopt;
  }
  return static_cast<int>(v);
}

}  // namespace falcon::internal
