// Status and Result<T>: how every libconf call reports success or failure.
// Codes follow the gRPC canonical set so the daemon can map them one-to-one.
#pragma once

#include <conf/export.hpp>

#include <cassert>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace conf {

enum class StatusCode {
    kOk = 0,
    kCancelled,
    kInvalidArgument,
    kDeadlineExceeded,
    kNotFound,
    kAlreadyExists,
    kPermissionDenied,
    kResourceExhausted,
    kFailedPrecondition,
    kUnimplemented,
    kInternal,
    kUnavailable,
    kUnauthenticated,
};

// Stable lowercase name of a code ("not_found"), for logs and wire formats.
CONF_API std::string_view to_string(StatusCode code) noexcept;

class [[nodiscard]] CONF_API Status {
  public:
    Status() = default;
    Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

    static Status ok() { return {}; }

    bool is_ok() const noexcept { return code_ == StatusCode::kOk; }
    explicit operator bool() const noexcept { return is_ok(); }
    StatusCode code() const noexcept { return code_; }
    const std::string& message() const noexcept { return message_; }

    // "not_found: no room 'a'" — for logs and error replies.
    std::string to_string() const;

    // Prefixes the message with context, keeping the code: "starting recorder: <message>".
    Status with_context(std::string_view context) const;

  private:
    StatusCode code_ = StatusCode::kOk;
    std::string message_;
};

inline Status invalid_argument(std::string message) {
    return {StatusCode::kInvalidArgument, std::move(message)};
}
inline Status not_found(std::string message) {
    return {StatusCode::kNotFound, std::move(message)};
}
inline Status failed_precondition(std::string message) {
    return {StatusCode::kFailedPrecondition, std::move(message)};
}
inline Status unavailable(std::string message) {
    return {StatusCode::kUnavailable, std::move(message)};
}
inline Status internal_error(std::string message) {
    return {StatusCode::kInternal, std::move(message)};
}
inline Status resource_exhausted(std::string message) {
    return {StatusCode::kResourceExhausted, std::move(message)};
}
inline Status already_exists(std::string message) {
    return {StatusCode::kAlreadyExists, std::move(message)};
}

// A value or the Status that explains why there is none. Never holds an ok Status.
template <typename T>
class [[nodiscard]] Result {
    static_assert(!std::is_same_v<T, Status>, "use Status for operations without a value");
    static_assert(!std::is_void_v<T>, "use Status for operations without a value");

  public:
    Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    Result(Status status) : state_(std::in_place_index<1>, std::move(status)) {
        assert(!std::get<1>(state_).is_ok() && "a Result cannot carry an ok Status");
        if (std::get<1>(state_).is_ok()) {
            std::get<1>(state_) = Status(StatusCode::kInternal, "Result built from an ok Status");
        }
    }

    bool is_ok() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return is_ok(); }

    const Status& status() const& {
        static const Status kOkStatus;
        return is_ok() ? kOkStatus : std::get<1>(state_);
    }

    T& value() & {
        assert(is_ok());
        return std::get<0>(state_);
    }
    const T& value() const& {
        assert(is_ok());
        return std::get<0>(state_);
    }
    T&& value() && {
        assert(is_ok());
        return std::get<0>(std::move(state_));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    template <typename U>
    T value_or(U&& fallback) const& {
        return is_ok() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
    }

  private:
    std::variant<T, Status> state_;
};

} // namespace conf
