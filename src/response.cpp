// Response: the reply text is kept as received and validated once with simdjson; the
// nlohmann envelope (body()) is built only when asked for, and resources_as<Indicator>()
// decodes straight from the text. Header helpers are in http.cpp, rate-limit headers in
// rate_limit.cpp.
#include "falcon/response.hpp"

#include "response_internal.hpp"

#include <simdjson.h>

#include <array>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <mutex>
#include <utility>

#include "falcon/models.hpp"
#include "indicator_fields.hpp"
#include "json_number.hpp"
#include "strings.hpp"

namespace falcon {

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
  return internal::decimal_int64(s);
}

// A number (out of int64's range: nullopt, never a cast of it) or a string of digits.
std::optional<std::int64_t> json_int(const nlohmann::json* j) {
  if (j == nullptr) return std::nullopt;
  if (j->is_number()) return internal::json_number_to_int64(*j);
  if (j->is_string()) return to_int(j->get_ref<const std::string&>());
  return std::nullopt;
}

}  // namespace

namespace {

const std::string& empty_string() {
  static const std::string s;
  return s;
}

// One parser per thread keeps its buffers for the next reply; a very large reply gets a parser
// of its own so a thread does not hold a page-sized buffer forever.
constexpr std::size_t kKeepParserBytes = 4u << 20;

// The thread's parser still holds the document of the body it parsed last: a call followed by
// resources_as() on the same thread parses the reply once, not twice.
struct ThreadParser {
  simdjson::dom::parser parser;
  std::uint64_t parsed_id = 0;  // ResponseBody::id whose text the parser's document holds; 0: none
};

// One per thread, shared by every with_parser instantiation.
ThreadParser& thread_parser() {
  thread_local ThreadParser tp;
  return tp;
}

template <typename Fn>
auto with_parser(const internal::ResponseBody& body, Fn&& fn) {
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

bool simd_valid(const internal::ResponseBody& body) {
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
    const std::string_view s = v.get_string().value();
    if (out) {
      out->assign(s);  // a reused record (for_each_record) keeps its buffer
    } else {
      out.emplace(s);
    }
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

void take(element v, std::optional<IndicatorMetadata>& out) {
  out.reset();
  if (v.type() == element_type::OBJECT) decode(v, out.emplace());
}

// The record keys of api.IndicatorV1, from the rulebook's field table: each key's setter, in
// buckets by first letter so a key costs one or two comparisons (this runs for every key of
// every record of every page).
using Setter = void (*)(element, Indicator&);
struct KeySetter {
  std::string_view key;
  Setter set;
  std::size_t index;          // the field's position in the table
  void (*reset)(Indicator&);  // back to the field's default
};

template <std::size_t I>
void set_field(element v, Indicator& i) {
  take(v, std::get<I>(internal::kFieldRows).record(i));
}

void to_default(std::string& s) {
  s.clear();
}
template <class T>
void to_default(std::optional<T>& o) {
  o.reset();
}
void to_default(std::vector<std::string>& v) {
  v.clear();
}

template <std::size_t I>
void reset_field(Indicator& i) {
  to_default(std::get<I>(internal::kFieldRows).record(i));
}

template <std::size_t... I>
std::array<std::vector<KeySetter>, 128> build_setters(std::index_sequence<I...>) {
  std::array<std::vector<KeySetter>, 128> buckets;
  auto add = [&](auto index) {
    constexpr std::size_t kI = decltype(index)::value;
    const auto& row = std::get<kI>(internal::kFieldRows);
    if constexpr (internal::reaches<decltype(row.record), Indicator>) {
      if constexpr (std::is_lvalue_reference_v<decltype(row.record(std::declval<Indicator&>()))>) {
        if (row.field.record) {
          buckets[static_cast<unsigned char>(row.field.key.front()) & 0x7f].push_back(
              {row.field.key, &set_field<kI>, kI, &reset_field<kI>});
        }
      }
    }
  };
  (add(std::integral_constant<std::size_t, I>{}), ...);
  return buckets;
}

const std::array<std::vector<KeySetter>, 128>& setters() {
  static const auto kSetters = build_setters(std::make_index_sequence<internal::kFieldCount>{});
  return kSetters;
}

// Sets the fields of `i` whose bits are in `wanted` (all of them for a fresh record) from `obj`.
// Returns the bits of the fields it set.
std::uint64_t decode_fields(element obj, Indicator& i, std::uint64_t wanted) {
  if (obj.type() != element_type::OBJECT) return 0;
  const auto& buckets = setters();
  std::uint64_t set = 0;
  const simdjson::dom::object fields = obj.get_object().value();
  for (auto field : fields) {
    const std::string_view k = field.key;
    if (k.empty() || static_cast<unsigned char>(k.front()) >= 128) continue;
    for (const KeySetter& ks : buckets[static_cast<unsigned char>(k.front())]) {
      // Length and last byte first: they tell apart every pair of keys a bucket holds.
      if (ks.key.size() == k.size() && ks.key.back() == k.back() && ks.key == k) {
        if ((wanted >> ks.index & 1U) != 0) {
          ks.set(field.value, i);
          set |= std::uint64_t{1} << ks.index;
        }
        break;
      }
    }
  }
  return set;
}

void decode(element obj, Indicator& i) {
  decode_fields(obj, i, ~std::uint64_t{0});
}

// `i` (reused from the record before) as `obj`, in the fields of `wanted`: what the object does
// not set goes back to its default, so nothing of the record before stays.
void decode_reused(element obj, Indicator& i, std::uint64_t wanted) {
  static const auto kResets = [] {
    std::array<void (*)(Indicator&), internal::kFieldCount> r{};
    for (const auto& bucket : setters()) {
      for (const KeySetter& ks : bucket) r[ks.index] = ks.reset;
    }
    return r;
  }();
  std::uint64_t untouched = wanted & ~decode_fields(obj, i, wanted);
  while (untouched != 0) {
    const auto at = static_cast<std::size_t>(__builtin_ctzll(untouched));
    untouched &= untouched - 1;
    if (at < kResets.size() && kResets[at] != nullptr) kResets[at](i);
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
  internal::ResponseBody& b = *body_;
  std::call_once(b.once, [&b] {
    b.json = nlohmann::json::parse(b.text, nullptr, /*allow_exceptions=*/false);
    if (b.json.is_discarded()) b.json = nullptr;
  });
  b.decoded.store(true, std::memory_order_release);
  return b.json;
}

nlohmann::json& Response::mutable_body() {
  if (!body_) {
    body_ = std::make_shared<internal::ResponseBody>();
    body_->set_decoded(nullptr);
  } else if (body_.use_count() > 1) {
    auto copy = std::make_shared<internal::ResponseBody>();
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
  body_ = std::make_shared<internal::ResponseBody>();
  body_->set_decoded(std::move(body));
}

const std::string& Response::text() const noexcept {
  return body_ ? body_->text : empty_string();
}

void Response::indicators_fast(std::vector<Indicator>& result) const {
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
    if (out) {
      result = std::move(*out);
      return;
    }
  }
  const auto& r = resources();
  result.clear();
  result.reserve(r.size());
  for (const auto& item : r) result.push_back(item.get<Indicator>());
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
  auto& body = internal::ResponseAccess::body(r);
  body = std::make_shared<internal::ResponseBody>();
  internal::ResponseBody& b = *body;
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

namespace internal {

namespace {

class ElementRecord final : public RecordView {
 public:
  ElementRecord(const Indicator& slim, element e) : slim_(slim), e_(e) {}
  const Indicator& slim() const override { return slim_; }
  Indicator full() const override {
    Indicator i;
    decode(e_, i);
    return i;
  }

 private:
  const Indicator& slim_;
  element e_;
};

class DecodedRecord final : public RecordView {
 public:
  explicit DecodedRecord(const Indicator& i) : i_(i) {}
  const Indicator& slim() const override { return i_; }
  Indicator full() const override { return i_; }

 private:
  const Indicator& i_;
};

}  // namespace

void for_each_record(const Response& page, std::uint64_t fields,
                     const std::function<void(const RecordView&)>& fn) {
  const auto& body = ResponseAccess::body(page);
  if (body && body->fast_ok && !body->decoded.load(std::memory_order_acquire)) {
    const bool done = with_parser(*body, [&](simdjson::simdjson_result<element> doc) {
      if (doc.error() != simdjson::SUCCESS) return false;
      const std::optional<element> res = last_member(doc.value(), "resources");
      if (!res || res->type() == element_type::NULL_VALUE) return true;
      if (res->type() != element_type::ARRAY) return false;  // nlohmann's rules
      Indicator scratch;
      const simdjson::dom::array items = res->get_array().value();
      for (element item : items) {
        decode_reused(item, scratch, fields);
        fn(ElementRecord(scratch, item));
      }
      return true;
    });
    if (done) return;
  }
  for (const Indicator& i : page.resources_as<Indicator>()) fn(DecodedRecord(i));
}

PageShape page_shape(const Response& page) {
  const auto& body = ResponseAccess::body(page);
  if (body && body->fast_ok && !body->decoded.load(std::memory_order_acquire)) {
    std::optional<PageShape> fast =
        with_parser(*body, [](simdjson::simdjson_result<element> doc) -> std::optional<PageShape> {
          if (doc.error() != simdjson::SUCCESS) return std::nullopt;
          PageShape s;
          s.pagination = simd_pagination(doc.value());
          const std::optional<element> res = last_member(doc.value(), "resources");
          simdjson::dom::array items;
          if (res && res->get_array().get(items) == simdjson::SUCCESS) {
            s.has_resources = items.size() > 0;
          }
          return s;
        });
    if (fast) return std::move(*fast);
  }
  PageShape s;
  s.pagination = page.pagination();
  const auto& res = page.resources();
  s.has_resources = res.is_array() && !res.empty();
  return s;
}

}  // namespace internal

}  // namespace falcon
