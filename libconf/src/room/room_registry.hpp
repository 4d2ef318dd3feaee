// RoomRegistry: the rooms of one engine and everyone in them, with the limits an operator
// configures. It is what the daemon drives: room protocol participants (join, leave, mute),
// WHIP publishers (publish: answer an offer, record if the room records; each is a member
// of its Room, so participants see it), WHEP viewers (view: forward any member's tracks to
// a new peer), trickle, end, and shutdown (every recording finalized and every peer closed
// before the callback). A session that fails or is refused leaves nothing behind.
// Media thread only.
#pragma once

#include "recording/recording_codecs.hpp"
#include "room/publisher_session.hpp"
#include "room/room.hpp"
#include "room/viewer_session.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
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

// What an operator sets per room (CreateRoom). Zero limits take the registry's.
struct RoomConfig {
    std::uint32_t max_sessions = 0;
    std::uint32_t max_publisher_video_kbps = 0;
    bool record_automatically = false;
    std::optional<RecordingContainer> container;
    RoomMode mode = RoomMode::kSfu;
    // The mix's canvas (immutable) and first layout; unset: the registry's.
    std::optional<Canvas> canvas;
    std::optional<Layout> layout;
    bool layout_locked = false;
};

struct RoomSummary {
    std::string name;
    RoomConfig config; // with the registry's values filled in
    bool managed = false;
    std::chrono::system_clock::time_point created;
    std::size_t members = 0;
    std::string room_recording_id;
    std::string active_speaker;
    Layout layout; // the mix's, now
    bool layout_locked = false;
    bool mix_running = false;
    std::vector<Assignment> tiles; // who is where in the running mix
};

// Who joins and what they may do (from a join token, or everything when tokens are off).
struct JoinRequest {
    std::string name;
    std::string identity;
    bool publish_audio = true;
    bool publish_video = true;
    bool subscribe = true;
    bool mixed = false; // receive the room's mix (a kHybrid room; kMixed rooms always do)
    // Video codecs it decodes (encoding names); empty: all. Others come transcoded.
    std::vector<std::string> receive_codecs;
};

// Heights a viewer may ask for a rendition at.
inline constexpr int kMinRenditionHeight = 90;
inline constexpr int kMaxRenditionHeight = 2160;

struct RoomRegistryOptions {
    std::vector<std::string> ice_addresses{"127.0.0.1"};
    std::string stun_server;
    // A peer from which nothing arrives for this long is ended (see EndpointOptions).
    std::chrono::milliseconds peer_silence_timeout{15000};
    std::filesystem::path recordings_dir = "var/recordings";
    bool record_every_room = false;       // the recorder profile
    std::set<std::string> recorded_rooms; // recorded even when record_every_room is off
    RecordingContainer container = RecordingContainer::kMatroska;
    std::uint64_t min_free_bytes = std::uint64_t{512} << 20;
    SessionLimits limits;
    // Every room's mix: default canvas and layout, bitrates, names under tiles.
    RoomMixOptions mix;
    // Transcodes for viewers that cannot receive a publisher's codec, per room.
    RoomTranscodesOptions transcoding;
    // The mode of rooms made by a first join.
    RoomMode default_mode = RoomMode::kHybrid;
    // Live streams of rooms' mixes; unset: no room streams.
    std::optional<RoomStreamsOptions> streaming;
    std::uint32_t max_streams = 8;          // all rooms together
    std::uint32_t max_streams_per_room = 2; // one room
    std::uint32_t max_rooms = 100;
    // A join or publish into a room nobody created makes it; else kNotFound.
    bool auto_create = true;
    // Told about everything that happens in every room (the daemon's room protocol); may be
    // null. Must outlive the registry.
    Room::Listener* room_listener = nullptr;
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

    // An operator's room: it stays when empty, until delete_room(). kAlreadyExists,
    // kInvalidArgument (name, a limit above the server's), kResourceExhausted (max_rooms).
    Status create_room(const std::string& room, const RoomConfig& config);
    // Ends every session in the room ("removed"); `done` runs once the room is gone.
    void delete_room(const std::string& room, std::function<void(Status)> done);
    std::optional<RoomSummary> room_summary(const std::string& room) const;
    std::vector<std::string> room_names() const; // sorted

    // Errors: kInvalidArgument (bad room name, unusable offer), kResourceExhausted (a limit,
    // or too little disk for a recording), kUnavailable (shutting down), kNotFound (no such
    // room when rooms are not made on demand).
    // `identity` and `name` come from the publisher's join token (empty: none; the name
    // then is "whip-" and the start of the session id).
    void publish(const std::string& room, const std::string& offer, const std::string& identity,
                 const std::string& name, SessionCallback done);
    // Errors as publish, plus kNotFound (no such publisher) and kFailedPrecondition (the
    // publisher has no media yet). An empty `publisher` views the room's mix (composite
    // video, mixed audio), which runs while the viewer does; kNotFound for no such room.
    // `max_height` > 0 asks for a smaller rendition of the video (kMinRenditionHeight to
    // kMaxRenditionHeight, else kInvalidArgument): scaled to that height, encoded once and
    // shared with every viewer asking the same.
    void view(const std::string& room, const std::string& publisher, const std::string& offer,
              SessionCallback done, int max_height = 0);
    // A live stream of the room's mix; kNotFound for no such room, kResourceExhausted at
    // max_streams or max_streams_per_room, kFailedPrecondition when streaming is off.
    Result<StreamInfo> start_stream(const std::string& room, const StreamRequest& request);
    // kNotFound when no room has stream `id`.
    Result<StreamInfo> stop_stream(const std::string& id);
    // The streams of `room`, or of every room when empty, with their rooms.
    std::vector<std::pair<std::string, StreamInfo>> streams(const std::string& room) const;
    // The room's running transcodes; empty for an unknown room.
    std::vector<TranscodeInfo> transcodes(const std::string& room) const;
    // The room's mix layout (see Room::set_layout); kNotFound for no such room.
    Status set_layout(const std::string& room, Layout layout);
    Status set_layout_locked(const std::string& room, bool locked);
    Status add_candidates(const std::string& room, const std::string& session,
                          const std::vector<IceCandidate>& candidates);

