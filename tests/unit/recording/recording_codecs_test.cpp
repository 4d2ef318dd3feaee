#include "recording/recording_codecs.hpp"

#include "core/g_ref.hpp"

#include <catch2/catch.hpp>

using conf::RecordingContainer;
using conf::RecordingManifest;
using conf::StatusCode;

namespace {

conf::Result<const conf::Codec*> codec_for(const char* caps) {
    auto parsed = conf::GRef<GstCaps>::adopt(gst_caps_from_string(caps));
    return conf::recording_codec_for(parsed.get());
}

} // namespace

TEST_CASE("each allowlisted codec gets its own depayloader and parser", "[recording-codecs]") {
    auto vp8 = codec_for("application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000");
    REQUIRE(vp8.is_ok());
    CHECK((*vp8)->depayloader == "rtpvp8depay");
    CHECK((*vp8)->parser.empty());
    CHECK((*vp8)->recording_name == "vp8");

    auto vp9 = codec_for("application/x-rtp,media=video,encoding-name=vp9,clock-rate=90000");
    REQUIRE(vp9.is_ok());
    CHECK((*vp9)->depayloader == "rtpvp9depay");
    CHECK((*vp9)->parser == "vp9parse");

    auto h264 = codec_for("application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,"
                          "packetization-mode=(string)1,payload=102");
    REQUIRE(h264.is_ok());
    CHECK((*h264)->depayloader == "rtph264depay");
    CHECK((*h264)->parser == "h264parse");

    auto opus = codec_for("application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000");
    REQUIRE(opus.is_ok());
    CHECK(conf::manifest_kind(**opus) == RecordingManifest::AUDIO);
    CHECK((*opus)->depayloader == "rtpopusdepay");
}

TEST_CASE("caps outside the allowlist or inconsistent caps are refused", "[recording-codecs]") {
    const char* refused[] = {
        "video/x-raw",
        "application/x-rtp,media=video,clock-rate=90000",
        "application/x-rtp,media=video,encoding-name=H265,clock-rate=90000",
        "application/x-rtp,media=audio,encoding-name=VP8,clock-rate=90000",
        "application/x-rtp,media=video,encoding-name=VP8,clock-rate=8000",
        "application/x-rtp,media=audio,encoding-name=OPUS",
    };
    for (const char* caps : refused) {
        INFO(caps);
        CHECK(codec_for(caps).status().code() == StatusCode::kInvalidArgument);
    }
    CHECK(conf::recording_codec_for(nullptr).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE(
    "the container picks the muxer: WebM when it can and Matroska for H.264 and fMP4 on request",
    "[recording-codecs]") {
    auto vp8 = *codec_for("application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000");
    auto h264 = *codec_for("application/x-rtp,media=video,encoding-name=H264,clock-rate=90000");
    auto opus = *codec_for("application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000");

    const conf::Codec* webm_codecs[] = {vp8, opus};
    auto webm = conf::choose_muxer(RecordingContainer::kMatroska, webm_codecs);
    REQUIRE(webm.is_ok());
    CHECK(webm->factory == "webmmux");
    CHECK(webm->extension == "webm");

    const conf::Codec* mkv_codecs[] = {h264, opus};
    auto mkv = conf::choose_muxer(RecordingContainer::kMatroska, mkv_codecs);
    REQUIRE(mkv.is_ok());
    CHECK(mkv->factory == "matroskamux");
    CHECK(mkv->container == RecordingManifest::MATROSKA);

    auto mp4 = conf::choose_muxer(RecordingContainer::kMp4Fragmented, mkv_codecs);
    REQUIRE(mp4.is_ok());
    CHECK(mp4->factory == "mp4mux");
    CHECK(mp4->extension == "mp4");

    auto vp8_mp4 = conf::choose_muxer(RecordingContainer::kMp4Fragmented, webm_codecs);
    CHECK(vp8_mp4.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("Opus caps without a capture rate get the RFC 7587 default", "[recording-codecs]") {
    auto caps = conf::GRef<GstCaps>::adopt(gst_caps_from_string(
        "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=111"));
    auto codec = conf::recording_codec_for(caps.get());
    REQUIRE(codec.is_ok());
    auto fixed = conf::recording_caps(**codec, caps.get());
    CHECK_THAT(
        gst_structure_get_string(gst_caps_get_structure(fixed.get(), 0), "sprop-maxcapturerate"),
        Catch::Equals("48000"));
    // What the sender said is kept.
    auto given = conf::GRef<GstCaps>::adopt(
        gst_caps_from_string("application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,"
                             "sprop-maxcapturerate=(string)16000"));
    CHECK_THAT(gst_structure_get_string(
                   gst_caps_get_structure(conf::recording_caps(**codec, given.get()).get(), 0),
                   "sprop-maxcapturerate"),
               Catch::Equals("16000"));
}
