// Recorder end to end: a live RTP source feeds real recorders, the files are checked with
// ffprobe and sha256sum, the manifests read back from disk.
#include "recording/recorder.hpp"

#include "recording/manifest_store.hpp"
#include "recording/support/media_check.hpp"
#include "recording/support/recording_fixture.hpp"
#include "support/leak_tracker.hpp"

#include <gst/rtp/gstrtpbuffer.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <iterator>
#include <thread>

using namespace std::chrono_literals;
using conf::PushResult;
using conf::RecorderState;
using conf::RecordingManifest;
using conf::StatusCode;
using conf::test::RecorderEvents;
using conf::test::RecordingFixture;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Recorded {
    RecordingManifest manifest;
    conf::test::ProbedFile probe;
    double expected_seconds = 0;
};

// Records `seconds` of `source_description` into `recorder`, stops it and reads back what it
// wrote.
Recorded record(RecordingFixture& f, conf::Recorder& recorder, RecorderEvents& events,
                const char* source_description, std::chrono::milliseconds length) {
    auto* source = f.source(source_description, {"video", "audio"});
    source->add_target(recorder.input());
    REQUIRE(f.start(recorder).is_ok());
    REQUIRE(f.on_media([&] { return source->start(); }).is_ok());
    REQUIRE(events.wait_for_tracks(2, 15s));
    auto started = Clock::now();
    std::this_thread::sleep_for(length); // the recording's length, not a wait for a condition
    conf::Status stopped = f.stop(recorder);
    Recorded out;
    out.expected_seconds = seconds_since(started);
    INFO(stopped.to_string());
    REQUIRE(stopped.is_ok());
    CHECK(f.state(recorder) == RecorderState::kFinalized);
    auto manifest = conf::read_manifest(recorder.directory() / "manifest.json");
    INFO(manifest.status().to_string());
    REQUIRE(manifest.is_ok());
    out.manifest = *manifest;
    out.probe = conf::test::ffprobe(recorder.media_file());
    INFO(out.probe.error);
    REQUIRE(out.probe.ok);
    return out;
}

void check_finalized_manifest(const conf::Recorder& recorder, const Recorded& recorded,
                              const std::string& video_codec,
                              const std::string& audio_codec = "opus") {
    const RecordingManifest& m = recorded.manifest;
    CHECK(m.state() == RecordingManifest::FINALIZED);
    CHECK(m.end_reason() == RecordingManifest::REQUESTED);
    CHECK(m.id() == recorder.options().recording_id);
    CHECK(m.room() == "room-1");
    CHECK(m.participant() == "alice");
    CHECK(m.failure_reason().empty());
    REQUIRE(m.files_size() == 1);
    CHECK(m.files(0).path() == recorder.media_file().filename().string());
    CHECK(m.files(0).bytes() == std::filesystem::file_size(recorder.media_file()));
    CHECK(m.files(0).sha256() == conf::test::sha256sum(recorder.media_file()));
    REQUIRE(m.tracks_size() == 2);
    CHECK(m.tracks(0).id() == "video");
    CHECK(m.tracks(0).kind() == RecordingManifest::VIDEO);
    CHECK(m.tracks(0).codec() == video_codec);
    CHECK(m.tracks(0).clock_rate() == 90000);
    CHECK(m.tracks(1).id() == "audio");
    CHECK(m.tracks(1).kind() == RecordingManifest::AUDIO);
    CHECK(m.tracks(1).codec() == audio_codec);
    CHECK(m.tracks(1).clock_rate() == 48000);
    for (const auto& track : m.tracks()) {
        CHECK(track.start_ns() >= m.start_ns());
        CHECK(track.bytes() > 0);
        CHECK(track.dropped_packets() == 0);
    }
    CHECK(m.start_ns() == std::min(m.tracks(0).start_ns(), m.tracks(1).start_ns()));
    CHECK(m.has_created_at());
    CHECK(m.has_started_at());
    CHECK(m.has_ended_at());
    CHECK(m.ended_at().seconds() >= m.started_at().seconds());
    // Manifest and file agree with the time the test recorded.
    double manifest_seconds = static_cast<double>(m.duration_ns()) / 1e9;
    CHECK(std::abs(manifest_seconds - recorded.expected_seconds) <=
          0.15 * recorded.expected_seconds);
}

