#include "grpc/request_checks.hpp"

#include "room/room_registry.hpp"

#include <fmt/format.h>

namespace conf::daemon {

Status check_room_name(const std::string& name, std::string_view field) {
    if (name.empty()) {
        return invalid_argument(fmt::format("{} is required", field));
    }
    if (!is_valid_name(name)) {
        return invalid_argument(fmt::format(
            "{} '{}' is invalid: use 1-64 letters, digits, '_', '-' or '.', not starting with '.'",
            field, name));
    }
    return Status::ok();
}

} // namespace conf::daemon
