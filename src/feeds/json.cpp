// JSON feeds: a top-level array of indicator objects, the API's {"resources":[...]} envelope
// (both streamed one element at a time), and NDJSON (one object per line). Objects are read by
// the rulebook (rules::from_json), which refuses unknown keys so a typo is never dropped.
// Objects of the common shape (known keys holding strings, lists of strings, booleans or null)
// are read straight into the entry, by hand when plain ASCII without escapes, else by simdjson;
// anything else takes the tree, which owns every message, so the paths give the same entries
// and issues (tests/unit/fast_paths_test.cpp holds them equal).
#include <cstdint>
#include <optional>
#include <type_traits>

#include <simdjson.h>

#include "../indicator_fields.hpp"
#include "../strings.hpp"
#include "reader.hpp"

namespace falcon::internal::feed {

using nlohmann::json;

namespace {

using internal::is_space;
using internal::printable;
using internal::trim;

// Per thread: a test switches its own reads, never another thread's.
thread_local bool t_fast_objects = true;
thread_local std::size_t t_fast_read = 0;

std::string string_member(const json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void add_json_object(const json& j, std::size_t line, Sink& sink) {
  ++sink.summary().records;
  IndicatorSpec spec;
  if (auto p = rules::from_json(j, spec, rules::UnknownKeys::refuse)) {
    std::vector<rules::TypedValue> names;
    if (p->field != "type" && p->field != "value") {
      names = names_of(string_member(j, "type"), string_member(j, "value"), sink.options().lookup);
    }
    sink.error(line, p->field, p->value, p->reason, std::move(names));
    return;
  }
  sink.add(std::move(spec), line);
}

// One member's value, as the fast paths read it.
struct Value {
  enum Kind { string, boolean, null, list } kind = null;
  std::string_view text;                                 // string
  bool flag = false;                                     // boolean
  const std::vector<std::string_view>* items = nullptr;  // list (of strings)
};

// Sets the member `key` of `spec` from `v`. False sends the object down the tree path: a key
// that is unknown or given twice (`seen`), a value of another kind, metadata.
bool assign(std::string_view key, const Value& v, IndicatorSpec& spec, std::uint32_t& seen) {
  static_assert(internal::kFieldCount <= 32, "one bit per field");
  bool ok = false, found = false;
  std::size_t index = 0;
  internal::for_each_field([&](const auto& r) {
    const std::size_t i = index++;
    if (found || r.field.key != key) return;
    found = true;
    if ((seen & (1u << i)) != 0) return;
    seen |= 1u << i;
    if (!r.field.create && !r.field.update) {
      ok = true;  // a record-only key (created_on, ...), skipped whatever it holds
      return;
    }
    if constexpr (internal::reaches<decltype(r.spec), IndicatorSpec>) {
      auto& m = r.spec(spec);
      using M = std::decay_t<decltype(m)>;
      if (v.kind == Value::null) {
        ok = !std::is_same_v<M, std::optional<json>>;
      } else if constexpr (std::is_same_v<M, std::optional<std::string>>) {
        if (v.kind != Value::string) return;
        m.emplace(v.text);
        ok = true;
      } else if constexpr (std::is_same_v<M, std::optional<std::vector<std::string>>>) {
        if (v.kind != Value::list) return;
        m.emplace(v.items->begin(), v.items->end());
        ok = true;
      } else if constexpr (std::is_same_v<M, std::optional<bool>>) {
        if (v.kind != Value::boolean) return;
        m = v.flag;
        ok = true;
      }
    }
  });
  return ok;
}

// The commonest objects, read by hand: strings of printable ASCII without escapes, lists of
// them, true, false, null. What this reads, any JSON parser reads the same; anything else
// returns false (to simdjson's path, then the tree's).
class TinyObject {
 public:
  explicit TinyObject(std::string_view t) : t_(t) {}

  bool read(IndicatorSpec& spec) {
    std::uint32_t seen = 0;
    ws();
    if (!eat('{')) return false;
    ws();
    if (!eat('}')) {
      while (true) {
        std::string_view key;
        Value v;
        if (!string(key)) return false;
        ws();
        if (!eat(':')) return false;
        ws();
        if (!value(v) || !assign(key, v, spec, seen)) return false;
        ws();
        if (eat('}')) break;
        if (!eat(',')) return false;
        ws();
      }
    }
    ws();
    return i_ == t_.size();
  }

 private:
  void ws() {
    while (i_ < t_.size() &&
           (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) {
      ++i_;
    }
  }
  bool eat(char c) {
    if (i_ < t_.size() && t_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool word(std::string_view w) {
    if (t_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  bool string(std::string_view& out) {
    if (!eat('"')) return false;
    const std::size_t start = i_;
    for (; i_ < t_.size(); ++i_) {
      const auto c = static_cast<unsigned char>(t_[i_]);
      if (c == '"') {
        out = t_.substr(start, i_ - start);
        ++i_;
        return true;
      }
      if (c < 0x20 || c >= 0x7f || c == '\\') return false;
    }
    return false;
  }
  bool value(Value& v) {
    if (i_ >= t_.size()) return false;
    switch (t_[i_]) {
      case '"':
        v.kind = Value::string;
        return string(v.text);
      case 't':
        v.kind = Value::boolean;
        v.flag = true;
        return word("true");
      case 'f':
        v.kind = Value::boolean;
        return word("false");
      case 'n':
        v.kind = Value::null;
        return word("null");
      case '[': {
        ++i_;
        items_.clear();
        ws();
        if (!eat(']')) {
          while (true) {
            std::string_view item;
            if (!string(item)) return false;
            items_.push_back(item);
            ws();
            if (eat(']')) break;
            if (!eat(',')) return false;
            ws();
          }
        }
        v.kind = Value::list;
        v.items = &items_;
        return true;
      }
      default:
        return false;
    }
  }

  std::string_view t_;
  std::size_t i_ = 0;
  std::vector<std::string_view> items_;
};

// The common object read by simdjson, without a tree: what TinyObject turns away for an escape
// or a byte past ASCII. False sends it down the tree path: not an object, what assign() refuses,
// a \u escape (the two parsers differ on lone surrogates) or a nesting cap below an object's
// own depth.
bool fast_object(simdjson::dom::parser& parser, const std::string& text, IndicatorSpec& spec,
                 int max_depth) {
  if (max_depth < 2 || text.empty() || text.front() != '{') return false;
  if (text.find("\\u") != std::string::npos) return false;
  const bool padded = text.capacity() - text.size() >= simdjson::SIMDJSON_PADDING;
  simdjson::dom::object obj;
  if (parser.parse(text.data(), text.size(), !padded).get_object().get(obj) != simdjson::SUCCESS) {
    return false;
  }
  std::uint32_t seen = 0;
  std::vector<std::string_view> items;
  for (const auto field : obj) {
    const simdjson::dom::element e = field.value;
    Value v;
    switch (e.type()) {
      case simdjson::dom::element_type::STRING:
        v.kind = Value::string;
        v.text = e.get_string().value();
        break;
      case simdjson::dom::element_type::BOOL:
        v.kind = Value::boolean;
        v.flag = e.get_bool().value();
        break;
      case simdjson::dom::element_type::NULL_VALUE:
        v.kind = Value::null;
        break;
      case simdjson::dom::element_type::ARRAY: {
        items.clear();
        const simdjson::dom::array a = e.get_array().value();
        for (const auto item : a) {
          std::string_view str;
          if (item.get_string().get(str) != simdjson::SUCCESS) return false;
          items.push_back(str);
        }
        v.kind = Value::list;
        v.items = &items;
        break;
      }
      default:
        return false;
    }
    if (!assign(field.key, v, spec, seen)) return false;
  }
  return true;
}

// An indicator object's captured text: the fast path when it applies, the tree otherwise.
void add_object_text(std::string& text, std::size_t line, Sink& sink,
                     simdjson::dom::parser& parser) {
  if (fast_objects_enabled() && sink.options().max_depth >= 2) {
    IndicatorSpec spec;
    bool read = TinyObject(text).read(spec);
    if (!read) {
      spec = IndicatorSpec{};  // what the tiny reader set before it gave up
      read = fast_object(parser, text, spec, sink.options().max_depth);
    }
    if (read) {
      ++t_fast_read;
      ++sink.summary().records;
      sink.add(std::move(spec), line);
      return;
    }
  }
  json j = parse_object_text(text, line, sink);
  if (j.is_discarded()) {
    ++sink.summary().records;
    return;
  }
  add_json_object(j, line, sink);
}

class JsonStream {
 public:
  using OnElement = std::function<void(std::string&, std::size_t)>;

  JsonStream(CharReader& r, Sink& sink) : r_(r), o_(sink.options()), sink_(sink) {}

  // The content decides: a top-level array or a "resources" array holds indicator objects,
  // an "objects" array is a STIX bundle's, wherever its "type": "bundle" sits.
  void run(const OnElement& on_indicator, const OnElement& on_stix) {
    skip_ws();
    const int c = r_.get();
    if (c == '[') {
      array(on_indicator);
    } else if (c == '{') {
      object(on_indicator, on_stix);
    } else {
      sink_.fatal(1, "", "expected a JSON array or object at the start of the input");
      return;
    }
    if (failed_ || sink_.stopped()) return;
    skip_ws();
    if (r_.peek() != EOF) sink_.fatal(index_, "", "unexpected data after the JSON document");
  }

 private:
  void skip_ws() {
    while (r_.peek() != EOF && is_space(static_cast<char>(r_.peek()))) r_.get();
  }

  void fail(std::string why) {
    failed_ = true;
    sink_.fatal(index_, "", std::move(why));
  }

  void array(const OnElement& on_element) {
    skip_ws();
    if (r_.peek() == ']') {
      r_.get();
      return;
    }
    std::string text;
    text.reserve(4096);  // with simdjson's padding, objects parse in place
    while (!failed_ && !sink_.stopped()) {
      ++index_;
      if (!capture(text)) return;
      on_element(text, index_);
      skip_ws();
      const int c = r_.get();
      if (c == ']') return;
      if (c != ',') {
        return fail("expected ',' or ']' after array element " + std::to_string(index_));
      }
      skip_ws();
    }
  }

  void object(const OnElement& on_indicator, const OnElement& on_stix) {
    std::string array_key;  // "objects" or "resources", once seen
    std::optional<std::string> type;
    std::string text;
    while (!failed_ && !sink_.stopped()) {
      skip_ws();
      int c = r_.peek();
      if (c == '}') {
        r_.get();
        break;
      }
      if (c != '"') return fail("expected a key in the top-level object");
      if (!capture(text)) return;
      json key = json::parse(text, nullptr, false);
      if (!key.is_string()) return fail("bad key in the top-level object");
      skip_ws();
      if (r_.get() != ':') return fail("expected ':' after a key in the top-level object");
      skip_ws();
      const auto k = key.get<std::string>();
      if ((k == "objects" || k == "resources") && r_.peek() == '[') {
        if (!array_key.empty()) {
          return fail("the top-level object has both \"" + array_key + "\" and \"" + k + "\"");
        }
        if (k == "objects" && type && *type != "bundle") {
          return fail("an \"objects\" array in an object of type '" + *type + "', not 'bundle'");
        }
        r_.get();
        array_key = k;
        array(k == "objects" ? on_stix : on_indicator);
      } else if (k == "type") {
        if (!capture(text)) return;
        json t = json::parse(text, nullptr, false);
        type = t.is_string() ? t.get<std::string>() : text.substr(0, 40);
      } else {
        if (!capture(text, true)) return;
      }
      if (failed_ || sink_.stopped()) return;
      skip_ws();
      c = r_.get();
      if (c == '}') break;
      if (c != ',') return fail("expected ',' or '}' in the top-level object");
    }
    if (failed_ || sink_.stopped()) return;
    if (array_key.empty()) {
      return fail("the top-level object has no \"objects\" or \"resources\" array");
    }
    if (array_key == "objects" && type.value_or("") != "bundle") {
      return fail(type ? "a STIX bundle's type is 'bundle', not '" + *type + "'"
                       : "an \"objects\" array without \"type\": \"bundle\" is no STIX bundle");
    }
    if (array_key == "resources" && type == std::optional<std::string>("bundle")) {
      fail("a bundle holds its objects in \"objects\", not \"resources\"");
    }
  }

  // Captures one JSON value's text (or skips it), bounded by max_record_bytes. Containers and
  // strings are scanned a buffered run at a time.
  bool capture(std::string& out, bool skip = false) {
    out.clear();
    const std::size_t max = o_.max_record_bytes;
    auto too_large = [&] {
      fail("element " + std::to_string(index_) + " is larger than " + std::to_string(max) +
           " bytes");
      return false;
    };
    int c = r_.peek();
    if (c == EOF) {
      fail("unexpected end of input");
      return false;
    }
    std::size_t n = 0;
    if (c == '{' || c == '[' || c == '"') {
      long depth = 0;
      bool in_str = false, esc = false;
      while (true) {
        const std::string_view w = r_.window();
        if (w.empty()) {
          fail("unexpected end of input inside element " + std::to_string(index_));
          return false;
        }
        std::size_t i = 0;
        bool done = false;
        for (; i < w.size() && !done; ++i) {
          const char ch = w[i];
          if (in_str) {
            if (esc) {
              esc = false;
            } else if (ch == '\\') {
              esc = true;
            } else if (ch == '"') {
              in_str = false;
              done = depth == 0;
            }
          } else if (ch == '"') {
            in_str = true;
          } else if (ch == '{' || ch == '[') {
            ++depth;
          } else if (ch == '}' || ch == ']') {
            done = --depth == 0;
          }
        }
        n += i;
        if (!skip) {
          if (n > max) return too_large();
          out.append(w.data(), i);
        }
        r_.advance(i);
        if (done) return true;
      }
    }
    while (c != EOF && c != ',' && c != ']' && c != '}' && !is_space(static_cast<char>(c))) {
      if (++n > max && !skip) return too_large();
      if (!skip)
        out += static_cast<char>(r_.get());
      else
        r_.get();
      c = r_.peek();
    }
    if (n == 0) {
      fail("expected a JSON value");
      return false;
    }
    return true;
  }

  CharReader& r_;
  const ReadOptions& o_;
  Sink& sink_;
  std::size_t index_ = 0;
  bool failed_ = false;
};

}  // namespace

json parse_object_text(const std::string& text, std::size_t line, Sink& sink) {
  const int max_depth = sink.options().max_depth;
  if (json_depth(text) > max_depth) {
    sink.error(line, "", "", "JSON nested deeper than " + std::to_string(max_depth) + " levels");
    return json(json::value_t::discarded);
  }
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) sink.error(line, "", printable(text), "not valid JSON");
  return j;
}

bool fast_objects_enabled() {
  return t_fast_objects;
}
void set_fast_objects(bool on) {
  t_fast_objects = on;
}
std::size_t fast_objects_read() {
  return t_fast_read;
}

void read_json(CharReader& r, Sink& sink) {
  simdjson::dom::parser parser;
  JsonStream(r, sink).run(
      [&](std::string& text, std::size_t n) { add_object_text(text, n, sink, parser); },
      [&](std::string& text, std::size_t n) {
        json j = parse_object_text(text, n, sink);
        if (j.is_discarded()) {
          ++sink.summary().records;
          return;
        }
        add_stix_object(j, n, sink);
      });
}

void read_ndjson(CharReader& r, Sink& sink) {
  simdjson::dom::parser parser;
  std::string text;
  text.reserve(4096);
  read_lines(r, sink, [&](std::string_view raw, std::size_t n) {
    const auto v = trim(raw);
    if (v.empty()) return;
    text.assign(v);
    add_object_text(text, n, sink, parser);
  });
}

}  // namespace falcon::internal::feed
