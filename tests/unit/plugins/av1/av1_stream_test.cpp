// Real AV1 through the elements: libaom's av1enc (with the plugin's own real-time settings)
// -> confrtpav1pay -> confrtpav1depay -> av1parse -> av1dec, decoded frames compared with the
// encoder's stream decoded directly; the depayloaded stream muxed and checked with ffprobe and
// gst-discoverer-1.0 (independent of our elements); and a packet-loss round trip.
#include "plugins/av1/av1_test_support.hpp"

#include "recording/support/subprocess.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <gst/app/gstappsink.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/video/video-event.h>

#include <functional>
#include <map>
#include <sstream>
#include <string_view>

using namespace std::chrono_literals;
using namespace conf::test::av1;

namespace {

constexpr int kFrames = 60;
constexpr const char* kRawCaps = "video/x-raw,format=I420,width=320,height=240,framerate=30/1";

// av1enc configured as libconf would: the descriptor's properties, a bitrate, a GOP.
std::string encoder(int keyframe_interval) {
    const conf_plugin_v1* plugin = plugin_descriptor();
    REQUIRE(plugin->encoder_count == 1);
    const conf_encoder_v1& enc = plugin->encoders[0];
    std::ostringstream out;
    out << enc.factory << " " << enc.properties << " " << enc.bitrate_property << "=600 "
        << enc.keyframe_property << "=" << keyframe_interval;
    return out.str();
}

struct DecodedFrame {
    GstClockTime pts;
    std::size_t hash;
};

std::vector<DecodedFrame> drain(GstElement* appsink) {
    std::vector<DecodedFrame> frames;
    while (GstPtr<GstSample> sample{gst_app_sink_try_pull_sample(GST_APP_SINK(appsink), 0)}) {
        GstBuffer* buffer = gst_sample_get_buffer(sample.get());
        ByteVector bytes = bytes_of(buffer);
        frames.push_back({GST_BUFFER_PTS(buffer),
                          std::hash<std::string_view>{}(std::string_view(
                              reinterpret_cast<const char*>(bytes.data()), bytes.size()))});
    }
    return frames;
}

std::map<std::string, std::string> probe_video(const std::filesystem::path& file) {
    auto result = conf::test::run_process({"ffprobe", "-v", "error", "-count_frames",
                                           "-select_streams", "v:0", "-show_entries",
                                           "stream=codec_name,width,height,nb_read_frames", "-of",
                                           "default=noprint_wrappers=1", file.string()},
                                          30s);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    std::map<std::string, std::string> fields;
    std::istringstream lines(result.out);
    std::string line;
    while (std::getline(lines, line)) {
        auto eq = line.find('=');
        if (eq != std::string::npos) {
            fields[line.substr(0, eq)] = line.substr(eq + 1);
        }
    }
    return fields;
}

} // namespace

TEST_CASE_METHOD(Av1Elements, "stream: av1enc through RTP decodes to the same 60 frames",
                 "[av1][stream]") {
    // A tee gives both decoders the very same bitstream, so every frame must match exactly.
    Pipeline pipeline(
        fmt::format("videotestsrc num-buffers=60 pattern=ball ! {} ! {} ! tee name=t "
                    "t. ! queue ! av1dec ! appsink name=direct sync=false wait-on-eos=false "
                    "t. ! queue ! confrtpav1pay mtu=1200 ! confrtpav1depay "
                    "! av1parse ! av1dec ! appsink name=rtp sync=false wait-on-eos=false",
                    kRawCaps, encoder(30)));
    REQUIRE(pipeline.run_to_eos(10s) == "");
    auto direct = drain(pipeline.element("direct"));
    auto rtp = drain(pipeline.element("rtp"));
    REQUIRE(direct.size() == kFrames);
    REQUIRE(rtp.size() == kFrames);
    for (int i = 0; i < kFrames; ++i) {
        INFO("frame " << i);
        CHECK(rtp[i].pts == direct[i].pts);
        CHECK(rtp[i].hash == direct[i].hash);
    }
}

