#include "grpc/operator_auth.hpp"

#include "grpc/grpc_status.hpp"

#include <fmt/format.h>

namespace conf::daemon {

OperatorAuth::OperatorAuth(OperatorKeyring keys)
    : keys_(std::move(keys)), logger_(Logger("confd").with("grpc", "auth")), refusals_(logger_) {}

grpc::Status OperatorAuth::check(grpc::CallbackServerContext* context, Scope scope,
                                 std::string_view method) const {
    if (!keys_.enabled()) {
        return grpc::Status::OK;
    }
    std::optional<std::string_view> header;
    const auto& metadata = context->client_metadata();
    if (auto it = metadata.find("authorization"); it != metadata.end()) {
        header = std::string_view(it->second.data(), it->second.size());
    }
    auto authorized = keys_.authorize(header, scope);
    if (!authorized) {
        refusals_.refused(fmt::format("{} from {} refused: {}", method, context->peer(),
                                      authorized.status().message()));
        return to_grpc(authorized.status());
    }
    logger_.debug("{} by operator key '{}'", method, *authorized);
    return grpc::Status::OK;
}

OperatorAuth::UnaryStart OperatorAuth::start_unary(grpc::CallbackServerContext* context,
                                                   Scope scope, std::string_view method) const {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    grpc::Status checked = check(context, scope, method);
    if (!checked.ok()) {
        reactor->Finish(checked);
    }
    return {reactor, checked.ok()};
}

} // namespace conf::daemon
