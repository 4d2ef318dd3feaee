// Registration of the AV1 RTP elements, shared by the plugin's entry point and the tests.
#pragma once

#include <string>

namespace conf::av1 {

inline constexpr const char* kPayloaderName = "confrtpav1pay";
inline constexpr const char* kDepayloaderName = "confrtpav1depay";

// Registers confrtpav1pay and confrtpav1depay with no GstPlugin (as conf_plugin.h asks), at
// GST_RANK_NONE: libconf names them explicitly, and autoplugging should keep preferring
// GStreamer's own AV1 RTP elements where a newer GStreamer has them. Safe to call again. On
// failure returns false and says why in `error`.
bool register_elements(std::string& error);

} // namespace conf::av1
