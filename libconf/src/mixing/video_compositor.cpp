#include "mixing/video_compositor.hpp"

#include "webrtc/appsrc_feed.hpp"

#include "core/g_unique.hpp"

#include <fmt/format.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

#include <algorithm>
#include <mutex>
#include <optional>

namespace conf {

namespace {

// Per input: what may queue in the appsrc (~1.5 s of 2.5 Mbps video) before the oldest goes.
constexpr guint64 kMaxInputQueueBytes = guint64{512} * 1024;
constexpr std::string_view kInputPrefix = "input-";

// Decoders per codec, named explicitly like the rest of the codec table.

guint64 to_ns(std::chrono::milliseconds ms) {
    return static_cast<guint64>(ms.count()) * GST_MSECOND;
}

} // namespace

// Where a source's RTP enters an input: a copy stamped with its arrival time on this
// pipeline's clock (what the jitterbuffer expects), pushed into the appsrc, which drops its
// oldest packets rather than block the source's streaming thread.
class VideoCompositor::Feed final : public RtpSink {
  public:
    Feed(GRef<GstElement> appsrc, GRef<GstElement> pipeline, GRef<GstClock> clock)
        : appsrc_(std::move(appsrc)), pipeline_(std::move(pipeline)), clock_(std::move(clock)) {}

    void push_rtp(GstBuffer* rtp) override {
        GstClockTime now = gst_clock_get_time(clock_.get());
        GstClockTime base = gst_element_get_base_time(pipeline_.get());
        if (now < base) {
            return;
        }
        // Metadata copied, payload memory shared.
        auto copy = GRef<GstBuffer>::adopt(gst_buffer_copy(rtp));
        GST_BUFFER_PTS(copy.get()) = now - base;
        GST_BUFFER_DTS(copy.get()) = now - base;
        gst_app_src_push_buffer(GST_APP_SRC(appsrc_.get()), copy.release());
    }

