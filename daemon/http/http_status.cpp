#include "http/http_status.hpp"

namespace conf::daemon {

guint http_status_for(const Status& status) noexcept {
    switch (status.code()) {
    case StatusCode::kOk:
        return SOUP_STATUS_OK;
    case StatusCode::kInvalidArgument:
        return SOUP_STATUS_BAD_REQUEST;
    case StatusCode::kUnauthenticated:
        return SOUP_STATUS_UNAUTHORIZED;
    case StatusCode::kPermissionDenied:
        return SOUP_STATUS_FORBIDDEN;
    case StatusCode::kNotFound:
        return SOUP_STATUS_NOT_FOUND;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
        return SOUP_STATUS_CONFLICT;
    case StatusCode::kResourceExhausted:
        return 429; // Too Many Requests (libsoup has no name for it)
    case StatusCode::kUnimplemented:
        return SOUP_STATUS_NOT_IMPLEMENTED;
    case StatusCode::kUnavailable:
        return SOUP_STATUS_SERVICE_UNAVAILABLE;
    case StatusCode::kDeadlineExceeded:
        return SOUP_STATUS_GATEWAY_TIMEOUT;
    case StatusCode::kCancelled:
    case StatusCode::kInternal:
        return SOUP_STATUS_INTERNAL_SERVER_ERROR;
    }
    return SOUP_STATUS_INTERNAL_SERVER_ERROR;
}

} // namespace conf::daemon
