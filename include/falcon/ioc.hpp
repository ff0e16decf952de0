/// @file ioc.hpp
/// falcon::IOC, the service class for the Falcon IOC (custom indicators) API, and its option
/// structs. Method names are FalconPy's PEP 8 names; each has its operation-id alias.
///
/// Option structs hold std::optional fields named like FalconPy's keywords. A set field is
/// sent, even "", 0, false or an empty list; an unset field is never sent. `parameters` (a JSON
/// object of raw query parameters) and `body` (a raw JSON body) are escape hatches: a field set
/// in the struct wins over the same key in `parameters`, a `body` is sent verbatim in place of
/// the built one, and the caller's data is never modified. Query arrays go out as repeated keys
/// (ids=a&ids=b), so an empty list sends no key at all.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "falcon/client.hpp"
#include "falcon/config.hpp"
#include "falcon/response.hpp"

namespace falcon {

using StringList = std::vector<std::string>;

/// Options of indicator_aggregate (indicator_aggregate_v1). Every field except from_parent,
/// parameters and body goes into the single msa.AggregateQueryRequest body object.
struct IndicatorAggregateOptions {
  std::optional<nlohmann::json> date_ranges;  ///< [{"from":..,"to":..}]
  std::optional<std::string> exclude;
  std::optional<nlohmann::json> extended_bounds;  ///< {"min":..,"max":..}
  std::optional<std::string> field;
  std::optional<std::string> filter;  ///< Body "filter" (as FalconPy sends it).
  std::optional<nlohmann::json> filters_spec;
  std::optional<std::int64_t> from;
  std::optional<std::string> include;
  std::optional<std::string> interval;
  std::optional<std::int64_t> max_doc_count;
  std::optional<std::int64_t> min_doc_count;
  std::optional<std::string> missing;
  std::optional<std::string> name;
  std::optional<std::vector<double>> percents;
  std::optional<std::string> q;
  std::optional<nlohmann::json> ranges;  ///< [{"From":..,"To":..}] (see AggregateRange)
  std::optional<std::int64_t> size;
  std::optional<std::string> sort;
  std::optional<nlohmann::json> sub_aggregates;
  std::optional<std::string> time_zone;
  std::optional<std::string> type;  ///< terms, date_range, date_histogram, range, ...
  /// Query parameter (FalconPy drops it; we send it).
  std::optional<bool> from_parent;
  std::optional<nlohmann::json> parameters;  ///< Raw query; use it for the query-level filter.
  std::optional<nlohmann::json> body;
};

/// Options of indicator_combined and indicator_search (same query parameters).
struct IndicatorQueryOptions {
  std::optional<std::string> filter;   ///< FQL, e.g. "type:'domain'+expired:false".
  std::optional<std::int64_t> offset;  ///< offset + limit may not exceed 10,000; use after.
  std::optional<std::int64_t> limit;   ///< 1-2000 on the server; default 100.
  std::optional<std::string> sort;     ///< One of the 18 sort fields, optional .asc/.desc.
  std::optional<std::string> after;    ///< Cursor from meta.pagination.after.
  std::optional<bool> from_parent;
  std::optional<nlohmann::json> parameters;
};
/// Options of indicator_combined (indicator_combined_v1).
using IndicatorCombinedOptions = IndicatorQueryOptions;
/// Options of indicator_search (indicator_search_v1).
using IndicatorSearchOptions = IndicatorQueryOptions;

/// Options of the operations that take only `ids`.
struct IdsOptions {
  std::optional<StringList> ids;
  std::optional<nlohmann::json> parameters;
};
/// Options of action_get (action_get_v1).
using ActionGetOptions = IdsOptions;
/// Options of indicator_get (indicator_get_v1); ids is required.
using IndicatorGetOptions = IdsOptions;
/// Options of entities_processes; ids (process ids) is required.
using EntitiesProcessesOptions = IdsOptions;

/// Options of get_indicators_report (GetIndicatorsReport). filter, query and sort build
/// body.search; a `search` object replaces them whole.
struct IndicatorReportOptions {
  std::optional<std::string> filter;
  std::optional<std::string> query;
  std::optional<std::string> sort;
  std::optional<nlohmann::json> search;
  std::optional<std::string> report_format;
  std::optional<bool> from_parent;  ///< Body field.
  std::optional<nlohmann::json> parameters;
  std::optional<nlohmann::json> body;
};
/// Options of get_indicators_report.
using GetIndicatorsReportOptions = IndicatorReportOptions;

/// Options of indicator_create (indicator_create_v1). Either `indicators` (sent as given) or the
/// per-indicator fields (built into one indicator) make body.indicators.
struct IndicatorCreateOptions {
  std::optional<bool> retrodetects;     ///< Query.
  std::optional<bool> ignore_warnings;  ///< Query.
  std::optional<std::string> comment;
  std::optional<nlohmann::json> indicators;  ///< Array of indicator objects (see IndicatorSpec).
  std::optional<std::string> action;
  std::optional<bool> applied_globally;
  std::optional<std::string> description;
  std::optional<std::string> expiration;  ///< RFC 3339 UTC.
  std::optional<std::string> filename;    ///< Becomes metadata.filename.
  std::optional<StringList> host_groups;
  std::optional<nlohmann::json> metadata;
  std::optional<std::string> mobile_action;
  std::optional<StringList> platforms;
  std::optional<std::string> severity;
  std::optional<std::string> source;
  std::optional<StringList> tags;
  std::optional<std::string> type;
  std::optional<std::string> value;
  std::optional<nlohmann::json> parameters;
  std::optional<nlohmann::json> body;
};

/// Options of indicator_update (indicator_update_v1). Like create, plus `id` for the built
/// indicator, `bulk_update` (sent as given) and `from_parent` (sent as bulk_update.from_parent,
/// the one place the update model has it). A JSON null in `indicators` resets a nullable field.
struct IndicatorUpdateOptions {
  std::optional<bool> retrodetects;
  std::optional<bool> ignore_warnings;
  std::optional<std::string> comment;
  std::optional<nlohmann::json> indicators;
  std::optional<nlohmann::json> bulk_update;
  std::optional<bool> from_parent;
  std::optional<std::string> id;
  std::optional<std::string> action;
  std::optional<bool> applied_globally;
  std::optional<std::string> description;
  std::optional<std::string> expiration;
  std::optional<std::string> filename;
  std::optional<StringList> host_groups;
  std::optional<nlohmann::json> metadata;
  std::optional<std::string> mobile_action;
  std::optional<StringList> platforms;
  std::optional<std::string> severity;
  std::optional<std::string> source;
  std::optional<StringList> tags;
  std::optional<std::string> type;
  std::optional<std::string> value;
  std::optional<nlohmann::json> parameters;
  std::optional<nlohmann::json> body;
};

/// Options of indicator_delete (indicator_delete_v1). `filter` wins over `ids` on the server.
struct IndicatorDeleteOptions {
  std::optional<std::string> filter;
  std::optional<StringList> ids;
  std::optional<std::string> comment;  ///< Audit comment (a query parameter on delete).
  std::optional<bool> from_parent;
  std::optional<nlohmann::json> parameters;
};

/// Options of the value-list queries: action_query, ioc_type_query, platform_query,
/// severity_query.
struct ValueQueryOptions {
  std::optional<std::string> offset;  ///< Typed string in the spec.
  std::optional<std::int64_t> limit;
  std::optional<nlohmann::json> parameters;
};
using ActionQueryOptions = ValueQueryOptions;
using IocTypeQueryOptions = ValueQueryOptions;
using PlatformQueryOptions = ValueQueryOptions;
using SeverityQueryOptions = ValueQueryOptions;

/// Options of devices_count and devices_count_legacy.
struct DevicesCountOptions {
  std::optional<std::string> type;   ///< sha256, md5, domain, ipv4, ipv6 (required).
  std::optional<std::string> value;  ///< Required.
  std::optional<nlohmann::json> parameters;
};

/// Options of devices_ran_on and devices_ran_on_legacy.
struct DevicesRanOnOptions {
  std::optional<std::string> type;
  std::optional<std::string> value;
  std::optional<std::int64_t> limit;  ///< Sent as a decimal (typed string in the spec).
  std::optional<std::string> offset;  ///< Typed string in the spec.
  std::optional<nlohmann::json> parameters;
};

/// Options of processes_ran_on and processes_ran_on_legacy.
struct ProcessesRanOnOptions {
  std::optional<std::string> type;
  std::optional<std::string> value;
  std::optional<std::string> device_id;  ///< 32-hex host id (required).
  std::optional<std::int64_t> limit;
  std::optional<std::string> offset;
  std::optional<nlohmann::json> parameters;
};

/// The IOC service class.
///
/// Every method returns a falcon::Response and never throws for API or network errors.
/// @par Thread safety
/// An IOC is a cheap handle around a Client; it may be shared by threads and copied freely.
class IOC {
 public:
  explicit IOC(Client client);
  explicit IOC(Config config);

