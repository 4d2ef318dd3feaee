#include "grpc/media_thread_call.hpp"

#include "grpc/grpc_status.hpp"

namespace conf::daemon {

void finish_on_media(Engine& engine, grpc::ServerUnaryReactor* reactor,
                     std::function<Status()> work) {
    run_on_media(engine, reactor, [work = std::move(work)](Finish finish) { finish(work()); });
}

void run_on_media(Engine& engine, grpc::ServerUnaryReactor* reactor,
                  std::function<void(Finish)> work) {
    Status posted = engine.post([reactor, work = std::move(work)] {
        work([reactor](const Status& status) { reactor->Finish(to_grpc(status)); });
    });
    if (!posted.is_ok()) {
        reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "confd is stopping"));
    }
}

} // namespace conf::daemon
