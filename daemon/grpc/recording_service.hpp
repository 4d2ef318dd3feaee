// RecordingService (conf.v1): starts and stops recordings through the RoomRegistry on the
// media thread, and reads what they are from their manifests (RecordingCatalog).
#pragma once

#include "conf/v1/recording_service.grpc.pb.h"
#include "grpc/api_context.hpp"
#include "grpc/recording_catalog.hpp"

namespace conf::daemon {

class RecordingService final : public ::conf::v1::RecordingService::CallbackService {
  public:
    explicit RecordingService(ApiContext& api) : api_(api), catalog_(api.recordings_dir) {}

    grpc::ServerUnaryReactor* StartRecording(grpc::CallbackServerContext* context,
                                             const ::conf::v1::StartRecordingRequest* request,
                                             ::conf::v1::Recording* response) override;
    grpc::ServerUnaryReactor* StopRecording(grpc::CallbackServerContext* context,
                                            const ::conf::v1::StopRecordingRequest* request,
                                            ::conf::v1::Recording* response) override;
    grpc::ServerUnaryReactor* GetRecording(grpc::CallbackServerContext* context,
                                           const ::conf::v1::GetRecordingRequest* request,
                                           ::conf::v1::Recording* response) override;
    grpc::ServerUnaryReactor* ListRecordings(grpc::CallbackServerContext* context,
                                             const ::conf::v1::ListRecordingsRequest* request,
                                             ::conf::v1::ListRecordingsResponse* response) override;

  private:
    ApiContext& api_;
    RecordingCatalog catalog_;
};

} // namespace conf::daemon