  const Client& client() const noexcept { return client_; }

  /// Aggregates indicators (terms, date_range, ...).
  /// Operation indicator_aggregate_v1 — POST /iocs/aggregates/indicators/v1 — scope ioc:write
  /// (as the spec says, although it reads only). Retried like a read.
  Response indicator_aggregate(const IndicatorAggregateOptions& options = {},
                               const CallOptions& call = {}) const;
  /// Alias of indicator_aggregate.
  Response indicator_aggregate_v1(const IndicatorAggregateOptions& options = {},
                                  const CallOptions& call = {}) const {
    return indicator_aggregate(options, call);
  }

  /// Searches indicators and returns full records.
  /// Operation indicator_combined_v1 — GET /iocs/combined/indicator/v1 — scope ioc:read.
  Response indicator_combined(const IndicatorCombinedOptions& options = {},
                              const CallOptions& call = {}) const;
  /// Alias of indicator_combined.
  Response indicator_combined_v1(const IndicatorCombinedOptions& options = {},
                                 const CallOptions& call = {}) const {
    return indicator_combined(options, call);
  }

  /// Gets actions by id.
  /// Operation action_get_v1 — GET /iocs/entities/actions/v1 — scope ioc:read.
  Response action_get(const ActionGetOptions& options = {}, const CallOptions& call = {}) const;
  /// Alias of action_get.
  Response action_get_v1(const ActionGetOptions& options = {}, const CallOptions& call = {}) const {
    return action_get(options, call);
  }

