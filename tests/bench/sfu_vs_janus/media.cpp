#include "media.hpp"

#include "core/g_unique.hpp"

#include <fmt/format.h>
#include <gst/video/video.h>

#include <stdexcept>

namespace sfuload {

namespace {

constexpr const char* kVp8Caps =
    "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96";

conf::GRef<GstElement> parse_pipeline(const std::string& description) {
    conf::GUnique<GError> error;
    // Fatal errors: a missing element or an impossible link fails here, not halfway through.
    auto pipeline = conf::GRef<GstElement>::adopt(gst_parse_launch_full(
        description.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, error.out()));
    if (!pipeline || error) {
        throw std::runtime_error("the pipeline does not parse: " +
                                 std::string(error ? error->message : "unknown error") + "\n  " +
                                 description);
    }
    return pipeline;
}

conf::GRef<GstElement> child(GstElement* pipeline, const std::string& name) {
    auto element =
        conf::GRef<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(pipeline), name.c_str()));
    if (!element) {
        throw std::runtime_error("no element named " + name);
    }
    return element;
}

// Collects error messages; warnings go to stderr only.
gboolean on_bus_message(GstBus* /*bus*/, GstMessage* message, gpointer data) noexcept {
    auto* errors = static_cast<std::vector<std::string>*>(data);
    GstMessageType type = GST_MESSAGE_TYPE(message);
    if (type != GST_MESSAGE_ERROR && type != GST_MESSAGE_WARNING) {
        return G_SOURCE_CONTINUE;
    }
    conf::GUnique<GError> error;
    conf::GUnique<gchar> debug;
    if (type == GST_MESSAGE_ERROR) {
        gst_message_parse_error(message, error.out(), debug.out());
    } else {
        gst_message_parse_warning(message, error.out(), debug.out());
    }
    conf::GUnique<gchar> path(gst_object_get_path_string(GST_MESSAGE_SRC(message)));
    std::string text =
        fmt::format("{} from {}: {}", type == GST_MESSAGE_ERROR ? "error" : "warning", path.get(),
                    error ? error->message : "?");
    say(text);
    if (type == GST_MESSAGE_ERROR) {
        errors->push_back(std::move(text));
    }
    return G_SOURCE_CONTINUE;
}

guint watch_bus(GstElement* pipeline, std::vector<std::string>& errors) {
    auto bus = conf::GRef<GstBus>::adopt(gst_element_get_bus(pipeline));
    return gst_bus_add_watch(bus.get(), &on_bus_message, &errors);
}

void unwatch_bus(GstElement* pipeline, guint watch) {
    if (watch != 0) {
        auto bus = conf::GRef<GstBus>::adopt(gst_element_get_bus(pipeline));
        gst_bus_remove_watch(bus.get());
    }
}

} // namespace

PublisherPipeline::PublisherPipeline(int publishers, const EncoderSettings& settings,
                                     const std::string& ice_address) {
    // cpu-used=8 and one thread keep the (shared) encoder cheap; a moving pattern keeps the
    // encoder at its target bitrate. Each branch's queue leaks: a webrtcbin holds its input
    // until it is negotiated, and one publisher still negotiating must not stall the tee.
    std::string description =
        fmt::format("videotestsrc is-live=true pattern=smpte horizontal-speed=2 "
                    "! video/x-raw,width={},height={},framerate={}/1 "
                    "! vp8enc name=encoder deadline=1 cpu-used=8 threads=1 end-usage=cbr "
                    "target-bitrate={} keyframe-max-dist={} ! tee name=split allow-not-linked=true",
                    settings.width, settings.height, settings.framerate, settings.bitrate,
                    settings.keyframe_distance);
    for (int i = 0; i < publishers; ++i) {
        description +=
            fmt::format(" split. ! queue name=queue-pub-{0} leaky=downstream max-size-buffers=60 "
                        "max-size-bytes=0 max-size-time=0 ! rtpvp8pay name=pay-pub-{0} pt=96 "
                        "picture-id-mode=15-bit ! {1} ! webrtcbin name=webrtcbin-pub-{0} "
                        "bundle-policy=max-bundle",
                        i, kVp8Caps);
    }
    pipeline_ = parse_pipeline(description);
    for (int i = 0; i < publishers; ++i) {
        auto webrtcbin = child(pipeline_.get(), fmt::format("webrtcbin-pub-{}", i));
        // Publishers only send.
        gst_element_foreach_sink_pad(
            webrtcbin.get(),
            [](GstElement*, GstPad* pad, gpointer) noexcept -> gboolean {
                GstWebRTCRTPTransceiver* transceiver = nullptr;
                g_object_get(pad, "transceiver", &transceiver, nullptr);
                if (transceiver != nullptr) {
                    g_object_set(transceiver, "direction",
                                 GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, nullptr);
                    gst_object_unref(transceiver);
                }
                return TRUE;
            },
            nullptr);
        peers_.push_back(
            std::make_unique<Peer>(fmt::format("pub-{}", i), webrtcbin.get(), ice_address));
    }
    auto encoder = child(pipeline_.get(), "encoder");
    auto src = conf::GRef<GstPad>::adopt(gst_element_get_static_pad(encoder.get(), "src"));
    encoder_probe_ = conf::add_probe(
        src.get(), GST_PAD_PROBE_TYPE_BUFFER,
        [counters = counters_](GstPad*, GstPadProbeInfo* info) -> GstPadProbeReturn {
            GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
            counters->frames.fetch_add(1);
            if (!GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT)) {
                counters->keyframes.fetch_add(1);
            }
            return GST_PAD_PROBE_OK;
        });
    bus_watch_ = watch_bus(pipeline_.get(), errors_);
}

