#include "grpc/grpc_server.hpp"

#include <fmt/format.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

namespace conf::daemon {

Result<std::unique_ptr<GrpcServer>> GrpcServer::start(const ListenAddress& address) {
    // Both register process-wide plugins that every ServerBuilder made afterwards picks up.
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();

    grpc::ServerBuilder builder;
    // gRPC sets SO_REUSEPORT by default, which would let a second confd bind the same port
    // silently and share its traffic.
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    int bound_port = 0;
    builder.AddListeningPort(address.to_string(), grpc::InsecureServerCredentials(), &bound_port);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (!server || bound_port == 0) {
        // gRPC has logged why (typically "address already in use") on stderr.
        return unavailable(fmt::format(
            "cannot listen for gRPC on {} (gRPC logged why above; usually the port is in use)",
            address.to_string()));
    }
    return std::unique_ptr<GrpcServer>(
        new GrpcServer(address, std::move(server), static_cast<std::uint16_t>(bound_port)));
}

GrpcServer::GrpcServer(const ListenAddress& address, std::unique_ptr<grpc::Server> server,
                       std::uint16_t port)
    : address_(address), server_(std::move(server)), port_(port),
      logger_(Logger("confd").with("grpc", address.with_port(port))) {
    logger_.info("gRPC server listening on {}", this->address());
}

GrpcServer::~GrpcServer() {
    shutdown(std::chrono::milliseconds::zero());
}

void GrpcServer::shutdown(std::chrono::milliseconds grace) {
    std::call_once(shutdown_once_, [&] {
        if (auto* health = server_->GetHealthCheckService()) {
            health->Shutdown(); // every service now reports NOT_SERVING
        }
        server_->Shutdown(std::chrono::system_clock::now() + grace);
        server_->Wait();
        logger_.info("gRPC server stopped");
    });
}

} // namespace conf::daemon
