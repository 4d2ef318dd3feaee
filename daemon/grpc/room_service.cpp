#include "grpc/room_service.hpp"

#include "events/room_event_feed.hpp"
#include "grpc/grpc_status.hpp"
#include "grpc/layout_proto.hpp"
#include "grpc/media_thread_call.hpp"
#include "grpc/page_token.hpp"
#include "grpc/request_checks.hpp"
#include "recording/manifest_store.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace conf::daemon {

namespace {

namespace pb = ::conf::v1;

pb::Container to_proto(RecordingContainer container) {
    return container == RecordingContainer::kMp4Fragmented ? pb::CONTAINER_MP4
                                                           : pb::CONTAINER_MATROSKA;
}

pb::RoomMode to_proto(RoomMode mode) {
    switch (mode) {
    case RoomMode::kSfu:
        return pb::ROOM_MODE_SFU;
    case RoomMode::kHybrid:
        return pb::ROOM_MODE_HYBRID;
    case RoomMode::kMixed:
        return pb::ROOM_MODE_MIXED;
    }
    return pb::ROOM_MODE_UNSPECIFIED;
}

Result<RoomConfig> room_config(const pb::Room& room) {
    RoomConfig config;
    switch (room.mode()) {
    case pb::ROOM_MODE_UNSPECIFIED:
    case pb::ROOM_MODE_SFU:
        config.mode = RoomMode::kSfu;
        break;
    case pb::ROOM_MODE_MIXED:
        config.mode = RoomMode::kMixed;
        break;
    case pb::ROOM_MODE_HYBRID:
        config.mode = RoomMode::kHybrid;
        break;
    default:
        return invalid_argument(fmt::format("room.mode {} is not a RoomMode", room.mode()));
    }
    if (room.has_canvas()) {
        auto canvas = from_proto(room.canvas());
        if (!canvas) {
            return canvas.status().with_context("room.canvas");
        }
        config.canvas = *canvas;
    }
    if (room.has_layout()) {
        auto layout = from_proto(room.layout(), config.canvas.value_or(Canvas{}));
        if (!layout) {
            return layout.status().with_context("room.layout");
        }
        config.layout = std::move(layout).value();
        config.layout_locked = room.layout().locked();
    }
    config.max_sessions = room.limits().max_sessions();
    config.max_publisher_video_kbps = room.limits().max_publisher_video_kbps();
    switch (room.recording_policy().mode()) {
    case pb::RecordingPolicy::MODE_UNSPECIFIED:
    case pb::RecordingPolicy::MANUAL:
        break;
    case pb::RecordingPolicy::AUTOMATIC:
        config.record_automatically = true;
        break;
    default:
        return invalid_argument("room.recording_policy.mode is not a pb::RecordingPolicy.Mode");
    }
    switch (room.recording_policy().container()) {
    case pb::CONTAINER_UNSPECIFIED:
        break;
    case pb::CONTAINER_MATROSKA:
        config.container = RecordingContainer::kMatroska;
        break;
    case pb::CONTAINER_MP4:
        config.container = RecordingContainer::kMp4Fragmented;
        break;
    default:
        return invalid_argument("room.recording_policy.container is not a pb::Container");
    }
    return config;
}

// The room named by a request's `field`: kInvalidArgument for a bad name, kNotFound if absent.
Result<RoomSummary> existing_room(const RoomRegistry& rooms, const std::string& name,
                                  std::string_view field = "room") {
    if (Status valid = check_room_name(name, field); !valid) {
        return valid;
    }
    auto summary = rooms.room_summary(name);
    if (!summary) {
        return not_found(fmt::format("no room '{}'", name));
    }
    return std::move(summary).value();
}

// Which fields of a layout a request changes.
struct LayoutFields {
    bool name = false;
    bool regions = false;
    bool locked = false;
};

} // namespace