    // A participant of the room protocol joins `room`; offers and errors reach it through
    // `remote`, kept until the participant is gone. Returns its id. Errors as publish.
    Result<std::string> join(const std::string& room, const JoinRequest& request,
                             std::shared_ptr<Signaller> remote);
    // The participant (nullptr if it is gone).
    Participant* participant(const std::string& room, const std::string& id);
    // Takes a participant out ("left", "disconnected"); its viewers end with it.
    Status leave(const std::string& room, const std::string& id, const std::string& reason);
    Status set_muted(const std::string& room, const std::string& id, MediaKind kind, bool muted);
    // An operator's mute: the track's packets reach nobody while muted.
    Result<TrackInfo> mute_track(const std::string& room, const std::string& member,
                                 const std::string& track, bool muted);
    // Takes any member out ("removed"): a participant or a WHIP publisher.
    Status remove_member(const std::string& room, const std::string& member);
    Result<std::string> start_recording(const std::string& room, const RecordingRequest& request);
    // `done` gets the room the recording was in, once its files are finalized.
    void stop_recording(const std::string& id, std::function<void(Result<std::string>)> done);
    // Recordings in progress, with their rooms.
    std::vector<std::pair<std::string, RecordingInfo>> recordings() const;
    // The members of `room` (empty if there is no such room).
    std::vector<MemberInfo> members(const std::string& room) const;
    // Ends a publisher (and its viewers) or a viewer; its teardown finishes in the background.
    Status end_session(const std::string& room, const std::string& session,
                       const std::string& reason = "left");
    // Ends everything; `done` runs when every recording is finalized and every peer closed.
    void shutdown(std::function<void()> done);

    std::size_t session_count() const noexcept;
    bool records(const std::string& room) const;
    const PublisherSession* find_publisher(const std::string& room, const std::string& id) const;
    // The member's recorder, while it is being recorded.
    const Recorder* recording_of(const std::string& room, const std::string& member) const;

  private:
    struct Entry {
        std::unique_ptr<Room> room; // the SFU: participants and WHIP publishers as members
        std::map<std::string, std::unique_ptr<PublisherSession>> publishers;
        std::map<std::string, std::unique_ptr<ViewerSession>> viewers;
        std::map<std::string, std::shared_ptr<Signaller>> participants; // their signallers
        RoomConfig config;
        bool managed = false;
        std::chrono::system_clock::time_point created;
        std::string delete_reason = "empty";
        std::vector<std::function<void(Status)>> deleted; // delete_room() callers
        std::size_t size() const {
            return publishers.size() + viewers.size() + participants.size();
        }
    };

    Status admit(const std::string& room) const;
    // The room's entry, made if rooms are made on demand.
    Result<Entry*> open_room(const std::string& room);
    Entry& make_entry(const std::string& room, const RoomConfig& config, bool managed);
    RoomConfig effective(const RoomConfig& config) const;
    // What a publisher's or viewer's negotiation reports to: the answer to `done`, or the
    // refusal, after which the half-made session `id` is ended.
    OneShotSignaller::Done answer_handler(const std::string& room, const std::string& id,
                                          SessionCallback done);
    // kResourceExhausted when `room` records and the disk is below min_free_bytes.
    Status check_disk(const std::string& room) const;
    // kResourceExhausted when the recordings disk is below min_free_bytes.
    Status check_free_space() const;
    void end_viewers_of(Entry& entry, const std::string& room, const std::string& member);
    EndpointOptions endpoint_options() const;
    std::string new_session_id() const;
    template <typename Session>
    void retire(std::unique_ptr<Session> session);
    void drop_room_if_empty(const std::string& room);
    void maybe_finish_shutdown();

    void on_publisher_failed(PublisherSession& session, const Status& reason) override;
    void on_publisher_track(PublisherSession& session, ReceivedTrack& track) override;
    void on_viewer_failed(ViewerSession& session, const Status& reason) override;

    Engine::Impl& engine_;
    RoomRegistryOptions options_;
    Logger logger_;
    std::map<std::string, Entry> rooms_;
    Room::Listener no_listener_;
    // Sessions whose teardown is under way; they live here until it completes.
    std::list<std::shared_ptr<void>> retiring_;
    std::vector<std::function<void()>> shutdown_waiters_;
    bool shutting_down_ = false;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

} // namespace conf
