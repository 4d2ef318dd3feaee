// Operator keys: the bearer keys that gRPC clients (schedulers, portals) send as
// `authorization: Bearer <key>`. confd keeps only their SHA-256 (auth.operator_keys[].hash in
// the config), each with a name for logs and the scopes it may use.
#pragma once

#include <conf/status.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace conf::daemon {

// What an operator key may do; each gRPC service asks for one.
enum class Scope { kRooms, kRecordings, kTokens, kEvents, kStreams };

// "rooms", "recordings", "tokens", "events"; nullopt for anything else (case-sensitive).
std::optional<Scope> parse_scope(std::string_view text);
std::string_view to_string(Scope scope);

// The SHA-256 of a key.
using KeyHash = std::array<unsigned char, 32>;

// "sha256:" and 64 lower-case hex digits, as hash_key() writes it. kInvalidArgument otherwise,
// saying what is wrong but not repeating `text` (an operator may have pasted the key itself).
Result<KeyHash> parse_key_hash(std::string_view text);

// "sha256:<64 lower-case hex>" of `key`: what `confd --hash-key` prints for the config.
std::string hash_key(std::string_view key);

// A new key: "confd_" and 32 random bytes in unpadded base64url (49 characters).
std::string generate_key();

struct OperatorKey {
    // For logs and messages, never secret ("scheduler", "portal-2026").
    std::string name;
    KeyHash hash{};
    std::set<Scope> scopes;
};

// The configured keys, checked on every gRPC call. Immutable, so any thread may use it.
class OperatorKeyring {
  public:
    // Several keys may share scopes (rotation). Two keys with the same hash are the config
    // validator's to refuse; here the first one listed wins.
    explicit OperatorKeyring(std::vector<OperatorKey> keys = {});

    // At least one key: gRPC calls must then authenticate.
    bool enabled() const noexcept;
    std::size_t size() const noexcept { return keys_.size(); }

    // `authorization` is the raw metadata/header value, nullopt when absent; it must be
    // "Bearer <key>" (scheme case-insensitive). Returns the name of the matching key.
    // kUnauthenticated: absent, malformed or unknown key. kPermissionDenied: a known key
    // without `scope`. The key's hash is compared with every configured hash in constant
    // time, and no message ever contains the key.
    Result<std::string> authorize(std::optional<std::string_view> authorization, Scope scope) const;

  private:
    std::vector<OperatorKey> keys_;
};

} // namespace conf::daemon
