#include "mixing/audio_mixer.hpp"

#include "webrtc/appsrc_feed.hpp"

#include "codec/codec.hpp"
#include "core/g_unique.hpp"
#include "core/running_time.hpp"
#include "core/signal_connection.hpp"

#include <gst/app/gstappsrc.h>

#include <algorithm>
#include <cstdlib>
#include <exception>

namespace conf {

namespace {

constexpr int kRate = 48000;         // Opus' own rate: the mix never resamples Opus
constexpr std::int64_t kBlock = 480; // frames per tick: 10 ms
constexpr auto kLateCheckInterval = std::chrono::seconds(5);

std::int64_t frames_in(std::chrono::milliseconds duration) {
    return duration.count() * kRate / 1000;
}

// Read access to a buffer's memory for one scope.
class MappedBuffer {
  public:
    explicit MappedBuffer(GstBuffer* buffer) : buffer_(buffer) {
        mapped_ = gst_buffer_map(buffer_, &info_, GST_MAP_READ) != FALSE;
    }
    ~MappedBuffer() {
        if (mapped_) {
            gst_buffer_unmap(buffer_, &info_);
        }
    }
    MappedBuffer(const MappedBuffer&) = delete;
    MappedBuffer& operator=(const MappedBuffer&) = delete;
    explicit operator bool() const noexcept { return mapped_; }
    std::span<const float> floats() const noexcept {
        return {reinterpret_cast<const float*>(info_.data), info_.size / sizeof(float)};
    }

  private:
    GstBuffer* buffer_;
    GstMapInfo info_{};
    bool mapped_ = false;
};

Result<GRef<GstElement>> parse_bin(const std::string& description, const std::string& name) {
    GUnique<GError> error;
    auto bin = GRef<GstElement>::adopt(
        gst_parse_bin_from_description(description.c_str(), FALSE, error.out()));
    if (!bin || error) {
        return unavailable(
            fmt::format("cannot build {}: {}", name, error ? error->message : "unknown error"));
    }
    gst_object_set_name(GST_OBJECT(bin.get()), name.c_str());
    return bin;
}

GRef<GstElement> child(GstElement* bin, const char* name) {
    return GRef<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(bin), name));
}

// Takes a branch out of a playing pipeline. Branches share no pads with anything else, so no
// blocking probe is needed: the branch's own threads stop with it.
void remove_branch(GstBin* pipeline, GstElement* bin) {
    gst_element_set_locked_state(bin, TRUE);
    gst_element_set_state(bin, GST_STATE_NULL);
    gst_bin_remove(pipeline, bin);
}

// The top-level element of the pipeline that holds `object` (its branch bin).
GRef<GstObject> branch_of(GstObject* object) {
    auto current = GRef<GstObject>::ref(object);
    while (current) {
        auto parent = GRef<GstObject>::adopt(gst_object_get_parent(current.get()));
        if (!parent || GST_IS_PIPELINE(parent.get())) {
            return parent ? current : GRef<GstObject>();
        }
        current = std::move(parent);
    }
    return {};
}

// The tick's state, touched only by its streaming thread.
struct Tick {
    std::shared_ptr<MixMinus> bus;
    std::int64_t latency_frames = 0;
    std::int64_t next = -1; // the next block's position, once ticking
};

GstPadProbeReturn on_tick(Tick& tick, GstPad* pad, GstBuffer* buffer) {
    GstClockTime time = running_time(pad, buffer);
    if (!GST_CLOCK_TIME_IS_VALID(time)) {
        return GST_PAD_PROBE_OK;
    }
    auto position = static_cast<std::int64_t>(gst_util_uint64_scale_round(time, kRate, GST_SECOND));
    auto frames = static_cast<std::int64_t>(gst_buffer_get_size(buffer) / sizeof(std::int16_t));
    // audiotestsrc counts samples; rounding must not make the blocks overlap or gap.
    if (tick.next >= 0 && std::llabs(position - tick.next) <= 1) {
        position = tick.next;
    }
    tick.next = position + frames;
    std::int64_t content = position - tick.latency_frames;
    if (content >= 0) {
        tick.bus->mix(content, frames);
    }
    return GST_PAD_PROBE_OK;
}

} // namespace

struct AudioMixer::InputBranch {
    GRef<GstElement> bin;
    ReceivedTrack::Subscription subscription;
    ProbeConnection probe;
};

