// The one place a conf::Status becomes an HTTP status code.
#pragma once

#include <conf/status.hpp>

#include <libsoup/soup.h>

namespace conf::daemon {

// kInvalidArgument 400, kUnauthenticated 401, kPermissionDenied 403, kNotFound 404,
// kAlreadyExists and kFailedPrecondition 409, kResourceExhausted 429 (a configured limit),
// kUnimplemented 501, kUnavailable 503, kDeadlineExceeded 504, anything else 500.
guint http_status_for(const Status& status) noexcept;

} // namespace conf::daemon
