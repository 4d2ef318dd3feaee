// confrtpav1depay on hand-built RTP packets (appsrc ! confrtpav1depay ! appsink): reassembly,
// what a decoder gets (TD + sized OBUs, delta flags), and what happens on loss and on garbage.
#include "plugins/av1/av1_test_support.hpp"

#include <catch2/catch.hpp>

using namespace conf::test::av1;
using conf::av1::ObuType;

namespace {

constexpr const char* kRtpCaps =
    "application/x-rtp,media=video,clock-rate=90000,encoding-name=AV1,payload=96";

const ByteVector kTemporalDelimiter = obu(ObuType::kTemporalDelimiter, {});

// A key unit of one packet, and the unit the depayloader should make of it.
struct KeyPacket {
    ByteVector payload;
    ByteVector expected;
};
KeyPacket key_packet(std::uint8_t seed) {
    ByteVector sequence = sequence_header_payload();
    ByteVector frame = key_frame_payload(100, seed);
    return {concat({{aggregation(false, false, 2, true)},
                    leb128(sequence.size() + 1),
                    element(ObuType::kSequenceHeader, sequence),
                    element(ObuType::kFrame, frame)}),
            concat({kTemporalDelimiter, obu(ObuType::kSequenceHeader, sequence),
                    obu(ObuType::kFrame, frame)})};
}

// A unit whose frame is split over three packets (Z/Y), with its expected output.
struct FragmentedUnit {
    std::vector<ByteVector> payloads;
    ByteVector expected;
};
FragmentedUnit fragmented_unit(bool key, std::uint8_t seed) {
    ByteVector sequence = sequence_header_payload();
    ByteVector frame = key ? key_frame_payload(3000, seed) : inter_frame_payload(3000, seed);
    ByteVector frame_element = element(ObuType::kFrame, frame);
    auto part = [&](std::size_t from, std::size_t to) {
        return ByteVector(frame_element.begin() + static_cast<std::ptrdiff_t>(from),
                          frame_element.begin() + static_cast<std::ptrdiff_t>(to));
    };
    FragmentedUnit unit;
    if (key) {
        unit.payloads.push_back(concat({{aggregation(false, true, 2, true)},
                                        leb128(sequence.size() + 1),
                                        element(ObuType::kSequenceHeader, sequence),
                                        part(0, 1000)}));
        unit.expected = concat({kTemporalDelimiter, obu(ObuType::kSequenceHeader, sequence),
                                obu(ObuType::kFrame, frame)});
    } else {
        unit.payloads.push_back(concat({{aggregation(false, true, 1, false)}, part(0, 1000)}));
        unit.expected = concat({kTemporalDelimiter, obu(ObuType::kFrame, frame)});
    }
    unit.payloads.push_back(concat({{aggregation(true, true, 1, false)}, part(1000, 2000)}));
    unit.payloads.push_back(
        concat({{aggregation(true, false, 1, false)}, part(2000, frame_element.size())}));
    return unit;
}

// Packets of several units with consecutive sequence numbers; `skip` leaves sequence numbers
// out, as a network would.
struct Sender {
    std::uint16_t seq = 1000;
    std::vector<GstBuffer*> packets;

    void send(const ByteVector& payload, std::uint32_t timestamp, bool marker) {
        packets.push_back(
            make_rtp(payload, seq++, timestamp, marker, timestamp * GST_SECOND / 90000));
    }
    void send_unit(const std::vector<ByteVector>& payloads, std::uint32_t timestamp,
                   std::optional<std::size_t> lose = {}) {
        for (std::size_t i = 0; i < payloads.size(); ++i) {
            if (lose && *lose == i) {
                ++seq;
                continue;
            }
            send(payloads[i], timestamp, i + 1 == payloads.size());
        }
    }
};

bool is_delta(const GstPtr<GstBuffer>& buffer) {
    return GST_BUFFER_FLAG_IS_SET(buffer.get(), GST_BUFFER_FLAG_DELTA_UNIT);
}

} // namespace

