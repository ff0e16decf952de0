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

/// A list of strings (ids, platforms, tags, host groups). In the query it goes out as repeated
/// keys; in a body, as a JSON array.
using StringList = std::vector<std::string>;

// Every member of the option structs has a default member initializer (`{}`): C++20 callers
// name only the fields they set (`ioc.indicator_create({.type = "domain", ...})`), and GCC's
// -Wmissing-field-initializers (-Wextra) warns about each member left out that has none.

/// Options of indicator_aggregate (indicator_aggregate_v1). Every field except from_parent,
/// parameters and body goes into the single msa.AggregateQueryRequest body object. The spec
/// describes none of the body fields; the notes follow the Elasticsearch aggregations they mirror.
struct IndicatorAggregateOptions {
  /// Body `date_ranges`: [{"from":..,"to":..}] (msa.DateRangeSpec, strings), for date_range.
  std::optional<nlohmann::json> date_ranges{};
  /// Body `exclude`: terms to leave out of the buckets.
  std::optional<std::string> exclude{};
  /// Body `extended_bounds`: {"min":..,"max":..} (msa.ExtendedBoundsSpec, strings).
  std::optional<nlohmann::json> extended_bounds{};
  /// Body `field`: the indicator field to aggregate on, e.g. "type".
  std::optional<std::string> field{};
  /// Body `filter`: FQL narrowing the aggregated indicators (as FalconPy sends it). The
  /// query-level `filter` goes through `parameters`.
  std::optional<std::string> filter{};
  /// Body `filters_spec`: msa.APIFiltersSpec {"filters":{name:FQL},"other_bucket":bool,
  /// "other_bucket_key":".."}.
  std::optional<nlohmann::json> filters_spec{};
  /// Body `from` (int32 in the spec): offset of the first result.
  std::optional<std::int64_t> from{};
  /// Body `include`: terms to keep in the buckets.
  std::optional<std::string> include{};
  /// Body `interval`: bucket width of a date_histogram.
  std::optional<std::string> interval{};
  /// Body `max_doc_count` (int64): drop buckets holding more indicators.
  std::optional<std::int64_t> max_doc_count{};
  /// Body `min_doc_count` (int64): drop buckets holding fewer indicators.
  std::optional<std::int64_t> min_doc_count{};
  /// Body `missing`: the value counted for indicators that lack `field`.
  std::optional<std::string> missing{};
  /// Body `name`: the aggregation's name, echoed in resources[].name.
  std::optional<std::string> name{};
  /// Body `percents` (doubles): the percentiles to compute.
  std::optional<std::vector<double>> percents{};
  /// Body `q`: free-text query.
  std::optional<std::string> q{};
  /// Body `ranges`: [{"From":..,"To":..}] (msa.RangeSpec, doubles, capitalised keys; see
  /// AggregateRange).
  std::optional<nlohmann::json> ranges{};
  /// Body `size` (int32 in the spec): maximum number of buckets.
  std::optional<std::int64_t> size{};
  /// Body `sort`: bucket order.
  std::optional<std::string> sort{};
  /// Body `sub_aggregates`: array of nested msa.AggregateQueryRequest objects.
  std::optional<nlohmann::json> sub_aggregates{};
  /// Body `time_zone`: time zone of date buckets.
  std::optional<std::string> time_zone{};
  /// Body `type`: terms, date_range, date_histogram, range, ... (the spec lists none; only the
  /// server knows which it takes).
  std::optional<std::string> type{};
  /// Query `from_parent`: MSSP, include the parent CID's indicators. FalconPy drops this
  /// keyword; we send it.
  std::optional<bool> from_parent{};
  /// Raw query parameters (JSON object); a typed field wins on the same key. The only way to
  /// send the query-level `filter`.
  std::optional<nlohmann::json> parameters{};
  /// Raw JSON body sent verbatim in place of the built one (query fields still apply). A JSON
  /// null counts as unset.
  std::optional<nlohmann::json> body{};
};

