#include "http/room_protocol.hpp"

#include <fmt/format.h>
#include <glib.h>
#include <google/protobuf/util/json_util.h>

namespace conf::daemon {

namespace room = confd::v1::room;

namespace {

std::string print(const google::protobuf::Message& message) {
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    options.always_print_primitive_fields = true;
    std::string out;
    // Printing a message built here cannot fail (no Any, no invalid UTF-8 from us: names
    // were validated on the way in).
    (void)google::protobuf::util::MessageToJsonString(message, &out, options);
    return out;
}

void fill(room::Track& out, const TrackInfo& track) {
    out.set_id(track.id);
    out.set_kind(std::string(to_string(track.kind)));
    out.set_muted(track.muted);
}

void fill(room::Participant& out, const MemberInfo& member) {
    out.set_id(member.id);
    out.set_name(member.name);
    for (const TrackInfo& track : member.tracks) {
        fill(*out.add_tracks(), track);
    }
}

void fill(room::RecordingState& out, const RecordingInfo& recording, bool active) {
    out.set_type("recording");
    out.set_recording_id(recording.id);
    out.set_active(active);
    out.set_participant_id(recording.member_id);
    out.set_track_id(recording.track_id);
    out.set_composite(recording.source == RecordingSource::kComposite);
}

} // namespace

Result<room::ClientMessage> parse_client_message(std::string_view text) {
    if (text.size() > kMaxRoomMessageBytes) {
        return invalid_argument(fmt::format("message of {} bytes is over the {} byte limit",
                                            text.size(), kMaxRoomMessageBytes));
    }
    room::ClientMessage message;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(text.data(), text.size()), &message, options);
    if (!status.ok()) {
        return invalid_argument(
            fmt::format("not a protocol message (JSON object with a \"type\"): {}",
                        std::string(status.message())));
    }
    if (message.type().empty()) {
        return invalid_argument("the message has no \"type\"");
    }
    return message;
}

Result<std::string> valid_display_name(std::string_view raw) {
    if (!g_utf8_validate(raw.data(), static_cast<gssize>(raw.size()), nullptr)) {
        return invalid_argument("the name is not valid UTF-8");
    }
    std::string name(raw);
    g_strstrip(name.data());
    name.resize(std::char_traits<char>::length(name.c_str()));
    glong length = g_utf8_strlen(name.c_str(), -1);
    if (length < 1 || length > 64) {
        return invalid_argument("the name must be 1 to 64 characters long");
    }
    for (const char* p = name.c_str(); *p != '\0'; p = g_utf8_next_char(p)) {
        if (g_unichar_iscntrl(g_utf8_get_char(p))) {
            return invalid_argument("the name must not contain control characters");
        }
    }
    return name;
}

std::string welcome_json(const std::string& participant_id, const std::string& room_name,
                         const std::vector<MemberInfo>& others, const Grants& grants,
                         const std::vector<RecordingInfo>& recordings, bool mixed) {
    room::Welcome message;
    message.set_mixed(mixed);
    message.set_type("welcome");
    message.set_participant_id(participant_id);
    message.set_room(room_name);
    for (const MemberInfo& member : others) {
        fill(*message.add_participants(), member);
    }
    message.mutable_grants()->set_publish(grants.publish);
    message.mutable_grants()->set_subscribe(grants.subscribe);
    message.mutable_grants()->set_record(grants.record);
    message.mutable_grants()->set_admin(grants.admin);
    for (const RecordingInfo& recording : recordings) {
        fill(*message.add_recordings(), recording, true);
    }
    return print(message);
}

std::string recording_json(const RecordingInfo& recording, bool active) {
    room::RecordingState message;
    fill(message, recording, active);
    return print(message);
}

std::string offer_json(const SessionDescription& offer) {
    room::Offer message;
    message.set_type("offer");
    message.set_revision(offer.revision);
    message.set_sdp(offer.sdp);
    for (const MediaSlot& slot : offer.slots) {
        room::Slot& out = (*message.mutable_mids())[slot.mid];
        out.set_direction(slot.publish ? "publish" : "subscribe");
        out.set_kind(slot.kind);
        out.set_participant_id(slot.participant_id);
        out.set_track_id(slot.track_id);
    }
    return print(message);
}

std::string participant_joined_json(const MemberInfo& member) {
    room::ParticipantJoined message;
    message.set_type("participant_joined");
    fill(*message.mutable_participant(), member);
    return print(message);
}

std::string participant_left_json(const std::string& member_id, const std::string& reason) {
    room::ParticipantLeft message;
    message.set_type("participant_left");
    message.set_participant_id(member_id);
    message.set_reason(reason);
    return print(message);
}

std::string track_published_json(const std::string& member_id, const TrackInfo& track) {
    room::TrackPublished message;
    message.set_type("track_published");
    message.set_participant_id(member_id);
    fill(*message.mutable_track(), track);
    return print(message);
}

std::string track_unpublished_json(const std::string& member_id, const std::string& track_id) {
    room::TrackUnpublished message;
    message.set_type("track_unpublished");
    message.set_participant_id(member_id);
    message.set_track_id(track_id);
    return print(message);
}

std::string track_muted_json(const std::string& member_id, const std::string& track_id,
                             bool muted) {
    room::TrackMuted message;
    message.set_type("track_muted");
    message.set_participant_id(member_id);
    message.set_track_id(track_id);
    message.set_muted(muted);
    return print(message);
}

std::string active_speaker_json(const std::string& member_id) {
    room::ActiveSpeaker message;
    message.set_type("active_speaker");
    message.set_participant_id(member_id);
    return print(message);
}

std::string error_json(const Status& error, std::string_view in_reply_to) {
    room::Error message;
    message.set_type("error");
    message.set_code(std::string(to_string(error.code())));
    message.set_message(error.message());
    message.set_in_reply_to(std::string(in_reply_to));
    return print(message);
}

} // namespace conf::daemon
