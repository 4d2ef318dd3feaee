#include "streaming/live_stream.hpp"

#include "webrtc/appsrc_feed.hpp"

#include "core/g_unique.hpp"
#include "streaming/output_gate.hpp"

#include <fmt/format.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <mutex>
#include <system_error>

namespace conf {

namespace {

constexpr std::string_view kOutputPrefix = "out-";
// What may wait in each input's appsrc before its oldest packets go: ~3 s of 2.5 Mbps video,
// ~4 s of 128 kbps Opus.
constexpr guint64 kMaxVideoInputBytes = guint64{1024} * 1024;
constexpr guint64 kMaxAudioInputBytes = guint64{64} * 1024;

// The name of the pipeline's child that holds `object` ("" if none: the pipeline itself).
std::string top_level_name(GstObject* object, GstElement* pipeline) {
    auto node = GRef<GstObject>::ref(object);
    while (node) {
        auto parent = GRef<GstObject>::adopt(gst_object_get_parent(node.get()));
        if (parent && parent.get() == GST_OBJECT(pipeline)) {
            GUnique<gchar> name(gst_object_get_name(node.get()));
            return name ? name.get() : "";
        }
        node = std::move(parent);
    }
    return {};
}

// An output's error (or warning) as the bus gave it, minus GStreamer's debug text (which can quote
// properties, the URL among them).
struct BranchError {
    StatusCode code = StatusCode::kInternal;
    std::string element;
    std::string text;
};

BranchError read_error(GstMessage* message) {
    BranchError error;
    error.code = status_from_message(message).code();
    GUnique<GError> gerror;
    GUnique<gchar> debug;
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_WARNING) {
        gst_message_parse_warning(message, gerror.out(), debug.out());
    } else {
        gst_message_parse_error(message, gerror.out(), debug.out());
    }
    error.text = gerror ? gerror->message : "unknown error";
    if (GST_MESSAGE_SRC(message) != nullptr) {
        error.element = GST_OBJECT_NAME(GST_MESSAGE_SRC(message));
    }
    return error;
}

void release_tee_pad(GstElement* tee, GRef<GstPad>& pad) {
    if (pad) {
        // Waits for a push in progress on this pad, which never blocks: it ends in the
        // output's leaky queue.
        gst_element_release_request_pad(tee, pad.get());
        pad.reset();
    }
}

void release_mux_pads(OutputBin& out) {
    for (GRef<GstPad>& pad : out.mux_pads) {
        gst_element_release_request_pad(out.mux.get(), pad.get());
    }
    out.mux_pads.clear();
}

} // namespace

std::string_view to_string(OutputKind kind) noexcept {
    return kind == OutputKind::kHls ? "HLS" : "RTMP";
}

// One output's bin while it hangs on the tees.
struct LiveStream::Branch {
    OutputBin out;
    GRef<GstPad> video_tee_pad;
    GRef<GstPad> audio_tee_pad;
    ProbeConnection video_gate;
    ProbeConnection audio_hold; // blocks the audio queue until the video gate opens
    ProbeConnection audio_gate;

    void remove_probes() {
        video_gate.remove();
        audio_hold.remove();
        audio_gate.remove();
    }

    std::string name() const { return out.bin ? GST_OBJECT_NAME(out.bin.get()) : std::string(); }
};

struct LiveStream::Output {
    std::string id;
    OutputKind kind = OutputKind::kHls;
    HlsOptions hls;
    RtmpOptions rtmp;
    std::optional<RtmpUrl> url;
    std::string target; // what logs show
    Branch branch;      // no bin while waiting to reconnect
    int failures = 0;
    Timer retry;
    Timer stable;
};

// A removed output finishing its files or its connection.
struct LiveStream::Draining {
    Branch branch;
    std::optional<RtmpUrl> url; // to scrub its messages
    Timer timeout;
};

