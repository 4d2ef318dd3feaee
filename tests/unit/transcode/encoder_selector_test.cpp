// EncoderSelector with stand-in "hardware" encoders: GStreamer elements registered here that
// either fail to reach READY (no device, as VA-API/NVENC/V4L2 encoders do on a machine
// without one) or succeed. Real hardware was not tried (docs/plugins.md says so).
#include "codec/codec_registry.hpp"
#include "transcode/encoder_selector.hpp"

#include <catch2/catch.hpp>
#include <gst/gst.h>

#include <atomic>

namespace {

std::atomic<int> ready_attempts{0};

// A stand-in encoder: an element whose NULL->READY fails when `fails` is set at class level.
struct StubEncoder {
    GstElement parent;
};
struct StubEncoderClass {
    GstElementClass parent_class;
};

GstStateChangeReturn stub_change_state(GstElement* element, GstStateChange transition, bool fails,
                                       GstElementClass* parent) {
    if (transition == GST_STATE_CHANGE_NULL_TO_READY) {
        ++ready_attempts;
        if (fails) {
            GST_ELEMENT_ERROR(element, RESOURCE, OPEN_READ, ("no encoder device"), (nullptr));
            return GST_STATE_CHANGE_FAILURE;
        }
    }
    return parent->change_state(element, transition);
}

G_DEFINE_TYPE(StubEncoder, stub_encoder, GST_TYPE_ELEMENT)
GstStateChangeReturn failing_change_state(GstElement* e, GstStateChange t) {
    return stub_change_state(e, t, true, GST_ELEMENT_CLASS(stub_encoder_parent_class));
}
void stub_encoder_class_init(StubEncoderClass* klass) {
    gst_element_class_set_static_metadata(GST_ELEMENT_CLASS(klass), "stub hw encoder",
                                          "Codec/Encoder/Video/Hardware",
                                          "Fails to open its device", "libconf tests");
    GST_ELEMENT_CLASS(klass)->change_state = failing_change_state;
}
void stub_encoder_init(StubEncoder*) {}

struct WorkingEncoder {
    GstElement parent;
};
struct WorkingEncoderClass {
    GstElementClass parent_class;
};
G_DEFINE_TYPE(WorkingEncoder, working_encoder, GST_TYPE_ELEMENT)
GstStateChangeReturn working_change_state(GstElement* e, GstStateChange t) {
    return stub_change_state(e, t, false, GST_ELEMENT_CLASS(working_encoder_parent_class));
}
void working_encoder_class_init(WorkingEncoderClass* klass) {
    gst_element_class_set_static_metadata(GST_ELEMENT_CLASS(klass), "stub hw encoder",
                                          "Codec/Encoder/Video/Hardware", "Opens fine",
                                          "libconf tests");
    GST_ELEMENT_CLASS(klass)->change_state = working_change_state;
}
void working_encoder_init(WorkingEncoder*) {}

void register_stand_ins() {
    static bool done = [] {
        return gst_element_register(nullptr, "confteststubhwenc", GST_RANK_NONE,
                                    stub_encoder_get_type()) &&
               gst_element_register(nullptr, "conftestworkinghwenc", GST_RANK_NONE,
                                    working_encoder_get_type());
    }();
    REQUIRE(done);
}

} // namespace

TEST_CASE("a hardware encoder that does not initialise falls back to software, probed once",
          "[transcode]") {
    register_stand_ins();
    conf::CodecRegistry registry;
    REQUIRE(registry.add_encoder({"H264", "confteststubhwenc", 500, true, "", "", 1, "", "test"}));
    REQUIRE(registry.add_encoder({"H264", "vanishedhwenc", 400, true, "", "", 1, "", "test"}));
    conf::EncoderSelector selector(registry);

    ready_attempts = 0;
    auto chosen = selector.choose("H264");
    REQUIRE(chosen.is_ok());
    CHECK(chosen->factory == "x264enc");
    CHECK_FALSE(chosen->hardware);
    CHECK(ready_attempts == 1); // the stand-in was tried, and failed

    // Kept: the next transcoder does not probe again.
    auto again = selector.choose("H264");
    REQUIRE(again.is_ok());
    CHECK(again->factory == "x264enc");
    CHECK(ready_attempts == 1);
}

TEST_CASE("a hardware encoder that initialises is preferred to software", "[transcode]") {
    register_stand_ins();
    conf::CodecRegistry registry;
    REQUIRE(
        registry.add_encoder({"H264", "conftestworkinghwenc", 500, true, "", "", 1, "", "test"}));
    conf::EncoderSelector selector(registry);
    auto chosen = selector.choose("H264");
    REQUIRE(chosen.is_ok());
    CHECK(chosen->factory == "conftestworkinghwenc");
    CHECK(chosen->hardware);
}

TEST_CASE("no usable encoder is a clear error, and bad properties are named", "[transcode]") {
    register_stand_ins();
    conf::CodecRegistry registry;
    conf::EncoderSelector selector(registry);
    // AV1 is not built in: nothing encodes it without the av1 plugin.
    auto none = selector.choose("AV1");
    CHECK(none.status().code() == conf::StatusCode::kUnavailable);
    CHECK_THAT(none.status().message(), Catch::Contains("no usable AV1 encoder"));

    conf::EncoderChoice bad{"H264", "x264enc", 1, false, "no-such-property=1", "", 1, "", ""};
    auto made = conf::EncoderSelector::make(bad, 1000, 60, "bad");
    CHECK_THAT(made.status().message(),
               Catch::Contains("x264enc has no property 'no-such-property'"));
}
