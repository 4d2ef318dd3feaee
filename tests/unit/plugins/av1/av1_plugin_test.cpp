// The descriptor conf-av1.so exports, read from the built module as libconf's loader would:
// every field the ABI checks, element factories that exist, encoder properties that av1enc
// accepts.
#include "plugins/av1/av1_test_support.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <sstream>

using namespace conf::test::av1;

TEST_CASE_METHOD(Av1Elements, "plugin: the exported descriptor passes the ABI's checks",
                 "[av1][plugin]") {
    const conf_plugin_v1* plugin = plugin_descriptor();
    REQUIRE(plugin != nullptr);
    CHECK(plugin->abi_major == CONF_PLUGIN_ABI_MAJOR);
    CHECK(plugin->struct_size == sizeof(conf_plugin_v1));
    CHECK(plugin->gst_major == GST_VERSION_MAJOR);
    guint major = 0;
    guint minor = 0;
    guint micro = 0;
    guint nano = 0;
    gst_version(&major, &minor, &micro, &nano);
    CHECK(plugin->gst_minor <= minor);
    CHECK(std::strcmp(plugin->name, "av1") == 0);
    CHECK(std::strcmp(plugin->version, CONF_PROJECT_VERSION) == 0);
    CHECK(plugin->init != nullptr);

    REQUIRE(plugin->codec_count == 1);
    const conf_codec_v1& codec = plugin->codecs[0];
    CHECK(codec.struct_size == sizeof(conf_codec_v1));
    CHECK(std::strcmp(codec.encoding_name, "AV1") == 0);
    CHECK(std::strcmp(codec.recording_name, "av1") == 0);
    CHECK(codec.kind == CONF_MEDIA_VIDEO);
    CHECK(codec.clock_rate == 90000);
    CHECK(codec.channels == 0);
    CHECK(codec.rank == 250);
    CHECK(codec.containers == (CONF_CONTAINER_MATROSKA | CONF_CONTAINER_WEBM | CONF_CONTAINER_MP4));
    CHECK(std::strcmp(codec.fmtp, "level-idx=5;profile=0;tier=0") == 0);

    // The caps describe what the depayloader produces (its output adds framerate=0/1).
    GstPtr<GstCaps> caps(gst_caps_from_string(codec.caps));
    REQUIRE(caps);
    GstPtr<GstCaps> produced(
        gst_caps_from_string("video/x-av1,stream-format=obu-stream,alignment=tu,framerate=0/1"));
    CHECK(gst_caps_is_subset(produced.get(), caps.get()));

    for (const char* factory :
         {codec.payloader, codec.depayloader, codec.parser, codec.encoder, codec.decoder}) {
        INFO(factory);
        ObjectPtr<GstElementFactory> found(gst_element_factory_find(factory));
        CHECK(found != nullptr);
    }
}

TEST_CASE_METHOD(Av1Elements, "plugin: av1enc takes every encoder property as given",
                 "[av1][plugin]") {
    const conf_plugin_v1* plugin = plugin_descriptor();
    REQUIRE(plugin->encoder_count == 1);
    const conf_encoder_v1& encoder = plugin->encoders[0];
    CHECK(encoder.struct_size == sizeof(conf_encoder_v1));
    CHECK(std::strcmp(encoder.encoding_name, "AV1") == 0);
    CHECK(std::strcmp(encoder.factory, "av1enc") == 0);
    CHECK(encoder.hardware == 0);
    CHECK(std::strcmp(encoder.bitrate_property, "target-bitrate") == 0);
    CHECK(encoder.bitrate_unit == 1000);
    CHECK(std::strcmp(encoder.keyframe_property, "keyframe-max-dist") == 0);

    ObjectPtr<GstElement> owned(
        GST_ELEMENT(gst_object_ref_sink(gst_element_factory_make(encoder.factory, nullptr))));
    REQUIRE(owned != nullptr);
    GstElement* element = owned.get();
    std::istringstream pairs(encoder.properties);
    std::string pair;
    while (pairs >> pair) {
        INFO(pair);
        auto eq = pair.find('=');
        REQUIRE(eq != std::string::npos);
        std::string name = pair.substr(0, eq);
        std::string value = pair.substr(eq + 1);
        GParamSpec* spec = g_object_class_find_property(G_OBJECT_GET_CLASS(element), name.c_str());
        REQUIRE(spec != nullptr);
        gst_util_set_object_arg(G_OBJECT(element), name.c_str(), value.c_str());
        GValue read = G_VALUE_INIT;
        g_value_init(&read, spec->value_type);
        g_object_get_property(G_OBJECT(element), name.c_str(), &read);
        gchar* serialized = gst_value_serialize(&read);
        REQUIRE(serialized != nullptr);
        CHECK(std::string(serialized) == value);
        g_free(serialized);
        g_value_unset(&read);
    }
    for (const char* name : {encoder.bitrate_property, encoder.keyframe_property}) {
        CHECK(g_object_class_find_property(G_OBJECT_GET_CLASS(element), name) != nullptr);
    }
}
