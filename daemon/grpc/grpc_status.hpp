// The one place where libconf's Status becomes a gRPC status: the codes match one to one
// (NOT_FOUND, ALREADY_EXISTS, INVALID_ARGUMENT, RESOURCE_EXHAUSTED, PERMISSION_DENIED,
// UNAUTHENTICATED, FAILED_PRECONDITION, UNAVAILABLE, ...), and the message is kept as the
// human-readable error message.
#pragma once

#include <conf/status.hpp>

#include <grpcpp/support/status.h>

namespace conf::daemon {

grpc::Status to_grpc(const Status& status);

} // namespace conf::daemon
