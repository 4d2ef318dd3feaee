// Logging setup for confd: its log lines are GStreamer debug lines in the conf-* categories
// (see libconf/src/core/log.hpp), written to stderr.
#pragma once

#include "config/settings.hpp"

namespace conf::daemon {

// Shows conf-* lines at `level` (and GStreamer's own errors) on stderr, unless GST_DEBUG is
// set: then the environment decides everything. Colours only when stderr is a terminal,
// unless GST_DEBUG_COLOR_MODE or GST_DEBUG_NO_COLOR says otherwise. Call after gst_init().
void setup_logging(LogLevel level);

} // namespace conf::daemon
