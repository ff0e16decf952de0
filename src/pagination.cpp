#include "falcon/pagination.hpp"

#include "query.hpp"
#include "response_internal.hpp"

namespace falcon {

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
    auto next = page.pagination().after;
    const bool empty = page.resources().empty();
    if (!on_page(page)) return page;
    // The API signals the end with an empty page or a missing/empty cursor.
    if (empty || !next || next->empty() || (options.after && *next == *options.after)) {
      return page;
    }
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

Response get_indicators(const IOC& ioc, const std::vector<std::string>& ids,
                        const CallOptions& call) {
  constexpr std::size_t kPerRequest = 100;  // 100 x 64 hex stays under 8 KiB of URL
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i].empty()) {
      return make_error_response(
          internal::validation_error("ids[" + std::to_string(i) + "]", "empty id"));
    }
  }
  nlohmann::json resources = nlohmann::json::array();
  nlohmann::json errors = nlohmann::json::array();
  int attempts = 0;
  Response last;
  for (std::size_t start = 0; start < ids.size() || start == 0; start += kPerRequest) {
    IndicatorGetOptions o;
    o.ids = StringList(
        ids.begin() + static_cast<std::ptrdiff_t>(start),
        ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), start + kPerRequest)));
    if (o.ids->empty()) {
      return make_error_response(internal::validation_error("ids", "no ids given"));
    }
    last = ioc.indicator_get(o, call);
    attempts += last.attempts;
    if (!last.ok()) {
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
  nlohmann::json& body = last.mutable_body();
  if (!body.is_object()) body = nlohmann::json::object();
  body["resources"] = std::move(resources);
  body["errors"] = std::move(errors);
  last.attempts = attempts;
  return last;
}

}  // namespace falcon
