// The plugin loader against real shared objects built by this directory's CMakeLists.txt: a
// good plugin loads (its init runs, its codec is registered and offered), each bad one is
// refused with a reason that names what is wrong, and the process goes on without it.
#include "codec/codec_registry.hpp"
#include "plugin/plugin_loader.hpp"
#include "support/temp_dir.hpp"
#include "webrtc/local_formats.hpp"

#include <conf/plugins.hpp>

#include <catch2/catch.hpp>
#include <gst/gst.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <string>

namespace {

const std::filesystem::path kPlugins = CONF_TEST_PLUGIN_DIR;

std::filesystem::path plugin_file(const char* variant) {
    return kPlugins / (std::string("conf-test-") + variant + ".so");
}

std::string refusal_of(const conf::PluginLoadReport& report, const std::filesystem::path& file) {
    for (const auto& refused : report.refused) {
        if (refused.path == file) {
            return refused.reason;
        }
    }
    return "(not refused)";
}

bool has_element(const char* name) {
    return static_cast<bool>(conf::GRef<GstElementFactory>::adopt(gst_element_factory_find(name)));
}

} // namespace

TEST_CASE("a good plugin loads: its init runs and its codec is registered and offered",
          "[plugin]") {
    auto report = conf::load_plugin(plugin_file("good"));
    REQUIRE(report.refused.empty());
    REQUIRE(report.loaded.size() == 1);
    CHECK(report.loaded[0].name == "conftest");
    CHECK(report.loaded[0].version == "1.2.3");
    CHECK(report.loaded[0].codecs == std::vector<std::string>{"X-CONF-TEST"});
    CHECK(report.loaded[0].encoders == std::vector<std::string>{"confteststubenc (X-CONF-TEST)"});
    CHECK(has_element("conftestbin")); // registered by its init

    const conf::Codec* codec = conf::find_codec("x-conf-test");
    REQUIRE(codec != nullptr);
    CHECK(codec->plugin == "conftest");
    CHECK(codec->kind == conf::MediaKind::kAudio);
    CHECK(codec->payload_type == conf::kFirstPluginPayloadType);

    // Offered on audio receive m-lines after Opus (rank 10 < 300), at its payload type.
    auto formats = conf::receive_formats(conf::MediaKind::kAudio);
    REQUIRE(formats.size() == 2);
    CHECK(formats[0].codec->name == "OPUS");
    CHECK(formats[1].codec == codec);
    CHECK(formats[1].payload_type == conf::kFirstPluginPayloadType);

    auto loaded = conf::loaded_plugins();
    REQUIRE(loaded.size() == 1);
    CHECK(loaded[0].path == plugin_file("good"));

    // Its encoder is listed, highest rank first, but GStreamer has no such element.
    auto encoders = conf::registered_encoders();
    REQUIRE(!encoders.empty());
    CHECK(encoders[0].factory == "confteststubenc");
    CHECK(encoders[0].hardware);
    CHECK_FALSE(encoders[0].available);

    auto codecs = conf::registered_codecs();
    CHECK(std::any_of(codecs.begin(), codecs.end(), [](const conf::CodecInfo& info) {
        return info.name == "X-CONF-TEST" && info.plugin == "conftest" && info.containers.empty();
    }));
}

