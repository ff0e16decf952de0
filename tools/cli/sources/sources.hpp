// falcon-ioc's feed sources (issue 19, docs/sources.md): HTTPS feed URLs, TAXII 2.1 collections
// and MISP feeds. Each is spooled to a local file that the feed readers then read like any
// other file (so a command may read it twice); resolve() turns the command's arguments into
// those files, and Inputs::commit() keeps the sources' state once the run succeeded.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "falcon/config.hpp"
#include "state.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace falcon_cli {

/// The sources' options, for import and sync.
struct SourceOpts {
  std::string taxii, collection, taxii_credentials;
  std::string misp;
  std::vector<std::string> misp_tags, misp_exclude_tags;
  bool misp_unpublished = false;
  bool incremental = false;  ///< import only
  std::string mapping, state_dir;
  std::string ca_bundle;  ///< replaces the SDK's CA setting for the sources' servers
  std::size_t max_feed_bytes = std::size_t{1} << 30;
  std::size_t feed_timeout = 300;  ///< seconds
  std::size_t taxii_page_size = 1000, taxii_max_pages = 10'000, taxii_max_objects = 1'000'000;
  std::size_t taxii_max_page_bytes = std::size_t{64} << 20;

  /// `import`: offers --incremental too.
  void add_to(CLI::App* c, bool import);
};

namespace sources {

/// The local files a command reads, and the state to keep when it succeeds.
class Inputs {
 public:
  Inputs() = default;
  Inputs(Inputs&&) = default;
  Inputs& operator=(Inputs&&) = default;
  ~Inputs();

  std::vector<std::string> paths;  ///< what the feed readers read
  std::vector<std::string> names;  ///< what messages call them (the URL, taxii:ID, misp:WHERE)
  /// Every source answered "not modified" (HTTP 304): there is nothing to read or plan.
  bool unchanged = false;
  /// Writes each source's new state (ETag, Last-Modified, TAXII checkpoint) atomically. Call
  /// only after a successful run; throws CliError when the state dir cannot be written.
  void commit();

 private:
  friend Inputs resolve(const falcon::Config&, const std::vector<std::string>&, const SourceOpts&,
                        const std::string&);
  struct Pending {
    std::string kind, key;
    nlohmann::json state;
  };
  std::vector<Pending> pending_;
  std::string state_dir_;
  std::string spool_;  ///< removed with everything in it
};

/// Fetches and spools every source of the command: feed arguments that are URLs, --taxii and
/// --misp; local files pass through. `format` is --input-format. Progress lines go to stderr; a
/// failed source throws CliError (nothing read, nothing planned, nothing removed).
Inputs resolve(const falcon::Config& config, const std::vector<std::string>& files,
               const SourceOpts& o, const std::string& format);

/// True for an http:// or https:// feed argument.
bool is_url(const std::string& arg);

}  // namespace sources
}  // namespace falcon_cli