  /// Launches an indicators report.
  /// Operation GetIndicatorsReport — POST /iocs/entities/indicators-reports/v1 — scope ioc:write.
  Response get_indicators_report(const GetIndicatorsReportOptions& options = {},
                                 const CallOptions& call = {}) const;
  /// Alias of get_indicators_report.
  Response GetIndicatorsReport(const GetIndicatorsReportOptions& options = {},
                               const CallOptions& call = {}) const {
    return get_indicators_report(options, call);
  }

  /// Gets indicators by id (ids required).
  /// Operation indicator_get_v1 — GET /iocs/entities/indicators/v1 — scope ioc:read.
  Response indicator_get(const IndicatorGetOptions& options = {},
                         const CallOptions& call = {}) const;
  /// Alias of indicator_get.
  Response indicator_get_v1(const IndicatorGetOptions& options = {},
                            const CallOptions& call = {}) const {
    return indicator_get(options, call);
  }

  /// Creates indicators (201 on success; row errors come back as a 400).
  /// Operation indicator_create_v1 — POST /iocs/entities/indicators/v1 — scope ioc:write.
  /// Not retried after the request may have reached the server, except on 429.
  Response indicator_create(const IndicatorCreateOptions& options = {},
                            const CallOptions& call = {}) const;
  /// Alias of indicator_create.
  Response indicator_create_v1(const IndicatorCreateOptions& options = {},
                               const CallOptions& call = {}) const {
    return indicator_create(options, call);
  }

  /// Deletes indicators by ids or by FQL filter (soft delete).
  /// Operation indicator_delete_v1 — DELETE /iocs/entities/indicators/v1 — scope ioc:write.
  Response indicator_delete(const IndicatorDeleteOptions& options = {},
                            const CallOptions& call = {}) const;
  /// Alias of indicator_delete.
  Response indicator_delete_v1(const IndicatorDeleteOptions& options = {},
                               const CallOptions& call = {}) const {
    return indicator_delete(options, call);
  }

  /// Updates indicators by id or in bulk by filter.
  /// Operation indicator_update_v1 — PATCH /iocs/entities/indicators/v1 — scope ioc:write.
  Response indicator_update(const IndicatorUpdateOptions& options = {},
                            const CallOptions& call = {}) const;
  /// Alias of indicator_update.
  Response indicator_update_v1(const IndicatorUpdateOptions& options = {},
                               const CallOptions& call = {}) const {
    return indicator_update(options, call);
  }

  /// Lists action ids.
  /// Operation action_query_v1 — GET /iocs/queries/actions/v1 — scope ioc:read.
  Response action_query(const ActionQueryOptions& options = {}, const CallOptions& call = {}) const;
  /// Alias of action_query.
  Response action_query_v1(const ActionQueryOptions& options = {},
                           const CallOptions& call = {}) const {
    return action_query(options, call);
  }

  /// Searches indicators and returns ids.
  /// Operation indicator_search_v1 — GET /iocs/queries/indicators/v1 — scope ioc:read.
  Response indicator_search(const IndicatorSearchOptions& options = {},
                            const CallOptions& call = {}) const;
  /// Alias of indicator_search.
  Response indicator_search_v1(const IndicatorSearchOptions& options = {},
                               const CallOptions& call = {}) const {
    return indicator_search(options, call);
  }