LiveStream::LiveStream(Engine::Impl& engine, LiveStreamOptions options, Listener* listener)
    : engine_(engine), options_(std::move(options)), listener_(listener),
      logger_(Logger("streaming").with("stream", options_.name)),
      video_link_(std::make_shared<ReceivedTrack::SharedSubscription>()),
      audio_link_(std::make_shared<ReceivedTrack::SharedSubscription>()) {}

Result<std::unique_ptr<LiveStream>> LiveStream::create(Engine::Impl& engine,
                                                       LiveStreamOptions options,
                                                       ReceivedTrack& video, ReceivedTrack& audio,
                                                       Listener* listener) {
    CONF_ASSERT_MEDIA_THREAD(engine);
    if (Status valid = validate(options); !valid) {
        return valid;
    }
    if (video.kind() != MediaKind::kVideo || video.codec().decoder.empty()) {
        return invalid_argument(fmt::format("live stream {}: track {} ({}) is not VP8, VP9 or "
                                            "H.264 video",
                                            options.name, video.id(), video.codec().name));
    }
    if (audio.codec().name != "OPUS") {
        return invalid_argument(fmt::format("live stream {}: track {} ({}) is not Opus audio",
                                            options.name, audio.id(), audio.codec().name));
    }
    std::unique_ptr<LiveStream> stream(new LiveStream(engine, std::move(options), listener));
    if (Status built = stream->build(video, audio); !built) {
        return built.with_context(fmt::format("live stream {}", stream->options_.name));
    }
    return stream;
}

