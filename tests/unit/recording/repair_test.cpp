// repair_recordings on prepared directories: torn files, broken and planted manifests. The
// real crash (SIGKILL of a recording process) is in recorder_crash_test.cpp.
#include "recording/repair.hpp"

#include "recording/manifest_store.hpp"
#include "recording/media_scan.hpp"
#include "recording/support/media_check.hpp"
#include "support/temp_dir.hpp"

#include "core/g_ref.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <map>

using conf::RecordingManifest;
using conf::RepairReport;

namespace {

// Two seconds of VP8 + Opus in WebM, made as fast as the encoders go.
void make_webm(const std::filesystem::path& file) {
    std::string description =
        "videotestsrc num-buffers=60 ! video/x-raw,width=160,height=120,framerate=30/1 "
        "! vp8enc deadline=1 ! mux. "
        "audiotestsrc num-buffers=94 samplesperbuffer=1024 ! audio/x-raw,rate=48000 ! opusenc "
        "! mux. webmmux name=mux ! filesink location=" +
        file.string();
    auto pipeline = conf::GRef<GstElement>::adopt(gst_parse_launch(description.c_str(), nullptr));
    REQUIRE(pipeline);
    auto bus = conf::GRef<GstBus>::adopt(gst_element_get_bus(pipeline.get()));
    gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
    auto message = conf::GRef<GstMessage>::adopt(gst_bus_timed_pop_filtered(
        bus.get(), 30 * GST_SECOND,
        static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR)));
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    REQUIRE(message);
    REQUIRE(GST_MESSAGE_TYPE(message.get()) == GST_MESSAGE_EOS);
}

