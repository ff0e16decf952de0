// STIX 2.1 bundles: indicator objects whose pattern is an equality, or an OR of equalities, on a
// hash, domain or IP address. Other objects are counted as skipped.
#include <cctype>

#include "../strings.hpp"
#include "reader.hpp"

namespace falcon::internal::feed {

using nlohmann::json;

// One STIX object: an indicator gives its entries (retired ones marked), anything else is
// skipped. Once the pattern is read, a failure of another field names the indicators, so sync
// keeps them as they are.
void add_stix_object(const json& j, std::size_t line, Sink& sink) {
  ReadSummary& s = sink.summary();
  if (!j.is_object()) {
    ++s.records;
    sink.error(line, "", "", "not a JSON object");
    return;
  }
  auto type = j.find("type");
  if (type == j.end() || !type->is_string() || *type != "indicator") {
    ++s.skipped;
    return;
  }
  ++s.records;
  auto pt = j.find("pattern_type");
  if (pt != j.end() && (!pt->is_string() || *pt != "stix")) {
    sink.error(line, "pattern_type", pt->is_string() ? pt->get<std::string>() : pt->dump(),
               "only STIX patterns are supported");
    return;
  }
  auto pat = j.find("pattern");
  if (pat == j.end() || !pat->is_string()) {
    sink.error(line, "pattern", "", "an indicator needs a string pattern");
    return;
  }
  std::string why;
  auto pairs = feeds::parse_stix_pattern(pat->get<std::string>(), &why);
  if (!pairs) {
    sink.error(line, "pattern", pat->get<std::string>(), why);
    return;
  }
  std::vector<rules::TypedValue> names;
  for (const auto& [t, v] : *pairs) {
    for (auto& n : names_of(t, v, sink.options().lookup)) names.push_back(std::move(n));
  }
  auto fail = [&](const char* field, const std::string& value, std::string reason) {
    sink.error(line, field, value, std::move(reason), names);
  };
  bool retire = false;
  if (auto rev = j.find("revoked"); rev != j.end() && !rev->is_null()) {
    if (!rev->is_boolean()) return fail("revoked", rev->dump(), "revoked must be true or false");
    retire = rev->get<bool>();
  }
  if (auto from = j.find("valid_from"); from != j.end() && !from->is_null()) {
    const auto t = from->is_string() ? rules::parse_time(from->get<std::string>()) : std::nullopt;
    if (!t) return fail("valid_from", from->dump(), "valid_from must be an RFC 3339 timestamp");
    const auto now =
        sink.options().clock ? sink.options().clock() : std::chrono::system_clock::now();
    if (rules::Time::from(now) < *t) {
      return fail("valid_from", from->get<std::string>(), "the indicator is not valid yet");
    }
  }
  IndicatorSpec base;
  auto name = j.find("name");
  auto desc = j.find("description");
  const bool has_name = name != j.end() && name->is_string() && !name->get<std::string>().empty();
  const bool has_desc = desc != j.end() && desc->is_string() && !desc->get<std::string>().empty();
  if (has_name && has_desc) {
    base.description = name->get<std::string>() + ": " + desc->get<std::string>();
  } else if (has_name) {
    base.description = name->get<std::string>();
  } else if (has_desc) {
    base.description = desc->get<std::string>();
  }
  auto until = j.find("valid_until");
  if (until != j.end() && !until->is_null()) {
    if (!until->is_string())
      return fail("valid_until", until->dump(), "must be a timestamp string");
    base.expiration = until->get<std::string>();
  }
  // Custom properties a producer (falcon-ioc's TAXII source, after its mapping) sets per
  // object; the rulebook judges them like any other field.
  const std::pair<const char*, std::optional<std::string>*> custom[] = {
      {"x_falcon_action", &base.action}, {"x_falcon_severity", &base.severity}};
  for (const auto& [key, field] : custom) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_string()) return fail(key, it->dump(), "must be a string");
    *field = it->get<std::string>();
  }
  auto labels = j.find("labels");
  if (labels != j.end() && labels->is_array()) {
    std::vector<std::string> tags;
    for (const auto& l : *labels) {
      if (l.is_string()) tags.push_back(l.get<std::string>());
    }
    base.tags = std::move(tags);
  }
  for (auto& [t, v] : *pairs) {
    IndicatorSpec spec = base;
    spec.type = t;
    spec.value = v;
    if (!sink.add(std::move(spec), line, retire)) return;
  }
}

}  // namespace falcon::internal::feed

