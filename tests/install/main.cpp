// Builds against the installed headers and libraries, then makes one call through the
// installed FakeTransport: proves the package is complete and usable.
#include <falcon/falcon.hpp>
#include <falcon/testing/fake_transport.hpp>

#include <iostream>

int main() {
  auto fake = std::make_shared<falcon::testing::FakeTransport>();
  fake->reply_token().reply(200, {{"resources", {"sha256", "md5"}}});
  falcon::Config cfg;
  cfg.client_id = "id";
  cfg.client_secret = "secret";
  cfg.transport = fake;
  falcon::IOC ioc(cfg);
  auto r = ioc.ioc_type_query();
  if (!r.ok() || r.resources().size() != 2 ||
      fake->last_request().url != "https://api.crowdstrike.com/iocs/queries/ioc-types/v1") {
    std::cerr << "install check failed\n";
    return 1;
  }
  std::cout << "install check ok: falcon-cpp " << falcon::version() << "\n";
  return 0;
}
