// Settings: the validated, typed form of a confd::v1::Config, which is all the runtime sees.
#pragma once

#include "config/listen_address.hpp"

#include "room/room_registry.hpp"

#include <chrono>
#include <filesystem>

namespace conf::daemon {

enum class LogLevel { kError, kWarning, kInfo, kDebug };

struct Settings {
    ListenAddress http;
    ListenAddress grpc;
    std::filesystem::path data_dir;
    LogLevel log_level = LogLevel::kInfo;
    std::chrono::milliseconds pipeline_stop_timeout{5000};
    std::chrono::milliseconds shutdown_timeout{10000};
    // WebRTC, recording and limits, as the media side takes them. recordings_dir is filled
    // from data_dir.
    RoomRegistryOptions rooms;
};

} // namespace conf::daemon