Status LiveStream::build(ReceivedTrack& video, ReceivedTrack& audio) {
    const LiveStreamOptions& o = options_;
    std::string parser =
        video.codec().parser.empty() ? "" : fmt::format("{} ! ", video.codec().parser);
    std::string size =
        o.width == 0 ? std::string()
                     : fmt::format(",width={},height={},pixel-aspect-ratio=1/1", o.width, o.height);
    // The cadence probe below places keyframes; x264's own limit is only a backstop.
    int keyframe_distance = 2 * static_cast<int>(o.keyframe_interval.count() * o.fps / 1000);
    // Raw frames wait in a short leaky queue: an encoder that falls behind drops frames
    // instead of piling up latency. scenecut=0 keeps keyframes on the fixed interval that
    // HLS segments are cut on.
    std::string description =
        fmt::format("appsrc name=video-src is-live=true format=time do-timestamp=false block=false "
                    "max-bytes={} leaky-type=downstream "
                    "! rtpjitterbuffer name=video-jitterbuffer latency={} do-lost=true "
                    "! {} name=video-depay ! {}{} name=video-decoder ! videoconvert ! videoscale "
                    "! videorate ! video/x-raw,format=I420,framerate={}/1{} "
                    "! queue name=encode-queue max-size-buffers=3 max-size-bytes=0 max-size-time=0 "
                    "leaky=downstream "
                    "! x264enc name=video-encoder tune=zerolatency speed-preset={} bitrate={} "
                    "key-int-max={} bframes=0 threads={} option-string=scenecut=0 "
                    "! h264parse config-interval=-1 "
                    "! video/x-h264,stream-format=byte-stream,alignment=au "
                    "! tee name=video-tee allow-not-linked=true "
                    "appsrc name=audio-src is-live=true format=time do-timestamp=false block=false "
                    "max-bytes={} leaky-type=downstream "
                    "! rtpjitterbuffer latency={} do-lost=true ! rtpopusdepay "
                    "! opusdec plc=true max-errors=-1 ! audioconvert ! audioresample "
                    "! audio/x-raw,format=F32LE,rate=48000,channels={},layout=interleaved "
                    "! avenc_aac name=audio-encoder bitrate={} ! aacparse "
                    "! audio/mpeg,mpegversion=4,stream-format=raw "
                    "! tee name=audio-tee allow-not-linked=true",
                    kMaxVideoInputBytes, o.input_latency.count(), video.codec().depayloader, parser,
                    video.codec().decoder, o.fps, size, o.speed_preset, o.video_bitrate_kbps,
                    keyframe_distance, o.encoder_threads, kMaxAudioInputBytes,
                    o.input_latency.count(), o.audio_channels, o.audio_bitrate);
    auto pipeline = Pipeline::parse(engine_, "live-" + o.name, description);
    if (!pipeline) {
        return pipeline.status();
    }
    pipeline_ = std::move(pipeline).value();
    // The system clock, like every other pipeline here, so absolute PTS compare.
    auto clock = GRef<GstClock>::adopt(gst_system_clock_obtain());
    gst_pipeline_use_clock(pipeline_->get(), clock.get());
    encoder_ = pipeline_->element("video-encoder");
    video_tee_ = pipeline_->element("video-tee");
    audio_tee_ = pipeline_->element("audio-tee");
    auto video_src = pipeline_->element("video-src");
    auto audio_src = pipeline_->element("audio-src");
    g_object_set(video_src.get(), "caps", video.caps(), nullptr);
    g_object_set(audio_src.get(), "caps", audio.caps(), nullptr);

    configure_live_decoding(pipeline_->element("video-depay").get(),
                            pipeline_->element("video-decoder").get());
    auto encoder_sink = GRef<GstPad>::adopt(gst_element_get_static_pad(encoder_.get(), "sink"));
    auto cadence = std::make_shared<KeyframeCadence>(
        static_cast<GstClockTime>(o.keyframe_interval.count()) * GST_MSECOND,
        GRef<GstPad>::adopt(gst_element_get_static_pad(encoder_.get(), "src")),
        last_cadence_keyframe_);
    cadence_probe_ = add_probe(encoder_sink.get(), GST_PAD_PROBE_TYPE_BUFFER,
                               [cadence](GstPad* pad, GstPadProbeInfo* info) {
                                   cadence->on_frame(pad, GST_PAD_PROBE_INFO_BUFFER(info));
                                   return GST_PAD_PROBE_OK;
                               });
    keyframe_probe_ = forward_keyframe_requests(video_src.get(), video_link_);
    install_bus_routing();
    pipeline_->set_listener(this);
    if (Status started = pipeline_->start(); !started) {
        return started;
    }
    GstClockTime base_time = gst_element_get_base_time(GST_ELEMENT(pipeline_->get()));
    video_link_->set(
        video.subscribe(std::make_shared<AppsrcFeed>(std::move(video_src), base_time)));
    audio_link_->set(
        audio.subscribe(std::make_shared<AppsrcFeed>(std::move(audio_src), base_time)));
    video_link_->request_keyframe(); // decoding starts at a keyframe
    logger_.info("encoding {} ({}) and {} ({}): H.264 {}@{} {} kbps {}, keyframe every {} ms; "
                 "AAC {} ch {} bps",
                 video.id(), video.codec().name, audio.id(), audio.codec().name,
                 o.width == 0 ? "input size" : fmt::format("{}x{}", o.width, o.height), o.fps,
                 o.video_bitrate_kbps, o.speed_preset, o.keyframe_interval.count(),
                 o.audio_channels, o.audio_bitrate);
    return Status::ok();
}

