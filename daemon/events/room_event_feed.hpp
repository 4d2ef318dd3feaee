// RoomEventFeed: turns what happens in rooms (Room::Listener, on the media thread) into
// conf.v1.Event entries of the EventLog that EventService streams.
#pragma once

#include "events/event_log.hpp"
#include "room/room.hpp"

namespace conf::daemon {

// conf.v1 forms of libconf's room facts, shared with the gRPC services.
::conf::v1::Track to_proto(const TrackInfo& track);
::conf::v1::Participant to_proto(const MemberInfo& member);
::conf::v1::RecordingSource to_proto(const RecordingInfo& recording);

class RoomEventFeed final : public Room::Listener {
  public:
    explicit RoomEventFeed(EventLog& log) : log_(log) {}

    void on_room_created(Room& room) override;
    void on_room_deleted(Room& room, const std::string& reason) override;
    void on_member_joined(Room& room, const MemberInfo& member) override;
    void on_member_left(Room& room, const std::string& member_id,
                        const std::string& reason) override;
    void on_track_published(Room& room, const std::string& member_id,
                            const TrackInfo& track) override;
    void on_track_unpublished(Room& room, const std::string& member_id,
                              const std::string& track_id) override;
    void on_track_muted(Room& room, const std::string& member_id, const std::string& track_id,
                        bool muted) override;
    void on_active_speaker(Room& room, const std::string& member_id) override;
    void on_recording_started(Room& room, const RecordingInfo& recording) override;
    void on_recording_ended(Room& room, const RecordingInfo& recording,
                            const RecordingOutcome& outcome) override;
    void on_layout_changed(Room& room, const RoomMix* mix) override;
    void on_mix_state(Room& room, bool running, const Status& error) override;
    void on_stream_state(Room& room, const StreamInfo& stream) override;

  private:
    ::conf::v1::Event event_in(const Room& room) const;

    EventLog& log_;
};

// Passes every room event on to several listeners, in order (the room protocol's hub and
// the event feed).
class RoomListenerFanout final : public Room::Listener {
  public:
    explicit RoomListenerFanout(std::vector<Room::Listener*> listeners)
        : listeners_(std::move(listeners)) {}

    void on_room_created(Room& room) override;
    void on_room_deleted(Room& room, const std::string& reason) override;
    void on_member_joined(Room& room, const MemberInfo& member) override;
    void on_member_left(Room& room, const std::string& member_id,
                        const std::string& reason) override;
    void on_track_published(Room& room, const std::string& member_id,
                            const TrackInfo& track) override;
    void on_track_unpublished(Room& room, const std::string& member_id,
                              const std::string& track_id) override;
    void on_track_muted(Room& room, const std::string& member_id, const std::string& track_id,
                        bool muted) override;
    void on_active_speaker(Room& room, const std::string& member_id) override;
    void on_keyframe_requested(Room& room, const std::string& member_id,
                               const std::string& track_id) override;
    void on_member_failed(Room& room, const std::string& member_id, const Status& reason) override;
    void on_recording_started(Room& room, const RecordingInfo& recording) override;
    void on_recording_ended(Room& room, const RecordingInfo& recording,
                            const RecordingOutcome& outcome) override;
    void on_layout_changed(Room& room, const RoomMix* mix) override;
    void on_mix_state(Room& room, bool running, const Status& error) override;
    void on_stream_state(Room& room, const StreamInfo& stream) override;

  private:
    std::vector<Room::Listener*> listeners_;
};

} // namespace conf::daemon
