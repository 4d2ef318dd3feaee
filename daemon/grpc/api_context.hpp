// ApiContext: what the conf.v1 services share. The registry lives on the media thread and is
// only touched from work posted there (media_thread_call.hpp).
#pragma once

#include "auth/join_token.hpp"
#include "events/event_log.hpp"
#include "grpc/operator_auth.hpp"
#include "room/room_registry.hpp"

#include <conf/engine.hpp>

#include <chrono>
#include <filesystem>
#include <string>

namespace conf::daemon {

struct ApiContext {
    Engine& engine;
    RoomRegistry& rooms;
    const OperatorAuth& auth;
    const JoinTokenSigner& tokens;
    EventLog& events;
    std::chrono::seconds max_token_ttl{86400};
    // Join links start with this ("https://meet.example.org", no trailing slash).
    std::string join_base_url;
    std::filesystem::path recordings_dir;
    // The rooms' defaults, for the Room resources shown to operators.
    bool auto_create_rooms = true;
};

} // namespace conf::daemon
