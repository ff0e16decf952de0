#include "falcon/response.hpp"

#include "response_internal.hpp"

#include <cctype>
#include <charconv>

#include "strings.hpp"

namespace falcon {

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const noexcept {
  const std::size_t n = a.size() < b.size() ? a.size() : b.size();
  for (std::size_t i = 0; i < n; ++i) {
    const int ca = std::tolower(static_cast<unsigned char>(a[i]));
    const int cb = std::tolower(static_cast<unsigned char>(b[i]));
    if (ca != cb) return ca < cb;
  }
  return a.size() < b.size();
}

std::optional<std::string_view> header_value(const Headers& headers, std::string_view name) {
  auto it = headers.find(name);
  if (it == headers.end()) return std::nullopt;
  return std::string_view(it->second);
}

namespace {

const nlohmann::json& empty_array() {
  static const nlohmann::json v = nlohmann::json::array();
  return v;
}
const nlohmann::json& empty_object() {
  static const nlohmann::json v = nlohmann::json::object();
  return v;
}

const nlohmann::json* member(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::int64_t> to_int(std::string_view s) {
  s = internal::trim(s);
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::int64_t> json_int(const nlohmann::json* j) {
  if (j == nullptr) return std::nullopt;
  if (j->is_number_integer()) return j->get<std::int64_t>();
  if (j->is_number_float()) return static_cast<std::int64_t>(j->get<double>());
  if (j->is_string()) return to_int(j->get_ref<const std::string&>());
  return std::nullopt;
}

}  // namespace

const nlohmann::json& Response::resources() const noexcept {
  const auto* r = member(body, "resources");
  return r != nullptr ? *r : empty_array();
}

const nlohmann::json& Response::errors() const noexcept {
  const auto* r = member(body, "errors");
  return r != nullptr ? *r : empty_array();
}

const nlohmann::json& Response::meta() const noexcept {
  const auto* r = member(body, "meta");
  return r != nullptr ? *r : empty_object();
}

std::vector<ApiError> Response::api_errors() const {
  std::vector<ApiError> out;
  for (const auto& e : errors()) {
    if (!e.is_object()) continue;
    ApiError a;
    if (auto c = json_int(member(e, "code"))) a.code = static_cast<int>(*c);
    if (const auto* m = member(e, "message"); m != nullptr && m->is_string()) a.message = *m;
    if (const auto* i = member(e, "id"); i != nullptr && i->is_string()) a.id = *i;
    out.push_back(std::move(a));
  }
  return out;
}

Pagination Response::pagination() const {
  Pagination p;
  const auto* pg = member(meta(), "pagination");
  if (pg == nullptr) return p;
  if (const auto* off = member(*pg, "offset")) {
    p.offset = json_int(off);
    if (off->is_string()) p.offset_text = off->get<std::string>();
  }
  p.limit = json_int(member(*pg, "limit"));
  p.total = json_int(member(*pg, "total"));
  if (const auto* a = member(*pg, "after"); a != nullptr && a->is_string()) p.after = *a;
  return p;
}

std::optional<std::chrono::system_clock::time_point> parse_retry_after(
    std::string_view value, bool relative_seconds, std::chrono::system_clock::time_point now) {
  auto n = to_int(value);
  // Past 2096 a value is garbage, and the clock's nanoseconds overflow in 2262: refuse it.
  constexpr std::int64_t kMaxSeconds = 4'000'000'000LL;
  if (!n || *n < 0 || *n > kMaxSeconds * 1000) return std::nullopt;
  using namespace std::chrono;
  if (relative_seconds) {
    if (*n > kMaxSeconds) return std::nullopt;
    return now + seconds(*n);
  }
  // The spec's text says milliseconds, the SDKs parse seconds: accept both.
  if (*n > 1'000'000'000'000LL) return system_clock::time_point(milliseconds(*n));
  if (*n > kMaxSeconds) return std::nullopt;
  return system_clock::time_point(seconds(*n));
}

RateLimit parse_rate_limit(const Headers& headers, std::chrono::system_clock::time_point now) {
  RateLimit r;
  if (auto v = header_value(headers, "X-RateLimit-Limit")) r.limit = to_int(*v);
  if (auto v = header_value(headers, "X-RateLimit-Remaining")) r.remaining = to_int(*v);
  if (auto v = header_value(headers, "X-RateLimit-RetryAfter")) {
    r.retry_after = parse_retry_after(*v, false, now);
  } else if (auto ra = header_value(headers, "Retry-After")) {
    r.retry_after = parse_retry_after(*ra, true, now);
  }
  return r;
}

RateLimit Response::rate_limit() const {
  return parse_rate_limit(headers, std::chrono::system_clock::now());
}

std::string Response::trace_id() const {
  if (auto v = header_value(headers, "X-CS-TRACEID")) return std::string(*v);
  if (const auto* t = member(meta(), "trace_id"); t != nullptr && t->is_string()) return *t;
  return {};
}

const Response& Response::raise_for_status() const {
  if (ok()) return *this;
  if (error) throw Exception(*error);
  auto errs = api_errors();
  throw Exception(status_code, errs.empty() ? std::string() : errs.front().message, trace_id());
}

Response make_response(HttpResponse&& http, bool expect_json) {
  Response r;
  r.status_code = http.status;
  r.headers = std::move(http.headers);
  if (http.body.empty()) {
    // 204 or a HEAD-like empty reply is fine; an empty body where JSON was promised is not.
    if (expect_json && http.status != 204) {
      Error e;
      e.kind = ErrorKind::decode;
      e.message = "empty body in HTTP " + std::to_string(http.status) + " reply; JSON expected";
      r.error = std::move(e);
    }
    return r;
  }
  r.body = nlohmann::json::parse(http.body, nullptr, /*allow_exceptions=*/false);
  if (r.body.is_discarded()) {
    r.body = nullptr;
    Error e;
    e.kind = ErrorKind::decode;
    std::string type(header_value(r.headers, "Content-Type").value_or("none"));
    if (type.size() > 100) type.resize(100);
    e.message = "HTTP " + std::to_string(http.status) + " reply is not JSON (Content-Type " + type +
                ", " + std::to_string(http.body.size()) +
                " bytes); check that base_url points at the Falcon API";
    r.error = std::move(e);
    r.text = std::move(http.body);
  }
  return r;
}

Response make_error_response(Error error) {
  Response r;
  r.attempts = error.attempts;
  r.error = std::move(error);
  return r;
}

}  // namespace falcon