/// Options of indicator_combined and indicator_search (same query parameters). With
/// Config::validate, `sort`, `offset` and `after` are checked on the final query (`parameters`
/// included) before sending.
struct IndicatorQueryOptions {
  /// Query `filter`: FQL, e.g. "type:'domain'+expired:false".
  std::optional<std::string> filter{};
  /// Query `offset`: >= 0; offset + limit may not exceed 10,000 and offset cannot be combined
  /// with `after`; page with `after` instead.
  std::optional<std::int64_t> offset{};
  /// Query `limit`: 1-2000, server default 100.
  std::optional<std::int64_t> limit{};
  /// Query `sort`: one of the 18 sort fields (spec §2.2), optional .asc/.desc or |asc/|desc.
  std::optional<std::string> sort{};
  /// Query `after`: the cursor from meta.pagination.after; omit it on the first page.
  std::optional<std::string> after{};
  /// Query `from_parent`: MSSP, include the parent CID's indicators.
  std::optional<bool> from_parent{};
  /// Raw query parameters (JSON object); a typed field wins on the same key.
  std::optional<nlohmann::json> parameters{};
};
/// Options of indicator_combined (indicator_combined_v1).
using IndicatorCombinedOptions = IndicatorQueryOptions;
/// Options of indicator_search (indicator_search_v1).
using IndicatorSearchOptions = IndicatorQueryOptions;

/// Options of the operations that take only `ids`.
struct IdsOptions {
  /// Query `ids`, repeated keys (ids=a&ids=b); an empty list sends no key. Required by
  /// indicator_get and entities_processes, optional (but useless without) for action_get.
  std::optional<StringList> ids{};
  /// Raw query parameters (JSON object); a typed field wins on the same key.
  std::optional<nlohmann::json> parameters{};
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
  /// Body `search.filter`: FQL selecting the indicators to report on.
  std::optional<std::string> filter{};
  /// Body `search.query`: free-text query.
  std::optional<std::string> query{};
  /// Body `search.sort`: sort order of the report.
  std::optional<std::string> sort{};
  /// Body `search` (api.IndicatorsSortedSearch {filter, query, sort}), sent as given in place
  /// of the one built from filter, query and sort.
  std::optional<nlohmann::json> search{};
  /// Body `report_format`: the spec names no values ("csv" is the likely one).
  std::optional<std::string> report_format{};
  /// Body `from_parent`: MSSP, include the parent CID's indicators.
  std::optional<bool> from_parent{};
  /// Raw query parameters (JSON object); the operation defines none, so they go out as given.
  std::optional<nlohmann::json> parameters{};
  /// Raw JSON body sent verbatim in place of the built one (query fields still apply). A JSON
  /// null counts as unset.
  std::optional<nlohmann::json> body{};
};
/// Options of get_indicators_report.
using GetIndicatorsReportOptions = IndicatorReportOptions;