void check_plays(const Recorded& recorded, const std::string& video_codec) {
    const auto& probe = recorded.probe;
    const auto* video = probe.stream("video");
    const auto* audio = probe.stream("audio");
    REQUIRE(video != nullptr);
    REQUIRE(audio != nullptr);
    CHECK(video->codec == video_codec);
    CHECK(audio->codec == "opus");
    CHECK(video->frames >= 60);
    CHECK(audio->frames >= 100);
    INFO("ffprobe duration " << probe.duration << " s, recorded for " << recorded.expected_seconds
                             << " s");
    CHECK(std::abs(probe.duration - recorded.expected_seconds) <= 0.15 * recorded.expected_seconds);
}

} // namespace

TEST_CASE("VP8 and Opus are recorded into a WebM file that plays with a finalized manifest",
          "[recorder]") {
    RecordingFixture f;
    RecorderEvents events;
    auto* recorder = f.create(f.options("rec-webm"),
                              RecordingFixture::tracks({{"video", conf::test::kVp8Caps},
                                                        {"audio", conf::test::kOpusCaps}}),
                              &events);
    CHECK(recorder->media_file() == f.dir.path() / "recordings/room-1/rec-webm/alice.webm");

    Recorded recorded = record(f, *recorder, events, conf::test::kVp8OpusSource, 3s);
    CHECK(recorded.manifest.container() == RecordingManifest::WEBM);
    check_finalized_manifest(*recorder, recorded, "vp8");
    check_plays(recorded, "vp8");
    CHECK(events.states() ==
          std::vector<RecorderState>{RecorderState::kStopping, RecorderState::kFinalized});

    // The JSON on disk keeps the proto field names and enum names.
    std::ifstream in(recorder->directory() / "manifest.json");
    std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK_THAT(json, Catch::Contains("\"state\": \"FINALIZED\""));
    CHECK_THAT(json, Catch::Contains("\"failure_reason\": \"\""));
    CHECK_THAT(json, Catch::Contains("\"start_ns\": "));
    CHECK_THAT(json, Catch::Contains("\"created_at\": \""));
    // Nothing else is left in the directory: no temp file, no space reserve.
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(recorder->directory())) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"alice.webm", "manifest.json"});
}

TEST_CASE("H.264 and Opus are recorded into Matroska", "[recorder]") {
    RecordingFixture f;
    RecorderEvents events;
    auto* recorder = f.create(f.options("rec-mkv"),
                              RecordingFixture::tracks({{"video", conf::test::kH264Caps},
                                                        {"audio", conf::test::kOpusCaps}}),
                              &events);
    CHECK(recorder->media_file().extension() == ".mkv");
    Recorded recorded = record(f, *recorder, events, conf::test::kH264OpusSource, 3s);
    CHECK(recorded.manifest.container() == RecordingManifest::MATROSKA);
    check_finalized_manifest(*recorder, recorded, "h264");
    check_plays(recorded, "h264");
}

TEST_CASE("the fragmented MP4 option records H.264 and Opus into a file that plays", "[recorder]") {
    RecordingFixture f;
    RecorderEvents events;
    auto options = f.options("rec-mp4");
    options.container = conf::RecordingContainer::kMp4Fragmented;
    auto* recorder = f.create(options,
                              RecordingFixture::tracks({{"video", conf::test::kH264Caps},
                                                        {"audio", conf::test::kOpusCaps}}),
                              &events);
    CHECK(recorder->media_file().extension() == ".mp4");
    Recorded recorded = record(f, *recorder, events, conf::test::kH264OpusSource, 3s);
    CHECK(recorded.manifest.container() == RecordingManifest::MP4_FRAGMENTED);
    check_finalized_manifest(*recorder, recorded, "h264");
    check_plays(recorded, "h264");
    // fMP4 starts every track at the first video frame: the audio before it was dropped.
    CHECK(recorded.manifest.tracks(1).start_ns() >= recorded.manifest.tracks(0).start_ns());
}

