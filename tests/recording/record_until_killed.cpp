// record_until_killed: records a live test source (VP8 + Opus, or H.264 + Opus for MP4) with
// a real Recorder until it is killed; the crash test SIGKILLs it. Also handy by hand, see
// docs/recording.md:
//
//   record_until_killed --output-dir DIR --id ID [--room R] [--participant P]
//                       [--container matroska|mp4] [--seconds N]
//
// Prints "recording <start_ns>" once every track has reached the muxer (<start_ns>: the
// file's time zero on the shared clock, CLOCK_MONOTONIC), then records until killed. With
// --seconds N the recorder stops by itself after N seconds (max_duration) and the tool
// prints "finalized" and exits 0. It dies with its parent and after 120 s in any case, so a
// failed test leaves no process behind.
//
//   record_until_killed --repair DIR
//
// runs repair_recordings(DIR) and prints one line per report, as confd does at start-up.
#include "conf/engine.hpp"
#include "core/engine_impl.hpp"
#include "recording/recorder.hpp"
#include "recording/repair.hpp"
#include "recording/support/rtp_source.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <string>

#include <sys/prctl.h>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;

class PrintingListener : public conf::Recorder::Listener {
  public:
    void on_recorder_state_changed(conf::Recorder& /*recorder*/, conf::RecorderState state,
                                   const conf::Status& reason) override {
        if (state == conf::RecorderState::kFinalized) {
            std::printf("finalized\n");
        } else if (state == conf::RecorderState::kFailed) {
            std::printf("failed %s\n", reason.to_string().c_str());
        }
        std::fflush(stdout);
        if (state == conf::RecorderState::kFinalized || state == conf::RecorderState::kFailed) {
            ended.set_value(state == conf::RecorderState::kFinalized);
        }
    }
    void on_recorder_track_started(conf::Recorder& recorder, const std::string& track_id,
                                   std::uint64_t start_ns) override {
        started_[track_id] = start_ns;
        if (started_.size() == 2) {
            // The file's time zero, as the manifest has it.
            std::printf("recording %llu\n",
                        static_cast<unsigned long long>(recorder.manifest().start_ns()));
            std::fflush(stdout);
        }
    }

    std::promise<bool> ended;

  private:
    std::map<std::string, std::uint64_t> started_; // media thread only
};

int repair(const char* root) {
    for (const conf::RepairReport& report : conf::repair_recordings(root)) {
        std::printf("%s %s %.3f s%s%s\n", report.manifest.c_str(),
                    std::string(conf::to_string(report.outcome)).c_str(),
                    static_cast<double>(report.duration_ns) / 1e9, report.status ? "" : ": ",
                    report.status ? "" : report.status.message().c_str());
    }
    return 0;
}

int usage() {
    std::fprintf(stderr, "usage: record_until_killed --output-dir DIR --id ID [--room R] "
                         "[--participant P] [--container matroska|mp4] [--seconds N]\n"
                         "       record_until_killed --repair DIR\n");
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::alarm(120);
    gst_init(&argc, &argv);
    if (argc == 3 && std::string(argv[1]) == "--repair") {
        return repair(argv[2]);
    }

    conf::RecorderOptions options;
    options.room_id = "room-1";
    options.participant_id = "alice";
    options.min_free_bytes = 0;
    int seconds = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        std::string value = argv[i + 1];
        if (flag == "--output-dir") {
            options.output_dir = value;
        } else if (flag == "--id") {
            options.recording_id = value;
        } else if (flag == "--room") {
            options.room_id = value;
        } else if (flag == "--participant") {
            options.participant_id = value;
        } else if (flag == "--container" && (value == "mp4" || value == "matroska")) {
            options.container = value == "mp4" ? conf::RecordingContainer::kMp4Fragmented
                                               : conf::RecordingContainer::kMatroska;
        } else if (flag == "--seconds") {
            seconds = std::atoi(value.c_str());
        } else {
            return usage();
        }
    }
    if (options.output_dir.empty() || options.recording_id.empty() || seconds < 0) {
        return usage();
    }
    options.max_duration = std::chrono::seconds(seconds);
    const bool mp4 = options.container == conf::RecordingContainer::kMp4Fragmented;

    auto engine = conf::Engine::create({.name = "record-tool", .data_dir = options.output_dir});
    if (!engine) {
        std::fprintf(stderr, "%s\n", engine.status().to_string().c_str());
        return 1;
    }
    PrintingListener listener;
    auto ended = listener.ended.get_future();
    std::unique_ptr<conf::Recorder> recorder;
    std::unique_ptr<conf::test::RtpSource> source;
    auto setup = (*engine)->submit([&]() -> conf::Status {
        std::vector<conf::RecorderTrack> tracks;
        tracks.push_back({"video", conf::GRef<GstCaps>::adopt(gst_caps_from_string(
                                       mp4 ? conf::test::kH264Caps : conf::test::kVp8Caps))});
        tracks.push_back(
            {"audio", conf::GRef<GstCaps>::adopt(gst_caps_from_string(conf::test::kOpusCaps))});
        auto created =
            conf::Recorder::create((*engine)->impl(), options, std::move(tracks), &listener);
        if (!created) {
            return created.status();
        }
        recorder = std::move(created).value();
        auto made = conf::test::RtpSource::create(
            (*engine)->impl(), mp4 ? conf::test::kH264OpusSource : conf::test::kVp8OpusSource,
            {"video", "audio"});
        if (!made) {
            return made.status();
        }
        source = std::move(made).value();
        source->add_target(recorder->input());
        if (conf::Status started = recorder->start(); !started) {
            return started;
        }
        return source->start();
    });
    if (setup.wait_for(20s) != std::future_status::ready) {
        std::fprintf(stderr, "setup timed out\n");
        return 1;
    }
    if (conf::Status status = setup.get(); !status) {
        std::fprintf(stderr, "%s\n", status.to_string().c_str());
        return 1;
    }
    if (seconds == 0) {
        for (;;) {
            ::pause(); // until killed
        }
    }
    bool finalized =
        ended.wait_for(std::chrono::seconds(seconds) + 30s) == std::future_status::ready &&
        ended.get();
    auto teardown = (*engine)->submit([&] {
        source.reset();
        recorder.reset();
    });
    (void)teardown.wait_for(20s);
    (void)(*engine)->stop();
    return finalized ? 0 : 1;
}
