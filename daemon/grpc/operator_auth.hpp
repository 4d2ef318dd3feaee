// OperatorAuth: checks each conf.v1 call's `authorization: Bearer <key>` metadata against the
// configured operator keys and the scope the service needs, and logs refusals (never the
// key). With no keys configured every call passes: confd then listens on loopback only and
// said so loudly at startup.
#pragma once

#include "auth/operator_keys.hpp"
#include "auth/refusal_log.hpp"
#include "core/log.hpp"

#include <grpcpp/grpcpp.h>

#include <string_view>

namespace conf::daemon {

class OperatorAuth {
  public:
    explicit OperatorAuth(OperatorKeyring keys);

    // OK, UNAUTHENTICATED or PERMISSION_DENIED, with a message for the caller.
    grpc::Status check(grpc::CallbackServerContext* context, Scope scope,
                       std::string_view method) const;
    bool enabled() const noexcept { return keys_.enabled(); }

    // How every unary call starts: its reactor, and whether it may go on. When not, the
    // reactor is already finished with check()'s status.
    struct UnaryStart {
        grpc::ServerUnaryReactor* reactor;
        bool allowed;
    };
    UnaryStart start_unary(grpc::CallbackServerContext* context, Scope scope,
                           std::string_view method) const;

  private:
    OperatorKeyring keys_;
    Logger logger_;
    mutable RefusalLog refusals_;
};

} // namespace conf::daemon
