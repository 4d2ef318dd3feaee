// conf_transcode_bench: libconf's Transcoder alone, for tests/bench/transcode/transcode_720p.sh.
// Stream i's VP8 RTP arrives on UDP port `--port-base` + i (a ReceivedTrack on the udpsrc's
// pad, as an Endpoint would hand it over) and goes into a Transcoder of its own targeting
// H.264 (the encoder the EncoderSelector picks, x264enc here) at `--bitrate-kbps` and
// `--height` (0: the source's size). A subscriber of each Transcoder's output takes its RTP
// and drops it after counting packets, bytes and frames (marker bits), so the encoder and
// payloader run as they would for a real viewer.
//
// The streams are encoded elsewhere (the script's sender), so this process's CPU is the
// receiving and the transcoding only. Prints "ready" once running; on SIGUSR1 prints one
// "stats" line (the script reads two of them around its window); runs until SIGINT or
// SIGTERM, then prints a last "stats" line.
//
// usage: conf_transcode_bench --streams N --port-base PORT [--bitrate-kbps K] [--height H]
//            [--keyframe-ms MS]
#include "codec/codec_registry.hpp"
#include "core/engine_impl.hpp"
#include "core/pipeline.hpp"
#include "transcode/encoder_selector.hpp"
#include "transcode/transcoder.hpp"

#include <fmt/format.h>
#include <gst/rtp/gstrtpbuffer.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr const char* kVp8Caps =
    "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96";

// A transcoder's viewer: counts and drops.
struct Counter final : conf::RtpSink {
    std::atomic<std::uint64_t> packets{0};
    std::atomic<std::uint64_t> bytes{0};
    std::atomic<std::uint64_t> frames{0};
    void push_rtp(GstBuffer* rtp) override {
        packets.fetch_add(1, std::memory_order_relaxed);
        bytes.fetch_add(gst_buffer_get_size(rtp), std::memory_order_relaxed);
        GstRTPBuffer parsed = GST_RTP_BUFFER_INIT;
        if (gst_rtp_buffer_map(rtp, GST_MAP_READ, &parsed)) {
            // The marker bit ends an H.264 access unit (RFC 6184), so counts frames.
            if (gst_rtp_buffer_get_marker(&parsed)) {
                frames.fetch_add(1, std::memory_order_relaxed);
            }
            gst_rtp_buffer_unmap(&parsed);
        }
    }
};

struct Options {
    int streams = 0;
    int port_base = 0;
    int bitrate_kbps = 1500;
    int height = 0;
    int keyframe_ms = 2000;
};

struct Session {
    std::vector<std::unique_ptr<conf::Pipeline>> receivers;
    std::vector<std::unique_ptr<conf::ReceivedTrack>> tracks;
    std::vector<std::unique_ptr<conf::Transcoder>> transcoders;
    std::vector<std::shared_ptr<Counter>> counters;
    std::vector<conf::ReceivedTrack::Subscription> subscriptions;
};

conf::Status start(conf::Engine::Impl& engine, conf::EncoderSelector& encoders, Session& session,
                   const Options& options) {
    const conf::Codec* h264 = conf::find_codec("H264");
    if (h264 == nullptr) {
        return conf::internal_error("no H264 in the codec table");
    }
    for (int i = 0; i < options.streams; ++i) {
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
            fmt::format("s{}-video", i), *conf::find_codec("VP8"),
            conf::GRef<GstCaps>::adopt(gst_caps_from_string(kVp8Caps)),
            conf::GRef<GstPad>::adopt(gst_element_get_static_pad(src.get(), "src")),
            conf::GRef<GstElement>::ref(GST_ELEMENT((*receiver)->get())));
        if (conf::Status started = (*receiver)->start(); !started) {
            return started;
        }
        conf::TranscodeOptions transcode;
        transcode.codec = h264;
        transcode.height = options.height;
        transcode.bitrate_kbps = options.bitrate_kbps;
        transcode.keyframe_interval = std::chrono::milliseconds(options.keyframe_ms);
        auto transcoder = conf::Transcoder::create(engine, fmt::format("s{}-h264", i), *track,
                                                   transcode, encoders);
        if (!transcoder) {
            return transcoder.status();
        }
        auto counter = std::make_shared<Counter>();
        session.subscriptions.push_back((*transcoder)->output().subscribe(counter));
        session.counters.push_back(std::move(counter));
        session.transcoders.push_back(std::move(transcoder).value());
        session.receivers.push_back(std::move(receiver).value());
        session.tracks.push_back(std::move(track));
    }
    return conf::Status::ok();
}

