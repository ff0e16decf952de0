#include "falcon/ranges.hpp"

#include "paging.hpp"
#include "query.hpp"
#include "response_internal.hpp"
#include "strings.hpp"

namespace falcon {

namespace detail {

PageCursor::PageCursor(Fetch fetch, IndicatorQueryOptions options, bool throw_on_error)
    : fetch_(std::move(fetch)), options_(std::move(options)), throw_(throw_on_error) {
  if (options_.offset) {
    // Offset paging stops at 10,000; the cursor never does. Refuse rather than ignore it.
    error_ = make_error_response(internal::validation_error(
        "offset", "a range pages with the after cursor; leave offset unset"));
    done_ = true;
  }
}

bool PageCursor::next(nlohmann::json& out) {
  if (error_ && throw_) error_->raise_for_status();
  if (done_) return false;
  Response page = fetch_(options_);
  ++pages_;
  if (!page.ok()) {
    done_ = true;
    error_ = std::move(page);
    if (throw_) error_->raise_for_status();
    return false;
  }
  if (pages_ == 1) total_ = page.pagination().total;
  const auto& res = page.resources();
  out = res.is_array() ? res : nlohmann::json::array();
  auto next = internal::next_cursor(page, options_.after);
  done_ = !next;
  if (next) options_.after = std::move(next);
  return true;
}

}  // namespace detail

PagedRange<Indicator> indicators(const IOC& ioc, IndicatorCombinedOptions options,
                                 RangeOptions range) {
  return PagedRange<Indicator>(
      [ioc, call = range.call](const IndicatorQueryOptions& o) {
        return ioc.indicator_combined(o, call);
      },
      std::move(options), range.throw_on_error,
      [](const nlohmann::json& j) { return j.get<Indicator>(); });
}

PagedRange<std::string> indicator_ids(const IOC& ioc, IndicatorSearchOptions options,
                                      RangeOptions range) {
  return PagedRange<std::string>(
      [ioc, call = range.call](const IndicatorQueryOptions& o) {
        return ioc.indicator_search(o, call);
      },
      std::move(options), range.throw_on_error,
      [](const nlohmann::json& j) { return j.is_string() ? j.get<std::string>() : std::string(); });
}

}  // namespace falcon
