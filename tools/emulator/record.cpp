#include "record.hpp"

#include <algorithm>

#include "util.hpp"
#include "validate.hpp"

namespace falcon::emulator {

using nlohmann::json;

namespace {

enum Key : std::uint32_t {
  kAction = 1u << 0,
  kAppliedGlobally = 1u << 1,
  kCreatedBy = 1u << 2,
  kCreatedOn = 1u << 3,
  kDeleted = 1u << 4,
  kDescription = 1u << 5,
  kExpiration = 1u << 6,
  kExpired = 1u << 7,
  kFromParent = 1u << 8,
  kHostGroups = 1u << 9,
  kMetadata = 1u << 10,
  kMobileAction = 1u << 11,
  kModifiedBy = 1u << 12,
  kModifiedOn = 1u << 13,
  kPlatforms = 1u << 14,
  kSeverity = 1u << 15,
  kSource = 1u << 16,
  kTags = 1u << 17,
  kType = 1u << 18,
  kValue = 1u << 19,
  kFilename = 1u << 20,  // metadata.filename
};

enum Flag : std::uint8_t { kIsDeleted = 1, kIsExpired = 2, kIsGlobal = 4, kIsFromParent = 8 };

std::optional<std::uint8_t> code_of(const json& v, const std::vector<std::string>& set) {
  if (!v.is_string()) return std::nullopt;
  const auto& s = v.get_ref<const std::string&>();
  for (std::size_t i = 0; i < set.size(); ++i) {
    if (set[i] == s) return static_cast<std::uint8_t>(i);
  }
  return std::nullopt;
}

std::optional<std::int64_t> time_of(const json& v) {
  if (!v.is_string()) return std::nullopt;
  const auto t = parse_time(v.get_ref<const std::string&>());
  if (!t) return std::nullopt;
  return to_ns(*t);
}

bool strings_of(const json& v, std::vector<std::string>& out) {
  if (!v.is_array()) return false;
  for (const auto& e : v) {
    if (!e.is_string()) return false;
    out.push_back(e.get<std::string>());
  }
  return true;
}

// Fills `r` from `rec`; false when some key or value has no compact form.
bool compact(const json& rec, NamePool& names, Record& r) {
  if (!rec.is_object()) return false;
  for (const auto& item : rec.items()) {
    const std::string& key = item.key();
    const json& v = item.value();  // a named variable: C++17 lambdas cannot capture a binding
    const auto flag = [&](std::uint32_t bit, std::uint8_t f) {
      if (!v.is_boolean()) return false;
      r.present |= bit;
      if (v.get<bool>()) r.flags |= f;
      return true;
    };
    const auto text = [&](std::uint32_t bit, std::string& out) {
      if (!v.is_string()) return false;
      r.present |= bit;
      out = v.get<std::string>();
      return true;
    };
    const auto code = [&](std::uint32_t bit, std::uint8_t& out, const std::vector<std::string>& s) {
      const auto c = code_of(v, s);
      if (!c) return false;
      r.present |= bit;
      out = *c;
      return true;
    };
    const auto when = [&](std::uint32_t bit, std::int64_t& out) {
      const auto t = time_of(v);
      if (!t) return false;
      r.present |= bit;
      out = *t;
      return true;
    };
    const auto name = [&](std::uint32_t bit, std::uint16_t& out) {
      if (!v.is_string()) return false;
      const auto n = names.intern(v.get<std::string>());
      if (!n) return false;
      r.present |= bit;
      out = *n;
      return true;
    };
    bool ok = false;
    if (key == "id") {
      ok = v.is_string();  // the store's key
    } else if (key == "value") {
      ok = text(kValue, r.value);
    } else if (key == "source") {
      ok = text(kSource, r.source);
    } else if (key == "description") {
      ok = text(kDescription, r.description);
    } else if (key == "type") {
      ok = code(kType, r.type, indicator_types());
    } else if (key == "action") {
      ok = code(kAction, r.action, indicator_actions());
    } else if (key == "severity") {
      ok = code(kSeverity, r.severity, indicator_severities());
    } else if (key == "mobile_action") {
      ok = code(kMobileAction, r.mobile_action, mobile_actions());
    } else if (key == "created_on") {
      ok = when(kCreatedOn, r.created_on);
    } else if (key == "modified_on") {
      ok = when(kModifiedOn, r.modified_on);
    } else if (key == "expiration") {
      ok = when(kExpiration, r.expiration);
    } else if (key == "created_by") {
      ok = name(kCreatedBy, r.created_by);
    } else if (key == "modified_by") {
      ok = name(kModifiedBy, r.modified_by);
    } else if (key == "deleted") {
      ok = flag(kDeleted, kIsDeleted);
    } else if (key == "expired") {
      ok = flag(kExpired, kIsExpired);
    } else if (key == "applied_globally") {
      ok = flag(kAppliedGlobally, kIsGlobal);
    } else if (key == "from_parent") {
      ok = flag(kFromParent, kIsFromParent);
    } else if (key == "tags") {
      r.present |= kTags;
      ok = strings_of(v, r.tags);
    } else if (key == "host_groups") {
      r.present |= kHostGroups;
      ok = strings_of(v, r.host_groups);
    } else if (key == "platforms") {
      r.present |= kPlatforms;
      ok = v.is_array() && v.size() <= r.platforms.size();
      for (std::size_t i = 0; ok && i < v.size(); ++i) {
        const auto c = code_of(v[i], indicator_platforms());
        ok = c.has_value();
        if (ok) r.platforms[r.platform_count++] = *c;
      }
    } else if (key == "metadata") {
      r.present |= kMetadata;
      ok = v.is_object() && v.size() <= 1;
      if (ok && v.size() == 1) {
        const auto f = v.find("filename");
        ok = f != v.end() && f->is_string();
        if (ok) {
          r.present |= kFilename;
          r.filename = f->get<std::string>();
        }
      }
    }
    if (!ok) return false;
  }
  return true;
}

json strings_json(const std::vector<std::string>& v) {
  json out = json::array();
  for (const auto& s : v) out.push_back(s);
  return out;
}

}  // namespace

std::optional<std::uint16_t> NamePool::intern(const std::string& name) {
  if (auto it = index_.find(name); it != index_.end()) return it->second;
  if (list_.size() >= 0xFFFF) return std::nullopt;
  const auto i = static_cast<std::uint16_t>(list_.size());
  list_.push_back(name);
  index_.emplace(name, i);
  return i;
}

void NamePool::clear() {
  list_.clear();
  index_.clear();
}

Record Record::from_json(const json& rec, NamePool& names) {
  Record r;
  if (compact(rec, names, r) && r.to_json(rec.at("id").get<std::string>(), names) == rec) {
    return r;
  }
  Record verbatim;
  verbatim.raw = std::make_unique<json>(rec);
  return verbatim;
}

json Record::to_json(const std::string& id, const NamePool& names,
                     const std::vector<std::string>* only) const {
  if (raw) return *raw;
  json j = json::object();
  j["id"] = id;
  const auto has = [&](std::uint32_t bit) { return (present & bit) != 0; };
  const auto want = [&](const char* key) {
    return only == nullptr || std::find(only->begin(), only->end(), key) != only->end();
  };
  if (has(kValue) && want("value")) j["value"] = value;
  if (has(kSource) && want("source")) j["source"] = source;
  if (has(kDescription) && want("description")) j["description"] = description;
  if (has(kType) && want("type")) j["type"] = indicator_types()[type];
  if (has(kAction) && want("action")) j["action"] = indicator_actions()[action];
  if (has(kSeverity) && want("severity")) j["severity"] = indicator_severities()[severity];
  if (has(kMobileAction) && want("mobile_action"))
    j["mobile_action"] = mobile_actions()[mobile_action];
  if (has(kCreatedOn) && want("created_on")) j["created_on"] = format_time(from_ns(created_on));
  if (has(kModifiedOn) && want("modified_on")) j["modified_on"] = format_time(from_ns(modified_on));
  if (has(kExpiration) && want("expiration")) j["expiration"] = format_time(from_ns(expiration));
  if (has(kCreatedBy) && want("created_by")) j["created_by"] = names.at(created_by);
  if (has(kModifiedBy) && want("modified_by")) j["modified_by"] = names.at(modified_by);
  if (has(kDeleted) && want("deleted")) j["deleted"] = (flags & kIsDeleted) != 0;
  if (has(kExpired) && want("expired")) j["expired"] = (flags & kIsExpired) != 0;
  if (has(kAppliedGlobally) && want("applied_globally"))
    j["applied_globally"] = (flags & kIsGlobal) != 0;
  if (has(kFromParent) && want("from_parent")) j["from_parent"] = (flags & kIsFromParent) != 0;
  if (has(kTags) && want("tags")) j["tags"] = strings_json(tags);
  if (has(kHostGroups) && want("host_groups")) j["host_groups"] = strings_json(host_groups);
  if (has(kPlatforms) && want("platforms")) {
    json p = json::array();
    for (std::uint8_t i = 0; i < platform_count; ++i)
      p.push_back(indicator_platforms()[platforms[i]]);
    j["platforms"] = std::move(p);
  }
  if (has(kMetadata) && want("metadata")) {
    j["metadata"] = json::object();
    if (has(kFilename) && want("metadata")) j["metadata"]["filename"] = filename;
  }
  return j;
}

void Record::expire() {
  if (raw) {
    (*raw)["expired"] = true;
    (*raw)["action"] = "no_action";
    return;
  }
  present |= kExpired | kAction;
  flags |= kIsExpired;
  action = 0;  // indicator_actions()[0] is no_action
}

}  // namespace falcon::emulator

