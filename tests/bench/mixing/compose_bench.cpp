// compose-bench: libconf's VideoCompositor alone, for tests/bench/mixing/compose_720p.sh.
// Participant i's VP8 RTP arrives on UDP port `--port-base` + i (a ReceivedTrack on the
// udpsrc's pad, as an Endpoint would hand it over) and goes into one VideoCompositor: a
// 1280x720@30 canvas, grid layout, VP8 out (realtime, CBR). A subscriber takes the output's
// RTP and drops it after counting packets, bytes and frames (marker bits), so the encoder
// and payloader run as they would for a real viewer.
//
// Prints the tiles and "ready" once running; on SIGUSR1 prints one "stats" line (the
// script reads two of them around its window); runs until SIGINT or SIGTERM, then prints a
// last "stats" line.
//
// usage: compose-bench --participants N --port-base PORT [--bitrate-kbps K] [--cpu-used C]
//            [--threads T] [--keyframe-ms MS]
#include "core/engine_impl.hpp"
#include "core/pipeline.hpp"
#include "mixing/video_compositor.hpp"

#include <fmt/format.h>
#include <gst/rtp/gstrtpbuffer.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr const char* kVp8Caps =
    "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96";

// The output's viewer: counts and drops.
struct Counter final : conf::RtpSink {
    std::atomic<std::uint64_t> packets{0};
    std::atomic<std::uint64_t> bytes{0};
    std::atomic<std::uint64_t> frames{0};
    void push_rtp(GstBuffer* rtp) override {
        packets.fetch_add(1, std::memory_order_relaxed);
        bytes.fetch_add(gst_buffer_get_size(rtp), std::memory_order_relaxed);
        GstRTPBuffer parsed = GST_RTP_BUFFER_INIT;
        if (gst_rtp_buffer_map(rtp, GST_MAP_READ, &parsed)) {
            // The marker bit ends a VP8 frame.
            if (gst_rtp_buffer_get_marker(&parsed)) {
                frames.fetch_add(1, std::memory_order_relaxed);
            }
            gst_rtp_buffer_unmap(&parsed);
        }
    }
};

// Failures end the run: the script sees the process gone and says so.
struct Watch final : conf::VideoCompositor::Listener {
    void on_compositor_input_failed(conf::VideoCompositor& /*compositor*/,
                                    const std::string& member_id,
                                    const conf::Status& error) override {
        std::fprintf(stderr, "input %s failed: %s\n", member_id.c_str(), error.to_string().c_str());
        kill(getpid(), SIGTERM);
    }
    void on_compositor_failed(conf::VideoCompositor& /*compositor*/,
                              const conf::Status& error) override {
        std::fprintf(stderr, "compositor failed: %s\n", error.to_string().c_str());
        kill(getpid(), SIGTERM);
    }
};

struct Options {
    int participants = 0;
    int port_base = 0;
    int bitrate_kbps = 2000;
    int cpu_used = 8;
    int threads = 2;
    int keyframe_ms = 2000;
};

struct Session {
    Watch watch;
    std::vector<std::unique_ptr<conf::Pipeline>> receivers;
    std::vector<std::unique_ptr<conf::ReceivedTrack>> tracks;
    std::unique_ptr<conf::VideoCompositor> compositor;
    std::shared_ptr<Counter> counter = std::make_shared<Counter>();
    conf::ReceivedTrack::Subscription subscription;
};