void LiveStream::install_bus_routing() {
    // An output's errors, warnings and end (EOS, forwarded by its bin) are that output's:
    // they are taken off the bus before the pipeline's watch, which would fail everything
    // (and would log their debug text, which can quote an RTMP URL with its key).
    struct Route {
        Engine::Impl* engine;
        std::weak_ptr<int> alive;
        LiveStream* self;
        GstElement* pipeline; // borrowed: the bus is the pipeline's
    };
    auto bus = GRef<GstBus>::adopt(gst_element_get_bus(GST_ELEMENT(pipeline_->get())));
    gst_bus_set_sync_handler(
        bus.get(),
        [](GstBus*, GstMessage* message, gpointer data) noexcept -> GstBusSyncReply {
            GstMessageType type = GST_MESSAGE_TYPE(message);
            if ((type != GST_MESSAGE_ERROR && type != GST_MESSAGE_WARNING &&
                 type != GST_MESSAGE_ELEMENT) ||
                GST_MESSAGE_SRC(message) == nullptr) {
                return GST_BUS_PASS;
            }
            const auto* route = static_cast<const Route*>(data);
            try {
                std::string branch = top_level_name(GST_MESSAGE_SRC(message), route->pipeline);
                if (!branch.starts_with(kOutputPrefix)) {
                    return GST_BUS_PASS;
                }
                if (type == GST_MESSAGE_ERROR || type == GST_MESSAGE_WARNING) {
                    (void)route->engine->post([alive = route->alive, self = route->self, branch,
                                               error = read_error(message),
                                               fatal = type == GST_MESSAGE_ERROR] {
                        if (alive.expired()) {
                            return;
                        }
                        Status status(error.code, fmt::format("{}: {}", error.element, error.text));
                        if (fatal) {
                            self->on_branch_error(branch, status);
                        } else {
                            self->on_branch_warning(branch, status);
                        }
                    });
                } else {
                    const GstStructure* s = gst_message_get_structure(message);
                    if (s == nullptr || !gst_structure_has_name(s, "GstBinForwarded")) {
                        return GST_BUS_PASS;
                    }
                    GstMessage* inner = nullptr;
                    gst_structure_get(s, "message", GST_TYPE_MESSAGE, &inner, nullptr);
                    auto forwarded = GRef<GstMessage>::adopt(inner);
                    if (forwarded && GST_MESSAGE_TYPE(forwarded.get()) == GST_MESSAGE_EOS) {
                        (void)route->engine->post(
                            [alive = route->alive, self = route->self, branch] {
                                if (!alive.expired()) {
                                    self->on_branch_drained(branch);
                                }
                            });
                    }
                }
            } catch (const std::exception& e) {
                detail::log_callback_exception(e.what());
                return GST_BUS_PASS;
            }
            // A sync handler that drops a message owns it.
            GRef<GstMessage>::adopt(message).reset();
            return GST_BUS_DROP;
        },
        new Route{&engine_, alive_, this, GST_ELEMENT(pipeline_->get())},
        [](gpointer data) noexcept { delete static_cast<Route*>(data); });
}

LiveStream::~LiveStream() {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    alive_.reset();
    video_link_->reset();
    audio_link_->reset();
    keyframe_probe_.remove();
    cadence_probe_.remove();
    for (auto& [id, output] : outputs_) {
        output->retry.reset();
        output->stable.reset();
        output->branch.remove_probes();
    }
    for (auto& draining : draining_) {
        draining->timeout.reset();
        draining->branch.remove_probes();
    }
    if (!pipeline_) {
        return;
    }
    auto bus = GRef<GstBus>::adopt(gst_element_get_bus(GST_ELEMENT(pipeline_->get())));
    gst_bus_set_sync_handler(bus.get(), nullptr, nullptr, nullptr);
    pipeline_->set_listener(nullptr);
    pipeline_.reset(); // to NULL, outputs included: no streaming thread runs any more
    auto release = [this](Branch& branch) {
        release_tee_pad(video_tee_.get(), branch.video_tee_pad);
        release_tee_pad(audio_tee_.get(), branch.audio_tee_pad);
        release_mux_pads(branch.out);
    };
    for (auto& [id, output] : outputs_) {
        release(output->branch);
    }
    for (auto& draining : draining_) {
        release(draining->branch);
    }
}

