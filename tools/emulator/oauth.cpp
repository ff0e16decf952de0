// POST /oauth2/token and POST /oauth2/revoke (spec §4).
#include "service.hpp"

namespace falcon::emulator {

namespace {

using nlohmann::json;

struct Credentials {
  std::string id;
  std::string secret;
};

// "Authorization: Basic base64(id:secret)"; the scheme is case-insensitive (gofalcon sends
// "basic"). nullopt when there is no Basic header; ApiError(400) when it is malformed.
std::optional<Credentials> basic_credentials(const httplib::Request& req) {
  const std::string h = trim(req.get_header_value("Authorization"));
  if (h.size() < 6 || to_lower(h.substr(0, 6)) != "basic ") return std::nullopt;
  const auto decoded = base64_decode(trim(h.substr(6)));
  const auto colon = decoded ? decoded->find(':') : std::string::npos;
  if (colon == std::string::npos) throw ApiError(400, "malformed Basic authorization header");
  return Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

std::vector<std::pair<std::string, std::string>> form_fields(const httplib::Request& req) {
  const std::string type = to_lower(req.get_header_value("Content-Type"));
  if (type.find("application/json") != std::string::npos) {
    throw ApiError(400, "Content-Type must be application/x-www-form-urlencoded");
  }
  return parse_form(req.body);
}

std::string field(const std::vector<std::pair<std::string, std::string>>& form,
                  const std::string& name) {
  for (const auto& [k, v] : form) {
    if (k == name) return v;
  }
  return "";
}

}  // namespace

Reply op_oauth2_token(Service& s, const Call& c) {
  if (s.opts.wrong_region_redirect && c.req.path == "/oauth2/token") {
    // The wrong cloud answers 308 with an empty body (spec §4.1); the target is this same
    // emulator under /regions/<region>/ so a client that follows it gets its token.
    Reply r;
    r.status = 308;
    r.empty = true;
    r.headers = {{"Location", s.base_url + "/regions/" + s.opts.region + "/oauth2/token"},
                 {"X-Cs-Region", s.opts.region}};
    return r;
  }
  const auto form = form_fields(c.req);  // unknown fields (grant_type, ...) are ignored
  Credentials creds;
  if (auto basic = basic_credentials(c.req)) {
    creds = *basic;
  } else {
    creds = {field(form, "client_id"), field(form, "client_secret")};
  }
  if (creds.id.empty() || creds.secret.empty()) {
    throw ApiError(400, "client_id and client_secret are required");
  }
  if (creds.id != s.opts.client_id || creds.secret != s.opts.client_secret) {
    throw ApiError(403, "access denied, invalid client credentials");
  }
  const auto ttl = std::chrono::seconds(s.opts.token_ttl);
  const std::string token = s.tokens.issue(creds.id, field(form, "member_cid"), c.now + ttl);
  ++s.tokens_issued;
  Reply r;
  r.status = 201;
  r.raw = json{{"access_token", token}, {"token_type", "bearer"}, {"expires_in", s.opts.token_ttl}};
  r.headers = {{"X-Cs-Region", s.opts.region}};
  return r;
}

Reply op_oauth2_revoke(Service& s, const Call& c) {
  const auto basic = basic_credentials(c.req);
  if (!basic) throw ApiError(400, "HTTP Basic authorization with the API client is required");
  if (basic->id != s.opts.client_id || basic->secret != s.opts.client_secret) {
    throw ApiError(403, "access denied, invalid client credentials");
  }
  const std::string token = field(form_fields(c.req), "token");
  if (token.empty()) throw ApiError(400, "token is required");
  s.tokens.revoke(token, basic->id);
  Reply r;
  r.meta_only = true;
  return r;
}

}  // namespace falcon::emulator
