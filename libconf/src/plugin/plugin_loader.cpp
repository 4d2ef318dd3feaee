#include "plugin/plugin_loader.hpp"

#include "core/g_ref.hpp"

#include <fmt/format.h>
#include <gst/gst.h>

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <system_error>

namespace conf {

namespace {

constexpr size_t kMaxCodecs = 64;
constexpr size_t kMaxEncoders = 64;
constexpr size_t kInitErrorSize = 512;

// A string field of a plugin struct: NULL and "" are both absent.
std::string_view field(const char* text) {
    return text != nullptr ? std::string_view(text) : std::string_view();
}

bool valid_plugin_name(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
}

bool has_factory(std::string_view name) {
    return static_cast<bool>(
        GRef<GstElementFactory>::adopt(gst_element_factory_find(std::string(name).c_str())));
}

// The i-th element of an array whose element size the plugin states in struct_size (a later
// minor version may append fields, so the stride is the plugin's, not ours).
template <typename T>
const T& element(const T* array, uint32_t stride, size_t i) {
    return *reinterpret_cast<const T*>(reinterpret_cast<const char*>(array) + stride * i);
}

// The stride of a plugin's array: its first element's struct_size, at least ours, and the
// same for every element.
template <typename T>
Result<uint32_t> stride_of(const T* array, uint32_t count, std::string_view type,
                           std::string_view plugin) {
    if (count == 0) {
        return uint32_t{0};
    }
    uint32_t stride = array[0].struct_size;
    if (stride < sizeof(T)) {
        return failed_precondition(
            fmt::format("plugin '{}': {} struct_size {} is smaller than {} bytes", plugin, type,
                        stride, sizeof(T)));
    }
    for (size_t i = 1; i < count; ++i) {
        if (uint32_t size = element(array, stride, i).struct_size; size != stride) {
            return failed_precondition(
                fmt::format("plugin '{}': {} #{} has struct_size {}, the first has {}", plugin,
                            type, i, size, stride));
        }
    }
    return stride;
}

std::vector<std::string> container_names(unsigned containers) {
    std::vector<std::string> names;
    if ((containers & kContainerMatroska) != 0) {
        names.emplace_back("matroska");
    }
    if ((containers & kContainerWebm) != 0) {
        names.emplace_back("webm");
    }
    if ((containers & kContainerMp4) != 0) {
        names.emplace_back("mp4");
    }
    return names;
}

} // namespace

struct PluginLoader::Checked {
    std::vector<Codec> codecs;
    std::vector<EncoderChoice> encoders;
};

PluginLoader& PluginLoader::global() {
    static PluginLoader loader(CodecRegistry::global());
    return loader;
}

PluginLoader::PluginLoader(CodecRegistry& registry) : registry_(registry) {}

PluginLoadReport
PluginLoader::load_directories(const std::vector<std::filesystem::path>& directories) {
    PluginLoadReport report;
    for (const auto& directory : directories) {
        std::error_code ec;
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
            if (entry.path().extension() == ".so" && entry.is_regular_file(ec)) {
                files.push_back(entry.path());
            }
        }
        if (ec) {
            report.refused.push_back(
                {directory, fmt::format("cannot read plugin directory: {}", ec.message())});
            continue;
        }
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            PluginLoadReport one = load_file(file);
            report.loaded.insert(report.loaded.end(), one.loaded.begin(), one.loaded.end());
            report.refused.insert(report.refused.end(), one.refused.begin(), one.refused.end());
        }
    }
    return report;
}

PluginLoadReport PluginLoader::load_file(const std::filesystem::path& file) {
    PluginLoadReport report;
    std::lock_guard lock(mutex_);
    auto loaded = load_locked(file);
    if (loaded.is_ok()) {
        loaded_.push_back(*loaded);
        report.loaded.push_back(std::move(loaded).value());
    } else {
        report.refused.push_back({file, loaded.status().message()});
    }
    return report;
}

