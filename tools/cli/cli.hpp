// falcon-ioc's shared pieces: exit codes, the error every command throws, the global settings,
// and the command functions main.cpp wires to subcommands. Data goes to stdout; errors and
// progress to stderr.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "falcon/falcon.hpp"
#include "options.hpp"
#include "sources/sources.hpp"

namespace falcon_cli {

/// Exit codes (docs/cli.md): 0 done, 1 error, 2 usage, 3 partial (some rows failed), 4 refused
/// by a safety guard (nothing written).
inline constexpr int kOk = 0, kError = 1, kUsage = 2, kPartial = 3, kRefused = 4;

/// Set by the first Ctrl-C: commands stop between requests, never inside one.
extern std::atomic<bool> g_interrupted;

/// A failure a command reports with its exit code.
struct CliError {
  int code;
  std::string message;
};

/// The client settings: environment, then --credentials, then flags.
falcon::Config make_config(const Global& g);

/// One line for a failed call: the SDK error, or the status and the API's messages.
std::string describe(const falcon::Response& r);
/// Throws CliError(kError) when `r` is not ok.
void check(const falcon::Response& r);

// indicator commands (commands_indicators.cpp)
int cmd_login(const Global& g);
int cmd_create(const Global& g, const FieldOpts& f);
int cmd_get(const Global& g, const std::vector<std::string>& ids);
int cmd_search(const Global& g, const SearchOpts& s, bool is_export);
int cmd_update(const Global& g, const std::string& id, const FieldOpts& f);
int cmd_delete(const Global& g, const std::vector<std::string>& ids, const std::string& comment);
int cmd_aggregate(const Global& g, const std::string& field, const std::string& filter,
                  std::int64_t size);
int cmd_devices(const Global& g, const std::string& type, const std::string& value);
int cmd_processes(const Global& g, const std::string& type, const std::string& value,
                  const std::string& device);
int cmd_types(const Global& g, const std::string& which);

// feed commands (commands_feeds.cpp)
// `args` are files, '-' or feed URLs; `src` adds --taxii and --misp (sources/sources.hpp).
int cmd_import(const Global& g, const std::vector<std::string>& args, const FeedDefaults& d,
               const SourceOpts& src);
int cmd_sync(const Global& g, const std::vector<std::string>& args, const FeedDefaults& d,
             const SyncOpts& s, const SourceOpts& src);
int cmd_undo(const Global& g, const std::string& journal, const SyncOpts& s,
             const std::string& comment);

}  // namespace falcon_cli
