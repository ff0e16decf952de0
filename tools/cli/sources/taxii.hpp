// A TAXII 2.1 client (OASIS TAXII 2.1, client side) that spools a collection's indicators as a
// STIX 2.1 bundle for the STIX feed reader.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "fetch.hpp"
#include "mapping.hpp"

namespace falcon_cli::sources {

struct TaxiiOptions {
  std::string api_root;    ///< e.g. https://taxii.example.com/api1/ (a '/' is added if missing)
  std::string collection;  ///< the collection's id
  std::optional<std::string> added_after;  ///< only objects added after (incremental)
  std::size_t page_limit = 1000;           ///< `limit` sent with each page request
  std::size_t max_pages = 10'000;
  std::size_t max_objects = 1'000'000;
  std::size_t max_page_bytes = std::size_t{64} << 20;
  std::string authorization;  ///< the Authorization header's value, or empty
};

struct TaxiiResult {
  std::size_t pages = 0;           ///< pages read
  std::size_t objects = 0;         ///< objects in them (every version)
  std::size_t indicators = 0;      ///< indicator objects spooled (latest version each)
  std::size_t older_versions = 0;  ///< versions dropped for a newer one of the same id
  std::size_t retired = 0;         ///< revoked or past valid_until
  /// The newest X-TAXII-Date-Added-Last seen: the next incremental run's added_after.
  std::optional<std::string> date_added_last;
};

/// Reads the collection (every page) into the STIX bundle `bundle_path`, mapping each indicator
/// with `mapping`. `work_dir` holds a temporary file. Throws SourceError naming the server and
/// the status or the bound for anything but a complete, well-formed read.
TaxiiResult spool_taxii(const TaxiiOptions& o, const FetchSettings& s, const Mapping& mapping,
                        const std::string& bundle_path, const std::string& work_dir);

/// The Authorization header from FALCON_TAXII_TOKEN (bearer) or FALCON_TAXII_USER and
/// FALCON_TAXII_PASSWORD (Basic), else from `credentials_file` (token=, user=, password=; mode
/// 600); empty when none is set.
std::string taxii_authorization(const std::string& credentials_file);

}  // namespace falcon_cli::sources
