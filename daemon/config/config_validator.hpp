// validate_config: checks a merged confd::v1::Config and turns it into Settings.
#pragma once

#include "confd/v1/config.pb.h"
#include "config/settings.hpp"

#include <conf/status.hpp>

namespace conf::daemon {

// On failure the Status message has one line per problem, each starting with the key it is
// about: `http.listen: "abc" is not HOST:PORT (...)`. Listening anywhere but on loopback is
// refused here until confd has authentication and TLS.
Result<Settings> validate_config(const ::confd::v1::Config& config);

} // namespace conf::daemon
