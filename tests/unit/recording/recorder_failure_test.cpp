// Failure stays local: a recorder whose disk fills up ends as FAILED with the reason in its
// manifest and a listener event, while another recorder fed by the same source goes on.
#include "recording/recorder.hpp"

#include "recording/manifest_store.hpp"
#include "recording/support/media_check.hpp"
#include "recording/support/recording_fixture.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <thread>

#include <sys/mount.h>
#include <unistd.h>

using namespace std::chrono_literals;
using conf::RecorderState;
using conf::RecordingManifest;
using conf::test::RecorderEvents;
using conf::test::RecordingFixture;

namespace {

// High bitrate on purpose (snow does not compress): 512 KiB fill in well under a second.
constexpr const char* kHeavySource =
    "videotestsrc is-live=true pattern=snow ! video/x-raw,width=320,height=240,framerate=30/1 "
    "! vp8enc deadline=1 target-bitrate=4000000 ! rtpvp8pay "
    "! appsink name=video emit-signals=true sync=false async=false "
    "audiotestsrc is-live=true ! audio/x-raw,rate=48000,channels=2 ! opusenc "
    "! rtpopuspay ! appsink name=audio emit-signals=true sync=false async=false";

// A disk that fills up: a 512 KiB tmpfs when the test may mount one (root), otherwise the
// media file is a symlink to /dev/full, which fails every write with ENOSPC too.
class FullDisk {
  public:
    explicit FullDisk(std::filesystem::path root) : root_(std::move(root)) {
        std::filesystem::create_directories(root_);
        mounted_ = ::geteuid() == 0 && ::mount("conf-test", root_.c_str(), "tmpfs",
                                               MS_NOSUID | MS_NODEV, "size=512k,mode=0755") == 0;
    }
    ~FullDisk() {
        if (mounted_) {
            // Lazy: a file still open somewhere must not keep the mount alive.
            ::umount2(root_.c_str(), MNT_DETACH);
        }
    }
    FullDisk(const FullDisk&) = delete;
    FullDisk& operator=(const FullDisk&) = delete;

    const std::filesystem::path& root() const { return root_; }
    bool mounted() const { return mounted_; }
    // Without a tmpfs, pre-creates the recording directory with the media file on /dev/full.
    void prepare(const conf::Recorder& recorder) const {
        if (!mounted_) {
            std::filesystem::create_directories(recorder.directory());
            std::filesystem::create_symlink("/dev/full", recorder.media_file());
        }
    }

  private:
    std::filesystem::path root_;
    bool mounted_ = false;
};

} // namespace

TEST_CASE("a full disk fails its recording with the reason while another recording carries on",
          "[recorder][failure]") {
    RecordingFixture f;
    FullDisk disk(f.dir.path() / "small-disk");
    INFO((disk.mounted() ? "512 KiB tmpfs" : "/dev/full symlink"));
    auto tracks = [] {
        return RecordingFixture::tracks(
            {{"video", conf::test::kVp8Caps}, {"audio", conf::test::kOpusCaps}});
    };
    RecorderEvents doomed_events;
    auto doomed_options = f.options("rec-doomed");
    doomed_options.output_dir = disk.root();
    auto* doomed = f.create(doomed_options, tracks(), &doomed_events);
    disk.prepare(*doomed);
    RecorderEvents healthy_events;
    auto* healthy = f.create(f.options("rec-healthy"), tracks(), &healthy_events);

    auto* source = f.source(kHeavySource, {"video", "audio"});
    source->add_target(doomed->input());
    source->add_target(healthy->input());
    REQUIRE(f.start(*doomed).is_ok());
    REQUIRE(f.start(*healthy).is_ok());
    REQUIRE(f.on_media([&] { return source->start(); }).is_ok());
    REQUIRE(healthy_events.wait_for_tracks(2, 15s));
    auto started = std::chrono::steady_clock::now();

    REQUIRE(doomed_events.wait_for_state(RecorderState::kFailed, 20s));
    conf::Status reason = doomed_events.reason();
    CHECK(reason.code() == conf::StatusCode::kResourceExhausted);
    CHECK_THAT(reason.message(), Catch::Contains("No space left"));
    CHECK_THAT(reason.message(), Catch::Contains("GstFileSink:sink"));
    CHECK(f.state(*doomed) == RecorderState::kFailed);
    // The final manifest made it to the full disk: the reserve was given up for it.
    auto manifest = conf::read_manifest(doomed->directory() / "manifest.json");
    INFO(manifest.status().to_string());
    REQUIRE(manifest.is_ok());
    CHECK(manifest->state() == RecordingManifest::FAILED);
    CHECK(manifest->end_reason() == RecordingManifest::PIPELINE_ERROR);
    CHECK_THAT(manifest->failure_reason(), Catch::Contains("No space left"));
    CHECK(manifest->has_ended_at());
    CHECK(doomed->push("video", nullptr) == conf::PushResult::kClosed);

    // Meanwhile the other recording never noticed.
    CHECK(f.state(*healthy) == RecorderState::kRecording);
    std::this_thread::sleep_for(1s); // record on past the failure
    double failed_after = 0;
    CHECK(f.stop(*healthy).is_ok());
    failed_after =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto healthy_manifest = conf::read_manifest(healthy->directory() / "manifest.json");
    REQUIRE(healthy_manifest.is_ok());
    CHECK(healthy_manifest->state() == RecordingManifest::FINALIZED);
    auto probe = conf::test::ffprobe(healthy->media_file());
    REQUIRE(probe.ok);
    REQUIRE(probe.stream("video") != nullptr);
    CHECK(probe.stream("video")->frames >= 30);
    INFO("healthy file " << probe.duration << " s, recorded for " << failed_after << " s");
    CHECK(std::abs(probe.duration - failed_after) <= 0.15 * failed_after);
}
