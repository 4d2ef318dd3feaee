// HealthzHandler: GET /healthz. Answers 200 only after a round trip through the media thread,
// so a wedged media thread shows as unhealthy: the request is paused, a task is posted to the
// engine, and that task posts the answer back to the HTTP thread's main context. With no
// answer within the timeout the reply is 503.
#pragma once

#include "core/g_ref.hpp"
#include "core/log.hpp"

#include <conf/engine.hpp>

#include <libsoup/soup.h>

#include <chrono>
#include <memory>
#include <string_view>
#include <vector>

namespace conf::daemon {

class HealthzHandler {
  public:
    // Must be created, used and destroyed on the thread that runs `http_context`.
    HealthzHandler(Engine& engine, GMainContext* http_context, std::chrono::milliseconds timeout);
    ~HealthzHandler();
    HealthzHandler(const HealthzHandler&) = delete;
    HealthzHandler& operator=(const HealthzHandler&) = delete;

    void handle(SoupServerMessage* message);

    // Forgets every request still waiting, without answering: for when the server is about to
    // close their connections.
    void abandon_all();

  private:
    struct Pending;
    static gboolean on_media_reply(gpointer data) noexcept;
    static gboolean on_timeout(gpointer data) noexcept;
    void complete(Pending& pending, guint status, std::string_view json);

    Engine& engine_;
    GRef<GMainContext> http_context_;
    std::chrono::milliseconds timeout_;
    Logger logger_;
    // The only strong references: callbacks hold weak ones, so a request forgotten here is
    // never answered twice, and never after the handler is gone.
    std::vector<std::shared_ptr<Pending>> pending_;
};

} // namespace conf::daemon
