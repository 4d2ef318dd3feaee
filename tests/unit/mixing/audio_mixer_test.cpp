// AudioMixer on real Opus RTP: tone publishers (audiotestsrc ! opusenc ! rtpopuspay, with a
// ReceivedTrack on the payloader's pad, as an Endpoint would have) feed the mixer; what an
// output sends is recorded packet by packet and decoded in a pipeline of the test's own, and
// each voice is found by its frequency (Goertzel).
#include "mixing/audio_mixer.hpp"

#include "core/g_unique.hpp"
#include "core/signal_connection.hpp"

#include "support/eventually.hpp"
#include "support/leak_tracker.hpp"
#include "support/temp_dir.hpp"
#include "support/tone.hpp"

#include <catch2/catch.hpp>

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/rtp/gstrtpbuffer.h>

#include <cmath>
#include <future>
#include <map>
#include <mutex>
#include <thread>

using namespace std::chrono_literals;
using conf::AudioMixer;
using conf::Engine;
using conf::GRef;
using conf::Pipeline;
using conf::ReceivedTrack;

namespace {

constexpr int kRate = 48000;

GstClockTime now() {
    auto clock = GRef<GstClock>::adopt(gst_system_clock_obtain());
    return gst_clock_get_time(clock.get());
}

// A publisher stand-in: a sine tone as Opus RTP, fanned out by a ReceivedTrack.
struct Tone {
    std::unique_ptr<Pipeline> pipeline;
    std::unique_ptr<ReceivedTrack> track;
};

std::unique_ptr<Tone> make_tone(Engine::Impl& engine, const std::string& name, int frequency,
                                const char* caps = "application/x-rtp,media=audio,"
                                                   "encoding-name=OPUS,clock-rate=48000,"
                                                   "payload=111,encoding-params=(string)2") {
    auto pipeline = Pipeline::parse(
        engine, "tone-" + name,
        fmt::format("audiotestsrc is-live=true wave=sine freq={} volume=0.25 "
                    "! audio/x-raw,rate=48000,channels=1 ! audioconvert ! opusenc "
                    "! rtpopuspay name=pay pt=111 ! fakesink sync=false async=false",
                    frequency));
    REQUIRE(pipeline.is_ok());
    auto tone = std::make_unique<Tone>();
    tone->pipeline = std::move(pipeline).value();
    auto pay = tone->pipeline->element("pay");
    tone->track = std::make_unique<ReceivedTrack>(
        name, *conf::find_codec("OPUS"), GRef<GstCaps>::adopt(gst_caps_from_string(caps)),
        GRef<GstPad>::adopt(gst_element_get_static_pad(pay.get(), "src")),
        GRef<GstElement>::ref(GST_ELEMENT(tone->pipeline->get())));
    REQUIRE(tone->pipeline->start().is_ok());
    return tone;
}

// What a subscriber of an output got: its packets, and its audio decoded.
struct Heard {
    struct Packet {
        GstClockTime pts;
        guint16 seq;
        guint32 rtp_time;
        bool discont;
    };
    struct Chunk {
        GstClockTime time; // absolute clock
        std::vector<float> samples;
    };
    std::mutex mutex;
    std::vector<Packet> packets;
    std::vector<Chunk> chunks;

