#include "webrtc/offer_filter.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <string>

using conf::StatusCode;

namespace {

// The shape of a Chromium offer (trimmed): VP8, VP9, H.264 in several profiles, AV1, RTX,
// RED/ULPFEC, and Opus next to G.722 and PCMU.
std::string chromium_like_offer() {
    return "v=0\r\n"
           "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
           "s=-\r\n"
           "t=0 0\r\n"
           "a=group:BUNDLE 0 1\r\n"
           "a=msid-semantic: WMS\r\n"
           "m=audio 9 UDP/TLS/RTP/SAVPF 111 9 0\r\n"
           "c=IN IP4 0.0.0.0\r\n"
           "a=ice-ufrag:abcd\r\n"
           "a=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
           "a=fingerprint:sha-256 "
           "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:"
           "77:88:99\r\n"
           "a=setup:actpass\r\n"
           "a=mid:0\r\n"
           "a=sendonly\r\n"
           "a=rtcp-mux\r\n"
           "a=rtpmap:111 opus/48000/2\r\n"
           "a=rtcp-fb:111 transport-cc\r\n"
           "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
           "a=rtpmap:9 G722/8000\r\n"
           "a=rtpmap:0 PCMU/8000\r\n"
           "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 102 103 45 116\r\n"
           "c=IN IP4 0.0.0.0\r\n"
           "a=ice-ufrag:abcd\r\n"
           "a=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
           "a=fingerprint:sha-256 "
           "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:"
           "77:88:99\r\n"
           "a=setup:actpass\r\n"
           "a=mid:1\r\n"
           "a=sendonly\r\n"
           "a=rtcp-mux\r\n"
           "a=rtpmap:96 VP8/90000\r\n"
           "a=extmap:3 "
           "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
           "a=extmap:4/recvonly urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
           "a=rtcp-fb:96 nack\r\n"
           "a=rtcp-fb:96 nack pli\r\n"
           "a=rtpmap:97 rtx/90000\r\n"
           "a=fmtp:97 apt=96\r\n"
           "a=rtpmap:98 VP9/90000\r\n"
           "a=fmtp:98 profile-id=0\r\n"
           "a=rtpmap:99 rtx/90000\r\n"
           "a=fmtp:99 apt=98\r\n"
           "a=rtpmap:102 H264/90000\r\n"
           "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
           "a=rtpmap:103 H264/90000\r\n"
           "a=fmtp:103 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f\r\n"
           "a=rtpmap:45 AV1/90000\r\n"
           "a=rtpmap:116 red/90000\r\n";
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("an offer keeps only allowlisted codecs and their RTX", "[webrtc][sdp]") {
    auto filtered = conf::filter_offer(chromium_like_offer());
    REQUIRE(filtered.is_ok());
    REQUIRE(filtered->media.size() == 2);
    CHECK(filtered->media[0].codecs == std::vector<std::string>{"OPUS"});
    CHECK(filtered->media[1].codecs == std::vector<std::string>{"VP8", "VP9", "H264"});
    CHECK(filtered->media[1].mid == "1");
    // Header extensions are known by id, with their direction suffix dropped.
    CHECK(filtered->media[1].extensions ==
          std::map<int, std::string>{
              {3, "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"},
              {4, "urn:ietf:params:rtp-hdrext:sdes:mid"}});
    CHECK(filtered->media[0].extensions.empty());

    conf::GUnique<gchar> text(gst_sdp_message_as_text(filtered->sdp.get()));
    std::string sdp = text.get();
    CHECK(contains(sdp, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"));
    CHECK(contains(sdp, "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 102\r\n"));
    CHECK(contains(sdp, "a=rtpmap:97 rtx/90000"));
    CHECK(contains(sdp, "a=rtcp-fb:96 nack pli"));
    CHECK_FALSE(contains(sdp, "G722"));
    CHECK_FALSE(contains(sdp, "AV1"));
    CHECK_FALSE(contains(sdp, "red/90000"));
    CHECK_FALSE(contains(sdp, "640c1f")); // constrained high is not accepted
    CHECK(contains(sdp, "a=mid:1"));
    CHECK(contains(sdp, "a=fingerprint:sha-256"));
}

TEST_CASE("unusable offers are refused with a reason", "[webrtc][sdp]") {
    SECTION("garbage") {
        auto r = conf::filter_offer("hello, this is not SDP");
        CHECK(r.status().code() == StatusCode::kInvalidArgument);
        CHECK_THAT(r.status().message(), Catch::Contains("v=0"));
    }
    SECTION("no media") {
        auto r = conf::filter_offer("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
        CHECK(r.status().code() == StatusCode::kInvalidArgument);
        CHECK_THAT(r.status().message(), Catch::Contains("no media"));
    }
    SECTION("only unsupported codecs") {
        std::string offer = chromium_like_offer();
        // Turn the video section into AV1-only.
        auto video = offer.find("m=video");
        offer = offer.substr(0, video) +
                "m=video 9 UDP/TLS/RTP/SAVPF 45\r\nc=IN IP4 0.0.0.0\r\n"
                "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
                "a=fingerprint:sha-256 AA:BB\r\na=mid:1\r\na=rtpmap:45 AV1/90000\r\n";
        auto r = conf::filter_offer(offer);
        CHECK(r.status().code() == StatusCode::kInvalidArgument);
        CHECK_THAT(r.status().message(),
                   Catch::Contains("no supported codec") && Catch::Contains("AV1"));
    }
    SECTION("no DTLS fingerprint") {
        std::string offer = chromium_like_offer();
        std::string::size_type pos;
        while ((pos = offer.find("a=fingerprint")) != std::string::npos) {
            offer.erase(pos, offer.find("\r\n", pos) + 2 - pos);
        }
        auto r = conf::filter_offer(offer);
        CHECK_THAT(r.status().message(), Catch::Contains("fingerprint"));
    }
    SECTION("too large") {
        auto r = conf::filter_offer(std::string(2 * 1024 * 1024, 'v'));
        CHECK(r.status().code() == StatusCode::kInvalidArgument);
        CHECK_THAT(r.status().message(), Catch::Contains("limit"));
    }
}

TEST_CASE("H.264 is accepted in constrained baseline and main, packetization-mode 1",
          "[webrtc][codec]") {
    CHECK(conf::is_accepted_h264_fmtp("packetization-mode=1;profile-level-id=42e01f"));
    CHECK(conf::is_accepted_h264_fmtp("profile-level-id=4d001f; packetization-mode=1"));
    CHECK_FALSE(conf::is_accepted_h264_fmtp("packetization-mode=0;profile-level-id=42e01f"));
    CHECK_FALSE(conf::is_accepted_h264_fmtp("packetization-mode=1;profile-level-id=640c1f"));
    CHECK_FALSE(conf::is_accepted_h264_fmtp("packetization-mode=1;profile-level-id=42001f"));
    CHECK_FALSE(conf::is_accepted_h264_fmtp("packetization-mode=1"));
    CHECK_FALSE(conf::is_accepted_h264_fmtp("packetization-mode=1;profile-level-id=zzzzzz"));
}
