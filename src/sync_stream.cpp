// stream(): sync for feeds that do not fit in memory. The first read of the feed keeps, per
// distinct entry, a 128-bit hash of its key and a signature of the managed fields it sets
// (sync_internal.hpp), plus its expiration; the scope's pages are compared against that as they
// arrive and dropped, keeping only the records that differ or go. Conflicts are looked for
// outside the scope. The guards see exact totals; then a second read of the feed builds the
// writes the plan needs, reported (and written) as they are produced.
#include <sys/mman.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <unordered_map>

#include "falcon/fql.hpp"
#include "falcon/pagination.hpp"
#include "indicator_fields.hpp"
#include "lookups.hpp"
#include "query.hpp"
#include "response_internal.hpp"
#include "strings.hpp"
#include "sync_internal.hpp"
#include "value_lists.hpp"

namespace falcon::sync {

using nlohmann::json;
using namespace internal::sync_core;

namespace {

// ---- compact tables -----------------------------------------------------------------------

// Asks for huge pages under a large table before it is first written: at a million rows every
// lookup lands on another 4 KiB page, and the TLB misses cost more than the cache misses.
void advise_huge(const void* p, std::size_t bytes) {
#ifdef MADV_HUGEPAGE
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  const auto begin = (reinterpret_cast<std::uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(kHuge - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

// A vector of `n` values `v`, its storage advised before it is written.
template <class T>
void assign_huge(std::vector<T>& out, std::size_t n, const T& v) {
  std::vector<T> fresh;
  fresh.reserve(n);
  advise_huge(fresh.data(), n * sizeof(T));
  fresh.resize(n, v);
  out.swap(fresh);
}

struct Key {
  std::uint64_t a = 0, b = 0;
  bool operator==(const Key& o) const { return a == o.a && b == o.b; }
};

// Two 64-bit hashes of `s`, eight bytes at a time, into `a` and `b` (length included, so
// consecutive strings do not run together).
void hash_into(std::string_view s, std::uint64_t& a, std::uint64_t& b) {
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    a = mix(a ^ w);
    b = mix(b + w * 0x9fb21c651e98df25ULL);
  }
  std::uint64_t w = 0;
  if (i < s.size()) std::memcpy(&w, s.data() + i, s.size() - i);
  w ^= static_cast<std::uint64_t>(s.size()) << 56;
  a = mix(a ^ w);
  b = mix(b + w * 0x9fb21c651e98df25ULL);
}

// A seed per process: keys and ids come from a feed and a server, and with fixed seeds either
// could be chosen to collide and turn the tables' lookups into long walks.
std::uint64_t process_seed() {
  static const std::uint64_t seed = [] {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }();
  return seed;
}

// One 64-bit hash of `s` (ids read).
std::uint64_t hash64(std::uint64_t seed, std::string_view s) {
  std::uint64_t h = seed ^ process_seed();
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0x9fb21c651e98df25ULL;
    h ^= h >> 29;
  }
  std::uint64_t w = 0;
  if (i < s.size()) std::memcpy(&w, s.data() + i, s.size() - i);
  return mix(h ^ w ^ (static_cast<std::uint64_t>(s.size()) << 56));
}

// 128 bits of the key, from two hashes with other seeds.
Key key_hash(std::string_view type, std::string_view value) {
  Key k{0xcbf29ce484222325ULL ^ process_seed(), 0x84222325cbf29ce4ULL ^ mix(process_seed())};
  hash_into(type, k.a, k.b);
  hash_into(value, k.a, k.b);
  return k;
}

// The key of a record as the API returns it: already in normal form, as a rule.
Key record_key(const std::string& type, const std::string& value) {
  if (internal::already_normal(type, value)) return key_hash(type, value);
  const std::string k = rules::key_of_any(type, value);
  const auto nl = k.find('\n');
  return key_hash(std::string_view(k).substr(0, nl), std::string_view(k).substr(nl + 1));
}

enum class State : std::uint8_t { absent, unchanged, update, create, conflict, adopt };

// One distinct feed entry: 64 bytes.
struct Row {
  Key key;
  std::uint64_t sig = 0;
  std::uint32_t mask = 0;
  std::uint32_t line = 0;
  std::int64_t exp_s = 0;   // the entry's expiration, when has_exp
  std::int64_t soft_s = 0;  // the expiry policy's duration, when the expiration is its
  std::int32_t exp_ns = 0;
  State state = State::absent;
  bool has_exp = false;
  std::uint64_t id_hash = 0;  // the matched record's id (hashed), once matched
};

// Open addressing over row indexes (power-of-two slots, linear probing). A slot keeps 32 bits of
// its row's key next to the row, so a probe past other keys never reads their rows: at a
// million rows each of those reads is a cache miss.
class Index {
 public:
  explicit Index(const std::vector<Row>& rows) : rows_(rows) { slots_.assign(1024, Slot{}); }

  // The row of `k`, or kEmpty.
  std::uint32_t find(const Key& k) const {
    const auto tag = tag_of(k);
    for (std::size_t i = tag & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      const Slot& sl = slots_[i];
      if (sl.row == kEmpty) return kEmpty;
      if (sl.tag == tag && rows_[sl.row].key == k) return sl.row;
    }
  }
  // Inserts row `r` (its key must be new).
  void insert(std::uint32_t r) {
    if ((used_ + 1) * 2 > slots_.size()) grow();
    place(r);
    ++used_;
  }
  // A hint: the slot `k` starts at is read soon (first() asks for a batch ahead of its lookups).
  void prefetch(const Key& k) const {
    const Slot* at = slots_.data() + (tag_of(k) & (slots_.size() - 1));
#if defined(__x86_64__) || defined(__i386__)
    // GCC 12 drops __builtin_prefetch from a loop that also stores (the loop is split and the
    // prefetch half deleted): a volatile asm stays.
    asm volatile("prefetcht0 %0" : : "m"(*at));
#else
    __builtin_prefetch(at);
#endif
  }
  static constexpr std::uint32_t kEmpty = 0xffffffffu;

 private:
  // The tag places the slot too (the key's bits are uniform), so growing reads no row.
  struct Slot {
    std::uint32_t row = kEmpty;
    std::uint32_t tag = 0;
  };
  static std::uint32_t tag_of(const Key& k) {
    return static_cast<std::uint32_t>(k.a >> 32);
  }
  void place(Slot sl) {
    std::size_t i = sl.tag & (slots_.size() - 1);
    while (slots_[i].row != kEmpty) i = (i + 1) & (slots_.size() - 1);
    slots_[i] = sl;
  }
  void place(std::uint32_t r) {
    place(Slot{r, tag_of(rows_[r].key)});
  }
  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    assign_huge(slots_, old.size() * 2, Slot{});
    for (const Slot& sl : old) {
      if (sl.row != kEmpty) place(sl);
    }
  }
  const std::vector<Row>& rows_;
  std::vector<Slot> slots_;
  std::size_t used_ = 0;
};

// A set of 64-bit hashes (ids read, keys to keep).
class HashSet {
 public:
  HashSet() { slots_.assign(1024, 0); }
  // True when `h` was not in the set.
  bool insert(std::uint64_t h) {
    if (h == 0) h = 1;
    if ((used_ + 1) * 2 > slots_.size()) grow();
    if (!put(slots_, h)) return false;
    ++used_;
    return true;
  }
  bool contains(std::uint64_t h) const {
    if (h == 0) h = 1;
    for (std::size_t i = h & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i] == 0) return false;
      if (slots_[i] == h) return true;
    }
  }

