// Shell completion scripts and the man page, generated from the CLI11 tree the parser uses, so
// they can name no option the parser does not take and miss none it does.
#pragma once

#include <iosfwd>
#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace falcon_cli {

/// Adds `completion bash|zsh|fish` (prints the script for that shell) and the hidden `--man`
/// (prints falcon-ioc.1, for the build) to `app`. Call it after every other subcommand and
/// option is defined: both walk the whole tree when they run. They end the parse with
/// CLI::Success, so main() returns 0 without running a command.
void add_generated_docs(CLI::App& app);

/// The completion script for `shell` (bash, zsh or fish).
void write_completion(const CLI::App& app, const std::string& shell, std::ostream& out);

/// The man page (roff, man macros).
void write_man_page(const CLI::App& app, std::ostream& out);

}  // namespace falcon_cli
