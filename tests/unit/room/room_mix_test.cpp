// A room's mix with real peers: four webrtcbin participants, each sending a solid colour and
// a tone of its own frequency. Participant A receives the mix (hybrid room); the others only
// publish. The composite is recorded, and the file is decoded frame by frame: each tile shows
// the colour of the participant the layout put there, and a fifth participant joining and
// leaving mid-recording leaves no gap between frames. A hears B, C and D's tones, not its own.
#include "room_fixture.hpp"

#include "recording/manifest_store.hpp"
#include "recording/support/media_check.hpp"

#include "core/g_unique.hpp"
#include "support/tone.hpp"

#include <gst/app/gstappsink.h>

#include <cmath>
#include <map>

using namespace room_test;

namespace {

constexpr int kFps = 15; // of the composite

struct Rgb {
    int r = 0;
    int g = 0;
    int b = 0;
};

struct Voice {
    std::string id;
    std::string pattern; // videotestsrc properties
    Rgb colour;
    int frequency;
};

const std::vector<Voice> kVoices = {
    {"a", "pattern=solid-color foreground-color=0xffff0000", {255, 0, 0}, 400},
    {"b", "pattern=solid-color foreground-color=0xff00ff00", {0, 255, 0}, 700},
    {"c", "pattern=solid-color foreground-color=0xff0000ff", {0, 0, 255}, 1000},
    {"d", "pattern=solid-color foreground-color=0xffffff00", {255, 255, 0}, 1300},
};

int distance(const Rgb& x, const Rgb& y) {
    return std::abs(x.r - y.r) + std::abs(x.g - y.g) + std::abs(x.b - y.b);
}

// Whose colour `pixel` is ("" when nobody's is close).
std::string whose(const Rgb& pixel) {
    for (const Voice& voice : kVoices) {
        if (distance(pixel, voice.colour) < 120) {
            return voice.id;
        }
    }
    return {};
}

struct DecodedFrame {
    GstClockTime pts = GST_CLOCK_TIME_NONE;
    std::map<std::string, std::string> seen; // tile owner -> whose colour is at its centre
};

// Decodes the video of a recorded file (GStreamer's demuxer and decoder; ffprobe checks the
// file independently) and reads the centre pixel of each tile in `tiles`.
std::vector<DecodedFrame> decode_tiles(const std::filesystem::path& file,
                                       const std::vector<conf::Assignment>& tiles) {
    conf::GUnique<GError> error;
    auto pipeline = conf::GRef<GstElement>::adopt(gst_parse_launch(
        fmt::format("filesrc location=\"{}\" ! decodebin ! videoconvert ! video/x-raw,format=RGB "
                    "! appsink name=frames sync=false",
                    file.string())
            .c_str(),
        error.out()));
    REQUIRE(pipeline);
    auto sink =
        conf::GRef<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(pipeline.get()), "frames"));
    gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
    std::vector<DecodedFrame> frames;
    while (auto sample = conf::GRef<GstSample>::adopt(
               gst_app_sink_try_pull_sample(GST_APP_SINK(sink.get()), 10 * GST_SECOND))) {
        GstBuffer* buffer = gst_sample_get_buffer(sample.get());
        const GstStructure* s = gst_caps_get_structure(gst_sample_get_caps(sample.get()), 0);
        int width = 0;
        int height = 0;
        gst_structure_get_int(s, "width", &width);
        gst_structure_get_int(s, "height", &height);
        const int stride = (width * 3 + 3) & ~3;
        GstMapInfo map;
        REQUIRE(gst_buffer_map(buffer, &map, GST_MAP_READ));
        DecodedFrame frame;
        frame.pts = GST_BUFFER_PTS(buffer);
        for (const conf::Assignment& tile : tiles) {
            const int x = tile.rect.x + tile.rect.width / 2;
            const int y = tile.rect.y + tile.rect.height / 2;
            const guint8* p = map.data + static_cast<std::size_t>(y) * stride + x * 3;
            frame.seen[tile.participant] = whose({p[0], p[1], p[2]});
        }
        gst_buffer_unmap(buffer, &map);
        frames.push_back(std::move(frame));
    }
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    return frames;
}

} // namespace