PublisherPipeline::~PublisherPipeline() {
    encoder_probe_.remove();
    gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
    unwatch_bus(pipeline_.get(), bus_watch_);
}

void PublisherPipeline::start() {
    if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        errors_.emplace_back("the publishers' pipeline cannot start");
    }
}

SubscriberPipeline::SubscriberPipeline(std::string name, bool offer_vp8,
                                       const std::string& ice_address)
    : name_(std::move(name)) {
    // A 50 ms jitterbuffer (webrtcbin's default is 200 ms): enough on loopback, and it adds
    // less to the join → first frame time, the same for every server.
    pipeline_ = conf::GRef<GstElement>::adopt(gst_pipeline_new(name_.c_str()));
    webrtcbin_ = conf::GRef<GstElement>::adopt(
        gst_element_factory_make("webrtcbin", ("webrtcbin-" + name_).c_str()));
    if (!pipeline_ || !webrtcbin_) {
        throw std::runtime_error(name_ + ": no webrtcbin (gstreamer1.0-plugins-bad)");
    }
    gst_util_set_object_arg(G_OBJECT(webrtcbin_.get()), "bundle-policy", "max-bundle");
    g_object_set(webrtcbin_.get(), "latency", 50, nullptr);
    gst_bin_add(GST_BIN(pipeline_.get()), GST_ELEMENT(gst_object_ref(webrtcbin_.get())));
    if (offer_vp8) {
        auto caps = conf::GRef<GstCaps>::adopt(gst_caps_from_string(kVp8Caps));
        GstWebRTCRTPTransceiver* transceiver = nullptr;
        g_signal_emit_by_name(webrtcbin_.get(), "add-transceiver",
                              GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps.get(),
                              &transceiver);
        if (transceiver == nullptr) {
            throw std::runtime_error(name_ + ": webrtcbin refused a recvonly VP8 transceiver");
        }
        gst_object_unref(transceiver);
    }
    peer_ = std::make_unique<Peer>(name_, webrtcbin_.get(), ice_address);
    // On a streaming thread, and linked right here: webrtcbin pushes as soon as the pad is
    // added, and an unlinked pad would fail the stream.
    pad_added_ = conf::connect_signal<GstPad*>(webrtcbin_.get(), "pad-added",
                                               [this](GstPad* pad) { link_decoder(pad); });
    bus_watch_ = watch_bus(pipeline_.get(), errors_);
}

SubscriberPipeline::~SubscriberPipeline() {
    pad_added_.disconnect();
    {
        std::lock_guard lock(state_->mutex);
        state_->frame_probe.remove();
    }
    gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
    unwatch_bus(pipeline_.get(), bus_watch_);
}

void SubscriberPipeline::start() {
    if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        errors_.push_back(name_ + ": the pipeline cannot start");
    }
}

void SubscriberPipeline::on_first_frame(std::function<void()> fn) {
    first_frame_listener_ = std::move(fn);
}

void SubscriberPipeline::link_decoder(GstPad* pad) {
    if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) {
        return;
    }
    std::lock_guard lock(state_->mutex);
    if (state_->linked) {
        say(name_ + ": ignoring a second stream");
        return;
    }
    conf::GUnique<GError> error;
    // request-keyframe: ask (RTCP PLI, through webrtcbin) after a loss; wait-for-keyframe:
    // never hand the decoder a frame it cannot decode.
    auto branch = conf::GRef<GstElement>::adopt(gst_parse_bin_from_description(
        "rtpvp8depay request-keyframe=true wait-for-keyframe=true ! vp8dec name=decoder "
        "threads=1 ! fakesink sync=false async=false",
        TRUE, error.out()));
    if (!branch || error) {
        say(name_ + ": cannot build the decoder: " + (error ? error->message : "?"));
        return;
    }
    gst_bin_add(GST_BIN(pipeline_.get()), GST_ELEMENT(gst_object_ref(branch.get())));
    gst_element_sync_state_with_parent(branch.get());
    auto sink = conf::GRef<GstPad>::adopt(gst_element_get_static_pad(branch.get(), "sink"));
    if (GST_PAD_LINK_FAILED(gst_pad_link(pad, sink.get()))) {
        say(name_ + ": cannot link the decoder");
        return;
    }
    state_->linked = true;
    auto decoder = child(branch.get(), "decoder");
    auto src = conf::GRef<GstPad>::adopt(gst_element_get_static_pad(decoder.get(), "src"));
    state_->frame_probe =
        conf::add_probe(src.get(), GST_PAD_PROBE_TYPE_BUFFER,
                        [state = state_, alive = WeakAlive(alive_),
                         this](GstPad*, GstPadProbeInfo*) -> GstPadProbeReturn {
                            if (state->frames.fetch_add(1) == 0) {
                                state->first_frame_us.store(g_get_monotonic_time());
                                post_to_main([alive, this] {
                                    if (!alive.expired() && first_frame_listener_) {
                                        first_frame_listener_();
                                    }
                                });
                            }
                            return GST_PAD_PROBE_OK;
                        });
    // What a browser does for a new stream: ask for a keyframe at once rather than wait for
    // the sender's next one (the server decides whether it reaches the publisher).
    gst_pad_push_event(sink.get(),
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
}

} // namespace sfuload
