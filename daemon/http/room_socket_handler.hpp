// RoomSocketHandler: GET /ws/{room}, the room protocol's WebSocket endpoint. Before the
// upgrade it checks the path (a valid room name, 404 otherwise), the method and, for
// browsers, that the page asking is confd's own (same Origin as Host: another web site
// must not join rooms with a visitor's camera); then it owns each RoomSocket until it
// closes. HTTP thread only.
#pragma once

#include "auth/participant_auth.hpp"

#include "http/room_socket.hpp"

#include <memory>
#include <set>
#include <string_view>

namespace conf::daemon {

class RoomSocketHandler {
  public:
    RoomSocketHandler(Engine& engine, GMainContext* http_context, RoomRegistry& registry,
                      RoomEventHub& hub, const ParticipantAuth& auth)
        : engine_(engine), http_context_(http_context), registry_(registry), hub_(hub),
          auth_(auth) {}

    // The normal handler at /ws: replies (refusing the upgrade) only when it must.
    void check_upgrade(SoupServerMessage* message, std::string_view path);
    // The WebSocket handler at /ws: the handshake succeeded.
    void accept(SoupWebsocketConnection* connection, std::string_view path);
    // Closes every socket with `code` (the server is stopping).
    void close_all(int code, const std::string& reason);

  private:
    Engine& engine_;
    GMainContext* http_context_;
    RoomRegistry& registry_;
    RoomEventHub& hub_;
    const ParticipantAuth& auth_;
    std::set<std::shared_ptr<RoomSocket>> sockets_;
};

} // namespace conf::daemon
