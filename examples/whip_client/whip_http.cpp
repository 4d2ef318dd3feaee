#include "whip_http.hpp"

#include "main_thread.hpp"

#include <string_view>

namespace whip {

namespace {

// The offer/answer exchange waits for the server's ICE gathering; a few seconds is normal.
constexpr guint kTimeoutSeconds = 20;

struct Request {
    MessagePtr message;
    std::string url;
    WhipHttp::Callback done;
};

std::string resolve(const std::string& base, const char* reference) {
    GError* raw_error = nullptr;
    CharPtr resolved(g_uri_resolve_relative(base.c_str(), reference, G_URI_FLAGS_NONE, &raw_error));
    ErrorPtr error(raw_error);
    return resolved ? std::string(resolved.get()) : std::string(reference);
}

void on_reply(GObject* source, GAsyncResult* result, gpointer data) noexcept {
    std::unique_ptr<Request> request(static_cast<Request*>(data));
    GError* raw_error = nullptr;
    BytesPtr body(soup_session_send_and_read_finish(SOUP_SESSION(source), result, &raw_error));
    ErrorPtr error(raw_error);
    if (error && g_error_matches(error.get(), G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        return; // WhipHttp is gone or going
    }
    WhipResponse response;
    if (error) {
        response.transport_error = error->message;
    } else {
        SoupMessage* message = request->message.get();
        response.status = soup_message_get_status(message);
        const char* reason = soup_message_get_reason_phrase(message);
        response.reason = reason != nullptr ? reason : "";
        SoupMessageHeaders* headers = soup_message_get_response_headers(message);
        if (const char* type = soup_message_headers_get_content_type(headers, nullptr)) {
            response.content_type = type;
        }
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
        g_printerr("whip-client: unexpected error: %s\n", e.what());
    }
}

} // namespace

std::string WhipResponse::describe() const {
    if (status == 0) {
        return transport_error.empty() ? std::string("no response") : transport_error;
    }
    std::string text = "HTTP " + std::to_string(status);
    if (!reason.empty()) {
        text += " " + reason;
    }
    std::string_view trimmed = body;
    while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r')) {
        trimmed.remove_suffix(1);
    }
    if (!trimmed.empty()) {
        text += ": ";
        text += trimmed;
    }
    return text;
}

WhipHttp::WhipHttp()
    : session_(soup_session_new_with_options("timeout", kTimeoutSeconds, "user-agent",
                                             "whip-client", nullptr)),
      cancellable_(g_cancellable_new()) {}

WhipHttp::~WhipHttp() {
    g_cancellable_cancel(cancellable_.get());
}

void WhipHttp::post_offer(const std::string& endpoint, const std::string& sdp, Callback done) {
    send("POST", endpoint, &sdp, std::move(done));
}

void WhipHttp::delete_session(const std::string& resource, Callback done) {
    send("DELETE", resource, nullptr, std::move(done));
}

void WhipHttp::send(const char* method, const std::string& url, const std::string* sdp,
                    Callback done) {
    MessagePtr message(soup_message_new(method, url.c_str()));
    if (!message) {
        WhipResponse response;
        response.transport_error = "not a valid URL: " + url;
        // Still asynchronous, like every other outcome.
        post_to_main([done = std::move(done), response] { done(response); });
        return;
    }
    if (!token_.empty()) {
        soup_message_headers_replace(soup_message_get_request_headers(message.get()),
                                     "Authorization", ("Bearer " + token_).c_str());
    }
    if (sdp != nullptr) {
        BytesPtr body(g_bytes_new(sdp->data(), sdp->size()));
        soup_message_set_request_body_from_bytes(message.get(), "application/sdp", body.get());
    }
    SoupMessage* raw = message.get();
    auto* request = new Request{std::move(message), url, std::move(done)};
    soup_session_send_and_read_async(session_.get(), raw, G_PRIORITY_DEFAULT, cancellable_.get(),
                                     on_reply, request);
}

} // namespace whip