TEST_CASE("VP8 and Opus asked for as H.264 and AAC are transcoded into an MP4 that plays",
          "[recorder][transcode]") {
    RecordingFixture f;
    RecorderEvents events;
    auto options = f.options("rec-compatible");
    options.container = conf::RecordingContainer::kMp4Fragmented;
    options.transcode.video = conf::find_codec("H264");
    options.transcode.audio = conf::find_codec("AAC");
    auto* recorder = f.create(options,
                              RecordingFixture::tracks({{"video", conf::test::kVp8Caps},
                                                        {"audio", conf::test::kOpusCaps}}),
                              &events);
    CHECK(recorder->media_file().extension() == ".mp4");
    Recorded recorded = record(f, *recorder, events, conf::test::kVp8OpusSource, 3s);
    CHECK(recorded.manifest.container() == RecordingManifest::MP4_FRAGMENTED);
    check_finalized_manifest(*recorder, recorded, "h264", "aac");
    const auto* video = recorded.probe.stream("video");
    const auto* audio = recorded.probe.stream("audio");
    REQUIRE(video != nullptr);
    REQUIRE(audio != nullptr);
    CHECK(video->codec == "h264");
    CHECK(audio->codec == "aac");
    // 30 fps for ~3 s (fMP4 starts at the first keyframe the decoder gets).
    CHECK(video->frames >= 60);
    CHECK(audio->frames >= 100);
    CHECK(std::abs(recorded.probe.duration - recorded.expected_seconds) <=
          0.2 * recorded.expected_seconds);
}

TEST_CASE("a transcoded recording refuses targets it cannot write", "[recorder][transcode]") {
    RecordingFixture f;
    auto tracks = RecordingFixture::tracks(
        {{"video", conf::test::kVp8Caps}, {"audio", conf::test::kOpusCaps}});
    // AAC has no place in WebM; video cannot become an audio codec.
    auto options = f.options("rec-bad-1");
    options.transcode.audio = conf::find_codec("AAC");
    options.transcode.video = conf::find_codec("VP8");
    options.container = conf::RecordingContainer::kMatroska;
    auto webm = f.try_create(options, tracks, nullptr);
    REQUIRE(webm.is_ok()); // Matroska takes VP8 + AAC
    CHECK((*webm)->media_file().extension() == ".mkv");
    options = f.options("rec-bad-2");
    options.transcode.video = conf::find_codec("OPUS");
    CHECK_THAT(f.try_create(options, tracks, nullptr).status().message(),
               Catch::Contains("VP8 cannot be recorded as OPUS"));
}

namespace {

// The video branch starts closed: the audio track runs a second alone, as when a camera
// comes up after the microphone.
constexpr const char* kLateVp8Source =
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 "
    "! valve name=gate drop=true ! vp8enc deadline=1 ! rtpvp8pay "
    "! appsink name=video emit-signals=true sync=false async=false "
    "audiotestsrc is-live=true wave=ticks ! audio/x-raw,rate=48000,channels=2 ! opusenc "
    "! rtpopuspay ! appsink name=audio emit-signals=true sync=false async=false";
constexpr const char* kLateH264Source =
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 "
    "! valve name=gate drop=true ! x264enc tune=zerolatency speed-preset=ultrafast "
    "key-int-max=30 ! video/x-h264,profile=constrained-baseline ! rtph264pay config-interval=-1 "
    "! appsink name=video emit-signals=true sync=false async=false "
    "audiotestsrc is-live=true wave=ticks ! audio/x-raw,rate=48000,channels=2 ! opusenc "
    "! rtpopuspay ! appsink name=audio emit-signals=true sync=false async=false";

Recorded record_late_video(RecordingFixture& f, conf::RecordingContainer container,
                           const char* video_caps, const char* source_description) {
    RecorderEvents events;
    auto options = f.options("rec-late");
    options.container = container;
    auto* recorder = f.create(
        options,
        RecordingFixture::tracks({{"video", video_caps}, {"audio", conf::test::kOpusCaps}}),
        &events);
    auto* source = f.source(source_description, {"video", "audio"});
    source->add_target(recorder->input());
    REQUIRE(f.start(*recorder).is_ok());
    REQUIRE(f.on_media([&] { return source->start(); }).is_ok());
    if (container == conf::RecordingContainer::kMatroska) {
        REQUIRE(events.wait_for_tracks(1, 15s));
    }
    std::this_thread::sleep_for(1s); // the scenario: a second of audio before any video
    g_object_set(source->element("gate").get(), "drop", FALSE, nullptr);
    REQUIRE(events.wait_for_tracks(2, 15s));
    std::this_thread::sleep_for(2s); // the recording's length
    REQUIRE(f.stop(*recorder).is_ok());
    Recorded out;
    auto manifest = conf::read_manifest(recorder->directory() / "manifest.json");
    REQUIRE(manifest.is_ok());
    out.manifest = *manifest;
    out.probe = conf::test::ffprobe(recorder->media_file());
    INFO(out.probe.error);
    REQUIRE(out.probe.ok);
    REQUIRE(out.probe.stream("video") != nullptr);
    REQUIRE(out.probe.stream("audio") != nullptr);
    return out;
}

} // namespace