RecordingManifest recording_manifest(const std::string& id, const std::string& file) {
    RecordingManifest m;
    m.set_schema_version(conf::kManifestSchemaVersion);
    m.set_id(id);
    m.set_room("room-1");
    m.set_participant("alice");
    m.set_state(RecordingManifest::RECORDING);
    m.set_container(RecordingManifest::WEBM);
    m.set_start_ns(5'000'000'000);
    m.add_files()->set_path(file);
    auto* video = m.add_tracks();
    video->set_id("video");
    video->set_kind(RecordingManifest::VIDEO);
    video->set_codec("vp8");
    video->set_start_ns(5'000'000'000);
    auto* audio = m.add_tracks();
    audio->set_id("audio");
    audio->set_kind(RecordingManifest::AUDIO);
    audio->set_codec("opus");
    return m;
}

std::filesystem::path put(const std::filesystem::path& root, const std::string& id,
                          const RecordingManifest& manifest) {
    auto directory = root / "room-1" / id;
    std::filesystem::create_directories(directory);
    REQUIRE(conf::write_manifest(directory / "manifest.json", manifest).is_ok());
    return directory;
}

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

TEST_CASE("scanning a whole file measures every stream to its last timestamp", "[repair]") {
    conf::test::TempDir dir;
    auto file = dir.path() / "full.webm";
    make_webm(file);
    auto scan = conf::scan_media_file(file, RecordingManifest::WEBM);
    INFO(scan.status().to_string());
    REQUIRE(scan.is_ok());
    REQUIRE(scan->streams.size() == 2);
    CHECK(scan->streams[0].kind == RecordingManifest::VIDEO);
    CHECK(scan->streams[0].caps == "video/x-vp8");
    CHECK(scan->streams[0].buffers == 60);
    CHECK(scan->streams[1].kind == RecordingManifest::AUDIO);
    CHECK(scan->error.empty());
    CHECK(scan->duration() > 1900 * GST_MSECOND);
    CHECK(scan->duration() < 2100 * GST_MSECOND);

    CHECK(conf::scan_media_file(dir.path() / "missing.webm", RecordingManifest::WEBM)
              .status()
              .code() == conf::StatusCode::kUnavailable);
}

TEST_CASE("repair measures a torn file and reports broken manifests and leaves the rest alone",
          "[repair]") {
    conf::test::TempDir dir;
    auto root = dir.path() / "recordings";

    // A recording cut mid-write: the first 60% of a finished file.
    auto torn = put(root, "torn", recording_manifest("torn", "alice.webm"));
    make_webm(torn / "alice.webm");
    std::filesystem::resize_file(torn / "alice.webm",
                                 std::filesystem::file_size(torn / "alice.webm") * 6 / 10);
    std::ofstream(torn / ".manifest.reserve") << "left by the dead recorder";

    // Finished recordings are not touched.
    RecordingManifest done = recording_manifest("done", "alice.webm");
    done.set_state(RecordingManifest::FINALIZED);
    auto finished = put(root, "done", done);
    std::string finished_text = read_text(finished / "manifest.json");

    // A crash before any media was written.
    auto empty = put(root, "empty", recording_manifest("empty", "alice.webm"));

    // A manifest pointing out of its directory is not followed.
    auto planted = put(root, "planted", recording_manifest("planted", "../torn/alice.webm"));

    // Not a manifest at all.
    std::filesystem::create_directories(root / "room-1" / "garbage");
    std::ofstream(root / "room-1" / "garbage" / "manifest.json") << "{ this is not json";

    auto reports = conf::repair_recordings(root);
    REQUIRE(reports.size() == 4);
    std::map<std::string, RepairReport> by_dir;
    for (const RepairReport& report : reports) {
        by_dir[report.manifest.parent_path().filename().string()] = report;
    }

    CHECK(by_dir["garbage"].outcome == RepairReport::Outcome::kManifestUnreadable);
    CHECK(by_dir["garbage"].recording_id.empty());
    CHECK_THAT(read_text(root / "room-1" / "garbage" / "manifest.json"),
               Catch::Equals("{ this is not json"));

    const RepairReport& repaired = by_dir["torn"];
    INFO(repaired.status.to_string());
    CHECK(repaired.outcome == RepairReport::Outcome::kRepaired);
    CHECK(repaired.duration_ns > 200 * GST_MSECOND);
    CHECK(repaired.duration_ns < 1900 * GST_MSECOND);
    auto torn_manifest = conf::read_manifest(torn / "manifest.json");
    REQUIRE(torn_manifest.is_ok());
    CHECK(torn_manifest->state() == RecordingManifest::INTERRUPTED);
    CHECK(torn_manifest->end_reason() == RecordingManifest::PROCESS_ENDED);
    CHECK(torn_manifest->duration_ns() == repaired.duration_ns);
    CHECK(torn_manifest->files(0).bytes() == std::filesystem::file_size(torn / "alice.webm"));
    CHECK(torn_manifest->files(0).sha256() == conf::test::sha256sum(torn / "alice.webm"));
    CHECK(torn_manifest->tracks(0).duration_ns() > 0);
    CHECK(torn_manifest->tracks(0).bytes() > 0);
    CHECK(torn_manifest->tracks(1).duration_ns() > 0);
    // The audio track's start was never written: derived from the file's time zero.
    CHECK(torn_manifest->tracks(1).start_ns() >= 5'000'000'000);
    CHECK(torn_manifest->has_ended_at());
    CHECK_FALSE(std::filesystem::exists(torn / ".manifest.reserve"));
    // The media itself is never rewritten.
    CHECK(std::filesystem::file_size(torn / "alice.webm") == torn_manifest->files(0).bytes());

    CHECK(by_dir["empty"].outcome == RepairReport::Outcome::kMediaUnreadable);
    auto empty_manifest = conf::read_manifest(empty / "manifest.json");
    REQUIRE(empty_manifest.is_ok());
    CHECK(empty_manifest->state() == RecordingManifest::INTERRUPTED);
    CHECK_THAT(empty_manifest->failure_reason(), Catch::Contains("missing"));

    CHECK(by_dir["planted"].outcome == RepairReport::Outcome::kMediaUnreadable);
    CHECK_THAT(by_dir["planted"].status.message(), Catch::Contains("unsafe file path"));
    auto planted_manifest = conf::read_manifest(planted / "manifest.json");
    REQUIRE(planted_manifest.is_ok());
    CHECK(planted_manifest->files(0).sha256().empty());

    CHECK(read_text(finished / "manifest.json") == finished_text);
    CHECK(by_dir.count("done") == 0);

    // Only the unreadable manifest is reported again; the others are settled.
    auto again = conf::repair_recordings(root);
    REQUIRE(again.size() == 1);
    CHECK(again[0].outcome == RepairReport::Outcome::kManifestUnreadable);
}

TEST_CASE("repair of a missing root finds nothing", "[repair]") {
    conf::test::TempDir dir;
    CHECK(conf::repair_recordings(dir.path() / "nope").empty());
}

TEST_CASE("repair marks a room session left recording by a crash as interrupted", "[repair]") {
    conf::test::TempDir dir;
    auto root = dir.path() / "recordings";
    std::filesystem::create_directories(root / "standup" / "sessions");
    conf::RoomSessionManifest open;
    open.set_id("20261130T010000Z-0000abcd");
    open.set_room("standup");
    open.set_state(conf::RecordingManifest::RECORDING);
    REQUIRE(conf::write_manifest(root / "standup" / "sessions" / "open.json", open).is_ok());
    conf::RoomSessionManifest closed = open;
    closed.set_state(conf::RecordingManifest::FINALIZED);
    REQUIRE(conf::write_manifest(root / "standup" / "sessions" / "closed.json", closed).is_ok());

    auto reports = conf::repair_recordings(root);
    REQUIRE(reports.size() == 1); // the finalized one is left alone
    CHECK(reports[0].recording_id == "20261130T010000Z-0000abcd");
    CHECK(reports[0].outcome == conf::RepairReport::Outcome::kRepaired);
    auto repaired = conf::read_session_manifest(root / "standup" / "sessions" / "open.json");
    REQUIRE(repaired.is_ok());
    CHECK(repaired->state() == conf::RecordingManifest::INTERRUPTED);
    CHECK(repaired->has_ended_at());
}
