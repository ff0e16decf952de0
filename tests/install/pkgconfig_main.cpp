// Built with nothing but `c++ $(pkg-config --cflags --libs falcon-cpp)`: proves the .pc file is
// complete. It derives its own transport from falcon::HttpTransport (so the vtable and type
// information of the public classes must be exported by a shared libfalcon), makes one call
// through it, and checks a validation error and the endpoint table, all without a network.
#include <falcon/falcon.hpp>

#include <iostream>
#include <memory>
#include <mutex>
#include <vector>

namespace {

class CannedTransport : public falcon::HttpTransport {
 public:
  falcon::TransportResult send(const falcon::HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    urls.push_back(request.url);
    falcon::TransportResult r;
    r.response.headers.emplace("Content-Type", "application/json");
    if (request.url.find("/oauth2/token") != std::string::npos) {
      r.response.status = 201;
      r.response.body = R"({"access_token":"t","expires_in":1799,"token_type":"bearer"})";
    } else {
      r.response.status = 200;
      r.response.body = R"({"meta":{},"resources":["low","high"],"errors":[]})";
    }
    return r;
  }
  std::mutex mu_;
  std::vector<std::string> urls;
};

}  // namespace

int main() {
  auto transport = std::make_shared<CannedTransport>();
  falcon::Config cfg;
  cfg.client_id = "id";
  cfg.client_secret = "secret";
  cfg.base_url = "eu-1";
  cfg.transport = transport;
  falcon::IOC ioc(cfg);
  const auto r = ioc.severity_query();
  const bool call_ok =
      r.ok() && r.resources().size() == 2 && transport->urls.size() == 2 &&
      transport->urls[1] == "https://api.eu-1.crowdstrike.com/iocs/queries/severities/v1";

  falcon::IndicatorGetOptions none;  // ids are required: refused before sending
  const auto refused = ioc.indicator_get(none);
  const bool validation_ok = refused.error &&
                             refused.error->kind == falcon::ErrorKind::validation &&
                             transport->urls.size() == 2;

  const falcon::Endpoint* ep = falcon::find_endpoint("indicator_create_v1");
  const bool table_ok = falcon::endpoints().size() == 20 && ep != nullptr &&
                        ep->route == "/iocs/entities/indicators/v1";

  if (!call_ok || !validation_ok || !table_ok) {
    std::cerr << "pkg-config consumer failed: call " << call_ok << ", validation " << validation_ok
              << ", table " << table_ok << "\n";
    return 1;
  }
  std::cout << "pkg-config consumer ok: falcon-cpp " << falcon::version() << "\n";
  return 0;
}
