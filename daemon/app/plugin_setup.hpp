// Plugin setup for confd: where it loads plugins from (the installed directory beside its
// executable, then plugins.directories), the loading at startup with one log line per plugin
// loaded or refused, and the text `confd --list-plugins` prints.
#pragma once

#include "config/settings.hpp"

#include <conf/plugins.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace conf::daemon {

// "<directory of the confd executable>/../lib/conf/plugins" (as installed), or empty when
// the executable's path cannot be read.
std::filesystem::path installed_plugin_directory();

std::vector<std::filesystem::path> plugin_directories(const PluginSettings& settings);

// Loads them; refusals are warnings (confd runs without that plugin), except that a missing
// installed directory is not worth one.
PluginLoadReport load_configured_plugins(const PluginSettings& settings);

// Plugins loaded and refused, then every codec and encoder now registered.
std::string describe_plugins(const PluginLoadReport& report);

} // namespace conf::daemon
