// RoomService (conf.v1): rooms, participants, operator mutes and join tokens, mapped onto the
// RoomRegistry on the media thread. Callback API: no gRPC thread waits for media work.
#pragma once

#include "conf/v1/room_service.grpc.pb.h"
#include "grpc/api_context.hpp"

namespace conf::daemon {

// conf.v1.Room as an operator sees it.
::conf::v1::Room to_proto(const RoomSummary& room);

class RoomService final : public ::conf::v1::RoomService::CallbackService {
  public:
    explicit RoomService(ApiContext& api) : api_(api) {}

    grpc::ServerUnaryReactor* CreateRoom(grpc::CallbackServerContext* context,
                                         const ::conf::v1::CreateRoomRequest* request,
                                         ::conf::v1::Room* response) override;
    grpc::ServerUnaryReactor* GetRoom(grpc::CallbackServerContext* context,
                                      const ::conf::v1::GetRoomRequest* request,
                                      ::conf::v1::Room* response) override;
    grpc::ServerUnaryReactor* ListRooms(grpc::CallbackServerContext* context,
                                        const ::conf::v1::ListRoomsRequest* request,
                                        ::conf::v1::ListRoomsResponse* response) override;
    grpc::ServerUnaryReactor* DeleteRoom(grpc::CallbackServerContext* context,
                                         const ::conf::v1::DeleteRoomRequest* request,
                                         ::conf::v1::DeleteRoomResponse* response) override;
    grpc::ServerUnaryReactor*
    ListParticipants(grpc::CallbackServerContext* context,
                     const ::conf::v1::ListParticipantsRequest* request,
                     ::conf::v1::ListParticipantsResponse* response) override;
    grpc::ServerUnaryReactor*
    RemoveParticipant(grpc::CallbackServerContext* context,
                      const ::conf::v1::RemoveParticipantRequest* request,
                      ::conf::v1::RemoveParticipantResponse* response) override;
    grpc::ServerUnaryReactor* MuteTrack(grpc::CallbackServerContext* context,
                                        const ::conf::v1::MuteTrackRequest* request,
                                        ::conf::v1::Track* response) override;
    grpc::ServerUnaryReactor* SetLayout(grpc::CallbackServerContext* context,
                                        const ::conf::v1::SetLayoutRequest* request,
                                        ::conf::v1::Room* response) override;
    grpc::ServerUnaryReactor* UpdateLayout(grpc::CallbackServerContext* context,
                                           const ::conf::v1::UpdateLayoutRequest* request,
                                           ::conf::v1::Room* response) override;
    grpc::ServerUnaryReactor*
    CreateJoinToken(grpc::CallbackServerContext* context,
                    const ::conf::v1::CreateJoinTokenRequest* request,
                    ::conf::v1::CreateJoinTokenResponse* response) override;

  private:
    ApiContext& api_;
};

} // namespace conf::daemon
