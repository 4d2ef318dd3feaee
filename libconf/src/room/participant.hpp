// Participant: a member of a Room that joined through the room protocol (a browser). It
// has one Endpoint on which the server makes every offer: receive slots for what the
// participant publishes (one audio, one video) and a sendonly m-line per track of the
// others it subscribes to. Offers are numbered; an answer must name the offer it answers.
// Its published tracks and its failure go up to the Owner (the Room). Media thread only.
#pragma once

#include "conf/signalling.hpp"
#include "webrtc/endpoint.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace conf {

class Participant final : public SignallingPeer, private Endpoint::Listener, private Signaller {
  public:
    class Owner {
      public:
        virtual ~Owner() = default;
        virtual void on_participant_track(Participant& participant, ReceivedTrack& track) = 0;
        // The peer is gone (ICE/DTLS failure, no packets, an answer that cannot apply). The
        // owner removes the participant later, never from inside this call.
        virtual void on_participant_failed(Participant& participant, const Status& reason) = 0;
    };

    struct Options {
        std::string id;
        std::string name;
        std::string room;
        bool publish_audio = true;
        bool publish_video = true;
        EndpointOptions endpoint;
    };

    // `remote` carries offers and errors to the participant (the daemon's WebSocket).
    static Result<std::unique_ptr<Participant>> create(Engine::Impl& engine, Options options,
                                                       Signaller& remote, Owner& owner);
    ~Participant() override;

    // From the participant: answers (checked against the offer in flight) and candidates.
    void receive_description(const SessionDescription& description) override;
    void receive_candidate(const IceCandidate& candidate) override;

    // Starts (or stops) forwarding another member's track to this participant; both take
    // effect with the next offer, which they ask for.
    // Forwards `track` of member `member_id`, or `instead` of it (the same track transcoded,
    // held while subscribed); unsubscribe() takes `track`'s id either way.
    Status subscribe(const std::string& member_id, ReceivedTrack& track,
                     std::shared_ptr<ReceivedTrack> instead = nullptr);
    void unsubscribe(const std::string& track_id);

    // Closes the peer; `done` runs on the media thread once it is down.
    void close(std::function<void()> done);

    const std::string& id() const noexcept { return options_.id; }
    const std::string& name() const noexcept { return options_.name; }
    bool publishes(MediaKind kind) const noexcept {
        return kind == MediaKind::kAudio ? options_.publish_audio : options_.publish_video;
    }
    const std::vector<std::unique_ptr<ReceivedTrack>>& tracks() const noexcept {
        return endpoint_->tracks();
    }
    std::uint32_t revision() const noexcept { return revision_; }

  private:
    Participant(Options options, Signaller& remote, Owner& owner);

    // Signaller, for the Endpoint: offers go out numbered and with their slots.
    void send_description(const SessionDescription& description) override;
    void send_candidate(const IceCandidate& /*candidate*/) override {}
    void send_error(const Status& error) override { remote_.send_error(error); }

    void log_forwarding(const std::string& track_id, const SendTrack& track) const;

    // Endpoint::Listener
    void on_track_added(Endpoint& endpoint, ReceivedTrack& track) override;
    void on_endpoint_failed(Endpoint& endpoint, const Status& error) override;

    struct Subscription {
        std::string member_id;
        std::shared_ptr<SendTrack> track;
        std::shared_ptr<ReceivedTrack> source; // a transcode it holds, or nullptr
    };

    Options options_;
    Signaller& remote_;
    Owner& owner_;
    Logger logger_;
    std::unique_ptr<Endpoint> endpoint_;
    std::vector<MediaKind> slot_kinds_; // the receive slots, in the order they were added
    std::map<std::string, Subscription> subscriptions_; // by the forwarded track's id
    std::uint32_t revision_ = 0;
    bool closed_ = false;
};

} // namespace conf
