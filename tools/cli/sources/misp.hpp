// MISP feeds (manifest.json plus one <uuid>.json per event, from a URL or a folder; or one
// event JSON as MISP exports it), spooled as a JSON feed (an array of indicator objects) for
// the JSON feed reader.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "fetch.hpp"
#include "mapping.hpp"

namespace falcon_cli::sources {

struct MispOptions {
  std::string where;  ///< a feed URL (its manifest.json), a folder, or one event's .json
  std::vector<std::string> tags;          ///< keep events with one of these tags (empty: all)
  std::vector<std::string> exclude_tags;  ///< drop events with one of these tags
  bool unpublished = false;               ///< also read events not published
  std::size_t max_events = 100'000;
};

struct MispResult {
  std::size_t events = 0;          ///< events read
  std::size_t events_skipped = 0;  ///< left out by the tag or published filters
  std::size_t attributes = 0;      ///< attributes seen (objects' included)
  std::size_t indicators = 0;      ///< indicators spooled
  std::size_t not_for_ids = 0;     ///< attributes with to_ids false (or deleted)
  std::size_t duplicates = 0;      ///< values already spooled from another attribute
  std::map<std::string, std::size_t> skipped_by_type;  ///< attribute types with no IOC type
};

/// Reads the feed into the JSON feed `json_path`. Throws SourceError naming the file or URL.
MispResult spool_misp(const MispOptions& o, const FetchSettings& s, const Mapping& mapping,
                      const std::string& json_path);

}  // namespace falcon_cli::sources
