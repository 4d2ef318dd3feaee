// GrpcServer: confd's gRPC endpoint. It carries the conf.v1 services it is given, the
// standard health service (grpc.health.v1.Health, SERVING while confd runs) and server
// reflection, so `grpcurl` works out of the box. TLS when configured; without it only
// loopback addresses are accepted (see config_validator.cpp).
#pragma once

#include "config/listen_address.hpp"
#include "config/settings.hpp"
#include "core/log.hpp"

#include <conf/status.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace grpc {
class Server;
class Service;
} // namespace grpc

namespace conf::daemon {

class GrpcServer {
  public:
    struct Options {
        ListenAddress address;
        TlsSettings tls; // plaintext when empty
        // Registered as they are; must outlive the server.
        std::vector<grpc::Service*> services;
    };
    // Binds `options.address` (port 0 picks a free port) and starts gRPC's own threads.
    static Result<std::unique_ptr<GrpcServer>> start(const Options& options);
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
