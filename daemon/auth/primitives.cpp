#include "auth/primitives.hpp"

#include <fmt/format.h>
#include <glib.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace conf::daemon {

namespace {

struct GFree {
    void operator()(void* p) const noexcept { g_free(p); }
};

bool is_base64url_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

} // namespace

void crypto_failure(const char* what) {
    char text[256] = "unknown error";
    if (unsigned long code = ERR_get_error(); code != 0) {
        ERR_error_string_n(code, text, sizeof(text));
    }
    fmt::print(stderr, "confd: fatal: {} failed: {}\n", what, text);
    std::abort();
}

void random_bytes(std::span<unsigned char> out) {
    if (out.size() > static_cast<std::size_t>(INT_MAX) ||
        RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
        crypto_failure("RAND_bytes");
    }
}

std::array<unsigned char, 32> sha256(std::string_view data) {
    std::array<unsigned char, 32> digest{};
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1 ||
        size != digest.size()) {
        crypto_failure("SHA-256");
    }
    return digest;
}

std::string to_hex(std::span<const unsigned char> data) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(data.size() * 2);
    for (unsigned char byte : data) {
        hex += kDigits[byte >> 4];
        hex += kDigits[byte & 0x0f];
    }
    return hex;
}

std::string base64url_encode(std::span<const unsigned char> data) {
    if (data.empty()) {
        return {};
    }
    std::unique_ptr<gchar, GFree> standard(g_base64_encode(data.data(), data.size()));
    std::string text(standard.get());
    std::replace(text.begin(), text.end(), '+', '-');
    std::replace(text.begin(), text.end(), '/', '_');
    text.erase(text.find_last_not_of('=') + 1);
    return text;
}

std::string base64url_encode(std::string_view data) {
    return base64url_encode(
        std::span(reinterpret_cast<const unsigned char*>(data.data()), data.size()));
}

std::optional<std::string> base64url_decode(std::string_view text) {
    if (text.empty()) {
        return std::string();
    }
    // g_base64_decode skips characters outside its alphabet without a word, so the alphabet
    // and the length are checked here first.
    if (text.size() % 4 == 1 || !std::all_of(text.begin(), text.end(), is_base64url_char)) {
        return std::nullopt;
    }
    std::string standard(text);
    std::replace(standard.begin(), standard.end(), '-', '+');
    std::replace(standard.begin(), standard.end(), '_', '/');
    standard.append((4 - standard.size() % 4) % 4, '=');
    gsize size = 0;
    std::unique_ptr<guchar, GFree> bytes(g_base64_decode(standard.c_str(), &size));
    std::string decoded(reinterpret_cast<const char*>(bytes.get()), size);
    // Unused low bits in the last character would give one token several spellings.
    if (base64url_encode(decoded) != text) {
        return std::nullopt;
    }
    return decoded;
}

std::string_view trim_whitespace(std::string_view text) {
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

namespace {

bool is_space_or_control(char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7f;
}

} // namespace

std::optional<std::string_view> bearer_credential(std::string_view authorization) {
    authorization = trim_whitespace(authorization);
    constexpr std::string_view kScheme = "bearer";
    if (authorization.size() <= kScheme.size() ||
        !std::equal(kScheme.begin(), kScheme.end(), authorization.begin(), [](char a, char b) {
            return a == (b >= 'A' && b <= 'Z' ? static_cast<char>(b - 'A' + 'a') : b);
        })) {
        return std::nullopt;
    }
    std::string_view rest = authorization.substr(kScheme.size());
    if (rest.front() != ' ' && rest.front() != '\t') {
        return std::nullopt;
    }
    std::string_view key = trim_whitespace(rest);
    if (key.empty() || std::any_of(key.begin(), key.end(), is_space_or_control)) {
        return std::nullopt;
    }
    return key;
}

} // namespace conf::daemon