/// Options of indicator_create (indicator_create_v1). Either `indicators` (sent as given) or the
/// per-indicator fields (built into one indicator) make body.indicators. With Config::validate,
/// every indicator is checked (values below, type/value agreement, applied_globally or
/// host_groups) before sending.
struct IndicatorCreateOptions {
  /// Query `retrodetects`: also raise detections for hosts that already saw the value.
  std::optional<bool> retrodetects{};
  /// Query `ignore_warnings`: server default false; true lets row warnings not block the write.
  std::optional<bool> ignore_warnings{};
  /// Body `comment`: audit comment for the write.
  std::optional<std::string> comment{};
  /// Body `indicators`: array of api.IndicatorCreateReqV1 objects (see IndicatorSpec), at most
  /// 2000; when set, the per-indicator fields below are ignored.
  std::optional<nlohmann::json> indicators{};
  /// Body `indicators[0].action`: no_action, allow, prevent_no_ui, prevent, detect (allow and
  /// prevent* apply to hashes only; domains and IPs take detect or no_action).
  std::optional<std::string> action{};
  /// Body `indicators[0].applied_globally`: true for all hosts; otherwise give host_groups.
  std::optional<bool> applied_globally{};
  /// Body `indicators[0].description`.
  std::optional<std::string> description{};
  /// Body `indicators[0].expiration`: RFC 3339 UTC; when it passes, the action becomes
  /// no_action and expired turns true.
  std::optional<std::string> expiration{};
  /// Body `indicators[0].metadata.filename`, merged into `metadata`.
  std::optional<std::string> filename{};
  /// Body `indicators[0].host_groups`: host group ids (32 hex).
  std::optional<StringList> host_groups{};
  /// Body `indicators[0].metadata` (api.MetadataReqV1, {"filename":..}).
  std::optional<nlohmann::json> metadata{};
  /// Body `indicators[0].mobile_action`: no_action, allow, detect, prevent.
  std::optional<std::string> mobile_action{};
  /// Body `indicators[0].platforms`: windows, mac, linux, ios, android.
  std::optional<StringList> platforms{};
  /// Body `indicators[0].severity`: informational, low, medium, high, critical.
  std::optional<std::string> severity{};
  /// Body `indicators[0].source`: 1-256 characters.
  std::optional<std::string> source{};
  /// Body `indicators[0].tags`.
  std::optional<StringList> tags{};
  /// Body `indicators[0].type`: sha256, md5, domain, ipv4, ipv6 (required).
  std::optional<std::string> type{};
  /// Body `indicators[0].value`: fits the type (64 or 32 hex, a domain of 1-200 characters, an
  /// IP address); required.
  std::optional<std::string> value{};
  /// Raw query parameters (JSON object); a typed field wins on the same key.
  std::optional<nlohmann::json> parameters{};
  /// Raw JSON body sent verbatim in place of the built one (query fields still apply). A JSON
  /// null counts as unset.
  std::optional<nlohmann::json> body{};
};

/// Options of indicator_update (indicator_update_v1). Like create, plus `id` for the built
/// indicator, `bulk_update` (sent as given) and `from_parent` (sent as bulk_update.from_parent,
/// the one place the update model has it). A JSON null in `indicators` resets a nullable field.
struct IndicatorUpdateOptions {
  /// Query `retrodetects`: also raise detections for hosts that already saw the value.
  std::optional<bool> retrodetects{};
  /// Query `ignore_warnings`: server default false; true lets row warnings not block the write.
  std::optional<bool> ignore_warnings{};
  /// Body `comment`: audit comment for the write.
  std::optional<std::string> comment{};
  /// Body `indicators`: array of api.IndicatorUpdateReqV1 objects, each with its `id`, at most
  /// 2000; when set, the per-indicator fields below are ignored. A JSON null value resets
  /// description, severity, source or expiration.
  std::optional<nlohmann::json> indicators{};
  /// Body `bulk_update` (api.BulkUpdateReqV1: an FQL `filter` plus the fields to set on every
  /// match), sent as given; must be a JSON object.
  std::optional<nlohmann::json> bulk_update{};
  /// Body `bulk_update.from_parent`: MSSP, include the parent CID's indicators. Creates
  /// `bulk_update` or adds to the given one (FalconPy drops this keyword).
  std::optional<bool> from_parent{};
  /// Body `indicators[0].id`: the indicator to change (64 hex); required for the built one.
  std::optional<std::string> id{};
  /// Body `indicators[0].action`: no_action, allow, prevent_no_ui, prevent, detect.
  std::optional<std::string> action{};
  /// Body `indicators[0].applied_globally`.
  std::optional<bool> applied_globally{};
  /// Body `indicators[0].description`.
  std::optional<std::string> description{};
  /// Body `indicators[0].expiration`: RFC 3339 UTC.
  std::optional<std::string> expiration{};
  /// Body `indicators[0].metadata.filename`, merged into `metadata`.
  std::optional<std::string> filename{};
  /// Body `indicators[0].host_groups`: host group ids (32 hex).
  std::optional<StringList> host_groups{};
  /// Body `indicators[0].metadata` (api.MetadataReqV1, {"filename":..}).
  std::optional<nlohmann::json> metadata{};
  /// Body `indicators[0].mobile_action`: no_action, allow, detect, prevent.
  std::optional<std::string> mobile_action{};
  /// Body `indicators[0].platforms`: windows, mac, linux, ios, android.
  std::optional<StringList> platforms{};
  /// Body `indicators[0].severity`: informational, low, medium, high, critical.
  std::optional<std::string> severity{};
  /// Body `indicators[0].source`: 1-256 characters.
  std::optional<std::string> source{};
  /// Body `indicators[0].tags`.
  std::optional<StringList> tags{};
  /// Body `indicators[0].type`: not a field of api.IndicatorUpdateReqV1 (the id names the
  /// indicator); sent only when set, as FalconPy does.
  std::optional<std::string> type{};
  /// Body `indicators[0].value`: not a field of api.IndicatorUpdateReqV1; sent only when set.
  std::optional<std::string> value{};
  /// Raw query parameters (JSON object); a typed field wins on the same key.
  std::optional<nlohmann::json> parameters{};
  /// Raw JSON body sent verbatim in place of the built one (query fields still apply). A JSON
  /// null counts as unset.
  std::optional<nlohmann::json> body{};
};

