// confrtpav1pay on hand-built temporal units (appsrc ! confrtpav1pay ! appsink): the packets
// are read back with GstRTPBuffer and held to the AV1 RTP spec's rules.
#include "plugins/av1/av1_test_support.hpp"

#include <catch2/catch.hpp>

using namespace conf::test::av1;
using conf::av1::ObuType;

namespace {

constexpr const char* kTuCaps = "video/x-av1,stream-format=obu-stream,alignment=tu";
constexpr const char* kFrameCaps = "video/x-av1,stream-format=obu-stream,alignment=frame";
constexpr std::uint8_t kFrameElementHeader = 0x30; // OBU_FRAME, no extension, no size field
constexpr std::uint8_t kSequenceElementHeader = 0x08;

std::vector<RtpPacket> payload_units(const std::string& element, const char* caps,
                                     std::vector<GstBuffer*> input) {
    ElementRun run = run_element(element, caps, std::move(input));
    INFO(run.error);
    REQUIRE(run.error.empty());
    std::vector<RtpPacket> packets;
    for (auto& buffer : run.output) {
        packets.push_back(read_rtp(buffer.get()));
    }
    return packets;
}

} // namespace

TEST_CASE_METHOD(Av1Elements, "pay: TD dropped / obu_size removed / W counts / N on a key unit",
                 "[av1][pay]") {
    ByteVector sequence = sequence_header_payload(10);
    ByteVector frame = key_frame_payload(100);
    auto packets =
        payload_units("confrtpav1pay mtu=1200", kTuCaps, {make_buffer(key_unit(100), 0)});
    REQUIRE(packets.size() == 1);
    const RtpPacket& packet = packets[0];
    CHECK(packet.marker);
    CHECK_FALSE(packet.z());
    CHECK_FALSE(packet.y());
    CHECK(packet.n());
    CHECK(packet.w() == 2);
    // [agg][len 11][SH header, 10 bytes][frame header, 100 bytes]: no temporal delimiter, no
    // obu_size, no length before the last element.
    ByteVector expected = concat({{aggregation(false, false, 2, true)},
                                  leb128(11),
                                  {kSequenceElementHeader},
                                  sequence,
                                  {kFrameElementHeader},
                                  frame});
    CHECK(packet.payload == expected);
}

TEST_CASE_METHOD(Av1Elements, "pay: N=0 on delta units and on key frames without a sequence header",
                 "[av1][pay]") {
    ByteVector key_without_sequence =
        concat({obu(ObuType::kTemporalDelimiter, {}), obu(ObuType::kFrame, key_frame_payload(50))});
    auto packets =
        payload_units("confrtpav1pay", kTuCaps,
                      {make_buffer(key_unit(50), 0), make_buffer(delta_unit(50), 33 * GST_MSECOND),
                       make_buffer(key_without_sequence, 66 * GST_MSECOND)});
    REQUIRE(packets.size() == 3);
    CHECK(packets[0].n());
    CHECK_FALSE(packets[1].n());
    CHECK_FALSE(packets[2].n());
    CHECK(packets[1].w() == 1);
    CHECK(packets[1].payload.at(1) == kFrameElementHeader);
}

