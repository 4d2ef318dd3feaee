// GrpcServer: confd's gRPC endpoint. Today it carries the standard health service
// (grpc.health.v1.Health, SERVING while confd runs) and server reflection, so `grpcurl`
// works out of the box; the conf.v1 services will be added here. Insecure credentials, which
// is why only loopback addresses are accepted (see config_validator.cpp).
#pragma once

#include "config/listen_address.hpp"
#include "core/log.hpp"

#include <conf/status.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace grpc {
class Server;
}

namespace conf::daemon {

class GrpcServer {
  public:
    // Binds `address` (port 0 picks a free port) and starts gRPC's own threads.
    static Result<std::unique_ptr<GrpcServer>> start(const ListenAddress& address);
    ~GrpcServer();
    GrpcServer(const GrpcServer&) = delete;
    GrpcServer& operator=(const GrpcServer&) = delete;

    // The port actually bound.
    std::uint16_t port() const noexcept { return port_; }
    // "127.0.0.1:50051", what a client dials.
    std::string address() const { return address_.with_port(port_); }

    // Reports NOT_SERVING, stops accepting calls, lets calls in flight finish for up to
    // `grace`, then cancels them. Safe from any thread but a gRPC handler; idempotent.
    void shutdown(std::chrono::milliseconds grace);

  private:
    GrpcServer(const ListenAddress& address, std::unique_ptr<grpc::Server> server,
               std::uint16_t port);

    ListenAddress address_;
    std::unique_ptr<grpc::Server> server_;
    std::uint16_t port_;
    std::once_flag shutdown_once_;
    Logger logger_;
};

} // namespace conf::daemon
