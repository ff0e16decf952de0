// Malformed input, the state file, TLS, the 308 region redirect and the program itself.
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "emulator_test_support.hpp"

namespace falcon::emulator::testing {
namespace {

namespace fs = std::filesystem;

class MalformedTest : public EmulatorTest {
 protected:
  Options make_options() override {
    Options o = EmulatorTest::make_options();
    o.max_body_bytes = 1 << 20;
    return o;
  }
};

TEST_F(MalformedTest, EveryBadRequestGetsA4xxEnvelopeAndServingContinues) {
  const std::string create = "/iocs/entities/indicators/v1";
  const std::string dom = domain_item("x.example.com").dump();
  struct Bad {
    std::string method, path, body;
  };
  const std::vector<Bad> cases = {
      {"POST", create, "not json"},
      {"POST", create, ""},
      {"POST", create, R"({"indicators":{}})"},
      {"POST", create, R"({"indicators":[1]})"},
      {"POST", create,
       R"({"indicators":[{"type":"domain","value":"a.com","applied_globally":"yes"}]})"},
      {"POST", create, R"({"indicators":[)" + dom + R"(],"extra":1})"},
      {"POST", create, R"({"indicators":null})"},
      {"POST", create, std::string(5000, '[') + std::string(5000, ']')},
      {"POST", create,
       std::string(R"({"indicators":[{"type":"domain","value":")") + "\xff\xfe\"}]}"},
      {"POST", create + "?ignore_warnings=maybe", R"({"indicators":[)" + dom + "]}"},
      {"POST", create, std::string(2 << 20, ' ')},
      {"PATCH", create, "[]"},
      {"PATCH", create, R"({"bulk_update":"x"})"},
      {"PATCH", create, R"({"bulk_update":{"filter":"type:'","action":"detect"}})"},
      {"PATCH", create, R"({"indicators":[{"id":5}]})"},
      {"GET", "/iocs/queries/indicators/v1?filter=" + url_encode("type:'domain"), ""},
      {"GET", "/iocs/queries/indicators/v1?limit=abc", ""},
      {"GET", "/iocs/combined/indicator/v1?offset=-5", ""},
      {"POST", "/iocs/aggregates/indicators/v1", "{"},
      {"POST", "/iocs/aggregates/indicators/v1",
       R"({"type":"nonsense","field":"type","name":"x"})"},
      {"POST", "/iocs/aggregates/indicators/v1", R"({"bogus":1})"},
      {"POST", "/iocs/entities/indicators-reports/v1", R"({"report_format":"pdf"})"},
      {"GET", "/iocs/aggregates/indicators/device-count/v1?type=url&value=x", ""},
      {"GET", "/indicators/queries/devices/v1?type=domain", ""},
      {"GET", "/iocs/queries/indicators/processes/v1?type=domain&value=a.com&device_id=xyz", ""},
      {"GET", "/processes/entities/processes/v1?ids=pid:bad", ""},
  };
  for (const auto& c : cases) {
    const std::string label = c.method + " " + c.path + " " + c.body.substr(0, 60);
    auto r = call(c.method, c.path, c.body);
    ASSERT_TRUE(r) << label;
    EXPECT_GE(r->status, 400) << label << " -> " << r->body;
    EXPECT_LT(r->status, 500) << label << " -> " << r->body;
    EXPECT_TRUE(r->has_header("X-CS-TRACEID")) << label;
    const json body = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << label << " -> " << r->body;
    ASSERT_TRUE(body["errors"].is_array() && !body["errors"].empty()) << label;
    EXPECT_EQ(body["errors"][0]["code"], r->status) << label;
  }
  // Unknown field names are named in the message.
  json r = call_json("POST", create, 400, R"({"indicators":[)" + dom + R"(],"extra":1})");
  EXPECT_NE(r["errors"][0]["message"].get<std::string>().find("extra"), std::string::npos);
  // Get with more than 500 ids.
  std::string ids;
  for (int i = 0; i < 501; ++i) ids += "," + std::to_string(i);
  call_json("GET", "/iocs/entities/indicators/v1?ids=" + ids.substr(1), 400);
  call_json("GET", "/iocs/queries/indicators/v1", 200);
  EXPECT_EQ(emu_->indicator_count(), 0u);
}

TEST(StateFile, SurvivesRestartAndRefusesCorruption) {
  TempDir dir;
  const auto file = dir.path() / "state.json";
  Options o;
  o.state_file = file.string();
  std::vector<std::string> ids;
  {
    Emulator emu(o);
    emu.start();
    ids = emu.add_indicators(json::array(
        {domain_item("keep1.example.com"), domain_item("keep2.example.com"), hash_item(3)}));
    httplib::Client c("127.0.0.1", emu.port());
    auto t = c.Post("/oauth2/token",
                    "client_id=falcon-emulator-demo&client_secret=falcon-emulator-demo-secret",
                    "application/x-www-form-urlencoded");
    ASSERT_TRUE(t);
    const std::string token = json::parse(t->body)["access_token"];
    auto d = c.Delete(("/iocs/entities/indicators/v1?ids=" + ids[2]).c_str(),
                      {{"Authorization", "Bearer " + token}});
    ASSERT_TRUE(d);
    EXPECT_EQ(d->status, 200);
  }
  // The state file and its (compacted, so empty) journal remain: temporary files were renamed
  // into place.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 2);
  EXPECT_TRUE(fs::exists(file));
  EXPECT_EQ(fs::file_size(file.string() + ".journal"), 0u);
  {
    Emulator emu(o);
    emu.start();
    EXPECT_EQ(emu.indicator_count(), 3u);
    EXPECT_EQ(emu.indicator(ids[0])["value"], "keep1.example.com");
    EXPECT_EQ(emu.indicator(ids[2])["deleted"], true);
    // The restored value index still catches duplicates.
    try {
      emu.add_indicators(json::array({domain_item("keep1.example.com")}));
      ADD_FAILURE() << "a duplicate was created";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("Duplicate"), std::string::npos) << e.what();
    }
  }
  {
    std::ofstream(file) << "{\"format\":\"falcon-emulator-state\",\"indicators\":[{\"id\":1}]";
    Emulator emu(o);
    try {
      emu.start();
      ADD_FAILURE() << "a corrupt state file was accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("corrupt"), std::string::npos) << e.what();
    }
    std::ifstream in(file);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(content.substr(0, 9), "{\"format\"");  // left untouched
  }
  {
    std::ofstream(file, std::ios::trunc).flush();  // an empty file (mktemp) is an empty store
    Emulator emu(o);
    EXPECT_NO_THROW(emu.start());
    EXPECT_EQ(emu.indicator_count(), 0u);
  }
}

TEST(Tls, ServesHttpsWithCertificateFiles) {
  TempDir dir;
  const auto cert = dir.path() / "cert.pem";
  const auto key = dir.path() / "key.pem";
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout " +
      key.string() + " -out " + cert.string() + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "openssl is not available";
  Options o;
  o.tls_cert_file = cert.string();
  o.tls_key_file = key.string();
  Emulator emu(o);
  const int port = emu.start();
  EXPECT_EQ(emu.base_url(), "https://127.0.0.1:" + std::to_string(port));
  httplib::SSLClient c("127.0.0.1", port);
  c.enable_server_certificate_verification(false);
  auto r = c.Post("/oauth2/token",
                  "client_id=falcon-emulator-demo&client_secret=falcon-emulator-demo-secret",
                  "application/x-www-form-urlencoded");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 201);