Status LiveStream::check_new_output(const std::string& id) const {
    if (!is_safe_name(id)) {
        return invalid_argument(
            fmt::format("output id '{}' must be 1-64 letters, digits, '-', '_' or '.'", id));
    }
    if (failed_ || stopping_) {
        return failed_precondition(fmt::format("live stream {} has {}", options_.name,
                                               failed_ ? "failed" : "been stopped"));
    }
    if (outputs_.contains(id)) {
        return already_exists(fmt::format("output {} already exists", id));
    }
    return Status::ok();
}

Status LiveStream::add_hls(const std::string& id, HlsOptions options) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (Status possible = check_new_output(id); !possible) {
        return possible;
    }
    if (Status valid = validate(options, options_.keyframe_interval); !valid) {
        return valid.with_context(fmt::format("output {}", id));
    }
    for (const auto& [other_id, other] : outputs_) {
        if (other->kind == OutputKind::kHls &&
            other->hls.directory.lexically_normal() == options.directory.lexically_normal()) {
            return already_exists(fmt::format("HLS output {} already writes to {}", other_id,
                                              options.directory.string()));
        }
    }
    std::error_code ec;
    std::filesystem::create_directories(options.directory, ec);
    if (ec) {
        return unavailable(fmt::format("HLS output {}: cannot create {}: {}", id,
                                       options.directory.string(), ec.message()));
    }
    auto output = std::make_unique<Output>();
    output->id = id;
    output->kind = OutputKind::kHls;
    output->target = options.directory.string();
    output->hls = std::move(options);
    return add_output(std::move(output));
}

Status LiveStream::add_rtmp(const std::string& id, RtmpOptions options) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (Status possible = check_new_output(id); !possible) {
        return possible;
    }
    auto url = validate(options);
    if (!url) {
        return url.status().with_context(fmt::format("output {}", id));
    }
    auto output = std::make_unique<Output>();
    output->id = id;
    output->kind = OutputKind::kRtmp;
    output->target = url->redacted();
    output->url = std::move(url).value();
    output->rtmp = std::move(options);
    return add_output(std::move(output));
}

Status LiveStream::add_output(std::unique_ptr<Output> output) {
    if (Status attached = attach(*output); !attached) {
        return attached.with_context(
            fmt::format("{} output {}", to_string(output->kind), output->id));
    }
    logger_.info("output {}: {} to {}", output->id, to_string(output->kind), output->target);
    std::string id = output->id;
    outputs_.emplace(std::move(id), std::move(output));
    return Status::ok();
}

