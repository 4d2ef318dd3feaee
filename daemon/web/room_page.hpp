// The web client: daemon/web/room.html, embedded at build time (see config/embed_text.cmake),
// served at / (pick a room) and /r/{room} (the room).
#pragma once

#include <string_view>

namespace conf::daemon {

std::string_view room_page_html();

} // namespace conf::daemon
