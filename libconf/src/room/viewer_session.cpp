#include "room/viewer_session.hpp"

namespace conf {

Result<std::unique_ptr<ViewerSession>>
ViewerSession::create(Engine::Impl& engine, std::string id, EndpointOptions endpoint,
                      const std::string& room, const std::string& publisher_id,
                      const std::vector<ReceivedTrack*>& tracks, Owner& owner) {
    CONF_ASSERT_MEDIA_THREAD(engine);
    if (tracks.empty()) {
        return failed_precondition(
            fmt::format("publisher '{}' has no media yet; try again shortly", publisher_id));
    }
    std::unique_ptr<ViewerSession> session(new ViewerSession(id, publisher_id, owner));
    endpoint.id = std::move(id);
    endpoint.room = room;
    auto created = Endpoint::create(engine, std::move(endpoint), session->signaller_, *session);
    if (!created) {
        return created.status();
    }
    session->endpoint_ = std::move(created).value();
    for (ReceivedTrack* track : tracks) {
        session->endpoint_->add_send_source(*track);
    }
    return session;
}

ViewerSession::ViewerSession(std::string id, std::string publisher_id, Owner& owner)
    : id_(std::move(id)), publisher_id_(std::move(publisher_id)), owner_(owner),
      signaller_([this](Result<std::string> answer) {
          if (answer_done_) {
              auto done = std::move(answer_done_);
              answer_done_ = nullptr;
              done(std::move(answer));
          }
      }) {}

void ViewerSession::negotiate(const std::string& offer, OneShotSignaller::Done done) {
    answer_done_ = std::move(done);
    endpoint_->receive_description({SessionDescription::Type::kOffer, offer});
}

} // namespace conf
