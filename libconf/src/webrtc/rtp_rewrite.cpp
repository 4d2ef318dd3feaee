#include "webrtc/rtp_rewrite.hpp"

#include <gst/rtp/gstrtpbuffer.h>

#include <cstring>

namespace conf {

GRef<GstBuffer> rewrite_for_subscriber(GstBuffer* rtp, guint8 payload_type) {
    GstRTPBuffer in = GST_RTP_BUFFER_INIT;
    if (!gst_rtp_buffer_map(rtp, GST_MAP_READ, &in)) {
        return GRef<GstBuffer>::ref(rtp); // not RTP: webrtcbin will refuse it, not us
    }
    const bool extension = gst_rtp_buffer_get_extension(&in) != FALSE;
    const bool same_type = gst_rtp_buffer_get_payload_type(&in) == payload_type;
    if (!extension) {
        gst_rtp_buffer_unmap(&in);
        GRef<GstBuffer> out = GRef<GstBuffer>::adopt(gst_buffer_copy(rtp)); // metadata only
        if (!same_type) {
            GstRTPBuffer header = GST_RTP_BUFFER_INIT;
            // Writing maps the memory writable, which copies it (it is shared).
            if (gst_rtp_buffer_map(out.get(), GST_MAP_WRITE, &header)) {
                gst_rtp_buffer_set_payload_type(&header, payload_type);
                gst_rtp_buffer_unmap(&header);
            }
        }
        return out;
    }
    const guint payload_length = gst_rtp_buffer_get_payload_len(&in);
    const guint8 csrcs = gst_rtp_buffer_get_csrc_count(&in);
    // Padding goes too: it only rounded the old header + payload to a block size.
    GstBuffer* raw = gst_rtp_buffer_new_allocate(payload_length, 0, csrcs);
    GstRTPBuffer out = GST_RTP_BUFFER_INIT;
    if (!gst_rtp_buffer_map(raw, GST_MAP_WRITE, &out)) {
        gst_rtp_buffer_unmap(&in);
        gst_buffer_unref(raw);
        return GRef<GstBuffer>::ref(rtp);
    }
    gst_rtp_buffer_set_marker(&out, gst_rtp_buffer_get_marker(&in));
    gst_rtp_buffer_set_payload_type(&out, payload_type);
    gst_rtp_buffer_set_seq(&out, gst_rtp_buffer_get_seq(&in));
    gst_rtp_buffer_set_timestamp(&out, gst_rtp_buffer_get_timestamp(&in));
    gst_rtp_buffer_set_ssrc(&out, gst_rtp_buffer_get_ssrc(&in));
    for (guint8 i = 0; i < csrcs; ++i) {
        gst_rtp_buffer_set_csrc(&out, i, gst_rtp_buffer_get_csrc(&in, i));
    }
    std::memcpy(gst_rtp_buffer_get_payload(&out), gst_rtp_buffer_get_payload(&in), payload_length);
    gst_rtp_buffer_unmap(&out);
    gst_rtp_buffer_unmap(&in);
    gst_buffer_copy_into(
        raw, rtp,
        static_cast<GstBufferCopyFlags>(GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS), 0, 0);
    return GRef<GstBuffer>::adopt(raw);
}

} // namespace conf
