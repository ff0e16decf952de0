// Response: the reply text is kept as received and validated once with simdjson; the
// nlohmann envelope (body()) is built only when asked for, and resources_as<Indicator>()
// decodes straight from the text.
#include "falcon/response.hpp"

#include "response_internal.hpp"

#include <simdjson.h>

#include <atomic>
#include <cctype>
#include <charconv>
#include <mutex>

#include "falcon/models.hpp"
#include "json_number.hpp"
#include "strings.hpp"

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

// A number (out of int64's range: nullopt, never a cast of it) or a string of digits.
std::optional<std::int64_t> json_int(const nlohmann::json* j) {
  if (j == nullptr) return std::nullopt;
  if (j->is_number()) return internal::json_number_to_int64(*j);
  if (j->is_string()) return to_int(j->get_ref<const std::string&>());
  return std::nullopt;
}

}  // namespace

struct Response::Body {
  Body() : id(next_id()) {}
  static std::uint64_t next_id() {
    static std::atomic<std::uint64_t> n{0};
    return n.fetch_add(1, std::memory_order_relaxed) + 1;
  }
  const std::uint64_t id;  // names this text in the thread's parser cache (with_parser)
  std::string text;
  bool fast_ok = false;  // simdjson accepted `text`, and `json` was not changed since
  std::once_flag once;
  std::atomic<bool> decoded{false};
  nlohmann::json json;  // valid once `decoded`

  // For a body whose JSON is already known (set_body, or decoded eagerly).
  void set_decoded(nlohmann::json j) {
    std::call_once(once, [&] { json = std::move(j); });
    decoded.store(true, std::memory_order_release);
  }
};

