// falcon-ioc's credentials: the profiles file and keeping the secret out of core dumps.
#pragma once

#include <string>

#include "falcon/falcon.hpp"
#include "options.hpp"

namespace falcon_cli {

/// Makes the process non-dumpable (PR_SET_DUMPABLE 0: no core, no same-user ptrace or
/// /proc/PID/mem reads) and sets RLIMIT_CORE to 0, soft and hard. main() calls it first, before
/// the environment or a credentials file is read: the client secret and the token live in
/// this process's memory.
void protect_secrets_in_memory();

/// `$XDG_CONFIG_HOME/falcon-ioc/credentials` (an absolute XDG_CONFIG_HOME), else
/// `$HOME/.config/falcon-ioc/credentials`; "" when neither variable is set.
std::string default_credentials_path();

/// Applies the credentials profile `g` selects to `c` (which holds the environment's settings):
/// --credentials FILE or the default file; --profile NAME / FALCON_PROFILE or `default`.
/// An explicit choice (--credentials or --profile) overrides the environment; the default
/// file's `default` profile is read only when FALCON_CLIENT_ID and FALCON_CLIENT_SECRET are
/// both unset. Throws CliError(kError) naming the file, the line and the rule, never a byte of
/// the file's content.
void apply_credentials(const Global& g, falcon::Config& c);

}  // namespace falcon_cli