  o.tls_key_file = (dir.path() / "missing.pem").string();
  Emulator broken(o);
  EXPECT_THROW(broken.start(), std::runtime_error);
}

TEST(RegionRedirect, TokenEndpointAnswers308ToTheRegion) {
  Options o;
  o.region = "us-2";
  o.wrong_region_redirect = true;
  Emulator emu(o);
  const int port = emu.start();
  httplib::Client c("127.0.0.1", port);
  const std::string form =
      "client_id=falcon-emulator-demo&client_secret=falcon-emulator-demo-secret";
  auto r = c.Post("/oauth2/token", form, "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 308);
  EXPECT_TRUE(r->body.empty());
  EXPECT_EQ(r->get_header_value("X-CS-Region"), "us-2");
  const std::string location = r->get_header_value("Location");
  EXPECT_EQ(location, emu.base_url() + "/regions/us-2/oauth2/token");
  r = c.Post("/regions/us-2/oauth2/token", form, "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->get_header_value("X-CS-Region"), "us-2");
}

TEST(Lifecycle, PortInUseThrowsAndStopIsIdempotent) {
  Emulator a(Options{});
  const int port = a.start();
  Options o;
  o.port = port;
  Emulator b(o);
  EXPECT_THROW(b.start(), std::runtime_error);
  // Stopping with an idle keep-alive connection open is quick.
  httplib::Client c("127.0.0.1", port);
  c.set_keep_alive(true);
  ASSERT_TRUE(c.Get("/iocs/queries/indicators/v1"));
  const auto start = std::chrono::steady_clock::now();
  a.stop();
  a.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

#ifdef FALCON_EMULATOR_BIN
TEST(Program, PrintsUrlServesAndStopsOnSigterm) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::execl(FALCON_EMULATOR_BIN, FALCON_EMULATOR_BIN, "--port", "0", "--client-id", "me",
            "--client-secret", "pw", nullptr);
    ::_exit(127);
  }
  ::close(fds[1]);
  FILE* out = ::fdopen(fds[0], "r");
  char line[512] = {};
  ASSERT_NE(std::fgets(line, sizeof line, out), nullptr);
  const std::string text = line;
  EXPECT_NE(text.find("client_id=me"), std::string::npos) << text;
  const auto at = text.find("http://127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << text;
  const int port = std::stoi(text.substr(at + 17));
  httplib::Client c("127.0.0.1", port);
  auto r =
      c.Post("/oauth2/token", "client_id=me&client_secret=pw", "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::fclose(out);

  const std::string refuse = std::string(FALCON_EMULATOR_BIN) + " --host 0.0.0.0 >/dev/null 2>&1";
  const int rc = std::system(refuse.c_str());
  EXPECT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 2);
}
#endif

}  // namespace
}  // namespace falcon::emulator::testing
