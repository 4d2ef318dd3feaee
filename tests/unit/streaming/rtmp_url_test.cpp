// RtmpUrl: what is accepted, how it is split (as rtmp2sink splits it) and that the stream key
// and credentials never reach what may be logged.
#include "streaming/rtmp_url.hpp"

#include <catch2/catch.hpp>

using conf::parse_rtmp_url;
using conf::StatusCode;

TEST_CASE("RTMP URLs split into host, port, application and a secret stream key",
          "[streaming][rtmp-url]") {
    auto url = parse_rtmp_url("rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl-mnop");
    REQUIRE(url.is_ok());
    CHECK(url->scheme == "rtmp");
    CHECK(url->host == "a.rtmp.youtube.com");
    CHECK(url->port == 1935);
    CHECK(url->application == "live2");
    CHECK(url->stream == "abcd-efgh-ijkl-mnop");
    CHECK(url->redacted() == "rtmp://a.rtmp.youtube.com:1935/live2");

    auto tls = parse_rtmp_url("RTMPS://user:pass-word@[::1]:8443/app/inst/key?token=xyz");
    REQUIRE(tls.is_ok());
    CHECK(tls->scheme == "rtmps");
    CHECK(tls->host == "[::1]");
    CHECK(tls->port == 8443);
    CHECK(tls->application == "app/inst");
    CHECK(tls->stream == "key?token=xyz");
    CHECK(tls->userinfo == "user:pass-word");
    CHECK(tls->redacted() == "rtmps://[::1]:8443/app/inst");

    CHECK(parse_rtmp_url("rtmps://live.example.com/app/k3y-1")->port == 443);
}

TEST_CASE("RTMP URL secrets are scrubbed from messages", "[streaming][rtmp-url]") {
    auto url = parse_rtmp_url("rtmp://bob:hunter22@example.com:1936/live/sk-123456");
    REQUIRE(url.is_ok());
    CHECK(url->scrub("Could not publish rtmp://bob:hunter22@example.com:1936/live/sk-123456") ==
          "Could not publish rtmp://example.com:1936/live");
    CHECK(url->scrub("stream sk-123456 rejected for bob:hunter22") ==
          "stream <stream key> rejected for <credentials>");
    CHECK(url->scrub("Connection refused") == "Connection refused");
}

TEST_CASE("Malformed RTMP URLs are refused without repeating their secrets",
          "[streaming][rtmp-url]") {
    const char* bad[] = {
        "",
        "rtmp://",
        "rtmp://host",
        "rtmp://host/",
        "rtmp://host/app",
        "rtmp://host//secret-key",
        "rtmp://host/app/",
        "rtmp://host:/app/secret-key",
        "rtmp://host:0/app/secret-key",
        "rtmp://host:65536/app/secret-key",
        "rtmp://host:12ab/app/secret-key",
        "rtmp://ho st/app/secret-key",
        "rtmp://[::1/app/secret-key",
        "rtmp://[zz]/app/secret-key",
        "rtmp://host/app/secret-key\n",
        "https://host/app/secret-key",
        "file:///etc/secret-key",
        "host/app/secret-key",
    };
    for (const char* text : bad) {
        auto url = parse_rtmp_url(text);
        INFO(text);
        REQUIRE(!url.is_ok());
        CHECK(url.status().code() == StatusCode::kInvalidArgument);
        CHECK(url.status().message().find("secret-key") == std::string::npos);
    }
}
