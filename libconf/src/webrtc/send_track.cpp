#include "webrtc/send_track.hpp"

#include "core/g_unique.hpp"
#include "webrtc/rtp_rewrite.hpp"

#include <fmt/format.h>
#include <gst/app/gstappsrc.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>

#include <cstdlib>
#include <cstring>
#include <string_view>

namespace conf {

namespace {

// Queue bound per forwarded track: ~1 s of 2.5 Mbps video. Beyond it the oldest go.
constexpr guint64 kMaxQueuedBytes = 320 * 1024;

} // namespace

Result<std::shared_ptr<SendTrack>> SendTrack::create(GstBin* pipeline, GstElement* webrtcbin,
                                                     unsigned mline, const OfferedFormat& format,
                                                     std::string id) {
    return build(pipeline, webrtcbin, fmt::format("sink_{}", mline), format, std::move(id), 0);
}

Result<std::shared_ptr<SendTrack>> SendTrack::create_offered(GstBin* pipeline,
                                                             GstElement* webrtcbin,
                                                             const OfferedFormat& format,
                                                             std::string id, std::uint32_t ssrc) {
    return build(pipeline, webrtcbin, "sink_%u", format, std::move(id), ssrc);
}

Result<std::shared_ptr<SendTrack>> SendTrack::build(GstBin* pipeline, GstElement* webrtcbin,
                                                    const std::string& pad_name,
                                                    const OfferedFormat& format, std::string id,
                                                    std::uint32_t ssrc) {
    std::shared_ptr<SendTrack> track(
        new SendTrack(std::move(id), 0, *format.codec, static_cast<guint8>(format.payload_type)));
    track->pipeline_ = GRef<GstElement>::ref(GST_ELEMENT(pipeline));
    track->webrtcbin_ = GRef<GstElement>::ref(webrtcbin);
    track->appsrc_ = GRef<GstElement>::adopt(
        gst_element_factory_make("appsrc", fmt::format("send-{}", track->id_).c_str()));
    if (!track->appsrc_) {
        return unavailable("the appsrc element is missing (gstreamer1.0-plugins-base)");
    }
    auto caps = rtp_caps_for(format);
    if (ssrc != 0) {
        // An offer announces it (a=ssrc): that is how the peer tells bundled m-lines apart.
        gst_caps_set_simple(caps.get(), "ssrc", G_TYPE_UINT, ssrc, nullptr);
    }
    g_object_set(track->appsrc_.get(), "caps", caps.get(), "is-live", TRUE, "format",
                 GST_FORMAT_TIME, "do-timestamp", FALSE, "max-bytes", kMaxQueuedBytes, "block",
                 FALSE, "leaky-type", GST_APP_LEAKY_TYPE_DOWNSTREAM, nullptr);
    gst_bin_add(pipeline, track->appsrc_.get());

    track->webrtc_pad_ =
        GRef<GstPad>::adopt(gst_element_request_pad_simple(webrtcbin, pad_name.c_str()));
    auto src = GRef<GstPad>::adopt(gst_element_get_static_pad(track->appsrc_.get(), "src"));
    if (!track->webrtc_pad_ ||
        gst_pad_link(src.get(), track->webrtc_pad_.get()) != GST_PAD_LINK_OK) {
        gst_bin_remove(pipeline, track->appsrc_.get());
        return internal_error(fmt::format("cannot link a send track to webrtcbin {}", pad_name));
    }
    // webrtcbin numbers its sink pads after their m-line.
    track->mline_ = static_cast<unsigned>(
        std::strtoul(GST_PAD_NAME(track->webrtc_pad_.get()) + std::strlen("sink_"), nullptr, 10));
    GstWebRTCRTPTransceiver* raw = nullptr;
    g_object_get(track->webrtc_pad_.get(), "transceiver", &raw, nullptr);
    track->transceiver_ = GRef<GstWebRTCRTPTransceiver>::adopt(raw);
    if (track->transceiver_) {
        // Video: NACKed packets are resent from webrtcbin's RTX history. Not audio: browsers
        // refuse an audio m-line announcing an RTX SSRC group, and a late audio packet is
        // better concealed than resent. The caps are the codec preferences of an offer.
        bool video = format.codec->kind == MediaKind::kVideo;
        g_object_set(track->transceiver_.get(), "do-nack", video ? TRUE : FALSE, "direction",
                     GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, "codec-preferences", caps.get(),
                     nullptr);
    }
    track->keyframe_probe_ =
        add_probe(src.get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                  [weak = std::weak_ptr<SendTrack>(track)](GstPad*, GstPadProbeInfo* info) {
                      if (gst_video_event_is_force_key_unit(GST_PAD_PROBE_INFO_EVENT(info))) {
                          if (auto self = weak.lock()) {
                              self->request_keyframe();
                          }
                      }
                      return GST_PAD_PROBE_OK;
                  });
    gst_element_sync_state_with_parent(track->appsrc_.get());
    return track;
}

SendTrack::~SendTrack() = default;

void SendTrack::attach(ReceivedTrack& source, std::shared_ptr<SendTrack> self) {
    std::lock_guard lock(subscription_mutex_);
    subscription_ = source.subscribe(std::move(self));
    subscription_.request_keyframe();
}

void SendTrack::detach() {
    {
        std::lock_guard lock(subscription_mutex_);
        subscription_.reset();
    }
    keyframe_probe_.remove();
    if (webrtc_pad_) {
        gst_element_release_request_pad(webrtcbin_.get(), webrtc_pad_.get());
        webrtc_pad_.reset();
    }
}

void SendTrack::deactivate() {
    {
        std::lock_guard lock(subscription_mutex_);
        subscription_.reset();
    }
    if (transceiver_) {
        g_object_set(transceiver_.get(), "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_INACTIVE,
                     nullptr);
    }
}

void SendTrack::request_keyframe() {
    std::lock_guard lock(subscription_mutex_);
    subscription_.request_keyframe();
}

void SendTrack::push_rtp(GstBuffer* rtp) {
    GstClockTime base_time = gst_element_get_base_time(pipeline_.get());
    GRef<GstBuffer> buffer = rewrite_for_subscriber(rtp, payload_type_);
    GstClockTime pts = GST_BUFFER_PTS(buffer.get());
    GST_BUFFER_PTS(buffer.get()) =
        GST_CLOCK_TIME_IS_VALID(pts) && pts >= base_time ? pts - base_time : GST_CLOCK_TIME_NONE;
    packets_.fetch_add(1, std::memory_order_relaxed);
    // The queue is full when this peer's sending thread lags: appsrc drops the oldest packet
    // to make room (leaky); count it, the peer sees the loss as a gap.
    auto* appsrc = GST_APP_SRC(appsrc_.get());
    if (gst_app_src_get_current_level_bytes(appsrc) + gst_buffer_get_size(buffer.get()) >
        kMaxQueuedBytes) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
    }
    gst_app_src_push_buffer(appsrc, buffer.release());
}

} // namespace conf