 private:
  static bool put(std::vector<std::uint64_t>& s, std::uint64_t h) {
    for (std::size_t i = h & (s.size() - 1);; i = (i + 1) & (s.size() - 1)) {
      if (s[i] == h) return false;
      if (s[i] == 0) {
        s[i] = h;
        return true;
      }
    }
  }
  void grow() {
    std::vector<std::uint64_t> bigger(slots_.size() * 2, 0);
    for (auto h : slots_) {
      if (h != 0) put(bigger, h);
    }
    slots_.swap(bigger);
  }
  std::vector<std::uint64_t> slots_;
  std::size_t used_ = 0;
};

constexpr std::uint32_t kNoRow = Index::kEmpty;

// The bit of field `key` in a mask of field-table positions.
std::uint64_t bit_of(const std::vector<rules::Field>& table, std::string_view key) {
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (table[i].key == key) return std::uint64_t{1} << i;
  }
  return 0;
}

// ---- the engine ---------------------------------------------------------------------------

class Engine {
 public:
  Engine(const IOC& ioc, const FeedReader& feed, const Options& o, const StreamCallbacks& cb)
      : ioc_(ioc), feed_(feed), o_(o), cb_(cb), index_(rows_) {
    now_ = o.clock ? o.clock() : std::chrono::system_clock::now();
    lookup_ = rules::api_lookup(ioc.client());
  }

