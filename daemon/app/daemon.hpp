// Daemon: confd at run time. Starts the media engine and the servers, announces the bound
// addresses on stdout, and runs the main loop (which also serves HTTP) until SIGINT or
// SIGTERM. Then it stops gracefully: HTTP stops accepting, every session ends (recordings
// finalized), gRPC shuts down, the engine stops.
// A second signal during that, or running past settings.shutdown_timeout, exits at once
// with code 1.
#pragma once

#include "app/signal_watch.hpp"
#include "config/settings.hpp"
#include "core/g_ref.hpp"
#include "core/log.hpp"
#include "grpc/grpc_server.hpp"
#include "http/http_server.hpp"
#include "room/room_registry.hpp"

#include <conf/engine.hpp>

#include <memory>
#include <string_view>
#include <thread>
#include <vector>

namespace conf::daemon {

class Daemon {
  public:
    explicit Daemon(Settings settings);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Runs until stopped; returns the process exit code. Call once, on the main thread.
    int run();

  private:
    Status start();
    void on_signal(std::string_view name);
    void stop_in_background();
    // Media thread work, from the stopper thread: ends every session, recordings finalized.
    void stop_rooms(std::chrono::milliseconds budget);

    Settings settings_;
    Logger logger_;
    GRef<GMainLoop> loop_;
    std::unique_ptr<Engine> engine_;
    // The room protocol's side of every room; outlives the registry that reports to it.
    std::unique_ptr<RoomEventHub> room_events_;
    std::unique_ptr<RoomRegistry> rooms_; // lives on, and is only touched from, the media thread
    std::unique_ptr<GrpcServer> grpc_;
    std::unique_ptr<HttpServer> http_;
    std::vector<std::unique_ptr<SignalWatch>> signals_;
    GRef<GSource> shutdown_deadline_;
    // Runs the blocking part of a graceful stop, so the main loop stays free to notice a
    // second signal.
    std::thread stopper_;
    bool stopping_ = false;
};

} // namespace conf::daemon
