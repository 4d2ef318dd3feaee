#include "options.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>

namespace whip {

const char* const kDefaultSources =
    "videotestsrc is-live=true pattern=smpte horizontal-speed=2 "
    "! video/x-raw,width=1280,height=720,framerate=30/1 "
    "! vp8enc deadline=1 cpu-used=8 end-usage=cbr target-bitrate=1500000 keyframe-max-dist=60 "
    "! rtpvp8pay pt=96 ! whip. "
    "audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample "
    "! opusenc bitrate=64000 ! rtpopuspay pt=111 ! whip.";

namespace {

std::optional<double> parse_seconds(std::string_view text) {
    double value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value) ||
        value < 0) {
        return std::nullopt;
    }
    return value;
}

} // namespace

ParsedOptions parse_options(int argc, char** argv) {
    ParsedOptions parsed;
    Options options;
    bool have_url = false;
    auto fail = [&parsed](std::string message) {
        parsed.error = std::move(message);
        return parsed;
    };
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            parsed.help = true;
            return parsed;
        }
        std::string_view name = arg;
        std::optional<std::string_view> value;
        // Both "--name value" and "--name=value".
        if (arg.rfind("--", 0) == 0) {
            if (size_t equals = arg.find('='); equals != std::string_view::npos) {
                name = arg.substr(0, equals);
                value = arg.substr(equals + 1);
            }
        }
        auto take_value = [&]() -> std::optional<std::string_view> {
            if (value) {
                return value;
            }
            if (i + 1 < argc) {
                return std::string_view(argv[++i]);
            }
            return std::nullopt;
        };
        if (name == "--pipeline" || name == "--duration" || name == "--ice-address" ||
            name == "--token") {
            auto given = take_value();
            if (!given) {
                return fail(std::string(name) + " needs a value");
            }
            if (name == "--pipeline") {
                options.sources = *given;
            } else if (name == "--ice-address") {
                options.ice_address = *given;
            } else if (name == "--token") {
                options.token = *given;
            } else {
                auto seconds = parse_seconds(*given);
                if (!seconds) {
                    return fail("--duration takes a number of seconds >= 0, not '" +
                                std::string(*given) + "'");
                }
                options.duration_seconds = *seconds;
            }
        } else if (arg.rfind("-", 0) == 0 && arg.size() > 1) {
            return fail("unknown option '" + std::string(arg) + "'");
        } else if (!have_url) {
            options.url = arg;
            have_url = true;
        } else {
            return fail("unexpected argument '" + std::string(arg) + "'");
        }
    }
    if (!have_url) {
        return fail("the WHIP endpoint URL is missing");
    }
    if (options.url.rfind("http://", 0) != 0 && options.url.rfind("https://", 0) != 0) {
        return fail("the URL must start with http:// or https://, not '" + options.url + "'");
    }
    if (options.sources.find("whip.") == std::string::npos) {
        return fail("--pipeline must link its sources into the webrtcbin with '! whip.'");
    }
    if (options.token.empty()) {
        if (const char* token = std::getenv("WHIP_TOKEN")) {
            options.token = token;
        }
    }
    parsed.options = std::move(options);
    return parsed;
}

std::string usage() {
    std::string text =
        R"(usage: whip-client URL [--pipeline 'GST-LAUNCH SOURCES'] [--duration SECONDS]
          [--ice-address ADDRESS] [--token TOKEN]

Publishes to the WHIP endpoint URL (e.g. http://127.0.0.1:8080/whip/myroom): makes a
WebRTC offer, POSTs it once ICE gathering is complete, applies the answer, publishes, and
at the end DELETEs the session resource the server returned in Location.

  --pipeline SOURCES    gst-launch-1.0 branches of *payloaded* RTP, each ending in
                        '! whip.' (the webrtcbin is named "whip"); give every branch its
                        own payload type (pt=). Default:
                          )";
    // One branch per line.
    std::string sources = kDefaultSources;
    for (size_t at = sources.find("whip. "); at != std::string::npos;
         at = sources.find("whip. ", at)) {
        sources.replace(at, 6, "whip.\n                          ");
        at += 6;
    }
    text += sources;
    text += R"(
  --duration SECONDS    publish for this long once connected, then stop (default: until
                        Ctrl-C or SIGTERM)
  --ice-address ADDR    the local address ICE offers candidates on (default 127.0.0.1)
  --token TOKEN         sent as "Authorization: Bearer TOKEN" (confd: a join token from
                        RoomService.CreateJoinToken); default: $WHIP_TOKEN, if set
  -h, --help            this text

Exit status: 0 after a clean stop (the session was DELETEd), 1 on an HTTP, media or
connection error, 2 on a usage error. GStreamer's own options (--gst-debug=...) work too.
)";
    return text;
}

} // namespace whip