TEST_CASE_METHOD(Av1Elements, "depay: fragments are joined into TD + sized OBUs", "[av1][depay]") {
    FragmentedUnit key = fragmented_unit(true, 1);
    FragmentedUnit delta = fragmented_unit(false, 2);
    Sender sender;
    sender.send_unit(key.payloads, 0);
    sender.send_unit(delta.payloads, 3000);
    ElementRun run = run_element("confrtpav1depay", kRtpCaps, std::move(sender.packets));
    REQUIRE(run.error.empty());
    REQUIRE(run.output.size() == 2);
    CHECK(bytes_of(run.output[0].get()) == key.expected);
    CHECK(bytes_of(run.output[1].get()) == delta.expected);
    CHECK_FALSE(is_delta(run.output[0]));
    CHECK(is_delta(run.output[1]));
    CHECK(GST_BUFFER_PTS(run.output[0].get()) == 0);
    CHECK(GST_BUFFER_PTS(run.output[1].get()) == 3000 * GST_SECOND / 90000);
    CHECK(run.keyframe_requests == 0);

    REQUIRE(run.output_caps);
    GstPtr<GstCaps> expected(
        gst_caps_from_string("video/x-av1,stream-format=obu-stream,alignment=tu,framerate=0/1"));
    CHECK(gst_caps_is_equal(run.output_caps.get(), expected.get()));
}

TEST_CASE_METHOD(Av1Elements, "depay: W=0 with LEB128 lengths / sized elements / ignored OBUs",
                 "[av1][depay]") {
    ByteVector sequence = sequence_header_payload();
    ByteVector header = key_frame_payload(30);
    ByteVector tiles = pattern(300, 9);
    ByteVector metadata = pattern(4, 1);
    ByteVector sized_tiles = obu(ObuType::kTileGroup, tiles); // obu_has_size_field set: allowed
    ByteVector payload = concat({{aggregation(false, false, 0, true)},
                                 leb128(sequence.size() + 1),
                                 element(ObuType::kSequenceHeader, sequence),
                                 leb128(2),
                                 ByteVector{0x12, 0x00}, // a temporal delimiter: ignored
                                 leb128(metadata.size() + 1),
                                 element(ObuType::kMetadata, metadata),
                                 leb128(header.size() + 1),
                                 element(ObuType::kFrameHeader, header),
                                 leb128(sized_tiles.size()),
                                 sized_tiles,
                                 leb128(6),
                                 element(ObuType::kPadding, pattern(5)),
                                 leb128(4),
                                 element(ObuType::kTileList, pattern(3))});
    Sender sender;
    sender.send(payload, 0, true);
    ElementRun run = run_element("confrtpav1depay", kRtpCaps, std::move(sender.packets));
    REQUIRE(run.error.empty());
    REQUIRE(run.output.size() == 1);
    CHECK(bytes_of(run.output[0].get()) ==
          concat({kTemporalDelimiter, obu(ObuType::kSequenceHeader, sequence),
                  obu(ObuType::kMetadata, metadata), obu(ObuType::kFrameHeader, header),
                  obu(ObuType::kTileGroup, tiles)}));
    CHECK_FALSE(is_delta(run.output[0]));
}

TEST_CASE_METHOD(Av1Elements, "depay: a unit ends at a timestamp change or EOS without marker",
                 "[av1][depay]") {
    KeyPacket first = key_packet(1);
    FragmentedUnit second = fragmented_unit(false, 2);
    Sender sender;
    sender.send(first.payload, 0, false);
    for (const ByteVector& payload : second.payloads) {
        sender.send(payload, 3000, false);
    }
    ElementRun run = run_element("confrtpav1depay", kRtpCaps, std::move(sender.packets));
    REQUIRE(run.error.empty());
    REQUIRE(run.output.size() == 2);
    CHECK(bytes_of(run.output[0].get()) == first.expected);
    CHECK(bytes_of(run.output[1].get()) == second.expected);
    CHECK(GST_BUFFER_PTS(run.output[0].get()) == 0);
    CHECK(GST_BUFFER_PTS(run.output[1].get()) == 3000 * GST_SECOND / 90000);
}