  private:
    GRef<GstElement> appsrc_;
    GRef<GstElement> pipeline_;
    GRef<GstClock> clock_;
};

struct VideoCompositor::Input {
    std::string member_id;
    GRef<GstElement> bin;        // "input-<member>"
    GRef<GstPad> compositor_pad; // the compositor's request pad, released by release()
    // The subscription to the source, shared with the keyframe probe's streaming thread.
    std::shared_ptr<ReceivedTrack::SharedSubscription> link =
        std::make_shared<ReceivedTrack::SharedSubscription>();
    ProbeConnection keyframe_probe;
    ProbeConnection latency_probe;   // on the bin's ghost src pad
    std::optional<Assignment> shown; // what the pad shows now; nullopt while hidden
};

VideoCompositor::VideoCompositor(Engine::Impl& engine, VideoCompositorOptions options,
                                 Listener* listener)
    : engine_(engine), options_(std::move(options)), listener_(listener),
      logger_(Logger("mixing").with("compositor", options_.name)), canvas_(options_.layout.canvas),
      planner_(options_.layout, options_.planner) {}

Result<std::unique_ptr<VideoCompositor>>
VideoCompositor::create(Engine::Impl& engine, VideoCompositorOptions options, Listener* listener) {
    CONF_ASSERT_MEDIA_THREAD(engine);
    if (Status valid = validate(options.layout); !valid) {
        return valid;
    }
    if (options.name.empty() || options.bitrate_kbps <= 0 || options.threads <= 0 ||
        options.keyframe_interval.count() <= 0 || options.input_latency.count() < 0 ||
        options.latency.count() < 0 || options.payload_type < 96 || options.payload_type > 127) {
        return invalid_argument("compositor options: a name, a positive bitrate, threads and "
                                "keyframe interval, latencies >= 0 and a dynamic payload type "
                                "(96-127) are required");
    }
    if (options.show_names &&
        !GRef<GstElementFactory>::adopt(gst_element_factory_find("textoverlay"))) {
        return Status(StatusCode::kUnimplemented,
                      "names under tiles need the textoverlay element (Debian: gstreamer1.0-x)");
    }
    std::unique_ptr<VideoCompositor> compositor(
        new VideoCompositor(engine, std::move(options), listener));
    if (Status built = compositor->build(); !built) {
        return built.with_context(fmt::format("compositor {}", compositor->options_.name));
    }
    return compositor;
}

Status VideoCompositor::build() {
    if (Status output = build_output(); !output) {
        return output;
    }
    // Errors inside an input's bin are that input's: they are taken off the bus before the
    // pipeline sees them (which would stop everything) and end only that input.
    struct BusContext {
        Engine::Impl* engine;
        std::weak_ptr<int> alive;
        VideoCompositor* self;
        GstElement* pipeline; // borrowed: the bus is the pipeline's
    };
    auto bus = GRef<GstBus>::adopt(gst_element_get_bus(GST_ELEMENT(pipeline_->get())));
    gst_bus_set_sync_handler(
        bus.get(),
        [](GstBus*, GstMessage* message, gpointer data) noexcept -> GstBusSyncReply {
            if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ERROR) {
                return GST_BUS_PASS;
            }
            const auto* context = static_cast<const BusContext*>(data);
            // The pipeline's child the error came from (the source or one of its parents).
            std::string child;
            auto node = GRef<GstObject>::ref(GST_MESSAGE_SRC(message));
            while (node) {
                auto parent = GRef<GstObject>::adopt(gst_object_get_parent(node.get()));
                if (parent && parent.get() == GST_OBJECT(context->pipeline)) {
                    GUnique<gchar> name(gst_object_get_name(node.get()));
                    child = name ? name.get() : "";
                    break;
                }
                node = std::move(parent);
            }
            if (!child.starts_with(kInputPrefix)) {
                return GST_BUS_PASS;
            }
            Status error = status_from_message(message);
            (void)context->engine->post(
                [alive = context->alive, self = context->self, child, error] {
                    if (!alive.expired()) {
                        self->on_input_error(child, error);
                    }
                });
            // A sync handler that drops a message owns it (GstBusSyncHandler's contract).
            GRef<GstMessage>::adopt(message).reset();
            return GST_BUS_DROP;
        },
        new BusContext{&engine_, alive_, this, GST_ELEMENT(pipeline_->get())},
        [](gpointer data) noexcept { delete static_cast<BusContext*>(data); });
    pipeline_->set_listener(this);
    if (Status started = pipeline_->start(); !started) {
        return started;
    }
    logger_.info("started: {}x{}@{}/{}, VP8 {} kbps, layout {}", canvas_.width, canvas_.height,
                 canvas_.fps_num, canvas_.fps_den, options_.bitrate_kbps, options_.layout.name);
    replan();
    return Status::ok();
}