struct AudioMixer::OutputBranch {
    GRef<GstElement> bin;
    std::unique_ptr<ReceivedTrack> track;
    int claims = 0;
};

AudioMixer::Output::Output(Output&& other) noexcept
    : mixer_(std::exchange(other.mixer_, nullptr)), alive_(std::move(other.alive_)),
      minus_(std::move(other.minus_)), track_(std::exchange(other.track_, nullptr)) {}

AudioMixer::Output& AudioMixer::Output::operator=(Output&& other) noexcept {
    if (this != &other) {
        reset();
        mixer_ = std::exchange(other.mixer_, nullptr);
        alive_ = std::move(other.alive_);
        minus_ = std::move(other.minus_);
        track_ = std::exchange(other.track_, nullptr);
    }
    return *this;
}

void AudioMixer::Output::reset() {
    if (track_ != nullptr && !alive_.expired()) {
        mixer_->release(minus_);
    }
    mixer_ = nullptr;
    alive_.reset();
    track_ = nullptr;
}

AudioMixer::AudioMixer(Engine::Impl& engine, AudioMixerOptions options, Listener* listener)
    : engine_(engine), options_(std::move(options)),
      logger_(Logger("mixing").with("room", options_.room)), listener_(listener),
      bus_(std::make_shared<MixMinus>(MixMinusOptions{
          .channels = options_.channels,
          .max_pending_frames = kRate,
          // audiomixer's alignment threshold, but at most half the latency: frames placed
          // that far before their timestamps say must still arrive in time.
          .resync_frames = std::min<std::int64_t>(frames_in(std::chrono::milliseconds(40)),
                                                  frames_in(options_.latency) / 2),
      })) {}

Result<std::unique_ptr<AudioMixer>>
AudioMixer::create(Engine::Impl& engine, AudioMixerOptions options, Listener* listener) {
    CONF_ASSERT_MEDIA_THREAD(engine);
    if (options.room.empty()) {
        return invalid_argument("audio mixer: room name must not be empty");
    }
    if (options.channels != 1 && options.channels != 2) {
        return invalid_argument(
            fmt::format("audio mixer: {} channels (1 or 2 are mixed)", options.channels));
    }
    if (options.bitrate < 6000 || options.bitrate > 510000) {
        return invalid_argument(
            fmt::format("audio mixer: Opus bitrate {} outside 6000..510000", options.bitrate));
    }
    if (options.latency < std::chrono::milliseconds(20)) {
        return invalid_argument(
            fmt::format("audio mixer: latency {} ms is below 20 ms", options.latency.count()));
    }
    if (options.input_jitter.count() < 0 || options.input_jitter >= options.latency) {
        return invalid_argument(
            fmt::format("audio mixer: input jitterbuffer {} ms must be below the latency",
                        options.input_jitter.count()));
    }
    if (options.payload_type < 96 || options.payload_type > 127) {
        return invalid_argument(
            fmt::format("audio mixer: payload type {} outside 96..127", options.payload_type));
    }
    std::unique_ptr<AudioMixer> mixer(new AudioMixer(engine, std::move(options), listener));
    auto pipeline = Pipeline::create(engine, "audio-mix-" + mixer->options_.room);
    if (!pipeline) {
        return pipeline.status();
    }
    mixer->pipeline_ = std::move(pipeline).value();
    mixer->pipeline_->set_listener(mixer.get());

    // An error inside an input branch (a member's bad stream) ends that input, not the mix:
    // it is taken off the bus here, before the pipeline's watch would fail everything.
    struct Route {
        Engine::Impl* engine;
        AudioMixer* mixer;
        std::weak_ptr<const bool> alive;
    };
    auto bus = GRef<GstBus>::adopt(gst_element_get_bus(GST_ELEMENT(mixer->pipeline_->get())));
    gst_bus_set_sync_handler(
        bus.get(),
        [](GstBus*, GstMessage* message, gpointer data) noexcept -> GstBusSyncReply {
            if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ERROR ||
                GST_MESSAGE_SRC(message) == nullptr) {
                return GST_BUS_PASS;
            }
            try {
                GRef<GstObject> branch = branch_of(GST_MESSAGE_SRC(message));
                GUnique<gchar> name(branch ? gst_object_get_name(branch.get()) : nullptr);
                if (!name || g_str_has_prefix(name.get(), "in-") == FALSE) {
                    return GST_BUS_PASS;
                }
                const auto* route = static_cast<const Route*>(data);
                (void)route->engine->post([mixer = route->mixer, alive = route->alive,
                                           bin = std::string(name.get()),
                                           error = status_from_message(message)] {
                    if (!alive.expired()) {
                        mixer->on_branch_error(bin, error);
                    }
                });
            } catch (const std::exception& e) {
                detail::log_callback_exception(e.what());
                return GST_BUS_PASS;
            }
            // A sync handler that drops a message owns it.
            GRef<GstMessage>::adopt(message).reset();
            return GST_BUS_DROP;
        },
        new Route{&engine, mixer.get(), mixer->alive_},
        [](gpointer data) { delete static_cast<Route*>(data); });

    if (Status built = mixer->build_tick(); !built) {
        return built;
    }
    if (Status started = mixer->pipeline_->start(); !started) {
        return started;
    }
    mixer->late_check_ = Timer::start(engine.context(), kLateCheckInterval,
                                      [m = mixer.get()] { return m->check_late_inputs(); });
    mixer->logger_.info("mixing {} channel(s) at {} bps per output, latency {} ms",
                        mixer->options_.channels, mixer->options_.bitrate,
                        mixer->options_.latency.count());
    return mixer;
}