  /// Lists indicator types.
  /// Operation ioc_type_query_v1 — GET /iocs/queries/ioc-types/v1 — scope ioc:read.
  Response ioc_type_query(const IocTypeQueryOptions& options = {},
                          const CallOptions& call = {}) const;
  /// Alias of ioc_type_query.
  Response ioc_type_query_v1(const IocTypeQueryOptions& options = {},
                             const CallOptions& call = {}) const {
    return ioc_type_query(options, call);
  }

  /// Lists platforms.
  /// Operation platform_query_v1 — GET /iocs/queries/platforms/v1 — scope ioc:read.
  Response platform_query(const PlatformQueryOptions& options = {},
                          const CallOptions& call = {}) const;
  /// Alias of platform_query.
  Response platform_query_v1(const PlatformQueryOptions& options = {},
                             const CallOptions& call = {}) const {
    return platform_query(options, call);
  }

  /// Lists severities.
  /// Operation severity_query_v1 — GET /iocs/queries/severities/v1 — scope ioc:read.
  Response severity_query(const SeverityQueryOptions& options = {},
                          const CallOptions& call = {}) const;
  /// Alias of severity_query.
  Response severity_query_v1(const SeverityQueryOptions& options = {},
                             const CallOptions& call = {}) const {
    return severity_query(options, call);
  }

  /// Number of hosts that saw an indicator.
  /// Operation indicator_get_device_count_v1 — GET /iocs/aggregates/indicators/device-count/v1
  /// — scope ioc:read (inferred).
  Response devices_count(const DevicesCountOptions& options = {},
                         const CallOptions& call = {}) const;
  /// Alias of devices_count.
  Response indicator_get_device_count_v1(const DevicesCountOptions& options = {},
                                         const CallOptions& call = {}) const {
    return devices_count(options, call);
  }

  /// @deprecated Legacy route; prefer devices_count.
  /// Operation DevicesCount — GET /indicators/aggregates/devices-count/v1 — scope iocs:read.
  Response devices_count_legacy(const DevicesCountOptions& options = {},
                                const CallOptions& call = {}) const;
  /// @deprecated Alias of devices_count_legacy.
  Response DevicesCount(const DevicesCountOptions& options = {},
                        const CallOptions& call = {}) const {
    return devices_count_legacy(options, call);
  }

  /// Ids of the hosts that saw an indicator.
  /// Operation indicator_get_devices_ran_on_v1 — GET /iocs/queries/indicators/devices/v1 —
  /// scope ioc:read (inferred).
  Response devices_ran_on(const DevicesRanOnOptions& options = {},
                          const CallOptions& call = {}) const;
  /// Alias of devices_ran_on.
  Response indicator_get_devices_ran_on_v1(const DevicesRanOnOptions& options = {},
                                           const CallOptions& call = {}) const {
    return devices_ran_on(options, call);
  }

  /// @deprecated Legacy route; prefer devices_ran_on.
  /// Operation DevicesRanOn — GET /indicators/queries/devices/v1 — scope iocs:read.
  Response devices_ran_on_legacy(const DevicesRanOnOptions& options = {},
                                 const CallOptions& call = {}) const;
  /// @deprecated Alias of devices_ran_on_legacy.
  Response DevicesRanOn(const DevicesRanOnOptions& options = {},
                        const CallOptions& call = {}) const {
    return devices_ran_on_legacy(options, call);
  }

  /// Ids of the processes on one host that touched an indicator.
  /// Operation indicator_get_processes_ran_on_v1 — GET /iocs/queries/indicators/processes/v1 —
  /// scope ioc:read (inferred).
  Response processes_ran_on(const ProcessesRanOnOptions& options = {},
                            const CallOptions& call = {}) const;
  /// Alias of processes_ran_on.
  Response indicator_get_processes_ran_on_v1(const ProcessesRanOnOptions& options = {},
                                             const CallOptions& call = {}) const {
    return processes_ran_on(options, call);
  }

  /// @deprecated Legacy route; prefer processes_ran_on.
  /// Operation ProcessesRanOn — GET /indicators/queries/processes/v1 — scope iocs:read.
  Response processes_ran_on_legacy(const ProcessesRanOnOptions& options = {},
                                   const CallOptions& call = {}) const;
  /// @deprecated Alias of processes_ran_on_legacy.
  Response ProcessesRanOn(const ProcessesRanOnOptions& options = {},
                          const CallOptions& call = {}) const {
    return processes_ran_on_legacy(options, call);
  }

  /// Process details by process id (ids required). From the legacy iocs collection, which
  /// has no replacement for it.
  /// Operation entities_processes — GET /processes/entities/processes/v1 — scope iocs:read.
  Response entities_processes(const EntitiesProcessesOptions& options = {},
                              const CallOptions& call = {}) const;

 private:
  Client client_;
};

}  // namespace falcon
