// Packetizer and depacketizer against each other, without GStreamer: random temporal units at
// random MTUs come back byte for byte; random garbage never crashes the depacketizer (run under
// ASan/UBSan this is the in-tree stand-in for a fuzzer).
#include "av1_depacketizer.hpp"
#include "av1_packetizer.hpp"

#include "plugins/av1/av1_test_support.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace conf::av1;
using namespace conf::test::av1;

namespace {

// A random unit as an encoder would emit it, and what the depacketizer should give back: the
// same OBUs minus the dropped kinds, sized, after one temporal delimiter.
struct RandomUnit {
    ByteVector input;
    ByteVector expected;
};

RandomUnit random_unit(std::mt19937& rng, bool key) {
    std::uniform_int_distribution<int> count_dist(1, 8);
    std::uniform_int_distribution<int> size_dist(0, 3000);
    std::uniform_int_distribution<int> coin(0, 3);
    RandomUnit unit;
    unit.input = obu(ObuType::kTemporalDelimiter, {});
    unit.expected = unit.input;
    auto add = [&](ObuType type, const ByteVector& payload, std::optional<std::uint8_t> ext) {
        ByteVector sized = obu(type, payload, ext);
        unit.input.insert(unit.input.end(), sized.begin(), sized.end());
        if (!is_dropped_in_rtp(type)) {
            unit.expected.insert(unit.expected.end(), sized.begin(), sized.end());
        }
    };
    if (key) {
        add(ObuType::kSequenceHeader, sequence_header_payload(), {});
    }
    int count = count_dist(rng);
    for (int i = 0; i < count; ++i) {
        auto size = static_cast<std::size_t>(size_dist(rng)) + 1;
        std::optional<std::uint8_t> ext;
        if (coin(rng) == 0) {
            ext = extension_byte(static_cast<unsigned>(coin(rng)), 0);
        }
        switch (coin(rng)) {
        case 0:
            add(ObuType::kMetadata, pattern(size % 40 + 1, static_cast<std::uint8_t>(i)), {});
            break;
        case 1:
            add(ObuType::kPadding, pattern(size % 10), {});
            break;
        default:
            add(ObuType::kFrame,
                i == 0 && key ? key_frame_payload(size) : inter_frame_payload(size), ext);
            break;
        }
    }
    return unit;
}

} // namespace

TEST_CASE("random temporal units survive packetize -> depacketize at any MTU",
          "[av1][round-trip]") {
    std::mt19937 rng(20240601);
    std::uniform_int_distribution<int> mtu_dist(static_cast<int>(kMinPayloadSize), 1500);
    Depacketizer depacketizer(false);
    for (int round = 0; round < 300; ++round) {
        RandomUnit unit = random_unit(rng, round % 10 == 0);
        std::size_t max_payload = static_cast<std::size_t>(mtu_dist(rng));
        std::string error;
        auto obus = split_obus(unit.input, &error);
        REQUIRE(obus);
        auto layouts = packetize(*obus, max_payload, round % 10 == 0);
        if (layouts.empty()) {
            // Nothing but OBUs RTP does not carry: nothing to send, nothing to get back.
            CHECK(unit.expected == obu(ObuType::kTemporalDelimiter, {}));
            continue;
        }
        std::vector<TemporalUnit> out;
        for (std::size_t i = 0; i < layouts.size(); ++i) {
            ByteVector payload(layouts[i].size());
            layouts[i].write(payload);
            REQUIRE(payload.size() <= max_payload);
            bool last = i + 1 == layouts.size();
            RtpPacketView packet{payload, static_cast<std::uint32_t>(round * 3000), last, false,
                                 static_cast<std::uint64_t>(round)};
            auto result = depacketizer.push(packet);
            INFO("round " << round << " packet " << i << " max payload " << max_payload);
            REQUIRE(result.warnings.empty());
            for (auto& tu : result.units) {
                out.push_back(std::move(tu));
            }
        }
        REQUIRE(out.size() == 1);
        CHECK(out[0].data == unit.expected);
        CHECK(out[0].pts == static_cast<std::uint64_t>(round));
        CHECK(out[0].key == (round % 10 == 0));
    }
}

TEST_CASE("random payloads never crash the depacketizer", "[av1][round-trip]") {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<int> length(0, 64);
    std::uniform_int_distribution<int> coin(0, 7);
    Depacketizer depacketizer(false);
    std::size_t units = 0;
    for (int i = 0; i < 20000; ++i) {
        ByteVector payload(static_cast<std::size_t>(length(rng)));
        for (auto& b : payload) {
            b = static_cast<std::uint8_t>(byte(rng));
        }
        RtpPacketView packet{payload, static_cast<std::uint32_t>(i / 3), coin(rng) == 0,
                             coin(rng) == 0, 0};
        auto result = depacketizer.push(packet);
        for (const auto& unit : result.units) {
            // Whatever comes out must itself be a well-formed obu-stream unit.
            std::string error;
            INFO(error);
            CHECK(split_obus(unit.data, &error).has_value());
            ++units;
        }
    }
    (void)depacketizer.finish();
    SUCCEED(units << " units came out of random input");
}
