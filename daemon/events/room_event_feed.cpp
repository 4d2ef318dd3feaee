#include "events/room_event_feed.hpp"

#include "grpc/layout_proto.hpp"
#include "grpc/stream_service.hpp"

namespace conf::daemon {

::conf::v1::Track to_proto(const TrackInfo& track) {
    ::conf::v1::Track out;
    out.set_id(track.id);
    out.set_kind(track.kind == MediaKind::kAudio ? ::conf::v1::MEDIA_KIND_AUDIO
                                                 : ::conf::v1::MEDIA_KIND_VIDEO);
    out.set_muted(track.muted);
    return out;
}

::conf::v1::Participant to_proto(const MemberInfo& member) {
    ::conf::v1::Participant out;
    out.set_id(member.id);
    out.set_name(member.name);
    out.set_identity(member.identity);
    out.set_kind(member.participant ? ::conf::v1::Participant::ROOM_PROTOCOL
                                    : ::conf::v1::Participant::WHIP);
    for (const TrackInfo& track : member.tracks) {
        *out.add_tracks() = to_proto(track);
    }
    return out;
}

::conf::v1::RecordingSource to_proto(const RecordingInfo& recording) {
    ::conf::v1::RecordingSource out;
    switch (recording.source) {
    case RecordingSource::kRoom:
        out.set_room(true);
        break;
    case RecordingSource::kMember:
        out.set_participant_id(recording.member_id);
        break;
    case RecordingSource::kTrack:
        out.set_track_id(recording.track_id);
        break;
    case RecordingSource::kComposite:
        out.set_composite(true);
        break;
    }
    return out;
}

::conf::v1::Event RoomEventFeed::event_in(const Room& room) const {
    ::conf::v1::Event event;
    event.set_room(room.name());
    return event;
}

void RoomEventFeed::on_room_created(Room& room) {
    auto event = event_in(room);
    event.mutable_room_created()->mutable_room()->set_name(room.name());
    log_.append(std::move(event));
}

void RoomEventFeed::on_room_deleted(Room& room, const std::string& reason) {
    auto event = event_in(room);
    event.mutable_room_deleted()->set_reason(reason);
    log_.append(std::move(event));
}

void RoomEventFeed::on_member_joined(Room& room, const MemberInfo& member) {
    auto event = event_in(room);
    *event.mutable_participant_joined()->mutable_participant() = to_proto(member);
    log_.append(std::move(event));
}

void RoomEventFeed::on_member_left(Room& room, const std::string& member_id,
                                   const std::string& reason) {
    auto event = event_in(room);
    event.mutable_participant_left()->set_participant_id(member_id);
    event.mutable_participant_left()->set_reason(reason);
    log_.append(std::move(event));
}

void RoomEventFeed::on_track_published(Room& room, const std::string& member_id,
                                       const TrackInfo& track) {
    auto event = event_in(room);
    event.mutable_track_published()->set_participant_id(member_id);
    *event.mutable_track_published()->mutable_track() = to_proto(track);
    log_.append(std::move(event));
}

void RoomEventFeed::on_track_unpublished(Room& room, const std::string& member_id,
                                         const std::string& track_id) {
    auto event = event_in(room);
    event.mutable_track_unpublished()->set_participant_id(member_id);
    event.mutable_track_unpublished()->set_track_id(track_id);
    log_.append(std::move(event));
}

void RoomEventFeed::on_track_muted(Room& room, const std::string& member_id,
                                   const std::string& track_id, bool muted) {
    auto event = event_in(room);
    event.mutable_track_muted()->set_participant_id(member_id);
    event.mutable_track_muted()->set_track_id(track_id);
    event.mutable_track_muted()->set_muted(muted);
    log_.append(std::move(event));
}

void RoomEventFeed::on_active_speaker(Room& room, const std::string& member_id) {
    auto event = event_in(room);
    event.mutable_active_speaker_changed()->set_participant_id(member_id);
    log_.append(std::move(event));
}

void RoomEventFeed::on_recording_started(Room& room, const RecordingInfo& recording) {
    auto event = event_in(room);
    event.mutable_recording_started()->set_recording_id(recording.id);
    *event.mutable_recording_started()->mutable_source() = to_proto(recording);
    log_.append(std::move(event));
}

void RoomEventFeed::on_recording_ended(Room& room, const RecordingInfo& recording,
                                       const RecordingOutcome& outcome) {
    auto event = event_in(room);
    auto* ended = event.mutable_recording_ended();
    ended->set_recording_id(recording.id);
    *ended->mutable_source() = to_proto(recording);
    ended->set_state(outcome.failed ? ::conf::v1::RecordingManifest::FAILED
                                    : ::conf::v1::RecordingManifest::FINALIZED);
    ended->set_failure_reason(outcome.failure_reason);
    log_.append(std::move(event));
}

void RoomListenerFanout::on_room_created(Room& room) {
    for (auto* l : listeners_) {
        l->on_room_created(room);
    }
}
void RoomListenerFanout::on_room_deleted(Room& room, const std::string& reason) {
    for (auto* l : listeners_) {
        l->on_room_deleted(room, reason);
    }
}
void RoomListenerFanout::on_member_joined(Room& room, const MemberInfo& member) {
    for (auto* l : listeners_) {
        l->on_member_joined(room, member);
    }
}
void RoomListenerFanout::on_member_left(Room& room, const std::string& member_id,
                                        const std::string& reason) {
    for (auto* l : listeners_) {
        l->on_member_left(room, member_id, reason);
    }
}
void RoomListenerFanout::on_track_published(Room& room, const std::string& member_id,
                                            const TrackInfo& track) {
    for (auto* l : listeners_) {
        l->on_track_published(room, member_id, track);
    }
}
void RoomListenerFanout::on_track_unpublished(Room& room, const std::string& member_id,
                                              const std::string& track_id) {
    for (auto* l : listeners_) {
        l->on_track_unpublished(room, member_id, track_id);
    }
}
void RoomListenerFanout::on_track_muted(Room& room, const std::string& member_id,
                                        const std::string& track_id, bool muted) {
    for (auto* l : listeners_) {
        l->on_track_muted(room, member_id, track_id, muted);
    }
}
void RoomListenerFanout::on_active_speaker(Room& room, const std::string& member_id) {
    for (auto* l : listeners_) {
        l->on_active_speaker(room, member_id);
    }
}
void RoomListenerFanout::on_keyframe_requested(Room& room, const std::string& member_id,
                                               const std::string& track_id) {
    for (auto* l : listeners_) {
        l->on_keyframe_requested(room, member_id, track_id);
    }
}
void RoomListenerFanout::on_member_failed(Room& room, const std::string& member_id,
                                          const Status& reason) {
    for (auto* l : listeners_) {
        l->on_member_failed(room, member_id, reason);
    }
}
void RoomListenerFanout::on_recording_started(Room& room, const RecordingInfo& recording) {
    for (auto* l : listeners_) {
        l->on_recording_started(room, recording);
    }
}
void RoomListenerFanout::on_recording_ended(Room& room, const RecordingInfo& recording,
                                            const RecordingOutcome& outcome) {
    for (auto* l : listeners_) {
        l->on_recording_ended(room, recording, outcome);
    }
}

void RoomEventFeed::on_layout_changed(Room& room, const RoomMix* mix) {
    auto event = event_in(room);
    ::conf::v1::LayoutChanged& changed = *event.mutable_layout_changed();
    *changed.mutable_layout() = to_proto(room.layout(), room.layout_locked());
    if (mix != nullptr) {
        for (::conf::v1::Tile& tile : to_proto(mix->assignments())) {
            *changed.add_tiles() = std::move(tile);
        }
    }
    log_.append(std::move(event));
}

void RoomEventFeed::on_mix_state(Room& room, bool running, const Status& error) {
    auto event = event_in(room);
    event.mutable_mix_state_changed()->set_running(running);
    if (!error) {
        event.mutable_mix_state_changed()->set_error(error.message());
    }
    log_.append(std::move(event));
}

void RoomEventFeed::on_stream_state(Room& room, const StreamInfo& stream) {
    auto event = event_in(room);
    *event.mutable_stream_state_changed()->mutable_stream() = to_proto(room.name(), stream);
    log_.append(std::move(event));
}

void RoomListenerFanout::on_stream_state(Room& room, const StreamInfo& stream) {
    for (Room::Listener* listener : listeners_) {
        listener->on_stream_state(room, stream);
    }
}

void RoomListenerFanout::on_layout_changed(Room& room, const RoomMix* mix) {
    for (Room::Listener* listener : listeners_) {
        listener->on_layout_changed(room, mix);
    }
}

void RoomListenerFanout::on_mix_state(Room& room, bool running, const Status& error) {
    for (Room::Listener* listener : listeners_) {
        listener->on_mix_state(room, running, error);
    }
}

} // namespace conf::daemon
