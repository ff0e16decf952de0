// Builds against the installed headers and libraries (or, in tests/install/embed, against the
// source tree taken in by add_subdirectory or FetchContent), then makes one call through
// FakeTransport: proves the package is complete and usable. The headers' version macros must
// name the library linked.
#include <falcon/falcon.hpp>
#include <falcon/testing/fake_transport.hpp>

#include <cstring>
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
  if (std::strcmp(falcon::version(), FALCON_CPP_VERSION_STRING) != 0) {
    std::cerr << "install check failed: headers " << FALCON_CPP_VERSION_STRING << ", library "
              << falcon::version() << "\n";
    return 1;
  }
  std::cout << "install check ok: falcon-cpp " << falcon::version() << "\n";
  return 0;
}
