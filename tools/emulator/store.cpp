#include "store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <unordered_set>

#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>

#include "fql.hpp"
#include "validate.hpp"

namespace falcon::emulator {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void write_all(int fd, const std::string& data, const std::string& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
}

[[noreturn]] void corrupt(const std::string& path, const std::string& why) {
  throw std::runtime_error("state file '" + path + "' is corrupt (" + why +
                           "); refusing to start so no indicators are lost. Move the file away "
                           "to start with an empty store.");
}

// Why a record read from a state file cannot be served, or nullopt when it can.
std::optional<std::string> record_problem(const json& rec) {
  if (!rec.is_object()) return "an indicator is not a JSON object";
  const auto str = [&](const char* k) { return rec.contains(k) && rec[k].is_string(); };
  if (!str("id") || !is_hex(rec["id"].get<std::string>(), 64) || !str("type") || !str("value")) {
    return "an indicator lacks a valid id, type or value";
  }
  const std::string id = rec["id"].get<std::string>();
  for (const char* k : {"deleted", "expired", "applied_globally", "from_parent"}) {
    if (rec.contains(k) && !rec[k].is_boolean())
      return "indicator " + id + ": " + k + " is not a boolean";
  }
  for (const char* k : {"action", "severity", "mobile_action", "source", "description",
                        "created_on", "created_by", "modified_on", "modified_by"}) {
    if (rec.contains(k) && !rec[k].is_string())
      return "indicator " + id + ": " + k + " is not a string";
  }
  for (const char* k : {"platforms", "tags", "host_groups"}) {
    if (!rec.contains(k)) continue;
    if (!rec[k].is_array()) return "indicator " + id + ": " + k + " is not an array";
    for (const auto& v : rec[k]) {
      if (!v.is_string()) return "indicator " + id + ": " + k + " holds a non-string";
    }
  }
  if (rec.contains("metadata") && !rec["metadata"].is_object()) {
    return "indicator " + id + ": metadata is not an object";
  }
  if (rec.contains("expiration") &&
      (!rec["expiration"].is_string() || !parse_time(rec["expiration"].get<std::string>()))) {
    return "indicator " + id + " has a bad expiration";
  }
  return std::nullopt;
}

struct GroupField {
  const char* name;
  bool case_insensitive;  // as FQL compares it
};

constexpr GroupField kGroupFields[] = {
    {"type", true},    {"value", false},        {"action", true},      {"severity", true},
    {"source", false}, {"mobile_action", true}, {"created_by", false}, {"modified_by", false},
};

const GroupField* group_field(const std::string& name) {
  for (const auto& g : kGroupFields) {
    if (name == g.name) return &g;
  }
  return nullptr;
}

std::string ascii_lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

}  // namespace

bool is_time_sort_field(const std::string& f) {
  return f == "created_on" || f == "modified_on" || f == "expiration";
}

SortKey make_sort_key(const json& v, bool time_field) {
  SortKey k;
  if (v.is_boolean()) {
    k.kind = 0;
    k.num = v.get<bool>() ? 1 : 0;
  } else if (v.is_number()) {
    k.kind = 1;
    k.num = v.get<double>();
  } else if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (time_field) {
      if (auto t = parse_time(s)) {
        k.kind = 2;
        k.time = to_ns(*t);
        return k;
      }
    }
    k.kind = 3;
    k.str = s;
  } else if (!v.is_null()) {
    k.kind = 3;
    k.str = v.dump();
  }
  return k;
}

int compare_sort_keys(const SortKey& a, const SortKey& b, bool descending) {
  if (a.kind == 4 || b.kind == 4) return a.kind == b.kind ? 0 : (a.kind == 4 ? 1 : -1);
  int c = 0;
  if (a.kind != b.kind) {
    c = a.kind < b.kind ? -1 : 1;
  } else if (a.kind == 2) {
    c = a.time < b.time ? -1 : a.time > b.time ? 1 : 0;
  } else if (a.kind == 3) {
    c = a.str.compare(b.str);
    c = c < 0 ? -1 : c > 0 ? 1 : 0;
  } else {
    c = a.num < b.num ? -1 : a.num > b.num ? 1 : 0;
  }
  return descending ? -c : c;
}

