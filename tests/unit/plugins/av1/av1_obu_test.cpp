// The bitstream helpers on their own: LEB128 edge cases, OBU splitting with and without size
// fields, and the header bits that decide key frames and shown frames.
#include "av1_obu.hpp"

#include "plugins/av1/av1_test_support.hpp"

#include <catch2/catch.hpp>

using namespace conf::av1;
using namespace conf::test::av1;

TEST_CASE("LEB128 reads what it writes and refuses what AV1 forbids", "[av1][obu]") {
    for (std::uint64_t value : {0ULL, 1ULL, 127ULL, 128ULL, 16383ULL, 16384ULL, 4294967295ULL}) {
        ByteVector encoded = leb128(value);
        CHECK(encoded.size() == leb128_size(value));
        auto decoded = read_leb128(encoded);
        REQUIRE(decoded);
        CHECK(decoded->value == value);
        CHECK(decoded->length == encoded.size());
    }
    // Padded encodings are legal (libaom writes them) up to 8 bytes.
    ByteVector padded{0x85, 0x80, 0x80, 0x00};
    REQUIRE(read_leb128(padded));
    CHECK(read_leb128(padded)->value == 5);
    CHECK(read_leb128(padded)->length == 4);

    CHECK_FALSE(read_leb128(ByteVector{}));
    CHECK_FALSE(read_leb128(ByteVector{0x80}));       // truncated
    CHECK_FALSE(read_leb128(ByteVector{0xff, 0xff})); // truncated
    CHECK_FALSE(read_leb128(ByteVector(9, 0x80)));    // longer than 8 bytes
    CHECK_FALSE(read_leb128(leb128(4294967296ULL)));  // 2^32 is past AV1's limit
}

TEST_CASE("split_obus walks a temporal unit and checks every size", "[av1][obu]") {
    ByteVector unit = concat({obu(ObuType::kTemporalDelimiter, {}),
                              obu(ObuType::kSequenceHeader, sequence_header_payload(12)),
                              obu(ObuType::kFrame, key_frame_payload(300), extension_byte(2, 1))});
    std::string error;
    auto obus = split_obus(unit, &error);
    REQUIRE(obus);
    REQUIRE(obus->size() == 3);
    CHECK((*obus)[0].type() == ObuType::kTemporalDelimiter);
    CHECK((*obus)[0].payload.empty());
    CHECK((*obus)[1].type() == ObuType::kSequenceHeader);
    CHECK((*obus)[1].payload.size() == 12);
    CHECK((*obus)[2].type() == ObuType::kFrame);
    CHECK((*obus)[2].has_extension());
    CHECK((*obus)[2].temporal_id() == 2);
    CHECK((*obus)[2].spatial_id() == 1);
    CHECK((*obus)[2].payload.size() == 300);
    CHECK((*obus)[2].element_size() == 302);

    SECTION("the last OBU may go without a size and takes the rest") {
        ByteVector tail = concat({obu(ObuType::kSequenceHeader, sequence_header_payload()),
                                  obu(ObuType::kFrame, key_frame_payload(50), {}, false)});
        auto split = split_obus(tail, &error);
        REQUIRE(split);
        CHECK(split->back().payload.size() == 50);
    }
    SECTION("a size past the end is refused") {
        unit.pop_back();
        CHECK_FALSE(split_obus(unit, &error));
        CHECK_FALSE(error.empty());
    }
    SECTION("a truncated size field is refused") {
        ByteVector bad{obu_header_byte(ObuType::kFrame, false, true), 0x80};
        CHECK_FALSE(split_obus(bad, &error));
    }
    SECTION("the forbidden bit is refused") {
        unit[0] |= kObuForbiddenBit;
        CHECK_FALSE(split_obus(unit, &error));
    }
    SECTION("an extension flag without its byte is refused") {
        ByteVector bad{obu_header_byte(ObuType::kFrame, true, false)};
        CHECK_FALSE(split_obus(bad, &error));
    }
}

TEST_CASE("append_sized_obu writes obu_has_size_field and a LEB128 size", "[av1][obu]") {
    ByteVector with_extension = element(ObuType::kFrame, key_frame_payload(200), 0x28);
    std::size_t used = 0;
    auto parsed = parse_obu(with_extension, &used);
    REQUIRE(parsed);
    CHECK(used == with_extension.size());
    ByteVector out;
    append_sized_obu(*parsed, out);
    CHECK(out == obu(ObuType::kFrame, key_frame_payload(200), 0x28));
}

TEST_CASE("frame header bits tell key / inter / hidden / shown-existing frames apart",
          "[av1][obu]") {
    auto key = parse_frame_info(key_frame_payload(4), false);
    REQUIRE(key);
    CHECK(key->shown_key_frame());
    CHECK(key->shown());

    auto inter = parse_frame_info(inter_frame_payload(4), false);
    REQUIRE(inter);
    CHECK_FALSE(inter->shown_key_frame());
    CHECK(inter->shown());

    auto hidden = parse_frame_info(hidden_frame_payload(4), false);
    REQUIRE(hidden);
    CHECK_FALSE(hidden->shown());

    auto existing = parse_frame_info(show_existing_frame_payload(), false);
    REQUIRE(existing);
    CHECK(existing->shown());
    CHECK_FALSE(existing->shown_key_frame());

    // reduced_still_picture_header: every frame is a shown key frame, no bits read.
    auto still = parse_frame_info({}, true);
    REQUIRE(still);
    CHECK(still->shown_key_frame());
    CHECK_FALSE(parse_frame_info({}, false));

    ByteVector reduced_sequence{0x18}; // still_picture and reduced_still_picture_header set
    CHECK(reduced_still_picture_header(reduced_sequence) == true);
    CHECK(reduced_still_picture_header(sequence_header_payload()) == false);
}