TEST_CASE("each bad plugin is refused with a reason and the good one still loads", "[plugin]") {
    conf::test::TempDir garbage_dir;
    std::ofstream(garbage_dir.path() / "not-elf.so") << "this is not a shared object\n";

    auto report = conf::load_plugins({kPlugins, garbage_dir.path(), "/nonexistent/plugins"});

    REQUIRE(report.loaded.size() == 1);
    CHECK(report.loaded[0].name == "conftest");

    CHECK_THAT(refusal_of(report, plugin_file("wrong_abi")),
               Catch::Contains("ABI major version 2") && Catch::Contains("speaks 1"));
    CHECK_THAT(refusal_of(report, plugin_file("short_struct")),
               Catch::Contains("struct_size 8 is smaller"));
    CHECK_THAT(refusal_of(report, plugin_file("no_entry")),
               Catch::Contains("does not export conf_plugin_entry_v1"));
    CHECK_THAT(refusal_of(report, plugin_file("null_entry")), Catch::Contains("returned NULL"));
    CHECK_THAT(refusal_of(report, plugin_file("init_fails")),
               Catch::Contains("init failed (3)") &&
                   Catch::Contains("no licence for this codec on this machine"));
    CHECK_THAT(refusal_of(report, plugin_file("duplicate_codec")),
               Catch::Contains("codec VP8 is already registered by libconf (built in)"));
    CHECK_THAT(refusal_of(report, plugin_file("gst_newer")),
               Catch::Contains("built against GStreamer 1.99"));
    CHECK_THAT(refusal_of(report, plugin_file("missing_element")),
               Catch::Contains("no element 'confnosuchpay'"));
    CHECK_THAT(refusal_of(report, plugin_file("bad_name")),
               Catch::Contains("plugin name 'Bad Name'"));
    CHECK_THAT(refusal_of(report, plugin_file("same_name")),
               Catch::Contains("a plugin named 'conftest' is already loaded from") &&
                   Catch::Contains("conf-test-good.so"));
    CHECK_THAT(refusal_of(report, garbage_dir.path() / "not-elf.so"),
               Catch::Contains("cannot open"));
    CHECK_THAT(refusal_of(report, "/nonexistent/plugins"),
               Catch::Contains("cannot read plugin directory"));

    // Nothing a refused plugin described was registered; the built-ins are untouched.
    CHECK(conf::find_codec("X-INIT-FAILS") == nullptr);
    CHECK(conf::find_codec("X-NO-ELEMENT") == nullptr);
    CHECK(conf::find_codec("X-SAME-NAME") == nullptr);
    REQUIRE(conf::find_codec("VP8") != nullptr);
    CHECK(conf::find_codec("VP8")->plugin.empty());
    CHECK(conf::loaded_plugins().size() == 1);
}

TEST_CASE("a plugin file loaded twice is refused the second time", "[plugin]") {
    REQUIRE(conf::load_plugin(plugin_file("good")).loaded.size() == 1);
    auto again = conf::load_plugin(plugin_file("good"));
    CHECK(again.loaded.empty());
    REQUIRE(again.refused.size() == 1);
    CHECK_THAT(again.refused[0].reason, Catch::Contains("already loaded as plugin 'conftest'"));
}

TEST_CASE("the registry refuses incomplete codecs and taken names", "[plugin]") {
    conf::CodecRegistry registry;
    conf::Codec codec = *registry.find("VP8");
    codec.plugin = "test";
    CHECK(registry.add(codec).status().code() == conf::StatusCode::kAlreadyExists);

    codec.name = "vp-lower";
    CHECK(registry.add(codec).status().code() == conf::StatusCode::kInvalidArgument);
    codec.name = "X-VIDEO";
    codec.channels = 2;
    CHECK_THAT(registry.add(codec).status().message(), Catch::Contains("channels"));
    codec.channels = 0;
    codec.payloader = "";
    CHECK_THAT(registry.add(codec).status().message(), Catch::Contains("payloader"));
    codec.payloader = "rtpvp8pay";

    // Payload types run out after 35-63. Codec names are views: keep their text alive.
    std::deque<std::string> names;
    for (int pt = conf::kFirstPluginPayloadType; pt <= conf::kLastPluginPayloadType; ++pt) {
        names.push_back("X-" + std::to_string(pt));
        codec.name = names.back();
        auto added = registry.add(codec);
        REQUIRE(added.is_ok());
        CHECK((*added)->payload_type == pt);
    }
    codec.name = "X-ONE-TOO-MANY";
    CHECK(registry.add(codec).status().code() == conf::StatusCode::kResourceExhausted);
}