namespace {

const std::string& empty_string() {
  static const std::string s;
  return s;
}

// One parser per thread keeps its buffers for the next reply; a very large reply gets a parser
// of its own so a thread does not hold a page-sized buffer forever.
constexpr std::size_t kKeepParserBytes = 4u << 20;

// The thread's parser still holds the document of the Body it parsed last: a call followed by
// resources_as() on the same thread parses the reply once, not twice.
struct ThreadParser {
  simdjson::dom::parser parser;
  std::uint64_t parsed_id = 0;  // Body::id whose text the parser's document holds; 0: none
};

// One per thread, shared by every with_parser instantiation.
ThreadParser& thread_parser() {
  thread_local ThreadParser tp;
  return tp;
}

template <typename Fn>
auto with_parser(const Response::Body& body, Fn&& fn) {
  const std::string& text = body.text;
  const bool padded = text.capacity() - text.size() >= simdjson::SIMDJSON_PADDING;
  if (text.size() > kKeepParserBytes) {
    simdjson::dom::parser parser;
    return fn(parser.parse(text.data(), text.size(), /*realloc_if_needed=*/!padded));
  }
  ThreadParser& tp = thread_parser();
  if (tp.parsed_id == body.id) {
    return fn(simdjson::simdjson_result<simdjson::dom::element>(tp.parser.doc.root()));
  }
  tp.parsed_id = 0;
  auto doc = tp.parser.parse(text.data(), text.size(), /*realloc_if_needed=*/!padded);
  if (doc.error() == simdjson::SUCCESS) tp.parsed_id = body.id;
  return fn(doc);
}

bool simd_valid(const Response::Body& body) {
  return with_parser(body, [](simdjson::simdjson_result<simdjson::dom::element> doc) {
    return doc.error() == simdjson::SUCCESS;
  });
}

using simdjson::dom::element;
using simdjson::dom::element_type;

// The same leniency as models.cpp, where nlohmann keeps the last of repeated keys: a field takes
// the value of its key's last occurrence, and null or a value of another type leaves the field
// at its default. So every occurrence either sets the field or resets it.
void take(element v, std::string& out) {
  if (v.type() == element_type::STRING) {
    out.assign(std::string_view(v.get_string().value()));
  } else {
    out.clear();
  }
}
void take(element v, std::optional<std::string>& out) {
  if (v.type() == element_type::STRING) {
    out.emplace(std::string_view(v.get_string().value()));
  } else {
    out.reset();
  }
}
void take(element v, std::optional<bool>& out) {
  if (v.type() == element_type::BOOL) {
    out = v.get_bool().value();
  } else {
    out.reset();
  }
}
// A JSON number as internal::json_number_to_int64 reads it on the nlohmann path (a double
// truncated; anything out of int64's range nullopt). Anything else: nullopt.
std::optional<std::int64_t> number_as_int64(element v) {
  switch (v.type()) {
    case element_type::INT64:
      return v.get_int64().value();
    case element_type::UINT64:
      return internal::uint64_to_int64(v.get_uint64().value());
    case element_type::DOUBLE:
      return internal::double_to_int64(v.get_double().value());
    default:
      return std::nullopt;
  }
}
void take(element v, std::optional<std::int64_t>& out) {
  out = number_as_int64(v);
}
void take(element v, std::vector<std::string>& out) {
  out.clear();
  if (v.type() != element_type::ARRAY) return;
  const simdjson::dom::array arr = v.get_array().value();
  for (element e : arr) {
    if (e.type() != element_type::STRING) return;  // nlohmann throws: the field stays empty
  }
  out.reserve(arr.size());
  for (element e : arr) out.emplace_back(std::string_view(e.get_string().value()));
}

void decode(element obj, IndicatorMetadata& m) {
  const simdjson::dom::object fields = obj.get_object().value();
  for (auto field : fields) {
    const std::string_view k = field.key;
    const element v = field.value;
    if (k == "av_hits")
      take(v, m.av_hits);
    else if (k == "company_name")
      take(v, m.company_name);
    else if (k == "file_description")
      take(v, m.file_description);
    else if (k == "file_version")
      take(v, m.file_version);
    else if (k == "filename")
      take(v, m.filename);
    else if (k == "original_filename")
      take(v, m.original_filename);
    else if (k == "product_name")
      take(v, m.product_name);
    else if (k == "product_version")
      take(v, m.product_version);
    else if (k == "signed")
      take(v, m.signed_);
  }
}

void decode(element obj, Indicator& i) {
  if (obj.type() != element_type::OBJECT) return;
  const simdjson::dom::object fields = obj.get_object().value();
  for (auto field : fields) {
    const std::string_view k = field.key;
    const element v = field.value;
    switch (k.empty() ? '\0' : k.front()) {
      case 'a':
        if (k == "action")
          take(v, i.action);
        else if (k == "applied_globally")
          take(v, i.applied_globally);
        break;
      case 'c':
        if (k == "created_on")
          take(v, i.created_on);
        else if (k == "created_by")
          take(v, i.created_by);
        break;
      case 'd':
        if (k == "description")
          take(v, i.description);
        else if (k == "deleted")
          take(v, i.deleted);
        break;
      case 'e':
        if (k == "expiration")
          take(v, i.expiration);
        else if (k == "expired")
          take(v, i.expired);
        break;
      case 'f':
        if (k == "from_parent") take(v, i.from_parent);
        break;
      case 'h':
        if (k == "host_groups") take(v, i.host_groups);
        break;
      case 'i':
        if (k == "id") take(v, i.id);
        break;
      case 'm':
        if (k == "mobile_action")
          take(v, i.mobile_action);
        else if (k == "modified_on")
          take(v, i.modified_on);
        else if (k == "modified_by")
          take(v, i.modified_by);
        else if (k == "metadata") {
          i.metadata.reset();
          if (v.type() == element_type::OBJECT) decode(v, i.metadata.emplace());
        }
        break;
      case 'p':
        if (k == "platforms")
          take(v, i.platforms);
        else if (k == "parent_cid_name")
          take(v, i.parent_cid_name);
        break;
      case 's':
        if (k == "severity")
          take(v, i.severity);
        else if (k == "source")
          take(v, i.source);
        break;
      case 't':
        if (k == "type")
          take(v, i.type);
        else if (k == "tags")
          take(v, i.tags);
        break;
      case 'v':
        if (k == "value") take(v, i.value);
        break;
      default:
        break;
    }
  }
}

// The last `key` member of a top-level object (nlohmann keeps the last of repeated keys).
std::optional<element> last_member(element doc, std::string_view key) {
  if (doc.type() != element_type::OBJECT) return std::nullopt;
  std::optional<element> found;
  const simdjson::dom::object fields = doc.get_object().value();
  for (auto field : fields) {
    if (field.key == key) found = field.value;
  }
  return found;
}

}  // namespace