    std::vector<Packet> packets_copy() {
        std::lock_guard lock(mutex);
        return packets;
    }
    GstClockTime heard_until() {
        std::lock_guard lock(mutex);
        return chunks.empty() ? 0 : chunks.back().time;
    }
    // Decoded audio whose chunks start in [from, to).
    std::vector<float> audio(GstClockTime from, GstClockTime to) {
        std::lock_guard lock(mutex);
        std::vector<float> out;
        for (const Chunk& chunk : chunks) {
            if (chunk.time >= from && chunk.time < to) {
                out.insert(out.end(), chunk.samples.begin(), chunk.samples.end());
            }
        }
        return out;
    }
};

// Subscribed to an output: records each packet and pushes it into the decoder's appsrc.
class Ear final : public conf::RtpSink {
  public:
    Ear(GRef<GstElement> appsrc, GstClockTime base_time, std::shared_ptr<Heard> heard)
        : appsrc_(std::move(appsrc)), base_time_(base_time), heard_(std::move(heard)) {}
    void push_rtp(GstBuffer* rtp) override {
        GstRTPBuffer map = GST_RTP_BUFFER_INIT;
        if (gst_rtp_buffer_map(rtp, GST_MAP_READ, &map) == FALSE) {
            return;
        }
        Heard::Packet packet{GST_BUFFER_PTS(rtp), gst_rtp_buffer_get_seq(&map),
                             gst_rtp_buffer_get_timestamp(&map),
                             GST_BUFFER_IS_DISCONT(rtp) != FALSE};
        gst_rtp_buffer_unmap(&map);
        {
            std::lock_guard lock(heard_->mutex);
            heard_->packets.push_back(packet);
        }
        auto copy = GRef<GstBuffer>::adopt(gst_buffer_copy(rtp));
        GST_BUFFER_PTS(copy.get()) = packet.pts - base_time_;
        gst_app_src_push_buffer(GST_APP_SRC(appsrc_.get()), copy.release());
    }

  private:
    GRef<GstElement> appsrc_;
    GstClockTime base_time_;
    std::shared_ptr<Heard> heard_;
};

// A listener on one output: decoder pipeline, subscription, what it heard.
struct Listener {
    std::unique_ptr<Pipeline> decoder;
    std::shared_ptr<Heard> heard = std::make_shared<Heard>();
    std::vector<conf::SignalConnection> signals;
    ReceivedTrack::Subscription subscription;

