// Checks of request fields that several conf.v1 services share, with the messages an operator
// reads in the status.
#pragma once

#include <conf/status.hpp>

#include <string>
#include <string_view>

namespace conf::daemon {

// kInvalidArgument naming `field` unless `name` is a room name (1-64 of [A-Za-z0-9_.-], not
// starting with '.').
Status check_room_name(const std::string& name, std::string_view field = "room");

} // namespace conf::daemon