TEST_CASE_METHOD(Av1Elements, "pay: a large OBU is fragmented with Z/Y and no packet over the MTU",
                 "[av1][pay]") {
    constexpr std::size_t kMtu = 400;
    ByteVector frame = key_frame_payload(5000);
    auto packets = payload_units(
        "confrtpav1pay mtu=400", kTuCaps,
        {make_buffer(key_unit(5000), 0), make_buffer(delta_unit(2000), 33 * GST_MSECOND)});
    // Split packets by unit (timestamp).
    std::vector<RtpPacket> key;
    std::vector<RtpPacket> delta;
    for (const RtpPacket& packet : packets) {
        CHECK(packet.size <= kMtu);
        (packet.timestamp == packets.front().timestamp ? key : delta).push_back(packet);
    }
    REQUIRE(key.size() >= 13);
    REQUIRE(delta.size() >= 5);

    // Key unit: packet 0 holds the sequence header and the frame's first fragment.
    CHECK(key[0].n());
    CHECK_FALSE(key[0].z());
    CHECK(key[0].y());
    auto first = split_elements(key[0]);
    REQUIRE(first.size() == 2);
    CHECK(first[0].at(0) == kSequenceElementHeader);
    ByteVector reassembled = first[1];
    for (std::size_t i = 1; i < key.size(); ++i) {
        INFO("packet " << i);
        CHECK(key[i].z());
        CHECK(key[i].y() == (i + 1 < key.size()));
        CHECK_FALSE(key[i].n());
        CHECK(key[i].marker == (i + 1 == key.size()));
        auto elements = split_elements(key[i]);
        REQUIRE(elements.size() == 1);
        CHECK(key[i].w() == 1);
        reassembled.insert(reassembled.end(), elements[0].begin(), elements[0].end());
    }
    CHECK(reassembled == concat({{kFrameElementHeader}, frame}));
    // Full packets are used: every packet but the last of a unit is at the MTU.
    for (std::size_t i = 0; i + 1 < key.size(); ++i) {
        CHECK(key[i].size == kMtu);
    }

    // Delta unit: same rules, its own timestamp, marker on its last packet only.
    CHECK_FALSE(delta.front().z());
    CHECK(delta.front().y());
    CHECK(delta.back().marker);
    CHECK_FALSE(delta.back().y());
    for (std::size_t i = 0; i + 1 < delta.size(); ++i) {
        CHECK_FALSE(delta[i].marker);
    }
    CHECK(delta.front().timestamp - key.front().timestamp == 33 * 90);
}

TEST_CASE_METHOD(Av1Elements,
                 "pay: marker only on the last packet of a unit and one timestamp per unit",
                 "[av1][pay]") {
    std::vector<GstBuffer*> input;
    for (int i = 0; i < 5; ++i) {
        input.push_back(make_buffer(i == 0 ? key_unit(1500) : delta_unit(700 + 300 * i),
                                    static_cast<GstClockTime>(i) * 40 * GST_MSECOND));
    }
    auto packets = payload_units("confrtpav1pay mtu=500", kTuCaps, std::move(input));
    std::vector<std::uint32_t> unit_timestamps;
    for (std::size_t i = 0; i < packets.size(); ++i) {
        bool last_of_unit =
            i + 1 == packets.size() || packets[i + 1].timestamp != packets[i].timestamp;
        CHECK(packets[i].marker == last_of_unit);
        if (i == 0 || packets[i].timestamp != packets[i - 1].timestamp) {
            unit_timestamps.push_back(packets[i].timestamp);
        }
        // Sequence numbers are consecutive.
        if (i > 0) {
            CHECK(static_cast<std::uint16_t>(packets[i].seq - packets[i - 1].seq) == 1);
        }
    }
    REQUIRE(unit_timestamps.size() == 5);
    for (std::size_t i = 1; i < unit_timestamps.size(); ++i) {
        CHECK(unit_timestamps[i] - unit_timestamps[i - 1] == 40 * 90);
    }
}

TEST_CASE_METHOD(Av1Elements, "pay: the OBU extension header is kept and obu_size still removed",
                 "[av1][pay]") {
    std::uint8_t ext = extension_byte(1, 0);
    ByteVector frame = inter_frame_payload(64);
    ByteVector unit =
        concat({obu(ObuType::kTemporalDelimiter, {}), obu(ObuType::kFrame, frame, ext)});
    auto packets = payload_units("confrtpav1pay", kTuCaps, {make_buffer(unit, 0)});
    REQUIRE(packets.size() == 1);
    auto elements = split_elements(packets[0]);
    REQUIRE(elements.size() == 1);
    CHECK(elements[0] == concat({{0x34, ext}, frame})); // OBU_FRAME | extension flag, no size
}

