// Endpoint: one WebRTC peer of the server (ICE, DTLS-SRTP, BUNDLE, rtcp-mux, NACK/RTX,
// PLI/FIR), webrtcbin today, in its own Pipeline so a peer's failure stays that peer's.
//
// It works either way round. Answering: a remote offer (WHIP publisher, WHEP viewer) is
// filtered to the codec allowlist first, and the answer is sent through the Signaller once
// ICE gathering is complete (host candidates only, on the configured addresses; no
// STUN/TURN unless configured). Offering (room participants): the owner adds receive slots
// and forwarded tracks and calls negotiate(); offers are serialised (one in flight, the
// next made when its answer is in), so renegotiation never crosses itself. Each incoming
// track becomes a ReceivedTrack that fans RTP out to subscribers; a forwarded track starts
// flowing once its m-line is negotiated and the peer is connected.
// Media thread only, except where noted.
#pragma once

#include "conf/signalling.hpp"
#include "core/engine_impl.hpp"
#include "core/pipeline.hpp"
#include "core/signal_connection.hpp"
#include "core/timer.hpp"
#include "webrtc/offer_filter.hpp"
#include "webrtc/received_track.hpp"
#include "webrtc/send_track.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace conf {

struct EndpointOptions {
    std::string id;   // unique per engine: names the pipeline and `webrtcbin-<id>`
    std::string room; // for log lines
    // Host candidates are gathered on these addresses only (nothing else about the host leaks).
    std::vector<std::string> ice_addresses = {"127.0.0.1"};
    std::string stun_server; // "stun://host:port"; empty: none is contacted
    std::chrono::milliseconds jitterbuffer_latency{100};
    // Caps what the remote peer may send per video m-line (b=AS/b=TIAS in the answer);
    // 0 leaves it to the peer.
    std::uint32_t max_video_bitrate_kbps = 0;
    // Answer with whatever was gathered when gathering takes longer than this.
    std::chrono::milliseconds gathering_timeout{3000};
    // A connected peer that media or RTCP should be coming from (it publishes, or receives
    // and so sends reports) but from which nothing arrives for this long has gone (a
    // frozen or unplugged machine): the endpoint fails. 0: never. Like RFC 7675 consent,
    // which webrtcbin 1.22 does not enable in libnice.
    std::chrono::milliseconds silence_timeout{0};
    // Answering: asked for each track to send with the codecs the peer's offer accepts for
    // it (`accepted`, in the offer's preference order), this may supply the track in another
    // form (a transcode the room shares: another codec, a smaller size), which is sent
    // instead. nullptr sends the track as it is, if the offer accepts its codec. The endpoint
    // holds what it returns while it lives.
    std::function<std::shared_ptr<ReceivedTrack>(ReceivedTrack& source,
                                                 const std::vector<const Codec*>& accepted)>
        convert_source;
};

enum class EndpointState { kNew, kConnecting, kConnected, kFailed, kClosed };
std::string_view to_string(EndpointState state) noexcept;

class Endpoint : public SignallingPeer, private Pipeline::Listener {
  public:
    class Listener {
      public:
        virtual ~Listener() = default;
        virtual void on_track_added(Endpoint& endpoint, ReceivedTrack& track) = 0;
        virtual void on_state_changed(Endpoint& /*endpoint*/, EndpointState /*state*/) {}
        // The peer is unusable (pipeline error, ICE/DTLS failure); the owner should close it.
        virtual void on_endpoint_failed(Endpoint& endpoint, const Status& error) = 0;
    };

    static Result<std::unique_ptr<Endpoint>> create(Engine::Impl& engine, EndpointOptions options,
                                                    Signaller& signaller, Listener& listener);
    ~Endpoint() override;

    // SignallingPeer: a remote offer is answered through the Signaller (or refused with
    // send_error); remote candidates are added to ICE.
    void receive_description(const SessionDescription& description) override;
    void receive_candidate(const IceCandidate& candidate) override;

    // Offers `track` (another endpoint's) to this peer: when the remote offer has an m-line
    // of the track's kind that accepts its codec, the answer sends it there, forwarded as
    // RTP once the peer is connected. Call before receive_description(). The owner keeps
    // `track` alive while this endpoint exists, or closes this endpoint first.
    void add_send_source(ReceivedTrack& track) { send_sources_.push_back(&track); }

    // Offering side. A receive slot is a recvonly m-line on which the peer may send one
    // track of `kind` in any allowlisted codec. Takes effect with the next negotiate().
    Status add_receive_slot(MediaKind kind);
    // Forwards `source` on a new sendonly m-line (the owner keeps `source` alive as with
    // add_send_source, or calls stop_forwarding first). Takes effect with negotiate().
    Result<std::shared_ptr<SendTrack>> forward(ReceivedTrack& source);
    // Stops forwarding `track`; its m-line goes inactive with the next negotiate().
    void stop_forwarding(const std::shared_ptr<SendTrack>& track);
    // Makes an offer through the Signaller now, or once the answer to the one in flight is
    // in. The peer answers through receive_description().
    void negotiate();
    // The mid of each receive slot, in order, and of a forwarded track (known once an offer
    // is made).
    std::vector<std::string> receive_slot_mids() const;
    std::string mid_of(const SendTrack& track) const;

