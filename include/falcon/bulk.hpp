/// @file bulk.hpp
/// Create, update or delete any number of indicators in batches the API accepts, with bounded
/// concurrency and one outcome per input item: nothing is lost, nothing is written twice.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "falcon/client.hpp"
#include "falcon/ioc.hpp"
#include "falcon/models.hpp"

namespace falcon {

/// How a bulk operation batches and sends.
struct BulkOptions {
  /// Items per request: 1-2000 for create/update (the API's limit), 1-500 for delete, whose ids
  /// go in the URL: delete batches are also cut to keep each URL under 8 KiB, by bytes. 0 picks
  /// the largest.
  std::size_t batch_size = 0;
  std::size_t concurrency = 2;  ///< Requests in flight at once (1-16).
  /// Audit comment: body `comment` of every create/update request, query `comment` on delete.
  std::optional<std::string> comment;
  std::optional<bool> ignore_warnings;  ///< create/update: warnings do not block the write.
  std::optional<bool> retrodetects;     ///< create/update.
  /// Per-call overrides (retry, timeout, headers) applied to every request.
  CallOptions call;
};

/// The outcome of one input item.
struct BulkItem {
  std::size_t index = 0;  ///< Position in the input.
  bool ok = false;        ///< Written (created, updated or deleted).
  std::string id;         ///< The indicator id, when known.
  /// Row messages the API returned for this item (errors, and warnings).
  std::vector<RowMessage> messages;
  /// SDK-side error of the item (validation) or of its batch (transport, timeout, auth, ...).
  std::optional<Error> error;
  int status_code = 0;  ///< HTTP status of the request that decided this item (0: none).
  /// The request may have been written although no reply said so (a connection lost after
  /// sending): check before writing the item again.
  bool outcome_unknown = false;
};

/// Outcomes in input order.
struct BulkResult {
  /// One outcome per input item, items[i].index == i. A bulk_create or bulk_update input that is
  /// not a JSON array gives a single failed item.
  std::vector<BulkItem> items;
  std::size_t requests = 0;  ///< HTTP requests made.
  /// Items with ok set.
  std::size_t succeeded() const noexcept;
  /// Items without ok: items.size() - succeeded().
  std::size_t failed() const noexcept { return items.size() - succeeded(); }
};

/// Creates every indicator of `indicators` (a JSON array of create items, see IndicatorSpec).
/// With Config::validate, each item is checked first and an invalid one fails alone. A batch
/// the API refuses because of some rows (HTTP 400 with row messages, which writes nothing) is
/// sent again without those rows, so one bad item never blocks the others.
[[nodiscard]] BulkResult bulk_create(const IOC& ioc, const nlohmann::json& indicators,
                                     const BulkOptions& options = {});

/// Updates every indicator of `indicators` (a JSON array of update items, each with its id),
/// like bulk_create.
[[nodiscard]] BulkResult bulk_update(const IOC& ioc, const nlohmann::json& indicators,
                                     const BulkOptions& options = {});

/// Deletes every id, in batches.
[[nodiscard]] BulkResult bulk_delete(const IOC& ioc, const std::vector<std::string>& ids,
                                     const BulkOptions& options = {});

}  // namespace falcon