// Totals, then each stream's frames ("frames_each=a,b,c"), so the script can check every
// stream kept up; "cpu" is this process's CPU time so far, for a check on the script's.
void print_stats(const Session& session) {
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
    std::uint64_t frames = 0;
    std::string each;
    for (const auto& counter : session.counters) {
        packets += counter->packets.load();
        bytes += counter->bytes.load();
        frames += counter->frames.load();
        each += fmt::format("{}{}", each.empty() ? "" : ",", counter->frames.load());
    }
    timespec cpu{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
    auto now = std::chrono::steady_clock::now().time_since_epoch();
    std::printf("stats t=%.3f packets=%llu bytes=%llu frames=%llu frames_each=%s cpu=%.3f\n",
                std::chrono::duration<double>(now).count(),
                static_cast<unsigned long long>(packets), static_cast<unsigned long long>(bytes),
                static_cast<unsigned long long>(frames), each.empty() ? "-" : each.c_str(),
                static_cast<double>(cpu.tv_sec) + static_cast<double>(cpu.tv_nsec) / 1e9);
    std::fflush(stdout);
}

// A transcoder that failed stays silent: say so, so the script rejects the run.
void print_errors(const Session& session) {
    for (const auto& transcoder : session.transcoders) {
        if (!transcoder->error().is_ok()) {
            std::printf("transcoder %s failed: %s\n", transcoder->id().c_str(),
                        transcoder->error().to_string().c_str());
        }
    }
    std::fflush(stdout);
}

int usage() {
    std::fprintf(stderr, "usage: conf_transcode_bench --streams N --port-base PORT "
                         "[--bitrate-kbps K] [--height H] [--keyframe-ms MS]\n");
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
        if (arg == "--streams") {
            options.streams = value;
        } else if (arg == "--port-base") {
            options.port_base = value;
        } else if (arg == "--bitrate-kbps") {
            options.bitrate_kbps = value;
        } else if (arg == "--height") {
            options.height = value;
        } else if (arg == "--keyframe-ms") {
            options.keyframe_ms = value;
        } else {
            return usage();
        }
    }
    if (options.streams < 1 || options.port_base <= 0) {
        return usage();
    }
    // Signals go to sigwait below, never to the media or streaming threads.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    auto engine = conf::Engine::create({.name = "transcode-bench", .data_dir = "/tmp"});
    if (!engine) {
        std::fprintf(stderr, "%s\n", engine.status().to_string().c_str());
        return 1;
    }
    conf::EncoderSelector encoders(conf::CodecRegistry::global());
    Session session;
    conf::Status started =
        (*engine)
            ->submit([&] { return start((*engine)->impl(), encoders, session, options); })
            .get();
    int rc = 0;
    if (started) {
        std::string factory = session.transcoders.front()->encoder_factory();
        std::printf("ready: %d streams, VP8 -> H264 with %s, %d kbps, height %s\n", options.streams,
                    factory.c_str(), options.bitrate_kbps,
                    options.height > 0 ? std::to_string(options.height).c_str() : "as received");
        std::fflush(stdout);
        int signal = 0;
        while (sigwait(&signals, &signal) == 0 && signal == SIGUSR1) {
            (void)(*engine)->submit([&] { print_errors(session); }).get();
            print_stats(session);
        }
        print_stats(session);
    } else {
        std::fprintf(stderr, "%s\n", started.to_string().c_str());
        rc = 1;
    }
    (void)(*engine)
        ->submit([&] {
            session.subscriptions.clear();
            session.transcoders.clear();
            session.tracks.clear();
            session.receivers.clear();
        })
        .get();
    (void)(*engine)->stop();
    return rc;
}
