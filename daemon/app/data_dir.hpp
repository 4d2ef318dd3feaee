// The data directory: where confd keeps recordings and diagnostics (data_dir).
#pragma once

#include <conf/status.hpp>

#include <filesystem>

namespace conf::daemon {

// Creates `dir` and its parents if missing, and checks it is a directory confd can write to.
// The error names the directory and the reason.
Status prepare_data_dir(const std::filesystem::path& dir);

} // namespace conf::daemon