const nlohmann::json& Response::body() const {
  static const nlohmann::json null_json;
  if (!body_) return null_json;
  Body& b = *body_;
  std::call_once(b.once, [&b] {
    b.json = nlohmann::json::parse(b.text, nullptr, /*allow_exceptions=*/false);
    if (b.json.is_discarded()) b.json = nullptr;
  });
  b.decoded.store(true, std::memory_order_release);
  return b.json;
}

nlohmann::json& Response::mutable_body() {
  if (!body_) {
    body_ = std::make_shared<Body>();
    body_->set_decoded(nullptr);
  } else if (body_.use_count() > 1) {
    auto copy = std::make_shared<Body>();
    copy->text = body_->text;
    copy->set_decoded(body());
    body_ = std::move(copy);
  } else {
    (void)body();
  }
  body_->fast_ok = false;  // the caller may change it: typed reads go through the JSON now
  return body_->json;
}

void Response::set_body(nlohmann::json body) {
  body_ = std::make_shared<Body>();
  body_->set_decoded(std::move(body));
}

const std::string& Response::text() const noexcept {
  return body_ ? body_->text : empty_string();
}

std::vector<Indicator> Response::indicators_fast() const {
  if (body_ && body_->fast_ok && !body_->decoded.load(std::memory_order_acquire)) {
    std::optional<std::vector<Indicator>> out = with_parser(
        *body_,
        [](simdjson::simdjson_result<element> doc) -> std::optional<std::vector<Indicator>> {
          if (doc.error() != simdjson::SUCCESS) return std::nullopt;
          const std::optional<element> res = last_member(doc.value(), "resources");
          std::vector<Indicator> v;
          if (!res || res->type() == element_type::NULL_VALUE) return v;
          if (res->type() != element_type::ARRAY) return std::nullopt;  // nlohmann's rules
          auto arr = res->get_array().value();
          v.resize(arr.size());
          std::size_t n = 0;
          for (element item : arr) decode(item, v[n++]);
          return v;
        });
    if (out) return std::move(*out);
  }
  std::vector<Indicator> out;
  const auto& r = resources();
  out.reserve(r.size());
  for (const auto& item : r) out.push_back(item.get<Indicator>());
  return out;
}

const nlohmann::json& Response::resources() const noexcept {
  const auto* r = member(body(), "resources");
  return r != nullptr ? *r : empty_array();
}

const nlohmann::json& Response::errors() const noexcept {
  const auto* r = member(body(), "errors");
  return r != nullptr ? *r : empty_array();
}

const nlohmann::json& Response::meta() const noexcept {
  const auto* r = member(body(), "meta");
  return r != nullptr ? *r : empty_object();
}

std::vector<ApiError> Response::api_errors() const {
  std::vector<ApiError> out;
  for (const auto& e : errors()) {
    if (!e.is_object()) continue;
    ApiError a;
    // A code outside int's range is as good as none: 0.
    if (auto c = json_int(member(e, "code"))) a.code = internal::int64_to_int(*c).value_or(0);
    if (const auto* m = member(e, "message"); m != nullptr && m->is_string()) a.message = *m;
    if (const auto* i = member(e, "id"); i != nullptr && i->is_string()) a.id = *i;
    out.push_back(std::move(a));
  }
  return out;
}

