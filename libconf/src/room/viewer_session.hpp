// ViewerSession: one viewing peer (a WHEP client today) that receives a publisher's tracks,
// forwarded as RTP by its own Endpoint (no decoding). Media thread only.
#pragma once

#include "webrtc/endpoint.hpp"
#include "webrtc/one_shot_signaller.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace conf {

class ViewerSession final : private Endpoint::Listener {
  public:
    class Owner {
      public:
        virtual ~Owner() = default;
        // As PublisherSession::Owner::on_publisher_failed.
        virtual void on_viewer_failed(ViewerSession& session, const Status& reason) = 0;
    };

    // Offers every track of member `publisher_id` of `room` there is right now. The owner
    // ends the viewer before any of those tracks goes.
    static Result<std::unique_ptr<ViewerSession>>
    create(Engine::Impl& engine, std::string id, EndpointOptions endpoint, const std::string& room,
           const std::string& publisher_id, const std::vector<ReceivedTrack*>& tracks,
           Owner& owner);
    ~ViewerSession() override = default;

    void negotiate(const std::string& offer, OneShotSignaller::Done done);
    void add_candidate(const IceCandidate& candidate) { endpoint_->receive_candidate(candidate); }
    void end(std::function<void()> done) { endpoint_->close(std::move(done)); }

    const std::string& id() const noexcept { return id_; }
    // Empty for a viewer of the room's mix.
    const std::string& publisher_id() const noexcept { return publisher_id_; }
    // Whatever its tracks need kept alive while it lives (the room's mix claim): released
    // with the session, once its peer is down.
    void hold(std::shared_ptr<void> resources) { held_ = std::move(resources); }

  private:
    ViewerSession(std::string id, std::string publisher_id, Owner& owner);
    void on_track_added(Endpoint& /*endpoint*/, ReceivedTrack& /*track*/) override {}
    void on_endpoint_failed(Endpoint& /*endpoint*/, const Status& error) override {
        owner_.on_viewer_failed(*this, error);
    }

    std::string id_;
    std::string publisher_id_;
    Owner& owner_;
    OneShotSignaller::Done answer_done_;
    OneShotSignaller signaller_;
    std::unique_ptr<Endpoint> endpoint_;
    std::shared_ptr<void> held_; // destroyed after the endpoint (declared after it)
};

} // namespace conf
