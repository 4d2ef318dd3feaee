// RoomRegistry: the rooms of one engine and the publishing and viewing sessions in them,
// with the limits an operator configures. It is what the daemon's WHIP and WHEP handlers
// drive: publish (answer an offer, record if the room records), view (forward a
// publisher's tracks to a new peer), trickle, end, and shutdown (every recording finalized
// before the callback). A session that fails or is refused leaves nothing behind.
// Media thread only.
#pragma once

#include "recording/recording_codecs.hpp"
#include "room/publisher_session.hpp"
#include "room/viewer_session.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace conf {

struct SessionLimits {
    std::uint32_t max_sessions = 64;          // publishers and viewers, whole engine
    std::uint32_t max_sessions_per_room = 16; // publishers and viewers, one room
    std::uint32_t max_publisher_video_kbps = 2500;
    std::chrono::seconds max_recording_duration{0}; // 0: no limit
};

struct RoomRegistryOptions {
    std::vector<std::string> ice_addresses{"127.0.0.1"};
    std::string stun_server;
    std::filesystem::path recordings_dir = "var/recordings";
    bool record_every_room = false;       // the recorder profile
    std::set<std::string> recorded_rooms; // recorded even when record_every_room is off
    RecordingContainer container = RecordingContainer::kMatroska;
    std::uint64_t min_free_bytes = std::uint64_t{512} << 20;
    SessionLimits limits;
};

struct SessionInfo {
    std::string id;
    std::string answer_sdp;
};
using SessionCallback = std::function<void(Result<SessionInfo>)>;

// Room and session names: 1-64 of [A-Za-z0-9_.-], not starting with '.' (they become paths).
bool is_valid_name(std::string_view name) noexcept;

class RoomRegistry final : private PublisherSession::Owner, private ViewerSession::Owner {
  public:
    RoomRegistry(Engine::Impl& engine, RoomRegistryOptions options);
    ~RoomRegistry() override;
    RoomRegistry(const RoomRegistry&) = delete;
    RoomRegistry& operator=(const RoomRegistry&) = delete;

    // Errors: kInvalidArgument (bad room name, unusable offer), kResourceExhausted (a limit,
    // or too little disk for a recording), kUnavailable (shutting down).
    void publish(const std::string& room, const std::string& offer, SessionCallback done);
    // Errors as publish, plus kNotFound (no such publisher) and kFailedPrecondition (the
    // publisher has no media yet).
    void view(const std::string& room, const std::string& publisher, const std::string& offer,
              SessionCallback done);
    Status add_candidates(const std::string& room, const std::string& session,
                          const std::vector<IceCandidate>& candidates);
    // Ends a publisher (and its viewers) or a viewer; its teardown finishes in the background.
    Status end_session(const std::string& room, const std::string& session);
    // Ends everything; `done` runs when every recording is finalized and every peer closed.
    void shutdown(std::function<void()> done);

    std::size_t session_count() const noexcept;
    bool records(const std::string& room) const;
    const PublisherSession* find_publisher(const std::string& room, const std::string& id) const;

  private:
    struct Room {
        std::map<std::string, std::unique_ptr<PublisherSession>> publishers;
        std::map<std::string, std::unique_ptr<ViewerSession>> viewers;
        std::size_t size() const { return publishers.size() + viewers.size(); }
    };

    Status admit(const std::string& room) const;
    EndpointOptions endpoint_options() const;
    std::string new_session_id() const;
    template <typename Session>
    void retire(std::unique_ptr<Session> session);
    void drop_room_if_empty(const std::string& room);
    void maybe_finish_shutdown();

    void on_publisher_failed(PublisherSession& session, const Status& reason) override;
    void on_viewer_failed(ViewerSession& session, const Status& reason) override;

    Engine::Impl& engine_;
    RoomRegistryOptions options_;
    Logger logger_;
    std::map<std::string, Room> rooms_;
    // Sessions whose teardown is under way; they live here until it completes.
    std::list<std::shared_ptr<void>> retiring_;
    std::vector<std::function<void()>> shutdown_waiters_;
    bool shutting_down_ = false;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

} // namespace conf
