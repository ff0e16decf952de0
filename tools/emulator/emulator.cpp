// The public Emulator: forwards to Emulator::Impl (server.cpp, control.cpp).
#include "emulator.hpp"

#include <stdexcept>

#include "server.hpp"

namespace falcon::emulator {

using nlohmann::json;

Emulator::Emulator(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Emulator::~Emulator() {
  stop();
}

int Emulator::start() {
  return impl_->start();
}
void Emulator::stop() {
  impl_->stop();
}
std::string Emulator::base_url() const {
  return impl_->svc.base_url;
}
int Emulator::port() const {
  return impl_->port;
}
void Emulator::inject(Fault fault) {
  impl_->inject(std::move(fault));
}
Counters Emulator::counters() const {
  return impl_->counters();
}
void Emulator::reset() {
  impl_->reset();
}
void Emulator::expire_tokens() {
  impl_->svc.tokens.expire_all();
}
const Options& Emulator::options() const {
  return impl_->svc.opts;
}
std::vector<Fault> Emulator::pending_faults() const {
  return impl_->pending_faults();
}
json Emulator::audit_log() const {
  return impl_->svc.audit_log();
}

std::vector<std::string> Emulator::add_indicators(const json& items) {
  Service& s = impl_->svc;
  Reply r;
  try {
    r = create_indicators(s, items, true, s.opts.client_id, "", s.now());
  } catch (const ApiError& e) {
    throw std::invalid_argument(e.what());
  }
  if (r.status != 201) throw std::invalid_argument(r.resources.dump());
  std::vector<std::string> ids;
  for (const auto& rec : r.resources) ids.push_back(rec["id"].get<std::string>());
  return ids;
}

json Emulator::indicator(const std::string& id) const {
  json out;
  impl_->svc.store.read(impl_->svc.now(), [&](const IndicatorStore::View& v) {
    if (auto rec = v.find(id)) out = *rec;
  });
  return out;
}

std::uint64_t Emulator::records_visited() const {
  return impl_->svc.store.records_visited();
}

std::size_t Emulator::indicator_count() const {
  std::size_t n = 0;
  impl_->svc.store.read(impl_->svc.now(), [&](const IndicatorStore::View& v) { n = v.size(); });
  return n;
}

std::chrono::system_clock::time_point Emulator::now() const {
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(impl_->svc.now());
}

void Emulator::advance_clock(std::chrono::seconds by) {
  impl_->svc.offset_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(by).count();
}

}  // namespace falcon::emulator
