// Runs a unary call's work on the media thread (where rooms live) and finishes the call from
// there; gRPC's threads never wait for it. If the engine has stopped, the call ends with
// UNAVAILABLE.
#pragma once

#include <conf/engine.hpp>
#include <conf/status.hpp>

#include <grpcpp/grpcpp.h>

#include <functional>

namespace conf::daemon {

// `work` runs on the media thread; its Status finishes the call.
void finish_on_media(Engine& engine, grpc::ServerUnaryReactor* reactor,
                     std::function<Status()> work);

// `work` runs on the media thread and calls `finish` exactly once, from any thread, when it
// is done (after asynchronous media work such as finalizing a recording).
using Finish = std::function<void(const Status&)>;
void run_on_media(Engine& engine, grpc::ServerUnaryReactor* reactor,
                  std::function<void(Finish)> work);

} // namespace conf::daemon
