/// @file pagination.hpp
/// Page through every result of indicator_search / indicator_combined with the `after` cursor
/// (no 10,000 ceiling), and through the offset-paged device and process lookups. Memory stays
/// at one page: each page is handed to the callback and then dropped.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "falcon/fql.hpp"
#include "falcon/ioc.hpp"
#include "falcon/response.hpp"

namespace falcon {

/// Called once per page; return false to stop early.
using PageCallback = std::function<bool(Response& page)>;

/// Pages indicator_search (ids) with `after`. `options.offset` must be unset (it cannot be
/// combined with after). Returns the last response: ok() when every page was read, or the
/// failed page's response (its error or status) when a page failed.
[[nodiscard]] Response search_all(const IOC& ioc, IndicatorSearchOptions options,
                                  const PageCallback& on_page, const CallOptions& call = {});

/// Pages indicator_combined (full records) with `after`, like search_all.
[[nodiscard]] Response combined_all(const IOC& ioc, IndicatorCombinedOptions options,
                                    const PageCallback& on_page, const CallOptions& call = {});

/// Pages devices_ran_on with offset/limit until a short or empty page.
[[nodiscard]] Response devices_ran_on_all(const IOC& ioc, DevicesRanOnOptions options,
                                          const PageCallback& on_page,
                                          const CallOptions& call = {});

/// Pages processes_ran_on with offset/limit until a short or empty page.
[[nodiscard]] Response processes_ran_on_all(const IOC& ioc, ProcessesRanOnOptions options,
                                            const PageCallback& on_page,
                                            const CallOptions& call = {});

/// Every indicator (indicator_combined: GET /iocs/combined/indicator/v1, ioc:read) whose `field`
/// (e.g. "value") is one of `values`, with `and_filter` (e.g. fql::eq("type", "domain")) ANDed in
/// when given. The values go in the URL's filter, which servers cap at
/// about 8 KiB, so they are sent in as many requests as keep each URL under it, measured in
/// bytes after encoding (with room for the paging cursor); each request is paged with `after`.
/// Returns the last response, or the first failed one; an empty `values` is a validation error.
[[nodiscard]] Response combined_any_of(const IOC& ioc, std::string_view field,
                                       const std::vector<std::string>& values,
                                       const PageCallback& on_page, const CallOptions& call = {},
                                       const fql::Expr& and_filter = {});
/// indicator_get for any number of ids: the ids go in the URL, which servers cap at about 8 KiB,
/// so they are sent in as many requests as keep each URL under it (counted in bytes). A request
/// answered 404 (none of its ids exists) adds its errors and the lookup goes on; the merged
/// status is 200 when any record was found, else 404. Returns one Response whose resources are
/// every record in the order the replies gave them, whose errors are every reply's errors, and
/// whose attempts add up; on a failed request, that request's response (with the records read so
/// far added before its own). Empty ids are a validation error.
[[nodiscard]] Response get_indicators(const IOC& ioc, const std::vector<std::string>& ids,
                                      const CallOptions& call = {});

}  // namespace falcon