TEST_CASE("a hybrid room's mix: the composite recording shows each participant where the "
          "layout put it with no gap at a join or leave, and the mixed participant hears the "
          "others but not itself",
          "[room][mix]") {
    Fixture f;
    conf::test::TempDir recordings;
    REQUIRE(f.on_media([&] {
                 conf::RoomOptions options;
                 options.name = "mixed";
                 options.mode = conf::RoomMode::kHybrid;
                 conf::RecorderOptions recording;
                 recording.output_dir = recordings.path();
                 recording.min_free_bytes = 1 << 20;
                 options.recording = recording;
                 options.mix.show_names = false; // the tiles' centres stay one colour
                 // Small and slow enough to run beside the rest of the suite (and under ASan)
                 // without starving the encoder: what is measured is the compositor's timing.
                 options.mix.layout = conf::grid_layout({640, 360, kFps, 1});
                 options.mix.video_bitrate_kbps = 600;
                 auto previous = std::make_unique<Room>(f.engine->impl(), options, f.log);
                 f.room.swap(previous);
             }).is_ok());

    std::map<std::string, std::unique_ptr<Client>> clients;
    for (const Voice& voice : kVoices) {
        // A receives the mix; the others only publish (a subscriber each would add nothing
        // here but load).
        const bool mixed = voice.id == "a";
        clients[voice.id] = f.join(voice.id, {"name-" + voice.id, {}, true, true, mixed, mixed, {}},
                                   conf::test::test_publisher(voice.pattern, voice.frequency));
    }
    Client& a = *clients["a"];
    // A gets one composite video (from "mix") and one mixed audio.
    REQUIRE(conf::test::eventually([&] { return a.peer->video_streams_decoding(30) == 1; }, 30s));
    CHECK(a.lists_member(std::string(conf::kMixMemberId)));
    CHECK_FALSE(a.lists_member("b"));
    REQUIRE(conf::test::eventually(
        [&] {
            auto tiles = f.on_media([&] { return f.room->mix()->assignments(); });
            return tiles.is_ok() && tiles->size() == 4;
        },
        20s));

    auto started = f.on_media([&] {
        return f.room->start_recording({conf::RecordingSource::kComposite, {}, {}, {}, {}});
    });
    REQUIRE(started.is_ok());
    REQUIRE(started->is_ok());
    const std::string recording_id = started->value();
    auto tiles = f.on_media([&] { return f.room->mix()->assignments(); });
    REQUIRE(tiles.is_ok());

    // Mid-recording, E joins (and is placed: the grid re-plans) and leaves.
    std::this_thread::sleep_for(3s); // media time recorded before the join
    auto e = f.join("e", {"name-e", {}, true, true, false, false, {}},
                    conf::test::test_publisher("pattern=ball", 1600));
    REQUIRE(conf::test::eventually(
        [&] {
            auto placed = f.on_media([&] { return f.room->mix()->assignments().size(); });
            return placed.is_ok() && *placed == 5;
        },
        20s));
    std::this_thread::sleep_for(2s); // media time with five tiles
    REQUIRE(f.on_media([&] { return f.room->remove("e", "left"); }).is_ok());
    f.drop(*e);
    std::this_thread::sleep_for(2s); // and after the leave

    // What A heard over the last seconds: the mix without its own voice.
    std::vector<std::vector<float>> heard = a.peer->received_audio();
    REQUIRE(heard.size() == 1);
    std::vector<float> recent(
        heard[0].end() - static_cast<std::ptrdiff_t>(std::min<std::size_t>(heard[0].size(), 96000)),
        heard[0].end());
    REQUIRE(recent.size() >= 48000);
    const double own = conf::test::tone_db(recent, 400);
    for (int frequency : {700, 1000, 1300}) {
        double other = conf::test::tone_db(recent, frequency);
        INFO("A hears " << frequency << " Hz at " << other << " dB, its own 400 Hz at " << own
                        << " dB");
        CHECK(other > -40.0);
        CHECK(other - own > 30.0);
    }

    std::promise<conf::Status> stopped;
    REQUIRE(f.on_media([&] {
                 f.room->stop_recording(recording_id,
                                        [&](conf::Status s) { stopped.set_value(s); });
             }).is_ok());
    auto stopped_future = stopped.get_future();
    REQUIRE(stopped_future.wait_for(30s) == std::future_status::ready);
    REQUIRE(stopped_future.get().is_ok());

    const auto dir = recordings.path() / "mixed" / recording_id;
    auto manifest = conf::read_manifest(dir / "manifest.json");
    REQUIRE(manifest.is_ok());
    CHECK(manifest->state() == conf::RecordingManifest::FINALIZED);
    CHECK(manifest->composite());
    CHECK(manifest->participant() == "composite");
    REQUIRE(manifest->files_size() == 1);
    const auto file = dir / manifest->files(0).path();

    conf::test::ProbedFile probed = conf::test::ffprobe(file);
    REQUIRE(probed.ok);
    const conf::test::ProbedStream* video = probed.stream("video");
    const conf::test::ProbedStream* audio = probed.stream("audio");
    REQUIRE(video != nullptr);
    REQUIRE(audio != nullptr);
    CHECK(video->codec == "vp8");
    CHECK(audio->codec == "opus");
    CHECK(probed.packet_span > 6.0);
    CHECK(video->frames >= static_cast<std::int64_t>(kFps * (probed.packet_span - 1.0)));

    // Frame by frame, no frame missing: the longest gap between frames, E's join and leave
    // included, is one frame interval (plus rounding).
    std::vector<DecodedFrame> frames = decode_tiles(file, *tiles);
    REQUIRE(frames.size() > 6 * kFps);
    GstClockTime max_gap = 0;
    GstClockTime gap_at = 0;
    for (std::size_t i = 1; i < frames.size(); ++i) {
        if (frames[i].pts - frames[i - 1].pts > max_gap) {
            max_gap = frames[i].pts - frames[i - 1].pts;
            gap_at = frames[i - 1].pts - frames.front().pts;
        }
    }
    INFO("the longest gap between frames is " << max_gap / GST_MSECOND << " ms, "
                                              << gap_at / GST_MSECOND << " ms in");
    CHECK(max_gap <= GST_SECOND / kFps + 5 * GST_MSECOND);
    // Every tile shows its participant in the 2x2 grid: before E joined (from 1 s in, past the
    // first keyframe's settling, to 2.5 s) and after E left (the last second). In between the
    // grid had five tiles.
    const GstClockTime first = frames.front().pts;
    const GstClockTime last = frames.back().pts;
    auto score = [&](GstClockTime from, GstClockTime to) {
        int right = 0;
        int checked = 0;
        for (const DecodedFrame& frame : frames) {
            if (frame.pts < from || frame.pts > to) {
                continue;
            }
            for (const auto& [owner, seen] : frame.seen) {
                ++checked;
                right += owner == seen ? 1 : 0;
            }
        }
        INFO(right << " of " << checked << " tile samples show their participant");
        CHECK(checked >= 4 * kFps);
        CHECK(right >= checked * 95 / 100);
    };
    score(first + GST_SECOND, first + 5 * GST_SECOND / 2);
    score(last - GST_SECOND, last);

    for (auto& [id, client] : clients) {
        f.drop(*client);
    }
}