    ~Listener() {
        subscription.reset();
        signals.clear();
    }
};

std::unique_ptr<Listener> listen(Engine::Impl& engine, ReceivedTrack& track) {
    static int count = 0;
    auto decoder = Pipeline::parse(engine, fmt::format("ear-{}", ++count),
                                   "appsrc name=src is-live=true format=time do-timestamp=false "
                                   "! rtpopusdepay ! opusdec ! audioconvert ! audioresample "
                                   "! audio/x-raw,format=F32LE,rate=48000,channels=1 "
                                   "! appsink name=sink emit-signals=true sync=false async=false");
    REQUIRE(decoder.is_ok());
    auto listener = std::make_unique<Listener>();
    listener->decoder = std::move(decoder).value();
    auto appsrc = listener->decoder->element("src");
    g_object_set(appsrc.get(), "caps", track.caps(), nullptr);
    auto sink = listener->decoder->element("sink");
    GstElement* pipeline = GST_ELEMENT(listener->decoder->get());
    listener->signals.push_back(conf::connect_signal<>(
        sink.get(), "new-sample",
        [appsink = sink.get(), pipeline, heard = listener->heard]() -> GstFlowReturn {
            auto sample = GRef<GstSample>::adopt(gst_app_sink_pull_sample(GST_APP_SINK(appsink)));
            if (!sample) {
                return GST_FLOW_EOS;
            }
            GstBuffer* buffer = gst_sample_get_buffer(sample.get());
            GstClockTime running = gst_segment_to_running_time(
                gst_sample_get_segment(sample.get()), GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
            GstMapInfo map;
            if (!GST_CLOCK_TIME_IS_VALID(running) ||
                gst_buffer_map(buffer, &map, GST_MAP_READ) == FALSE) {
                return GST_FLOW_OK;
            }
            const auto* samples = reinterpret_cast<const float*>(map.data);
            Heard::Chunk chunk{running + gst_element_get_base_time(pipeline),
                               std::vector<float>(samples, samples + map.size / sizeof(float))};
            gst_buffer_unmap(buffer, &map);
            std::lock_guard lock(heard->mutex);
            heard->chunks.push_back(std::move(chunk));
            return GST_FLOW_OK;
        }));
    REQUIRE(listener->decoder->start().is_ok());
    GstClockTime base_time = gst_element_get_base_time(pipeline);
    listener->subscription =
        track.subscribe(std::make_shared<Ear>(std::move(appsrc), base_time, listener->heard));
    return listener;
}

using conf::test::tone_db;

std::size_t count_elements(GstBin* bin, const char* factory) {
    std::size_t count = 0;
    conf::GUnique<GstIterator> it(gst_bin_iterate_recurse(bin));
    GValue item = G_VALUE_INIT;
    while (gst_iterator_next(it.get(), &item) == GST_ITERATOR_OK) {
        auto* element = GST_ELEMENT(g_value_get_object(&item));
        GstElementFactory* made_by = gst_element_get_factory(element);
        if (made_by != nullptr && g_strcmp0(GST_OBJECT_NAME(made_by), factory) == 0) {
            ++count;
        }
        g_value_reset(&item);
    }
    g_value_unset(&item);
    return count;
}

struct Events : AudioMixer::Listener {
    std::mutex mutex;
    std::vector<std::string> failed_inputs;
    int mixer_failures = 0;
    void on_mixer_failed(AudioMixer&, const conf::Status&) override {
        std::lock_guard lock(mutex);
        ++mixer_failures;
    }
    void on_input_failed(AudioMixer&, const std::string& member, const conf::Status&) override {
        std::lock_guard lock(mutex);
        failed_inputs.push_back(member);
    }
    std::vector<std::string> failed() {
        std::lock_guard lock(mutex);
        return failed_inputs;
    }
};

struct Fixture {
    conf::test::TempDir dir;
    std::unique_ptr<Engine> engine;
    Events events;
    std::unique_ptr<AudioMixer> mixer;
    std::map<std::string, std::unique_ptr<Tone>> tones;
    std::vector<std::unique_ptr<Listener>> listeners;
    std::vector<AudioMixer::Output> outputs;

    template <typename F>
    auto on_media(F&& fn) {
        auto future = engine->submit(std::forward<F>(fn));
        REQUIRE(future.wait_for(20s) == std::future_status::ready);
        return future.get();
    }

    explicit Fixture(conf::AudioMixerOptions options = {}) {
        auto created = Engine::create({.name = "mix-test", .data_dir = dir.path()});
        REQUIRE(created.is_ok());
        engine = std::move(created).value();
        if (options.room.empty()) {
            options.room = "standup";
        }
        REQUIRE(on_media([&]() -> conf::Status {
                    auto made = AudioMixer::create(engine->impl(), options, &events);
                    if (!made) {
                        return made.status();
                    }
                    mixer = std::move(made).value();
                    return conf::Status::ok();
                }).is_ok());
    }
    ~Fixture() {
        (void)on_media([&] {
            listeners.clear();
            outputs.clear();
            mixer.reset();
            tones.clear();
        });
        (void)engine->stop();
    }

    // A member publishing a tone, mixed.
    void join(const std::string& member, int frequency) {
        REQUIRE(on_media([&] {
                    auto& tone = tones[member] = make_tone(engine->impl(), member, frequency);
                    return mixer->add_input(member, *tone->track);
                }).is_ok());
    }
    void leave(const std::string& member) {
        REQUIRE(on_media([&] {
                    mixer->remove_input(member);
                    tones.erase(member);
                }).is_ok());
    }
    // Claims the output without `member` and listens to it.
    Heard& listen_to(const std::string& minus) {
        Heard* heard = nullptr;
        REQUIRE(on_media([&]() -> conf::Status {
                    auto output = mixer->output(minus);
                    if (!output) {
                        return output.status();
                    }
                    listeners.push_back(listen(engine->impl(), output->track()));
                    heard = listeners.back()->heard.get();
                    outputs.push_back(std::move(output).value());
                    return conf::Status::ok();
                }).is_ok());
        return *heard;
    }
    // Waits until `heard` has decoded audio up to `time` (absolute clock) and returns the
    // second of audio before it.
    std::vector<float> second_before(Heard& heard, GstClockTime time) {
        REQUIRE(conf::test::eventually([&] { return heard.heard_until() >= time; }, 15s));
        return heard.audio(time - GST_SECOND, time);
    }
};

} // namespace

TEST_CASE("a member's mix leaves out exactly that member's voice, and the full mix has everyone",
          "[mixing][audio]") {
    Fixture f;
    f.join("a", 440);
    f.join("b", 1000);
    f.join("c", 1700);
    Heard& minus_a = f.listen_to("a");
    Heard& full = f.listen_to("");
    // Everyone has been in for a while by then (the output runs `latency` behind).
    GstClockTime until = now() + 2 * GST_SECOND;

    std::vector<float> without_a = f.second_before(minus_a, until);
    REQUIRE(without_a.size() >= kRate * 9 / 10);
    double a = tone_db(without_a, 440);
    double b = tone_db(without_a, 1000);
    double c = tone_db(without_a, 1700);
    INFO("minus a: 440 Hz " << a << " dB, 1000 Hz " << b << " dB, 1700 Hz " << c << " dB");
    CHECK(b > -30.0); // a 0.25 sine is about -18 dB
    CHECK(std::abs(b - c) < 6.0);
    CHECK(a < b - 30.0);

    std::vector<float> everyone = f.second_before(full, until);
    REQUIRE(everyone.size() >= kRate * 9 / 10);
    double full_a = tone_db(everyone, 440);
    double full_b = tone_db(everyone, 1000);
    double full_c = tone_db(everyone, 1700);
    INFO("full: 440 Hz " << full_a << " dB, 1000 Hz " << full_b << " dB, 1700 Hz " << full_c
                         << " dB");
    CHECK(full_b > -30.0);
    CHECK(std::abs(full_a - full_b) < 6.0);
    CHECK(std::abs(full_c - full_b) < 6.0);

    auto stats = f.on_media([&] { return f.mixer->stats(); });
    REQUIRE(stats.is_ok());
    CHECK(stats->outputs == 2);
    CHECK(stats->blocks >= 200);
    for (const conf::MixInputStats& input : stats->inputs) {
        INFO(input.id << ": mixed " << input.frames_mixed << ", late " << input.frames_late
                      << ", dropped " << input.frames_dropped << ", resyncs " << input.resyncs);
        CHECK(input.frames_mixed >= static_cast<std::uint64_t>(2 * kRate));
        CHECK(input.frames_dropped == 0);
    }
}

TEST_CASE("each distinct mix is encoded once, and only while someone claims it",
          "[mixing][audio]") {
    Fixture f;
    f.join("a", 440);
    REQUIRE(f.on_media([&]() -> conf::Status {
                 GstBin* bin = f.mixer->bin();
                 auto first = f.mixer->output("a");
                 auto second = f.mixer->output("a");
                 REQUIRE(first.is_ok());
                 REQUIRE(second.is_ok());
                 CHECK(&first->track() == &second->track());
                 CHECK(first->minus() == "a");
                 CHECK(count_elements(bin, "opusenc") == 1);

                 // Everyone who is not an input hears the one full mix.
                 auto full = f.mixer->output("");
                 auto listener = f.mixer->output("a-listener");
                 CHECK(&full->track() == &listener->track());
                 CHECK(listener->minus().empty());
                 CHECK(&full->track() != &first->track());
                 CHECK(count_elements(bin, "opusenc") == 2);
                 CHECK(f.mixer->stats().outputs == 2);

                 first->reset();
                 CHECK(count_elements(bin, "opusenc") == 2); // `second` still claims it
                 AudioMixer::Output moved = std::move(second).value();
                 CHECK(count_elements(bin, "opusenc") == 2);
                 moved.reset();
                 CHECK(count_elements(bin, "opusenc") == 1);
                 full->reset();
                 listener->reset();
                 CHECK(count_elements(bin, "opusenc") == 0);
                 CHECK(f.mixer->stats().outputs == 0);
                 return conf::Status::ok();
             }).is_ok());
}

TEST_CASE("members joining and leaving change the mix without a gap in it", "[mixing][audio]") {
    Fixture f;
    f.join("a", 440);
    f.join("b", 1000);
    f.join("c", 1700);
    Heard& minus_a = f.listen_to("a");
    REQUIRE(conf::test::eventually([&] { return minus_a.heard_until() > 0; }, 15s));
    std::this_thread::sleep_for(1500ms);
    GstClockTime joined = now();
    f.join("d", 2300);
    std::this_thread::sleep_for(1500ms);
    GstClockTime left = now();
    f.leave("c");
    std::vector<float> after = f.second_before(minus_a, left + 1500 * GST_MSECOND);
    std::vector<float> before = minus_a.audio(joined - GST_SECOND, joined);

    INFO("before: 1000 Hz " << tone_db(before, 1000) << ", 1700 Hz " << tone_db(before, 1700)
                            << ", 2300 Hz " << tone_db(before, 2300));
    INFO("after: 1000 Hz " << tone_db(after, 1000) << ", 1700 Hz " << tone_db(after, 1700)
                           << ", 2300 Hz " << tone_db(after, 2300));
    CHECK(tone_db(before, 1700) > tone_db(before, 1000) - 6.0);
    CHECK(tone_db(before, 2300) < tone_db(before, 1000) - 30.0);
    CHECK(tone_db(after, 2300) > tone_db(after, 1000) - 6.0);
    CHECK(tone_db(after, 1700) < tone_db(after, 1000) - 30.0);
    CHECK(tone_db(after, 440) < tone_db(after, 1000) - 30.0);

    // One packet every 20 ms, numbered and timed without a hole, never marked discontinuous.
    // (The output's first packet is 312 samples short: Opus' pre-skip.)
    auto packets = minus_a.packets_copy();
    REQUIRE(packets.size() > 150);
    int holes = 0;
    for (std::size_t i = 2; i < packets.size(); ++i) {
        const auto& previous = packets[i - 1];
        const auto& packet = packets[i];
        bool continuous = static_cast<guint16>(previous.seq + 1) == packet.seq &&
                          packet.rtp_time - previous.rtp_time == 960 &&
                          packet.pts - previous.pts <= 21 * GST_MSECOND &&
                          packet.pts - previous.pts >= 19 * GST_MSECOND && !packet.discont;
        if (!continuous) {
            ++holes;
            UNSCOPED_INFO("packet " << i << ": seq " << previous.seq << " -> " << packet.seq
                                    << ", pts +" << GST_TIME_AS_USECONDS(packet.pts - previous.pts)
                                    << " us, rtp +" << packet.rtp_time - previous.rtp_time
                                    << (packet.discont ? ", discont" : ""));
        }
    }
    CHECK(holes == 0);
}

TEST_CASE("a muted or vanished input does not hold the mix up", "[mixing][audio]") {
    Fixture f;
    f.join("a", 440);
    f.join("b", 1000);
    Heard& full = f.listen_to("");
    REQUIRE(conf::test::eventually([&] { return full.heard_until() > 0; }, 15s));
    // a is muted by an operator (nothing is forwarded), then b's publisher vanishes.
    REQUIRE(f.on_media([&] { f.tones["a"]->track->set_paused(true); }).is_ok());
    GstClockTime muted = now();
    std::vector<float> b_only = f.second_before(full, muted + 1500 * GST_MSECOND);
    CHECK(tone_db(b_only, 1000) > -30.0);
    CHECK(tone_db(b_only, 440) < tone_db(b_only, 1000) - 30.0);
    REQUIRE(f.on_media([&] { f.tones["b"]->pipeline.reset(); }).is_ok());
    GstClockTime vanished = now();
    std::size_t packets_then = full.packets_copy().size();
    std::vector<float> silence = f.second_before(full, vanished + 1500 * GST_MSECOND);
    CHECK(full.packets_copy().size() >= packets_then + 40); // still 50 packets a second
    CHECK(tone_db(silence, 1000) < -60.0);
    // a comes back.
    REQUIRE(f.on_media([&] { f.tones["a"]->track->set_paused(false); }).is_ok());
    std::vector<float> a_again = f.second_before(full, now() + 1500 * GST_MSECOND);
    CHECK(tone_db(a_again, 440) > -30.0);
}

TEST_CASE("a member's broken stream ends that member's input, not the mix", "[mixing][audio]") {
    Fixture f;
    f.join("a", 440);
    Heard& full = f.listen_to("");
    // Opus at an RTP clock rate rtpopusdepay refuses: that input's branch fails.
    REQUIRE(f.on_media([&] {
                 auto& tone = f.tones["broken"] =
                     make_tone(f.engine->impl(), "broken", 1000,
                               "application/x-rtp,media=audio,encoding-name=OPUS,"
                               "clock-rate=8000,payload=111");
                 return f.mixer->add_input("broken", *tone->track);
             }).is_ok());
    REQUIRE(conf::test::eventually([&] { return !f.events.failed().empty(); }, 10s));
    CHECK(f.events.failed() == std::vector<std::string>{"broken"});
    CHECK_FALSE(f.on_media([&] { return f.mixer->has_input("broken"); }).value_or(true));
    std::vector<float> still = f.second_before(full, now() + 1500 * GST_MSECOND);
    CHECK(tone_db(still, 440) > -30.0);
    CHECK(f.events.mixer_failures == 0);
    // The member can be mixed again (with a stream that works).
    REQUIRE(f.on_media([&] {
                 auto& tone = f.tones["broken"] = make_tone(f.engine->impl(), "broken", 1000);
                 return f.mixer->add_input("broken", *tone->track);
             }).is_ok());
}

TEST_CASE("the mixer refuses what it cannot mix", "[mixing][audio]") {
    Fixture f;
    REQUIRE(f.on_media([&] {
                 CHECK(AudioMixer::create(f.engine->impl(), {.room = "r", .channels = 3})
                           .status()
                           .code() == conf::StatusCode::kInvalidArgument);
                 CHECK(AudioMixer::create(f.engine->impl(), {.room = ""}).status().code() ==
                       conf::StatusCode::kInvalidArgument);
                 auto source =
                     GRef<GstElement>::adopt(gst_element_factory_make("fakesrc", nullptr));
                 auto vp8 = ReceivedTrack(
                     "v", *conf::find_codec("VP8"),
                     GRef<GstCaps>::adopt(
                         gst_caps_from_string("application/x-rtp,media=video,encoding-name=VP8")),
                     GRef<GstPad>::adopt(gst_element_get_static_pad(source.get(), "src")), source);
                 CHECK(f.mixer->add_input("v", vp8).code() == conf::StatusCode::kInvalidArgument);
             }).is_ok());
    f.join("a", 440);
    REQUIRE(f.on_media([&] {
                 auto& tone = f.tones["a2"] = make_tone(f.engine->impl(), "a2", 440);
                 return f.mixer->add_input("a", *tone->track);
             }).code() == conf::StatusCode::kAlreadyExists);
}

namespace {

void mix_for_a_moment() {
    Fixture f;
    f.join("a", 440);
    f.join("b", 1000);
    Heard& minus_a = f.listen_to("a");
    REQUIRE(conf::test::eventually([&] { return minus_a.heard_until() > 0; }, 15s));
    f.leave("b");
    std::this_thread::sleep_for(200ms);
}

} // namespace

TEST_CASE("a mixer leaves no GStreamer object behind", "[mixing][audio][leaks]") {
    // Warm-up: process-wide singletons (clock, task pool, plugin class data) live until
    // gst_deinit by design.
    mix_for_a_moment();
    conf::test::LeakTracker tracker;
    if (!tracker.available()) {
        WARN("GST_TRACERS=leaks is not set; the mixing:leaks ctest runs this check");
        return;
    }
    mix_for_a_moment();
    auto alive = tracker.still_alive_after(std::chrono::seconds(2));
    INFO("still alive: " << Catch::Detail::stringify(alive));
    CHECK(alive.empty());
}
