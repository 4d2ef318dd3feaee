#include "webrtc/rtp_rewrite.hpp"

#include <catch2/catch.hpp>

#include <gst/rtp/gstrtpbuffer.h>

#include <cstring>
#include <vector>

namespace {

struct Packet {
    guint8 payload_type;
    bool marker;
    guint16 seq;
    guint32 timestamp;
    guint32 ssrc;
    std::vector<guint8> payload;
    bool has_extension;
};

conf::GRef<GstBuffer> make_packet(guint8 pt, bool with_extension) {
    GstBuffer* buffer = gst_rtp_buffer_new_allocate(5, 0, 1);
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    REQUIRE(gst_rtp_buffer_map(buffer, GST_MAP_READWRITE, &rtp));
    gst_rtp_buffer_set_payload_type(&rtp, pt);
    gst_rtp_buffer_set_marker(&rtp, TRUE);
    gst_rtp_buffer_set_seq(&rtp, 4242);
    gst_rtp_buffer_set_timestamp(&rtp, 90000);
    gst_rtp_buffer_set_ssrc(&rtp, 0xdeadbeef);
    gst_rtp_buffer_set_csrc(&rtp, 0, 7);
    std::memcpy(gst_rtp_buffer_get_payload(&rtp), "hello", 5);
    if (with_extension) {
        guint8 level = 0x80 | 30;      // audio level
        guint8 twcc[2] = {0x01, 0x02}; // transport-cc
        REQUIRE(gst_rtp_buffer_add_extension_onebyte_header(&rtp, 1, &level, 1));
        REQUIRE(gst_rtp_buffer_add_extension_onebyte_header(&rtp, 3, twcc, 2));
    }
    gst_rtp_buffer_unmap(&rtp);
    GST_BUFFER_PTS(buffer) = 5 * GST_SECOND;
    return conf::GRef<GstBuffer>::adopt(buffer);
}

Packet read(GstBuffer* buffer) {
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    REQUIRE(gst_rtp_buffer_map(buffer, GST_MAP_READ, &rtp));
    auto* payload = static_cast<guint8*>(gst_rtp_buffer_get_payload(&rtp));
    Packet p{gst_rtp_buffer_get_payload_type(&rtp),
             gst_rtp_buffer_get_marker(&rtp) != FALSE,
             gst_rtp_buffer_get_seq(&rtp),
             gst_rtp_buffer_get_timestamp(&rtp),
             gst_rtp_buffer_get_ssrc(&rtp),
             std::vector<guint8>(payload, payload + gst_rtp_buffer_get_payload_len(&rtp)),
             gst_rtp_buffer_get_extension(&rtp) != FALSE};
    CHECK(gst_rtp_buffer_get_csrc_count(&rtp) == 1);
    CHECK(gst_rtp_buffer_get_csrc(&rtp, 0) == 7);
    gst_rtp_buffer_unmap(&rtp);
    return p;
}

} // namespace

TEST_CASE("a forwarded packet gets the subscriber's payload type and loses the publisher's "
          "header extensions",
          "[webrtc][rtp]") {
    auto original = make_packet(96, true);
    auto rewritten = conf::rewrite_for_subscriber(original.get(), 100);
    Packet out = read(rewritten.get());
    CHECK(out.payload_type == 100);
    CHECK_FALSE(out.has_extension);
    CHECK(out.marker);
    CHECK(out.seq == 4242);
    CHECK(out.timestamp == 90000);
    CHECK(out.ssrc == 0xdeadbeef);
    CHECK(out.payload == std::vector<guint8>{'h', 'e', 'l', 'l', 'o'});
    CHECK(GST_BUFFER_PTS(rewritten.get()) == 5 * GST_SECOND);
    // The original, shared with other subscribers, is untouched.
    Packet in = read(original.get());
    CHECK(in.payload_type == 96);
    CHECK(in.has_extension);
}

TEST_CASE("a packet that needs no rewriting shares its memory with the original", "[webrtc][rtp]") {
    auto original = make_packet(100, false);
    auto rewritten = conf::rewrite_for_subscriber(original.get(), 100);
    CHECK(rewritten.get() != original.get()); // its own metadata (PTS is changed per peer)
    CHECK(gst_buffer_peek_memory(rewritten.get(), 0) == gst_buffer_peek_memory(original.get(), 0));
    CHECK(read(rewritten.get()).payload_type == 100);

    auto retyped = conf::rewrite_for_subscriber(original.get(), 111);
    CHECK(read(retyped.get()).payload_type == 111);
    CHECK(read(original.get()).payload_type == 100);
}