// An order-statistics tree (rank and select in O(log N)) of entries ordered by
// (group, sort key, id). `bound` makes probes that sit before (-1) or after (+1) a whole group.
struct IndicatorStore::Index {
  struct Entry {
    std::string group;  // "\x01" + value, or "" when the record lacks the field
    SortKey key;
    const std::string* id = nullptr;
    const Record* rec = nullptr;
    int bound = 0;
  };
  struct Less {
    bool descending = false;
    bool operator()(const Entry& a, const Entry& b) const {
      if (const int g = a.group.compare(b.group); g != 0) return g < 0;
      if (a.bound != b.bound) return a.bound < b.bound;
      if (a.bound != 0) return false;
      if (const int k = compare_sort_keys(a.key, b.key, descending); k != 0) return k < 0;
      return *a.id < *b.id;
    }
  };
  using Tree = __gnu_pbds::tree<Entry, __gnu_pbds::null_type, Less, __gnu_pbds::rb_tree_tag,
                                __gnu_pbds::tree_order_statistics_node_update>;

  explicit Index(IndexSpec s) : spec(std::move(s)), tree(Less{spec.descending}) {}

  // `rec` is `stored` rendered.
  Entry entry(const std::string& id, const json& rec, const Record& stored) const {
    Entry e;
    if (!spec.group_field.empty()) {
      const auto it = rec.find(spec.group_field);
      if (it != rec.end() && it->is_string()) {
        const GroupField* g = group_field(spec.group_field);
        e.group = "\x01" + (g->case_insensitive ? ascii_lower(it->get<std::string>())
                                                : it->get<std::string>());
      }
    }
    e.key = make_sort_key(field_value(rec, spec.sort_field), is_time_sort_field(spec.sort_field));
    e.id = &id;
    e.rec = &stored;
    return e;
  }

  IndexSpec spec;
  Tree tree;
  std::atomic<std::uint64_t> used{0};  // index_clock_ at the last search that used it
};

std::string IndicatorStore::record_key(const std::string& field) {
  if (field == "severity_number") return "severity";
  return field.substr(0, field.find('.'));
}

bool IndicatorStore::is_group_field(const std::string& field) {
  return group_field(field) != nullptr;
}

std::string IndicatorStore::group_of_literal(const std::string& field, const std::string& text) {
  const GroupField* g = group_field(field);
  return "\x01" + (g != nullptr && g->case_insensitive ? ascii_lower(text) : text);
}

std::optional<json> IndicatorStore::View::find(const std::string& id) const {
  auto it = store_.records_.find(id);
  if (it == store_.records_.end()) return std::nullopt;
  return it->second.to_json(it->first, store_.names_);
}

