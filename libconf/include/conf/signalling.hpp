// Signalling: the plain types and interfaces that carry SDP and ICE candidates between a
// WebRTC endpoint and its remote peer. libconf knows no wire protocol; the daemon implements
// WHIP, WHEP and its WebSocket protocol on top of these, and tests connect two peers
// directly with an in-process signaller.
#pragma once

#include <conf/export.hpp>
#include <conf/status.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace conf {

// What one m-line of an offer made to a room participant carries.
struct MediaSlot {
    std::string mid;
    std::string kind;     // "audio" or "video"
    bool publish = false; // the participant sends its own track here
    // Otherwise the participant receives this track of another member of the room.
    std::string participant_id;
    std::string track_id;
};

struct SessionDescription {
    enum class Type { kOffer, kAnswer };
    SessionDescription() = default;
    SessionDescription(Type t, std::string text) : type(t), sdp(std::move(text)) {}

    Type type = Type::kOffer;
    std::string sdp;
    // Offers to room participants are numbered from 1; the answer repeats the number, so an
    // answer to an older offer is told apart. 0: not numbered (WHIP/WHEP).
    std::uint32_t revision = 0;
    std::vector<MediaSlot> slots; // room offers only: every active m-line, by mid
};

struct IceCandidate {
    unsigned mline_index = 0;
    // "candidate:..." as in an SDP a= line, without the "a="; empty means end of candidates.
    std::string candidate;
};

// What a peer accepts from the other side. Called on the media thread.
class CONF_API SignallingPeer {
  public:
    virtual ~SignallingPeer() = default;
    virtual void receive_description(const SessionDescription& description) = 0;
    virtual void receive_candidate(const IceCandidate& candidate) = 0;
};

// Where a peer sends what it produces: its local description and its candidates. An
// implementation delivers them to the remote side by whatever protocol it speaks.
class CONF_API Signaller {
  public:
    virtual ~Signaller() = default;
    virtual void send_description(const SessionDescription& description) = 0;
    virtual void send_candidate(const IceCandidate& candidate) = 0;
    // Negotiation failed on this side (bad remote SDP, no common codec, ...).
    virtual void send_error(const Status& error) = 0;
};

} // namespace conf
