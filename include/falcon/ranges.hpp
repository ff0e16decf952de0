/// @file ranges.hpp
/// Lazy ranges over every result of a search, for range-for loops:
///
///     auto all = falcon::indicators(ioc, {.filter = "type:'domain'"});   // C++20 syntax
///     for (const falcon::Indicator& i : all) { ... }
///     if (all.error()) { ... }   // a page failed: everything before it was yielded
///
/// One page is in memory at a time; pages are read with the `after` cursor, so there is no
/// 10,000-result ceiling (like combined_all / search_all in pagination.hpp, which stay).
/// indicators() reads indicator_combined (operation indicator_combined_v1, GET
/// /iocs/combined/indicator/v1, scope ioc:read); indicator_ids() reads indicator_search
/// (indicator_search_v1, GET /iocs/queries/indicators/v1, scope ioc:read).
#pragma once

#include <cstddef>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "falcon/ioc.hpp"
#include "falcon/models.hpp"
#include "falcon/response.hpp"

namespace falcon {

/// How a range reads.
struct RangeOptions {
  /// Throw falcon::Exception from the iterator when a page fails, instead of ending the loop
  /// and keeping the failure in error().
  bool throw_on_error = false;
  CallOptions call;  ///< Per-call overrides for every page request.
};

namespace detail {

/// Reads the pages of one after-cursor search; shared by the ranges.
class PageCursor {
 public:
  /// Fetches one page for the given options.
  using Fetch = std::function<Response(const IndicatorQueryOptions&)>;
  /// A cursor that starts at `options` and fetches nothing until next().
  PageCursor(Fetch fetch, IndicatorQueryOptions options, bool throw_on_error);
  /// Reads the next page into `out`; false at the end or on a failure (see error()).
  bool next(nlohmann::json& out);
  /// The failed page's response, if a page failed.
  const std::optional<Response>& error() const noexcept { return error_; }
  /// Pages read so far.
  std::size_t pages() const noexcept { return pages_; }
  /// meta.pagination.total of the last page read, if any.
  std::optional<std::int64_t> total() const noexcept { return total_; }

 private:
  Fetch fetch_;
  IndicatorQueryOptions options_;
  bool throw_ = false;
  bool done_ = false;
  std::size_t pages_ = 0;
  std::optional<std::int64_t> total_;
  std::optional<Response> error_;
};

}  // namespace detail

/// An input range of T (Indicator or std::string ids) over every page of a search. Iterate it
/// once; a second begin() continues where the first stopped. Copies share one cursor.
template <typename T>
class PagedRange {
  struct State;  // declared before the iterator that points to it (clang needs it here)

 public:
  /// Single-pass iterator; end() compares equal once the last page is consumed or a page
  /// failed.
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;  ///< Single pass.
    using value_type = T;                               ///< The element type.
    using difference_type = std::ptrdiff_t;             ///< Unused distance type.
    using pointer = const T*;                           ///< Pointer to an element.
    using reference = const T&;                         ///< Reference to an element.

    iterator() = default;
    /// The current element.
    reference operator*() const { return state_->items[state_->pos]; }
    /// The current element's members.
    pointer operator->() const { return &state_->items[state_->pos]; }
    /// Advances, fetching the next page when this one is used up.
    iterator& operator++() {
      if (++state_->pos >= state_->items.size()) state_->load();
      return *this;
    }
    /// Advances (post-increment; returns nothing, as for any input iterator).
    void operator++(int) { ++*this; }
    /// Equal when both are at the end or both are not.
    friend bool operator==(const iterator& a, const iterator& b) {
      return a.at_end() == b.at_end();
    }
    /// Not equal.
    friend bool operator!=(const iterator& a, const iterator& b) { return !(a == b); }

   private:
    friend class PagedRange;
    explicit iterator(State* s) : state_(s) {}
    bool at_end() const { return state_ == nullptr || state_->pos >= state_->items.size(); }
    State* state_ = nullptr;
  };

  /// Starts reading (the first page is fetched here, not at construction).
  iterator begin() {
    if (!state_->started) {
      state_->started = true;
      state_->load();
    }
    return iterator(state_.get());
  }
  /// The end sentinel.
  iterator end() { return iterator(); }

  /// The failed page's response (its error or HTTP status), or nullopt when every page read
  /// so far was fine.
  const std::optional<Response>& error() const noexcept { return state_->cursor.error(); }
  /// True when no page failed.
  bool ok() const noexcept { return !error(); }
  /// Pages read so far.
  std::size_t pages() const noexcept { return state_->cursor.pages(); }
  /// `meta.pagination.total` of the first page, when the API gave one.
  std::optional<std::int64_t> total() const noexcept { return state_->cursor.total(); }

  /// Builds a range from a page fetcher and an item decoder (used by indicators() and
  /// indicator_ids()).
  PagedRange(detail::PageCursor::Fetch fetch, IndicatorQueryOptions options, bool throw_on_error,
             std::function<T(const nlohmann::json&)> decode)
      : state_(std::make_shared<State>(std::move(fetch), std::move(options), throw_on_error,
                                       std::move(decode))) {}

 private:
  struct State {
    State(detail::PageCursor::Fetch f, IndicatorQueryOptions o, bool t,
          std::function<T(const nlohmann::json&)> d)
        : cursor(std::move(f), std::move(o), t), decode(std::move(d)) {}
    // Replaces the page; skips empty pages until data or the end.
    void load() {
      items.clear();
      pos = 0;
      nlohmann::json page;
      while (items.empty() && cursor.next(page)) {
        items.reserve(page.size());
        for (const auto& j : page) items.push_back(decode(j));
      }
    }
    detail::PageCursor cursor;
    std::function<T(const nlohmann::json&)> decode;
    std::vector<T> items;
    std::size_t pos = 0;
    bool started = false;
  };
  std::shared_ptr<State> state_;
};

/// Every indicator indicator_combined returns for `options` (filter, sort, limit = page size;
/// `offset` must be unset and `after` is the starting cursor), lazily, one page at a time.
/// `ioc` is copied (it shares the client's connections).
PagedRange<Indicator> indicators(const IOC& ioc, IndicatorCombinedOptions options = {},
                                 RangeOptions range = {});

/// Every indicator id indicator_search returns for `options`, lazily.
PagedRange<std::string> indicator_ids(const IOC& ioc, IndicatorSearchOptions options = {},
                                      RangeOptions range = {});

}  // namespace falcon
