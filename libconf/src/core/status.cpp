#include "conf/status.hpp"

#include <fmt/format.h>

namespace conf {

std::string_view to_string(StatusCode code) noexcept {
    switch (code) {
    case StatusCode::kOk:
        return "ok";
    case StatusCode::kCancelled:
        return "cancelled";
    case StatusCode::kInvalidArgument:
        return "invalid_argument";
    case StatusCode::kDeadlineExceeded:
        return "deadline_exceeded";
    case StatusCode::kNotFound:
        return "not_found";
    case StatusCode::kAlreadyExists:
        return "already_exists";
    case StatusCode::kPermissionDenied:
        return "permission_denied";
    case StatusCode::kResourceExhausted:
        return "resource_exhausted";
    case StatusCode::kFailedPrecondition:
        return "failed_precondition";
    case StatusCode::kUnimplemented:
        return "unimplemented";
    case StatusCode::kInternal:
        return "internal";
    case StatusCode::kUnavailable:
        return "unavailable";
    case StatusCode::kUnauthenticated:
        return "unauthenticated";
    }
    return "unknown";
}

std::string Status::to_string() const {
    if (is_ok()) {
        return "ok";
    }
    return fmt::format("{}: {}", conf::to_string(code_), message_);
}

Status Status::with_context(std::string_view context) const {
    if (is_ok()) {
        return *this;
    }
    return {code_, fmt::format("{}: {}", context, message_)};
}

} // namespace conf