Status LiveStream::attach(Output& output) {
    std::string name = fmt::format("{}{}-{}", kOutputPrefix, ++branches_made_, output.id);
    auto made = output.kind == OutputKind::kHls
                    ? make_hls_bin(name, output.hls, options_.output_queue)
                    : make_rtmp_bin(name, *output.url, options_.output_queue);
    if (!made) {
        return made.status();
    }
    Branch branch;
    branch.out = std::move(made).value();
    GstElement* bin = branch.out.bin.get();
    // Its EOS reaches the bus (wrapped) even while other outputs run: how a drain ends. It
    // prerolls on its own (hlssink2 goes to PAUSED asynchronously): left to the pipeline,
    // an output removed meanwhile can leave another stuck in PAUSED for good.
    g_object_set(bin, "message-forward", TRUE, "async-handling", TRUE, nullptr);
    if (!gst_bin_add(pipeline_->bin(), bin)) {
        return internal_error(fmt::format("cannot add {}", name));
    }
    branch.video_tee_pad =
        GRef<GstPad>::adopt(gst_element_request_pad_simple(video_tee_.get(), "src_%u"));
    branch.audio_tee_pad =
        GRef<GstPad>::adopt(gst_element_request_pad_simple(audio_tee_.get(), "src_%u"));
    auto video_door = GRef<GstPad>::adopt(gst_element_get_static_pad(bin, "video"));
    auto audio_door = GRef<GstPad>::adopt(gst_element_get_static_pad(bin, "audio"));
    if (!branch.video_tee_pad || !branch.audio_tee_pad || !video_door || !audio_door) {
        detach(branch);
        return internal_error(fmt::format("cannot get the pads to link {}", name));
    }
    auto gate = std::make_shared<OutputGate>(
        output.kind == OutputKind::kHls ? last_cadence_keyframe_ : nullptr,
        [engine = &engine_, alive = std::weak_ptr<int>(alive_), self = this, name] {
            (void)engine->post([alive, self, name] {
                if (!alive.expired()) {
                    self->release_audio_hold(name);
                }
            });
        });
    const auto data =
        static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST);
    branch.video_gate =
        add_probe(branch.video_tee_pad.get(), data,
                  [gate](GstPad* pad, GstPadProbeInfo* info) { return gate->video(pad, info); });
    branch.audio_hold = add_probe(branch.out.audio_out.get(),
                                  static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BLOCK | data),
                                  [](GstPad*, GstPadProbeInfo*) { return GST_PAD_PROBE_OK; });
    branch.audio_gate =
        add_probe(branch.out.audio_out.get(), data,
                  [gate](GstPad* pad, GstPadProbeInfo* info) { return gate->audio(pad, info); });
    if (gst_pad_link(branch.video_tee_pad.get(), video_door.get()) != GST_PAD_LINK_OK ||
        gst_pad_link(branch.audio_tee_pad.get(), audio_door.get()) != GST_PAD_LINK_OK) {
        detach(branch);
        return internal_error(fmt::format("cannot link {} to the encoders", name));
    }
    if (!gst_element_sync_state_with_parent(bin)) {
        detach(branch);
        return unavailable(fmt::format("{} cannot start", name));
    }
    if (output.kind == OutputKind::kRtmp) {
        // Its gate takes any keyframe: have the encoder make one now rather than at the next
        // interval. (HLS waits for the cadence: at most one interval.)
        gst_element_send_event(encoder_.get(), gst_video_event_new_upstream_force_key_unit(
                                                   GST_CLOCK_TIME_NONE, TRUE, 0));
    }
    output.branch = std::move(branch);
    if (output.kind == OutputKind::kRtmp && output.rtmp.reconnect_attempts > 0) {
        output.stable = Timer::once(engine_.context(), output.rtmp.stable_after,
                                    [&output] { output.failures = 0; });
    }
    return Status::ok();
}

void LiveStream::release_audio_hold(const std::string& bin_name) {
    for (auto& [id, output] : outputs_) {
        if (output->branch.name() == bin_name) {
            output->branch.audio_hold.remove();
            return;
        }
    }
}

void LiveStream::detach(Branch& branch) {
    branch.remove_probes();
    release_tee_pad(video_tee_.get(), branch.video_tee_pad);
    release_tee_pad(audio_tee_.get(), branch.audio_tee_pad);
    if (!branch.out.bin) {
        return;
    }
    GstElement* bin = branch.out.bin.get();
    gst_element_set_locked_state(bin, TRUE);
    if (GRef<GstObject>::adopt(gst_object_get_parent(GST_OBJECT(bin)))) {
        gst_bin_remove(pipeline_->bin(), bin);
    }
    // The bin goes to NULL on GStreamer's thread pool: a sink stuck on its network must not
    // hold up the media thread. Its request pads go once it is there.
    auto* out = new OutputBin(std::move(branch.out));
    gst_element_call_async(
        out->bin.get(),
        [](GstElement* element, gpointer data) {
            gst_element_set_state(element, GST_STATE_NULL);
            release_mux_pads(*static_cast<OutputBin*>(data));
        },
        out, [](gpointer data) { delete static_cast<OutputBin*>(data); });
    branch.out = {};
}

