#include "rtp_av1_depay.hpp"

#include "av1_depacketizer.hpp"
#include "gst_handles.hpp"

#include <gst/rtp/gstrtpbuffer.h>
#include <gst/video/video-event.h>

#include <atomic>
#include <exception>
#include <new>
#include <utility>
#include <vector>

GST_DEBUG_CATEGORY_STATIC(conf_av1_depay_debug);
#define GST_CAT_DEFAULT conf_av1_depay_debug

namespace {

using namespace conf::av1;

constexpr gboolean kDefaultWaitForKeyframe = TRUE;
// Keyframe requests are repeated at most this often while the depayloader keeps dropping (the
// encoder needs one, not one per dropped packet); a key unit ends the wait.
constexpr gint64 kKeyframeRequestIntervalUs = 500 * G_TIME_SPAN_MILLISECOND;

enum { PROP_0, PROP_WAIT_FOR_KEYFRAME };

// The depayloader's state; constructed in init, destroyed in finalize.
struct DepayState {
    Depacketizer depacketizer{kDefaultWaitForKeyframe != FALSE};
    std::atomic<bool> wait_for_keyframe{kDefaultWaitForKeyframe != FALSE}; // the property
    gint64 last_keyframe_request_us = -1;                                  // streaming thread
};

} // namespace

struct _ConfRtpAv1Depay {
    GstRTPBaseDepayload parent;
    DepayState state;
};

G_DEFINE_TYPE(ConfRtpAv1Depay, conf_rtp_av1_depay, GST_TYPE_RTP_BASE_DEPAYLOAD)

namespace {

GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("application/x-rtp, media = (string) video, clock-rate = (int) 90000, "
                    "encoding-name = (string) AV1"));

GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS("video/x-av1, stream-format = (string) obu-stream, "
                                            "alignment = (string) tu"));

gboolean set_caps(GstRTPBaseDepayload* base, GstCaps* caps) noexcept {
    const GstStructure* s = gst_caps_get_structure(caps, 0);
    gint clock_rate = 90000;
    gst_structure_get_int(s, "clock-rate", &clock_rate);
    base->clock_rate = static_cast<guint>(clock_rate);
    // framerate=0/1 (variable, as RTP knows no frame rate), like rtpvp8depay: webmmux refuses
    // video caps without a framerate field.
    GstPtr<GstCaps> out(gst_caps_new_simple("video/x-av1", "stream-format", G_TYPE_STRING,
                                            "obu-stream", "alignment", G_TYPE_STRING, "tu",
                                            "framerate", GST_TYPE_FRACTION, 0, 1, nullptr));
    return gst_pad_set_caps(GST_RTP_BASE_DEPAYLOAD_SRCPAD(base), out.get());
}

void request_keyframe(ConfRtpAv1Depay* self) {
    gint64 now = g_get_monotonic_time();
    gint64& last = self->state.last_keyframe_request_us;
    if (last >= 0 && now - last < kKeyframeRequestIntervalUs) {
        return;
    }
    last = now;
    GST_INFO_OBJECT(self, "requesting a key frame upstream");
    gst_pad_push_event(GST_RTP_BASE_DEPAYLOAD_SINKPAD(self),
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
}

GstBuffer* to_buffer(TemporalUnit&& unit) {
    // The buffer takes over the vector: no copy of the unit's bytes.
    auto* data = new std::vector<std::uint8_t>(std::move(unit.data));
    GstBuffer* buffer = gst_buffer_new_wrapped_full(
        GST_MEMORY_FLAG_READONLY, data->data(), data->size(), 0, data->size(), data,
        [](gpointer owned) { delete static_cast<std::vector<std::uint8_t>*>(owned); });
    // Temporal units arrive in decoding order and each has one presentation time: DTS = PTS.
    GST_BUFFER_PTS(buffer) = unit.pts;
    GST_BUFFER_DTS(buffer) = unit.pts;
    if (unit.key) {
        GST_BUFFER_FLAG_UNSET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
    } else {
        GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
    }
    return buffer;
}

// Logs, asks for a key frame if needed, pushes all units but the last and returns the last, for
// the base class to push (so its flow return reaches upstream).
GstBuffer* deliver(ConfRtpAv1Depay* self, DepacketizeResult&& result) {
    for (const std::string& warning : result.warnings) {
        GST_WARNING_OBJECT(self, "%s", warning.c_str());
    }
    for (const std::string& note : result.notes) {
        GST_DEBUG_OBJECT(self, "%s", note.c_str());
    }
    GstBuffer* last = nullptr;
    for (TemporalUnit& unit : result.units) {
        if (unit.key) {
            // The request (if any) was answered: the next loss may ask again at once.
            self->state.last_keyframe_request_us = -1;
        }
        if (last != nullptr) {
            gst_rtp_base_depayload_push(GST_RTP_BASE_DEPAYLOAD(self), last);
        }
        GST_LOG_OBJECT(self, "temporal unit of %zu bytes, pts %" GST_TIME_FORMAT ", %s",
                       unit.data.size(), GST_TIME_ARGS(unit.pts), unit.key ? "key" : "delta");
        last = to_buffer(std::move(unit));
    }
    if (result.request_keyframe) {
        request_keyframe(self);
    }
    return last;
}

void sync_property(ConfRtpAv1Depay* self) {
    bool wait = self->state.wait_for_keyframe.load(std::memory_order_relaxed);
    if (self->state.depacketizer.wait_for_keyframe() != wait) {
        self->state.depacketizer.set_wait_for_keyframe(wait);
    }
}

GstBuffer* process_rtp_packet(GstRTPBaseDepayload* base, GstRTPBuffer* rtp) noexcept {
    auto* self = CONF_RTP_AV1_DEPAY(base);
    try {
        sync_property(self);
        RtpPacketView packet{
            Bytes(static_cast<const std::uint8_t*>(gst_rtp_buffer_get_payload(rtp)),
                  gst_rtp_buffer_get_payload_len(rtp)),
            gst_rtp_buffer_get_timestamp(rtp),
            gst_rtp_buffer_get_marker(rtp) != FALSE,
            GST_BUFFER_IS_DISCONT(rtp->buffer),
            GST_BUFFER_PTS(rtp->buffer),
        };
        return deliver(self, self->state.depacketizer.push(packet));
    } catch (const std::exception& e) {
        GST_ELEMENT_ERROR(self, CORE, FAILED, (nullptr), ("%s", e.what()));
        return nullptr;
    }
}

gboolean handle_event(GstRTPBaseDepayload* base, GstEvent* event) noexcept {
    auto* self = CONF_RTP_AV1_DEPAY(base);
    switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_EOS:
        try {
            // A last unit without its marker is still whole; the next timestamp never comes.
            if (GstBuffer* last = deliver(self, self->state.depacketizer.finish())) {
                gst_rtp_base_depayload_push(base, last);
            }
        } catch (const std::exception& e) {
            GST_WARNING_OBJECT(self, "cannot flush the last unit: %s", e.what());
        }
        break;
    case GST_EVENT_FLUSH_STOP:
        self->state.depacketizer.reset();
        break;
    default:
        break;
    }
    return GST_RTP_BASE_DEPAYLOAD_CLASS(conf_rtp_av1_depay_parent_class)->handle_event(base, event);
}

