// OneShotSignaller: the Signaller for request/response protocols (WHIP, WHEP). The first
// description or error completes the request, once. Endpoints answer after ICE gathering, so
// every candidate is already in the SDP and trickled ones are not sent anywhere.
#pragma once

#include "conf/signalling.hpp"

#include <functional>
#include <string>
#include <utility>

namespace conf {

class OneShotSignaller : public Signaller {
  public:
    using Done = std::function<void(Result<std::string> sdp)>;

    explicit OneShotSignaller(Done done) : done_(std::move(done)) {}

    void send_description(const SessionDescription& description) override {
        complete(description.sdp);
    }
    void send_candidate(const IceCandidate& /*candidate*/) override {}
    void send_error(const Status& error) override { complete(error); }

    bool completed() const noexcept { return !done_; }

  private:
    void complete(Result<std::string> outcome) {
        if (done_) {
            // Moved out first: the callback may destroy this signaller.
            Done done = std::move(done_);
            done_ = nullptr;
            done(std::move(outcome));
        }
    }
    Done done_;
};

} // namespace conf
