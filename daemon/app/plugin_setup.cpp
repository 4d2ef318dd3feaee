#include "app/plugin_setup.hpp"

#include "core/log.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <system_error>

namespace conf::daemon {

std::filesystem::path installed_plugin_directory() {
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) {
        return {};
    }
    return (exe.parent_path() / CONF_PLUGIN_DIR_FROM_BIN).lexically_normal();
}

std::vector<std::filesystem::path> plugin_directories(const PluginSettings& settings) {
    std::vector<std::filesystem::path> directories;
    if (settings.load_installed) {
        if (auto installed = installed_plugin_directory(); !installed.empty()) {
            directories.push_back(installed);
        }
    }
    directories.insert(directories.end(), settings.directories.begin(), settings.directories.end());
    return directories;
}

PluginLoadReport load_configured_plugins(const PluginSettings& settings) {
    Logger logger("confd");
    auto installed = installed_plugin_directory();
    std::vector<std::filesystem::path> directories;
    for (const auto& directory : plugin_directories(settings)) {
        std::error_code ec;
        // A confd that was installed without plugins has no such directory: nothing to say.
        if (directory == installed && !std::filesystem::exists(directory, ec)) {
            continue;
        }
        directories.push_back(directory);
    }
    PluginLoadReport report = load_plugins(directories);
    for (const LoadedPlugin& plugin : report.loaded) {
        logger.info(
            "plugin {} {} loaded from {} (codecs: {}; encoders: {})", plugin.name, plugin.version,
            plugin.path.string(),
            plugin.codecs.empty() ? "none" : fmt::format("{}", fmt::join(plugin.codecs, ", ")),
            plugin.encoders.empty() ? "none" : fmt::format("{}", fmt::join(plugin.encoders, ", ")));
    }
    for (const RefusedPlugin& refused : report.refused) {
        logger.warn("plugin {} refused: {}", refused.path.string(), refused.reason);
    }
    return report;
}

std::string describe_plugins(const PluginLoadReport& report) {
    std::string text = "Plugins:\n";
    if (report.loaded.empty()) {
        text += "  (none loaded)\n";
    }
    for (const LoadedPlugin& plugin : report.loaded) {
        text += fmt::format("  {} {}  {}\n", plugin.name, plugin.version, plugin.path.string());
    }
    if (!report.refused.empty()) {
        text += "Refused:\n";
        for (const RefusedPlugin& refused : report.refused) {
            text += fmt::format("  {}: {}\n", refused.path.string(), refused.reason);
        }
    }
    text += "Codecs (offer order per kind):\n";
    text +=
        fmt::format("  {:<8} {:<6} {:>5} {:>3} {:>5}  {:<56} {:<17} {}\n", "CODEC", "KIND", "CLOCK",
                    "PT", "RANK", "ELEMENTS (depay parse pay | dec enc)", "RECORDABLE IN", "FROM");
    for (const CodecInfo& codec : registered_codecs()) {
        std::string elements = fmt::format(
            "{} {} {} | {} {}", codec.depayloader, codec.parser.empty() ? "-" : codec.parser,
            codec.payloader, codec.decoder.empty() ? "-" : codec.decoder,
            codec.encoder.empty() ? "-" : codec.encoder);
        text += fmt::format(
            "  {:<8} {:<6} {:>5} {:>3} {:>5}  {:<56} {:<17} {}\n", codec.name, codec.kind,
            codec.clock_rate, codec.payload_type, codec.rank, elements,
            codec.containers.empty() ? "-" : fmt::format("{}", fmt::join(codec.containers, ",")),
            codec.plugin.empty() ? "built in" : "plugin " + codec.plugin);
    }
    text += "Encoders (tried in this order per codec):\n";
    for (const EncoderInfo& encoder : registered_encoders()) {
        text +=
            fmt::format("  {:<8} {:<16} rank {:>4}  {:<8}  {:<13}  {}\n", encoder.codec,
                        encoder.factory, encoder.rank, encoder.hardware ? "hardware" : "software",
                        encoder.available ? "available" : "not available",
                        encoder.plugin.empty() ? "built in" : "plugin " + encoder.plugin);
    }
    return text;
}

} // namespace conf::daemon
