// RtmpUrl: an RTMP push target, checked before any element sees it, and the one place that
// knows which part of it is secret.
//
//   rtmp[s]://[user:password@]host[:port]/application/stream-key
//
// Split as rtmp2sink splits it: the application is the path up to the last '/', the stream
// (usually a key that grants the right to publish) everything after. Logs and error messages
// only ever show redacted(): scheme://host:port/application.
#pragma once

#include "conf/status.hpp"

#include <string>
#include <string_view>

namespace conf {

struct RtmpUrl {
    std::string scheme;      // "rtmp" or "rtmps", lower case
    std::string host;        // an IPv6 literal keeps its brackets
    int port = 0;            // as given, or the scheme's default (1935, 443)
    std::string application; // "live", "app/instance"
    std::string stream;      // secret: the stream key, query included
    std::string userinfo;    // secret: "user:password", "" when absent
    std::string url;         // secret: the whole URL as given, for rtmp2sink

    // "rtmp://host:port/application": what may be logged.
    std::string redacted() const;
    // `text` with every occurrence of the secrets replaced, for messages that come from
    // elements handed the full URL.
    std::string scrub(std::string_view text) const;
};

// kInvalidArgument, with a message that never repeats the secret parts, unless `url` is an
// rtmp:// or rtmps:// URL with a host, a valid port, an application and a stream.
Result<RtmpUrl> parse_rtmp_url(std::string_view url);

} // namespace conf
