// PluginLoader: opens plugin shared objects, checks everything their conf_plugin_v1 says
// before trusting any of it, runs their init, and adds their codecs and encoders to the
// CodecRegistry. The public face is <conf/plugins.hpp>; this class is the one process-wide
// record of what was loaded (a plugin cannot be loaded twice, and is never unloaded).
#pragma once

#include "codec/codec_registry.hpp"

#include <conf/conf_plugin.h>
#include <conf/plugins.hpp>

#include <mutex>

namespace conf {

class PluginLoader {
  public:
    static PluginLoader& global();

    explicit PluginLoader(CodecRegistry& registry);

    PluginLoadReport load_directories(const std::vector<std::filesystem::path>& directories);
    PluginLoadReport load_file(const std::filesystem::path& file);
    std::vector<LoadedPlugin> loaded() const;

  private:
    // Everything a plugin asks for, checked and converted; nothing registered yet.
    struct Checked;
    Result<LoadedPlugin> load_locked(const std::filesystem::path& file);
    Result<Checked> check_plugin(const conf_plugin_v1& plugin) const;

    CodecRegistry& registry_;
    mutable std::mutex mutex_;
    std::vector<LoadedPlugin> loaded_;
};

} // namespace conf
