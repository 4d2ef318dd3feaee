// confrtpav1depay: AV1 RTP (AOM "RTP Payload Format for AV1" v1.0) to video/x-av1,
// stream-format=obu-stream, alignment=tu: one buffer per temporal unit, starting with a temporal
// delimiter, key units without GST_BUFFER_FLAG_DELTA_UNIT. Reassembly and loss handling live in
// av1_depacketizer.hpp; this element feeds it packets, pushes what it returns, and sends a
// force-key-unit event upstream (at most every 500 ms) when it had to drop.
//
// Property wait-for-keyframe (default true): after the start and after any loss, drop units
// until a key frame, so a decoder or recording never sees a unit it cannot decode.
#pragma once

#include <gst/rtp/gstrtpbasedepayload.h>

G_BEGIN_DECLS

#define CONF_TYPE_RTP_AV1_DEPAY (conf_rtp_av1_depay_get_type())
G_DECLARE_FINAL_TYPE(ConfRtpAv1Depay, conf_rtp_av1_depay, CONF, RTP_AV1_DEPAY, GstRTPBaseDepayload)

G_END_DECLS