TEST_CASE_METHOD(Av1Elements,
                 "depay: a lost fragment drops its unit and output resumes at a "
                 "requested key frame",
                 "[av1][depay]") {
    FragmentedUnit key1 = fragmented_unit(true, 1);
    FragmentedUnit delta1 = fragmented_unit(false, 2);
    FragmentedUnit delta2 = fragmented_unit(false, 3);
    FragmentedUnit key2 = fragmented_unit(true, 4);
    auto send_all = [&](Sender& sender) {
        sender.send_unit(key1.payloads, 0);
        sender.send_unit(delta1.payloads, 3000, 1); // the middle fragment is lost
        sender.send_unit(delta2.payloads, 6000);
        sender.send_unit(key2.payloads, 9000);
    };

    SECTION("wait-for-keyframe (default): nothing until the next key unit") {
        Sender sender;
        send_all(sender);
        ElementRun run = run_element("confrtpav1depay", kRtpCaps, std::move(sender.packets));
        REQUIRE(run.error.empty());
        REQUIRE(run.output.size() == 2);
        CHECK(bytes_of(run.output[0].get()) == key1.expected);
        CHECK(bytes_of(run.output[1].get()) == key2.expected);
        CHECK_FALSE(is_delta(run.output[1]));
        CHECK(run.keyframe_requests >= 1);
    }
    SECTION("wait-for-keyframe=false: the next clean unit comes out") {
        Sender sender;
        send_all(sender);
        ElementRun run = run_element("confrtpav1depay wait-for-keyframe=false", kRtpCaps,
                                     std::move(sender.packets));
        REQUIRE(run.error.empty());
        REQUIRE(run.output.size() == 3);
        CHECK(bytes_of(run.output[0].get()) == key1.expected);
        CHECK(bytes_of(run.output[1].get()) == delta2.expected);
        CHECK(is_delta(run.output[1]));
        CHECK(bytes_of(run.output[2].get()) == key2.expected);
        CHECK(run.keyframe_requests >= 1);
    }
    SECTION("a lost first fragment: the continuations alone are not a clean start") {
        Sender sender;
        sender.send_unit(key1.payloads, 0, 0);
        sender.send_unit(key2.payloads, 3000);
        // The first packet received is a continuation (Z=1): nothing to start from.
        ElementRun run = run_element("confrtpav1depay", kRtpCaps, std::move(sender.packets));
        REQUIRE(run.error.empty());
        REQUIRE(run.output.size() == 1);
        CHECK(bytes_of(run.output[0].get()) == key2.expected);
    }
}

TEST_CASE_METHOD(Av1Elements, "depay: a stream joined mid-GOP starts at its first key frame",
                 "[av1][depay]") {
    FragmentedUnit delta = fragmented_unit(false, 1);
    KeyPacket key = key_packet(2);
    Sender sender;
    sender.send_unit(delta.payloads, 0);
    sender.send(key.payload, 3000, true);
    ElementRun run = run_element("confrtpav1depay", kRtpCaps, std::move(sender.packets));
    REQUIRE(run.error.empty());
    REQUIRE(run.output.size() == 1);
    CHECK(bytes_of(run.output[0].get()) == key.expected);
    CHECK(run.keyframe_requests >= 1);
}

TEST_CASE_METHOD(Av1Elements, "depay: malformed packets are dropped without harm", "[av1][depay]") {
    ByteVector frame = element(ObuType::kFrame, inter_frame_payload(20));
    std::vector<std::pair<std::string, ByteVector>> malformed = {
        {"empty payload", {}},
        {"aggregation header only", {aggregation(false, false, 0, false)}},
        {"truncated LEB128 length",
         concat({{aggregation(false, false, 0, false)}, leb128(frame.size()), frame, {0x80}})},
        {"element size past the end",
         concat({{aggregation(false, false, 0, false)}, leb128(frame.size() + 50), frame})},
        {"W=3 with one element",
         concat({{aggregation(false, false, 3, false)}, leb128(frame.size()), frame})},
        {"W=2 with a length past the end",
         concat({{aggregation(false, false, 2, false)}, leb128(400), frame})},
        {"W=1 without an element", {aggregation(false, false, 1, false)}},
        {"N and Z both set", concat({{aggregation(true, false, 1, true)}, frame})},
        {"zero-length element", concat({{aggregation(false, false, 2, false)}, leb128(0), frame})},
        {"forbidden bit", concat({{aggregation(false, false, 1, false)}, {0xb0, 0x30}})},
        {"obu_size disagreeing with its element",
         concat({{aggregation(false, false, 1, false)}, {0x32, 0x05, 0x30, 0x01}})},
        {"extension flag without its byte", {aggregation(false, false, 1, false), 0x34}},
        {"marker inside a fragment", concat({{aggregation(false, true, 1, false)}, frame})},
    };
    for (const auto& [what, payload] : malformed) {
        DYNAMIC_SECTION(what) {
            KeyPacket before = key_packet(1);
            KeyPacket after = key_packet(2);
            Sender sender;
            sender.send(before.payload, 0, true);
            sender.send(payload, 3000, true);
            sender.send(after.payload, 6000, true);
            ElementRun run = run_element("confrtpav1depay", kRtpCaps, std::move(sender.packets));
            REQUIRE(run.error.empty());
            REQUIRE(run.output.size() == 2);
            CHECK(bytes_of(run.output[0].get()) == before.expected);
            CHECK(bytes_of(run.output[1].get()) == after.expected);
            CHECK(run.keyframe_requests >= 1);
        }
    }
}