Status AudioMixer::build_tick() {
    // Silence, 10 ms at a time, paced by the clock: the heartbeat every output follows.
    auto bin = parse_bin(fmt::format("audiotestsrc is-live=true wave=silence samplesperbuffer={} "
                                     "! audio/x-raw,format=S16LE,rate={},channels=1 "
                                     "! fakesink name=sink sync=false async=false",
                                     kBlock, kRate),
                         "tick");
    if (!bin) {
        return bin.status();
    }
    auto sink = child(bin->get(), "sink");
    auto pad = GRef<GstPad>::adopt(gst_element_get_static_pad(sink.get(), "sink"));
    auto tick = std::make_shared<Tick>(Tick{bus_, frames_in(options_.latency)});
    tick_probe_ =
        add_probe(pad.get(), GST_PAD_PROBE_TYPE_BUFFER, [tick](GstPad* p, GstPadProbeInfo* info) {
            return on_tick(*tick, p, GST_PAD_PROBE_INFO_BUFFER(info));
        });
    gst_bin_add(pipeline_->bin(), bin->get());
    return Status::ok();
}

AudioMixer::~AudioMixer() {
    alive_.reset();
    late_check_.reset();
    for (auto& [member, input] : inputs_) {
        input->subscription.reset();
    }
    if (pipeline_) {
        pipeline_->set_listener(nullptr);
        pipeline_.reset(); // to NULL: every streaming thread of every branch has stopped
    }
    outputs_.clear();
    inputs_.clear();
}

Status AudioMixer::add_input(const std::string& member_id, ReceivedTrack& track) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (failed_) {
        return unavailable(fmt::format("audio mixer {} has failed", name()));
    }
    if (track.codec().name != "OPUS") {
        return invalid_argument(fmt::format("cannot mix {} track {}: only Opus is mixed",
                                            track.codec().name, track.id()));
    }
    if (member_id.empty()) {
        return invalid_argument("cannot mix an input without a member id");
    }
    if (inputs_.contains(member_id)) {
        return already_exists(fmt::format("{} is already mixed", member_id));
    }
    auto bin =
        parse_bin(fmt::format("appsrc name=src is-live=true format=time do-timestamp=false "
                              "max-bytes=65536 leaky-type=downstream "
                              "! rtpjitterbuffer latency={} do-lost=true ! rtpopusdepay "
                              "! opusdec plc=true max-errors=-1 ! audioconvert ! audioresample "
                              "! audio/x-raw,format=F32LE,rate={},channels={},layout=interleaved "
                              "! fakesink name=sink sync=false async=false",
                              options_.input_jitter.count(), kRate, options_.channels),
                  fmt::format("in-{}-{}", ++branches_made_, member_id));
    if (!bin) {
        return bin.status();
    }
    auto appsrc = child(bin->get(), "src");
    g_object_set(appsrc.get(), "caps", track.caps(), nullptr);
    auto sink = child(bin->get(), "sink");
    auto sink_pad = GRef<GstPad>::adopt(gst_element_get_static_pad(sink.get(), "sink"));

    auto branch = std::make_unique<InputBranch>();
    branch->bin = std::move(bin).value();
    std::shared_ptr<MixMinus::Input> input = bus_->add_input(member_id);
    if (!input) {
        return internal_error(fmt::format("{} is already on the mix bus", member_id));
    }
    branch->probe =
        add_probe(sink_pad.get(), GST_PAD_PROBE_TYPE_BUFFER,
                  [bus = bus_, input](GstPad* pad, GstPadProbeInfo* info) {
                      GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
                      GstClockTime time = running_time(pad, buffer);
                      MappedBuffer mapped(buffer);
                      if (GST_CLOCK_TIME_IS_VALID(time) && mapped) {
                          bus->write(*input,
                                     static_cast<std::int64_t>(
                                         gst_util_uint64_scale_round(time, kRate, GST_SECOND)),
                                     mapped.floats(), GST_BUFFER_IS_DISCONT(buffer));
                      }
                      return GST_PAD_PROBE_OK;
                  });
    gst_bin_add(pipeline_->bin(), branch->bin.get());
    if (gst_element_sync_state_with_parent(branch->bin.get()) == FALSE) {
        bus_->remove_input(member_id);
        branch->probe.remove();
        remove_branch(pipeline_->bin(), branch->bin.get());
        return unavailable(fmt::format("cannot start the input branch of {}", member_id));
    }
    GstClockTime base_time = gst_element_get_base_time(GST_ELEMENT(pipeline_->get()));
    branch->subscription =
        track.subscribe(std::make_shared<AppsrcFeed>(std::move(appsrc), base_time));
    logger_.info("mixing {} (track {})", member_id, track.id());
    inputs_.emplace(member_id, std::move(branch));
    return Status::ok();
}