TEST_CASE("Matroska keeps a late video track in sync at its offset from the audio",
          "[recorder][sync]") {
    RecordingFixture f;
    Recorded r = record_late_video(f, conf::RecordingContainer::kMatroska, conf::test::kVp8Caps,
                                   kLateVp8Source);
    const auto& m = r.manifest;
    double offset = static_cast<double>(m.tracks(0).start_ns() - m.tracks(1).start_ns()) / 1e9;
    INFO("video starts " << offset << " s after the audio; ffprobe: video at "
                         << r.probe.stream("video")->start_time << " s, audio at "
                         << r.probe.stream("audio")->start_time << " s");
    CHECK(offset > 0.9);
    CHECK(offset < 2.0);
    // Time zero of the file is the first buffer of the recording: the audio's.
    CHECK(m.start_ns() == m.tracks(1).start_ns());
    // The file places each track where the shared clock says it started.
    CHECK(std::abs(r.probe.stream("video")->start_time - offset) <= 0.05);
    CHECK(std::abs(r.probe.stream("audio")->start_time) <= 0.05);
}

TEST_CASE("fragmented MP4 starts every track at the first video frame", "[recorder][sync]") {
    RecordingFixture f;
    Recorded r = record_late_video(f, conf::RecordingContainer::kMp4Fragmented,
                                   conf::test::kH264Caps, kLateH264Source);
    const auto& m = r.manifest;
    INFO("video starts at " << m.tracks(0).start_ns() << ", audio at " << m.tracks(1).start_ns()
                            << "; ffprobe: video at " << r.probe.stream("video")->start_time
                            << " s, audio at " << r.probe.stream("audio")->start_time << " s");
    CHECK(m.start_ns() == m.tracks(0).start_ns());
    CHECK(m.tracks(1).start_ns() >= m.tracks(0).start_ns());
    CHECK(m.tracks(1).start_ns() - m.tracks(0).start_ns() <= 50 * GST_MSECOND);
    CHECK(std::abs(r.probe.stream("video")->start_time) <= 0.05);
    CHECK(std::abs(r.probe.stream("audio")->start_time) <= 0.05);
    // A second of audio went before the first frame; about two seconds of both remain.
    CHECK(std::abs(r.probe.duration - 2.0) <= 0.3);
}