std::optional<std::string> IndicatorStore::View::active_id(const std::string& type,
                                                           const std::string& value) const {
  auto it = store_.active_.find(key(type, value));
  if (it == store_.active_.end()) return std::nullopt;
  return *it->second;
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

std::optional<IndexPage> IndicatorStore::View::page(const IndexSpec& spec, const std::string& group,
                                                    std::size_t offset, const SortKey* after_key,
                                                    const std::string& after_id,
                                                    std::size_t limit) const {
  const auto found = store_.indexes_.find(spec);
  if (found == store_.indexes_.end()) return std::nullopt;
  const Index::Tree& tree = found->second->tree;
  Index::Entry probe;
  probe.group = spec.group_field.empty() ? std::string() : group;
  probe.bound = -1;
  const std::size_t first = spec.group_field.empty() ? 0 : tree.order_of_key(probe);
  probe.bound = 1;
  const std::size_t last = spec.group_field.empty() ? tree.size() : tree.order_of_key(probe);
  IndexPage out;
  out.total = last - first;
  std::size_t pos = first + std::min(offset, out.total);
  if (after_key != nullptr) {
    // Strictly after the cursor's (key, id): stable even if records came or went since.
    probe.bound = 0;
    probe.key = *after_key;
    probe.id = &after_id;
    pos = std::max(first, std::min(last, tree.order_of_key(probe)));
    auto it = tree.find_by_order(pos);
    if (it != tree.end() && pos < last && !tree.get_cmp_fn()(probe, *it)) {
      ++pos;  // the cursor's own record
    }
  }
  out.start = pos - first;
  auto it = tree.find_by_order(pos);
  for (; it != tree.end() && pos < last && out.records.size() < limit; ++it, ++pos) {
    out.records.push_back(it->rec->to_json(*it->id, store_.names_));
  }
  store_.visited_ += out.records.size();
  return out;
}

std::size_t IndicatorStore::View::size() const {
  return store_.records_.size();
}

void IndicatorStore::Tx::put(json record) {
  const std::string id = record.at("id").get<std::string>();
  auto it = mut_.records_.find(id);
  if (it != mut_.records_.end()) {
    const json old = it->second.to_json(it->first, mut_.names_);
    mut_.unindex(old);
    mut_.unindex_sorted(old);
    it->second = Record::from_json(record, mut_.names_);
  } else {
    mut_.records_.emplace(id, Record::from_json(record, mut_.names_));
  }
  mut_.index(record);
  mut_.index_sorted(record);
  changed_.push_back(id);
}

void IndicatorStore::index_sorted(const json& rec) const {
  if (indexes_.empty() || rec.value("deleted", false)) return;
  const auto at = records_.find(rec.at("id").get<std::string>());
  for (auto& [spec, index] : indexes_) {
    index->tree.insert(index->entry(at->first, rec, at->second));
  }
}

void IndicatorStore::unindex_sorted(const json& rec) const {
  if (indexes_.empty() || rec.value("deleted", false)) return;
  const auto at = records_.find(rec.at("id").get<std::string>());
  for (auto& [spec, index] : indexes_) {
    index->tree.erase(index->entry(at->first, rec, at->second));
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
  auto index = std::make_unique<Index>(spec);
  const std::vector<std::string> keys{"deleted", spec.group_field, record_key(spec.sort_field)};
  for (const auto& [id, stored] : records_) {
    const json rec = stored.to_json(id, names_, &keys);
    if (!rec.value("deleted", false)) index->tree.insert(index->entry(id, rec, stored));
  }
  visited_ += records_.size();
  index->used = ++index_clock_;
  indexes_.emplace(spec, std::move(index));
  return true;
}

IndicatorStore::IndicatorStore(std::string state_file)
    : state_file_(std::move(state_file)),
      journal_file_(state_file_.empty() ? "" : state_file_ + ".journal") {}

IndicatorStore::~IndicatorStore() {
  if (journal_fd_ >= 0) ::close(journal_fd_);
}

void IndicatorStore::compact() {
  std::unique_lock lock(mu_);
  if (journal_fd_ >= 0 && stats_.journal_bytes > 0) snapshot_locked();
}

IndicatorStore::PersistStats IndicatorStore::persist_stats() const {
  std::shared_lock lock(mu_);
  return stats_;
}

std::string IndicatorStore::key(const std::string& type, const std::string& value) {
  return type + '\n' + value;
}

void IndicatorStore::index(const json& rec) {
  const std::string id = rec.at("id").get<std::string>();
  if (!rec.value("deleted", false)) {
    active_[key(rec.value("type", ""), rec.value("value", ""))] = &records_.find(id)->first;
  }
  if (rec.contains("expiration") && !rec.value("expired", false)) {
    if (auto t = parse_time(rec["expiration"].get<std::string>())) {
      expiries_.emplace(to_ns(*t), id);
      if (to_ns(*t) < next_expiry_.load()) next_expiry_.store(to_ns(*t));
    }
  }
}

void IndicatorStore::unindex(const json& rec) {
  const std::string id = rec.at("id").get<std::string>();
  auto a = active_.find(key(rec.value("type", ""), rec.value("value", "")));
  if (a != active_.end() && *a->second == id) active_.erase(a);
  if (rec.contains("expiration")) {
    if (auto t = parse_time(rec["expiration"].get<std::string>())) {
      auto [b, e] = expiries_.equal_range(to_ns(*t));
      for (auto it = b; it != e; ++it) {
        if (it->second == id) {
          expiries_.erase(it);
          break;
        }
      }
    }
  }
}

void IndicatorStore::sweep_locked(TimePoint now) const {
  const std::int64_t n = to_ns(now);
  while (!expiries_.empty() && expiries_.begin()->first <= n) {
    auto it = records_.find(expiries_.begin()->second);
    expiries_.erase(expiries_.begin());
    if (it == records_.end()) continue;
    // An expired indicator is kept but stops acting (spec §5.5). Both fields may be sorted on.
    if (indexes_.empty()) {
      it->second.expire();
      continue;
    }
    unindex_sorted(it->second.to_json(it->first, names_));
    it->second.expire();
    index_sorted(it->second.to_json(it->first, names_));
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
  fn(tx);
  sweep_locked(now);  // records written with a past expiration expire right away
  if (!tx.changed_.empty()) append_locked(tx.changed_);
}

void IndicatorStore::clear() {
  std::unique_lock lock(mu_);
  records_.clear();
  names_.clear();
  active_.clear();
  expiries_.clear();
  next_expiry_.store(INT64_MAX);
  for (auto& [spec, index] : indexes_) index->tree.clear();
  if (!state_file_.empty()) snapshot_locked();
}

void IndicatorStore::load() {
  if (state_file_.empty()) return;
  const fs::path target(state_file_);
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw std::runtime_error("the folder of state file '" + state_file_ +
                             "' does not exist or is not a folder");
  }
  if (fs::is_directory(target, ec)) {
    throw std::runtime_error("state file '" + state_file_ + "' is a folder");
  }
  // Temporary snapshots of an earlier run that died before renaming them into place.
  const std::string tmp_prefix = "." + target.filename().string() + ".tmp.";
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.compare(0, tmp_prefix.size(), tmp_prefix) == 0) fs::remove(entry.path(), ec);
  }
  // Opening the journal for append proves the folder writable before anything is served.
  open_journal();

  std::unique_lock lock(mu_);
  records_.clear();
  names_.clear();
  active_.clear();
  expiries_.clear();
  next_expiry_.store(INT64_MAX);
  indexes_.clear();  // rebuilt on demand
  const auto put = [&](const json& rec, bool from_journal) {
    if (const auto why = record_problem(rec)) corrupt(state_file_, *why);
    const std::string id = rec["id"].get<std::string>();
    auto it = records_.find(id);
    if (it != records_.end()) {
      if (!from_journal) corrupt(state_file_, "duplicate indicator id " + id);
      unindex(it->second.to_json(it->first, names_));
      it->second = Record::from_json(rec, names_);
    } else {
      records_.emplace(id, Record::from_json(rec, names_));
    }
    index(rec);
  };

  if (fs::exists(target, ec)) {
    std::ifstream in(state_file_, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read state file '" + state_file_ + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    snapshot_bytes_ = text.size();
    if (!trim(text).empty()) {  // empty: e.g. a fresh mktemp file, nothing to lose
      json doc;
      try {
        doc = json::parse(text);
      } catch (const json::exception& e) {
        corrupt(state_file_, std::string("not valid JSON: ") + e.what());
      }
      if (!doc.is_object() || !doc.contains("format") || doc["format"] != "falcon-emulator-state" ||
          !doc.contains("indicators") || !doc["indicators"].is_array()) {
        corrupt(state_file_, "not a falcon-emulator state document");
      }
      for (const auto& rec : doc["indicators"]) put(rec, false);
    }
  }

  // The journal: one JSON line per write. Only the last line can be torn (a crash during
  // its append, so its write was never acknowledged); anything else is corruption.
  std::ifstream jin(journal_file_, std::ios::binary);
  std::stringstream js;
  js << jin.rdbuf();
  const std::string journal = js.str();
  std::size_t pos = 0;
  const auto bad = [&]() {
    throw std::runtime_error("state journal '" + journal_file_ + "' is corrupt at byte " +
                             std::to_string(pos) +
                             "; refusing to start so no indicators are lost. Move the state "
                             "file and its journal away to start with an empty store.");
  };
  while (pos < journal.size()) {
    const std::size_t nl = journal.find('\n', pos);
    if (nl == std::string::npos) break;  // torn tail
    const json entry =
        json::parse(journal.begin() + static_cast<std::ptrdiff_t>(pos),
                    journal.begin() + static_cast<std::ptrdiff_t>(nl), nullptr, false);
    if (!entry.is_object() || !entry.contains("put") || !entry["put"].is_array()) bad();
    for (const auto& rec : entry["put"]) {
      if (record_problem(rec)) bad();
    }
    for (const auto& rec : entry["put"]) put(rec, true);
    pos = nl + 1;
  }
  // Fold the journal into a fresh snapshot (also drops a torn tail); a new store gets its
  // (empty) state file at once.
  if (!journal.empty() || !fs::exists(target, ec)) snapshot_locked();
}

void IndicatorStore::open_journal() {
  if (journal_fd_ >= 0) return;
  journal_fd_ = ::open(journal_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (journal_fd_ < 0) {
    throw std::runtime_error("cannot write next to state file '" + state_file_ + "' (" +
                             journal_file_ + ": " + std::strerror(errno) + ")");
  }
}

void IndicatorStore::append_locked(const std::vector<std::string>& ids) {
  if (state_file_.empty()) return;
  json put = json::array();
  std::unordered_set<std::string> seen;
  for (const auto& id : ids) {
    if (!seen.insert(id).second) continue;
    if (auto it = records_.find(id); it != records_.end()) {
      put.push_back(it->second.to_json(it->first, names_));
    }
  }
  const std::string line = json{{"put", std::move(put)}}.dump() + "\n";
  // One write of a whole line, then fsync: the reply goes out only once the line is durable.
  write_all(journal_fd_, line, journal_file_);
  if (::fdatasync(journal_fd_) != 0) {
    throw std::runtime_error("fsync " + journal_file_ + " failed: " + std::strerror(errno));
  }
  ++stats_.journal_appends;
  stats_.journal_bytes += line.size();
  if (stats_.journal_bytes > std::max(kMinCompactBytes, snapshot_bytes_)) snapshot_locked();
}

void IndicatorStore::snapshot_locked() {
  open_journal();
  json list = json::array();
  for (const auto& [id, rec] : records_) list.push_back(rec.to_json(id, names_));
  const std::string data =
      json{{"format", "falcon-emulator-state"}, {"version", 1}, {"indicators", std::move(list)}}
          .dump();
  const fs::path target(state_file_);
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  const fs::path tmp = dir / ("." + target.filename().string() + ".tmp." + random_hex(8));
  // Same directory so rename() is atomic; fsync before rename so a crash never leaves a torn file.
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    throw std::runtime_error("cannot create " + tmp.string() + ": " + std::strerror(errno));
  try {
    write_all(fd, data, tmp.string());
    if (::fsync(fd) != 0) throw std::runtime_error("fsync " + tmp.string() + " failed");
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot replace " + state_file_ + ": " + err);
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  // The snapshot holds everything now. A crash before this truncation only replays records
  // the snapshot already has, which is harmless.
  if (::ftruncate(journal_fd_, 0) != 0 || ::fdatasync(journal_fd_) != 0) {
    throw std::runtime_error("cannot truncate " + journal_file_ + ": " + std::strerror(errno));
  }
  snapshot_bytes_ = data.size();
  stats_.journal_bytes = 0;
  ++stats_.snapshots;
}

}  // namespace falcon::emulator
