// Plugins: shared objects that add codecs (RTP payloaders, depayloaders, decoders) and
// encoders to libconf through the C ABI in <conf/conf_plugin.h>. Load them once, before
// rooms, recorders or endpoints are made; see docs/plugins.md.
#pragma once

#include <conf/export.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace conf {

struct LoadedPlugin {
    std::filesystem::path path;
    std::string name;
    std::string version;
    std::vector<std::string> codecs;   // encoding names it added
    std::vector<std::string> encoders; // "factory (CODEC)" it added
};

struct RefusedPlugin {
    std::filesystem::path path; // the shared object, or the directory that could not be read
    std::string reason;         // one line: what is wrong and what to do
};

struct PluginLoadReport {
    std::vector<LoadedPlugin> loaded;
    std::vector<RefusedPlugin> refused;
};

// Loads every "*.so" file in each directory, in name order; a directory that does not exist
// is refused (reported), not an error. A plugin is refused, with the reason, when it does not
// export conf_plugin_entry_v1, has another ABI major, a short struct, a newer GStreamer, an
// incomplete codec, a name or codec already registered, or when its init fails; the others
// load regardless. Loaded plugins are never unloaded. Initialises GStreamer if needed.
// Thread-safe; call it before media flows.
CONF_API PluginLoadReport load_plugins(const std::vector<std::filesystem::path>& directories);

// Loads one shared object, as load_plugins does for each file it finds.
CONF_API PluginLoadReport load_plugin(const std::filesystem::path& file);

// What every load_plugins/load_plugin call of this process loaded, in load order.
CONF_API std::vector<LoadedPlugin> loaded_plugins();

struct CodecInfo {
    std::string name; // RTP encoding name: "AV1"
    std::string kind; // "audio" or "video"
    int clock_rate = 0;
    int payload_type = 0; // what this server offers it as
    int rank = 0;
    std::string payloader, depayloader, parser, decoder, encoder;
    std::vector<std::string> containers; // "matroska", "webm", "mp4"
    std::string plugin;                  // "" when built in
};

struct EncoderInfo {
    std::string codec;
    std::string factory;
    int rank = 0;
    bool hardware = false;
    bool available = false; // GStreamer has the factory (it may still fail to initialise)
    std::string plugin;
};

// Built-in and plugin codecs, video first, each kind by rank.
CONF_API std::vector<CodecInfo> registered_codecs();
// Encoders per codec, highest rank first.
CONF_API std::vector<EncoderInfo> registered_encoders();

} // namespace conf