void LiveStream::drain(Branch branch, std::optional<RtmpUrl> url) {
    std::string name = branch.name();
    // Audio still held (no keyframe came) is dropped by the gate, letting the EOS through.
    branch.video_gate.remove();
    branch.audio_hold.remove();
    // No more data, then EOS behind what is queued: the muxers finish (HLS: the last
    // segment, and the playlist's EXT-X-ENDLIST) and the bin's sink posts EOS.
    release_tee_pad(video_tee_.get(), branch.video_tee_pad);
    release_tee_pad(audio_tee_.get(), branch.audio_tee_pad);
    for (const char* door : {"video", "audio"}) {
        auto pad = GRef<GstPad>::adopt(gst_element_get_static_pad(branch.out.bin.get(), door));
        gst_pad_send_event(pad.get(), gst_event_new_eos());
    }
    auto draining = std::make_unique<Draining>();
    draining->branch = std::move(branch);
    draining->url = std::move(url);
    draining->timeout = Timer::once(engine_.context(), options_.drain_timeout, [this, name] {
        logger_.warn("{} did not drain within {} ms; tearing it down", name,
                     options_.drain_timeout.count());
        on_branch_drained(name);
    });
    draining_.push_back(std::move(draining));
}

Status LiveStream::remove_output(const std::string& id) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    auto found = outputs_.find(id);
    if (found == outputs_.end()) {
        return not_found(fmt::format("no output {}", id));
    }
    std::unique_ptr<Output> output = std::move(found->second);
    outputs_.erase(found);
    output->retry.reset();
    output->stable.reset();
    logger_.info("output {} removed; draining", id);
    if (output->branch.out.bin) {
        drain(std::move(output->branch), output->url);
    }
    return Status::ok();
}

std::vector<OutputInfo> LiveStream::outputs() const {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    std::vector<OutputInfo> infos;
    infos.reserve(outputs_.size());
    for (const auto& [id, output] : outputs_) {
        infos.push_back(
            {id, output->kind, output->target, !output->branch.out.bin, output->failures});
    }
    return infos;
}

void LiveStream::on_branch_error(const std::string& bin_name, const Status& error) {
    for (std::size_t i = 0; i < draining_.size(); ++i) {
        if (draining_[i]->branch.name() == bin_name) {
            const auto& url = draining_[i]->url;
            logger_.warn("{} failed while draining: {}", bin_name,
                         url ? url->scrub(error.message()) : error.message());
            finish_drain(i);
            return;
        }
    }
    auto found = std::find_if(outputs_.begin(), outputs_.end(), [&](const auto& entry) {
        return entry.second->branch.name() == bin_name;
    });
    if (found == outputs_.end()) {
        return; // a later error of an output already handled
    }
    detach(found->second->branch);
    fail(*found->second, error);
}

void LiveStream::fail(Output& output, const Status& error) {
    output.stable.reset();
    std::string text = fmt::format("{} output {} to {}: {}", to_string(output.kind), output.id,
                                   output.target, error.message());
    Status failure(error.code(), output.url ? output.url->scrub(text) : text);
    if (output.kind == OutputKind::kRtmp && output.failures < output.rtmp.reconnect_attempts &&
        !stopping_) {
        int attempt = ++output.failures;
        auto delay = output.rtmp.initial_backoff;
        for (int i = 1; i < attempt && delay < output.rtmp.max_backoff; ++i) {
            delay *= 2;
        }
        delay = std::min(delay, output.rtmp.max_backoff);
        logger_.warn("{}; connecting again in {} ms (attempt {} of {})", failure.message(),
                     delay.count(), attempt, output.rtmp.reconnect_attempts);
        output.retry =
            Timer::once(engine_.context(), delay, [this, id = output.id] { reconnect(id); });
        if (listener_ != nullptr) {
            std::string id = output.id; // the listener may destroy this stream, output and all
            listener_->on_output_reconnecting(*this, id, failure, attempt, delay);
        }
        return;
    }
    logger_.error("{}; output removed", failure.message());
    std::string id = output.id;
    outputs_.erase(id); // `output` is gone
    if (listener_ != nullptr) {
        listener_->on_output_failed(*this, id, failure); // may destroy this: last
    }
}

