#include "http/media_call.hpp"

#include "http/json_reply.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace conf::daemon {

struct MediaCalls::Pending {
    MediaCalls* owner = nullptr;
    GRef<SoupServerMessage> message;
    GRef<GSource> timeout;
    SignalConnection finished;
    bool done = false;

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

void write_response(SoupServerMessage* message, const HttpResponse& response) {
    SoupMessageHeaders* headers = soup_server_message_get_response_headers(message);
    for (const auto& [name, value] : response.headers) {
        soup_message_headers_replace(headers, name.c_str(), value.c_str());
    }
    soup_server_message_set_status(message, response.status, nullptr);
    if (!response.body.empty() || !response.content_type.empty()) {
        soup_server_message_set_response(message, response.content_type.c_str(), SOUP_MEMORY_COPY,
                                         response.body.data(), response.body.size());
    }
}

MediaCalls::MediaCalls(Engine& engine, GMainContext* http_context,
                       std::chrono::milliseconds timeout, Logger logger)
    : engine_(engine), http_context_(GRef<GMainContext>::ref(http_context)), timeout_(timeout),
      logger_(std::move(logger)) {}

MediaCalls::~MediaCalls() {
    abandon_all();
}

void MediaCalls::abandon_all() {
    for (auto& pending : pending_) {
        pending->detach();
    }
    pending_.clear();
}

void MediaCalls::deliver(std::weak_ptr<Pending> weak, HttpResponse response) {
    auto pending = weak.lock();
    if (!pending || pending->done) {
        return;
    }
    try {
        pending->owner->complete(*pending, response);
    } catch (const std::exception& e) {
        pending->owner->logger_.error("answering failed: {}", e.what());
    }
}

void MediaCalls::start(SoupServerMessage* message, Work work) {
    auto pending = std::make_shared<Pending>();
    pending->owner = this;
    pending->message = GRef<SoupServerMessage>::ref(message);
    std::weak_ptr<Pending> weak = pending;

    // The responder runs on the media thread and hops to the HTTP context. The answer
    // cannot overtake the pause below: the HTTP context is this thread, busy until we return.
    Responder respond = [weak, context = http_context_](HttpResponse response) {
        struct Delivery {
            std::weak_ptr<Pending> pending;
            HttpResponse response;
        };
        g_main_context_invoke_full(
            context.get(), G_PRIORITY_DEFAULT,
            [](gpointer data) -> gboolean {
                auto* delivery = static_cast<Delivery*>(data);
                deliver(delivery->pending, std::move(delivery->response));
                return G_SOURCE_REMOVE;
            },
            new Delivery{weak, std::move(response)},
            [](gpointer data) { delete static_cast<Delivery*>(data); });
    };
    Status posted = engine_.post([work = std::move(work), respond = std::move(respond)]() mutable {
        work(std::move(respond));
    });
    if (!posted.is_ok()) {
        reply_error(message, SOUP_STATUS_SERVICE_UNAVAILABLE,
                    fmt::format("media engine is not running: {}", posted.message()));
        return;
    }
    soup_server_message_pause(message);
    pending->finished = connect_signal<>(message, "finished", [weak] {
        if (auto locked = weak.lock()) {
            locked->detach();
        }
    });
    GSource* source = g_timeout_source_new(static_cast<guint>(timeout_.count()));
    g_source_set_callback(
        source,
        [](gpointer data) -> gboolean {
            auto weak_pending = *static_cast<std::weak_ptr<Pending>*>(data);
            if (auto locked = weak_pending.lock(); locked && !locked->done) {
                locked->owner->logger_.warn("media thread did not answer within {} ms",
                                            locked->owner->timeout_.count());
                HttpResponse response;
                response.status = SOUP_STATUS_GATEWAY_TIMEOUT;
                response.body = fmt::format("{{\"error\":\"no answer within {} ms\"}}",
                                            locked->owner->timeout_.count());
                deliver(weak_pending, std::move(response));
            }
            return G_SOURCE_REMOVE;
        },
        new std::weak_ptr<Pending>(weak),
        [](gpointer data) { delete static_cast<std::weak_ptr<Pending>*>(data); });
    g_source_attach(source, http_context_.get());
    pending->timeout = GRef<GSource>::adopt(source);

    std::erase_if(pending_, [](const auto& p) { return p->done; });
    pending_.push_back(std::move(pending));
}

void MediaCalls::complete(Pending& pending, const HttpResponse& response) {
    pending.detach();
    write_response(pending.message.get(), response);
    soup_server_message_unpause(pending.message.get());
    std::erase_if(pending_, [](const auto& p) { return p->done; });
}

} // namespace conf::daemon