/// Options of indicator_delete (indicator_delete_v1). `filter` wins over `ids` on the server.
/// With Config::validate, a delete with neither ids nor a filter is refused, never sent.
struct IndicatorDeleteOptions {
  /// Query `filter`: FQL bulk delete; wins over `ids` when both are given.
  std::optional<std::string> filter{};
  /// Query `ids`, repeated keys (ids=a&ids=b): indicator ids (64 hex).
  std::optional<StringList> ids{};
  std::optional<std::string> comment{};  ///< Audit comment (a query parameter on delete).
  /// Query `from_parent`: MSSP, include the parent CID's indicators.
  std::optional<bool> from_parent{};
  /// Raw query parameters (JSON object); a typed field wins on the same key.
  std::optional<nlohmann::json> parameters{};
};

/// Options of the value-list queries: action_query, ioc_type_query, platform_query,
/// severity_query.
struct ValueQueryOptions {
  std::optional<std::string> offset{};  ///< Query `offset`; typed string in the spec.
  /// Query `limit`: page size.
  std::optional<std::int64_t> limit{};
  /// Raw query parameters (JSON object); a typed field wins on the same key.
  std::optional<nlohmann::json> parameters{};
};
/// Options of action_query (action_query_v1).
using ActionQueryOptions = ValueQueryOptions;
/// Options of ioc_type_query (ioc_type_query_v1).
using IocTypeQueryOptions = ValueQueryOptions;
/// Options of platform_query (platform_query_v1).
using PlatformQueryOptions = ValueQueryOptions;
/// Options of severity_query (severity_query_v1).
using SeverityQueryOptions = ValueQueryOptions;

/// Options of devices_count and devices_count_legacy.
struct DevicesCountOptions {
  /// Query `type`: sha256, md5, domain, ipv4, ipv6 (required).
  std::optional<std::string> type{};
  /// Query `value`: the indicator value (required); with Config::validate it must fit `type`.
  std::optional<std::string> value{};
  /// Raw query parameters (JSON object); a typed field wins on the same key.
  std::optional<nlohmann::json> parameters{};
};

/// Options of devices_ran_on and devices_ran_on_legacy.
struct DevicesRanOnOptions {
  /// Query `type`: sha256, md5, domain, ipv4, ipv6 (required).
  std::optional<std::string> type{};
  /// Query `value`: the indicator value (required); with Config::validate it must fit `type`.
  std::optional<std::string> value{};
  /// Query `limit`: 1-100 (PSFalcon's range). Sent as a decimal (typed string in the spec).
  std::optional<std::int64_t> limit{};
  std::optional<std::string> offset{};  ///< Query `offset`; typed string in the spec.
  /// Raw query parameters (JSON object); a typed field wins on the same key.
  std::optional<nlohmann::json> parameters{};
};

