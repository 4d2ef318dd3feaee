// Daemon: confd at run time. Starts the media engine and the servers, announces the bound
// addresses on stdout, and runs the main loop (which also serves HTTP) until SIGINT or
// SIGTERM. Then it stops gracefully: HTTP stops accepting, every session ends (recordings
// finalized), gRPC shuts down, the engine stops.
// A second signal during that, or running past settings.shutdown_timeout, exits at once
// with code 1.
#pragma once

#include "app/signal_watch.hpp"
#include "auth/join_token.hpp"
#include "auth/participant_auth.hpp"
#include "config/settings.hpp"
#include "core/g_ref.hpp"
#include "core/log.hpp"
#include "events/event_log.hpp"
#include "events/room_event_feed.hpp"
#include "grpc/api_context.hpp"
#include "grpc/event_service.hpp"
#include "grpc/grpc_server.hpp"
#include "grpc/operator_auth.hpp"
#include "grpc/recording_service.hpp"
#include "grpc/room_service.hpp"
#include "grpc/stream_service.hpp"
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
    // Keys and tokens from the settings; says loudly what is not protected.
    Status start_auth();
    Status start_grpc();
    void on_signal(std::string_view name);
    void stop_in_background();
    // Media thread work, from the stopper thread: ends every session, recordings finalized.
    void stop_rooms(std::chrono::milliseconds budget);

    Settings settings_;
    Logger logger_;
    GRef<GMainLoop> loop_;
    std::unique_ptr<Engine> engine_;
    std::shared_ptr<const JoinTokenSigner> token_signer_;
    std::unique_ptr<ParticipantAuth> participant_auth_;
    std::unique_ptr<OperatorAuth> operator_auth_;
    // What rooms report to (the room protocol's hub, the gRPC event log); all outlive the
    // registry that reports to them.
    std::unique_ptr<EventLog> event_log_;
    std::unique_ptr<RoomEventFeed> event_feed_;
    std::unique_ptr<RoomEventHub> room_events_;
    std::unique_ptr<RoomListenerFanout> room_listeners_;
    // The conf.v1 services; they outlive the gRPC server that calls them.
    std::unique_ptr<ApiContext> api_;
    std::unique_ptr<RoomService> room_service_;
    std::unique_ptr<RecordingService> recording_service_;
    std::unique_ptr<EventService> event_service_;
    std::unique_ptr<StreamService> stream_service_;
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