  StreamResult run(const ApplyOptions* apply) {
    StreamResult out;
    Plan& p = out.plan;
    p.on_missing = o_.on_missing;
    p.source = o_.source;
    if (auto e = choose_scope(o_, p)) {
      p.error = std::move(e);
      return out;
    }
    if (p.refused) return finish(out, nullptr);
    for (const auto& issue : o_.feed_issues) note(issue, p);
    // Pass 1: the fingerprints.
    auto summary = feed_([&](std::vector<feeds::FeedEntry>& batch) { return first(batch, p); },
                         [&](const feeds::FeedIssue& i) {
                           note(i, p);
                           if (cb_.on_issue) cb_.on_issue(i);
                         });
    if (summary.fatal) {
      out.fatal = summary.fatal;
      return out;
    }
    if (entries_ == 0 && summary.errors == 0 && o_.feed_issues.empty() && !o_.allow_empty) {
      p.error = make_error_response(internal::validation_error(
          "feed",
          "the feed is empty: a sync of nothing would remove every indicator in the "
          "scope (allow_empty, or falcon-ioc --allow-empty, if that is meant)"));
      return out;
    }
    p.desired = rows_.size();
    if (auto e = read_scope(p)) {
      p.error = std::move(e);
      return out;
    }
    if (auto e = find_outside(p)) {
      p.error = std::move(e);
      return out;
    }
    for (const Row& r : rows_) {
      if (r.state == State::absent) ++p.counts[static_cast<std::size_t>(ChangeKind::create)];
    }
    p.counts[static_cast<std::size_t>(o_.on_missing == OnMissing::expire ? ChangeKind::expire
                                                                         : ChangeKind::remove)] =
        missing_.size();
    guard(o_, p);
    return finish(out, p.refused ? nullptr : apply);
  }

 private:
  // What a failed row says about removals (the same rule as plan()).
  void note(const feeds::FeedIssue& issue, Plan& p) {
    if (issue.duplicate) return;
    if (issue.names.empty()) p.removals_blocked = true;
    for (const auto& n : issue.names) keep_.insert(key_hash(n.type, n.value).a);
  }

  // The rules plan() applies to an entry before its key (either read): the allow-list and
  // retirement set it aside (`why` says which); the expiry policy and the sync's source apply.
  // Returns false for an entry set aside; `soft` gets the policy's duration when it set the
  // expiration.
  bool prepare(feeds::FeedEntry& e, std::string& why, std::optional<std::chrono::seconds>& soft) {
    IndicatorSpec& s = e.spec;
    soft.reset();
    if (!s.type || !s.value) {
      why = "no type or value";
      return false;
    }
    if (auto allowed = o_.allow_list.match(*s.type, *s.value)) {
      why = "allow-listed: " + *allowed;
      return false;
    }
    const auto expires = s.expiration && !rules::is_zero_time(*s.expiration)
                             ? rules::parse_time(*s.expiration)
                             : std::nullopt;
    if (e.retire || (expires && *expires <= rules::Time::from(now_))) {
      why.clear();  // retired: gone from the feed
      return false;
    }
    if (!s.expiration) {
      if (auto policy = o_.expire_after.find(*s.type); policy != o_.expire_after.end()) {
        s.expiration = rules::format_time(rules::Time::from(now_).plus(policy->second));
        soft = policy->second;
      }
    }
    if (!o_.source.empty()) s.source = o_.source;
    return true;
  }

