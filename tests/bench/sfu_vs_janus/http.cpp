#include "http.hpp"

#include "core/g_unique.hpp"
#include "main_loop.hpp"

#include <memory>

namespace sfuload {

namespace {

// Janus holds a long-poll GET for 30 s; the timeout must be longer.
constexpr guint kTimeoutSeconds = 45;
// Every participant may have a request (or a long-poll) open at once; libsoup's default is
// two connections per host, which would serialise the joins behind each other.
constexpr int kMaxConnections = 512;

struct Request {
    conf::GRef<SoupMessage> message;
    std::string url;
    Http::Callback done;
};

std::string resolve(const std::string& base, const char* reference) {
    conf::GUnique<GError> error;
    conf::GUnique<gchar> resolved(
        g_uri_resolve_relative(base.c_str(), reference, G_URI_FLAGS_NONE, error.out()));
    return resolved ? std::string(resolved.get()) : std::string(reference);
}

void on_reply(GObject* source, GAsyncResult* result, gpointer data) noexcept {
    std::unique_ptr<Request> request(static_cast<Request*>(data));
    conf::GUnique<GError> error;
    auto body = conf::GRef<GBytes>::adopt(
        soup_session_send_and_read_finish(SOUP_SESSION(source), result, error.out()));
    if (error && g_error_matches(error.get(), G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        return; // Http is gone or going
    }
    HttpResponse response;
    if (error) {
        response.error = error->message;
    } else {
        SoupMessage* message = request->message.get();
        response.status = soup_message_get_status(message);
        SoupMessageHeaders* headers = soup_message_get_response_headers(message);
        if (const char* location = soup_message_headers_get_one(headers, "Location")) {
            response.location = resolve(request->url, location);
        }
        if (body) {
            gsize size = 0;
            const auto* bytes = static_cast<const char*>(g_bytes_get_data(body.get(), &size));
            response.body.assign(bytes != nullptr ? bytes : "", size);
        }
    }
    try {
        request->done(response);
    } catch (const std::exception& e) {
        say(std::string("unexpected error: ") + e.what());
    }
}

} // namespace

std::string HttpResponse::describe() const {
    if (status == 0) {
        return error.empty() ? std::string("no response") : error;
    }
    std::string text = "HTTP " + std::to_string(status);
    if (!body.empty()) {
        text += ": " + body.substr(0, 300);
    }
    return text;
}

Http::Http()
    : session_(conf::GRef<SoupSession>::adopt(soup_session_new_with_options(
          "timeout", kTimeoutSeconds, "max-conns", kMaxConnections, "max-conns-per-host",
          kMaxConnections, "user-agent", "sfu-load", nullptr))),
      cancellable_(conf::GRef<GCancellable>::adopt(g_cancellable_new())) {}

Http::~Http() {
    g_cancellable_cancel(cancellable_.get());
}

void Http::request(const char* method, const std::string& url, const std::string& content_type,
                   const std::string& body, Callback done) {
    auto message = conf::GRef<SoupMessage>::adopt(soup_message_new(method, url.c_str()));
    if (!message) {
        HttpResponse response;
        response.error = "not a valid URL: " + url;
        post_to_main([done = std::move(done), response] { done(response); });
        return;
    }
    if (!content_type.empty()) {
        auto bytes = conf::GRef<GBytes>::adopt(g_bytes_new(body.data(), body.size()));
        soup_message_set_request_body_from_bytes(message.get(), content_type.c_str(), bytes.get());
    }
    SoupMessage* raw = message.get();
    auto* request = new Request{std::move(message), url, std::move(done)};
    soup_session_send_and_read_async(session_.get(), raw, G_PRIORITY_DEFAULT, cancellable_.get(),
                                     on_reply, request);
}

} // namespace sfuload
