#include "http/room_event_hub.hpp"

#include "http/room_protocol.hpp"

namespace conf::daemon {

void RoomEventHub::add(const std::string& room, const std::string& participant_id,
                       std::shared_ptr<SocketLink> link) {
    links_[room][participant_id] = std::move(link);
}

void RoomEventHub::broadcast(const std::string& room, const std::string& except,
                             const std::string& text) {
    auto r = links_.find(room);
    if (r == links_.end()) {
        return;
    }
    for (const auto& [id, link] : r->second) {
        if (id != except) {
            link->send(text);
        }
    }
}

void RoomEventHub::on_member_joined(Room& room, const MemberInfo& member) {
    broadcast(room.name(), member.id, participant_joined_json(member));
}

void RoomEventHub::on_member_left(Room& room, const std::string& member_id,
                                  const std::string& reason) {
    auto r = links_.find(room.name());
    if (r != links_.end()) {
        if (auto own = r->second.find(member_id); own != r->second.end()) {
            if (reason == "disconnected") {
                own->second->close(kCloseConnectionLost,
                                   "the media connection was lost (no packets from this peer)");
            } else if (reason == "shutdown") {
                own->second->close(kCloseShuttingDown, "the server is shutting down");
            } else if (reason == "removed") {
                own->second->close(kCloseNormal, "removed from the room by the server");
            }
            r->second.erase(own);
        }
    }
    broadcast(room.name(), member_id, participant_left_json(member_id, reason));
    if (r != links_.end() && r->second.empty()) {
        links_.erase(r);
    }
}

void RoomEventHub::on_track_published(Room& room, const std::string& member_id,
                                      const TrackInfo& track) {
    broadcast(room.name(), member_id, track_published_json(member_id, track));
}

void RoomEventHub::on_track_unpublished(Room& room, const std::string& member_id,
                                        const std::string& track_id) {
    broadcast(room.name(), member_id, track_unpublished_json(member_id, track_id));
}

void RoomEventHub::on_track_muted(Room& room, const std::string& member_id,
                                  const std::string& track_id, bool muted) {
    broadcast(room.name(), member_id, track_muted_json(member_id, track_id, muted));
}

void RoomEventHub::on_active_speaker(Room& room, const std::string& member_id) {
    broadcast(room.name(), "", active_speaker_json(member_id));
}

void RoomEventHub::on_recording_started(Room& room, const RecordingInfo& recording) {
    broadcast(room.name(), {}, recording_json(recording, true));
}

void RoomEventHub::on_recording_ended(Room& room, const RecordingInfo& recording,
                                      const RecordingOutcome& /*outcome*/) {
    broadcast(room.name(), {}, recording_json(recording, false));
}

} // namespace conf::daemon