conf::Status start(conf::Engine::Impl& engine, Session& session, const Options& options) {
    conf::VideoCompositorOptions compositor_options;
    compositor_options.name = "bench";
    compositor_options.layout = conf::grid_layout({1280, 720, 30, 1});
    compositor_options.bitrate_kbps = options.bitrate_kbps;
    compositor_options.keyframe_interval = std::chrono::milliseconds(options.keyframe_ms);
    compositor_options.cpu_used = options.cpu_used;
    compositor_options.threads = options.threads;
    auto compositor =
        conf::VideoCompositor::create(engine, std::move(compositor_options), &session.watch);
    if (!compositor) {
        return compositor.status();
    }
    session.compositor = std::move(compositor).value();
    session.subscription = session.compositor->output().subscribe(session.counter);
    for (int i = 0; i < options.participants; ++i) {
        auto receiver = conf::Pipeline::parse(
            engine, fmt::format("rx-{}", i),
            fmt::format("udpsrc name=src address=127.0.0.1 port={} caps=\"{}\" "
                        "! fakesink sync=false async=false",
                        options.port_base + i, kVp8Caps));
        if (!receiver) {
            return receiver.status();
        }
        auto src = (*receiver)->element("src");
        auto track = std::make_unique<conf::ReceivedTrack>(
            fmt::format("p{}-video", i), *conf::find_codec("VP8"),
            conf::GRef<GstCaps>::adopt(gst_caps_from_string(kVp8Caps)),
            conf::GRef<GstPad>::adopt(gst_element_get_static_pad(src.get(), "src")),
            conf::GRef<GstElement>::ref(GST_ELEMENT((*receiver)->get())));
        if (conf::Status started = (*receiver)->start(); !started) {
            return started;
        }
        if (conf::Status added = session.compositor->add_input(fmt::format("p{}", i), *track);
            !added) {
            return added;
        }
        session.receivers.push_back(std::move(receiver).value());
        session.tracks.push_back(std::move(track));
    }
    for (const conf::Assignment& tile : session.compositor->assignments()) {
        std::printf("tile %s %d,%d %dx%d\n", tile.participant.c_str(), tile.rect.x, tile.rect.y,
                    tile.rect.width, tile.rect.height);
    }
    return conf::Status::ok();
}

void print_stats(const Counter& counter) {
    auto now = std::chrono::steady_clock::now().time_since_epoch();
    std::printf("stats t=%.3f packets=%llu bytes=%llu frames=%llu\n",
                std::chrono::duration<double>(now).count(),
                static_cast<unsigned long long>(counter.packets.load()),
                static_cast<unsigned long long>(counter.bytes.load()),
                static_cast<unsigned long long>(counter.frames.load()));
    std::fflush(stdout);
}

int usage() {
    std::fprintf(stderr, "usage: compose-bench --participants N --port-base PORT "
                         "[--bitrate-kbps K] [--cpu-used C] [--threads T] [--keyframe-ms MS]\n");
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (i + 1 >= argc) {
            return usage();
        }
        int value = std::atoi(argv[++i]);
        if (arg == "--participants") {
            options.participants = value;
        } else if (arg == "--port-base") {
            options.port_base = value;
        } else if (arg == "--bitrate-kbps") {
            options.bitrate_kbps = value;
        } else if (arg == "--cpu-used") {
            options.cpu_used = value;
        } else if (arg == "--threads") {
            options.threads = value;
        } else if (arg == "--keyframe-ms") {
            options.keyframe_ms = value;
        } else {
            return usage();
        }
    }
    if (options.participants < 0 || options.port_base <= 0) {
        return usage();
    }
    // Signals go to sigwait below, never to the media or streaming threads.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    auto engine = conf::Engine::create({.name = "compose-bench", .data_dir = "/tmp"});
    if (!engine) {
        std::fprintf(stderr, "%s\n", engine.status().to_string().c_str());
        return 1;
    }
    Session session;
    conf::Status started =
        (*engine)->submit([&] { return start((*engine)->impl(), session, options); }).get();
    int rc = 0;
    if (started) {
        std::printf("ready: %d inputs, 1280x720@30 grid, VP8 %d kbps cpu-used %d threads %d\n",
                    options.participants, options.bitrate_kbps, options.cpu_used, options.threads);
        std::fflush(stdout);
        int signal = 0;
        while (sigwait(&signals, &signal) == 0 && signal == SIGUSR1) {
            print_stats(*session.counter);
        }
        print_stats(*session.counter);
    } else {
        std::fprintf(stderr, "%s\n", started.to_string().c_str());
        rc = 1;
    }
    (void)(*engine)
        ->submit([&] {
            session.subscription.reset();
            session.compositor.reset();
            session.tracks.clear();
            session.receivers.clear();
        })
        .get();
    (void)(*engine)->stop();
    return rc;
}
