#include "http/room_socket_handler.hpp"

#include "core/g_unique.hpp"
#include "http/json_reply.hpp"

#include <fmt/format.h>

namespace conf::daemon {

namespace {

// "/ws/{room}" -> room; empty if the path has any other shape.
std::string room_of(std::string_view path) {
    constexpr std::string_view prefix = "/ws/";
    if (path.rfind(prefix, 0) != 0) {
        return {};
    }
    std::string_view rest = path.substr(prefix.size());
    if (!rest.empty() && rest.back() == '/') {
        rest.remove_suffix(1);
    }
    return rest.find('/') == std::string_view::npos ? std::string(rest) : std::string();
}

// The Origin's host[:port] ("http://127.0.0.1:8080" -> "127.0.0.1:8080").
std::string_view origin_authority(std::string_view origin) {
    size_t scheme = origin.find("://");
    return scheme == std::string_view::npos ? origin : origin.substr(scheme + 3);
}

} // namespace

void RoomSocketHandler::check_upgrade(SoupServerMessage* message, std::string_view path) {
    std::string room = room_of(path);
    if (!is_valid_name(room)) {
        reply_error(message, SOUP_STATUS_NOT_FOUND,
                    fmt::format("no such path: {} (rooms are /ws/{{room}}, the room 1-64 of "
                                "letters, digits, '_', '-' or '.')",
                                path));
        return;
    }
    std::string_view method = soup_server_message_get_method(message);
    if (method != "GET") {
        reply_error(
            message, SOUP_STATUS_METHOD_NOT_ALLOWED,
            fmt::format("method {} is not allowed here; open a WebSocket with GET", method));
        return;
    }
    SoupMessageHeaders* headers = soup_server_message_get_request_headers(message);
    const char* origin = soup_message_headers_get_one(headers, "Origin");
    const char* host = soup_message_headers_get_one(headers, "Host");
    if (origin != nullptr && (host == nullptr || origin_authority(origin) != host)) {
        reply_error(message, SOUP_STATUS_FORBIDDEN,
                    fmt::format("a page from {} may not open room sockets here", origin));
        return;
    }
    // No status set: libsoup goes on with the WebSocket handshake (400 if it is not one).
}

void RoomSocketHandler::accept(SoupWebsocketConnection* connection, std::string_view path) {
    auto socket = std::make_shared<RoomSocket>(
        engine_, registry_, hub_, auth_, http_context_,
        GRef<SoupWebsocketConnection>::ref(connection), room_of(path), [this](RoomSocket& closed) {
            std::erase_if(sockets_, [&closed](const auto& s) { return s.get() == &closed; });
        });
    sockets_.insert(socket);
    socket->start();
}

void RoomSocketHandler::close_all(int code, const std::string& reason) {
    for (const auto& socket : sockets_) {
        socket->close_with(code, reason);
    }
}

} // namespace conf::daemon
