#include "webrtc/in_process_signaller.hpp"

namespace conf {

InProcessSignaller::InProcessSignaller(Engine::Impl& engine)
    : engine_(engine), to_a_(*this), to_b_(*this) {}

void InProcessSignaller::connect(SignallingPeer& a, SignallingPeer& b) {
    to_a_.attach(a);
    to_b_.attach(b);
}

InProcessSignaller::~InProcessSignaller() = default;

std::vector<Status> InProcessSignaller::errors() const {
    std::lock_guard lock(errors_mutex_);
    return errors_;
}

void InProcessSignaller::Direction::send_description(const SessionDescription& description) {
    (void)owner_.engine_.post(
        [alive = std::weak_ptr<int>(owner_.alive_), remote = remote_, description] {
            if (!alive.expired() && remote != nullptr) {
                remote->receive_description(description);
            }
        });
}

void InProcessSignaller::Direction::send_candidate(const IceCandidate& candidate) {
    (void)owner_.engine_.post(
        [alive = std::weak_ptr<int>(owner_.alive_), remote = remote_, candidate] {
            if (!alive.expired() && remote != nullptr) {
                remote->receive_candidate(candidate);
            }
        });
}

void InProcessSignaller::Direction::send_error(const Status& error) {
    std::lock_guard lock(owner_.errors_mutex_);
    owner_.errors_.push_back(error);
}

} // namespace conf
