#include "auth/operator_keys.hpp"

#include "auth/primitives.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <utility>

namespace conf::daemon {

namespace {

constexpr std::string_view kHashPrefix = "sha256:";
constexpr std::string_view kHashForm =
    "expected \"sha256:\" and 64 lower-case hex digits, as confd --hash-key prints them";

Status unauthenticated(std::string message) {
    return {StatusCode::kUnauthenticated, std::move(message)};
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

} // namespace

std::optional<Scope> parse_scope(std::string_view text) {
    for (Scope scope :
         {Scope::kRooms, Scope::kRecordings, Scope::kTokens, Scope::kEvents, Scope::kStreams}) {
        if (text == to_string(scope)) {
            return scope;
        }
    }
    return std::nullopt;
}

std::string_view to_string(Scope scope) {
    switch (scope) {
    case Scope::kRooms:
        return "rooms";
    case Scope::kRecordings:
        return "recordings";
    case Scope::kTokens:
        return "tokens";
    case Scope::kEvents:
        return "events";
    case Scope::kStreams:
        return "streams";
    }
    return "unknown";
}

Result<KeyHash> parse_key_hash(std::string_view text) {
    if (!text.starts_with(kHashPrefix)) {
        return invalid_argument(
            fmt::format("operator key hash does not start with \"sha256:\" ({})", kHashForm));
    }
    std::string_view hex = text.substr(kHashPrefix.size());
    if (hex.size() != 2 * KeyHash().size()) {
        return invalid_argument(
            fmt::format("operator key hash has {} characters after \"sha256:\", not 64 ({})",
                        hex.size(), kHashForm));
    }
    KeyHash hash{};
    for (std::size_t i = 0; i < hash.size(); ++i) {
        int high = hex_value(hex[2 * i]);
        int low = hex_value(hex[2 * i + 1]);
        if (high < 0 || low < 0) {
            bool upper =
                std::any_of(hex.begin(), hex.end(), [](char c) { return c >= 'A' && c <= 'F'; });
            return invalid_argument(fmt::format(
                "operator key hash has {} after \"sha256:\" ({})",
                upper ? "upper-case hex digits" : "characters that are not hex digits", kHashForm));
        }
        hash[i] = static_cast<unsigned char>(high << 4 | low);
    }
    return hash;
}

std::string hash_key(std::string_view key) {
    return fmt::format("{}{}", kHashPrefix, to_hex(sha256(key)));
}

std::string generate_key() {
    std::array<unsigned char, 32> bytes{};
    random_bytes(bytes);
    return "confd_" + base64url_encode(bytes);
}

OperatorKeyring::OperatorKeyring(std::vector<OperatorKey> keys) : keys_(std::move(keys)) {}

bool OperatorKeyring::enabled() const noexcept {
    return !keys_.empty();
}

Result<std::string> OperatorKeyring::authorize(std::optional<std::string_view> authorization,
                                               Scope scope) const {
    if (!authorization) {
        return unauthenticated("missing authorization: Bearer <key>");
    }
    std::optional<std::string_view> key = bearer_credential(*authorization);
    if (!key) {
        return unauthenticated("malformed authorization: expected Bearer <key>");
    }
    // Hashes, not keys, are compared: equal lengths, and a timing difference could at most
    // reveal bits of a hash, which do not lead back to a key. Every hash is compared, and the
    // loop runs backwards so that the first key listed wins without an early exit.
    const KeyHash presented = sha256(*key);
    std::size_t match = keys_.size();
    for (std::size_t i = keys_.size(); i-- > 0;) {
        bool same = CRYPTO_memcmp(presented.data(), keys_[i].hash.data(), presented.size()) == 0;
        match = same ? i : match;
    }
    if (match == keys_.size()) {
        return unauthenticated("unknown operator key");
    }
    const OperatorKey& found = keys_[match];
    if (!found.scopes.contains(scope)) {
        return Status(StatusCode::kPermissionDenied,
                      fmt::format("operator key \"{}\" lacks the scope \"{}\"", found.name,
                                  to_string(scope)));
    }
    return found.name;
}

} // namespace conf::daemon
