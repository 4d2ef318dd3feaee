// ParticipantAuth: who may join a room, from the join token a client presents (WHIP/WHEP in
// `Authorization: Bearer`, the room protocol in its join message). With tokens required, no
// token means no entry; otherwise a client without a token gets every grant, and a token it
// does present is still checked. The token is never logged. Any thread (immutable).
#pragma once

#include "auth/join_token.hpp"
#include "auth/refusal_log.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace conf::daemon {

struct Admission {
    std::string identity; // empty without a token
    std::string name;     // the token's display name, if any
    Grants grants;
};

class ParticipantAuth {
  public:
    ParticipantAuth(const JoinTokenSigner& signer, bool required)
        : signer_(signer), required_(required) {}

    // kUnauthenticated: no token while required, or a token that does not verify;
    // kPermissionDenied: a token for another room.
    Result<Admission> admit(std::string_view token, const std::string& room) const;
    // The token in an `Authorization: Bearer <token>` header value (empty if none).
    static std::string_view bearer_token(const char* header);

    bool required() const noexcept { return required_; }
    // Logs a refused join or publish (rate-limited: see RefusalLog).
    void log_refusal(const std::string& line) const { refusals_.refused(line); }

  private:
    const JoinTokenSigner& signer_;
    bool required_;
    mutable RefusalLog refusals_{Logger("auth").with("participant", "refused")};
};

} // namespace conf::daemon