Status VideoCompositor::build_output() {
    guint32 ssrc = g_random_int_range(1, G_MAXINT32);
    int keyframe_distance =
        std::max<int>(1, static_cast<int>(options_.keyframe_interval.count() * canvas_.fps_num /
                                          (1000 * static_cast<std::int64_t>(canvas_.fps_den))));
    // force-live: frames come on the clock even with no input. The latency covers any
    // input's (its jitterbuffer, then decoding), fixed now so that no join ever changes it.
    std::string description = fmt::format(
        "compositor name=compositor background=black force-live=true ignore-inactive-pads=true "
        "min-upstream-latency={} latency={} "
        "! video/x-raw,format=I420,width={},height={},framerate={}/{},pixel-aspect-ratio=1/1 "
        "! queue name=encode-queue max-size-buffers=3 max-size-bytes=0 max-size-time=0 "
        "leaky=downstream "
        "! vp8enc name=encoder deadline=1 cpu-used={} threads={} target-bitrate={} "
        "end-usage=cbr keyframe-max-dist={} lag-in-frames=0 error-resilient=default "
        "! rtpvp8pay name=payloader pt={} ssrc={} picture-id-mode=15-bit mtu=1200 "
        "! fakesink name=sink sync=false async=false enable-last-sample=false",
        to_ns(options_.input_latency), to_ns(options_.latency), canvas_.width, canvas_.height,
        canvas_.fps_num, canvas_.fps_den, options_.cpu_used, options_.threads,
        options_.bitrate_kbps * 1000, keyframe_distance, options_.payload_type, ssrc);
    auto pipeline = Pipeline::parse(engine_, "compositor-" + options_.name, description);
    if (!pipeline) {
        return pipeline.status();
    }
    pipeline_ = std::move(pipeline).value();
    // The system clock, like every other pipeline here, so RTP timestamps compare.
    clock_ = GRef<GstClock>::adopt(gst_system_clock_obtain());
    gst_pipeline_use_clock(pipeline_->get(), clock_.get());
    compositor_ = pipeline_->element("compositor");
    auto payloader = pipeline_->element("payloader");
    auto pad = GRef<GstPad>::adopt(gst_element_get_static_pad(payloader.get(), "src"));
    auto caps = GRef<GstCaps>::adopt(
        gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "video", "encoding-name",
                            G_TYPE_STRING, "VP8", "clock-rate", G_TYPE_INT, 90000, "payload",
                            G_TYPE_INT, options_.payload_type, "ssrc", G_TYPE_UINT, ssrc, nullptr));
    // A keyframe request on the output (a subscriber's PLI) travels upstream from this pad to
    // vp8enc as a force-key-unit event: the encoder's next frame is a keyframe.
    output_ = std::make_unique<ReceivedTrack>(options_.name + "-video", *find_codec("VP8"),
                                              std::move(caps), std::move(pad),
                                              GRef<GstElement>::ref(GST_ELEMENT(pipeline_->get())));
    return Status::ok();
}

VideoCompositor::~VideoCompositor() {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    replan_timer_.reset();
    alive_.reset();
    for (auto& input : inputs_) {
        input->link->reset();
        input->keyframe_probe.remove();
        input->latency_probe.remove();
    }
    if (pipeline_) {
        auto bus = GRef<GstBus>::adopt(gst_element_get_bus(GST_ELEMENT(pipeline_->get())));
        gst_bus_set_sync_handler(bus.get(), nullptr, nullptr, nullptr);
        pipeline_->set_listener(nullptr);
        pipeline_.reset(); // to NULL
    }
    for (auto& input : inputs_) {
        if (input->compositor_pad) {
            gst_element_release_request_pad(compositor_.get(), input->compositor_pad.get());
        }
    }
    inputs_.clear();
    output_.reset();
}

