#include "http/json_reply.hpp"

#include <fmt/format.h>

namespace conf::daemon {

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
            } else {
                out += c;
            }
        }
    }
    out += '"';
    return out;
}

void reply_json(SoupServerMessage* message, guint status, std::string_view json) {
    soup_server_message_set_status(message, status, nullptr);
    // SOUP_MEMORY_COPY: the body outlives this call's string.
    soup_server_message_set_response(message, "application/json", SOUP_MEMORY_COPY, json.data(),
                                     json.size());
    SoupMessageHeaders* headers = soup_server_message_get_response_headers(message);
    soup_message_headers_replace(headers, "Cache-Control", "no-store");
}

void reply_error(SoupServerMessage* message, guint status, std::string_view error) {
    reply_json(message, status, fmt::format("{{\"error\":{}}}", json_string(error)));
}

} // namespace conf::daemon
