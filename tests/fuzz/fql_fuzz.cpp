// libFuzzer target: the emulator's FQL parser and evaluator, and the sort parser.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fql.hpp"

namespace {
const nlohmann::json& record() {
  static const nlohmann::json r = nlohmann::json::parse(R"({
    "id":"4f1a","type":"domain","value":"bad.example.com","action":"detect","severity":"high",
    "platforms":["windows","mac"],"tags":["a","b"],"host_groups":[],"source":"feed",
    "created_on":"2025-02-03T10:04:18.39565409Z","modified_on":"2025-02-04T00:00:00Z",
    "expired":false,"deleted":false,"applied_globally":true,
    "metadata":{"filename":"x.exe","av_hits":3}})");
  return r;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto f = falcon::emulator::FqlFilter::parse(text);
    (void)f.matches(record());
    (void)f.fields();
  } catch (const falcon::emulator::FqlError&) {
  }
  try {
    auto s = falcon::emulator::SortSpec::parse(text);
    (void)falcon::emulator::compare_records(record(), record(), s);
  } catch (const falcon::emulator::FqlError&) {
  }
  return 0;
}
