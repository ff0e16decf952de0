// The value-list queries, action_get_v1 and the device/process lookups (new and legacy).
#include <algorithm>

#include "service.hpp"
#include "validate.hpp"

namespace falcon::emulator {

namespace {

using nlohmann::json;

struct Window {
  std::size_t offset = 0;
  std::size_t limit = 100;
};

// offset/limit for lists; both may arrive as strings in the spec, so parse text either way.
Window parse_window(const Call& c, long long max_limit) {
  Window w;
  if (auto limit = query_int(c, "limit")) {
    if (*limit < 1 || *limit > max_limit) {
      throw ApiError(400, "limit must be between 1 and " + std::to_string(max_limit));
    }
    w.limit = static_cast<std::size_t>(*limit);
  }
  if (auto offset = query_int(c, "offset")) {
    if (*offset < 0) throw ApiError(400, "offset must be a non-negative integer");
    w.offset = static_cast<std::size_t>(*offset);
  }
  return w;
}

// Slices `all` into resources; returns the next offset.
std::size_t page(const std::vector<std::string>& all, const Window& w, Reply& r) {
  const std::size_t start = std::min(w.offset, all.size());
  const std::size_t end = std::min(all.size(), start + w.limit);
  r.resources = json::array();
  for (std::size_t i = start; i < end; ++i) r.resources.push_back(all[i]);
  return end;
}

Reply value_list(const Call& c, const std::vector<std::string>& values) {
  const Window w = parse_window(c, 2000);
  Reply r;
  const std::size_t next = page(values, w, r);
  r.pagination = {{"limit", w.limit}, {"total", values.size()}, {"offset", next}};
  return r;
}

struct Subject {
  std::string type;
  std::string value;
};

Subject parse_subject(const Call& c) {
  const auto type = query(c, "type");
  if (!type || trim(*type).empty()) throw ApiError(400, "type is required");
  const std::string t = to_lower(trim(*type));
  const auto& types = indicator_types();
  if (std::find(types.begin(), types.end(), t) == types.end()) {
    throw ApiError(400,
                   "invalid type '" + *type + "', must be one of: sha256, md5, domain, ipv4, ipv6");
  }
  const auto value = query(c, "value");
  if (!value || trim(*value).empty()) throw ApiError(400, "value is required");
  const std::string v = trim(*value);
  if (auto problem = value_problem(t, v))
    throw ApiError(400, "invalid value '" + v + "': " + *problem);
  return {t, normalize_value(t, v)};
}

std::string parse_device(const Call& c) {
  const auto d = query(c, "device_id");
  if (!d || trim(*d).empty()) throw ApiError(400, "device_id is required");
  const std::string id = trim(*d);
  if (!is_hex(id, 32)) {
    throw ApiError(400, "invalid device_id '" + id + "', must be 32 hexadecimal characters");
  }
  return to_lower(id);
}

// api.DetectsQueryPaging: no total, offset is a string.
Reply new_style_list(const Call& c, const std::vector<std::string>& all) {
  const Window w = parse_window(c, 100);
  Reply r;
  const std::size_t next = page(all, w, r);
  r.pagination = {{"limit", w.limit}, {"offset", std::to_string(next)}};
  return r;
}

// iocapi.paginationMeta: has total.
Reply legacy_list(const Call& c, const std::vector<std::string>& all) {
  const Window w = parse_window(c, 100);
  Reply r;
  const std::size_t next = page(all, w, r);
  r.pagination = {{"limit", w.limit}, {"total", all.size()}, {"offset", next}};
  return r;
}

}  // namespace

Reply op_action_query(Service&, const Call& c) {
  return value_list(c, indicator_actions());
}
Reply op_ioc_type_query(Service&, const Call& c) {
  return value_list(c, indicator_types());
}
Reply op_platform_query(Service&, const Call& c) {
  return value_list(c, indicator_platforms());
}
Reply op_severity_query(Service&, const Call& c) {
  return value_list(c, indicator_severities());
}

Reply op_action_get(Service&, const Call& c) {
  const auto ids = query_list(c, "ids");
  Reply r;
  for (const auto& id : ids) {
    json a = action_v1(id);
    if (a.is_null()) {
      r.errors.push_back({{"code", 404}, {"message", "action not found: " + id}});
    } else {
      r.resources.push_back(std::move(a));
    }
  }
  if (!ids.empty() && r.resources.empty()) r.status = 404;
  return r;
}

Reply op_device_count(Service& s, const Call& c) {
  const Subject sub = parse_subject(c);
  Reply r;
  r.resources.push_back({{"device_count", s.synth.devices(sub.type, sub.value).size()},
                         {"limit_exceeded", false},
                         {"type", sub.type},
                         {"value", sub.value}});
  return r;
}

Reply op_device_count_legacy(Service& s, const Call& c) {
  const Subject sub = parse_subject(c);
  Reply r;
  r.resources.push_back({{"device_count", s.synth.devices(sub.type, sub.value).size()},
                         {"id", sub.type + ":" + sub.value},
                         {"limit_exceeded", false},
                         {"type", sub.type},
                         {"value", sub.value}});
  return r;
}

Reply op_devices_ran_on(Service& s, const Call& c) {
  const Subject sub = parse_subject(c);
  return new_style_list(c, s.synth.devices(sub.type, sub.value));
}

Reply op_devices_ran_on_legacy(Service& s, const Call& c) {
  const Subject sub = parse_subject(c);
  return legacy_list(c, s.synth.devices(sub.type, sub.value));
}

Reply op_processes_ran_on(Service& s, const Call& c) {
  const Subject sub = parse_subject(c);
  const std::string device = parse_device(c);
  return new_style_list(c, s.synth.processes(sub.type, sub.value, device));
}

Reply op_processes_ran_on_legacy(Service& s, const Call& c) {
  const Subject sub = parse_subject(c);
  const std::string device = parse_device(c);
  return legacy_list(c, s.synth.processes(sub.type, sub.value, device));
}

Reply op_entities_processes(Service& s, const Call& c) {
  const auto ids = query_list(c, "ids");
  if (ids.empty()) throw ApiError(400, "ids is required");
  Reply r;
  for (const auto& id : ids) {
    if (!is_process_id(id)) {
      throw ApiError(400, "invalid process id '" + id + "' in ids, expected pid:<32 hex>:<digits>");
    }
    r.resources.push_back(s.synth.process_detail(to_lower(id)));
  }
  return r;
}

}  // namespace falcon::emulator
