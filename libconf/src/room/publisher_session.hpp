// PublisherSession: one publishing peer (a WHIP client today) and its Endpoint. Its tracks
// go to the owner, which publishes (and records) them in the room. A publisher that keeps
// sending video well over the bitrate its answer allowed (b=AS/TIAS) is ended: clients that
// honour SDP never are. Media thread only.
#pragma once

#include "core/timer.hpp"
#include "webrtc/endpoint.hpp"
#include "webrtc/one_shot_signaller.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace conf {

class PublisherSession final : private Endpoint::Listener {
  public:
    class Owner {
      public:
        virtual ~Owner() = default;
        // The peer is gone (ICE/DTLS failure, pipeline error) or broke a limit. Called on the
        // media thread;
        // the owner ends and drops the session later, never from inside this call.
        virtual void on_publisher_failed(PublisherSession& session, const Status& reason) = 0;
        // A track arrived (its owner publishes it in the room).
        virtual void on_publisher_track(PublisherSession& /*session*/, ReceivedTrack& /*track*/) {}
    };

    struct Options {
        std::string id;
        std::string room;
        EndpointOptions endpoint;
        // Bitrate policing of each video track against endpoint.max_video_bitrate_kbps:
        // ended when the average over `bitrate_window` exceeds the limit times the tolerance.
        std::chrono::milliseconds bitrate_window{5000};
        double bitrate_tolerance = 1.5;
    };

    static Result<std::unique_ptr<PublisherSession>> create(Engine::Impl& engine, Options options,
                                                            Owner& owner);
    ~PublisherSession() override;

    // Answers `offer`; `done` gets the answer SDP or why it was refused.
    void negotiate(const std::string& offer, OneShotSignaller::Done done);
    void add_candidate(const IceCandidate& candidate) { endpoint_->receive_candidate(candidate); }
    // Closes the peer; `done` runs once it is down.
    void end(std::function<void()> done);
    // How many tracks the accepted offer announced (known once negotiate() has run).
    std::size_t expected_tracks() const noexcept { return endpoint_->expected_remote_tracks(); }

    const std::string& id() const noexcept { return options_.id; }
    const std::string& room() const noexcept { return options_.room; }
    const std::vector<std::unique_ptr<ReceivedTrack>>& tracks() const noexcept {
        return endpoint_->tracks();
    }

  private:
    PublisherSession(Engine::Impl& engine, Options options, Owner& owner);
    // Samples every video track's byte count; ends the session when one is over its limit.
    bool check_bitrate();

    // Endpoint::Listener
    void on_track_added(Endpoint& endpoint, ReceivedTrack& track) override;
    void on_endpoint_failed(Endpoint& endpoint, const Status& error) override;

    Engine::Impl& engine_;
    Options options_;
    Owner& owner_;
    Logger logger_;
    OneShotSignaller::Done answer_done_;
    OneShotSignaller signaller_;
    std::unique_ptr<Endpoint> endpoint_;
    Timer bitrate_timer_;
    struct ByteSample {
        std::int64_t at_us;
        std::uint64_t bytes;
    };
    std::map<const ReceivedTrack*, std::deque<ByteSample>> video_samples_;
    bool ending_ = false;
};

} // namespace conf
