// WhipHandler: WHIP (RFC 9725) and WHEP over confd's HTTP server.
//
//   POST   /whip/{room}                     application/sdp offer → 201, Location, answer
//   PATCH  /whip/{room}/{session}           application/trickle-ice-sdpfrag → 204
//   DELETE /whip/{room}/{session}           → 200, the publisher (and its viewers) end
//   POST   /whep/{room}/{session}           offer → 201, Location /whep/{room}/{session}/{viewer}
//   PATCH  /whep/{room}/{session}/{viewer}  as for WHIP
//   DELETE /whep/{room}/{session}/{viewer}  → 200
//
// Errors are JSON `{"error": ...}` with the status http_status_for() gives, plus 413 for an
// oversized body and 415 for a wrong Content-Type. Publishing needs a join token with the
// publish grant and viewing one with the subscribe grant, in `Authorization: Bearer` (401
// without a valid one when tokens are required, 403 without the grant or for another room);
// session URLs are themselves capabilities and need no token. All media work happens on the media
// thread through MediaCalls; the RoomRegistry is only touched there.
#pragma once

#include "auth/participant_auth.hpp"

#include <optional>

#include "core/log.hpp"
#include "http/media_call.hpp"
#include "room/room_registry.hpp"

#include <libsoup/soup.h>

#include <string>
#include <string_view>
#include <vector>

namespace conf::daemon {

class WhipHandler {
  public:
    // `registry` lives on the media thread and outlives this handler.
    WhipHandler(Engine& engine, GMainContext* http_context, RoomRegistry& registry,
                const ParticipantAuth& auth);

    // `path` starts with /whip/ or /whep/.
    void handle(SoupServerMessage* message, std::string_view path);
    void abandon_all() { calls_.abandon_all(); }

  private:
    void publish(SoupServerMessage* message, const std::string& room);
    void view(SoupServerMessage* message, const std::string& room, const std::string& publisher);
    void patch(SoupServerMessage* message, const std::string& room, const std::string& session);
    void remove(SoupServerMessage* message, const std::string& room, const std::string& session);
    // Checks Content-Type and size; replies and returns false when the body is unusable.
    bool read_body(SoupServerMessage* message, std::string_view content_type, std::string& body);

    // The caller's admission to `room` with `grant`, or false after replying 401/403.
    std::optional<Admission> admit(SoupServerMessage* message, const std::string& room,
                                   bool Grants::*grant, std::string_view grant_name,
                                   std::string_view what);

    RoomRegistry& registry_;
    const ParticipantAuth& auth_;
    MediaCalls calls_;
    Logger logger_;
};

} // namespace conf::daemon