Result<std::unique_ptr<VideoCompositor::Input>>
VideoCompositor::build_input(const std::string& member_id, ReceivedTrack& track,
                             const std::string& label_text) {
    std::string_view decoder = track.codec().decoder;
    if (decoder.empty()) {
        return Status(StatusCode::kUnimplemented,
                      fmt::format("no decoder for {}", track.codec().name));
    }
    std::string parser =
        track.codec().parser.empty() ? "" : fmt::format("{} ! ", track.codec().parser);
    std::string label = options_.show_names
                            ? " ! textoverlay name=label valignment=bottom halignment=center "
                              "shaded-background=true ypad=4 font-desc=\"Sans 12\""
                            : "";
    std::string description = fmt::format(
        "appsrc name=src is-live=true format=time do-timestamp=false block=false max-bytes={} "
        "leaky-type=downstream "
        "! rtpjitterbuffer name=jitterbuffer latency={} do-lost=true drop-on-latency=true "
        "! {} name=depayloader ! {}{} name=decoder ! videoconvert name=convert "
        "! videoscale name=scale ! capsfilter name=size{}",
        kMaxInputQueueBytes, options_.input_latency.count(), track.codec().depayloader, parser,
        decoder, label);
    GUnique<GError> error;
    // Only the last element's src pad is ghosted: ghosting every unlinked pad would also
    // expose textoverlay's text_sink, and a linked text_sink makes it wait for text forever.
    auto bin = GRef<GstElement>::adopt(gst_parse_bin_from_description_full(
        description.c_str(), FALSE, nullptr, GST_PARSE_FLAG_FATAL_ERRORS, error.out()));
    if (!bin || error) {
        return unavailable(fmt::format("cannot build the input for {}: {}", member_id,
                                       error ? error->message : "unknown error"));
    }
    auto last = GRef<GstElement>::adopt(
        gst_bin_get_by_name(GST_BIN(bin.get()), options_.show_names ? "label" : "size"));
    auto last_src = GRef<GstPad>::adopt(gst_element_get_static_pad(last.get(), "src"));
    gst_element_add_pad(bin.get(), gst_ghost_pad_new("src", last_src.get()));
    auto input = std::make_unique<Input>();
    input->member_id = member_id;
    input->bin = std::move(bin);
    gst_object_set_name(GST_OBJECT(input->bin.get()),
                        (std::string(kInputPrefix) + member_id).c_str());
    GstBin* inner = GST_BIN(input->bin.get());
    auto appsrc = GRef<GstElement>::adopt(gst_bin_get_by_name(inner, "src"));
    g_object_set(appsrc.get(), "caps", track.caps(), nullptr);
    configure_live_decoding(
        GRef<GstElement>::adopt(gst_bin_get_by_name(inner, "depayloader")).get(),
        GRef<GstElement>::adopt(gst_bin_get_by_name(inner, "decoder")).get());
    if (options_.show_names) {
        auto label_element = GRef<GstElement>::adopt(gst_bin_get_by_name(inner, "label"));
        const std::string& text = label_text.empty() ? member_id : label_text;
        g_object_set(label_element.get(), "text", text.c_str(), nullptr);
    }
    // Square pixels, and nothing larger than the canvas: a big picture is scaled down here,
    // in the input's own thread, once per frame. The compositor scales it into its tile.
    auto size = GRef<GstCaps>::adopt(
        gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "pixel-aspect-ratio",
                            GST_TYPE_FRACTION, 1, 1, "width", GST_TYPE_INT_RANGE, 2, canvas_.width,
                            "height", GST_TYPE_INT_RANGE, 2, canvas_.height, nullptr));
    auto size_filter = GRef<GstElement>::adopt(gst_bin_get_by_name(inner, "size"));
    g_object_set(size_filter.get(), "caps", size.get(), nullptr);

    input->keyframe_probe = forward_keyframe_requests(appsrc.get(), input->link);

    if (!gst_bin_add(pipeline_->bin(), input->bin.get())) {
        return already_exists(fmt::format("an element named input-{} exists", member_id));
    }
    input->compositor_pad =
        GRef<GstPad>::adopt(gst_element_request_pad_simple(compositor_.get(), "sink_%u"));
    auto ghost = GRef<GstPad>::adopt(gst_element_get_static_pad(input->bin.get(), "src"));
    if (!input->compositor_pad || !ghost ||
        gst_pad_link(ghost.get(), input->compositor_pad.get()) != GST_PAD_LINK_OK) {
        release(*input);
        return internal_error(fmt::format("cannot link the input for {}", member_id));
    }
    // The output's latency was fixed at creation and stays so: an input that reports more
    // (a decoder holding frames back) would otherwise move every output frame later, a
    // visible stall for everyone. Its frames come late instead, which costs only itself.
    input->latency_probe = add_probe(
        ghost.get(),
        static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_QUERY_UPSTREAM | GST_PAD_PROBE_TYPE_PULL),
        [cap = to_ns(options_.input_latency)](GstPad*, GstPadProbeInfo* info) {
            GstQuery* query = GST_PAD_PROBE_INFO_QUERY(info);
            if (GST_QUERY_TYPE(query) == GST_QUERY_LATENCY) {
                gboolean live = FALSE;
                GstClockTime min = 0;
                GstClockTime max = 0;
                gst_query_parse_latency(query, &live, &min, &max);
                if (min > cap) {
                    gst_query_set_latency(query, live, cap, max);
                }
            }
            return GST_PAD_PROBE_OK;
        });
    // Hidden until the planner places it; the picture keeps its aspect ratio in any rectangle.
    gst_util_set_object_arg(G_OBJECT(input->compositor_pad.get()), "sizing-policy",
                            "keep-aspect-ratio");
    g_object_set(input->compositor_pad.get(), "alpha", 0.0, nullptr);
    if (!gst_element_sync_state_with_parent(input->bin.get())) {
        release(*input);
        return internal_error(fmt::format("the input for {} cannot start", member_id));
    }
    input->link->set(track.subscribe(std::make_shared<Feed>(
        std::move(appsrc), GRef<GstElement>::ref(GST_ELEMENT(pipeline_->get())), clock_)));
    // Decoding starts at a keyframe.
    input->link->request_keyframe();
    return input;
}

