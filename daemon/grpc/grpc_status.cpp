#include "grpc/grpc_status.hpp"

namespace conf::daemon {

namespace {

grpc::StatusCode code_of(StatusCode code) {
    switch (code) {
    case StatusCode::kOk:
        return grpc::StatusCode::OK;
    case StatusCode::kCancelled:
        return grpc::StatusCode::CANCELLED;
    case StatusCode::kInvalidArgument:
        return grpc::StatusCode::INVALID_ARGUMENT;
    case StatusCode::kDeadlineExceeded:
        return grpc::StatusCode::DEADLINE_EXCEEDED;
    case StatusCode::kNotFound:
        return grpc::StatusCode::NOT_FOUND;
    case StatusCode::kAlreadyExists:
        return grpc::StatusCode::ALREADY_EXISTS;
    case StatusCode::kPermissionDenied:
        return grpc::StatusCode::PERMISSION_DENIED;
    case StatusCode::kResourceExhausted:
        return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case StatusCode::kFailedPrecondition:
        return grpc::StatusCode::FAILED_PRECONDITION;
    case StatusCode::kUnimplemented:
        return grpc::StatusCode::UNIMPLEMENTED;
    case StatusCode::kInternal:
        return grpc::StatusCode::INTERNAL;
    case StatusCode::kUnavailable:
        return grpc::StatusCode::UNAVAILABLE;
    case StatusCode::kUnauthenticated:
        return grpc::StatusCode::UNAUTHENTICATED;
    }
    return grpc::StatusCode::UNKNOWN;
}

} // namespace

grpc::Status to_grpc(const Status& status) {
    if (status.is_ok()) {
        return grpc::Status::OK;
    }
    return {code_of(status.code()), status.message()};
}

} // namespace conf::daemon
