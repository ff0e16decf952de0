// The rulebook's table test data: values with the type given (or "" to infer), and what every
// path must make of them: the normal type and value, or a refusal with a reason. The unit test
// runs each row through rules::normalize, validation (Config::validate, the create the CLI
// sends) and the feed readers; the integration test runs it through sync's comparison against
// the emulator. They must agree on every row.
#pragma once

#include <string>
#include <vector>

namespace falcon_rulebook {

struct Row {
  std::string type;          ///< As given; "" infers it.
  std::string value;         ///< As given.
  bool accepted;             ///< Every path takes it.
  std::string normal_type;   ///< When accepted.
  std::string normal_value;  ///< When accepted.
  std::string reason;        ///< When refused: part of the reason.
};

inline std::string hex(std::size_t n, char c = 'a') {
  return std::string(n, c);
}

inline const std::vector<Row>& rows() {
  static const std::vector<Row> kRows = {
      // hashes
      {"sha256", hex(64, 'a'), true, "sha256", hex(64, 'a'), ""},
      {"", hex(64, 'B'), true, "sha256", hex(64, 'b'), ""},
      {"SHA256", std::string(32, 'C') + std::string(32, 'c'), true, "sha256", hex(64, 'c'), ""},
      {"md5", hex(32, 'D'), true, "md5", hex(32, 'd'), ""},
      {"", hex(32, 'e'), true, "md5", hex(32, 'e'), ""},
      {"", hex(40, 'f'), false, "", "", "sha1 is not a Falcon IOC type"},
      {"", hex(128, '1'), false, "", "", "sha512 is not a Falcon IOC type"},
      {"sha256", hex(63, 'a'), false, "", "", "64 hex"},
      {"sha256", hex(63, 'a') + "g", false, "", "", "64 hex"},
      {"md5", hex(33, '2'), false, "", "", "32 hex"},
      {"md5", hex(64, '3'), false, "", "", "32 hex"},
      {"sha1", hex(40, '4'), false, "", "", "is not one of"},
      // IPv4
      {"ipv4", "10.0.0.1", true, "ipv4", "10.0.0.1", ""},
      {"", "192.0.2.1", true, "ipv4", "192.0.2.1", ""},
      {"", "255.255.255.255", true, "ipv4", "255.255.255.255", ""},
      {"", "0.0.0.0", true, "ipv4", "0.0.0.0", ""},
      {"", "256.1.1.1", false, "", "", "IPv4"},
      {"", "1.2.3", false, "", "", "IPv4"},
      {"", "010.0.0.1", false, "", "", "IPv4"},
      {"", "0x7f000001", false, "", "", "bare number"},
      {"", "2130706433", false, "", "", "bare number"},
      {"", "1.2.3.4.5", false, "", "", "IPv4"},
      {"ipv4", "1.2.3.256", false, "", "", "IPv4"},
      {"ipv4", "::1", false, "", "", "IPv4"},
      {"ipv4", "1.2.3.4/24", false, "", "", "IPv4"},
      {"ipv4", "010.0.0.1", false, "", "", "IPv4"},
      // IPv6
      {"ipv6", "2001:DB8:0:0:0:0:0:1", true, "ipv6", "2001:db8::1", ""},
      {"", "2001:db8::2", true, "ipv6", "2001:db8::2", ""},
      {"", "::1", true, "ipv6", "::1", ""},
      {"", "fe80::1", true, "ipv6", "fe80::1", ""},
      {"", "::ffff:1.2.3.4", true, "ipv4", "1.2.3.4", ""},
      {"ipv6", "0:0:0:0:0:ffff:c000:0280", true, "ipv4", "192.0.2.128", ""},
      {"ipv6", "2001:db8:::1", false, "", "", "IPv6"},
      {"ipv6", "1.2.3.4", false, "", "", "IPv6"},
      {"ipv6", "fe80::1%eth0", false, "", "", "IPv6"},
      {"", "gggg::1", false, "", "", "IPv6"},
      // domains
      {"domain", "Evil.Example.COM.", true, "domain", "evil.example.com", ""},
      {"", "example.com", true, "domain", "example.com", ""},
      {"", "a.b.c.d.example.org", true, "domain", "a.b.c.d.example.org", ""},
      {"", "xn--bcher-kva.example", true, "domain", "xn--bcher-kva.example", ""},
      {"", "my_host.example.com", true, "domain", "my_host.example.com", ""},
      {"", "1.2.3.4.example.com", true, "domain", "1.2.3.4.example.com", ""},
      {"", "3com.com", true, "domain", "3com.com", ""},
      {"", "example.co.uk", true, "domain", "example.co.uk", ""},
      {"", "a-b.example", true, "domain", "a-b.example", ""},
      {"DOMAIN", "EXAMPLE.NET", true, "domain", "example.net", ""},
      {"", "deadbeef.example", true, "domain", "deadbeef.example", ""},
      {"", "0x7f.example.com", true, "domain", "0x7f.example.com", ""},
      {"", "trailing-dot.example.", true, "domain", "trailing-dot.example", ""},
      {"", "com", false, "", "", "two labels"},
      {"", "localhost", false, "", "", "two labels"},
      {"", "example.123", false, "", "", "last label is a number"},
      {"domain", "a..b", false, "", "", "empty label"},
      {"domain", "-a.example", false, "", "", "'-'"},
      {"domain", "*.example.com", false, "", "", "letters, digits"},
      {"domain",
       "b\xC3\xBC"
       "cher.example",
       false, "", "", "punycode"},
      {"domain", "1.2.3.4", false, "", "", "IPv4 address, not a domain"},
      {"domain", std::string(64, 'l') + ".example", false, "", "", "63"},
      {"domain", std::string(190, 'x') + ".example.com", false, "", "", "200"},
      {"", "http://x.com/", false, "", "", "URL"},
      {"", "exa mple.com", false, "", "", "spaces"},
      {"url", "http://x.com/", false, "", "", "is not one of"},
  };
  return kRows;
}

}  // namespace falcon_rulebook
