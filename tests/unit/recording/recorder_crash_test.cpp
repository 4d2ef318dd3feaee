// Crash safety: a recording process killed with SIGKILL leaves a file that plays, and
// repair_recordings() turns its manifest into INTERRUPTED with the duration the file holds.
#include "recording/manifest_store.hpp"
#include "recording/repair.hpp"

#include "recording/support/media_check.hpp"
#include "recording/support/subprocess.hpp"
#include "support/temp_dir.hpp"

#include "core/g_ref.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <csignal>
#include <string>
#include <thread>

#include <sys/wait.h>

using namespace std::chrono_literals;
using conf::RecordingManifest;

namespace {

struct Crash {
    std::filesystem::path root;
    std::filesystem::path directory;
    double expected_seconds = 0; // from the file's time zero to the kill, on the shared clock
};

// Starts the helper, lets it record for about three seconds and kills it.
Crash record_and_kill(const conf::test::TempDir& dir, const std::string& container) {
    Crash crash;
    crash.root = dir.path() / "recordings";
    crash.directory = crash.root / "room-1" / "crash-1";
    conf::test::ChildProcess child({CONF_RECORD_UNTIL_KILLED, "--output-dir", crash.root.string(),
                                    "--id", "crash-1", "--container", container});
    auto line = child.read_line(30s);
    REQUIRE(line.has_value());
    INFO("helper said: " << *line);
    REQUIRE(line->starts_with("recording "));
    GstClockTime start_ns = std::stoull(line->substr(10));
    REQUIRE(start_ns > 0);

    std::this_thread::sleep_for(3s); // the recording's length, not a wait for a condition
    auto clock = conf::GRef<GstClock>::adopt(gst_system_clock_obtain());
    GstClockTime killed_at = gst_clock_get_time(clock.get());
    child.kill(SIGKILL);
    auto status = child.wait(10s);
    REQUIRE(status.has_value());
    CHECK(WIFSIGNALED(*status));
    CHECK(WTERMSIG(*status) == SIGKILL);
    crash.expected_seconds = static_cast<double>(killed_at - start_ns) / 1e9;
    return crash;
}

void check_repaired(const Crash& crash, const std::string& file_name) {
    auto before = conf::read_manifest(crash.directory / "manifest.json");
    REQUIRE(before.is_ok());
    CHECK(before->state() == RecordingManifest::RECORDING);
    CHECK(before->start_ns() > 0);

    auto reports = conf::repair_recordings(crash.root);
    REQUIRE(reports.size() == 1);
    INFO(reports[0].status.to_string());
    CHECK(reports[0].outcome == conf::RepairReport::Outcome::kRepaired);
    CHECK(reports[0].recording_id == "crash-1");

    auto after = conf::read_manifest(crash.directory / "manifest.json");
    REQUIRE(after.is_ok());
    const std::filesystem::path media = crash.directory / file_name;
    CHECK(after->state() == RecordingManifest::INTERRUPTED);
    CHECK(after->end_reason() == RecordingManifest::PROCESS_ENDED);
    CHECK(after->has_ended_at());
    REQUIRE(after->files_size() == 1);
    CHECK(after->files(0).bytes() == std::filesystem::file_size(media));
    CHECK(after->files(0).sha256() == conf::test::sha256sum(media));
    for (const auto& track : after->tracks()) {
        CHECK(track.start_ns() >= after->start_ns());
        CHECK(track.duration_ns() > 0);
        CHECK(track.bytes() > 0);
    }
    double repaired = static_cast<double>(after->duration_ns()) / 1e9;

    auto probe = conf::test::ffprobe(media);
    INFO(probe.error);
    REQUIRE(probe.ok);
    REQUIRE(probe.stream("video") != nullptr);
    REQUIRE(probe.stream("audio") != nullptr);
    CHECK(probe.stream("video")->frames >= 60);
    // What the kill cost: the file's last packet against the moment of the kill.
    WARN("killed " << crash.expected_seconds << " s after the file's time zero; the file holds "
                   << probe.packet_span << " s (ffprobe packets), the manifest says " << repaired
                   << " s: lost " << crash.expected_seconds - probe.packet_span << " s");
    CHECK(std::abs(probe.packet_span - crash.expected_seconds) <= 1.0);
    CHECK(std::abs(repaired - crash.expected_seconds) <= 1.0);
    CHECK(std::abs(repaired - probe.packet_span) <= 0.1);
    CHECK_FALSE(std::filesystem::exists(crash.directory / ".manifest.reserve"));

    // Repair is idempotent: nothing is left in RECORDING.
    CHECK(conf::repair_recordings(crash.root).empty());
}

} // namespace

TEST_CASE("a WebM recording killed with SIGKILL plays and is repaired to INTERRUPTED",
          "[recorder][crash]") {
    conf::test::TempDir dir;
    Crash crash = record_and_kill(dir, "matroska");
    check_repaired(crash, "alice.webm");
}

TEST_CASE("a fragmented MP4 recording killed with SIGKILL plays and is repaired",
          "[recorder][crash]") {
    conf::test::TempDir dir;
    Crash crash = record_and_kill(dir, "mp4");
    check_repaired(crash, "alice.mp4");
}