/// Options of processes_ran_on and processes_ran_on_legacy.
struct ProcessesRanOnOptions {
  /// Query `type`: sha256, md5, domain, ipv4, ipv6 (required).
  std::optional<std::string> type{};
  /// Query `value`: the indicator value (required); with Config::validate it must fit `type`.
  std::optional<std::string> value{};
  /// Query `device_id`: the 32-hex host id (required).
  std::optional<std::string> device_id{};
  /// Query `limit`: 1-100 (PSFalcon's range). Sent as a decimal (typed string in the spec).
  std::optional<std::int64_t> limit{};
  std::optional<std::string> offset{};  ///< Query `offset`; typed string in the spec.
  /// Raw query parameters (JSON object); a typed field wins on the same key.
  std::optional<nlohmann::json> parameters{};
};

/// The IOC service class.
///
/// Every method returns a falcon::Response and never throws for API or network errors.
/// @par Thread safety
/// An IOC is a cheap handle around a Client; it may be shared by threads and copied freely.
class IOC {
 public:
  /// Wraps an existing client; shares its token, connection pool and rate-limit state.
  explicit IOC(Client client);
  /// Builds its own Client from `config`.
  /// @throws falcon::Exception (kind configuration) when Config::check() fails.
  explicit IOC(Config config);

  /// The client every call goes through.
  const Client& client() const noexcept { return client_; }

  /// Aggregates indicators (terms, date_range, ...).
  /// Operation indicator_aggregate_v1 — POST /iocs/aggregates/indicators/v1 — scope ioc:write
  /// (as the spec says, although it reads only). Retried like a read.
  [[nodiscard]] Response indicator_aggregate(const IndicatorAggregateOptions& options = {},
                                             const CallOptions& call = {}) const;
  /// Alias of indicator_aggregate.
  [[nodiscard]] Response indicator_aggregate_v1(const IndicatorAggregateOptions& options = {},
                                                const CallOptions& call = {}) const {
    return indicator_aggregate(options, call);
  }

  /// Searches indicators and returns full records.
  /// Operation indicator_combined_v1 — GET /iocs/combined/indicator/v1 — scope ioc:read.
  [[nodiscard]] Response indicator_combined(const IndicatorCombinedOptions& options = {},
                                            const CallOptions& call = {}) const;
  /// Alias of indicator_combined.
  [[nodiscard]] Response indicator_combined_v1(const IndicatorCombinedOptions& options = {},
                                               const CallOptions& call = {}) const {
    return indicator_combined(options, call);
  }

  /// Gets actions by id.
  /// Operation action_get_v1 — GET /iocs/entities/actions/v1 — scope ioc:read.
  [[nodiscard]] Response action_get(const ActionGetOptions& options = {},
                                    const CallOptions& call = {}) const;
  /// Alias of action_get.
  [[nodiscard]] Response action_get_v1(const ActionGetOptions& options = {},
                                       const CallOptions& call = {}) const {
    return action_get(options, call);
  }

  /// Launches an indicators report.
  /// Operation GetIndicatorsReport — POST /iocs/entities/indicators-reports/v1 — scope ioc:write.
  [[nodiscard]] Response get_indicators_report(const GetIndicatorsReportOptions& options = {},
                                               const CallOptions& call = {}) const;
  /// Alias of get_indicators_report.
  [[nodiscard]] Response GetIndicatorsReport(const GetIndicatorsReportOptions& options = {},
                                             const CallOptions& call = {}) const {
    return get_indicators_report(options, call);
  }

  /// Gets indicators by id (ids required).
  /// Operation indicator_get_v1 — GET /iocs/entities/indicators/v1 — scope ioc:read.
  [[nodiscard]] Response indicator_get(const IndicatorGetOptions& options = {},
                                       const CallOptions& call = {}) const;
  /// Alias of indicator_get.
  [[nodiscard]] Response indicator_get_v1(const IndicatorGetOptions& options = {},
                                          const CallOptions& call = {}) const {
    return indicator_get(options, call);
  }