void VideoCompositor::release(Input& input) {
    // Order matters: no more packets; then the compositor's pad goes, which unlinks the input
    // and unblocks a streaming thread waiting on that pad; then the input stops. The output's
    // streaming thread never waits for an input, so it runs on throughout.
    input.link->reset();
    input.keyframe_probe.remove();
    input.latency_probe.remove();
    if (input.compositor_pad) {
        gst_element_release_request_pad(compositor_.get(), input.compositor_pad.get());
        input.compositor_pad.reset();
    }
    if (input.bin) {
        gst_element_set_locked_state(input.bin.get(), TRUE);
        gst_element_set_state(input.bin.get(), GST_STATE_NULL);
        if (GRef<GstObject>::adopt(gst_object_get_parent(GST_OBJECT(input.bin.get())))) {
            gst_bin_remove(pipeline_->bin(), input.bin.get());
        }
    }
}

Status VideoCompositor::add_input(const std::string& member_id, ReceivedTrack& track, bool screen,
                                  const std::string& label) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (member_id.empty()) {
        return invalid_argument("an input needs a member id");
    }
    if (track.kind() != MediaKind::kVideo) {
        return invalid_argument(fmt::format("track {} of {} is not video", track.id(), member_id));
    }
    if (find(member_id) != nullptr) {
        return already_exists(fmt::format("{} is already an input", member_id));
    }
    if (pipeline_->state() != PipelineState::kPlaying) {
        return failed_precondition(
            fmt::format("the compositor is {}", to_string(pipeline_->state())));
    }
    auto input = build_input(member_id, track, label);
    if (!input) {
        return input.status();
    }
    inputs_.push_back(std::move(input).value());
    planner_.upsert({member_id, true, screen});
    logger_.info("input {} ({} {}{})", member_id, track.id(), track.codec().name,
                 screen ? ", screen" : "");
    replan();
    return Status::ok();
}

Status VideoCompositor::remove_input(const std::string& member_id) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    auto it = std::find_if(inputs_.begin(), inputs_.end(),
                           [&](const auto& input) { return input->member_id == member_id; });
    if (it == inputs_.end()) {
        return not_found(fmt::format("{} is not an input", member_id));
    }
    release(**it);
    inputs_.erase(it);
    planner_.remove(member_id);
    logger_.info("input {} removed", member_id);
    replan();
    return Status::ok();
}

