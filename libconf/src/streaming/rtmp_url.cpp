#include "streaming/rtmp_url.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace conf {

namespace {

constexpr std::size_t kMaxUrlLength = 4096;
// Shorter "secrets" are not worth hiding and would mangle ordinary words in messages.
constexpr std::size_t kMinScrubLength = 4;

bool is_host_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_';
}

void replace_all(std::string& text, std::string_view secret, std::string_view mask) {
    if (secret.size() < kMinScrubLength) {
        return;
    }
    for (std::size_t at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + mask.size())) {
        text.replace(at, secret.size(), mask);
    }
}

} // namespace

std::string RtmpUrl::redacted() const {
    return fmt::format("{}://{}:{}/{}", scheme, host, port, application);
}

std::string RtmpUrl::scrub(std::string_view text) const {
    std::string out(text);
    replace_all(out, url, redacted());
    replace_all(out, userinfo, "<credentials>");
    replace_all(out, stream, "<stream key>");
    return out;
}

Result<RtmpUrl> parse_rtmp_url(std::string_view url) {
    // No message below repeats `url`: past the host it may hold a stream key or a password.
    if (url.empty()) {
        return invalid_argument("RTMP URL is empty");
    }
    if (url.size() > kMaxUrlLength) {
        return invalid_argument(
            fmt::format("RTMP URL is longer than {} characters", kMaxUrlLength));
    }
    if (std::any_of(url.begin(), url.end(), [](char c) {
            return static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) == 0x7f;
        })) {
        return invalid_argument("RTMP URL contains spaces or control characters");
    }
    RtmpUrl parsed;
    parsed.url = std::string(url);
    std::size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
        return invalid_argument("RTMP URL must start with rtmp:// or rtmps://");
    }
    std::string scheme(url.substr(0, scheme_end));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (scheme != "rtmp" && scheme != "rtmps") {
        bool printable =
            scheme.size() <= 16 && std::all_of(scheme.begin(), scheme.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) != 0;
            });
        return invalid_argument(fmt::format("RTMP URL must start with rtmp:// or rtmps://{}",
                                            printable ? fmt::format(", not {}://", scheme) : ""));
    }
    parsed.scheme = scheme;

    std::string_view rest = url.substr(scheme_end + 3);
    std::size_t path_start = rest.find('/');
    std::string_view authority = rest.substr(0, path_start);
    if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
        parsed.userinfo = std::string(authority.substr(0, at));
        authority.remove_prefix(at + 1);
    }
    std::string_view port_text;
    if (authority.starts_with('[')) {
        std::size_t close = authority.find(']');
        if (close == std::string_view::npos) {
            return invalid_argument(
                fmt::format("{}:// URL has an unterminated IPv6 address", parsed.scheme));
        }
        std::string_view inside = authority.substr(1, close - 1);
        if (inside.empty() || !std::all_of(inside.begin(), inside.end(), [](char c) {
                return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
            })) {
            return invalid_argument(
                fmt::format("{}:// URL has an invalid IPv6 address", parsed.scheme));
        }
        parsed.host = std::string(authority.substr(0, close + 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty() && !after.starts_with(':')) {
            return invalid_argument(
                fmt::format("{}:// URL has text after its IPv6 address", parsed.scheme));
        }
        port_text = after.empty() ? after : after.substr(1);
        if (!after.empty() && port_text.empty()) {
            return invalid_argument(fmt::format("{}:// URL has an empty port", parsed.scheme));
        }
    } else {
        std::size_t colon = authority.find(':');
        parsed.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) {
                return invalid_argument(fmt::format("{}:// URL has an empty port", parsed.scheme));
            }
        }
        if (!std::all_of(parsed.host.begin(), parsed.host.end(), is_host_char)) {
            return invalid_argument(
                fmt::format("{}:// URL has an invalid host name", parsed.scheme));
        }
    }
    if (parsed.host.empty()) {
        return invalid_argument(fmt::format("{}:// URL has no host", parsed.scheme));
    }
    parsed.port = parsed.scheme == "rtmps" ? 443 : 1935;
    if (!port_text.empty()) {
        int port = 0;
        auto [end, error] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (error != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
            port > 65535) {
            return invalid_argument(
                fmt::format("{}://{} URL has a port outside 1..65535", parsed.scheme, parsed.host));
        }
        parsed.port = port;
    }

    std::string_view where =
        path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start + 1);
    std::size_t stream_start = where.rfind('/');
    if (stream_start == std::string_view::npos || stream_start == 0) {
        return invalid_argument(fmt::format(
            "{}://{}:{} URL needs an application and a stream key: {}://host/application/key",
            parsed.scheme, parsed.host, parsed.port, parsed.scheme));
    }
    parsed.application = std::string(where.substr(0, stream_start));
    parsed.stream = std::string(where.substr(stream_start + 1));
    if (parsed.stream.empty()) {
        return invalid_argument(
            fmt::format("RTMP URL {} has no stream key after the application", parsed.redacted()));
    }
    return parsed;
}

} // namespace conf
