// The increasing-PTS probe on its own, in the situation a loaded machine produced in
// recordings from Chromium (docs: tests/browser/av1.test.js found it): consecutive frames
// stamped alike, then a parser, then Matroska with offset-to-zero.
#include "core/g_ref.hpp"
#include "recording/support/media_check.hpp"
#include "recording/track_probes.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <gst/gst.h>

#include <string>

namespace {

// Writes 90 frames at 30 fps, 10 s into the stream; frames 30-38 all carry frame 30's PTS.
conf::test::ProbedFile write_with_repeated_stamps(const std::filesystem::path& file, bool fix) {
    std::string description =
        "videotestsrc num-buffers=90 ! video/x-raw,width=320,height=240,framerate=30/1 "
        "! x264enc tune=zerolatency speed-preset=ultrafast ! h264parse "
        "! video/x-h264,stream-format=avc,alignment=au ! identity name=stamps "
        // As a depayloader's caps: no frame rate for the parser to interpolate with.
        "! capssetter caps=video/x-h264,framerate=0/1 replace=false "
        "! h264parse ! matroskamux offset-to-zero=true "
        "! filesink location=" +
        file.string();
    GError* error = nullptr;
    auto pipeline = conf::GRef<GstElement>::adopt(gst_parse_launch(description.c_str(), &error));
    REQUIRE(error == nullptr);
    auto stamps =
        conf::GRef<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(pipeline.get()), "stamps"));
    auto pad = conf::GRef<GstPad>::adopt(gst_element_get_static_pad(stamps.get(), "src"));
    // Added first, so it runs before the fix: it makes the repeats.
    conf::ProbeConnection repeat = conf::add_probe(
        pad.get(), GST_PAD_PROBE_TYPE_BUFFER,
        [frame = 0, held = GST_CLOCK_TIME_NONE](GstPad*, GstPadProbeInfo* info) mutable {
            GstBuffer* buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
            GST_BUFFER_PTS(buffer) += 10 * GST_SECOND; // as on the absolute clock: not at 0
            if (frame == 30) {
                held = GST_BUFFER_PTS(buffer);
            } else if (frame > 30 && frame <= 38) {
                GST_BUFFER_PTS(buffer) = held;
            }
            GST_BUFFER_DTS(buffer) = GST_BUFFER_PTS(buffer);
            ++frame;
            info->data = buffer;
            return GST_PAD_PROBE_OK;
        });
    conf::ProbeConnection increasing;
    if (fix) {
        increasing = conf::add_increasing_pts_probe(pad.get());
    }
    gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
    auto bus = conf::GRef<GstBus>::adopt(gst_element_get_bus(pipeline.get()));
    auto message = conf::GRef<GstMessage>::adopt(gst_bus_timed_pop_filtered(
        bus.get(), 20 * GST_SECOND,
        static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR)));
    REQUIRE(message);
    CHECK(GST_MESSAGE_TYPE(message.get()) == GST_MESSAGE_EOS);
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    return conf::test::ffprobe(file);
}

} // namespace

TEST_CASE("frames stamped alike still give a Matroska file of the right duration",
          "[recording][timestamps]") {
    conf::test::TempDir dir;
    // Without the probe the file's duration wraps around (the failure this guards against).
    auto broken = write_with_repeated_stamps(dir.path() / "broken.mkv", false);
    REQUIRE(broken.ok);
    CHECK(broken.duration > 1e6);

    auto fixed = write_with_repeated_stamps(dir.path() / "fixed.mkv", true);
    INFO(fixed.error);
    REQUIRE(fixed.ok);
    CHECK(fixed.duration == Approx(3.0).margin(0.2));
    const auto* video = fixed.stream("video");
    REQUIRE(video != nullptr);
    CHECK(video->frames == 90);
}
