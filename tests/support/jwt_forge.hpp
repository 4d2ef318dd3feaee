// Hand-made JWTs for tests, built with OpenSSL alone and none of the daemon's code, the way an
// attacker or another issuer would make them: a compact JWS over exactly the header and claims
// texts given, so a test can send what no correct signer would write.
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace conf::test {

// RFC 4648 base64url, without padding.
inline std::string base64url(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(bytes.data()),
                               static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(size));
    while (!out.empty() && out.back() == '=') {
        out.pop_back();
    }
    for (char& c : out) {
        c = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    return out;
}

// The raw HMAC-SHA256 of `data` under `key`.
inline std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
             &size) == nullptr) {
        throw std::runtime_error("HMAC-SHA256 failed");
    }
    return std::string(reinterpret_cast<const char*>(mac), size);
}

// A compact JWS of `header` and `claims` as written, signed with HMAC-SHA256 under `key`, or
// with an empty signature when `key` is nullopt.
inline std::string forge_jwt(std::string_view header, std::string_view claims,
                             std::optional<std::string_view> key) {
    std::string input = base64url(header) + "." + base64url(claims);
    return input + "." + (key ? base64url(hmac_sha256(*key, input)) : std::string());
}

} // namespace conf::test
