// Peer: one webrtcbin's offer/answer steps for sfu-load, whichever side offers. Every local
// description is handed out only once ICE gathering is complete (no trickle: the SDP carries
// the candidates), as WHIP clients and Janus's half-trickle mode both accept. Main thread
// only; webrtcbin's callbacks are posted there.
#pragma once

#include "main_loop.hpp"

#include "core/g_ref.hpp"
#include "core/signal_connection.hpp"

#include <conf/status.hpp>

#include <gst/webrtc/webrtc.h>

#include <functional>
#include <string>

namespace sfuload {

class Peer {
  public:
    using SdpDone = std::function<void(conf::Result<std::string>)>;
    using StatusDone = std::function<void(conf::Status)>;
    using StateListener = std::function<void(GstWebRTCPeerConnectionState)>;

    // `webrtcbin` belongs to a pipeline; ICE is restricted to `ice_address` (UDP host
    // candidates only, no UPnP), as confd restricts its own agents.
    Peer(std::string name, GstElement* webrtcbin, const std::string& ice_address);
    ~Peer();
    Peer(const Peer&) = delete;
    Peer& operator=(const Peer&) = delete;

    // Runs `fn` once, on the main thread, when webrtcbin first asks for negotiation (its pads
    // and transceivers are in place); at once if it has asked already.
    void when_negotiation_needed(std::function<void()> fn);
    // create-offer, set it as the local description, wait for gathering: the local SDP.
    void create_offer(SdpDone done);
    // set the remote offer, create-answer, set it locally, wait for gathering: the local SDP.
    void accept_offer(const std::string& sdp, SdpDone done);
    void apply_answer(const std::string& sdp, StatusDone done);

    void set_state_listener(StateListener listener) { state_listener_ = std::move(listener); }
    const std::string& name() const noexcept { return name_; }
    static const char* to_string(GstWebRTCPeerConnectionState state);

  private:
    // Posts `fn` to the main thread; it does not run if this Peer is gone by then.
    void post(std::function<void(Peer&)> fn);
    // A promise whose reply reaches `fn` on the main thread, as an error or the reply.
    conf::GRef<GstPromise> promise(std::function<void(Peer&, conf::Result<GstStructure*>)> fn);
    void set_local(GstWebRTCSessionDescription* description, SdpDone done);
    void check_gathered(bool timed_out);

    std::string name_;
    conf::GRef<GstElement> webrtcbin_;
    conf::SignalConnection negotiation_signal_;
    conf::SignalConnection gathering_signal_;
    conf::SignalConnection state_signal_;
    bool negotiation_needed_ = false;
    std::function<void()> negotiation_waiter_;
    SdpDone gathered_done_;
    conf::GRef<GSource> gathering_timer_;
    StateListener state_listener_;
    AliveToken alive_ = std::make_shared<int>(0);
};

} // namespace sfuload