TEST_CASE("a recorder stops and finalizes by itself at its maximum duration", "[recorder]") {
    RecordingFixture f;
    RecorderEvents events;
    auto options = f.options("rec-max");
    options.max_duration = 1500ms;
    auto* recorder = f.create(options,
                              RecordingFixture::tracks({{"video", conf::test::kVp8Caps},
                                                        {"audio", conf::test::kOpusCaps}}),
                              &events);
    auto* source = f.source(conf::test::kVp8OpusSource, {"video", "audio"});
    source->add_target(recorder->input());
    REQUIRE(f.start(*recorder).is_ok());
    REQUIRE(f.on_media([&] { return source->start(); }).is_ok());

    REQUIRE(events.wait_for_state(RecorderState::kFinalized, 20s));
    CHECK(events.states() ==
          std::vector<RecorderState>{RecorderState::kStopping, RecorderState::kFinalized});
    auto manifest = conf::read_manifest(recorder->directory() / "manifest.json");
    REQUIRE(manifest.is_ok());
    CHECK(manifest->state() == RecordingManifest::FINALIZED);
    CHECK(manifest->end_reason() == RecordingManifest::MAX_DURATION);
    auto probe = conf::test::ffprobe(recorder->media_file());
    REQUIRE(probe.ok);
    INFO("ffprobe duration " << probe.duration);
    CHECK(std::abs(probe.duration - 1.5) <= 0.15 * 1.5);
    // A later stop() reports the same end at once.
    CHECK(f.stop(*recorder).is_ok());
}

TEST_CASE("a recorder refuses to start below its minimum free disk space", "[recorder]") {
    RecordingFixture f;
    auto options = f.options("rec-full");
    options.min_free_bytes = std::uint64_t{1} << 60; // an exbibyte
    auto* recorder =
        f.create(options, RecordingFixture::tracks({{"audio", conf::test::kOpusCaps}}), nullptr);
    conf::Status status = f.start(*recorder);
    CHECK(status.code() == StatusCode::kResourceExhausted);
    CHECK_THAT(status.message(), Catch::Contains("MiB free on"));
    CHECK_THAT(status.message(), Catch::Contains("below the 1099511627776.0 MiB minimum"));
    CHECK(f.state(*recorder) == RecorderState::kCreated);
    CHECK_FALSE(std::filesystem::exists(recorder->directory()));
}

