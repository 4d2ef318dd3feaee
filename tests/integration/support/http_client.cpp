#include "support/http_client.hpp"

#include "core/g_ref.hpp"
#include "core/g_unique.hpp"

#include <libsoup/soup.h>

#include <stdexcept>

namespace conf::test {

namespace {

// GLib 2.74 can deadlock when two threads first use a GIO type at once: SoupSession's class
// init (in a POST thread) asks for GInetSocketAddress while webrtcbin's ICE thread is
// registering it (caught with gdb: one thread in g_once_init_enter, the other waiting on
// the type lock). Registering it before main() starts any thread takes the race away.
[[maybe_unused]] const bool kGioTypesRegistered = [] {
    g_type_ensure(G_TYPE_INET_SOCKET_ADDRESS);
    g_type_ensure(G_TYPE_INET_ADDRESS);
    return true;
}();

} // namespace

HttpResponse http_request(std::string_view method, const std::string& url) {
    return http_request(method, url, "", "", 5);
}

HttpResponse http_request(std::string_view method, const std::string& url,
                          const std::string& body_text, const std::string& content_type,
                          unsigned seconds, const HttpHeaders& headers) {
    auto session =
        GRef<SoupSession>::adopt(soup_session_new_with_options("timeout", seconds, nullptr));
    auto message =
        GRef<SoupMessage>::adopt(soup_message_new(std::string(method).c_str(), url.c_str()));
    if (!message) {
        throw std::runtime_error("not a valid URL: " + url);
    }
    SoupMessageHeaders* request_headers = soup_message_get_request_headers(message.get());
    for (const auto& [name, value] : headers) {
        soup_message_headers_replace(request_headers, name.c_str(), value.c_str());
    }
    if (!content_type.empty()) {
        auto request = GRef<GBytes>::adopt(g_bytes_new(body_text.data(), body_text.size()));
        soup_message_set_request_body_from_bytes(message.get(), content_type.c_str(),
                                                 request.get());
    }
    GUnique<GError> error;
    auto body = GRef<GBytes>::adopt(
        soup_session_send_and_read(session.get(), message.get(), nullptr, error.out()));
    if (!body) {
        throw std::runtime_error(std::string(method) + " " + url + " failed: " + error->message);
    }

    HttpResponse response;
    response.status = soup_message_get_status(message.get());
    SoupMessageHeaders* response_headers = soup_message_get_response_headers(message.get());
    if (const char* type = soup_message_headers_get_content_type(response_headers, nullptr)) {
        response.content_type = type;
    }
    auto header = [response_headers](const char* name) {
        const char* value = soup_message_headers_get_one(response_headers, name);
        return std::string(value != nullptr ? value : "");
    };
    response.allow = header("Allow");
    response.location = header("Location");
    response.www_authenticate = header("WWW-Authenticate");
    gsize size = 0;
    const auto* data = static_cast<const char*>(g_bytes_get_data(body.get(), &size));
    response.body.assign(data != nullptr ? data : "", size);
    return response;
}

} // namespace conf::test