  /// Creates indicators (201 on success; row errors come back as a 400).
  /// Operation indicator_create_v1 — POST /iocs/entities/indicators/v1 — scope ioc:write.
  /// Not retried after the request may have reached the server, except on 429.
  [[nodiscard]] Response indicator_create(const IndicatorCreateOptions& options = {},
                                          const CallOptions& call = {}) const;
  /// Alias of indicator_create.
  [[nodiscard]] Response indicator_create_v1(const IndicatorCreateOptions& options = {},
                                             const CallOptions& call = {}) const {
    return indicator_create(options, call);
  }

  /// Deletes indicators by ids or by FQL filter (soft delete).
  /// Operation indicator_delete_v1 — DELETE /iocs/entities/indicators/v1 — scope ioc:write.
  [[nodiscard]] Response indicator_delete(const IndicatorDeleteOptions& options = {},
                                          const CallOptions& call = {}) const;
  /// Alias of indicator_delete.
  [[nodiscard]] Response indicator_delete_v1(const IndicatorDeleteOptions& options = {},
                                             const CallOptions& call = {}) const {
    return indicator_delete(options, call);
  }

  /// Updates indicators by id or in bulk by filter.
  /// Operation indicator_update_v1 — PATCH /iocs/entities/indicators/v1 — scope ioc:write.
  [[nodiscard]] Response indicator_update(const IndicatorUpdateOptions& options = {},
                                          const CallOptions& call = {}) const;
  /// Alias of indicator_update.
  [[nodiscard]] Response indicator_update_v1(const IndicatorUpdateOptions& options = {},
                                             const CallOptions& call = {}) const {
    return indicator_update(options, call);
  }

  /// Lists action ids.
  /// Operation action_query_v1 — GET /iocs/queries/actions/v1 — scope ioc:read.
  [[nodiscard]] Response action_query(const ActionQueryOptions& options = {},
                                      const CallOptions& call = {}) const;
  /// Alias of action_query.
  [[nodiscard]] Response action_query_v1(const ActionQueryOptions& options = {},
                                         const CallOptions& call = {}) const {
    return action_query(options, call);
  }

  /// Searches indicators and returns ids.
  /// Operation indicator_search_v1 — GET /iocs/queries/indicators/v1 — scope ioc:read.
  [[nodiscard]] Response indicator_search(const IndicatorSearchOptions& options = {},
                                          const CallOptions& call = {}) const;
  /// Alias of indicator_search.
  [[nodiscard]] Response indicator_search_v1(const IndicatorSearchOptions& options = {},
                                             const CallOptions& call = {}) const {
    return indicator_search(options, call);
  }

  /// Lists indicator types.
  /// Operation ioc_type_query_v1 — GET /iocs/queries/ioc-types/v1 — scope ioc:read.
  [[nodiscard]] Response ioc_type_query(const IocTypeQueryOptions& options = {},
                                        const CallOptions& call = {}) const;
  /// Alias of ioc_type_query.
  [[nodiscard]] Response ioc_type_query_v1(const IocTypeQueryOptions& options = {},
                                           const CallOptions& call = {}) const {
    return ioc_type_query(options, call);
  }

  /// Lists platforms.
  /// Operation platform_query_v1 — GET /iocs/queries/platforms/v1 — scope ioc:read.
  [[nodiscard]] Response platform_query(const PlatformQueryOptions& options = {},
                                        const CallOptions& call = {}) const;
  /// Alias of platform_query.
  [[nodiscard]] Response platform_query_v1(const PlatformQueryOptions& options = {},
                                           const CallOptions& call = {}) const {
    return platform_query(options, call);
  }

  /// Lists severities.
  /// Operation severity_query_v1 — GET /iocs/queries/severities/v1 — scope ioc:read.
  [[nodiscard]] Response severity_query(const SeverityQueryOptions& options = {},
                                        const CallOptions& call = {}) const;
  /// Alias of severity_query.
  [[nodiscard]] Response severity_query_v1(const SeverityQueryOptions& options = {},
                                           const CallOptions& call = {}) const {
    return severity_query(options, call);
  }

