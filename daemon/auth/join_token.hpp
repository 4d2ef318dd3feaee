// Join tokens: the JWTs (RFC 7519, JWS compact form RFC 7515) that let a participant into one
// room with some grants. confd signs them (CreateJoinToken) and checks them on WHIP, WHEP and
// the room protocol's join, with one key: an HS256 secret or an Ed25519 key (EdDSA, RFC 8037).
#pragma once

#include <conf/status.hpp>

#include <openssl/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace conf::daemon {

// Claim "grants": {"publish": true, ...}; a grant left out is false.
struct Grants {
    bool publish = false;
    bool subscribe = false;
    bool record = false;
    bool admin = false;
};

struct JoinClaims {
    // "room": the caller checks it for an exact match with the room being joined.
    std::string room;
    // "sub": who joins.
    std::string identity;
    // "name": display name, optional (empty: left out).
    std::string name;
    Grants grants;
    // "exp", required. Whole seconds: anything finer is dropped when signing.
    std::chrono::system_clock::time_point expires;
    // "iat"; the epoch (the default) leaves it out, and a token without it reads back as such.
    std::chrono::system_clock::time_point issued;
    // "jti"; sign() makes a random one when empty.
    std::string id;
};

enum class TokenAlgorithm { kHs256, kEdDsa };

// "HS256" and "EdDSA", exactly as JWS spells them; nullopt for anything else.
std::optional<TokenAlgorithm> parse_token_algorithm(std::string_view text);
std::string_view to_string(TokenAlgorithm algorithm);

// How far clocks may disagree: a token is still taken this long after its exp, and this long
// before its nbf.
inline constexpr std::chrono::seconds kJoinTokenLeeway{30};
// Longer tokens are refused before any parsing.
inline constexpr std::size_t kMaxJoinTokenSize = 8 * 1024;

// A random "jti" (16 bytes, base64url), for callers that want to know it before signing.
std::string new_token_id();

// Signs and verifies with one key. Immutable after creation, so any thread may use it.
class JoinTokenSigner {
  public:
    // HS256: the file holds the secret, used byte for byte after trimming surrounding
    // whitespace, at least 32 bytes. EdDSA: an unencrypted Ed25519 private key in PEM (as
    // `openssl genpkey -algorithm ed25519` writes it). kInvalidArgument naming the file for
    // an unreadable file or anything else in it.
    static Result<std::unique_ptr<JoinTokenSigner>>
    from_file(TokenAlgorithm algorithm, const std::filesystem::path& key_file);
    // HS256 with 32 random bytes, for when no key is configured: its tokens die with the
    // process.
    static std::unique_ptr<JoinTokenSigner> ephemeral();

    ~JoinTokenSigner();
    JoinTokenSigner(const JoinTokenSigner&) = delete;
    JoinTokenSigner& operator=(const JoinTokenSigner&) = delete;

    TokenAlgorithm algorithm() const noexcept { return algorithm_; }

    // EdDSA: the public key in PEM (SubjectPublicKeyInfo), for whoever verifies elsewhere.
    // Empty for HS256.
    std::string public_key_pem() const;

    // A compact JWS: header {"alg":"HS256"|"EdDSA","typ":"JWT"}, claims with "iss":"confd".
    std::string sign(const JoinClaims& claims) const;

    // The claims of a token this signer's key signed, or kUnauthenticated with a short reason
    // ("join token: expired at 2026-11-30T03:00:00Z"). The header's alg must be this signer's
    // algorithm, checked before any signature work. Required: exp (later than now - leeway),
    // room and sub (non-empty strings); nbf, if present, no later than now + leeway; grants,
    // if present, an object of booleans. No message contains the token or a part of it
    // beyond a recognisable alg name and the exp/nbf times.
    Result<JoinClaims>
    verify(std::string_view token,
           std::chrono::system_clock::time_point now = std::chrono::system_clock::now(),
           std::chrono::seconds leeway = kJoinTokenLeeway) const;

  private:
    struct KeyFree {
        void operator()(EVP_PKEY* key) const noexcept;
    };

    JoinTokenSigner(TokenAlgorithm algorithm, std::string secret,
                    std::unique_ptr<EVP_PKEY, KeyFree> key);

    std::string signature(std::string_view signing_input) const;
    bool signature_verifies(std::string_view signing_input, std::string_view signature) const;

    TokenAlgorithm algorithm_;
    // HS256: the secret (wiped on destruction). EdDSA: empty.
    std::string secret_;
    // EdDSA: the Ed25519 private key. HS256: null.
    std::unique_ptr<EVP_PKEY, KeyFree> key_;
};

} // namespace conf::daemon