    const std::string& id() const noexcept { return options_.id; }
    EndpointState state() const noexcept { return state_; }
    // How many tracks the accepted offer said the peer will send (known once an offer is in).
    std::size_t expected_remote_tracks() const noexcept { return expected_remote_tracks_; }
    const std::vector<std::unique_ptr<ReceivedTrack>>& tracks() const noexcept { return tracks_; }
    const std::vector<std::shared_ptr<SendTrack>>& send_tracks() const noexcept {
        return send_tracks_;
    }
    const Logger& logger() const noexcept { return logger_; }
    // The transport element, for diagnostics (stats, dot graphs) and tests.
    GstElement* webrtcbin() const noexcept { return webrtcbin_.get(); }

    // Stops the pipeline (EOS, watchdog, NULL); `done` runs on the media thread.
    void close(std::function<void()> done);

  private:
    Endpoint(Engine::Impl& engine, EndpointOptions options, Signaller& signaller,
             Listener& listener, std::unique_ptr<Pipeline> pipeline, GRef<GstElement> webrtcbin);
    Status setup(const DtlsIdentity& identity);

    // Posts `fn` to the media thread, dropped if this endpoint is gone by then.
    void post(std::function<void(Endpoint&)> fn);
    Status create_send_tracks(const std::vector<OfferedMedia>& media);
    // What options_.convert_source makes of `source` for `offered`; nullptr: `source` itself.
    ReceivedTrack* convert(ReceivedTrack& source, const OfferedMedia& offered);
    void detach_send_tracks();
    void add_receive_transceivers(const std::vector<OfferedMedia>& media);
    void enable_retransmission();
    void on_remote_offer_set();
    void make_offer();
    void on_offer_created(GstPromise* promise);
    void apply_answer(const SessionDescription& answer);
    void on_answer_applied();
    void attach_ready_sources();
    void watch_transport(GstElement* element);
    bool check_silence();
    std::string mid_of(GstWebRTCRTPTransceiver* transceiver) const;
    // Runs `handler` on the media thread with the reply, if this endpoint still exists.
    GRef<GstPromise> promise_for(std::function<void(Endpoint&, GstPromise*)> handler);
    void on_answer_created(GstPromise* promise);
    void start_gathering_timer();
    void maybe_send_answer();
    void send_answer_now();
    void fail(Status error);
    void set_state(EndpointState state);
    void on_pad_added(GstPad* pad);
    void add_track(GRef<GstPad> pad, GRef<GstCaps> caps);

    void on_pipeline_error(Pipeline& pipeline, const Status& error) override;

    Engine::Impl& engine_;
    EndpointOptions options_;
    Signaller& signaller_;
    Listener& listener_;
    Logger logger_;
    std::unique_ptr<Pipeline> pipeline_;
    GRef<GstElement> webrtcbin_;
    std::vector<SignalConnection> signals_;
    std::string fingerprint_; // "sha-256 AB:..." of the engine's DTLS certificate
    std::vector<std::unique_ptr<ReceivedTrack>> tracks_;
    std::vector<ReceivedTrack*> send_sources_;
    // Sources made by options_.convert_source (transcodes), held while this endpoint lives.
    std::vector<std::shared_ptr<ReceivedTrack>> converted_sources_;
    std::vector<std::shared_ptr<SendTrack>> send_tracks_;
    // Send tracks waiting for their m-line to be negotiated and the peer to be connected
    // before their source feeds them.
    struct PendingSource {
        std::shared_ptr<SendTrack> track;
        ReceivedTrack* source;
        bool in_offer = false;   // part of the offer in flight
        bool negotiated = false; // its m-line is in both descriptions
    };
    std::vector<PendingSource> pending_sources_;
    std::vector<GRef<GstWebRTCRTPTransceiver>> receive_slots_;
    bool offer_in_flight_ = false; // an offer is out, its answer is not yet applied
    bool renegotiate_ = false;     // negotiate() was called while one was in flight
    bool offering_ = false;        // this endpoint makes the offers
    EndpointState state_ = EndpointState::kNew;
    std::size_t expected_remote_tracks_ = 0;
    // Local description set, waiting for ICE gathering to finish before it is sent.
    bool answer_pending_ = false;
    Timer gathering_timer_;
    Timer silence_timer_;
    // Monotonic µs of the last packet from the peer, written by the transport's thread.
    std::shared_ptr<std::atomic<std::int64_t>> last_receive_us_ =
        std::make_shared<std::atomic<std::int64_t>>(0);
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

} // namespace conf
