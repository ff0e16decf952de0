#include <algorithm>
#include <cctype>
#include <fstream>

#include "internal.hpp"

namespace falcon::internal {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string url_origin(std::string_view url) {
  auto p = url.find("://");
  if (p == std::string_view::npos) return {};
  auto end = url.find_first_of("/?#", p + 3);
  return lower(url.substr(0, end == std::string_view::npos ? url.size() : end));
}

std::string url_host(std::string_view url) {
  auto p = url.find("://");
  if (p == std::string_view::npos) return {};
  auto rest = url.substr(p + 3);
  auto end = rest.find_first_of("/?#");
  auto authority = rest.substr(0, end == std::string_view::npos ? rest.size() : end);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return {};
    return lower(authority.substr(1, close - 1));
  }
  auto colon = authority.find(':');
  return lower(authority.substr(0, colon));
}

bool is_loopback_host(std::string_view host) noexcept {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

bool file_readable(const std::string& path) {
  std::ifstream f(path);
  return f.good();
}

void percent_encode_to(std::string& out, std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char ch : in) {
    if (std::isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(kHex[ch >> 4]);
      out.push_back(kHex[ch & 0xF]);
    }
  }
}

std::string percent_encode(std::string_view in) {
  std::string out;
  out.reserve(in.size() * 3 / 2);
  percent_encode_to(out, in);
  return out;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out.push_back('&');
    percent_encode_to(out, k);
    out.push_back('=');
    percent_encode_to(out, v);
  }
  return out;
}

void Query::set(std::string_view key, std::vector<std::string> values) {
  for (auto& [k, v] : params_) {
    if (k == key) {
      v = std::move(values);
      return;
    }
  }
  params_.emplace_back(std::string(key), std::move(values));
}

std::string Query::encode() const {
  std::string out;
  for (const auto& [k, values] : params_) {
    for (const auto& v : values) {
      if (!out.empty()) out.push_back('&');
      percent_encode_to(out, k);
      out.push_back('=');
      percent_encode_to(out, v);
    }
  }
  return out;
}

Error validation_error(std::string field, std::string message) {
  Error e;
  e.kind = ErrorKind::validation;
  e.field = std::move(field);
  e.message = std::move(message);
  e.request_sent = false;
  return e;
}

namespace {

std::optional<std::string> scalar_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
  if (v.is_number_integer()) return v.dump();
  if (v.is_number_float()) return v.dump();
  return std::nullopt;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto comma = s.find(',', start);
    auto piece = trim(std::string_view(s).substr(start, comma - start));
    if (!piece.empty()) out.emplace_back(piece);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

std::optional<Error> query_from_parameters(const nlohmann::json& parameters,
                                           const Endpoint* endpoint, Query& out) {
  if (parameters.is_null()) return std::nullopt;
  if (!parameters.is_object()) {
    return validation_error("parameters", "parameters must be a JSON object of query parameters");
  }
  for (const auto& [key, value] : parameters.items()) {
    if (value.is_null()) continue;  // like FalconPy's None: omitted
    const ParamSpec* spec = endpoint != nullptr ? endpoint->find_param(key) : nullptr;
    bool is_array = spec != nullptr && spec->type == ParamType::string_array;
    std::vector<std::string> values;
    if (value.is_array()) {
      for (const auto& item : value) {
        auto text = scalar_text(item);
        if (!text) {
          return validation_error("parameters." + key,
                                  "array items must be strings, numbers or booleans");
        }
        values.push_back(std::move(*text));
      }
    } else if (auto text = scalar_text(value)) {
      if (is_array && value.is_string()) {
        values = split_commas(*text);
      } else {
        values.push_back(std::move(*text));
      }
    } else {
      return validation_error("parameters." + key,
                              "must be a string, number, boolean or array, not an object");
    }
    out.set(key, std::move(values));
  }
  return std::nullopt;
}

void log(const Config& cfg, LogLevel level, std::string_view line) {
  if (!log_enabled(cfg, level)) return;
  try {
    cfg.log(level, line);
  } catch (...) {
    // A throwing sink must not break the call that logged.
  }
}

}  // namespace falcon::internal
