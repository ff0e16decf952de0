#include "store.hpp"

#include <algorithm>
#include <iostream>
#include <mutex>
#include <unordered_set>

#include "fql.hpp"

namespace falcon::emulator {

using nlohmann::json;

namespace {

// A record's type and value as the active set keys it ("" when absent).
std::pair<std::string_view, std::string_view> type_value(RecordRef r, const NamePool& names) {
  const Record& rec = r->second;
  if (!rec.raw) {
    return {rec.view(Field::type, names).text, rec.view(Field::value, names).text};
  }
  const auto text = [&](const char* k) -> std::string_view {
    const auto it = rec.raw->find(k);
    return it != rec.raw->end() && it->is_string() ? it->get_ref<const std::string&>()
                                                   : std::string_view();
  };
  return {text("type"), text("value")};
}

// The pool only resolves created_by/modified_by, which type_value never reads.
const NamePool& no_names() {
  static const NamePool pool;
  return pool;
}

}  // namespace

std::size_t IndicatorStore::ActiveSet::slot_of(std::string_view type,
                                               std::string_view value) const {
  const std::size_t h =
      std::hash<std::string_view>{}(value)*31 + std::hash<std::string_view>{}(type);
  return mix64(h) & (slots_.size() - 1);
}

RecordRef IndicatorStore::ActiveSet::find(std::string_view type, std::string_view value) const {
  if (count_ == 0) return nullptr;
  for (std::size_t i = slot_of(type, value);; i = (i + 1) & (slots_.size() - 1)) {
    const RecordRef r = slots_[i];
    if (r == nullptr) return nullptr;
    if (type_value(r, no_names()) == std::make_pair(type, value)) return r;
  }
}

void IndicatorStore::ActiveSet::insert(RecordRef r) {
  if ((count_ + 1) * 4 > slots_.size() * 3) grow();  // load at most 3/4
  const auto [type, value] = type_value(r, no_names());
  for (std::size_t i = slot_of(type, value);; i = (i + 1) & (slots_.size() - 1)) {
    if (slots_[i] == nullptr) {
      slots_[i] = r;
      ++count_;
      return;
    }
    if (type_value(slots_[i], no_names()) == std::make_pair(type, value)) {
      slots_[i] = r;
      return;
    }
  }
}

void IndicatorStore::ActiveSet::erase(RecordRef r) {
  if (count_ == 0) return;
  const auto [type, value] = type_value(r, no_names());
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = slot_of(type, value);
  while (slots_[i] != r) {
    if (slots_[i] == nullptr) return;
    i = (i + 1) & mask;
  }
  // Backward-shift deletion: later entries of the probe run move up so no lookup stops early.
  std::size_t hole = i;
  for (std::size_t j = (i + 1) & mask; slots_[j] != nullptr; j = (j + 1) & mask) {
    const auto [t, v] = type_value(slots_[j], no_names());
    const std::size_t home = slot_of(t, v);
    // Move j into the hole unless its home lies cyclically in (hole, j].
    const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!stays) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = nullptr;
  --count_;
}

void IndicatorStore::ActiveSet::grow() {
  std::vector<RecordRef> old = std::move(slots_);
  slots_.assign(std::max<std::size_t>(16, old.size() * 2), nullptr);
  count_ = 0;
  for (RecordRef r : old) {
    if (r != nullptr) insert(r);
  }
}

void IndicatorStore::ActiveSet::clear() {
  slots_.clear();
  count_ = 0;
}

std::string IndicatorStore::record_key(const std::string& field) {
  if (field == "severity_number") return "severity";
  return field.substr(0, field.find('.'));
}

std::optional<json> IndicatorStore::View::find(const std::string& id) const {
  auto it = store_.records_.find(id);
  if (it == store_.records_.end()) return std::nullopt;
  return it->second.to_json(it->first, store_.names_);
}

std::optional<std::string> IndicatorStore::View::active_id(const std::string& type,
                                                           const std::string& value) const {
  const RecordRef r = store_.active_.find(type, value);
  if (r == nullptr) return std::nullopt;
  return r->first;
}

std::size_t IndicatorStore::View::live_count() const {
  return store_.active_.size();
}

bool IndicatorStore::View::contains(const std::string& id) const {
  return store_.records_.count(id) != 0;
}

void IndicatorStore::View::for_each(const std::function<void(const json&)>& fn) const {
  store_.visited_ += store_.records_.size();
  for (const auto& [id, rec] : store_.records_) fn(rec.to_json(id, store_.names_));
}

void IndicatorStore::View::for_each(const std::vector<std::string>& keys,
                                    const std::function<void(const json&)>& fn) const {
  store_.visited_ += store_.records_.size();
  for (const auto& [id, rec] : store_.records_) fn(rec.to_json(id, store_.names_, &keys));
}

RecordRef IndicatorStore::View::ref(const std::string& id) const {
  const auto it = store_.records_.find(id);
  return it == store_.records_.end() ? nullptr : &*it;
}

json IndicatorStore::View::to_json(RecordRef r, const std::vector<std::string>* keys) const {
  return r->second.to_json(r->first, store_.names_, keys);
}

void IndicatorStore::View::append_json(std::string& out, RecordRef r) const {
  r->second.append_json(out, r->first, store_.names_);
}

std::optional<IndexPage> IndicatorStore::View::page(
    const IndexSpec& spec, const std::vector<std::string>& groups, std::size_t offset,
    const SortKey* after_key, const std::string& after_id, std::size_t limit,
    const std::function<bool(RecordRef)>& keep) const {
  const auto found = store_.indexes_.find(spec);
  if (found == store_.indexes_.end()) return std::nullopt;
  const SortIndex& index = *found->second;
  const auto [first, last] = index.group(groups);
  // Strictly after the cursor's (key, id): stable even if records came or went since.
  const std::size_t cursor =
      after_key != nullptr
          ? std::max(first, std::min(last, index.after(groups, *after_key, after_id)))
          : last;
  IndexPage out;
  if (!keep) {
    out.total = last - first;
    const std::size_t pos = after_key != nullptr ? cursor : first + std::min(offset, out.total);
    out.start = pos - first;
    index.visit(pos, last, [&](RecordRef r) {
      out.records.push_back(r);
      return out.records.size() < limit;
    });
    store_.visited_ += out.records.size();
    return out;
  }
  // Other terms of the filter: the group is walked, its records checked one by one.
  std::size_t pos = first;
  index.visit(first, last, [&](RecordRef r) {
    const bool before = after_key != nullptr ? pos < cursor : out.total < offset;
    ++pos;
    if (!keep(r)) return true;
    ++out.total;
    if (before) {
      ++out.start;
    } else if (out.records.size() < limit) {
      out.records.push_back(r);
    }
    return true;
  });
  store_.visited_ += last - first;
  return out;
}

std::size_t IndicatorStore::View::size() const {
  return store_.records_.size();
}

void IndicatorStore::Tx::put(json record) {
  const std::string id = record.at("id").get<std::string>();
  const bool seen =
      std::any_of(undo_.begin(), undo_.end(), [&](const auto& u) { return u.first == id; });
  if (!seen) undo_.emplace_back(id, find(id));
  mut_.replace_locked(id, record);
  changed_.push_back(id);
}

void IndicatorStore::replace_locked(const std::string& id, const std::optional<json>& rec) {
  auto it = records_.find(id);
  if (it != records_.end()) {
    unindex(&*it);
    if (!rec) {
      records_.erase(it);
      return;
    }
    it->second = Record::from_json(*rec, names_);
  } else {
    if (!rec) return;
    it = records_.emplace(id, Record::from_json(*rec, names_)).first;
  }
  index(&*it);
}

namespace {

// What index() and unindex() read of a record.
const std::vector<std::string>& lookup_keys() {
  static const std::vector<std::string> keys{"type", "value", "deleted", "expiration", "expired"};
  return keys;
}

}  // namespace

void IndicatorStore::index(RecordRef r) {
  const json j = r->second.to_json(r->first, names_, &lookup_keys());
  if (!j.value("deleted", false)) {
    active_.insert(r);
    for (auto& [spec, index] : indexes_) index->insert(r);
  }
  if (j.contains("expiration") && !j.value("expired", false)) {
    if (auto t = parse_time(j["expiration"].get<std::string>())) {
      expiries_.emplace(to_ns(*t), r->first);
      if (to_ns(*t) < next_expiry_.load()) next_expiry_.store(to_ns(*t));
    }
  }
}

void IndicatorStore::unindex(RecordRef r) {
  const json j = r->second.to_json(r->first, names_, &lookup_keys());
  active_.erase(r);
  if (!j.value("deleted", false)) {
    for (auto& [spec, index] : indexes_) index->erase(r);
  }
  if (j.contains("expiration")) {
    if (auto t = parse_time(j["expiration"].get<std::string>())) {
      auto [b, e] = expiries_.equal_range(to_ns(*t));
      for (auto it = b; it != e; ++it) {
        if (it->second == r->first) {
          expiries_.erase(it);
          break;
        }
      }
    }
  }
}

bool IndicatorStore::ensure_index(const IndexSpec& spec) {
  {
    std::shared_lock lock(mu_);
    if (auto it = indexes_.find(spec); it != indexes_.end()) {
      it->second->used = ++index_clock_;
      return true;
    }
  }
  std::unique_lock lock(mu_);
  if (auto it = indexes_.find(spec); it != indexes_.end()) return true;
  if (indexes_.size() >= kMaxIndexes) {  // drop the least recently used one
    auto lru = indexes_.begin();
    for (auto it = indexes_.begin(); it != indexes_.end(); ++it) {
      if (it->second->used < lru->second->used) lru = it;
    }
    indexes_.erase(lru);
  }
  auto index = std::make_unique<SortIndex>(spec, names_);
  for (const auto& node : records_) {
    if (!node.second.deleted()) index->insert(&node);
  }
  visited_ += records_.size();
  index->used = ++index_clock_;
  indexes_.emplace(spec, std::move(index));
  return true;
}

IndicatorStore::IndicatorStore(std::string state_file) : files_(std::move(state_file)) {}

IndicatorStore::~IndicatorStore() = default;

void IndicatorStore::compact() {
  std::unique_lock lock(mu_);
  if (files_.enabled() && files_.stats().journal_bytes > 0) snapshot_locked();
}

IndicatorStore::PersistStats IndicatorStore::persist_stats() const {
  std::shared_lock lock(mu_);
  return files_.stats();
}

void IndicatorStore::sweep_locked(TimePoint now) const {
  const std::int64_t n = to_ns(now);
  while (!expiries_.empty() && expiries_.begin()->first <= n) {
    auto it = records_.find(expiries_.begin()->second);
    expiries_.erase(expiries_.begin());
    if (it == records_.end()) continue;
    // An expired indicator is kept but stops acting (spec §5.5). Both fields may be sorted on,
    // and the indexes are ordered by what the record holds: out first, back in after.
    const bool indexed = !it->second.deleted();
    if (indexed) {
      for (auto& [spec, index] : indexes_) index->erase(&*it);
    }
    it->second.expire();
    if (indexed) {
      for (auto& [spec, index] : indexes_) index->insert(&*it);
    }
  }
  next_expiry_.store(expiries_.empty() ? INT64_MAX : expiries_.begin()->first);
}

void IndicatorStore::sweep(TimePoint now) const {
  if (to_ns(now) < next_expiry_.load()) return;
  std::unique_lock lock(mu_);
  sweep_locked(now);
}

void IndicatorStore::read(TimePoint now, const std::function<void(const View&)>& fn) const {
  sweep(now);
  std::shared_lock lock(mu_);
  fn(View(*this));
}

void IndicatorStore::write(TimePoint now, const std::function<void(Tx&)>& fn) {
  std::unique_lock lock(mu_);
  sweep_locked(now);
  Tx tx(*this);
  try {
    fn(tx);
    sweep_locked(now);  // records written with a past expiration expire right away
    if (!tx.changed_.empty()) persist_locked(tx.changed_);
  } catch (...) {
    // All or nothing: what this write changed goes back to what it was.
    for (auto it = tx.undo_.rbegin(); it != tx.undo_.rend(); ++it) {
      replace_locked(it->first, it->second);
    }
    sweep_locked(now);
    throw;
  }
}

void IndicatorStore::reset_locked() {
  records_.clear();
  names_.clear();
  active_.clear();
  expiries_.clear();
  next_expiry_.store(INT64_MAX);
  for (auto& [spec, index] : indexes_) index->clear();
}

void IndicatorStore::clear() {
  std::unique_lock lock(mu_);
  reset_locked();
  if (files_.enabled()) snapshot_locked();
}

void IndicatorStore::load() {
  if (!files_.enabled()) return;
  std::unique_lock lock(mu_);
  reset_locked();
  indexes_.clear();  // rebuilt on demand
  const bool compact_now = files_.load([&](const json& rec, bool from_journal) {
    const std::string id = rec["id"].get<std::string>();
    if (!from_journal && records_.count(id) != 0) {
      throw std::runtime_error("state file is corrupt (duplicate indicator id " + id +
                               "); refusing to start so no indicators are lost. Move the file "
                               "away to start with an empty store.");
    }
    replace_locked(id, rec);
  });
  // Fold the journal into a fresh snapshot; a new store gets its (empty) state file at once.
  // On a full disk this waits for a later write: the journal alone holds everything.
  if (compact_now) {
    try {
      snapshot_locked();
    } catch (const PersistError& e) {
      std::cerr << "falcon-emulator: compaction postponed: " << e.what() << std::endl;
    }
  }
}

void IndicatorStore::persist_locked(const std::vector<std::string>& ids) {
  if (!files_.enabled()) return;
  std::string line = R"({"put":[)";
  std::unordered_set<std::string> seen;
  bool first = true;
  for (const auto& id : ids) {
    if (!seen.insert(id).second) continue;
    if (auto it = records_.find(id); it != records_.end()) {
      if (!first) line += ',';
      first = false;
      it->second.append_json(line, it->first, names_);
    }
  }
  line += "]}";
  files_.append(line);  // throws PersistError: the caller rolls the write back
  if (files_.should_compact()) {
    // The write is durable already; a compaction that fails is tried again after the next.
    try {
      snapshot_locked();
    } catch (const PersistError& e) {
      std::cerr << "falcon-emulator: compaction postponed: " << e.what() << std::endl;
    }
  }
}

void IndicatorStore::snapshot_locked() {
  auto it = records_.begin();
  files_.snapshot([&](std::string& out) {
    if (it == records_.end()) return false;
    it->second.append_json(out, it->first, names_);
    ++it;
    return true;
  });
}

}  // namespace falcon::emulator
