#include "http/static_page_handler.hpp"

#include "http/json_reply.hpp"

#include <fmt/format.h>

namespace conf::daemon {

namespace {

// Only confd itself ('self': the WHIP requests) and the page's inline script and style; no
// plugins, no <base> tricks, no framing by other sites.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

constexpr const char* kAllowedMethods = "GET, HEAD";

} // namespace

StaticPageHandler::StaticPageHandler(std::string path, std::string_view html)
    : path_(std::move(path)), html_(html) {}

void StaticPageHandler::handle(SoupServerMessage* message) const {
    soup_server_message_set_status(message, SOUP_STATUS_OK, nullptr);
    // SOUP_MEMORY_STATIC: the embedded page lives as long as the program.
    soup_server_message_set_response(message, "text/html; charset=utf-8", SOUP_MEMORY_STATIC,
                                     html_.data(), html_.size());
    SoupMessageHeaders* headers = soup_server_message_get_response_headers(message);
    soup_message_headers_replace(headers, "Cache-Control", "no-store");
    soup_message_headers_replace(headers, "Content-Security-Policy", kContentSecurityPolicy);
    soup_message_headers_replace(headers, "X-Content-Type-Options", "nosniff");
    soup_message_headers_replace(headers, "Referrer-Policy", "no-referrer");
}

void StaticPageHandler::handle_below(SoupServerMessage* message, std::string_view path) const {
    std::string_view rest = path.substr(std::min(path.size(), path_.size() + 1));
    if (!rest.empty() && rest.back() == '/') {
        rest.remove_suffix(1);
    }
    if (path.rfind(path_ + "/", 0) != 0 || rest.find('/') != std::string_view::npos) {
        reply_error(message, SOUP_STATUS_NOT_FOUND, fmt::format("no such path: {}", path));
        return;
    }
    std::string_view method = soup_server_message_get_method(message);
    if (method != "GET" && method != "HEAD") {
        reply_error(
            message, SOUP_STATUS_METHOD_NOT_ALLOWED,
            fmt::format("method {} is not allowed on {}; use {}", method, path, kAllowedMethods));
        soup_message_headers_replace(soup_server_message_get_response_headers(message), "Allow",
                                     kAllowedMethods);
        return;
    }
    handle(message);
}

} // namespace conf::daemon
