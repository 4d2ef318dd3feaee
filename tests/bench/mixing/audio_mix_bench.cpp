// audio-mix-bench: libconf's AudioMixer alone, for tests/bench/mixing/audio_mix_minus.sh.
// Participant i's Opus RTP arrives on UDP port `--port-base` + i (a ReceivedTrack on the
// udpsrc's pad, as an Endpoint would hand it over); every participant gets its mix-minus
// (or, with --full-only, one full mix for all), and a subscriber counts the packets of each
// output. Prints "ready" once all runs, then runs until SIGINT or SIGTERM and prints the
// packets each output sent.
//
// usage: audio-mix-bench --participants N --port-base PORT [--full-only] [--latency-ms L]
#include "core/engine_impl.hpp"
#include "core/pipeline.hpp"
#include "mixing/audio_mixer.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>
#include <string>
#include <vector>

namespace {

struct Counter final : conf::RtpSink {
    std::atomic<std::uint64_t> packets{0};
    void push_rtp(GstBuffer* /*rtp*/) override { packets.fetch_add(1, std::memory_order_relaxed); }
};

struct Session {
    std::unique_ptr<conf::AudioMixer> mixer;
    std::vector<std::unique_ptr<conf::Pipeline>> receivers;
    std::vector<std::unique_ptr<conf::ReceivedTrack>> tracks;
    std::vector<conf::AudioMixer::Output> outputs;
    std::vector<std::shared_ptr<Counter>> counters;
    std::vector<conf::ReceivedTrack::Subscription> subscriptions;
};

conf::Status start(conf::Engine::Impl& engine, Session& session, int participants, int port_base,
                   bool full_only, int latency_ms) {
    auto mixer = conf::AudioMixer::create(
        engine, {.room = "bench", .latency = std::chrono::milliseconds(latency_ms)});
    if (!mixer) {
        return mixer.status();
    }
    session.mixer = std::move(mixer).value();
    const char* caps = "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,"
                       "payload=111,encoding-params=(string)2";
    for (int i = 0; i < participants; ++i) {
        auto receiver = conf::Pipeline::parse(
            engine, fmt::format("rx-{}", i),
            fmt::format("udpsrc name=src address=127.0.0.1 port={} caps=\"{}\" "
                        "! fakesink sync=false async=false",
                        port_base + i, caps));
        if (!receiver) {
            return receiver.status();
        }
        auto src = (*receiver)->element("src");
        auto track = std::make_unique<conf::ReceivedTrack>(
            fmt::format("p{}", i), *conf::find_codec("OPUS"),
            conf::GRef<GstCaps>::adopt(gst_caps_from_string(caps)),
            conf::GRef<GstPad>::adopt(gst_element_get_static_pad(src.get(), "src")),
            conf::GRef<GstElement>::ref(GST_ELEMENT((*receiver)->get())));
        if (conf::Status started = (*receiver)->start(); !started) {
            return started;
        }
        if (conf::Status added = session.mixer->add_input(track->id(), *track); !added) {
            return added;
        }
        session.receivers.push_back(std::move(receiver).value());
        session.tracks.push_back(std::move(track));
    }
    for (int i = 0; i < (full_only ? 1 : participants); ++i) {
        auto output = session.mixer->output(full_only ? "" : fmt::format("p{}", i));
        if (!output) {
            return output.status();
        }
        auto counter = std::make_shared<Counter>();
        session.subscriptions.push_back(output->track().subscribe(counter));
        session.counters.push_back(std::move(counter));
        session.outputs.push_back(std::move(output).value());
    }
    return conf::Status::ok();
}

int usage() {
    std::fprintf(stderr, "usage: audio-mix-bench --participants N --port-base PORT "
                         "[--full-only] [--latency-ms L]\n");
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    int participants = 0;
    int port_base = 0;
    int latency_ms = 100;
    bool full_only = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--full-only") {
            full_only = true;
        } else if (i + 1 < argc && arg == "--participants") {
            participants = std::atoi(argv[++i]);
        } else if (i + 1 < argc && arg == "--port-base") {
            port_base = std::atoi(argv[++i]);
        } else if (i + 1 < argc && arg == "--latency-ms") {
            latency_ms = std::atoi(argv[++i]);
        } else {
            return usage();
        }
    }
    if (participants <= 0 || port_base <= 0) {
        return usage();
    }
    // Signals go to sigwait below, never to the media or streaming threads.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    auto engine = conf::Engine::create({.name = "audio-mix-bench", .data_dir = "/tmp"});
    if (!engine) {
        std::fprintf(stderr, "%s\n", engine.status().to_string().c_str());
        return 1;
    }
    Session session;
    conf::Status started = (*engine)
                               ->submit([&] {
                                   return start((*engine)->impl(), session, participants, port_base,
                                                full_only, latency_ms);
                               })
                               .get();
    int rc = 0;
    if (started) {
        std::printf("ready\n");
        std::fflush(stdout);
        int signal = 0;
        sigwait(&signals, &signal);
        for (std::size_t i = 0; i < session.counters.size(); ++i) {
            std::printf("output %s: %llu packets\n", session.outputs[i].track().id().c_str(),
                        static_cast<unsigned long long>(session.counters[i]->packets.load()));
        }
    } else {
        std::fprintf(stderr, "%s\n", started.to_string().c_str());
        rc = 1;
    }
    (void)(*engine)
        ->submit([&] {
            session.subscriptions.clear();
            session.outputs.clear();
            session.mixer.reset();
            session.tracks.clear();
            session.receivers.clear();
        })
        .get();
    (void)(*engine)->stop();
    return rc;
}