std::vector<LoadedPlugin> PluginLoader::loaded() const {
    std::lock_guard lock(mutex_);
    return loaded_;
}

Result<LoadedPlugin> PluginLoader::load_locked(const std::filesystem::path& file) {
    for (const LoadedPlugin& plugin : loaded_) {
        std::error_code ec;
        if (std::filesystem::equivalent(plugin.path, file, ec)) {
            return already_exists(fmt::format("already loaded as plugin '{}'", plugin.name));
        }
    }
    if (!gst_is_initialized()) {
        GError* error = nullptr;
        if (!gst_init_check(nullptr, nullptr, &error)) {
            std::string message = error != nullptr ? error->message : "unknown error";
            g_clear_error(&error);
            return internal_error("GStreamer failed to initialise: " + message);
        }
    }
    // RTLD_LOCAL: a plugin's symbols never satisfy another's. Never dlclose()d: its
    // GStreamer types and static strings live as long as the process.
    void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* reason = dlerror();
        return invalid_argument(
            fmt::format("cannot open: {}", reason != nullptr ? reason : "unknown dlopen error"));
    }
    void* symbol = dlsym(handle, CONF_PLUGIN_ENTRY_SYMBOL);
    if (symbol == nullptr) {
        return invalid_argument(fmt::format(
            "does not export {}(): not a libconf plugin, or built without CONF_PLUGIN_EXPORT",
            CONF_PLUGIN_ENTRY_SYMBOL));
    }
    auto entry = reinterpret_cast<conf_plugin_entry_v1_fn>(symbol);
    const conf_plugin_v1* plugin = entry();
    if (plugin == nullptr) {
        return invalid_argument(fmt::format("{}() returned NULL", CONF_PLUGIN_ENTRY_SYMBOL));
    }
    auto checked = check_plugin(*plugin);
    if (!checked) {
        return checked.status();
    }
    std::string name(plugin->name);

    if (plugin->init != nullptr) {
        char error[kInitErrorSize] = {};
        int rc = plugin->init(error, sizeof error);
        error[sizeof error - 1] = '\0';
        if (rc != 0) {
            return failed_precondition(fmt::format("plugin '{}' init failed ({}): {}", name, rc,
                                                   error[0] != '\0' ? error : "no reason given"));
        }
    }
    // Only now can the elements a plugin registers in init be looked up.
    for (const Codec& codec : checked->codecs) {
        for (std::string_view factory :
             {codec.payloader, codec.depayloader, codec.parser, codec.decoder, codec.encoder}) {
            if (!factory.empty() && !has_factory(factory)) {
                return failed_precondition(fmt::format(
                    "plugin '{}' codec {}: GStreamer has no element '{}' (not registered by its "
                    "init, and no installed GStreamer plugin has it)",
                    name, codec.name, factory));
            }
        }
    }

    LoadedPlugin loaded{file, name, plugin->version, {}, {}};
    for (const Codec& codec : checked->codecs) {
        auto added = registry_.add(codec);
        if (!added) {
            // Checked above against the registry under this same lock; only payload types can
            // run out here.
            return added.status().with_context(fmt::format("plugin '{}'", name));
        }
        loaded.codecs.emplace_back(codec.name);
    }
    for (const EncoderChoice& encoder : checked->encoders) {
        if (Status added = registry_.add_encoder(encoder); !added) {
            return added.with_context(fmt::format("plugin '{}'", name));
        }
        loaded.encoders.push_back(fmt::format("{} ({})", encoder.factory, encoder.codec));
    }
    return loaded;
}

