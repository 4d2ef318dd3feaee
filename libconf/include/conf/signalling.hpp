// Signalling: the plain types and interfaces that carry SDP and ICE candidates between a
// WebRTC endpoint and its remote peer. libconf knows no wire protocol; the daemon implements
// WHIP, WHEP and its WebSocket protocol on top of these, and tests connect two peers
// directly with an in-process signaller.
#pragma once

#include <conf/export.hpp>
#include <conf/status.hpp>

#include <string>

namespace conf {

struct SessionDescription {
    enum class Type { kOffer, kAnswer };
    Type type = Type::kOffer;
    std::string sdp;
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
