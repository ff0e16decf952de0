#include "service.hpp"

namespace falcon::emulator {

using nlohmann::json;

Reply Reply::error(int status, const std::string& message) {
  Reply r;
  r.status = status;
  r.resources = nullptr;
  r.errors = json::array({{{"code", status}, {"message", message}}});
  return r;
}

void Service::audit(const std::string& operation, const std::string& client_id,
                    const std::string& comment, const std::vector<std::string>& ids) {
  json entry{{"time", format_time(now())},
             {"operation", operation},
             {"client_id", client_id},
             {"comment", comment},
             {"ids", ids}};
  std::lock_guard lock(audit_mu_);
  audit_.push_back(std::move(entry));
  while (audit_.size() > 1000) audit_.pop_front();  // bounded: it is a debugging aid
}

json Service::audit_log() const {
  std::lock_guard lock(audit_mu_);
  return json(audit_);
}

void Service::clear_audit() {
  std::lock_guard lock(audit_mu_);
  audit_.clear();
}

std::optional<std::string> query(const Call& c, const std::string& name) {
  if (!c.req.has_param(name)) return std::nullopt;
  return c.req.get_param_value(name);
}

std::vector<std::string> query_list(const Call& c, const std::string& name) {
  std::vector<std::string> out;
  const std::size_t n = c.req.get_param_value_count(name);
  for (std::size_t i = 0; i < n; ++i) {
    for (auto& part : split(c.req.get_param_value(name, i), ',')) {
      auto t = trim(part);
      if (!t.empty()) out.push_back(std::move(t));
    }
  }
  return out;
}

std::optional<bool> query_bool(const Call& c, const std::string& name) {
  auto v = query(c, name);
  if (!v) return std::nullopt;
  auto b = parse_bool(*v);
  if (!b)
    throw ApiError(400, "invalid value for " + name + ": '" + *v + "', must be true or false");
  return b;
}

std::optional<long long> query_int(const Call& c, const std::string& name) {
  auto v = query(c, name);
  if (!v) return std::nullopt;
  auto i = parse_int(trim(*v));
  if (!i) throw ApiError(400, "invalid value for " + name + ": '" + *v + "', must be an integer");
  return i;
}

}  // namespace falcon::emulator
