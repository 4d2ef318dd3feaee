// Offer filtering: parses a remote SDP offer and strips every payload type outside the codec
// allowlist (codec/codec.hpp) before webrtcbin sees it, so the answer can only ever accept
// VP8, VP9, H.264 (constrained baseline/main) and Opus, plus RTX for those. Malformed or
// unusable offers are refused here with a reason a client can act on.
#pragma once

#include "codec/codec.hpp"
#include "conf/status.hpp"
#include "core/g_ref.hpp"
#include "core/g_unique.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace conf {

struct OfferedFormat {
    const Codec* codec;
    int payload_type;
    std::string fmtp;
};

struct OfferedMedia {
    MediaKind kind;
    std::string mid;
    std::string direction;                 // "sendrecv", "sendonly", "recvonly" or "inactive"
    std::vector<std::string> codecs;       // accepted codec names, in the offer's preference order
    std::vector<OfferedFormat> formats;    // accepted payload types (no RTX), in offer order
    std::map<int, std::string> extensions; // RTP header extensions offered: id -> URI

    // The first accepted payload type for `codec`, or nullptr.
    const OfferedFormat* format_for(const Codec& codec) const;
    bool peer_receives() const { return direction == "sendrecv" || direction == "recvonly"; }
    bool peer_sends() const { return direction == "sendrecv" || direction == "sendonly"; }
};

struct FilteredOffer {
    GUnique<GstSDPMessage> sdp;
    std::vector<OfferedMedia> media;
};

// Upper bound on an offer's size; browsers send 5-15 KiB.
inline constexpr size_t kMaxOfferBytes = 64 * 1024;

Result<FilteredOffer> filter_offer(std::string_view sdp_text);

// application/x-rtp caps for one accepted format, with the rtcp-fb and fmtp parameters an
// answer (or a transceiver's codec preferences) should carry for it.
GRef<GstCaps> rtp_caps_for(const OfferedFormat& format);

} // namespace conf
