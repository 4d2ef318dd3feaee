// confd's exit codes, as documented in docs/configuration.md and `confd --help`.
#pragma once

namespace conf::daemon {

// Stopped cleanly (including after SIGINT/SIGTERM), or --help/--version/--print-default-config.
inline constexpr int kExitOk = 0;
// A runtime failure: data directory unusable, a port taken, shutdown too slow, a second
// signal during shutdown.
inline constexpr int kExitFailure = 1;
// A configuration or command-line error; nothing was started.
inline constexpr int kExitUsage = 2;

} // namespace conf::daemon
