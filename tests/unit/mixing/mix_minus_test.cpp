#include "mixing/mix_minus.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

using conf::MixMinus;
using conf::MixMinusOptions;

namespace {

constexpr std::int64_t kBlock = 480;

// What each output received, block by block, concatenated.
struct Received {
    std::map<std::string, std::vector<std::int16_t>> samples;
    std::map<std::string, std::vector<std::int64_t>> positions;

    MixMinus::OutputSink sink(const std::string& key) {
        return [this, key](std::int64_t position, std::span<const std::int16_t> pcm) {
            positions[key].push_back(position);
            samples[key].insert(samples[key].end(), pcm.begin(), pcm.end());
        };
    }
};

std::vector<float> constant(std::int64_t frames, float value) {
    return std::vector<float>(static_cast<std::size_t>(frames), value);
}

std::int16_t pcm(float value) {
    return static_cast<std::int16_t>(std::lrint(value * 32767.0f));
}

// Every sample of `samples[from, to)` is within one step of `value`.
bool all_near(const std::vector<std::int16_t>& samples, std::size_t from, std::size_t to,
              float value) {
    return std::all_of(samples.begin() + static_cast<std::ptrdiff_t>(from),
                       samples.begin() + static_cast<std::ptrdiff_t>(to),
                       [value](std::int16_t s) { return std::abs(s - pcm(value)) <= 1; });
}

} // namespace

TEST_CASE("each output is the total minus exactly the frames one input gave it", "[mixing][bus]") {
    MixMinus bus(MixMinusOptions{});
    auto a = bus.add_input("a");
    auto b = bus.add_input("b");
    auto c = bus.add_input("c");
    REQUIRE(a);
    CHECK_FALSE(bus.add_input("a")); // one input per id
    Received got;
    bus.add_output("", got.sink(""));
    bus.add_output("a", got.sink("a"));
    bus.add_output("b", got.sink("b"));
    bus.add_output("nobody", got.sink("nobody")); // not an input: the full mix

    bus.write(*a, 0, constant(kBlock, 0.1f), false);
    bus.write(*b, 0, constant(kBlock, 0.2f), false);
    bus.write(*c, 0, constant(kBlock, 0.3f), false);
    bus.mix(0, kBlock);

    CHECK(all_near(got.samples[""], 0, kBlock, 0.6f));
    CHECK(all_near(got.samples["nobody"], 0, kBlock, 0.6f));
    CHECK(all_near(got.samples["a"], 0, kBlock, 0.5f));
    CHECK(all_near(got.samples["b"], 0, kBlock, 0.4f));
    CHECK(got.positions["a"] == std::vector<std::int64_t>{0});
    CHECK(bus.blocks() == 1);
}

TEST_CASE("frames that arrive after their block was mixed reach no output", "[mixing][bus]") {
    MixMinus bus(MixMinusOptions{});
    auto a = bus.add_input("a");
    auto b = bus.add_input("b");
    Received got;
    bus.add_output("", got.sink(""));
    bus.add_output("a", got.sink("a"));

    bus.write(*b, 0, constant(2 * kBlock, 0.2f), false);
    bus.mix(0, kBlock); // a has nothing for this block yet
    // a's frames for [0, 960) come late: only the second half can still be mixed, and then
    // everywhere alike, so "minus a" never sees a trace of them.
    bus.write(*a, 0, constant(2 * kBlock, 0.1f), false);
    bus.mix(kBlock, kBlock);

    CHECK(all_near(got.samples[""], 0, kBlock, 0.2f));
    CHECK(all_near(got.samples[""], kBlock, 2 * kBlock, 0.3f));
    CHECK(all_near(got.samples["a"], 0, 2 * kBlock, 0.2f));
    auto stats = bus.stats();
    auto stats_a = std::find_if(stats.begin(), stats.end(), [](auto& s) { return s.id == "a"; });
    REQUIRE(stats_a != stats.end());
    CHECK(stats_a->frames_late == kBlock);
    CHECK(stats_a->frames_mixed == kBlock);
}

TEST_CASE("an input is placed contiguously through timestamp jitter and resynced past the "
          "threshold or on a discontinuity",
          "[mixing][bus]") {
    MixMinus bus(MixMinusOptions{.resync_frames = 100});
    auto a = bus.add_input("a");
    Received got;
    bus.add_output("", got.sink(""));

    bus.write(*a, 0, constant(kBlock, 0.1f), false);
    bus.write(*a, kBlock + 40, constant(kBlock, 0.2f), false); // 40 frames of jitter: no gap
    bus.mix(0, 2 * kBlock);
    CHECK(all_near(got.samples[""], 0, kBlock, 0.1f));
    CHECK(all_near(got.samples[""], kBlock, 2 * kBlock, 0.2f));

    // 200 frames ahead of where it should continue: a stall, so a gap of silence.
    bus.write(*a, 2 * kBlock + 200, constant(kBlock, 0.3f), false);
    // Contiguous again, but flagged discontinuous: placed where its timestamp says.
    bus.write(*a, 3 * kBlock + 250, constant(kBlock, 0.4f), true);
    bus.mix(2 * kBlock, 3 * kBlock);
    const std::size_t base = 2 * kBlock;
    CHECK(all_near(got.samples[""], base, base + 200, 0.0f));
    CHECK(all_near(got.samples[""], base + 200, base + 200 + kBlock, 0.3f));
    CHECK(all_near(got.samples[""], base + 200 + kBlock, base + 250 + kBlock, 0.0f));
    CHECK(all_near(got.samples[""], base + 250 + kBlock, base + 250 + 2 * kBlock, 0.4f));
    auto stats = bus.stats();
    REQUIRE(stats.size() == 1);
    CHECK(stats[0].resyncs == 2);
}

