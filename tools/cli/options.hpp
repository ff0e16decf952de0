// falcon-ioc's option groups. Each registers its options on a CLI11 subcommand (options.cpp);
// the indicator fields come from the rulebook's field table, so the CLI offers exactly the
// fields the SDK knows, with the same names and help.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "falcon/feeds.hpp"
#include "falcon/indicators.hpp"
#include "falcon/models.hpp"
#include "falcon/sync.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace falcon_cli {

/// Settings shared by every subcommand.
struct Global {
  std::string base_url;
  std::string credentials;
  /// --profile NAME / FALCON_PROFILE: a [NAME] section of the credentials file.
  std::string profile;
  std::string format;
  bool quiet = false;
  std::string member_cid;
  /// --allow-list FILE: values never written as indicators, beside the built-in classes.
  std::string allow_list;
  bool wide = false;     ///< --wide: every table column, nothing truncated
  bool csv_raw = false;  ///< --csv-raw: CSV cells as they are (no formula neutralisation)

  void add_to(CLI::App* app);
  /// The built-in allow-list plus --allow-list's entries; throws CliError naming file:line.
  falcon::rules::AllowList allow() const;
};

/// An indicator's fields given as options (create, update).
struct FieldOpts {
  std::map<std::string, std::string> text;                ///< By JSON key.
  std::map<std::string, std::vector<std::string>> lists;  ///< By JSON key.
  bool applied_globally = false;
  std::string comment;
  bool ignore_warnings = false;

  /// `with_type_value`: create's --type and --value (value required).
  void add_to(CLI::App* c, bool with_type_value);
  /// The indicator the options describe (a relative --expiration such as now+30d made
  /// absolute); throws CliError on a value that cannot be read.
  falcon::IndicatorSpec spec() const;
};

/// What a feed row does not say, for import and sync.
struct FeedDefaults {
  std::string action = "detect", severity = "medium", format = "auto", source;
  std::vector<std::string> platforms{"windows", "mac", "linux"};
  std::string comment;
  std::size_t batch = 2000;

  void add_to(CLI::App* c);
  falcon::feeds::ReadOptions read_options() const;
};

/// search and export.
struct SearchOpts {
  std::string filter, sort;
  std::int64_t limit = 0;  ///< 0: no limit
  bool ids_only = false;
};

/// The largest --limit: far above any tenant's indicator count, small enough to say in words.
inline constexpr std::int64_t kMaxLimit = 1'000'000'000;

/// sync's own options (and undo's guards).
struct SyncOpts {
  std::string on_missing = "delete";
  std::string scope;
  bool dry_run = false, adopt = false;
  bool allow_empty = false, any_scope = false;
  std::string max_delete;  ///< N or P%; empty: the default cap
  std::size_t quota = 1'000'000;
  std::string expire_after;  ///< type=duration,...
  std::string journal;       ///< --journal FILE
  double rate_share = 0.5;   ///< --rate-share: share of the API's rate the writes may use

  /// The guards' options for the library (throws CliError(kUsage) on a malformed value).
  void apply_to(falcon::sync::Options& o) const;
};

}  // namespace falcon_cli
