#include "room/active_speaker.hpp"

#include <catch2/catch.hpp>

#include <gst/rtp/gstrtpbuffer.h>

using conf::DominantSpeaker;

namespace {

// An Opus-like RTP packet with an RFC 6464 level in a one-byte header extension.
GstBuffer* packet_with_level(int level, guint8 id) {
    GstBuffer* buffer = gst_rtp_buffer_new_allocate(20, 0, 0);
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    gst_rtp_buffer_map(buffer, GST_MAP_READWRITE, &rtp);
    guint8 value = static_cast<guint8>(0x80 | level); // V bit set: voice activity
    gst_rtp_buffer_add_extension_onebyte_header(&rtp, id, &value, 1);
    gst_rtp_buffer_unmap(&rtp);
    return buffer;
}

} // namespace

TEST_CASE("audio levels are read from the RFC 6464 header extension", "[room][speaker]") {
    GstBuffer* loud = packet_with_level(20, 1);
    GstBuffer* other_id = packet_with_level(20, 3);
    GstBuffer* plain = gst_rtp_buffer_new_allocate(20, 0, 0);
    CHECK(conf::audio_level_of(loud, 1) == 20);
    CHECK_FALSE(conf::audio_level_of(other_id, 1).has_value());
    CHECK_FALSE(conf::audio_level_of(plain, 1).has_value());

    conf::AudioLevelMeter meter(1);
    meter.push_rtp(loud);
    GstBuffer* quieter = packet_with_level(70, 1);
    meter.push_rtp(quieter);
    CHECK(meter.take_loudest() == 20); // the loudest since the last sample
    CHECK(meter.take_loudest() == conf::kSilentLevel);
    CHECK(meter.levels_seen() == 2);
    for (GstBuffer* b : {loud, other_id, plain, quieter}) {
        gst_buffer_unref(b);
    }
}

TEST_CASE("the dominant speaker changes only when someone else talks clearly louder for a "
          "while",
          "[room][speaker]") {
    DominantSpeaker speaker;
    // Alice talks alone: she is the speaker at once.
    CHECK(speaker.update({{"alice", 30}, {"bob", 127}}) == std::optional<std::string>("alice"));
    // A single loud sample from Bob (a cough) does not take over.
    CHECK_FALSE(speaker.update({{"alice", 30}, {"bob", 10}}).has_value());
    CHECK_FALSE(speaker.update({{"alice", 30}, {"bob", 127}}).has_value());
    CHECK(speaker.current() == "alice");
    // Bob talks and Alice stops: after a few samples, Bob.
    std::optional<std::string> changed;
    int samples = 0;
    while (!changed && samples < 20) {
        changed = speaker.update({{"alice", 127}, {"bob", 25}});
        ++samples;
    }
    CHECK(changed == std::optional<std::string>("bob"));
    CHECK(samples >= 3);
    // Silence keeps the last speaker; a member who leaves is forgotten.
    CHECK_FALSE(speaker.update({{"alice", 127}, {"bob", 127}}).has_value());
    speaker.remove("bob");
    CHECK(speaker.current().empty());
}