TEST_CASE("recorder inputs are validated before anything is built", "[recorder]") {
    RecordingFixture f;
    auto av = [] {
        return RecordingFixture::tracks(
            {{"video", conf::test::kVp8Caps}, {"audio", conf::test::kOpusCaps}});
    };

    auto options = f.options("rec-vp8-mp4");
    options.container = conf::RecordingContainer::kMp4Fragmented;
    auto vp8_mp4 = f.try_create(options, av(), nullptr);
    CHECK(vp8_mp4.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(vp8_mp4.status().message(), Catch::Contains("vp8 cannot be recorded into MP4"));

    auto bad_id = f.try_create(f.options("../escape"), av(), nullptr);
    CHECK(bad_id.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(bad_id.status().message(), Catch::Contains("recording id '../escape'"));

    auto no_tracks = f.try_create(f.options("rec-empty"), {}, nullptr);
    CHECK(no_tracks.status().code() == StatusCode::kInvalidArgument);

    auto h263 = f.try_create(
        f.options("rec-h263"),
        RecordingFixture::tracks(
            {{"video", "application/x-rtp,media=video,encoding-name=H263,clock-rate=90000"}}),
        nullptr);
    CHECK(h263.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(h263.status().message(), Catch::Contains("track 'video'"));
    CHECK_THAT(h263.status().message(), Catch::Contains("'H263' is not recordable"));

    auto twice = f.try_create(
        f.options("rec-twice"),
        RecordingFixture::tracks({{"a", conf::test::kOpusCaps}, {"a", conf::test::kOpusCaps}}),
        nullptr);
    CHECK(twice.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("an existing recording is never overwritten and stop before start writes nothing",
          "[recorder]") {
    RecordingFixture f;
    auto tracks = [] {
        return RecordingFixture::tracks({{"audio", conf::test::kOpusCaps}});
    };
    auto* first = f.create(f.options("rec-dup"), tracks(), nullptr);
    REQUIRE(f.start(*first).is_ok());
    auto* second = f.create(f.options("rec-dup"), tracks(), nullptr);
    conf::Status again = f.start(*second);
    CHECK(again.code() == StatusCode::kAlreadyExists);

    auto* idle = f.create(f.options("rec-idle"), tracks(), nullptr);
    CHECK(f.stop(*idle).code() == StatusCode::kCancelled);
    CHECK(f.state(*idle) == RecorderState::kFailed);
    CHECK_FALSE(std::filesystem::exists(idle->directory()));
    // A recorder that never got media still finalizes, with an empty but valid file.
    CHECK(f.stop(*first).is_ok());
}

TEST_CASE("pushes are refused outside recording and dropped and counted when the queue is full",
          "[recorder]") {
    RecordingFixture f;
    auto options = f.options("rec-queue");
    options.max_queue_bytes = 4096;
    auto* recorder =
        f.create(options, RecordingFixture::tracks({{"audio", conf::test::kOpusCaps}}), nullptr);
    auto packet = [](GstClockTime pts) {
        auto buffer = conf::GRef<GstBuffer>::adopt(gst_rtp_buffer_new_allocate(1000, 0, 0));
        GST_BUFFER_PTS(buffer.get()) = pts;
        return buffer;
    };
    auto clock = conf::GRef<GstClock>::adopt(gst_system_clock_obtain());
    GstClockTime now = gst_clock_get_time(clock.get());
    CHECK(recorder->push("audio", packet(now).get()) == PushResult::kClosed);
    REQUIRE(f.start(*recorder).is_ok());
    CHECK(recorder->push("nope", packet(now).get()) == PushResult::kUnknownTrack);
    CHECK(recorder->push("audio", packet(GST_CLOCK_TIME_NONE).get()) == PushResult::kNoTimestamp);

    // Freeze the appsrc's streaming thread, as a stalled disk would through back-pressure.
    auto depay = recorder->element("depay-audio");
    REQUIRE(depay);
    auto pad = conf::GRef<GstPad>::adopt(gst_element_get_static_pad(depay.get(), "sink"));
    auto freeze = conf::add_probe(pad.get(), GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM,
                                  [](GstPad*, GstPadProbeInfo*) { return GST_PAD_PROBE_OK; });
    int queued = 0;
    int dropped = 0;
    for (int i = 0; i < 20; ++i) {
        PushResult result = recorder->push(
            "audio", packet(now + static_cast<GstClockTime>(i) * 20 * GST_MSECOND).get());
        queued += result == PushResult::kQueued;
        dropped += result == PushResult::kDropped;
    }
    // 4096 bytes hold four 1012-byte packets besides the one the frozen thread holds.
    CHECK(queued <= 6);
    CHECK(dropped >= 14);
    CHECK(queued + dropped == 20);
    freeze.remove();

    CHECK(f.stop(*recorder).is_ok());
    CHECK(recorder->push("audio", packet(now).get()) == PushResult::kClosed);
    auto manifest = conf::read_manifest(recorder->directory() / "manifest.json");
    REQUIRE(manifest.is_ok());
    CHECK(manifest->tracks(0).dropped_packets() == static_cast<std::uint64_t>(dropped));
}

namespace {

// One whole recording, engine included, over by the time it returns.
void record_one_second(const std::string& id) {
    RecordingFixture f;
    RecorderEvents events;
    auto options = f.options(id);
    options.max_duration = 1000ms;
    auto* recorder = f.create(options,
                              RecordingFixture::tracks({{"video", conf::test::kVp8Caps},
                                                        {"audio", conf::test::kOpusCaps}}),
                              &events);
    auto* source = f.source(conf::test::kVp8OpusSource, {"video", "audio"});
    source->add_target(recorder->input());
    REQUIRE(f.start(*recorder).is_ok());
    REQUIRE(f.on_media([&] { return source->start(); }).is_ok());
    REQUIRE(events.wait_for_state(RecorderState::kFinalized, 20s));
}

} // namespace

TEST_CASE("a recording leaves no GStreamer object behind", "[recorder][leaks]") {
    // Warm-up: process-wide singletons (system clock, task pool, pad templates, encoder
    // class data) are made once and live until gst_deinit by design.
    record_one_second("rec-warm-up");
    conf::test::LeakTracker tracker;
    if (!tracker.available()) {
        WARN("GST_TRACERS=leaks is not set; the recording:leaks ctest runs this check");
        return;
    }
    record_one_second("rec-tracked");
    auto alive = tracker.still_alive();
    INFO("still alive: " << Catch::Detail::stringify(alive));
    CHECK(alive.empty());
}
