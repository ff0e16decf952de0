#include "falcon/pagination.hpp"

#include "falcon/fql.hpp"
#include "lookups.hpp"
#include "ops.hpp"
#include "paging.hpp"
#include "query.hpp"
#include "response_internal.hpp"
#include "strings.hpp"

namespace falcon {

namespace internal {

std::optional<std::string> next_cursor(const Response& page,
                                       const std::optional<std::string>& current) {
  PageShape shape = page_shape(page);
  auto& next = shape.pagination.after;
  // The API signals the end with an empty page or a missing/empty cursor; a cursor that does
  // not move would loop forever.
  if (!shape.has_resources || !next || next->empty() || (current && *next == *current)) {
    return std::nullopt;
  }
  return std::move(next);
}

}  // namespace internal

namespace {

template <typename Call>
Response after_pages(IndicatorQueryOptions options, const PageCallback& on_page, Call&& call) {
  if (options.offset) {
    return make_error_response(internal::validation_error(
        "offset", "search_all/combined_all page with after; leave offset unset"));
  }
  while (true) {
    Response page = call(options);
    if (!page.ok()) return page;
    auto next = internal::next_cursor(page, options.after);
    if (!on_page(page) || !next) return page;
    options.after = std::move(next);
  }
}

template <typename Options, typename Call>
Response offset_pages(Options options, const PageCallback& on_page, Call&& call) {
  const std::int64_t limit = options.limit.value_or(100);
  std::int64_t offset = 0;
  if (options.offset) {
    try {
      offset = std::stoll(*options.offset);
    } catch (...) {
      return make_error_response(
          internal::validation_error("offset", "offset must be a decimal number to page"));
    }
  }
  while (true) {
    options.offset = std::to_string(offset);
    Response page = call(options);
    if (!page.ok()) return page;
    const auto count = static_cast<std::int64_t>(page.resources().size());
    if (!on_page(page)) return page;
    if (count == 0 || count < limit) return page;
    offset += count;
  }
}

}  // namespace

Response search_all(const IOC& ioc, IndicatorSearchOptions options, const PageCallback& on_page,
                    const CallOptions& call) {
  return after_pages(std::move(options), on_page,
                     [&](const IndicatorQueryOptions& o) { return ioc.indicator_search(o, call); });
}

Response combined_all(const IOC& ioc, IndicatorCombinedOptions options, const PageCallback& on_page,
                      const CallOptions& call) {
  return after_pages(std::move(options), on_page, [&](const IndicatorQueryOptions& o) {
    return ioc.indicator_combined(o, call);
  });
}

Response devices_ran_on_all(const IOC& ioc, DevicesRanOnOptions options,
                            const PageCallback& on_page, const CallOptions& call) {
  return offset_pages(std::move(options), on_page,
                      [&](const DevicesRanOnOptions& o) { return ioc.devices_ran_on(o, call); });
}

Response processes_ran_on_all(const IOC& ioc, ProcessesRanOnOptions options,
                              const PageCallback& on_page, const CallOptions& call) {
  return offset_pages(std::move(options), on_page, [&](const ProcessesRanOnOptions& o) {
    return ioc.processes_ran_on(o, call);
  });
}

Response combined_any_of(const IOC& ioc, std::string_view field,
                         const std::vector<std::string>& values, const PageCallback& on_page,
                         const CallOptions& call, const fql::Expr& and_filter) {
  if (values.empty()) {
    return make_error_response(internal::validation_error(std::string(field), "no values given"));
  }
  Response last;
  for (const auto& [start, end] : internal::any_of_runs(field, values, and_filter.str())) {
    IndicatorCombinedOptions q;
    fql::Expr f = fql::any_of(
        field, std::vector<std::string>(values.begin() + static_cast<std::ptrdiff_t>(start),
                                        values.begin() + static_cast<std::ptrdiff_t>(end)));
    f = and_filter && f;
    q.filter = f.str();
    q.limit = 2000;
    bool stopped = false;
    last = combined_all(
        ioc, q, [&](Response& page) { return !(stopped = !on_page(page)); }, call);
    if (!last.ok() || stopped) return last;
  }
  return last;
}

Response get_indicators(const IOC& ioc, const std::vector<std::string>& ids,
                        const CallOptions& call) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i].empty()) {
      return make_error_response(
          internal::validation_error("ids[" + std::to_string(i) + "]", "empty id"));
    }
  }
  if (ids.empty()) return make_error_response(internal::validation_error("ids", "no ids given"));
  nlohmann::json resources = nlohmann::json::array();
  nlohmann::json errors = nlohmann::json::array();
  int attempts = 0;
  Response last;
  // ids=a&ids=b: each id costs its encoded bytes plus "ids=" and '&'.
  const auto runs = internal::runs_within(
      ids.size(), internal::query_budget(internal::endpoint(internal::Op::indicator_get).route, 0),
      [&](std::size_t i) { return internal::percent_encoded_size(ids[i]) + 5; });
  for (const auto& [start, end] : runs) {
    IndicatorGetOptions o;
    o.ids = StringList(ids.begin() + static_cast<std::ptrdiff_t>(start),
                       ids.begin() + static_cast<std::ptrdiff_t>(end));
    last = ioc.indicator_get(o, call);
    attempts += last.attempts;
    // A 404 only says that none of this request's ids exists: its errors are kept, and the
    // lookup goes on.
    const bool none_found = last.status_code == 404 && !last.error;
    if (!last.ok() && !none_found) {
      // Keep what was read: the records before this request's own.
      if (last.body().is_object()) {
        nlohmann::json& body = last.mutable_body();
        auto mine = body.find("resources");
        if (mine != body.end() && mine->is_array()) {
          for (auto& r : *mine) resources.push_back(std::move(r));
        }
        body["resources"] = std::move(resources);
      }
      last.attempts = attempts;
      return last;
    }
    for (const auto& r : last.resources()) resources.push_back(r);
    for (const auto& e : last.errors()) errors.push_back(e);
  }
  // 200 when any record was found, 404 when none was.
  last.status_code = resources.empty() ? 404 : 200;
  nlohmann::json& body = last.mutable_body();
  if (!body.is_object()) body = nlohmann::json::object();
  body["resources"] = std::move(resources);
  body["errors"] = std::move(errors);
  last.attempts = attempts;
  return last;
}

}  // namespace falcon
