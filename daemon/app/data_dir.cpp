#include "app/data_dir.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include <unistd.h>

namespace conf::daemon {

Status prepare_data_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec && !std::filesystem::is_directory(dir)) {
        return unavailable(
            fmt::format("cannot create data directory \"{}\": {}", dir.string(), ec.message()));
    }
    if (!std::filesystem::is_directory(dir, ec)) {
        return unavailable(
            fmt::format("data directory \"{}\" exists but is not a directory", dir.string()));
    }
    if (access(dir.c_str(), W_OK | X_OK) != 0) {
        return unavailable(fmt::format("data directory \"{}\" is not writable: {}", dir.string(),
                                       std::strerror(errno)));
    }
    return Status::ok();
}

} // namespace conf::daemon
