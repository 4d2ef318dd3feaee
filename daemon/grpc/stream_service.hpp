// StreamService (conf.v1): live streams of a room's mix, HLS served by confd's HTTP server and
// RTMP pushed out, started and stopped through the RoomRegistry on the media thread.
#pragma once

#include "conf/v1/stream_service.grpc.pb.h"
#include "grpc/api_context.hpp"
#include "room/room_streams.hpp"

namespace conf::daemon {

// The API's form of a stream of `room`.
::conf::v1::Stream to_proto(const std::string& room, const StreamInfo& stream);

class StreamService final : public ::conf::v1::StreamService::CallbackService {
  public:
    explicit StreamService(ApiContext& api) : api_(api) {}

    grpc::ServerUnaryReactor* StartStream(grpc::CallbackServerContext* context,
                                          const ::conf::v1::StartStreamRequest* request,
                                          ::conf::v1::Stream* response) override;
    grpc::ServerUnaryReactor* StopStream(grpc::CallbackServerContext* context,
                                         const ::conf::v1::StopStreamRequest* request,
                                         ::conf::v1::Stream* response) override;
    grpc::ServerUnaryReactor* ListStreams(grpc::CallbackServerContext* context,
                                          const ::conf::v1::ListStreamsRequest* request,
                                          ::conf::v1::ListStreamsResponse* response) override;

  private:
    ApiContext& api_;
};

} // namespace conf::daemon
