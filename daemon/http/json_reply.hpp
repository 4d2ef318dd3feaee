// JSON replies for the HTTP server: every answer confd gives over HTTP, errors included, is
// `application/json`.
#pragma once

#include <libsoup/soup.h>

#include <string>
#include <string_view>

namespace conf::daemon {

// `text` as a JSON string literal, quotes included.
std::string json_string(std::string_view text);

// Sets status and body; `json` must already be a JSON document.
void reply_json(SoupServerMessage* message, guint status, std::string_view json);

// `{"error":"<message>"}` with the given status.
void reply_error(SoupServerMessage* message, guint status, std::string_view error);

} // namespace conf::daemon