TEST_CASE_METHOD(Av1Elements, "pay: small OBUs are aggregated and more than three use W=0",
                 "[av1][pay]") {
    ByteVector unit =
        concat({obu(ObuType::kTemporalDelimiter, {}),
                obu(ObuType::kSequenceHeader, sequence_header_payload(12)),
                obu(ObuType::kMetadata, pattern(5, 1)), obu(ObuType::kMetadata, pattern(200, 2)),
                obu(ObuType::kFrameHeader, key_frame_payload(20)),
                obu(ObuType::kTileGroup, pattern(150, 3)), obu(ObuType::kPadding, pattern(30, 4)),
                obu(ObuType::kTileList, pattern(10, 5))});
    auto packets = payload_units("confrtpav1pay", kTuCaps, {make_buffer(unit, 0)});
    REQUIRE(packets.size() == 1);
    CHECK(packets[0].w() == 0);
    CHECK(packets[0].n());
    auto elements = split_elements(packets[0]);
    // Padding and tile list OBUs are not sent.
    REQUIRE(elements.size() == 5);
    CHECK(elements[0] == element(ObuType::kSequenceHeader, sequence_header_payload(12)));
    CHECK(elements[1] == element(ObuType::kMetadata, pattern(5, 1)));
    CHECK(elements[2] == element(ObuType::kMetadata, pattern(200, 2)));
    CHECK(elements[3] == element(ObuType::kFrameHeader, key_frame_payload(20)));
    CHECK(elements[4] == element(ObuType::kTileGroup, pattern(150, 3)));

    SECTION("three OBUs: W=3, the last without a length") {
        ByteVector three = concat({obu(ObuType::kTemporalDelimiter, {}),
                                   obu(ObuType::kFrameHeader, inter_frame_payload(20)),
                                   obu(ObuType::kTileGroup, pattern(100, 1)),
                                   obu(ObuType::kTileGroup, pattern(100, 2))});
        auto small = payload_units("confrtpav1pay", kTuCaps, {make_buffer(three, 0)});
        REQUIRE(small.size() == 1);
        CHECK(small[0].w() == 3);
        CHECK(small[0].size == 12 + 1 + 1 + 21 + 1 + 101 + 101);
    }
}

TEST_CASE_METHOD(Av1Elements, "pay: OBUs of different layers never share a packet", "[av1][pay]") {
    ByteVector unit = concat({obu(ObuType::kTemporalDelimiter, {}),
                              obu(ObuType::kSequenceHeader, sequence_header_payload()),
                              obu(ObuType::kFrame, key_frame_payload(40), extension_byte(0, 0)),
                              obu(ObuType::kFrame, inter_frame_payload(40), extension_byte(0, 1)),
                              obu(ObuType::kMetadata, pattern(4))});
    auto packets = payload_units("confrtpav1pay", kTuCaps, {make_buffer(unit, 0)});
    REQUIRE(packets.size() == 3);
    CHECK(split_elements(packets[0]).size() == 2); // SH, frame (0,0)
    CHECK(split_elements(packets[1]).size() == 1); // frame (0,1)
    CHECK(split_elements(packets[2]).size() == 1); // metadata without extension goes last alone
    CHECK(packets[2].marker);
}

TEST_CASE_METHOD(Av1Elements, "pay: frame-aligned input ends the unit at its shown frame",
                 "[av1][pay]") {
    // One unit as two buffers: a hidden frame, then a shown-existing frame with a later PTS.
    ByteVector hidden = concat(
        {obu(ObuType::kTemporalDelimiter, {}), obu(ObuType::kFrame, hidden_frame_payload(30))});
    ByteVector shown = obu(ObuType::kFrameHeader, show_existing_frame_payload());
    auto packets = payload_units(
        "confrtpav1pay", kFrameCaps,
        {make_buffer(key_unit(30), 0), make_buffer(hidden, 33 * GST_MSECOND),
         make_buffer(shown, 34 * GST_MSECOND), make_buffer(delta_unit(30), 66 * GST_MSECOND)});
    REQUIRE(packets.size() == 4);
    CHECK(packets[0].marker);
    CHECK_FALSE(packets[1].marker); // hidden frame: the unit goes on
    CHECK(packets[2].marker);
    CHECK(packets[1].timestamp == packets[2].timestamp);
    CHECK(packets[1].timestamp - packets[0].timestamp == 33 * 90);
    CHECK(packets[3].marker);
    CHECK(packets[3].timestamp - packets[0].timestamp == 66 * 90);
}

TEST_CASE_METHOD(Av1Elements, "pay: a malformed buffer is dropped and the stream goes on",
                 "[av1][pay]") {
    ByteVector truncated = key_unit(100);
    truncated.resize(truncated.size() - 10); // the frame's obu_size now runs past the end
    auto packets = payload_units("confrtpav1pay", kTuCaps,
                                 {make_buffer(truncated, 0), make_buffer(ByteVector{0x80}, 1),
                                  make_buffer(key_unit(100), 33 * GST_MSECOND)});
    REQUIRE(packets.size() == 1);
    CHECK(packets[0].n());
}
