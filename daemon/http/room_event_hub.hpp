// RoomEventHub: the room protocol's side of every Room (a Room::Listener on the media
// thread). It knows which WebSocket belongs to which participant and turns room events
// into the protocol's messages for the others in the room: joins and leaves, tracks
// published/unpublished/muted, the active speaker. A participant removed by the server
// (its peer lost, the server stopping) has its socket closed with the matching code.
// Recordings starting and ending are told to everyone in the room.
#pragma once

#include "http/socket_link.hpp"
#include "room/room.hpp"

#include <map>
#include <memory>
#include <string>

namespace conf::daemon {

class RoomEventHub final : public Room::Listener {
  public:
    void add(const std::string& room, const std::string& participant_id,
             std::shared_ptr<SocketLink> link);

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
    // Everyone in the room is told, so the client can show that it is being recorded.
    void on_recording_started(Room& room, const RecordingInfo& recording) override;
    void on_recording_ended(Room& room, const RecordingInfo& recording,
                            const RecordingOutcome& outcome) override;

  private:
    // To every participant of `room` but `except`.
    void broadcast(const std::string& room, const std::string& except, const std::string& text);

    std::map<std::string, std::map<std::string, std::shared_ptr<SocketLink>>> links_;
};

} // namespace conf::daemon
