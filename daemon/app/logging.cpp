#include "app/logging.hpp"

#include <gst/gst.h>
#include <unistd.h>

namespace conf::daemon {

namespace {

GstDebugLevel to_gst(LogLevel level) {
    switch (level) {
    case LogLevel::kError:
        return GST_LEVEL_ERROR;
    case LogLevel::kWarning:
        return GST_LEVEL_WARNING;
    case LogLevel::kInfo:
        return GST_LEVEL_INFO;
    case LogLevel::kDebug:
        return GST_LEVEL_DEBUG;
    }
    return GST_LEVEL_INFO;
}

bool env_set(const char* name) {
    const char* value = g_getenv(name);
    return value != nullptr && *value != '\0';
}

} // namespace

void setup_logging(LogLevel level) {
    if (!env_set("GST_DEBUG_COLOR_MODE") && !env_set("GST_DEBUG_NO_COLOR") &&
        isatty(STDERR_FILENO) == 0) {
        gst_debug_set_color_mode(GST_DEBUG_COLOR_MODE_OFF);
    }
    if (env_set("GST_DEBUG")) {
        return;
    }
    gst_debug_set_default_threshold(GST_LEVEL_ERROR);
    gst_debug_set_threshold_for_name("conf-*", to_gst(level));
}

} // namespace conf::daemon
