#include "falcon/testing/fake_transport.hpp"

#include <stdexcept>

namespace falcon::testing {

namespace {
Headers json_headers(Headers h) {
  if (h.find("Content-Type") == h.end()) h.emplace("Content-Type", "application/json");
  return h;
}
}  // namespace

FakeTransport& FakeTransport::reply(int status, const nlohmann::json& body, Headers headers) {
  return reply_raw(status, body.dump(), json_headers(std::move(headers)));
}

FakeTransport& FakeTransport::reply_raw(int status, std::string body, Headers headers) {
  std::lock_guard<std::mutex> lock(mu_);
  TransportResult r;
  r.response.status = status;
  r.response.body = std::move(body);
  r.response.headers = std::move(headers);
  queue_.push_back(std::move(r));
  return *this;
}

FakeTransport& FakeTransport::fail(Error error) {
  std::lock_guard<std::mutex> lock(mu_);
  TransportResult r;
  r.error = std::move(error);
  queue_.push_back(std::move(r));
  return *this;
}

FakeTransport& FakeTransport::reply_token(const std::string& token, int expires_in,
                                          const std::string& region) {
  Headers h;
  if (!region.empty()) h.emplace("X-CS-Region", region);
  return reply(201, {{"access_token", token}, {"token_type", "bearer"}, {"expires_in", expires_in}},
               std::move(h));
}

FakeTransport& FakeTransport::respond_with(
    std::function<TransportResult(const HttpRequest&)> handler) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.clear();
  handler_ = std::move(handler);
  return *this;
}

TransportResult FakeTransport::send(const HttpRequest& request) {
  std::function<TransportResult(const HttpRequest&)> handler;
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    if (!queue_.empty()) {
      TransportResult r = std::move(queue_.front());
      queue_.pop_front();
      if (r.ok() && r.response.effective_url.empty()) r.response.effective_url = request.url;
      return r;
    }
    handler = handler_;
  }
  if (handler) return handler(request);
  TransportResult r;
  r.response.status = 500;
  r.response.body =
      R"({"meta":{},"errors":[{"code":500,"message":"FakeTransport: no reply queued"}],"resources":[]})";
  r.response.headers = json_headers({});
  return r;
}

std::vector<HttpRequest> FakeTransport::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

std::vector<HttpRequest> FakeTransport::api_requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<HttpRequest> out;
  for (const auto& r : requests_) {
    if (r.url.find("/oauth2/") == std::string::npos) out.push_back(r);
  }
  return out;
}

HttpRequest FakeTransport::last_request() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (requests_.empty()) throw std::out_of_range("FakeTransport: no request was sent");
  return requests_.back();
}

std::size_t FakeTransport::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void FakeTransport::clear_requests() {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.clear();
}

void FakeTransport::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.clear();
  requests_.clear();
  handler_ = nullptr;
}

}  // namespace falcon::testing
