#include "config/listen_address.hpp"

#include "core/g_ref.hpp"
#include "core/g_unique.hpp"

#include <fmt/format.h>
#include <gio/gio.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace conf::daemon {

namespace {

constexpr std::string_view kExamples = "for example 127.0.0.1:8080 or [::1]:8080";

Status not_host_port(std::string_view text, std::string_view why) {
    return invalid_argument(fmt::format("\"{}\" is not HOST:PORT ({}; {})", text, why, kExamples));
}

GRef<GInetAddress> parse_ip(const std::string& host) {
    return GRef<GInetAddress>::adopt(g_inet_address_new_from_string(host.c_str()));
}

} // namespace

Result<ListenAddress> ListenAddress::parse(std::string_view text) {
    std::string_view host;
    std::string_view port_text;
    if (text.starts_with('[')) {
        auto close = text.find(']');
        if (close == std::string_view::npos) {
            return not_host_port(text, "missing ']' after the IPv6 address");
        }
        host = text.substr(1, close - 1);
        std::string_view rest = text.substr(close + 1);
        if (!rest.starts_with(':')) {
            return not_host_port(text, "missing :PORT");
        }
        port_text = rest.substr(1);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            return not_host_port(text, "missing :PORT");
        }
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) {
            return not_host_port(text, "an IPv6 address needs brackets");
        }
    }
    if (host.empty()) {
        return not_host_port(text, "the host is missing");
    }
    if (port_text.empty() || port_text.size() > 10 ||
        !std::all_of(port_text.begin(), port_text.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
        return not_host_port(text, fmt::format("port \"{}\" is not a number", port_text));
    }
    std::uint64_t port = 0;
    std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port > 65535) {
        return invalid_argument(
            fmt::format("\"{}\": port {} is out of range 0-65535", text, port_text));
    }

    ListenAddress address;
    address.port = static_cast<std::uint16_t>(port);
    std::string host_string(host);
    std::transform(host_string.begin(), host_string.end(), host_string.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (host_string == "localhost") {
        address.host = "127.0.0.1";
        return address;
    }
    GRef<GInetAddress> ip = parse_ip(host_string);
    if (!ip) {
        return invalid_argument(
            fmt::format("\"{}\": host \"{}\" is not an IP address or localhost (host names are not "
                        "resolved; {})",
                        text, host, kExamples));
    }
    // g_inet_address_to_string gives the canonical form ("::1", not "0:0::1").
    GUnique<gchar> canonical(g_inet_address_to_string(ip.get()));
    address.host = canonical.get();
    return address;
}

bool ListenAddress::is_loopback() const {
    GRef<GInetAddress> ip = parse_ip(host);
    return ip && g_inet_address_get_is_loopback(ip.get());
}

std::string ListenAddress::to_string() const {
    return with_port(port);
}

std::string ListenAddress::with_port(std::uint16_t bound_port) const {
    if (host.find(':') != std::string::npos) {
        return fmt::format("[{}]:{}", host, bound_port);
    }
    return fmt::format("{}:{}", host, bound_port);
}

} // namespace conf::daemon