  bool first(std::vector<feeds::FeedEntry>& batch, Plan& p) {
    std::string why;
    std::optional<std::chrono::seconds> soft;
    // The slots of the batch's keys are fetched ahead of the lookups: at a million rows each is
    // a cache miss, and overlapped they cost a fraction.
    // prepare() changes neither type nor value, so the keys are computed here once.
    keys_.resize(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto& s = batch[i].spec;
      if (!s.type || !s.value) continue;
      keys_[i] = key_hash(*s.type, *s.value);
      index_.prefetch(keys_[i]);
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto& e = batch[i];
      ++entries_;
      if (!prepare(e, why, soft)) {
        ordinal_.push_back(kNoRow);
        if (why.empty()) {
          ++p.retired;
        } else if (e.spec.value) {
          feeds::FeedIssue issue{
              e.line, "value", *e.spec.value,
              why,    false,   {rules::TypedValue{e.spec.type.value_or(""), *e.spec.value}}};
          if (cb_.on_issue) cb_.on_issue(issue);
          p.skipped.push_back(std::move(issue));
        }
        continue;
      }
      const IndicatorSpec& s = e.spec;
      const Key key = keys_[i];
      if (const std::uint32_t found = index_.find(key); found != kNoRow) {
        feeds::FeedIssue dup{e.line,   "value",
                             *s.value, "duplicate of line " + std::to_string(rows_[found].line),
                             true,     {rules::TypedValue{*s.type, *s.value}}};
        if (cb_.on_issue) cb_.on_issue(dup);
        p.invalid.push_back(std::move(dup));
        ordinal_.push_back(kNoRow);
        continue;
      }
      Row r;
      r.key = key;
      const Signature sig = signature(s);
      r.sig = sig.hash;
      r.mask = sig.mask;
      r.line = static_cast<std::uint32_t>(std::min<std::size_t>(e.line, 0xffffffffu));
      if (s.expiration && !rules::is_zero_time(*s.expiration)) {
        if (auto t = rules::parse_time(*s.expiration)) {
          r.has_exp = true;
          r.exp_s = t->seconds.time_since_epoch().count();
          r.exp_ns = t->nanos;
        }
      }
      if (soft) r.soft_s = soft->count();
      ordinal_.push_back(static_cast<std::uint32_t>(rows_.size()));
      if (rows_.size() == rows_.capacity()) {
        std::vector<Row> bigger;
        bigger.reserve(std::max<std::size_t>(4096, rows_.capacity() * 2));
        advise_huge(bigger.data(), bigger.capacity() * sizeof(Row));
        bigger.insert(bigger.end(), rows_.begin(), rows_.end());
        rows_.swap(bigger);
      }
      rows_.push_back(r);
      index_.insert(static_cast<std::uint32_t>(rows_.size() - 1));
    }
    return true;
  }

  std::optional<rules::Time> row_expiration(const Row& r) const {
    if (!r.has_exp) return std::nullopt;
    rules::Time t;
    t.seconds = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>(
        std::chrono::seconds(r.exp_s));
    t.nanos = r.exp_ns;
    return t;
  }

  std::optional<std::chrono::seconds> row_soft(const Row& r) const {
    if (r.soft_s == 0) return std::nullopt;
    return std::chrono::seconds(r.soft_s);
  }

  // Equal exactly when diff() would find nothing to change.
  bool same(const Row& r, const Indicator& have) const {
    if (signature(have, r.mask) != r.sig) return false;
    const auto have_exp = norm_time(have.expiration);
    const auto have_t = have_exp ? rules::parse_time(*have_exp) : std::nullopt;
    return expiry_decision(row_expiration(r), row_soft(r), have_t, expired_at(have, now_),
                           rules::Time::from(now_)) == Expiry::keep;
  }