Status VideoCompositor::set_layout(Layout layout) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (Status valid = validate(layout); !valid) {
        return valid;
    }
    if (!(layout.canvas == canvas_)) {
        return invalid_argument(fmt::format(
            "layout {} is for a {}x{}@{}/{} canvas; this compositor's is {}x{}@{}/{}", layout.name,
            layout.canvas.width, layout.canvas.height, layout.canvas.fps_num, layout.canvas.fps_den,
            canvas_.width, canvas_.height, canvas_.fps_num, canvas_.fps_den));
    }
    logger_.info("layout {}", layout.name);
    planner_.set_layout(std::move(layout));
    replan();
    return Status::ok();
}

void VideoCompositor::set_active_speaker(const std::string& member_id) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    planner_.set_active_speaker(member_id, LayoutClock::now());
    replan();
}

void VideoCompositor::set_locked(bool locked) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    logger_.info("layout {}", locked ? "locked" : "unlocked");
    planner_.set_locked(locked);
    replan();
}

std::vector<std::string> VideoCompositor::inputs() const {
    std::vector<std::string> ids;
    ids.reserve(inputs_.size());
    for (const auto& input : inputs_) {
        ids.push_back(input->member_id);
    }
    return ids;
}

VideoCompositor::Input* VideoCompositor::find(const std::string& member_id) {
    for (auto& input : inputs_) {
        if (input->member_id == member_id) {
            return input.get();
        }
    }
    return nullptr;
}

void VideoCompositor::replan() {
    LayoutTime now = LayoutClock::now();
    bool changed = planner_.update(now);
    if (changed && logger_.enabled(GST_LEVEL_DEBUG)) {
        std::string placed;
        for (const Assignment& a : planner_.assignments()) {
            placed += fmt::format(" {}@{},{} {}x{} z{}", a.participant, a.rect.x, a.rect.y,
                                  a.rect.width, a.rect.height, a.z);
        }
        logger_.debug("layout {}:{}", planner_.layout().name, placed);
    }
    for (auto& input : inputs_) {
        apply(*input, planner_.assignment_of(input->member_id));
    }
    replan_timer_.reset();
    if (auto next = planner_.next_change()) {
        auto delay = std::chrono::ceil<std::chrono::milliseconds>(*next - now);
        replan_timer_ = Timer::once(
            engine_.context(), std::max(delay, std::chrono::milliseconds(1)), [this] { replan(); });
    }
    if (changed && listener_ != nullptr) {
        listener_->on_layout_changed(*this);
    }
}

void VideoCompositor::apply(Input& input, const Assignment* assignment) {
    if (assignment == nullptr) {
        if (input.shown) {
            // The compositor neither scales nor blends a pad at alpha 0.
            g_object_set(input.compositor_pad.get(), "alpha", 0.0, nullptr);
            input.shown.reset();
        }
        return;
    }
    if (input.shown && *input.shown == *assignment) {
        return;
    }
    // Only the pad changes: the compositor scales into the new rectangle from its next frame.
    // A size change upstream instead would renegotiate caps, and GstVideoAggregator (1.22)
    // skips an output cycle on every caps change: a visible hitch at each speaker switch.
    const PixelRect& r = assignment->rect;
    g_object_set(input.compositor_pad.get(), "xpos", r.x, "ypos", r.y, "width", r.width, "height",
                 r.height, "zorder", assignment->z, "alpha", 1.0, nullptr);
    input.shown = *assignment;
}

void VideoCompositor::on_input_error(const std::string& bin_name, const Status& error) {
    std::string member_id = bin_name.substr(kInputPrefix.size());
    if (find(member_id) == nullptr) {
        return; // already removed
    }
    logger_.warn("input {} failed, removing it: {}", member_id, error.message());
    (void)remove_input(member_id);
    if (listener_ != nullptr) {
        listener_->on_compositor_input_failed(*this, member_id, error);
    }
}

void VideoCompositor::on_pipeline_error(Pipeline& /*pipeline*/, const Status& error) {
    logger_.error("failed: {}", error.message());
    replan_timer_.reset();
    if (listener_ != nullptr) {
        listener_->on_compositor_failed(*this, error);
    }
}

} // namespace conf
