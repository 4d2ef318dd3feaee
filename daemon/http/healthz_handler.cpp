#include "http/healthz_handler.hpp"

#include "core/signal_connection.hpp"
#include "http/json_reply.hpp"

#include <conf/version.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace conf::daemon {

struct HealthzHandler::Pending {
    HealthzHandler* owner = nullptr;
    GRef<SoupServerMessage> message;
    GRef<GSource> timeout;
    SignalConnection finished;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    bool done = false;

    // Stops everything that could still call back for this request.
    void detach() {
        done = true;
        finished.disconnect();
        if (timeout) {
            g_source_destroy(timeout.get());
            timeout.reset();
        }
    }
    ~Pending() { detach(); }
};

HealthzHandler::HealthzHandler(Engine& engine, GMainContext* http_context,
                               std::chrono::milliseconds timeout)
    : engine_(engine), http_context_(GRef<GMainContext>::ref(http_context)), timeout_(timeout),
      logger_(Logger("confd").with("http", "/healthz")) {}

HealthzHandler::~HealthzHandler() {
    abandon_all();
}

void HealthzHandler::abandon_all() {
    for (auto& pending : pending_) {
        pending->detach();
    }
    pending_.clear();
}

void HealthzHandler::handle(SoupServerMessage* message) {
    auto pending = std::make_shared<Pending>();
    pending->owner = this;
    pending->message = GRef<SoupServerMessage>::ref(message);
    std::weak_ptr<Pending> weak = pending;

    // The reply cannot overtake the pause below: it is queued on the HTTP context, which is
    // this thread's and busy until handle() returns.
    Status posted = engine_.post([weak, context = http_context_] {
        g_main_context_invoke_full(
            context.get(), G_PRIORITY_DEFAULT, &HealthzHandler::on_media_reply,
            new std::weak_ptr<Pending>(weak),
            [](gpointer data) { delete static_cast<std::weak_ptr<Pending>*>(data); });
    });
    if (!posted.is_ok()) {
        reply_error(message, SOUP_STATUS_SERVICE_UNAVAILABLE,
                    fmt::format("media engine is not running: {}", posted.message()));
        return;
    }
    soup_server_message_pause(message);

    // Should libsoup finish the message first (say, its server is closing), there is nothing
    // left to answer. A client that hangs up is only noticed when the answer is written.
    pending->finished = connect_signal<>(message, "finished", [weak] {
        if (auto locked = weak.lock()) {
            locked->detach();
        }
    });
    GSource* source = g_timeout_source_new(static_cast<guint>(timeout_.count()));
    g_source_set_callback(source, &HealthzHandler::on_timeout, new std::weak_ptr<Pending>(weak),
                          [](gpointer data) { delete static_cast<std::weak_ptr<Pending>*>(data); });
    g_source_attach(source, http_context_.get());
    pending->timeout = GRef<GSource>::adopt(source);

    std::erase_if(pending_, [](const auto& p) { return p->done; });
    pending_.push_back(std::move(pending));
}

gboolean HealthzHandler::on_media_reply(gpointer data) noexcept {
    auto pending = static_cast<std::weak_ptr<Pending>*>(data)->lock();
    if (pending && !pending->done) {
        try {
            pending->owner->complete(
                *pending, SOUP_STATUS_OK,
                fmt::format("{{\"status\":\"ok\",\"version\":{}}}", json_string(conf::version())));
        } catch (const std::exception& e) {
            pending->owner->logger_.error("answering failed: {}", e.what());
        }
    }
    return G_SOURCE_REMOVE;
}

gboolean HealthzHandler::on_timeout(gpointer data) noexcept {
    auto pending = static_cast<std::weak_ptr<Pending>*>(data)->lock();
    if (pending && !pending->done) {
        try {
            HealthzHandler& self = *pending->owner;
            self.logger_.warn("media thread did not answer within {} ms", self.timeout_.count());
            self.complete(*pending, SOUP_STATUS_SERVICE_UNAVAILABLE,
                          fmt::format("{{\"error\":\"media thread did not answer within {} "
                                      "ms\"}}",
                                      self.timeout_.count()));
        } catch (const std::exception& e) {
            pending->owner->logger_.error("answering failed: {}", e.what());
        }
    }
    return G_SOURCE_REMOVE;
}

void HealthzHandler::complete(Pending& pending, guint status, std::string_view json) {
    pending.detach();
    reply_json(pending.message.get(), status, json);
    soup_server_message_unpause(pending.message.get());
    logger_.debug("answered {} after {} us", status,
                  std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - pending.started)
                      .count());
    std::erase_if(pending_, [](const auto& p) { return p->done; });
}

} // namespace conf::daemon