  std::optional<Response> read_scope(Plan& p) {
    IndicatorCombinedOptions q;
    q.filter = p.scope;
    q.limit = std::clamp<std::int64_t>(o_.page_size, 1, 2000);
    HashSet seen;
    // Each record is decoded into one reused Indicator, in the fields compared only; the whole
    // of a record is decoded for the few that differ or go.
    std::uint64_t wanted = 0;
    for (const Row& r : rows_) wanted |= r.mask;
    const auto& table = rules::fields();
    const bool filename = (wanted & bit_of(table, "filename")) != 0;
    for (const char* k : {"id", "type", "value", "expiration", "expired"}) {
      wanted |= bit_of(table, k);
    }
    if (filename) wanted |= bit_of(table, "metadata");  // where a record keeps its file name
    Response last = combined_all(
        ioc_, q,
        [&](Response& page) {
          ++p.requests;
          if (auto limit = page.rate_limit().limit) p.rate_limit = *limit;
          internal::for_each_record(page, wanted, [&](const internal::RecordView& rec) {
            const Indicator& have = rec.slim();
            // A record a page repeats (the tenant changed while it was read) counts once: the
            // row it matched keeps its id, other records' ids go in `seen` (a matched record
            // costs no lookup there, which at a million is a cache miss each).
            const bool has_id = !have.id.empty();
            const std::uint64_t id = has_id ? hash64(0x9ae16a3b2f90404fULL, have.id) : 0;
            // The feed's keys are normal forms, which normalize() leaves as they are: a record
            // whose own type and value match one is in normal form, and needs no normalising.
            Key key = key_hash(have.type, have.value);
            std::uint32_t found = index_.find(key);
            if (found == kNoRow && !internal::already_normal(have.type, have.value)) {
              key = record_key(have.type, have.value);
              found = index_.find(key);
            }
            if (found != kNoRow && rows_[found].state == State::absent) {
              ++p.existing;
              Row& r = rows_[found];
              r.id_hash = id;
              if (same(r, have)) {
                r.state = State::unchanged;
                ++p.unchanged;
              } else {
                r.state = State::update;
                ++p.counts[static_cast<std::size_t>(ChangeKind::update)];
                records_.emplace(found, json(rec.full()).dump());
              }
              return;
            }
            if (has_id && found != kNoRow && rows_[found].id_hash == id) return;
            if (has_id && !seen.insert(id)) return;
            ++p.existing;
            // Not in the feed (or a second record of a value already matched).
            if (found == kNoRow && keep_.contains(key.a)) {
              ++p.kept_for_errors;
              return;
            }
            if (o_.on_missing == OnMissing::keep && found == kNoRow) {
              ++p.kept;
              return;
            }
            const bool expire = found == kNoRow && o_.on_missing == OnMissing::expire;
            if (expire && expired_at(have, now_)) {
              ++p.kept;
              return;
            }
            missing_.push_back({expire, json(rec.full()).dump()});
          });
          return true;
        },
        o_.call);
    if (!last.ok()) {
      ++p.requests;
      return last;
    }
    return std::nullopt;
  }