namespace falcon::emulator {

namespace {

// Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF), as nlohmann reads it.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return false;
    }
    i += n + 1;
  }
  return true;
}

void append_bool(std::string& out, bool v) {
  out += v ? "true" : "false";
}

void append_strings(std::string& out, const std::vector<std::string>& v) {
  out += '[';
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, v[i]);
  }
  out += ']';
}

void append_time(std::string& out, std::int64_t ns) {
  out += '"';
  append_fql_time(out, to_fql_time(from_ns(ns)));
  out += '"';
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  bool ascii = true;
  for (char ch : s) ascii = ascii && static_cast<unsigned char>(ch) < 0x80;
  if (!ascii && !valid_utf8(s)) {
    out += nlohmann::json(std::string(s))
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  out += '"';
  std::size_t run = 0;  // start of the bytes not yet copied
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void Record::append_json(std::string& out, const std::string& id, const NamePool& names) const {
  if (raw) {
    out += raw->dump(-1, ' ', false, json::error_handler_t::replace);
    return;
  }
  const auto has = [&](std::uint32_t bit) { return (present & bit) != 0; };
  // Keys in nlohmann's order (sorted), so the text is what dump() of to_json() gives.
  bool first = true;
  const auto key = [&](const char* k) {
    out += first ? "{\"" : ",\"";
    first = false;
    out += k;
    out += "\":";
  };
  if (has(kAction)) {
    key("action");
    append_json_string(out, indicator_actions()[action]);
  }
  if (has(kAppliedGlobally)) {
    key("applied_globally");
    append_bool(out, flags & kIsGlobal);
  }
  if (has(kCreatedBy)) {
    key("created_by");
    append_json_string(out, names.at(created_by));
  }
  if (has(kCreatedOn)) {
    key("created_on");
    append_time(out, created_on);
  }
  if (has(kDeleted)) {
    key("deleted");
    append_bool(out, flags & kIsDeleted);
  }
  if (has(kDescription)) {
    key("description");
    append_json_string(out, description);
  }
  if (has(kExpiration)) {
    key("expiration");
    append_time(out, expiration);
  }
  if (has(kExpired)) {
    key("expired");
    append_bool(out, flags & kIsExpired);
  }
  if (has(kFromParent)) {
    key("from_parent");
    append_bool(out, flags & kIsFromParent);
  }
  if (has(kHostGroups)) {
    key("host_groups");
    append_strings(out, host_groups);
  }
  key("id");
  append_json_string(out, id);
  if (has(kMetadata)) {
    key("metadata");
    if (has(kFilename)) {
      out += "{\"filename\":";
      append_json_string(out, filename);
      out += '}';
    } else {
      out += "{}";
    }
  }
  if (has(kMobileAction)) {
    key("mobile_action");
    append_json_string(out, mobile_actions()[mobile_action]);
  }
  if (has(kModifiedBy)) {
    key("modified_by");
    append_json_string(out, names.at(modified_by));
  }
  if (has(kModifiedOn)) {
    key("modified_on");
    append_time(out, modified_on);
  }
  if (has(kPlatforms)) {
    key("platforms");
    out += '[';
    for (std::uint8_t i = 0; i < platform_count; ++i) {
      if (i > 0) out += ',';
      append_json_string(out, indicator_platforms()[platforms[i]]);
    }
    out += ']';
  }
  if (has(kSeverity)) {
    key("severity");
    append_json_string(out, indicator_severities()[severity]);
  }
  if (has(kSource)) {
    key("source");
    append_json_string(out, source);
  }
  if (has(kTags)) {
    key("tags");
    append_strings(out, tags);
  }
  if (has(kType)) {
    key("type");
    append_json_string(out, indicator_types()[type]);
  }
  if (has(kValue)) {
    key("value");
    append_json_string(out, value);
  }
  out += '}';
}

std::optional<Field> field_of(std::string_view name) {
  static constexpr std::pair<std::string_view, Field> kFields[] = {
      {"action", Field::action},
      {"applied_globally", Field::applied_globally},
      {"created_by", Field::created_by},
      {"created_on", Field::created_on},
      {"expiration", Field::expiration},
      {"expired", Field::expired},
      {"metadata.av_hits", Field::metadata_av_hits},
      {"metadata.company_name", Field::metadata_company_name},
      {"metadata.filename", Field::metadata_filename},
      {"metadata.original_filename", Field::metadata_original_filename},
      {"metadata.product_name", Field::metadata_product_name},
      {"metadata.product_version", Field::metadata_product_version},
      {"modified_by", Field::modified_by},
      {"modified_on", Field::modified_on},
      {"severity", Field::severity},
      {"severity_number", Field::severity_number},
      {"source", Field::source},
      {"type", Field::type},
      {"value", Field::value},
      {"mobile_action", Field::mobile_action},
  };
  constexpr std::string_view kRaw = ".raw";
  if (name.size() > kRaw.size() && name.substr(name.size() - kRaw.size()) == kRaw) {
    name.remove_suffix(kRaw.size());
  }
  for (const auto& [n, f] : kFields) {
    if (n == name) return f;
  }
  return std::nullopt;
}

FieldView Record::view(Field f, const NamePool& names) const {
  FieldView v;
  const auto has = [&](std::uint32_t bit) { return (present & bit) != 0; };
  const auto text = [&](std::uint32_t bit, std::string_view t) {
    if (!has(bit)) return;
    v.kind = FieldView::Kind::text;
    v.text = t;
  };
  const auto flag = [&](std::uint32_t bit, std::uint8_t f2) {
    if (!has(bit)) return;
    v.kind = FieldView::Kind::boolean;
    v.boolean = (flags & f2) != 0;
  };
  const auto when = [&](std::uint32_t bit, std::int64_t t) {
    if (!has(bit)) return;
    v.kind = FieldView::Kind::time;
    v.time = t;
  };
  switch (f) {
    case Field::action:
      if (has(kAction)) text(kAction, indicator_actions()[action]);
      break;
    case Field::applied_globally:
      flag(kAppliedGlobally, kIsGlobal);
      break;
    case Field::created_by:
      if (has(kCreatedBy)) text(kCreatedBy, names.at(created_by));
      break;
    case Field::created_on:
      when(kCreatedOn, created_on);
      break;
    case Field::expiration:
      when(kExpiration, expiration);
      break;
    case Field::expired:
      flag(kExpired, kIsExpired);
      break;
    case Field::metadata_filename:
      text(kFilename, filename);
      break;
    case Field::metadata_av_hits:
    case Field::metadata_company_name:
    case Field::metadata_original_filename:
    case Field::metadata_product_name:
    case Field::metadata_product_version:
      break;  // a compact record's metadata holds only a filename
    case Field::modified_by:
      if (has(kModifiedBy)) text(kModifiedBy, names.at(modified_by));
      break;
    case Field::modified_on:
      when(kModifiedOn, modified_on);
      break;
    case Field::severity:
      if (has(kSeverity)) text(kSeverity, indicator_severities()[severity]);
      break;
    case Field::severity_number:
      // informational=1 .. critical=5 (the table's order), 0 when none (as fql's field_value).
      v.kind = FieldView::Kind::number;
      v.number = has(kSeverity) ? severity + 1 : 0;
      break;
    case Field::source:
      text(kSource, source);
      break;
    case Field::type:
      if (has(kType)) text(kType, indicator_types()[type]);
      break;
    case Field::value:
      text(kValue, value);
      break;
    case Field::mobile_action:
      if (has(kMobileAction)) text(kMobileAction, mobile_actions()[mobile_action]);
      break;
  }
  return v;
}

bool Record::deleted() const {
  if (raw) {
    const auto it = raw->find("deleted");
    return it != raw->end() && it->is_boolean() && it->get<bool>();
  }
  return (flags & kIsDeleted) != 0;
}

}  // namespace falcon::emulator
