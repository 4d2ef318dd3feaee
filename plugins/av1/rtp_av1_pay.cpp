#include "rtp_av1_pay.hpp"

#include "av1_obu.hpp"
#include "av1_packetizer.hpp"
#include "gst_handles.hpp"

#include <gst/rtp/gstrtpbuffer.h>

#include <exception>
#include <new>
#include <optional>
#include <string>

GST_DEBUG_CATEGORY_STATIC(conf_av1_pay_debug);
#define GST_CAT_DEFAULT conf_av1_pay_debug

namespace {

using namespace conf::av1;

// What the payloader remembers between buffers.
struct PayState {
    // With alignment=tu every buffer is a whole temporal unit. With alignment=frame (or none
    // given) a unit ends with its shown frame: the one frame of a non-scalable unit that is
    // displayed, which the frame header says (show_frame / show_existing_frame).
    bool tu_aligned = true;
    bool unit_open = false;                      // frame alignment: a unit awaits its shown frame
    GstClockTime unit_pts = GST_CLOCK_TIME_NONE; // shared by all packets of the unit
    bool reduced_still_picture_header = false;   // from the last sequence header
};

// What one input buffer holds, as far as N and the marker bit care.
struct BufferFacts {
    bool has_temporal_delimiter = false;
    bool has_sequence_header = false;
    std::optional<FrameInfo> first_frame;
    bool has_shown_frame = false;
};

BufferFacts inspect(const std::vector<Obu>& obus, PayState& state) {
    BufferFacts facts;
    for (const Obu& obu : obus) {
        if (obu.type() == ObuType::kTemporalDelimiter) {
            facts.has_temporal_delimiter = true;
        } else if (obu.type() == ObuType::kSequenceHeader) {
            facts.has_sequence_header = true;
            if (auto reduced = reduced_still_picture_header(obu.payload)) {
                state.reduced_still_picture_header = *reduced;
            }
        } else if (is_frame_header(obu.type())) {
            auto info = parse_frame_info(obu.payload, state.reduced_still_picture_header);
            if (info) {
                if (!facts.first_frame) {
                    facts.first_frame = info;
                }
                facts.has_shown_frame = facts.has_shown_frame || info->shown();
            }
        }
    }
    return facts;
}

} // namespace

struct _ConfRtpAv1Pay {
    GstRTPBasePayload parent;
    PayState state; // constructed in init, destroyed in finalize
};

G_DEFINE_TYPE(ConfRtpAv1Pay, conf_rtp_av1_pay, GST_TYPE_RTP_BASE_PAYLOAD)

namespace {

GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS("video/x-av1, stream-format = (string) obu-stream, "
                                            "alignment = (string) { tu, frame }"));

GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS(
        "application/x-rtp, media = (string) video, payload = (int) " GST_RTP_PAYLOAD_DYNAMIC_STRING
        ", clock-rate = (int) 90000, encoding-name = (string) AV1"));

gboolean set_caps(GstRTPBasePayload* base, GstCaps* caps) noexcept {
    auto* self = CONF_RTP_AV1_PAY(base);
    const GstStructure* s = gst_caps_get_structure(caps, 0);
    const gchar* format = gst_structure_get_string(s, "stream-format");
    if (format != nullptr && g_strcmp0(format, "obu-stream") != 0) {
        GST_WARNING_OBJECT(self, "stream-format %s is not obu-stream", format);
        return FALSE;
    }
    const gchar* alignment = gst_structure_get_string(s, "alignment");
    self->state.tu_aligned = g_strcmp0(alignment, "tu") == 0;
    GST_DEBUG_OBJECT(self, "input aligned to %s",
                     self->state.tu_aligned ? "temporal units" : "frames");
    return gst_rtp_base_payload_set_outcaps(base, nullptr);
}

GstFlowReturn push_packets(ConfRtpAv1Pay* self, const std::vector<PacketLayout>& layouts,
                           bool ends_unit) {
    auto* base = GST_RTP_BASE_PAYLOAD(self);
    GstPtr<GstBufferList> list(gst_buffer_list_new_sized(static_cast<guint>(layouts.size())));
    for (std::size_t i = 0; i < layouts.size(); ++i) {
        const PacketLayout& layout = layouts[i];
        GstPtr<GstBuffer> packet(gst_rtp_base_payload_allocate_output_buffer(
            base, static_cast<guint>(layout.size()), 0, 0));
        {
            RtpMapping rtp(packet.get(), GST_MAP_WRITE);
            if (!rtp) {
                GST_ELEMENT_ERROR(self, RESOURCE, WRITE, (nullptr), ("cannot map an RTP packet"));
                return GST_FLOW_ERROR;
            }
            layout.write(rtp.payload());
            gst_rtp_buffer_set_marker(rtp.get(), ends_unit && i + 1 == layouts.size());
        }
        // Every packet of a unit carries its timestamp (the base class turns it into the RTP
        // timestamp), also when the unit arrived as several frame-aligned buffers.
        GST_BUFFER_PTS(packet.get()) = self->state.unit_pts;
        gst_buffer_list_add(list.get(), packet.release());
    }
    return gst_rtp_base_payload_push_list(base, list.release());
}