  // Absent entries that exist outside the scope: conflicts (or adopts). The tenant's count
  // decides between reading every indicator and looking the values up (which reads the feed
  // once more for them, a bounded number of values at a time).
  std::optional<Response> find_outside(Plan& p) {
    std::size_t absent = 0;
    for (const Row& r : rows_) absent += r.state == State::absent ? 1 : 0;
    if (absent == 0) return std::nullopt;
    IndicatorSearchOptions count;
    count.limit = 1;
    Response c = ioc_.indicator_search(count, o_.call);
    ++p.requests;
    if (!c.ok()) return c;
    const std::int64_t total = c.pagination().total.value_or(-1);
    if (total >= 0) p.tenant_total = static_cast<std::size_t>(total);
    if (total == 0) return std::nullopt;
    auto collect = [&](Response& page) {
      ++p.requests;
      for (Indicator& i : page.resources_as<Indicator>()) {
        const std::uint32_t found = index_.find(record_key(i.type, i.value));
        if (found == kNoRow || rows_[found].state != State::absent) continue;
        rows_[found].state = o_.adopt ? State::adopt : State::conflict;
        ++p.counts[static_cast<std::size_t>(o_.adopt ? ChangeKind::adopt : ChangeKind::conflict)];
        records_.emplace(found, json(i).dump());
      }
      return true;
    };
    const std::int64_t pages = total / 2000 + (total % 2000 != 0 ? 1 : 0);
    // About 40 long values fit in one lookup: compare with a full read.
    if (total > 0 && pages < static_cast<std::int64_t>(absent / 40 + 1)) {
      IndicatorCombinedOptions all;
      all.limit = 2000;
      Response r = combined_all(ioc_, all, collect, o_.call);
      if (!r.ok()) {
        ++p.requests;
        return r;
      }
      return std::nullopt;
    }
    constexpr std::size_t kValuesPerRound = 20'000;
    std::vector<std::string> values;
    std::optional<Response> failed;
    auto flush = [&] {
      if (values.empty() || failed) return;
      Response r = combined_any_of(ioc_, "value", values, collect, o_.call);
      if (!r.ok()) {
        ++p.requests;
        failed = std::move(r);
      }
      values.clear();
    };
    std::size_t n = 0;
    auto summary = feed_(
        [&](std::vector<feeds::FeedEntry>& batch) {
          for (auto& e : batch) {
            const std::uint32_t row = n < ordinal_.size() ? ordinal_[n] : kNoRow;
            ++n;
            if (row == kNoRow || rows_[row].state != State::absent || !e.spec.value) continue;
            values.push_back(*e.spec.value);
            if (values.size() >= kValuesPerRound) flush();
          }
          return !failed;
        },
        {});
    flush();
    if (failed) return failed;
    if (summary.fatal) {
      return make_error_response(internal::validation_error(
          "feed", "the feed changed between two reads: " + summary.fatal->reason));
    }
    return std::nullopt;
  }

  // The change of an entry of the second read, per its row's state.
  std::optional<Change> change_of(feeds::FeedEntry& e, std::uint32_t row) {
    const Row& r = rows_[row];
    Change c;
    c.type = *e.spec.type;
    c.value = *e.spec.value;
    c.line = e.line;
    switch (r.state) {
      case State::absent:
      case State::create:
        c.kind = ChangeKind::create;
        c.write = std::move(e.spec);
        return c;
      case State::unchanged:
        return std::nullopt;
      case State::update:
      case State::conflict:
      case State::adopt: {
        const Indicator have = json::parse(records_.at(row)).get<Indicator>();
        c.id = have.id;
        if (r.state == State::conflict) {
          c.kind = ChangeKind::conflict;
          c.existing_source = have.source.value_or("");
          return c;
        }
        diff(e.spec, have, expired_at(have, now_), c.fields, c.write, row_soft(r), now_);
        if (r.state == State::adopt) {
          c.kind = ChangeKind::adopt;
          c.existing_source = have.source.value_or("");
          if (!o_.source.empty() && have.source.value_or("") != o_.source) {
            c.fields.push_back({"source", opt_json(have.source), json(o_.source)});
            c.write.source = o_.source;
          }
        } else {
          c.kind = ChangeKind::update;
        }
        c.write.id = have.id;
        return c;
      }
    }
    return std::nullopt;
  }

  Change removal_of(const std::pair<bool, std::string>& m) const {
    Indicator have = json::parse(m.second).get<Indicator>();
    Change c;
    c.type = have.type;
    c.value = have.value;
    c.id = have.id;
    if (m.first) {
      c.kind = ChangeKind::expire;
      c.write.id = have.id;
      c.write.expiration = fql::timestamp(now_);
      c.fields.push_back(
          {"expiration", opt_json(norm_time(have.expiration)), json(*c.write.expiration)});
    } else {
      c.kind = ChangeKind::remove;
    }
    c.before = std::move(have);
    return c;
  }

