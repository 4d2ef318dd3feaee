// The built-in default configuration: daemon/config/default_config.json, embedded at build
// time (see embed_text.cmake). `confd --print-default-config` prints exactly these bytes.
#pragma once

#include <string_view>

namespace conf::daemon {

std::string_view default_config_json();

} // namespace conf::daemon