Result<PluginLoader::Checked> PluginLoader::check_plugin(const conf_plugin_v1& plugin) const {
    // abi_major and struct_size first: nothing past them is read from a struct too short.
    if (plugin.abi_major != CONF_PLUGIN_ABI_MAJOR) {
        return failed_precondition(fmt::format(
            "plugin ABI major version {}; this libconf speaks {} (rebuild the plugin against "
            "this libconf's conf_plugin.h)",
            plugin.abi_major, CONF_PLUGIN_ABI_MAJOR));
    }
    if (plugin.struct_size < sizeof(conf_plugin_v1)) {
        return failed_precondition(
            fmt::format("conf_plugin_v1 struct_size {} is smaller than ABI {}'s {} bytes",
                        plugin.struct_size, CONF_PLUGIN_ABI_MAJOR, sizeof(conf_plugin_v1)));
    }
    guint major = 0, minor = 0, micro = 0, nano = 0;
    gst_version(&major, &minor, &micro, &nano);
    if (plugin.gst_major != major || plugin.gst_minor > minor) {
        return failed_precondition(
            fmt::format("built against GStreamer {}.{}; this process runs {}.{} (same major and "
                        "no newer minor needed)",
                        plugin.gst_major, plugin.gst_minor, major, minor));
    }
    std::string_view name = field(plugin.name);
    if (!valid_plugin_name(name)) {
        return invalid_argument(
            fmt::format("plugin name '{}' must be 1-64 characters of a-z, 0-9, '-' and '_'", name));
    }
    if (field(plugin.version).empty()) {
        return invalid_argument(fmt::format("plugin '{}' has no version", name));
    }
    for (const LoadedPlugin& loaded : loaded_) {
        if (loaded.name == name) {
            return already_exists(fmt::format("a plugin named '{}' is already loaded from {}", name,
                                              loaded.path.string()));
        }
    }
    if (plugin.codec_count > kMaxCodecs || (plugin.codec_count > 0 && plugin.codecs == nullptr)) {
        return invalid_argument(
            fmt::format("plugin '{}': codec_count {} with {} codecs array (at most {})", name,
                        plugin.codec_count, plugin.codecs == nullptr ? "a NULL" : "a", kMaxCodecs));
    }
    if (plugin.encoder_count > kMaxEncoders ||
        (plugin.encoder_count > 0 && plugin.encoders == nullptr)) {
        return invalid_argument(fmt::format(
            "plugin '{}': encoder_count {} with {} encoders array (at most {})", name,
            plugin.encoder_count, plugin.encoders == nullptr ? "a NULL" : "a", kMaxEncoders));
    }

    Checked checked;
    auto codec_stride = stride_of(plugin.codecs, plugin.codec_count, "conf_codec_v1", name);
    if (!codec_stride) {
        return codec_stride.status();
    }
    for (size_t i = 0; i < plugin.codec_count; ++i) {
        const conf_codec_v1& c = element(plugin.codecs, *codec_stride, i);
        std::string where = fmt::format("plugin '{}' codec #{} ({})", name, i,
                                        c.encoding_name != nullptr ? c.encoding_name : "unnamed");
        if (c.kind != CONF_MEDIA_AUDIO && c.kind != CONF_MEDIA_VIDEO) {
            return invalid_argument(fmt::format("{}: kind {} is neither CONF_MEDIA_AUDIO nor "
                                                "CONF_MEDIA_VIDEO",
                                                where, c.kind));
        }
        if (c.clock_rate == 0 || c.clock_rate > 1'000'000 || c.channels > 8 || c.rank < 0 ||
            c.rank > 10000) {
            return invalid_argument(
                fmt::format("{}: clock rate {} (1-1000000), channels {} (0-8), rank {} (0-10000)",
                            where, c.clock_rate, c.channels, c.rank));
        }
        Codec codec{
            field(c.encoding_name),
            c.kind == CONF_MEDIA_AUDIO ? MediaKind::kAudio : MediaKind::kVideo,
            static_cast<int>(c.clock_rate),
            static_cast<int>(c.channels),
            field(c.depayloader),
            field(c.parser),
            field(c.payloader),
            field(c.decoder),
            field(c.encoder),
            field(c.recording_name),
            field(c.caps),
            static_cast<int>(c.rank),
            0,
            field(c.fmtp),
            c.containers,
            field(plugin.name),
        };
        if (Status ok = registry_.check(codec); !ok) {
            return Status(ok.code(), fmt::format("{}: {}", where, ok.message()));
        }
        if (!GRef<GstCaps>::adopt(gst_caps_from_string(std::string(codec.caps).c_str()))) {
            return invalid_argument(fmt::format("{}: caps '{}' do not parse", where, codec.caps));
        }
        if (const Codec* existing = registry_.find(codec.name)) {
            return already_exists(fmt::format(
                "{}: codec {} is already registered by {}", where, codec.name,
                existing->plugin.empty() ? std::string("libconf (built in)")
                                         : fmt::format("plugin '{}'", existing->plugin)));
        }
        for (const Codec& earlier : checked.codecs) {
            if (iequals(earlier.name, codec.name)) {
                return already_exists(
                    fmt::format("{}: codec {} is listed twice", where, codec.name));
            }
        }
        checked.codecs.push_back(codec);
    }

    auto encoder_stride = stride_of(plugin.encoders, plugin.encoder_count, "conf_encoder_v1", name);
    if (!encoder_stride) {
        return encoder_stride.status();
    }
    for (size_t i = 0; i < plugin.encoder_count; ++i) {
        const conf_encoder_v1& e = element(plugin.encoders, *encoder_stride, i);
        std::string where = fmt::format("plugin '{}' encoder #{} ({})", name, i,
                                        e.factory != nullptr ? e.factory : "unnamed");
        EncoderChoice encoder{
            field(e.encoding_name), field(e.factory),           static_cast<int>(e.rank),
            e.hardware != 0,        field(e.properties),        field(e.bitrate_property),
            e.bitrate_unit,         field(e.keyframe_property), field(plugin.name)};
        bool own_codec =
            std::any_of(checked.codecs.begin(), checked.codecs.end(),
                        [&](const Codec& c) { return iequals(c.name, encoder.codec); });
        if (encoder.factory.empty() || (!own_codec && registry_.find(encoder.codec) == nullptr)) {
            return invalid_argument(fmt::format("{}: needs a factory and a registered codec (got "
                                                "'{}')",
                                                where, encoder.codec));
        }
        if (!encoder.bitrate_property.empty() && encoder.bitrate_unit == 0) {
            return invalid_argument(fmt::format("{}: bitrate_unit must be positive", where));
        }
        // Missing factories are fine here: a hardware encoder is listed for machines that have
        // it; the transcoder skips what GStreamer lacks.
        checked.encoders.push_back(encoder);
    }
    return checked;
}