GstFlowReturn handle_buffer_impl(ConfRtpAv1Pay* self, GstBuffer* buffer) {
    GstPtr<GstBuffer> input(buffer);
    PayState& state = self->state;
    std::size_t max_payload =
        gst_rtp_buffer_calc_payload_len(GST_RTP_BASE_PAYLOAD_MTU(GST_RTP_BASE_PAYLOAD(self)), 0, 0);
    if (max_payload < kMinPayloadSize) {
        GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, (nullptr),
                          ("mtu %u leaves no room for an AV1 payload",
                           GST_RTP_BASE_PAYLOAD_MTU(GST_RTP_BASE_PAYLOAD(self))));
        return GST_FLOW_ERROR;
    }

    BufferMapping map(input.get(), GST_MAP_READ);
    if (!map) {
        GST_ELEMENT_ERROR(self, RESOURCE, READ, (nullptr), ("cannot map the input buffer"));
        return GST_FLOW_ERROR;
    }
    std::string error;
    auto obus = split_obus(map.bytes(), &error);
    if (!obus) {
        // One bad buffer costs one frame; the decoder's next key frame recovers it.
        GST_WARNING_OBJECT(self, "dropping a malformed buffer: %s", error.c_str());
        return GST_FLOW_OK;
    }

    BufferFacts facts = inspect(*obus, state);
    bool starts_unit = state.tu_aligned || !state.unit_open || facts.has_temporal_delimiter;
    bool ends_unit = state.tu_aligned || facts.has_shown_frame;
    if (starts_unit) {
        state.unit_pts = GST_BUFFER_PTS(input.get());
    }
    state.unit_open = !ends_unit;
    // N: a coded video sequence starts with a sequence header and a shown key frame.
    bool new_sequence = starts_unit && facts.has_sequence_header && facts.first_frame &&
                        facts.first_frame->shown_key_frame();

    auto layouts = packetize(*obus, max_payload, new_sequence);
    GST_LOG_OBJECT(self,
                   "%zu OBUs in %zu bytes%s, first frame type %d -> %zu packets (N=%d, end of "
                   "unit %d)",
                   obus->size(), map.bytes().size(),
                   facts.has_sequence_header ? " with a sequence header" : "",
                   facts.first_frame ? facts.first_frame->frame_type : -1, layouts.size(),
                   new_sequence, ends_unit);
    if (layouts.empty()) {
        return GST_FLOW_OK;
    }
    return push_packets(self, layouts, ends_unit);
}

GstFlowReturn handle_buffer(GstRTPBasePayload* base, GstBuffer* buffer) noexcept {
    auto* self = CONF_RTP_AV1_PAY(base);
    try {
        return handle_buffer_impl(self, buffer);
    } catch (const std::exception& e) {
        GST_ELEMENT_ERROR(self, CORE, FAILED, (nullptr), ("%s", e.what()));
        return GST_FLOW_ERROR;
    }
}

void reset(ConfRtpAv1Pay* self) {
    bool tu_aligned = self->state.tu_aligned;
    self->state = PayState{};
    self->state.tu_aligned = tu_aligned;
}

gboolean sink_event(GstRTPBasePayload* base, GstEvent* event) noexcept {
    if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) {
        reset(CONF_RTP_AV1_PAY(base));
    }
    return GST_RTP_BASE_PAYLOAD_CLASS(conf_rtp_av1_pay_parent_class)->sink_event(base, event);
}

GstStateChangeReturn change_state(GstElement* element, GstStateChange transition) noexcept {
    GstStateChangeReturn ret =
        GST_ELEMENT_CLASS(conf_rtp_av1_pay_parent_class)->change_state(element, transition);
    if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
        reset(CONF_RTP_AV1_PAY(element));
    }
    return ret;
}

void finalize(GObject* object) noexcept {
    CONF_RTP_AV1_PAY(object)->state.~PayState();
    G_OBJECT_CLASS(conf_rtp_av1_pay_parent_class)->finalize(object);
}

} // namespace

static void conf_rtp_av1_pay_class_init(ConfRtpAv1PayClass* klass) {
    GST_DEBUG_CATEGORY_INIT(conf_av1_pay_debug, "conf-av1pay", 0, "AV1 RTP payloader");
    auto* object_class = G_OBJECT_CLASS(klass);
    auto* element_class = GST_ELEMENT_CLASS(klass);
    auto* payload_class = GST_RTP_BASE_PAYLOAD_CLASS(klass);

    object_class->finalize = finalize;
    element_class->change_state = change_state;
    payload_class->set_caps = set_caps;
    payload_class->handle_buffer = handle_buffer;
    payload_class->sink_event = sink_event;

    gst_element_class_add_static_pad_template(element_class, &sink_template);
    gst_element_class_add_static_pad_template(element_class, &src_template);
    gst_element_class_set_static_metadata(
        element_class, "RTP AV1 payloader (libconf)", "Codec/Payloader/Network/RTP",
        "Payloads AV1 into RTP packets (AOM RTP Payload Format for AV1 v1.0)", "libconf");
}

static void conf_rtp_av1_pay_init(ConfRtpAv1Pay* self) {
    new (&self->state) PayState();
    auto* base = GST_RTP_BASE_PAYLOAD(self);
    gst_rtp_base_payload_set_options(base, "video", TRUE, "AV1", 90000);
    // av1enc announces video/x-av1 without stream-format although it produces obu-stream;
    // accepting caps that intersect the template, not only subsets, lets it link directly.
    GST_PAD_SET_ACCEPT_INTERSECT(GST_RTP_BASE_PAYLOAD_SINKPAD(base));
}