TEST_CASE_METHOD(Av1Elements, "stream: frame-aligned input (av1parse alignment=frame) round trips",
                 "[av1][stream]") {
    Pipeline pipeline(fmt::format("videotestsrc num-buffers=60 pattern=ball ! {} ! {} ! av1parse "
                                  "! video/x-av1,alignment=frame ! confrtpav1pay mtu=1200 "
                                  "! confrtpav1depay ! av1parse ! av1dec ! appsink name=sink "
                                  "sync=false wait-on-eos=false",
                                  kRawCaps, encoder(30)));
    REQUIRE(pipeline.run_to_eos(10s) == "");
    CHECK(drain(pipeline.element("sink")).size() == kFrames);
}

TEST_CASE_METHOD(Av1Elements,
                 "stream: the depayloaded stream records and ffprobe and "
                 "gst-discoverer agree",
                 "[av1][stream]") {
    struct Mux {
        const char* element;
        const char* extension;
    };
    // The containers the plugin's descriptor claims (CONF_CONTAINER_MATROSKA | WEBM | MP4).
    static const Mux kMuxes[] = {
        {"matroskamux", "mkv"}, {"webmmux", "webm"}, {"mp4mux fragment-duration=500", "mp4"}};
    const Mux& mux = kMuxes[GENERATE(0, 1, 2)];
    conf::test::TempDir dir;
    auto file = dir.path() / (std::string("av1.") + mux.extension);
    Pipeline pipeline(fmt::format("videotestsrc num-buffers=60 pattern=ball ! {} ! {} "
                                  "! confrtpav1pay mtu=1200 ! confrtpav1depay ! av1parse ! {} "
                                  "! filesink location={}",
                                  kRawCaps, encoder(30), mux.element, file.string()));
    REQUIRE(pipeline.run_to_eos(10s) == "");

    INFO(mux.element);
    auto fields = probe_video(file);
    CHECK(fields["codec_name"] == "av1");
    CHECK(fields["width"] == "320");
    CHECK(fields["height"] == "240");
    CHECK(fields["nb_read_frames"] == std::to_string(kFrames));

    auto discovered = conf::test::run_process({"gst-discoverer-1.0", "-v", file.string()}, 30s);
    INFO(discovered.out << discovered.err);
    CHECK(discovered.exit_code == 0);
    CHECK(discovered.out.find("video/x-av1") != std::string::npos);
}

namespace {

// Drops a packet of one temporal unit (counted by marker bits) on its way to the depayloader;
// the payloader pushes buffer lists, so lists are edited in place.
struct PacketDropper {
    int drop_unit = 0;
    int unit = 0;
    int dropped = 0;

    // Drops the unit's last packet (the one with the marker, which every unit has).
    bool keep(GstBuffer* buffer) {
        conf::av1::RtpMapping rtp(buffer, GST_MAP_READ);
        bool marker = rtp && gst_rtp_buffer_get_marker(rtp.get());
        bool drop = unit == drop_unit && marker;
        if (marker) {
            ++unit;
        }
        dropped += drop ? 1 : 0;
        return !drop;
    }

    static GstPadProbeReturn probe(GstPad*, GstPadProbeInfo* info, gpointer self) noexcept {
        auto* dropper = static_cast<PacketDropper*>(self);
        if ((info->type & GST_PAD_PROBE_TYPE_BUFFER) != 0) {
            return dropper->keep(GST_PAD_PROBE_INFO_BUFFER(info)) ? GST_PAD_PROBE_OK
                                                                  : GST_PAD_PROBE_DROP;
        }
        GstBufferList* list = gst_buffer_list_make_writable(GST_PAD_PROBE_INFO_BUFFER_LIST(info));
        GST_PAD_PROBE_INFO_DATA(info) = list;
        for (guint i = 0; i < gst_buffer_list_length(list);) {
            if (dropper->keep(gst_buffer_list_get(list, i))) {
                ++i;
            } else {
                gst_buffer_list_remove(list, i, 1);
            }
        }
        return gst_buffer_list_length(list) > 0 ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
    }
};

// What the depayloader let through: presentation times and key flags.
struct UnitLog {
    std::vector<std::pair<GstClockTime, bool>> units; // pts, key