PluginLoadReport load_plugins(const std::vector<std::filesystem::path>& directories) {
    return PluginLoader::global().load_directories(directories);
}

PluginLoadReport load_plugin(const std::filesystem::path& file) {
    return PluginLoader::global().load_file(file);
}

std::vector<LoadedPlugin> loaded_plugins() {
    return PluginLoader::global().loaded();
}

std::vector<CodecInfo> registered_codecs() {
    std::vector<CodecInfo> result;
    for (const Codec* codec : CodecRegistry::global().all()) {
        result.push_back({std::string(codec->name), std::string(to_string(codec->kind)),
                          codec->clock_rate, codec->payload_type, codec->rank,
                          std::string(codec->payloader), std::string(codec->depayloader),
                          std::string(codec->parser), std::string(codec->decoder),
                          std::string(codec->encoder), container_names(codec->containers),
                          std::string(codec->plugin)});
    }
    return result;
}

std::vector<EncoderInfo> registered_encoders() {
    std::vector<EncoderInfo> result;
    for (const EncoderChoice& encoder : CodecRegistry::global().encoders()) {
        result.push_back({std::string(encoder.codec), std::string(encoder.factory), encoder.rank,
                          encoder.hardware, has_factory(encoder.factory),
                          std::string(encoder.plugin)});
    }
    return result;
}

} // namespace conf
