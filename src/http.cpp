// The header helpers of http.hpp: case-insensitive field names and the first value of a field.
#include "falcon/http.hpp"

namespace falcon {

namespace {
// ASCII only, as HTTP field names are; std::tolower would consult the locale per byte.
inline unsigned char fold(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 'A' && u <= 'Z') ? static_cast<unsigned char>(u | 0x20) : u;
}
}  // namespace

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const noexcept {
  const std::size_t n = a.size() < b.size() ? a.size() : b.size();
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char ca = fold(a[i]);
    const unsigned char cb = fold(b[i]);
    if (ca != cb) return ca < cb;
  }
  return a.size() < b.size();
}

std::optional<std::string_view> header_value(const Headers& headers, std::string_view name) {
  auto it = headers.find(name);
  if (it == headers.end()) return std::nullopt;
  return std::string_view(it->second);
}

}  // namespace falcon