namespace falcon::feeds {

using internal::is_space;
using internal::lower;
using internal::printable;

std::optional<std::vector<std::pair<std::string, std::string>>> parse_stix_pattern(
    std::string_view p, std::string* reason) {
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  auto refuse = [&](std::string why) -> std::optional<Pairs> {
    if (reason) *reason = std::move(why);
    return std::nullopt;
  };
  std::size_t i = 0;
  auto ws = [&] {
    while (i < p.size() && is_space(p[i])) ++i;
  };
  auto keyword = [&](std::string_view k) {
    ws();
    if (p.substr(i, k.size()) != k) return false;
    const std::size_t after = i + k.size();
    if (after < p.size() &&
        (std::isalnum(static_cast<unsigned char>(p[after])) || p[after] == '_')) {
      return false;
    }
    i = after;
    return true;
  };
  Pairs out;
  if (p.size() > 1 << 20) return refuse("pattern longer than 1 MiB");
  while (true) {
    ws();
    if (i >= p.size() || p[i] != '[') {
      return refuse("expected '[' at character " + std::to_string(i + 1) +
                    " (only [a = 'x' OR b = 'y'] patterns are supported)");
    }
    ++i;
    while (true) {
      ws();
      // Object path: type ':' property, with quoted segments such as hashes.'SHA-256'.
      std::string path;
      while (i < p.size() && !is_space(p[i]) && p[i] != '=' && p[i] != '!' && p[i] != '<' &&
             p[i] != '>' && p[i] != ']') {
        if (p[i] == '\'') {
          const std::size_t close = p.find('\'', i + 1);
          if (close == std::string_view::npos) return refuse("unterminated quote in object path");
          path.append(p.substr(i + 1, close - i - 1));
          i = close + 1;
          continue;
        }
        path += p[i++];
      }
      std::string type;
      const std::string lp = lower(path);
      if (lp == "file:hashes.sha-256" || lp == "file:hashes.sha256") {
        type = "sha256";
      } else if (lp == "file:hashes.md5") {
        type = "md5";
      } else if (lp == "domain-name:value") {
        type = "domain";
      } else if (lp == "ipv4-addr:value") {
        type = "ipv4";
      } else if (lp == "ipv6-addr:value") {
        type = "ipv6";
      } else if (path.empty()) {
        return refuse("expected an object path at character " + std::to_string(i + 1));
      } else {
        return refuse("unsupported object path '" + printable(path) +
                      "' (supported: file:hashes.'SHA-256', file:hashes.MD5, domain-name:value, "
                      "ipv4-addr:value, ipv6-addr:value)");
      }
      ws();
      if (i >= p.size() || p[i] != '=') {
        return refuse("unsupported comparison after '" + printable(path) +
                      "': only '=' is supported");
      }
      ++i;
      ws();
      if (i >= p.size() || p[i] != '\'') return refuse("expected a quoted string after '='");
      ++i;
      std::string value;
      bool closed = false;
      while (i < p.size()) {
        const char c = p[i++];
        if (c == '\\' && i < p.size()) {
          value += p[i++];
        } else if (c == '\'') {
          closed = true;
          break;
        } else {
          value += c;
        }
      }
      if (!closed) return refuse("unterminated string in the pattern");
      out.emplace_back(type, std::move(value));
      if (out.size() > 10'000) return refuse("more than 10,000 values in one pattern");
      if (keyword("OR")) continue;
      ws();
      if (i < p.size() && p[i] == ']') {
        ++i;
        break;
      }
      if (keyword("AND")) return refuse("AND is not supported (only OR of equalities)");
      return refuse("unsupported syntax at character " + std::to_string(i + 1) +
                    " (only OR of equalities is supported)");
    }
    if (keyword("OR")) continue;
    ws();
    if (i == p.size()) return out;
    return refuse("unsupported syntax after ']' at character " + std::to_string(i + 1) +
                  " (AND, FOLLOWEDBY and qualifiers are not supported)");
  }
}

}  // namespace falcon::feeds
