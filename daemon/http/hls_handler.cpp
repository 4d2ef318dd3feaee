#include "http/hls_handler.hpp"

#include "core/g_ref.hpp"
#include "core/g_unique.hpp"
#include "http/json_reply.hpp"
#include "room/room_registry.hpp"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace conf::daemon {

namespace {

std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> out;
    while (!path.empty()) {
        std::size_t start = path.find_first_not_of('/');
        if (start == std::string_view::npos) {
            break;
        }
        path.remove_prefix(start);
        std::size_t end = path.find('/');
        out.push_back(path.substr(0, end));
        path = end == std::string_view::npos ? std::string_view() : path.substr(end);
    }
    return out;
}

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() > suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

} // namespace

void HlsHandler::handle(SoupServerMessage* message, std::string_view path) const {
    std::string_view method = soup_server_message_get_method(message);
    if (method != "GET" && method != "HEAD") {
        soup_message_headers_replace(soup_server_message_get_response_headers(message), "Allow",
                                     "GET, HEAD");
        reply_error(message, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET or HEAD");
        return;
    }
    // [hls, room, stream, file]: every part a plain name (no "..", no hidden files).
    std::vector<std::string_view> parts = segments(path);
    const bool playlist = parts.size() == 4 && ends_with(parts[3], ".m3u8");
    const bool segment = parts.size() == 4 && ends_with(parts[3], ".ts");
    if (!(playlist || segment) || !is_valid_name(parts[1]) || !is_valid_name(parts[2]) ||
        !is_valid_name(parts[3])) {
        reply_error(message, SOUP_STATUS_NOT_FOUND, fmt::format("no such path: {}", path));
        return;
    }
    const std::filesystem::path file = root_ / parts[1] / parts[2] / parts[3];
    GUnique<GError> error;
    GUnique<GMappedFile> mapped(g_mapped_file_new(file.c_str(), FALSE, error.out()));
    if (!mapped) {
        // Gone (the stream ended, the segment aged out) or not written yet.
        reply_error(message, SOUP_STATUS_NOT_FOUND,
                    fmt::format("no {} {} in stream {} of room {}",
                                playlist ? "playlist" : "segment", parts[3], parts[2], parts[1]));
        return;
    }
    SoupMessageHeaders* headers = soup_server_message_get_response_headers(message);
    soup_message_headers_replace(headers, "Access-Control-Allow-Origin", "*");
    soup_message_headers_replace(headers, "Cache-Control",
                                 playlist ? "no-cache" : "public, max-age=3600, immutable");
    soup_message_headers_set_content_type(
        headers, playlist ? "application/vnd.apple.mpegurl" : "video/mp2t", nullptr);
    // The mapping itself goes out: no copy, and the file may be deleted meanwhile.
    auto bytes = GRef<GBytes>::adopt(g_mapped_file_get_bytes(mapped.get()));
    soup_message_body_append_bytes(soup_server_message_get_response_body(message), bytes.get());
    soup_server_message_set_status(message, SOUP_STATUS_OK, nullptr);
}

} // namespace conf::daemon
