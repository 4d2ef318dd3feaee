// InProcessSignaller: connects two SignallingPeers in one process (tests, and later local
// cascades): what one side sends, the other receives, always posted to the media thread so
// a peer is never re-entered from inside its own send call. Errors are kept for inspection.
#pragma once

#include "conf/signalling.hpp"
#include "core/engine_impl.hpp"

#include <memory>
#include <mutex>
#include <vector>

namespace conf {

class InProcessSignaller {
  public:
    explicit InProcessSignaller(Engine::Impl& engine);
    ~InProcessSignaller();
    InProcessSignaller(const InProcessSignaller&) = delete;
    InProcessSignaller& operator=(const InProcessSignaller&) = delete;

    // Peers usually need their Signaller to be created, so they are attached afterwards.
    void connect(SignallingPeer& a, SignallingPeer& b);

    // What peer A (resp. B) sends through: delivers to the other peer.
    Signaller& for_a() noexcept { return to_b_; }
    Signaller& for_b() noexcept { return to_a_; }

    // Errors either side reported with send_error(), in order.
    std::vector<Status> errors() const;

  private:
    class Direction : public Signaller {
      public:
        explicit Direction(InProcessSignaller& owner) : owner_(owner) {}
        void attach(SignallingPeer& remote) { remote_ = &remote; }
        void send_description(const SessionDescription& description) override;
        void send_candidate(const IceCandidate& candidate) override;
        void send_error(const Status& error) override;

      private:
        InProcessSignaller& owner_;
        SignallingPeer* remote_ = nullptr; // unset: messages are dropped
    };

    Engine::Impl& engine_;
    Direction to_a_;
    Direction to_b_;
    mutable std::mutex errors_mutex_;
    std::vector<Status> errors_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

} // namespace conf