void AudioMixer::remove_input(const std::string& member_id) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    auto found = inputs_.find(member_id);
    if (found == inputs_.end()) {
        return;
    }
    std::unique_ptr<InputBranch> branch = std::move(found->second);
    inputs_.erase(found);
    late_reported_.erase(member_id);
    branch->subscription.reset();
    // Off the bus first: from the next block on, neither the total nor any output has it.
    bus_->remove_input(member_id);
    branch->probe.remove();
    remove_branch(pipeline_->bin(), branch->bin.get());
    logger_.info("no longer mixing {}", member_id);
}

bool AudioMixer::has_input(const std::string& member_id) const {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    return inputs_.contains(member_id);
}

Result<AudioMixer::Output> AudioMixer::output(const std::string& minus_member) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (failed_) {
        return unavailable(fmt::format("audio mixer {} has failed", name()));
    }
    // Everyone who is not an input hears the same thing: the full mix, encoded once.
    const std::string minus = inputs_.contains(minus_member) ? minus_member : std::string();
    if (auto found = outputs_.find(minus); found != outputs_.end()) {
        ++found->second->claims;
        return Output(this, alive_, minus, found->second->track.get());
    }
    const std::string label = minus.empty() ? std::string("full") : "minus-" + minus;
    auto bin = parse_bin("appsrc name=src is-live=true format=time do-timestamp=false "
                         "leaky-type=downstream "
                         "! opusenc name=enc frame-size=20 ! rtpopuspay name=pay "
                         "! fakesink sync=false async=false",
                         fmt::format("out-{}-{}", ++branches_made_, label));
    if (!bin) {
        return bin.status();
    }
    auto appsrc = child(bin->get(), "src");
    auto raw_caps = GRef<GstCaps>::adopt(gst_caps_new_simple(
        "audio/x-raw", "format", G_TYPE_STRING, "S16LE", "rate", G_TYPE_INT, kRate, "channels",
        G_TYPE_INT, options_.channels, "layout", G_TYPE_STRING, "interleaved", nullptr));
    // One second of audio: past that the encoder is hopelessly behind and blocks are dropped.
    g_object_set(appsrc.get(), "caps", raw_caps.get(), "max-bytes",
                 static_cast<guint64>(kRate * options_.channels * sizeof(std::int16_t)), nullptr);
    auto encoder = child(bin->get(), "enc");
    g_object_set(encoder.get(), "bitrate", options_.bitrate, nullptr);
    gst_util_set_object_arg(G_OBJECT(encoder.get()), "audio-type", "voice");
    auto payloader = child(bin->get(), "pay");
    const guint ssrc = g_random_int();
    g_object_set(payloader.get(), "pt", static_cast<guint>(options_.payload_type), "ssrc", ssrc,
                 nullptr);
    auto rtp_caps = GRef<GstCaps>::adopt(gst_caps_new_simple(
        "application/x-rtp", "media", G_TYPE_STRING, "audio", "encoding-name", G_TYPE_STRING,
        "OPUS", "clock-rate", G_TYPE_INT, kRate, "payload", G_TYPE_INT, options_.payload_type,
        "encoding-params", G_TYPE_STRING, "2", "sprop-stereo", G_TYPE_STRING,
        options_.channels == 2 ? "1" : "0", "ssrc", G_TYPE_UINT, ssrc, nullptr));
    auto pay_pad = GRef<GstPad>::adopt(gst_element_get_static_pad(payloader.get(), "src"));

    auto branch = std::make_unique<OutputBranch>();
    branch->bin = std::move(bin).value();
    gst_bin_add(pipeline_->bin(), branch->bin.get());
    if (gst_element_sync_state_with_parent(branch->bin.get()) == FALSE) {
        remove_branch(pipeline_->bin(), branch->bin.get());
        return unavailable(fmt::format("cannot start the output branch {}", label));
    }
    branch->track = std::make_unique<ReceivedTrack>(
        fmt::format("mix-{}-{}", options_.room, label), *find_codec("OPUS"), std::move(rtp_caps),
        std::move(pay_pad), GRef<GstElement>::ref(GST_ELEMENT(pipeline_->get())));
    const int channels = options_.channels;
    bus_->add_output(minus, [appsrc = std::move(appsrc),
                             channels](std::int64_t position, std::span<const std::int16_t> pcm) {
        auto buffer =
            GRef<GstBuffer>::adopt(gst_buffer_new_allocate(nullptr, pcm.size_bytes(), nullptr));
        gst_buffer_fill(buffer.get(), 0, pcm.data(), pcm.size_bytes());
        const auto end = static_cast<guint64>(position) + pcm.size() / channels;
        const GstClockTime pts = gst_util_uint64_scale(position, GST_SECOND, kRate);
        GST_BUFFER_PTS(buffer.get()) = pts;
        GST_BUFFER_DURATION(buffer.get()) = gst_util_uint64_scale(end, GST_SECOND, kRate) - pts;
        GST_BUFFER_OFFSET(buffer.get()) = static_cast<guint64>(position);
        GST_BUFFER_OFFSET_END(buffer.get()) = end;
        gst_app_src_push_buffer(GST_APP_SRC(appsrc.get()), buffer.release());
    });
    branch->claims = 1;
    ReceivedTrack* track = branch->track.get();
    logger_.info("output {} (ssrc {})", track->id(), ssrc);
    outputs_.emplace(minus, std::move(branch));
    return Output(this, alive_, minus, track);
}