namespace {

// json_int() of the text path: a number, or a string of digits.
std::optional<std::int64_t> simd_int(const std::optional<element>& v) {
  if (!v) return std::nullopt;
  if (v->type() == element_type::STRING) return to_int(v->get_string().value());
  return number_as_int64(*v);
}

// meta.pagination read from the reply text, for pagers that never need the whole envelope.
Pagination simd_pagination(element doc) {
  Pagination p;
  const auto meta = last_member(doc, "meta");
  if (!meta) return p;
  const auto pg = last_member(*meta, "pagination");
  if (!pg) return p;
  if (const auto off = last_member(*pg, "offset"); off && off->type() != element_type::NULL_VALUE) {
    p.offset = simd_int(off);
    if (off->type() == element_type::STRING) {
      p.offset_text = std::string(std::string_view(off->get_string().value()));
    }
  }
  p.limit = simd_int(last_member(*pg, "limit"));
  p.total = simd_int(last_member(*pg, "total"));
  if (const auto a = last_member(*pg, "after"); a && a->type() == element_type::STRING) {
    p.after = std::string(std::string_view(a->get_string().value()));
  }
  return p;
}

}  // namespace

Pagination Response::pagination() const {
  if (body_ && body_->fast_ok && !body_->decoded.load(std::memory_order_acquire)) {
    std::optional<Pagination> fast =
        with_parser(*body_, [](simdjson::simdjson_result<element> doc) {
          return doc.error() == simdjson::SUCCESS
                     ? std::optional<Pagination>(simd_pagination(doc.value()))
                     : std::nullopt;
        });
    if (fast) return std::move(*fast);
  }
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
  // One pass over the reply's few headers instead of a lookup per name; the first of repeated
  // fields counts.
  std::optional<std::string_view> limit, remaining, retry_after, retry_after_std;
  for (const auto& [name, value] : headers) {
    switch (name.size()) {
      case 17:
        if (!limit && internal::iequals(name, "X-RateLimit-Limit")) limit = value;
        break;
      case 21:
        if (!remaining && internal::iequals(name, "X-RateLimit-Remaining")) remaining = value;
        break;
      case 22:
        if (!retry_after && internal::iequals(name, "X-RateLimit-RetryAfter")) retry_after = value;
        break;
      case 11:
        if (!retry_after_std && internal::iequals(name, "Retry-After")) retry_after_std = value;
        break;
      default:
        break;
    }
  }
  RateLimit r;
  if (limit) r.limit = to_int(*limit);
  if (remaining) r.remaining = to_int(*remaining);
  if (retry_after) {
    r.retry_after = parse_retry_after(*retry_after, false, now);
  } else if (retry_after_std) {
    r.retry_after = parse_retry_after(*retry_after_std, true, now);
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
  r.body_ = std::make_shared<Response::Body>();
  Response::Body& b = *r.body_;
  b.text = std::move(http.body);
  if (simd_valid(b)) {
    b.fast_ok = true;
    return r;
  }
  // simdjson is stricter in places (integers past 64 bits, nesting past 1024): let nlohmann,
  // which body() uses, have the last word.
  nlohmann::json parsed = nlohmann::json::parse(b.text, nullptr, /*allow_exceptions=*/false);
  const bool is_json = !parsed.is_discarded();
  b.set_decoded(is_json ? std::move(parsed) : nlohmann::json(nullptr));
  if (!is_json) {
    Error e;
    e.kind = ErrorKind::decode;
    std::string type(header_value(r.headers, "Content-Type").value_or("none"));
    if (type.size() > 100) type.resize(100);
    e.message = "HTTP " + std::to_string(http.status) + " reply is not JSON (Content-Type " + type +
                ", " + std::to_string(b.text.size()) +
                " bytes); check that base_url points at the Falcon API";
    r.error = std::move(e);
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