TEST_CASE("a placement restarted backwards replaces what it overlaps", "[mixing][bus]") {
    MixMinus bus(MixMinusOptions{.resync_frames = 100});
    auto a = bus.add_input("a");
    Received got;
    bus.add_output("", got.sink(""));
    bus.write(*a, 0, constant(2 * kBlock, 0.1f), false);
    bus.write(*a, kBlock, constant(kBlock, 0.3f), true);
    bus.mix(0, 2 * kBlock);
    CHECK(all_near(got.samples[""], 0, kBlock, 0.1f));
    CHECK(all_near(got.samples[""], kBlock, 2 * kBlock, 0.3f)); // replaced, not summed
}

TEST_CASE("outputs are limited under the ceiling instead of clipping, and recover",
          "[mixing][bus]") {
    MixMinus bus(MixMinusOptions{.ceiling = 0.9f, .release_frames = 240});
    auto a = bus.add_input("a");
    auto b = bus.add_input("b");
    Received got;
    bus.add_output("", got.sink(""));
    // A square wave at 0.8 on both inputs sums to 1.6: far over full scale.
    std::vector<float> loud(4 * kBlock);
    for (std::size_t i = 0; i < loud.size(); ++i) {
        loud[i] = (i / 24) % 2 == 0 ? 0.8f : -0.8f;
    }
    bus.write(*a, 0, loud, false);
    bus.write(*b, 0, loud, false);
    bus.write(*a, 4 * kBlock, constant(20 * kBlock, 0.2f), false);
    bus.mix(0, 24 * kBlock);
    const auto& out = got.samples[""];
    auto peak = std::max_element(out.begin(), out.begin() + 4 * kBlock,
                                 [](auto x, auto y) { return std::abs(x) < std::abs(y); });
    CHECK(std::abs(*peak) <= pcm(0.9f));
    CHECK(std::abs(*peak) >= pcm(0.85f)); // limited, not turned down wholesale
    // Long after the loud part, a quiet input passes at its own level.
    CHECK(all_near(out, 20 * kBlock, 24 * kBlock, 0.2f));
}

TEST_CASE("a removed input is gone from every mix at once, and its writes are ignored",
          "[mixing][bus]") {
    MixMinus bus(MixMinusOptions{});
    auto a = bus.add_input("a");
    auto b = bus.add_input("b");
    Received got;
    bus.add_output("", got.sink(""));
    bus.add_output("a", got.sink("a"));
    bus.write(*a, 0, constant(2 * kBlock, 0.1f), false);
    bus.write(*b, 0, constant(3 * kBlock, 0.2f), false);
    bus.mix(0, kBlock);
    bus.remove_input("a");
    CHECK_FALSE(bus.has_input("a"));
    bus.write(*a, 2 * kBlock, constant(kBlock, 0.5f), false);
    bus.mix(kBlock, 2 * kBlock);
    // Before: full = 0.3, minus a = 0.2. After: both 0.2, never minus a without a in total.
    CHECK(all_near(got.samples[""], 0, kBlock, 0.3f));
    CHECK(all_near(got.samples[""], kBlock, 3 * kBlock, 0.2f));
    CHECK(all_near(got.samples["a"], 0, 3 * kBlock, 0.2f));
    bus.remove_output("a");
    bus.mix(3 * kBlock, kBlock);
    CHECK(got.samples["a"].size() == 3 * kBlock);
}

TEST_CASE("an input nobody mixes keeps only its newest frames", "[mixing][bus]") {
    MixMinus bus(MixMinusOptions{.max_pending_frames = 2 * kBlock});
    auto a = bus.add_input("a");
    for (int i = 0; i < 4; ++i) {
        bus.write(*a, i * kBlock, constant(kBlock, 0.1f * static_cast<float>(i + 1)), false);
    }
    Received got;
    bus.add_output("", got.sink(""));
    bus.mix(0, 4 * kBlock);
    CHECK(all_near(got.samples[""], 0, 2 * kBlock, 0.0f));
    CHECK(all_near(got.samples[""], 2 * kBlock, 3 * kBlock, 0.3f));
    CHECK(all_near(got.samples[""], 3 * kBlock, 4 * kBlock, 0.4f));
    CHECK(bus.stats()[0].frames_dropped == 2 * kBlock);
}

TEST_CASE("stereo frames stay together", "[mixing][bus]") {
    MixMinus bus(MixMinusOptions{.channels = 2});
    auto a = bus.add_input("a");
    auto b = bus.add_input("b");
    Received got;
    bus.add_output("b", got.sink("b"));
    std::vector<float> left_right;
    for (int i = 0; i < kBlock; ++i) {
        left_right.push_back(0.1f);
        left_right.push_back(-0.2f);
    }
    bus.write(*a, 0, left_right, false);
    bus.write(*b, 0, constant(2 * kBlock, 0.3f), false);
    bus.mix(0, kBlock);
    const auto& out = got.samples["b"];
    REQUIRE(out.size() == 2 * kBlock);
    CHECK(std::abs(out[0] - pcm(0.1f)) <= 1);
    CHECK(std::abs(out[1] - pcm(-0.2f)) <= 1);
    CHECK(std::abs(out[2 * kBlock - 1] - pcm(-0.2f)) <= 1);
}
