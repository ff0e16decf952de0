// create_indicators: the three ways to create indicators with indicator_create
// (indicator_create_v1, POST /iocs/entities/indicators/v1, scope ioc:write):
//   1. one indicator from keyword-style option fields,
//   2. a list of indicators built in code (falcon::IndicatorSpec),
//   3. a list read from a JSON file (the API's own create-item shape),
// then shows what a refused row looks like, and deletes what it created.
//
//   FALCON_CLIENT_ID=... FALCON_CLIENT_SECRET=... FALCON_BASE_URL=us-2
//   ./create_indicators examples/data/indicators.json
#include <fstream>
#include <sstream>

#include "example_support.hpp"

int main(int argc, char** argv) {
  falcon::IOC ioc(example::config_from_env("create_indicators"));
  example::Steps steps("create_indicators");
  const std::string run = example::run_tag();
  const std::string source = "falcon-cpp-example-create-" + run;
  std::printf("create_indicators against %s (source %s)\n", ioc.client().base_url().c_str(),
              source.c_str());

  example::Steps::section("1. one indicator from option fields");
  falcon::IndicatorCreateOptions one;
  one.type = "domain";
  one.value = "phish-" + run + ".falcon-cpp.example";
  one.action = "detect";
  one.severity = "high";
  one.platforms = falcon::StringList{"windows", "mac"};
  one.applied_globally = true;
  one.source = source;
  one.tags = falcon::StringList{"phishing"};
  one.comment = "falcon-cpp create_indicators example";
  auto r1 = ioc.indicator_create(one);
  if (steps.check("indicator_create (fields)", r1)) {
    for (const auto& ind : r1.resources_as<falcon::Indicator>()) {
      std::printf("        created %s %s, id %s\n", ind.type.c_str(), ind.value.c_str(),
                  ind.id.c_str());
    }
  }

  example::Steps::section("2. a list built in code");
  std::vector<falcon::IndicatorSpec> list;
  list.push_back(example::indicator("ipv4", "203.0.113.17", source));
  list.push_back(example::indicator("sha256", example::random_hex(64), source));
  list.back().action = "prevent";
  list.back().filename = "payload.dll";
  list.push_back(example::indicator("md5", example::random_hex(32), source));
  falcon::IndicatorCreateOptions many;
  many.indicators = list;  // any JSON array of create items; converted by IndicatorSpec's to_json
  many.comment = "falcon-cpp create_indicators example";
  auto r2 = ioc.indicator_create(many);
  if (steps.check("indicator_create (list of 3)", r2)) {
    for (const auto& ind : r2.resources_as<falcon::Indicator>()) {
      std::printf("        created %-6s %s\n", ind.type.c_str(), ind.value.c_str());
    }
    steps.expect(r2.resources().size() == 3, "three indicators came back");
  }

  example::Steps::section("3. a list from a JSON file");
  if (argc < 2) {
    steps.skip("no JSON file given (pass one, e.g. examples/data/indicators.json)");
  } else {
    std::ifstream in(argv[1]);
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json items = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (!in || !items.is_array()) {
      steps.fail(std::string("cannot read a JSON array of indicators from ") + argv[1]);
    } else {
      for (auto& item : items) item["source"] = source;  // tag them so the cleanup finds them
      falcon::IndicatorCreateOptions from_file;
      from_file.indicators = items;
      from_file.comment = "imported by the falcon-cpp create_indicators example";
      auto r3 = ioc.indicator_create(from_file);
      if (steps.check("indicator_create (" + std::to_string(items.size()) + " from file)", r3)) {
        steps.expect(r3.resources().size() == items.size(), "every indicator of the file created");
      }
    }
  }

  example::Steps::section("4. a refused row");
  // The same domain again: the API answers 400 with one row message and writes nothing.
  auto dup = ioc.indicator_create(one);
  if (dup.ok()) {
    steps.fail("a duplicate indicator was accepted");
  } else {
    std::printf("        HTTP %d, as expected:\n", dup.status_code);
    for (const auto& row : dup.resources()) {
      if (!row.is_object() || !row.contains("message_type")) continue;
      const auto msg = row.get<falcon::RowMessage>();
      std::printf("        row %lld %s field %s: %s\n", static_cast<long long>(msg.row),
                  msg.message_type.c_str(), msg.field_name.c_str(), msg.message.c_str());
    }
    steps.expect(dup.status_code == 400, "the duplicate was refused with HTTP 400");
  }

  example::Steps::section("5. clean up");
  example::cleanup(ioc, source, steps);
  return steps.finish();
}
