#include "grpc/page_token.hpp"

#include <fmt/format.h>
#include <glib.h>

#include <algorithm>

namespace conf::daemon {

namespace {
constexpr std::string_view kPrefix = "p1:"; // a version, so the format can change
}

std::size_t page_size(std::uint32_t requested) {
    return requested == 0 ? 100 : std::min<std::size_t>(requested, 1000);
}

std::string page_token(std::string_view position) {
    std::string plain = fmt::format("{}{}", kPrefix, position);
    gchar* encoded = g_base64_encode(reinterpret_cast<const guchar*>(plain.data()), plain.size());
    std::string token(encoded);
    g_free(encoded);
    return token;
}

Result<std::string> page_position(std::string_view token) {
    if (token.empty()) {
        return std::string();
    }
    std::string text(token);
    gsize size = 0;
    guchar* decoded = g_base64_decode(text.c_str(), &size);
    std::string plain(reinterpret_cast<const char*>(decoded), size);
    g_free(decoded);
    if (plain.rfind(kPrefix, 0) != 0) {
        return invalid_argument("page_token is not one this server returned; start again with an "
                                "empty page_token");
    }
    return plain.substr(kPrefix.size());
}

} // namespace conf::daemon
