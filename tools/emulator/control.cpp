// The control endpoint (/_emulator/*), faults and counters.
#include <stdexcept>

#include "server.hpp"
#include "validate.hpp"

namespace falcon::emulator {

namespace {

using nlohmann::json;

const std::vector<std::pair<Fault::Kind, std::string>>& kind_names() {
  static const std::vector<std::pair<Fault::Kind, std::string>> k{
      {Fault::Kind::latency, "latency"},
      {Fault::Kind::status, "status"},
      {Fault::Kind::rate_limit, "rate_limit"},
      {Fault::Kind::drop_connection, "drop_connection"},
      {Fault::Kind::expire_token, "expire_token"}};
  return k;
}

int int_field(const json& j, const char* name, int fallback, int lo, int hi) {
  if (!j.contains(name) || j[name].is_null()) return fallback;
  if (!j[name].is_number_integer()) {
    throw std::invalid_argument(std::string(name) + " must be an integer");
  }
  const auto v = j[name].get<long long>();
  if (v < lo || v > hi) {
    throw std::invalid_argument(std::string(name) + " must be between " + std::to_string(lo) +
                                " and " + std::to_string(hi));
  }
  return static_cast<int>(v);
}

std::string string_field(const json& j, const char* name) {
  if (!j.contains(name) || j[name].is_null()) return "";
  if (!j[name].is_string()) throw std::invalid_argument(std::string(name) + " must be a string");
  return j[name].get<std::string>();
}

}  // namespace

Fault Fault::from_json(const json& j) {
  if (!j.is_object()) throw std::invalid_argument("a fault must be a JSON object");
  static const std::vector<std::string> keys{
      "method", "path", "count", "kind", "status", "latency_ms", "retry_after_seconds",
      "body",   "after"};
  for (const auto& item : j.items()) {
    if (std::find(keys.begin(), keys.end(), item.key()) == keys.end()) {
      throw std::invalid_argument("unknown fault field '" + item.key() + "'");
    }
  }
  Fault f;
  f.method = string_field(j, "method");
  f.path = string_field(j, "path");
  f.count = int_field(j, "count", 1, -1, 1000000);
  if (f.count == 0) throw std::invalid_argument("count must be positive, or -1 for unlimited");
  const std::string kind = string_field(j, "kind");
  bool known = false;
  for (const auto& [k, name] : kind_names()) {
    if (name == kind) {
      f.kind = k;
      known = true;
    }
  }
  if (!known) {
    throw std::invalid_argument(
        "kind must be one of: latency, status, rate_limit, drop_connection, expire_token");
  }
  f.status = int_field(j, "status", 503, 100, 599);
  f.latency_ms = int_field(j, "latency_ms", 0, 0, 120000);
  f.retry_after_seconds = int_field(j, "retry_after_seconds", 2, 0, 86400);
  f.body = j.value("body", json());
  if (j.contains("after") && !j["after"].is_null()) {
    if (!j["after"].is_boolean()) throw std::invalid_argument("after must be a boolean");
    f.after = j["after"].get<bool>();
  }
  return f;
}

json Fault::to_json() const {
  std::string name;
  for (const auto& [k, n] : kind_names()) {
    if (k == kind) name = n;
  }
  return {{"method", method},
          {"path", path},
          {"count", count},
          {"kind", name},
          {"status", status},
          {"latency_ms", latency_ms},
          {"retry_after_seconds", retry_after_seconds},
          {"body", body},
          {"after", after}};
}

json Counters::to_json() const {
  return {{"requests_per_route", requests_per_route},
          {"connections", connections},
          {"tokens_issued", tokens_issued},
          {"requests_total", requests_total},
          {"indicators_created", indicators_created}};
}

void Emulator::Impl::inject(Fault f) {
  std::lock_guard lock(fault_mu_);
  faults_.push_back(std::move(f));
}

std::vector<Fault> Emulator::Impl::pending_faults() const {
  std::lock_guard lock(fault_mu_);
  return faults_;
}

Counters Emulator::Impl::counters() const {
  Counters c;
  {
    std::lock_guard lock(counter_mu_);
    c.requests_per_route = per_route_;
    c.connections = connections_forgotten_ + connections_.size();
    c.requests_total = requests_total_;
  }
  c.tokens_issued = svc.tokens_issued.load();
  c.indicators_created = svc.indicators_created.load();
  return c;
}

void Emulator::Impl::reset() {
  svc.store.clear();
  svc.tokens.clear();
  svc.limiter.clear();
  svc.clear_audit();
  svc.offset_ns = 0;
  svc.quota = svc.opts.quota;
  svc.tokens_issued = 0;
  svc.indicators_created = 0;
  {
    std::lock_guard lock(fault_mu_);
    faults_.clear();
  }
  std::lock_guard lock(counter_mu_);
  per_route_.clear();
  connections_.clear();
  connections_forgotten_ = 0;
  requests_total_ = 0;
}

void Emulator::Impl::add_control(httplib::Server& s) {
  using Fn = std::function<Reply(const httplib::Request&)>;
  const auto route = [this, &s](const std::string& path, std::map<std::string, Fn> methods) {
    routes_.insert(path);
    auto shared = std::make_shared<const std::map<std::string, Fn>>(std::move(methods));
    const httplib::Server::Handler h = [this, shared](const httplib::Request& req,
                                                      httplib::Response& res) {
      const double started = monotonic_seconds();
      Reply reply;
      try {
        auto it = shared->find(req.method);
        if (!is_loopback_host(req.remote_addr)) {
          reply = Reply::error(403, "the control endpoint only answers loopback clients");
        } else if (it == shared->end()) {
          reply = Reply::error(405, "method " + req.method + " is not allowed on " + req.path);
        } else {
          reply = it->second(req);
        }
      } catch (const std::invalid_argument& e) {
        reply = Reply::error(400, e.what());
      } catch (const ApiError& e) {
        reply = Reply::error(e.status(), e.what());
      } catch (const std::exception& e) {
        reply = Reply::error(500, std::string("internal error: ") + e.what());
      }
      reply.powered_by = "falcon-emulator";
      send(req, res, reply, {0, 0, 0}, random_uuid(), started);
    };
    const httplib::Server::HandlerWithContentReader with_body =
        [this, h](const httplib::Request& req, httplib::Response& res,
                  const httplib::ContentReader& reader) {
          if (read_body(req, res, reader)) h(req, res);
        };
    s.Get(path, h);
    s.Post(path, h);
    s.Put(path, h);
    s.Patch(path, h);
    s.Delete(path, h);
    s.Post(path, with_body);
    s.Put(path, with_body);
    s.Patch(path, with_body);
    s.Delete(path, with_body);
  };

  route("/_emulator/faults",
        {{"POST",
          [this](const httplib::Request& req) {
            const json body = parse_body(req.body);
            std::vector<Fault> added;
            for (const auto& j : body.is_array() ? body : json::array({body})) {
              added.push_back(Fault::from_json(j));
            }
            Reply r;
            r.status = 201;
            for (auto& f : added) {
              r.resources.push_back(f.to_json());
              inject(std::move(f));
            }
            return r;
          }},
         {"GET",
          [this](const httplib::Request&) {
            Reply r;
            for (const auto& f : pending_faults()) r.resources.push_back(f.to_json());
            return r;
          }},
         {"DELETE", [this](const httplib::Request&) {
            std::lock_guard lock(fault_mu_);
            faults_.clear();
            return Reply{};
          }}});
  route("/_emulator/counters", {{"GET", [this](const httplib::Request&) {
                                   Reply r;
                                   r.resources.push_back(counters().to_json());
                                   return r;
                                 }}});
  route("/_emulator/reset", {{"POST", [this](const httplib::Request&) {
                                reset();
                                return Reply{};
                              }}});
  route("/_emulator/expire-tokens", {{"POST", [this](const httplib::Request&) {
                                        svc.tokens.expire_all();
                                        return Reply{};
                                      }}});
  route("/_emulator/audit", {{"GET", [this](const httplib::Request&) {
                                Reply r;
                                r.resources = svc.audit_log();
                                return r;
                              }}});
  const auto quota_reply = [this] {
    Reply r;
    std::size_t live = 0;
    svc.store.read(svc.now(), [&](const IndicatorStore::View& v) { live = v.live_count(); });
    r.resources.push_back({{"quota", svc.quota.load()}, {"live", live}});
    return r;
  };
  route("/_emulator/quota",
        {{"GET", [quota_reply](const httplib::Request&) { return quota_reply(); }},
         {"POST", [this, quota_reply](const httplib::Request& req) {
            const json body = parse_body(req.body);
            check_object(body, {"quota"}, "body");
            const json q = body.value("quota", json());
            if (!q.is_number_unsigned()) {
              throw ApiError(400, "quota: expected a non-negative integer");
            }
            svc.quota = q.get<std::size_t>();
            return quota_reply();
          }}});
  route("/_emulator/clock", {{"POST", [this](const httplib::Request& req) {
                                const json body = parse_body(req.body);
                                check_object(body, {"advance_seconds"}, "body");
                                const int by = int_field(body, "advance_seconds", 0, 0, 1000000000);
                                svc.offset_ns += static_cast<std::int64_t>(by) * 1000000000LL;
                                Reply r;
                                r.resources.push_back({{"now", format_time(svc.now())}});
                                return r;
                              }}});
}

}  // namespace falcon::emulator