GstStateChangeReturn change_state(GstElement* element, GstStateChange transition) noexcept {
    GstStateChangeReturn ret =
        GST_ELEMENT_CLASS(conf_rtp_av1_depay_parent_class)->change_state(element, transition);
    if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
        auto* self = CONF_RTP_AV1_DEPAY(element);
        self->state.depacketizer.reset();
        self->state.last_keyframe_request_us = -1;
    }
    return ret;
}

void set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) noexcept {
    auto* self = CONF_RTP_AV1_DEPAY(object);
    switch (id) {
    case PROP_WAIT_FOR_KEYFRAME:
        self->state.wait_for_keyframe.store(g_value_get_boolean(value) != FALSE);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
        break;
    }
}

void get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) noexcept {
    auto* self = CONF_RTP_AV1_DEPAY(object);
    switch (id) {
    case PROP_WAIT_FOR_KEYFRAME:
        g_value_set_boolean(value, self->state.wait_for_keyframe.load() ? TRUE : FALSE);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
        break;
    }
}

void finalize(GObject* object) noexcept {
    CONF_RTP_AV1_DEPAY(object)->state.~DepayState();
    G_OBJECT_CLASS(conf_rtp_av1_depay_parent_class)->finalize(object);
}

} // namespace

static void conf_rtp_av1_depay_class_init(ConfRtpAv1DepayClass* klass) {
    GST_DEBUG_CATEGORY_INIT(conf_av1_depay_debug, "conf-av1depay", 0, "AV1 RTP depayloader");
    auto* object_class = G_OBJECT_CLASS(klass);
    auto* element_class = GST_ELEMENT_CLASS(klass);
    auto* depayload_class = GST_RTP_BASE_DEPAYLOAD_CLASS(klass);

    object_class->set_property = set_property;
    object_class->get_property = get_property;
    object_class->finalize = finalize;
    g_object_class_install_property(
        object_class, PROP_WAIT_FOR_KEYFRAME,
        g_param_spec_boolean("wait-for-keyframe", "Wait for keyframe",
                             "Drop temporal units until a key frame, at the start and after "
                             "packet loss",
                             kDefaultWaitForKeyframe,
                             static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));

    element_class->change_state = change_state;
    depayload_class->set_caps = set_caps;
    depayload_class->process_rtp_packet = process_rtp_packet;
    depayload_class->handle_event = handle_event;

    gst_element_class_add_static_pad_template(element_class, &sink_template);
    gst_element_class_add_static_pad_template(element_class, &src_template);
    gst_element_class_set_static_metadata(
        element_class, "RTP AV1 depayloader (libconf)", "Codec/Depayloader/Network/RTP",
        "Extracts AV1 temporal units from RTP packets (AOM RTP Payload Format for AV1 v1.0)",
        "libconf");
}

static void conf_rtp_av1_depay_init(ConfRtpAv1Depay* self) {
    new (&self->state) DepayState();
}
