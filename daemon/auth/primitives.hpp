// The few building blocks operator keys and join tokens share: randomness, SHA-256 and
// base64url, as thin wrappers over OpenSSL and GLib (no cryptography of our own).
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace conf::daemon {

// Reports an OpenSSL call that cannot fail short of a broken installation (no default
// provider, no entropy) on stderr, and aborts: a key or token made anyway would be unsafe.
[[noreturn]] void crypto_failure(const char* what);

// Fills `out` from OpenSSL's CSPRNG. A failing RAND_bytes leaves no safe way on, so it aborts
// the process rather than hand out a predictable key.
void random_bytes(std::span<unsigned char> out);

std::array<unsigned char, 32> sha256(std::string_view data);

// Lower-case hex.
std::string to_hex(std::span<const unsigned char> data);

// RFC 4648 §5 base64url without padding, as JWS (RFC 7515 §2) uses it.
std::string base64url_encode(std::span<const unsigned char> data);
std::string base64url_encode(std::string_view data);

// The bytes of unpadded base64url `text`, or nullopt unless `text` is exactly what
// base64url_encode() would write for them: no padding, whitespace or other alphabets, and no
// stray bits in the last character (so one token has one spelling).
std::optional<std::string> base64url_decode(std::string_view text);

// `text` without surrounding ASCII whitespace (space, \t, \n, \v, \f, \r).
std::string_view trim_whitespace(std::string_view text);

// The credential in an Authorization value "Bearer <credential>" (RFC 6750 §2.1; the scheme
// is case-insensitive, RFC 7235 §2.1); nullopt when it is another scheme, empty, or holds
// spaces or control characters.
std::optional<std::string_view> bearer_credential(std::string_view authorization);

} // namespace conf::daemon
