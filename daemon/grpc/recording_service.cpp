#include "grpc/recording_service.hpp"

#include "grpc/grpc_status.hpp"
#include "grpc/media_thread_call.hpp"
#include "grpc/page_token.hpp"
#include "grpc/request_checks.hpp"

#include <fmt/format.h>

#include <tuple>

#include <charconv>

namespace conf::daemon {

namespace {

namespace pb = ::conf::v1;

Result<RecordingRequest> recording_request(const pb::StartRecordingRequest& request) {
    RecordingRequest out;
    switch (request.source().source_case()) {
    case pb::RecordingSource::SOURCE_NOT_SET:
    case pb::RecordingSource::kRoom:
        out.source = conf::RecordingSource::kRoom;
        break;
    case pb::RecordingSource::kParticipantId:
        out.source = conf::RecordingSource::kMember;
        out.member_id = request.source().participant_id();
        if (out.member_id.empty()) {
            return invalid_argument("source.participant_id is empty");
        }
        break;
    case pb::RecordingSource::kTrackId:
        out.source = conf::RecordingSource::kTrack;
        out.track_id = request.source().track_id();
        if (out.track_id.empty()) {
            return invalid_argument("source.track_id is empty");
        }
        break;
    case pb::RecordingSource::kComposite:
        if (!request.source().composite()) {
            return invalid_argument("source.composite is false: leave the source unset to "
                                    "record the whole room");
        }
        out.source = conf::RecordingSource::kComposite;
        break;
    }
    switch (request.container()) {
    case pb::CONTAINER_UNSPECIFIED:
        break;
    case pb::CONTAINER_MATROSKA:
        out.container = RecordingContainer::kMatroska;
        break;
    case pb::CONTAINER_MP4:
        out.container = RecordingContainer::kMp4Fragmented;
        break;
    default:
        return invalid_argument("container is not a Container");
    }
    for (auto [field, name, target] :
         {std::tuple{"video_codec", &request.video_codec(), &out.transcode.video},
          std::tuple{"audio_codec", &request.audio_codec(), &out.transcode.audio}}) {
        if (name->empty()) {
            continue;
        }
        *target = find_codec(*name);
        if (*target == nullptr || (*target)->containers == 0) {
            return invalid_argument(fmt::format("{} '{}' is not a codec confd records (see "
                                                "confd --list-plugins)",
                                                field, *name));
        }
    }
    return out;
}

// A track id names its publisher: the member whose tracks include it.
std::string member_of_track(const std::vector<MemberInfo>& members, const std::string& track) {
    for (const MemberInfo& member : members) {
        for (const TrackInfo& info : member.tracks) {
            if (info.id == track) {
                return member.id;
            }
        }
    }
    return {};
}

// What the call answers when the files are not readable yet: the facts known without them.
pb::Recording in_progress(const std::string& id, const std::string& room,
                          const pb::StartRecordingRequest& request) {
    pb::Recording out;
    out.set_id(id);
    out.set_room(room);
    *out.mutable_source() = request.source();
    if (out.source().source_case() == pb::RecordingSource::SOURCE_NOT_SET) {
        out.mutable_source()->set_room(true);
    }
    out.set_state(pb::RecordingManifest::RECORDING);
    return out;
}

} // namespace

grpc::ServerUnaryReactor* RecordingService::StartRecording(grpc::CallbackServerContext* context,
                                                           const pb::StartRecordingRequest* request,
                                                           pb::Recording* response) {
    auto [reactor, allowed] = api_.auth.start_unary(context, Scope::kRecordings, "StartRecording");
    if (!allowed) {
        return reactor;
    }
    finish_on_media(api_.engine, reactor, [this, request, response]() -> Status {
        if (Status valid = check_room_name(request->room()); !valid) {
            return valid;
        }
        auto wanted = recording_request(*request);
        if (!wanted) {
            return wanted.status();
        }
        if (wanted->source == conf::RecordingSource::kTrack) {
            wanted->member_id =
                member_of_track(api_.rooms.members(request->room()), wanted->track_id);
            if (wanted->member_id.empty()) {
                return not_found(
                    fmt::format("no track '{}' in room '{}'", wanted->track_id, request->room()));
            }
        }
        auto id = api_.rooms.start_recording(request->room(), *wanted);
        if (!id) {
            return id.status();
        }
        auto recording = catalog_.get(*id, request->room());
        *response =
            recording ? std::move(recording).value() : in_progress(*id, request->room(), *request);
        return Status::ok();
    });
    return reactor;
}

grpc::ServerUnaryReactor* RecordingService::StopRecording(grpc::CallbackServerContext* context,
                                                          const pb::StopRecordingRequest* request,
                                                          pb::Recording* response) {
    auto [reactor, allowed] = api_.auth.start_unary(context, Scope::kRecordings, "StopRecording");
    if (!allowed) {
        return reactor;
    }
    run_on_media(api_.engine, reactor, [this, request, response](Finish finish) {
        if (request->id().empty()) {
            finish(invalid_argument("id is required"));
            return;
        }
        api_.rooms.stop_recording(request->id(), [this, request, response,
                                                  finish](Result<std::string> room) {
            if (room) {
                auto recording = catalog_.get(request->id(), *room);
                if (recording) {
                    *response = std::move(recording).value();
                }
                finish(recording.status());
                return;
            }
            if (room.status().code() != StatusCode::kNotFound) {
                finish(room.status());
                return;
            }
            // Not in progress: an ended recording is a precondition failure, an unknown
            // one is not found.
            auto ended = catalog_.get(request->id());
            finish(ended ? failed_precondition(
                               fmt::format("recording '{}' has already ended ({})", request->id(),
                                           pb::RecordingManifest::State_Name(ended->state())))
                         : room.status());
        });
    });
    return reactor;
}

grpc::ServerUnaryReactor* RecordingService::GetRecording(grpc::CallbackServerContext* context,
                                                         const pb::GetRecordingRequest* request,
                                                         pb::Recording* response) {
    auto [reactor, allowed] = api_.auth.start_unary(context, Scope::kRecordings, "GetRecording");
    if (!allowed) {
        return reactor;
    }
    if (request->id().empty()) {
        reactor->Finish(to_grpc(invalid_argument("id is required")));
        return reactor;
    }
    // Manifests on disk are the truth, also for recordings in progress: no media thread.
    auto recording = catalog_.get(request->id());
    if (recording) {
        *response = std::move(recording).value();
    }
    reactor->Finish(to_grpc(recording.status()));
    return reactor;
}

grpc::ServerUnaryReactor* RecordingService::ListRecordings(grpc::CallbackServerContext* context,
                                                           const pb::ListRecordingsRequest* request,
                                                           pb::ListRecordingsResponse* response) {
    auto [reactor, allowed] = api_.auth.start_unary(context, Scope::kRecordings, "ListRecordings");
    if (!allowed) {
        return reactor;
    }
    if (!request->room().empty() && !is_valid_name(request->room())) {
        reactor->Finish(to_grpc(
            invalid_argument(fmt::format("room '{}' is not a valid room name", request->room()))));
        return reactor;
    }
    auto position = page_position(request->page_token());
    std::size_t offset = 0;
    if (position && !position->empty()) {
        auto [end, error] =
            std::from_chars(position->data(), position->data() + position->size(), offset);
        if (error != std::errc() || end != position->data() + position->size()) {
            position = invalid_argument("page_token is not one this server returned");
        }
    }
    if (!position) {
        reactor->Finish(to_grpc(position.status()));
        return reactor;
    }
    std::size_t size = page_size(request->page_size());
    std::size_t index = 0;
    for (pb::Recording& recording : catalog_.list(request->room())) {
        if (request->state() != pb::RecordingManifest::STATE_UNSPECIFIED &&
            recording.state() != request->state()) {
            continue;
        }
        if (index++ < offset) {
            continue;
        }
        if (static_cast<std::size_t>(response->recordings_size()) == size) {
            response->set_next_page_token(page_token(std::to_string(offset + size)));
            break;
        }
        *response->add_recordings() = std::move(recording);
    }
    reactor->Finish(grpc::Status::OK);
    return reactor;
}

} // namespace conf::daemon
