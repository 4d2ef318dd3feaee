// restrict_ice: what a webrtcbin's ICE agent may reveal and contact. Host candidates only on
// the given addresses, UDP only, and no UPnP: libnice otherwise starts SSDP discovery
// (multicast to 239.255.255.250) for every agent, which is traffic off the machine that no
// operator asked for.
#pragma once

#include "conf/status.hpp"

#include <gst/gst.h>

#include <string>
#include <vector>

namespace conf {

Status restrict_ice(GstElement* webrtcbin, const std::vector<std::string>& addresses);

} // namespace conf
