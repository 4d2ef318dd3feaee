// whip-client's command line: `whip-client URL [--pipeline SOURCES] [--duration SECONDS]
// [--ice-address ADDRESS]`.
#pragma once

#include <optional>
#include <string>

namespace whip {

// 1280x720 at 30 fps VP8 (realtime, ~1.5 Mbps, a keyframe every 2 s) and Opus, payloaded and
// linked into the webrtcbin named "whip".
extern const char* const kDefaultSources;

struct Options {
    std::string url; // the WHIP endpoint, e.g. http://127.0.0.1:8080/whip/room
    std::string sources = kDefaultSources; // gst-launch branches, each ending in "! whip."
    std::string ice_address = "127.0.0.1"; // the only address ICE gathers candidates on
    double duration_seconds = 0;           // publish time once connected; 0 = until Ctrl-C
    std::string token; // a bearer token for the server (confd: a join token), if any
};

struct ParsedOptions {
    std::optional<Options> options; // empty on --help or an error
    bool help = false;
    std::string error; // set on an error
};

ParsedOptions parse_options(int argc, char** argv);
std::string usage();

} // namespace whip