::conf::v1::Room to_proto(const RoomSummary& summary) {
    ::conf::v1::Room room;
    room.set_name(summary.name);
    room.set_mode(to_proto(summary.config.mode));
    room.mutable_limits()->set_max_sessions(summary.config.max_sessions);
    room.mutable_limits()->set_max_publisher_video_kbps(summary.config.max_publisher_video_kbps);
    room.mutable_recording_policy()->set_mode(summary.config.record_automatically
                                                  ? pb::RecordingPolicy::AUTOMATIC
                                                  : pb::RecordingPolicy::MANUAL);
    if (summary.config.container) {
        room.mutable_recording_policy()->set_container(to_proto(*summary.config.container));
    }
    *room.mutable_create_time() = to_timestamp(summary.created);
    room.set_managed(summary.managed);
    room.set_participant_count(static_cast<std::uint32_t>(summary.members));
    room.set_active_recording_id(summary.room_recording_id);
    room.set_active_speaker(summary.active_speaker);
    *room.mutable_canvas() = to_proto(summary.layout.canvas);
    *room.mutable_layout() = to_proto(summary.layout, summary.layout_locked);
    room.set_mix_running(summary.mix_running);
    for (pb::Tile& tile : to_proto(summary.tiles)) {
        *room.add_tiles() = std::move(tile);
    }
    return room;
}

namespace {

// Applies `fields` of `wanted` to the room's layout (the others stay as they are) and answers
// with the room.
Status change_layout(RoomRegistry& rooms, const std::string& room, const pb::Layout& wanted,
                     const LayoutFields& fields, pb::Room& response) {
    auto summary = existing_room(rooms, room);
    if (!summary) {
        return summary.status();
    }
    if (fields.name || fields.regions) {
        pb::Layout merged = ::conf::daemon::to_proto(summary->layout, summary->layout_locked);
        if (fields.name) {
            merged.set_name(wanted.name());
            if (!fields.regions && builtin_layout(wanted.name())) {
                merged.clear_regions(); // a built-in layout places tiles itself
            }
        }
        if (fields.regions) {
            *merged.mutable_regions() = wanted.regions();
        }
        auto layout = from_proto(merged, summary->layout.canvas);
        if (!layout) {
            return layout.status().with_context("layout");
        }
        if (Status set = rooms.set_layout(room, std::move(layout).value()); !set) {
            return set;
        }
    }
    if (fields.locked) {
        if (Status set = rooms.set_layout_locked(room, wanted.locked()); !set) {
            return set;
        }
    }
    response = ::conf::daemon::to_proto(*rooms.room_summary(room));
    return Status::ok();
}

} // namespace

grpc::ServerUnaryReactor* RoomService::SetLayout(grpc::CallbackServerContext* context,
                                                 const pb::SetLayoutRequest* request,
                                                 ::conf::v1::Room* response) {
    auto [reactor, allowed] = api_.auth.start_unary(context, Scope::kRooms, "SetLayout");
    if (!allowed) {
        return reactor;
    }
    finish_on_media(api_.engine, reactor, [this, request, response]() -> Status {
        // A replacement is an update of every field.
        return change_layout(api_.rooms, request->room(), request->layout(),
                             {.name = true, .regions = true, .locked = true}, *response);
    });
    return reactor;
}

grpc::ServerUnaryReactor* RoomService::UpdateLayout(grpc::CallbackServerContext* context,
                                                    const pb::UpdateLayoutRequest* request,
                                                    ::conf::v1::Room* response) {
    auto [reactor, allowed] = api_.auth.start_unary(context, Scope::kRooms, "UpdateLayout");
    if (!allowed) {
        return reactor;
    }
    finish_on_media(api_.engine, reactor, [this, request, response]() -> Status {
        // What to change: the mask's paths, or (no mask) whatever is set in the request.
        const pb::Layout& wanted = request->layout();
        LayoutFields fields;
        if (request->update_mask().paths_size() == 0) {
            fields = {!wanted.name().empty(), wanted.regions_size() != 0, true};
        }
        for (const std::string& path : request->update_mask().paths()) {
            if (path == "name") {
                fields.name = true;
            } else if (path == "regions") {
                fields.regions = true;
            } else if (path == "locked") {
                fields.locked = true;
            } else {
                return invalid_argument(fmt::format(
                    "update_mask path '{}' is not a layout field (name, regions, locked)", path));
            }
        }
        return change_layout(api_.rooms, request->room(), wanted, fields, *response);
    });
    return reactor;
}