void LiveStream::reconnect(const std::string& id) {
    auto found = outputs_.find(id);
    if (found == outputs_.end()) {
        return;
    }
    logger_.info("output {}: connecting again to {}", id, found->second->target);
    if (Status attached = attach(*found->second); !attached) {
        fail(*found->second, attached); // counts as one more failed attempt
    }
}

void LiveStream::on_branch_warning(const std::string& bin_name, const Status& warning) {
    for (const auto& [id, output] : outputs_) {
        if (output->branch.name() == bin_name) {
            std::string text = fmt::format("{} output {} to {}: {}", to_string(output->kind), id,
                                           output->target, warning.message());
            logger_.warn("{}", output->url ? output->url->scrub(text) : text);
            return;
        }
    }
}

void LiveStream::on_branch_drained(const std::string& bin_name) {
    for (std::size_t i = 0; i < draining_.size(); ++i) {
        if (draining_[i]->branch.name() == bin_name) {
            logger_.debug("{} drained", bin_name);
            finish_drain(i);
            return;
        }
    }
}

void LiveStream::finish_drain(std::size_t index) {
    std::unique_ptr<Draining> done = std::move(draining_[index]);
    draining_.erase(draining_.begin() + static_cast<std::ptrdiff_t>(index));
    done->timeout.reset();
    detach(done->branch);
    maybe_finish_stop();
}

void LiveStream::stop(std::function<void()> done) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (done) {
        stop_callbacks_.push_back(std::move(done));
    }
    if (stopping_) {
        maybe_finish_stop();
        return;
    }
    stopping_ = true;
    logger_.info("stopping: draining {} output(s)", outputs_.size());
    for (auto& [id, output] : outputs_) {
        output->retry.reset();
        output->stable.reset();
        if (output->branch.out.bin) {
            drain(std::move(output->branch), output->url);
        }
    }
    outputs_.clear();
    maybe_finish_stop();
}

void LiveStream::maybe_finish_stop() {
    if (!stopping_ || !draining_.empty()) {
        return;
    }
    if (!stopped_) {
        stopped_ = true;
        video_link_->reset();
        audio_link_->reset();
        if (pipeline_->state() == PipelineState::kPlaying) {
            pipeline_->stop(nullptr, Pipeline::StopMode::kImmediate);
        }
        logger_.info("stopped");
    }
    std::vector<std::function<void()>> callbacks = std::move(stop_callbacks_);
    stop_callbacks_.clear();
    // A callback may destroy this stream: only locals from here on.
    for (auto& callback : callbacks) {
        callback();
    }
}

void LiveStream::on_pipeline_error(Pipeline& /*pipeline*/, const Status& error) {
    failed_ = true;
    logger_.error("failed: {}", error.message());
    video_link_->reset();
    audio_link_->reset();
    for (auto& [id, output] : outputs_) {
        output->retry.reset();
        output->stable.reset();
        detach(output->branch);
    }
    outputs_.clear();
    while (!draining_.empty()) {
        draining_.back()->timeout.reset();
        detach(draining_.back()->branch);
        draining_.pop_back();
    }
    std::vector<std::function<void()>> callbacks = std::move(stop_callbacks_);
    stop_callbacks_.clear();
    // A stop in progress ends here; its callbacks, like the listener, may destroy this stream.
    std::weak_ptr<int> alive = alive_;
    Listener* listener = listener_;
    for (auto& callback : callbacks) {
        callback();
    }
    if (!alive.expired() && listener != nullptr) {
        listener->on_stream_failed(*this, error);
    }
}

void LiveStream::on_pipeline_eos(Pipeline& /*pipeline*/) {
    // Every sink in the pipeline is at EOS: the last output drained. The encoders go on.
    logger_.debug("no output attached");
}

} // namespace conf
