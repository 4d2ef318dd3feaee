#include "grpc/stream_service.hpp"

#include "grpc/media_thread_call.hpp"
#include "grpc/request_checks.hpp"
#include "recording/manifest_store.hpp"

#include <fmt/format.h>

namespace conf::daemon {

namespace pb = ::conf::v1;

namespace {

pb::Stream::State to_proto(StreamState state) {
    switch (state) {
    case StreamState::kLive:
        return pb::Stream::LIVE;
    case StreamState::kReconnecting:
        return pb::Stream::RECONNECTING;
    case StreamState::kEnded:
        return pb::Stream::ENDED;
    case StreamState::kFailed:
        return pb::Stream::FAILED;
    }
    return pb::Stream::STATE_UNSPECIFIED;
}

Result<StreamRequest> stream_request(const pb::StartStreamRequest& request) {
    StreamRequest out;
    switch (request.target_case()) {
    case pb::StartStreamRequest::kRtmp:
        out.kind = StreamKind::kRtmp;
        out.rtmp_url = request.rtmp().url();
        if (out.rtmp_url.empty()) {
            return invalid_argument("rtmp.url is required (rtmp://host/app/stream-key)");
        }
        break;
    case pb::StartStreamRequest::kHls:
        out.kind = StreamKind::kHls;
        if (request.hls().segment_seconds() != 0) {
            out.segment = std::chrono::seconds(request.hls().segment_seconds());
        }
        if (request.hls().playlist_length() != 0) {
            out.playlist_length = request.hls().playlist_length();
        }
        // The room's encoder makes a keyframe every 2 s; segments are cut on them.
        if (out.segment.count() % 2 != 0 || out.segment.count() > 10) {
            return invalid_argument(fmt::format(
                "hls.segment_seconds {} must be 2, 4, 6, 8 or 10 (segments start on the 2 s "
                "keyframes)",
                out.segment.count()));
        }
        if (out.playlist_length < 3 || out.playlist_length > 30) {
            return invalid_argument(
                fmt::format("hls.playlist_length {} is out of range 3-30", out.playlist_length));
        }
        break;
    case pb::StartStreamRequest::TARGET_NOT_SET:
        return invalid_argument("a target is required: rtmp or hls");
    }
    return out;
}

} // namespace

pb::Stream to_proto(const std::string& room, const StreamInfo& stream) {
    pb::Stream out;
    out.set_id(stream.id);
    out.set_room(room);
    out.set_kind(stream.kind == StreamKind::kHls ? pb::Stream::HLS : pb::Stream::RTMP);
    out.set_state(to_proto(stream.state));
    out.set_rtmp_url(stream.rtmp_url);
    out.set_playlist_path(stream.playlist_path);
    out.set_error(stream.error);
    *out.mutable_start_time() = to_timestamp(stream.started);
    return out;
}

grpc::ServerUnaryReactor* StreamService::StartStream(grpc::CallbackServerContext* context,
                                                     const pb::StartStreamRequest* request,
                                                     pb::Stream* response) {
    auto [reactor, allowed] = api_.auth.start_unary(context, Scope::kStreams, "StartStream");
    if (!allowed) {
        return reactor;
    }
    finish_on_media(api_.engine, reactor, [this, request, response]() -> Status {
        if (Status valid = check_room_name(request->room()); !valid) {
            return valid;
        }
        auto wanted = stream_request(*request);
        if (!wanted) {
            return wanted.status();
        }
        auto stream = api_.rooms.start_stream(request->room(), *wanted);
        if (!stream) {
            return stream.status();
        }
        *response = to_proto(request->room(), *stream);
        return Status::ok();
    });
    return reactor;
}

grpc::ServerUnaryReactor* StreamService::StopStream(grpc::CallbackServerContext* context,
                                                    const pb::StopStreamRequest* request,
                                                    pb::Stream* response) {
    auto [reactor, allowed] = api_.auth.start_unary(context, Scope::kStreams, "StopStream");
    if (!allowed) {
        return reactor;
    }
    finish_on_media(api_.engine, reactor, [this, request, response]() -> Status {
        if (request->id().empty()) {
            return invalid_argument("id is required");
        }
        std::string room;
        for (const auto& [name, stream] : api_.rooms.streams({})) {
            if (stream.id == request->id()) {
                room = name;
            }
        }
        auto stopped = api_.rooms.stop_stream(request->id());
        if (!stopped) {
            return stopped.status();
        }
        *response = to_proto(room, *stopped);
        return Status::ok();
    });
    return reactor;
}

grpc::ServerUnaryReactor* StreamService::ListStreams(grpc::CallbackServerContext* context,
                                                     const pb::ListStreamsRequest* request,
                                                     pb::ListStreamsResponse* response) {
    auto [reactor, allowed] = api_.auth.start_unary(context, Scope::kStreams, "ListStreams");
    if (!allowed) {
        return reactor;
    }
    finish_on_media(api_.engine, reactor, [this, request, response]() -> Status {
        if (Status valid = check_room_name(request->room()); !request->room().empty() && !valid) {
            return valid;
        }
        for (const auto& [room, stream] : api_.rooms.streams(request->room())) {
            *response->add_streams() = to_proto(room, stream);
        }
        return Status::ok();
    });
    return reactor;
}

} // namespace conf::daemon