grpc::ServerUnaryReactor* RoomService::CreateRoom(grpc::CallbackServerContext* context,
                                                  const pb::CreateRoomRequest* request,
                                                  ::conf::v1::Room* response) {
    auto [reactor, allowed] = api_.auth.start_unary(context, Scope::kRooms, "CreateRoom");
    if (!allowed) {
        return reactor;
    }
    finish_on_media(api_.engine, reactor, [this, request, response]() -> Status {
        const std::string& name = request->room().name();
        if (Status valid = check_room_name(name, "room.name"); !valid) {
            return valid;
        }
        auto config = room_config(request->room());
        if (!config) {
            return config.status();
        }
        if (Status created = api_.rooms.create_room(name, *config); !created) {
            return created;
        }
        *response = to_proto(*api_.rooms.room_summary(name));
        return Status::ok();
    });
    return reactor;
}

grpc::ServerUnaryReactor* RoomService::GetRoom(grpc::CallbackServerContext* context,
                                               const pb::GetRoomRequest* request,
                                               ::conf::v1::Room* response) {
    auto [reactor, allowed] = api_.auth.start_unary(context, Scope::kRooms, "GetRoom");
    if (!allowed) {
        return reactor;
    }
    finish_on_media(api_.engine, reactor, [this, request, response]() -> Status {
        auto summary = existing_room(api_.rooms, request->name(), "name");
        if (!summary) {
            return summary.status();
        }
        *response = to_proto(*summary);
        return Status::ok();
    });
    return reactor;
}

grpc::ServerUnaryReactor* RoomService::ListRooms(grpc::CallbackServerContext* context,
                                                 const pb::ListRoomsRequest* request,
                                                 pb::ListRoomsResponse* response) {
    auto [reactor, allowed] = api_.auth.start_unary(context, Scope::kRooms, "ListRooms");
    if (!allowed) {
        return reactor;
    }
    finish_on_media(api_.engine, reactor, [this, request, response]() -> Status {
        auto after = page_position(request->page_token());
        if (!after) {
            return after.status();
        }
        const std::size_t size = page_size(request->page_size());
        std::vector<std::string> names = api_.rooms.room_names();
        auto it = std::upper_bound(names.begin(), names.end(), *after);
        for (; it != names.end() && static_cast<std::size_t>(response->rooms_size()) < size; ++it) {
            *response->add_rooms() = to_proto(*api_.rooms.room_summary(*it));
        }
        if (it != names.end()) {
            response->set_next_page_token(page_token(*std::prev(it)));
        }
        return Status::ok();
    });
    return reactor;
}

grpc::ServerUnaryReactor* RoomService::DeleteRoom(grpc::CallbackServerContext* context,
                                                  const pb::DeleteRoomRequest* request,
                                                  pb::DeleteRoomResponse* /*response*/) {
    auto [reactor, allowed] = api_.auth.start_unary(context, Scope::kRooms, "DeleteRoom");
    if (!allowed) {
        return reactor;
    }
    run_on_media(api_.engine, reactor, [this, request](Finish finish) {
        if (Status valid = check_room_name(request->name(), "name"); !valid) {
            finish(valid);
            return;
        }
        api_.rooms.delete_room(request->name(), finish);
    });
    return reactor;
}

grpc::ServerUnaryReactor* RoomService::ListParticipants(grpc::CallbackServerContext* context,
                                                        const pb::ListParticipantsRequest* request,
                                                        pb::ListParticipantsResponse* response) {
    auto [reactor, allowed] = api_.auth.start_unary(context, Scope::kRooms, "ListParticipants");
    if (!allowed) {
        return reactor;
    }
    finish_on_media(api_.engine, reactor, [this, request, response]() -> Status {
        if (Status valid = check_room_name(request->room(), "room"); !valid) {
            return valid;
        }
        if (!api_.rooms.room_summary(request->room())) {
            return not_found(fmt::format("no room '{}'", request->room()));
        }
        auto after = page_position(request->page_token());
        if (!after) {
            return after.status();
        }
        const std::size_t size = page_size(request->page_size());
        std::vector<MemberInfo> members = api_.rooms.members(request->room());
        std::sort(members.begin(), members.end(),
                  [](const MemberInfo& a, const MemberInfo& b) { return a.id < b.id; });
        auto it = std::upper_bound(
            members.begin(), members.end(), *after,
            [](const std::string& id, const MemberInfo& member) { return id < member.id; });
        for (;
             it != members.end() && static_cast<std::size_t>(response->participants_size()) < size;
             ++it) {
            *response->add_participants() = to_proto(*it);
        }
        if (it != members.end()) {
            response->set_next_page_token(page_token(std::prev(it)->id));
        }
        return Status::ok();
    });
    return reactor;
}

