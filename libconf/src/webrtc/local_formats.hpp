// Local formats: the payload types this server puts in the offers it makes (room
// participants, where the server offers and the browser answers). The numbers are fixed
// per codec and repeat across m-lines, as browsers do in their own offers: bundled m-lines
// are told apart by the SSRCs the offer announces, not by unique payload types.
#pragma once

#include "webrtc/offer_filter.hpp"
#include "webrtc/received_track.hpp"

#include <vector>

namespace conf {

// RFC 6464 audio levels: offered on every audio receive slot under this id, so active
// speaker detection reads levels without decoding.
inline constexpr const char* kAudioLevelExtension = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
inline constexpr int kAudioLevelExtensionId = 1;
// Transport-wide congestion control sequence numbers, offered on every receive slot.
inline constexpr const char* kTransportCcExtension =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
inline constexpr int kTransportCcExtensionId = 3;

// What a receive m-line of `kind` accepts, in the CodecRegistry's rank order: VP8, H.264
// constrained baseline, H.264 main, VP9, then plugin codecs for video; Opus for audio.
std::vector<OfferedFormat> receive_formats(MediaKind kind);

// How `source` is offered on a send m-line: its codec at the fixed payload type, with the
// fmtp parameters a decoder needs (the H.264 profile and packetization mode).
OfferedFormat send_format(const ReceivedTrack& source);

} // namespace conf