void AudioMixer::release(const std::string& minus) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    auto found = outputs_.find(minus);
    if (found == outputs_.end() || --found->second->claims > 0) {
        return;
    }
    std::unique_ptr<OutputBranch> branch = std::move(found->second);
    outputs_.erase(found);
    bus_->remove_output(minus);
    logger_.info("output {} released", branch->track->id());
    branch->track.reset();
    remove_branch(pipeline_->bin(), branch->bin.get());
}

AudioMixerStats AudioMixer::stats() const {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    return {bus_->blocks(), bus_->stats(), outputs_.size()};
}

void AudioMixer::on_branch_error(const std::string& bin_name, const Status& error) {
    auto found = std::find_if(inputs_.begin(), inputs_.end(), [&bin_name](const auto& entry) {
        return GST_OBJECT_NAME(entry.second->bin.get()) == bin_name;
    });
    if (found == inputs_.end()) {
        return; // already removed
    }
    std::string member = found->first;
    logger_.warn("input {} failed and is no longer mixed: {}", member, error.message());
    remove_input(member);
    if (listener_ != nullptr) {
        listener_->on_input_failed(*this, member, error);
    }
}

bool AudioMixer::check_late_inputs() {
    for (const MixInputStats& input : bus_->stats()) {
        std::uint64_t& reported = late_reported_[input.id];
        if (input.frames_late > reported) {
            logger_.warn("input {}: {} ms of audio came too late to be mixed (latency {} ms)",
                         input.id, (input.frames_late - reported) * 1000 / kRate,
                         options_.latency.count());
            reported = input.frames_late;
        }
    }
    return true;
}

void AudioMixer::on_pipeline_error(Pipeline& /*pipeline*/, const Status& error) {
    failed_ = true;
    late_check_.reset();
    logger_.error("mixer failed: {}", error.message());
    if (listener_ != nullptr) {
        listener_->on_mixer_failed(*this, error);
    }
}

} // namespace conf