grpc::ServerUnaryReactor*
RoomService::RemoveParticipant(grpc::CallbackServerContext* context,
                               const pb::RemoveParticipantRequest* request,
                               pb::RemoveParticipantResponse* /*response*/) {
    auto [reactor, allowed] = api_.auth.start_unary(context, Scope::kRooms, "RemoveParticipant");
    if (!allowed) {
        return reactor;
    }
    finish_on_media(api_.engine, reactor, [this, request]() -> Status {
        if (Status valid = check_room_name(request->room(), "room"); !valid) {
            return valid;
        }
        if (request->participant_id().empty()) {
            return invalid_argument("participant_id is required");
        }
        return api_.rooms.remove_member(request->room(), request->participant_id());
    });
    return reactor;
}

grpc::ServerUnaryReactor* RoomService::MuteTrack(grpc::CallbackServerContext* context,
                                                 const pb::MuteTrackRequest* request,
                                                 ::conf::v1::Track* response) {
    auto [reactor, allowed] = api_.auth.start_unary(context, Scope::kRooms, "MuteTrack");
    if (!allowed) {
        return reactor;
    }
    finish_on_media(api_.engine, reactor, [this, request, response]() -> Status {
        if (Status valid = check_room_name(request->room(), "room"); !valid) {
            return valid;
        }
        if (request->participant_id().empty() || request->track_id().empty()) {
            return invalid_argument("participant_id and track_id are required");
        }
        auto track = api_.rooms.mute_track(request->room(), request->participant_id(),
                                           request->track_id(), request->muted());
        if (!track) {
            return track.status();
        }
        *response = to_proto(*track);
        return Status::ok();
    });
    return reactor;
}

grpc::ServerUnaryReactor* RoomService::CreateJoinToken(grpc::CallbackServerContext* context,
                                                       const pb::CreateJoinTokenRequest* request,
                                                       pb::CreateJoinTokenResponse* response) {
    auto [reactor, allowed] = api_.auth.start_unary(context, Scope::kTokens, "CreateJoinToken");
    if (!allowed) {
        return reactor;
    }
    finish_on_media(api_.engine, reactor, [this, request, response]() -> Status {
        if (Status valid = check_room_name(request->room(), "room"); !valid) {
            return valid;
        }
        if (request->identity().empty() || request->identity().size() > 256) {
            return invalid_argument("identity is required (1-256 characters)");
        }
        if (request->name().size() > 64) {
            return invalid_argument("name is longer than 64 characters");
        }
        if (!request->grants().publish() && !request->grants().subscribe()) {
            return invalid_argument("grants: a token must allow publish, subscribe or both");
        }
        std::chrono::seconds ttl{3600};
        if (request->has_ttl()) {
            ttl = std::chrono::seconds(request->ttl().seconds());
            if (ttl < std::chrono::seconds(1) || ttl > api_.max_token_ttl) {
                return invalid_argument(fmt::format("ttl must be 1 s to {} s (auth.join_tokens."
                                                    "max_ttl_s)",
                                                    api_.max_token_ttl.count()));
            }
        }
        if (!api_.auto_create_rooms && !api_.rooms.room_summary(request->room())) {
            return failed_precondition(fmt::format(
                "no room '{}': create it first (rooms.auto_create is off)", request->room()));
        }
        JoinClaims claims;
        claims.room = request->room();
        claims.identity = request->identity();
        claims.name = request->name();
        claims.grants = {request->grants().publish(), request->grants().subscribe(),
                         request->grants().record(), request->grants().admin()};
        claims.issued = std::chrono::system_clock::now();
        claims.expires = std::chrono::time_point_cast<std::chrono::seconds>(claims.issued + ttl);
        response->set_token(api_.tokens.sign(claims));
        response->set_join_url(fmt::format("{}/r/{}#token={}", api_.join_base_url, request->room(),
                                           response->token()));
        *response->mutable_expire_time() = to_timestamp(claims.expires);
        return Status::ok();
    });
    return reactor;
}

} // namespace conf::daemon
