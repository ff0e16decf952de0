// JSON feeds: a top-level array of indicator objects, the API's {"resources":[...]} envelope
// (both streamed one element at a time), and NDJSON (one object per line). Objects are read by
// the rulebook (rules::from_json), which refuses unknown keys so a typo is never dropped.
#include <optional>

#include "../strings.hpp"
#include "reader.hpp"

namespace falcon::internal::feed {

using nlohmann::json;

namespace {

using internal::is_space;
using internal::printable;
using internal::trim;

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

class JsonStream {
 public:
  using OnElement = std::function<void(const json&, std::size_t)>;

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
    while (!failed_ && !sink_.stopped()) {
      ++index_;
      if (!capture(text)) return;
      json j = parse_object_text(text, index_, sink_);
      if (j.is_discarded()) {
        ++sink_.summary().records;
      } else {
        on_element(j, index_);
      }
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

  // Captures one JSON value's text (or skips it), bounded by max_record_bytes.
  bool capture(std::string& out, bool skip = false) {
    out.clear();
    std::size_t n = 0;
    auto put = [&](int c) {
      if (++n > o_.max_record_bytes && !skip) {
        fail("element " + std::to_string(index_) + " is larger than " +
             std::to_string(o_.max_record_bytes) + " bytes");
        return false;
      }
      if (!skip) out += static_cast<char>(c);
      return true;
    };
    int c = r_.peek();
    if (c == EOF) {
      fail("unexpected end of input");
      return false;
    }
    if (c == '{' || c == '[' || c == '"') {
      long depth = 0;
      bool in_str = false, esc = false;
      while (true) {
        c = r_.get();
        if (c == EOF) {
          fail("unexpected end of input inside element " + std::to_string(index_));
          return false;
        }
        if (!put(c)) return false;
        if (in_str) {
          if (esc) {
            esc = false;
          } else if (c == '\\') {
            esc = true;
          } else if (c == '"') {
            in_str = false;
            if (depth == 0) return true;
          }
          continue;
        }
        if (c == '"') in_str = true;
        if (c == '{' || c == '[') ++depth;
        if (c == '}' || c == ']') {
          if (--depth == 0) return true;
        }
      }
    }
    while (c != EOF && c != ',' && c != ']' && c != '}' && !is_space(static_cast<char>(c))) {
      if (!put(r_.get())) return false;
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

void read_json(CharReader& r, Sink& sink) {
  JsonStream(r, sink).run([&](const json& j, std::size_t n) { add_json_object(j, n, sink); },
                          [&](const json& j, std::size_t n) { add_stix_object(j, n, sink); });
}

void read_ndjson(CharReader& r, Sink& sink) {
  read_lines(r, sink, [&](std::string_view raw, std::size_t n) {
    const auto v = trim(raw);
    if (v.empty()) return;
    json j = parse_object_text(std::string(v), n, sink);
    if (j.is_discarded()) {
      ++sink.summary().records;
      return;
    }
    add_json_object(j, n, sink);
  });
}

}  // namespace falcon::internal::feed
