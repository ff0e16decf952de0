// The state dir of falcon-ioc's feed sources: per source, a small JSON file (a feed URL's ETag
// and Last-Modified, a TAXII collection's added_after checkpoint), written atomically and only
// after a successful run.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace falcon_cli::sources {

class StateDir {
 public:
  /// `dir` from --state-dir; empty: ${XDG_STATE_HOME:-~/.local/state}/falcon-ioc.
  explicit StateDir(std::string dir = "");
  const std::string& path() const { return dir_; }
  /// The file that holds the state of the source named `key` (a URL, or a URL and collection).
  std::string file_for(const std::string& kind, const std::string& key) const;
  /// The state kept for `key`, or an empty object (no file, or a file for another key).
  nlohmann::json load(const std::string& kind, const std::string& key) const;
  /// Writes `state` for `key`: a temporary file in the same directory, fsync, rename. Throws
  /// SourceError when the directory or the file cannot be written.
  void save(const std::string& kind, const std::string& key, nlohmann::json state) const;

 private:
  std::string dir_;
};

}  // namespace falcon_cli::sources