    static GstPadProbeReturn probe(GstPad*, GstPadProbeInfo* info, gpointer self) noexcept {
        GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
        static_cast<UnitLog*>(self)->units.emplace_back(
            GST_BUFFER_PTS(buffer), !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT));
        return GST_PAD_PROBE_OK;
    }
};

// Counts force-key-unit events arriving at the encoder from downstream.
GstPadProbeReturn count_requests(GstPad*, GstPadProbeInfo* info, gpointer counter) noexcept {
    if (gst_video_event_is_force_key_unit(GST_PAD_PROBE_INFO_EVENT(info))) {
        ++*static_cast<int*>(counter);
    }
    return GST_PAD_PROBE_OK;
}

} // namespace

TEST_CASE_METHOD(Av1Elements,
                 "stream: packet loss never reaches the decoder and the picture "
                 "resumes at a key frame",
                 "[av1][stream]") {
    constexpr int kLossFrames = 90;
    constexpr int kKeyframeInterval = 30;
    constexpr int kLostUnit = 10;
    Pipeline pipeline(fmt::format("videotestsrc num-buffers={} pattern=ball ! {} ! {} name=enc "
                                  "! confrtpav1pay mtu=600 ! confrtpav1depay name=depay "
                                  "! av1parse ! av1dec ! appsink name=sink sync=false "
                                  "wait-on-eos=false",
                                  kLossFrames, kRawCaps, encoder(kKeyframeInterval)));
    PacketDropper dropper{kLostUnit};
    UnitLog log;
    int requests = 0;
    gst_pad_add_probe(
        pipeline.pad("depay", "sink").get(),
        static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
        PacketDropper::probe, &dropper, nullptr);
    gst_pad_add_probe(pipeline.pad("depay", "src").get(), GST_PAD_PROBE_TYPE_BUFFER, UnitLog::probe,
                      &log, nullptr);
    gst_pad_add_probe(pipeline.pad("enc", "src").get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                      count_requests, &requests, nullptr);

    REQUIRE(pipeline.run_to_eos(10s) == ""); // av1dec never got an undecodable unit
    CHECK(dropper.dropped == 1);
    CHECK(requests >= 1); // the depayloader's request went up through the payloader

    auto frame_pts = [](int i) {
        return gst_util_uint64_scale(static_cast<guint64>(i), GST_SECOND, 30);
    };
    // Everything before the loss, then nothing until a key frame, then everything to the end.
    // (av1enc in GStreamer 1.22 ignores force-key-unit requests, so the key frame is the
    // periodic one; a newer av1enc answers the request at once.)
    REQUIRE(log.units.size() > kLostUnit);
    for (int i = 0; i < kLostUnit; ++i) {
        CHECK(log.units[i].first == frame_pts(i));
    }
    auto resumed = log.units[kLostUnit];
    CHECK(resumed.first > frame_pts(kLostUnit));
    CHECK(resumed.first <= frame_pts(kKeyframeInterval));
    CHECK(resumed.second);
    int resumed_index =
        static_cast<int>(gst_util_uint64_scale_round(resumed.first, 30, GST_SECOND));
    for (std::size_t i = kLostUnit; i < log.units.size(); ++i) {
        CHECK(log.units[i].first == frame_pts(resumed_index + static_cast<int>(i) - kLostUnit));
    }
    CHECK(log.units.back().first == frame_pts(kLossFrames - 1));
    auto frames = drain(pipeline.element("sink"));
    CHECK(frames.size() == log.units.size());
    CHECK(frames.size() == static_cast<std::size_t>(kLossFrames - (resumed_index - kLostUnit)));
}
