#include "auth/participant_auth.hpp"

#include "auth/primitives.hpp"

#include <fmt/format.h>

namespace conf::daemon {

Result<Admission> ParticipantAuth::admit(std::string_view token, const std::string& room) const {
    if (token.empty()) {
        if (required_) {
            return Status(StatusCode::kUnauthenticated,
                          "a join token is required (Authorization: Bearer <token> for WHIP and "
                          "WHEP, \"token\" in the room protocol's join)");
        }
        return Admission{{}, {}, Grants{true, true, false, false}};
    }
    auto claims = signer_.verify(token);
    if (!claims) {
        return claims.status();
    }
    if (claims->room != room) {
        return Status(
            StatusCode::kPermissionDenied,
            fmt::format("this join token is for room '{}', not '{}'", claims->room, room));
    }
    return Admission{claims->identity, claims->name, claims->grants};
}

std::string_view ParticipantAuth::bearer_token(const char* header) {
    if (header == nullptr) {
        return {};
    }
    return bearer_credential(header).value_or(std::string_view());
}

} // namespace conf::daemon
