// confrtpav1pay: AV1 (obu-stream, aligned to temporal units or frames) to RTP per the AOM
// "RTP Payload Format for AV1" v1.0. The packing rules live in av1_packetizer.hpp; this element
// parses each buffer, decides N and the marker bit, and writes the RTP packets, at most the
// base class's `mtu` bytes each.
#pragma once

#include <gst/rtp/gstrtpbasepayload.h>

G_BEGIN_DECLS

#define CONF_TYPE_RTP_AV1_PAY (conf_rtp_av1_pay_get_type())
G_DECLARE_FINAL_TYPE(ConfRtpAv1Pay, conf_rtp_av1_pay, CONF, RTP_AV1_PAY, GstRTPBasePayload)

G_END_DECLS
