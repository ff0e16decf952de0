/// @file endpoints.hpp
/// The endpoint table: one row per IOC operation, shared by the IOC service class, the Uber
/// class (APIHarness) and the generated docs/operations.md. No route is written anywhere else.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace falcon {

/// Wire type of a query parameter.
enum class ParamType { string, integer, boolean, string_array };

/// One query parameter of an operation.
struct ParamSpec {
  std::string_view name;               ///< Wire name, e.g. "ids".
  ParamType type = ParamType::string;  ///< Wire type.
  bool required = false;               ///< Required by the spec; checked with Config::validate.
  /// Arrays only: "multi" means repeated keys (ids=a&ids=b), the only format the IOC API uses.
  std::string_view collection_format;
};

/// One operation of the IOC collection.
struct Endpoint {
  std::string_view operation_id;       ///< FalconPy / underscore id, e.g. "indicator_get_v1".
  std::string_view spec_operation_id;  ///< Raw swagger id, e.g. "indicator.get.v1".
  std::string_view method_name;        ///< PEP 8 method on falcon::IOC, e.g. "indicator_get".
  std::string_view http_method;        ///< "GET", "POST", "PATCH" or "DELETE".
  std::string_view route;              ///< e.g. "/iocs/entities/indicators/v1".
  std::string_view scope;              ///< Required API scope, e.g. "ioc:read".
  std::string_view option_struct;      ///< Option struct name in ioc.hpp.
  std::vector<ParamSpec> query;        ///< Query parameters, in spec order.
  bool has_body = false;               ///< Takes a JSON body.
  bool idempotent = false;             ///< Safe to resend after a 5xx / connection error.
  bool deprecated = false;             ///< Legacy route kept for compatibility.
  int success_status = 200;            ///< Status of a success: 201 for indicator_create, else 200.
  std::string_view summary;            ///< One-line description of the operation.
  /// The fields the `sort` parameter accepts (each optionally with .asc or .desc), as the spec's
  /// enum lists them; empty when the operation has no `sort`. Checked with Config::validate.
  std::vector<std::string_view> sort_fields;

  /// The spec of query parameter `name`, or nullptr.
  const ParamSpec* find_param(std::string_view name) const noexcept;
};

/// All 20 IOC operations, in the order of the spec.
const std::vector<Endpoint>& endpoints();

/// Looks an operation up by operation id, dotted spec id or PEP 8 method name; nullptr when
/// unknown. Exact, case-sensitive match.
const Endpoint* find_endpoint(std::string_view name) noexcept;

}  // namespace falcon
