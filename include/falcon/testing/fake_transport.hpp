/// @file testing/fake_transport.hpp
/// A recording transport for users' own unit tests: queue canned replies, then read back every
/// request the SDK sent. Replies are served in order; when the queue is empty a 500 is returned.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "falcon/http.hpp"

namespace falcon::testing {

/// @par Thread safety
/// All members may be called from any thread.
class FakeTransport : public HttpTransport {
 public:
  /// Queues a reply with a JSON body and Content-Type application/json.
  FakeTransport& reply(int status, const nlohmann::json& body, Headers headers = {});
  /// Queues a reply with a raw body.
  FakeTransport& reply_raw(int status, std::string body, Headers headers = {});
  /// Queues a transport-level failure (kind transport or timeout).
  FakeTransport& fail(Error error);
  /// Queues a 201 token reply (access_token, expires_in) as /oauth2/token sends it.
  FakeTransport& reply_token(const std::string& token = "fake-token", int expires_in = 1799,
                             const std::string& region = "");
  /// Replaces the queue with a function that answers every request.
  FakeTransport& respond_with(std::function<TransportResult(const HttpRequest&)> handler);

  TransportResult send(const HttpRequest& request) override;

  /// Every request sent so far, in order.
  std::vector<HttpRequest> requests() const;
  /// Requests whose URL path is not an /oauth2/ route.
  std::vector<HttpRequest> api_requests() const;
  /// The last request; throws std::out_of_range when none was sent.
  HttpRequest last_request() const;
  /// Queued replies not yet served.
  std::size_t pending() const;
  /// Forgets queued replies, the handler and recorded requests.
  void clear();
  /// Forgets recorded requests only (long-running users such as benchmarks).
  void clear_requests();

 private:
  mutable std::mutex mu_;
  std::deque<TransportResult> queue_;
  std::function<TransportResult(const HttpRequest&)> handler_;
  std::vector<HttpRequest> requests_;
};

}  // namespace falcon::testing