  // Reports the plan; with `apply`, writes it in batches as it is produced.
  StreamResult& finish(StreamResult& out, const ApplyOptions* apply) {
    Plan& p = out.plan;
    const std::size_t batch = apply != nullptr && apply->bulk.batch_size != 0
                                  ? std::min<std::size_t>(apply->bulk.batch_size, 2000)
                                  : 2000;
    budget(p, batch);
    if (cb_.on_plan) cb_.on_plan(p);
    if (p.error) return out;
    const bool removing = !p.removals_blocked;
    if (p.empty() && p.count(ChangeKind::conflict) == 0) return out;

    std::optional<Journal> journal;
    std::optional<Pacer> pacer;
    if (apply != nullptr) {
      journal.emplace(apply->journal, p);
      const double per_minute = static_cast<double>(p.rate_limit.value_or(6000)) *
                                std::clamp(apply->rate_share, 0.0, 1.0);
      pacer.emplace(per_minute, ioc_.client().config().sleeper);
    }
    Plan slice;
    slice.scope = p.scope;
    slice.source = p.source;
    slice.on_missing = p.on_missing;
    auto emit = [&](Change c) {
      if (cb_.on_change) cb_.on_change(c);
      if (apply == nullptr) return;
      slice.changes.push_back(std::move(c));
      if (slice.changes.size() >= batch) write(out, slice, *apply, *journal, *pacer);
    };
    // The second read: creates, updates, adopts and conflicts, in feed order.
    std::string why;
    std::optional<std::chrono::seconds> soft;
    if (p.count(ChangeKind::create) + p.count(ChangeKind::update) + p.count(ChangeKind::adopt) +
            p.count(ChangeKind::conflict) >
        0) {
      std::size_t n = 0;
      auto summary = feed_(
          [&](std::vector<feeds::FeedEntry>& entries) {
            if (out.stopped) return false;
            for (auto& e : entries) {
              const std::uint32_t row = n < ordinal_.size() ? ordinal_[n] : kNoRow;
              ++n;
              if (row == kNoRow) continue;
              // The same source and expiry policy as the first read.
              if (!prepare(e, why, soft)) continue;
              if (auto c = change_of(e, row)) emit(std::move(*c));
            }
            return !out.stopped;
          },
          {});
      if (out.stopped) return out;
      if (summary.fatal || n != ordinal_.size()) {
        if (apply != nullptr) write(out, slice, *apply, *journal, *pacer);
        p.error = make_error_response(internal::validation_error(
            "feed", "the feed changed between two reads; run the sync again"));
        return out;
      }
    }
    if (removing) {
      for (const auto& m : missing_) {
        if (out.stopped) return out;
        emit(removal_of(m));
      }
    }
    if (apply != nullptr) write(out, slice, *apply, *journal, *pacer);
    return out;
  }

  void write(StreamResult& out, Plan& slice, const ApplyOptions& apply, Journal& journal,
             Pacer& pacer) {
    if (slice.changes.empty()) return;
    if (!out.stopped && apply.stop && apply.stop()) out.stopped = true;
    if (out.stopped) {
      out.not_sent += slice.changes.size();
      slice.changes.clear();
      return;
    }
    internal::sync_core::recount(slice);
    Result r = write_changes(ioc_, slice, apply.bulk, journal, &pacer, apply.stop);
    out.requests += r.requests;
    for (const auto& o : r.outcomes) {
      if (o.ok) {
        if (!o.skipped) ++out.written;
      } else if (o.error && o.error->message == internal::sync_core::kNotSent) {
        out.stopped = true;
        ++out.not_sent;
        continue;
      } else {
        ++out.failed;
      }
      if (cb_.on_outcome) cb_.on_outcome(slice.changes[o.change], o);
    }
    slice.changes.clear();
  }

  const IOC& ioc_;
  const FeedReader& feed_;
  const Options& o_;
  const StreamCallbacks& cb_;
  rules::EnumLookup lookup_;
  std::chrono::system_clock::time_point now_;
  std::vector<Row> rows_;
  Index index_;
  std::vector<Key> keys_;               // of the batch first() reads
  std::vector<std::uint32_t> ordinal_;  // entry number of the read -> row (kNoRow: set aside)
  std::size_t entries_ = 0;
  HashSet keep_;
  std::unordered_map<std::uint32_t, std::string> records_;  // update/conflict/adopt: the record
  std::vector<std::pair<bool, std::string>> missing_;       // (expire, record) to remove
};

}  // namespace

StreamResult stream(const IOC& ioc, const FeedReader& feed, const Options& options,
                    const StreamCallbacks& callbacks, const ApplyOptions* apply) {
  return Engine(ioc, feed, options, callbacks).run(apply);
}

}  // namespace falcon::sync