  /// Number of hosts that saw an indicator.
  /// Operation indicator_get_device_count_v1 — GET /iocs/aggregates/indicators/device-count/v1
  /// — scope ioc:read (inferred).
  [[nodiscard]] Response devices_count(const DevicesCountOptions& options = {},
                                       const CallOptions& call = {}) const;
  /// Alias of devices_count.
  [[nodiscard]] Response indicator_get_device_count_v1(const DevicesCountOptions& options = {},
                                                       const CallOptions& call = {}) const {
    return devices_count(options, call);
  }

  /// @deprecated Legacy route; prefer devices_count.
  /// Operation DevicesCount — GET /indicators/aggregates/devices-count/v1 — scope iocs:read.
  [[nodiscard]] Response devices_count_legacy(const DevicesCountOptions& options = {},
                                              const CallOptions& call = {}) const;
  /// @deprecated Alias of devices_count_legacy.
  [[nodiscard]] Response DevicesCount(const DevicesCountOptions& options = {},
                                      const CallOptions& call = {}) const {
    return devices_count_legacy(options, call);
  }

  /// Ids of the hosts that saw an indicator.
  /// Operation indicator_get_devices_ran_on_v1 — GET /iocs/queries/indicators/devices/v1 —
  /// scope ioc:read (inferred).
  [[nodiscard]] Response devices_ran_on(const DevicesRanOnOptions& options = {},
                                        const CallOptions& call = {}) const;
  /// Alias of devices_ran_on.
  [[nodiscard]] Response indicator_get_devices_ran_on_v1(const DevicesRanOnOptions& options = {},
                                                         const CallOptions& call = {}) const {
    return devices_ran_on(options, call);
  }

  /// @deprecated Legacy route; prefer devices_ran_on.
  /// Operation DevicesRanOn — GET /indicators/queries/devices/v1 — scope iocs:read.
  [[nodiscard]] Response devices_ran_on_legacy(const DevicesRanOnOptions& options = {},
                                               const CallOptions& call = {}) const;
  /// @deprecated Alias of devices_ran_on_legacy.
  [[nodiscard]] Response DevicesRanOn(const DevicesRanOnOptions& options = {},
                                      const CallOptions& call = {}) const {
    return devices_ran_on_legacy(options, call);
  }

  /// Ids of the processes on one host that touched an indicator.
  /// Operation indicator_get_processes_ran_on_v1 — GET /iocs/queries/indicators/processes/v1 —
  /// scope ioc:read (inferred).
  [[nodiscard]] Response processes_ran_on(const ProcessesRanOnOptions& options = {},
                                          const CallOptions& call = {}) const;
  /// Alias of processes_ran_on.
  [[nodiscard]] Response indicator_get_processes_ran_on_v1(
      const ProcessesRanOnOptions& options = {}, const CallOptions& call = {}) const {
    return processes_ran_on(options, call);
  }

  /// @deprecated Legacy route; prefer processes_ran_on.
  /// Operation ProcessesRanOn — GET /indicators/queries/processes/v1 — scope iocs:read.
  [[nodiscard]] Response processes_ran_on_legacy(const ProcessesRanOnOptions& options = {},
                                                 const CallOptions& call = {}) const;
  /// @deprecated Alias of processes_ran_on_legacy.
  [[nodiscard]] Response ProcessesRanOn(const ProcessesRanOnOptions& options = {},
                                        const CallOptions& call = {}) const {
    return processes_ran_on_legacy(options, call);
  }

  /// Process details by process id (ids required). From the legacy iocs collection, which
  /// has no replacement for it.
  /// Operation entities_processes — GET /processes/entities/processes/v1 — scope iocs:read.
  [[nodiscard]] Response entities_processes(const EntitiesProcessesOptions& options = {},
                                            const CallOptions& call = {}) const;

 private:
  Client client_;
};

}  // namespace falcon
