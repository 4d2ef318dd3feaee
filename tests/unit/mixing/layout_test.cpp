#include "mixing/layout.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

using conf::Assignment;
using conf::Canvas;
using conf::LayoutPlanner;
using conf::LayoutTime;
using conf::PixelRect;
using conf::Region;
using conf::RegionBinding;
using namespace std::chrono_literals;

namespace {

constexpr Canvas k720p{1280, 720, 30, 1};
constexpr Canvas k360p{640, 360, 15, 1};

// A next-free region at z 0.
Region area(double x, double y, double width, double height) {
    Region region;
    region.x = x;
    region.y = y;
    region.width = width;
    region.height = height;
    return region;
}

// Time only moves when a test says so.
struct FakeClock {
    LayoutTime now{};
    LayoutTime advance(std::chrono::milliseconds by) { return now += by; }
};

void join(LayoutPlanner& planner, const std::vector<std::string>& ids) {
    for (const auto& id : ids) {
        planner.upsert({id, true, false});
    }
}

std::map<std::string, PixelRect> rects(const LayoutPlanner& planner) {
    std::map<std::string, PixelRect> out;
    for (const Assignment& a : planner.assignments()) {
        out[a.participant] = a.rect;
    }
    return out;
}

std::vector<PixelRect> grid_of(std::size_t n, Canvas canvas = k720p) {
    LayoutPlanner planner(conf::grid_layout(canvas));
    for (std::size_t i = 0; i < n; ++i) {
        planner.upsert({"p" + std::to_string(i), true, false});
    }
    planner.update(LayoutTime{});
    std::vector<PixelRect> out;
    for (std::size_t i = 0; i < n; ++i) {
        const Assignment* a = planner.assignment_of("p" + std::to_string(i));
        out.push_back(a != nullptr ? a->rect : PixelRect{});
    }
    return out;
}

const std::string& holder_of(const LayoutPlanner& planner, RegionBinding binding) {
    static const std::string nobody;
    for (const Assignment& a : planner.assignments()) {
        if (a.binding == binding) {
            return a.participant;
        }
    }
    return nobody;
}

} // namespace

TEST_CASE("the grid adapts to the number of participants", "[mixing][layout]") {
    CHECK(grid_of(0).empty());
    CHECK(grid_of(1) == std::vector<PixelRect>{{0, 0, 1280, 720}});
    // Two side by side.
    CHECK(grid_of(2) == std::vector<PixelRect>{{0, 0, 640, 720}, {640, 0, 640, 720}});
    // Three: 2x2 with the last row centred.
    CHECK(grid_of(3) ==
          std::vector<PixelRect>{{0, 0, 640, 360}, {640, 0, 640, 360}, {320, 360, 640, 360}});
    CHECK(grid_of(4, k360p) ==
          std::vector<PixelRect>{
              {0, 0, 320, 180}, {320, 0, 320, 180}, {0, 180, 320, 180}, {320, 180, 320, 180}});
    // Five: 3 columns, 2 rows, the second row of two centred. Edges are even and shared.
    auto five = grid_of(5, k360p);
    REQUIRE(five.size() == 5);
    CHECK(five[0] == PixelRect{0, 0, 214, 180});
    CHECK(five[1] == PixelRect{214, 0, 212, 180});
    CHECK(five[2] == PixelRect{426, 0, 214, 180});
    CHECK(five[3] == PixelRect{106, 180, 214, 180});
    CHECK(five[4] == PixelRect{320, 180, 214, 180});
    // Nine: 3x3; ten: 4x3.
    auto nine = grid_of(9);
    CHECK(nine[8] == PixelRect{854, 480, 426, 240});
    auto ten = grid_of(10);
    CHECK(ten[0] == PixelRect{0, 0, 320, 240});
    CHECK(ten[9].y == 480);
    // Every rectangle has even edges (I420) and lies inside the canvas.
    for (std::size_t n = 1; n <= 16; ++n) {
        for (const PixelRect& r : grid_of(n)) {
            CHECK(r.x % 2 == 0);
            CHECK(r.y % 2 == 0);
            CHECK(r.width % 2 == 0);
            CHECK(r.height % 2 == 0);
            CHECK(r.width > 0);
            CHECK(r.x + r.width <= 1280);
            CHECK(r.y + r.height <= 720);
        }
    }
}

TEST_CASE("the grid shows at most max_tiles, in join order, and skips who has no video",
          "[mixing][layout]") {
    auto layout = conf::grid_layout(k360p);
    layout.max_tiles = 4;
    LayoutPlanner planner(layout);
    join(planner, {"a", "b", "c", "d", "e"});
    planner.upsert({"b", false, false}); // b's camera is off
    CHECK(planner.update(LayoutTime{}));
    auto placed = rects(planner);
    CHECK(placed.size() == 4);
    CHECK(placed.count("b") == 0);
    CHECK(placed["a"] == PixelRect{0, 0, 320, 180});
    CHECK(placed["c"] == PixelRect{320, 0, 320, 180});
    CHECK(placed["e"] == PixelRect{320, 180, 320, 180});
    // Nothing changed: update() says so.
    CHECK_FALSE(planner.update(LayoutTime{}));
    // b turns the camera on: five with video, but only four tiles; b keeps its place in the
    // order, so e (the last) drops out.
    planner.upsert({"b", true, false});
    CHECK(planner.update(LayoutTime{}));
    placed = rects(planner);
    CHECK(placed.count("e") == 0);
    CHECK(placed["b"] == PixelRect{320, 0, 320, 180});
    // A leaver: the others close up in the same order.
    planner.remove("a");
    CHECK(planner.update(LayoutTime{}));
    placed = rects(planner);
    CHECK(placed["b"] == PixelRect{0, 0, 320, 180});
    CHECK(placed["e"] == PixelRect{320, 180, 320, 180});
}

TEST_CASE("the speaker layout: the speaker large, the others in a strip below",
          "[mixing][layout]") {
    LayoutPlanner planner(conf::speaker_layout(k720p));
    FakeClock clock;
    planner.upsert({"a", true, false});
    planner.update(clock.now);
    // Alone: the whole canvas.
    CHECK(rects(planner)["a"] == PixelRect{0, 0, 1280, 720});
    join(planner, {"b", "c"});
    planner.update(clock.now);
    auto placed = rects(planner);
    // Nobody has spoken: the first in the order holds the role.
    CHECK(planner.speaker() == "a");
    CHECK(placed["a"] == PixelRect{0, 0, 1280, 576});
    CHECK(placed["b"] == PixelRect{384, 576, 256, 144});
    CHECK(placed["c"] == PixelRect{640, 576, 256, 144});
    // The strip holds five at most.
    join(planner, {"d", "e", "f", "g"});
    planner.update(clock.now);
    CHECK(planner.assignments().size() == 6);
    CHECK(planner.assignment_of("g") == nullptr);
    CHECK(rects(planner)["b"] == PixelRect{0, 576, 256, 144});
}

TEST_CASE("the speaker region follows the active speaker after the hold time and the switch "
          "delay",
          "[mixing][layout]") {
    LayoutPlanner::Options options;
    options.min_hold = 2000ms;
    options.switch_delay = 500ms;
    LayoutPlanner planner(conf::speaker_layout(k720p), options);
    FakeClock clock;
    join(planner, {"a", "b", "c", "d"});
    planner.set_active_speaker("b", clock.now);
    planner.update(clock.now);
    // The first speaker is taken at once.
    CHECK(planner.speaker() == "b");
    CHECK(holder_of(planner, RegionBinding::kSpeaker) == "b");
    auto strip = rects(planner);
    CHECK(strip["a"].x < strip["c"].x);

    SECTION("not before the current one has held the region for min_hold") {
        clock.advance(100ms);
        planner.set_active_speaker("c", clock.now);
        clock.advance(600ms); // c has spoken long enough, but b got the region 700 ms ago
        CHECK_FALSE(planner.update(clock.now));
        CHECK(planner.speaker() == "b");
        // The planner says when to look again: when b's hold ends.
        REQUIRE(planner.next_change().has_value());
        CHECK(*planner.next_change() == LayoutTime{} + 2000ms);
        clock.now = LayoutTime{} + 1999ms;
        CHECK_FALSE(planner.update(clock.now));
        clock.now = LayoutTime{} + 2000ms;
        CHECK(planner.update(clock.now));
        CHECK(planner.speaker() == "c");
        CHECK_FALSE(planner.next_change().has_value());
        // b and c swapped places: a and d did not move.
        auto after = rects(planner);
        CHECK(after["c"] == PixelRect{0, 0, 1280, 576});
        CHECK(after["b"] == strip["c"]);
        CHECK(after["a"] == strip["a"]);
        CHECK(after["d"] == strip["d"]);
    }
    SECTION("a new speaker must stay the active one for switch_delay") {
        clock.advance(5000ms); // b's hold is long over
        planner.set_active_speaker("c", clock.now);
        CHECK_FALSE(planner.update(clock.now));
        REQUIRE(planner.next_change().has_value());
        CHECK(*planner.next_change() == clock.now + 500ms);
        clock.advance(499ms);
        CHECK_FALSE(planner.update(clock.now));
        clock.advance(1ms);
        CHECK(planner.update(clock.now));
        CHECK(planner.speaker() == "c");
    }
    SECTION("a brief interjection does not move anyone (hysteresis)") {
        clock.advance(5000ms);
        planner.set_active_speaker("c", clock.now);
        clock.advance(300ms);
        planner.set_active_speaker("b", clock.now); // back to the current speaker
        CHECK_FALSE(planner.update(clock.now));
        CHECK_FALSE(planner.next_change().has_value());
        // c again: the delay starts over from now, not from the first interjection.
        clock.advance(100ms);
        planner.set_active_speaker("c", clock.now);
        clock.advance(300ms);
        CHECK_FALSE(planner.update(clock.now));
        CHECK(planner.speaker() == "b");
        clock.advance(200ms);
        CHECK(planner.update(clock.now));
        CHECK(planner.speaker() == "c");
    }
    SECTION("silence and unknown or camera-less speakers keep the current one") {
        clock.advance(5000ms);
        planner.set_active_speaker("", clock.now);
        planner.update(clock.now);
        planner.set_active_speaker("nobody", clock.advance(10ms));
        planner.update(clock.now);
        planner.upsert({"d", false, false});
        planner.set_active_speaker("d", clock.advance(10ms));
        clock.advance(5000ms);
        planner.update(clock.now);
        CHECK(planner.speaker() == "b");
        CHECK_FALSE(planner.next_change().has_value());
    }
    SECTION("a speaker who leaves is replaced at once, by the active speaker if possible") {
        clock.advance(100ms);
        planner.remove("b");
        CHECK(planner.update(clock.now));
        CHECK(planner.speaker() == "a"); // nobody else is talking: the first in the order
        planner.set_active_speaker("d", clock.now);
        planner.remove("a");
        planner.update(clock.now);
        CHECK(planner.speaker() == "d");
        CHECK(holder_of(planner, RegionBinding::kSpeaker) == "d");
    }
}

TEST_CASE("the presentation layout puts the newest screen share large, else the speaker",
          "[mixing][layout]") {
    LayoutPlanner::Options options;
    options.min_hold = 0ms;
    options.switch_delay = 0ms;
    LayoutPlanner planner(conf::presentation_layout(k720p), options);
    FakeClock clock;
    join(planner, {"a", "b"});
    planner.set_active_speaker("b", clock.now);
    planner.update(clock.now);
    // No screen share: the speaker takes the screen's place.
    CHECK(holder_of(planner, RegionBinding::kScreen) == "b");
    CHECK(rects(planner)["b"] == PixelRect{0, 0, 1024, 720});
    CHECK(rects(planner)["a"] == PixelRect{1024, 288, 256, 144});

    planner.upsert({"a-screen", true, true});
    planner.update(clock.advance(10ms));
    CHECK(holder_of(planner, RegionBinding::kScreen) == "a-screen");
    auto placed = rects(planner);
    CHECK(placed["a-screen"] == PixelRect{0, 0, 1024, 720});
    CHECK(placed["a"] == PixelRect{1024, 216, 256, 144}); // the column, centred
    CHECK(placed["b"] == PixelRect{1024, 360, 256, 144});
    // A screen share is never the speaker, even when reported as one.
    planner.set_active_speaker("a-screen", clock.advance(10ms));
    planner.update(clock.advance(10ms));
    CHECK(planner.speaker() == "b");

    // A second share wins while it lasts; the first goes to the column.
    planner.upsert({"b-screen", true, true});
    planner.update(clock.advance(10ms));
    CHECK(holder_of(planner, RegionBinding::kScreen) == "b-screen");
    CHECK(planner.assignment_of("a-screen") != nullptr);
    planner.remove("b-screen");
    planner.update(clock.advance(10ms));
    CHECK(holder_of(planner, RegionBinding::kScreen) == "a-screen");
    planner.remove("a-screen");
    planner.update(clock.advance(10ms));
    CHECK(holder_of(planner, RegionBinding::kScreen) == "b");
}

TEST_CASE("a locked layout never moves anyone: leavers leave holes, joiners fill free regions",
          "[mixing][layout]") {
    LayoutPlanner::Options options;
    options.min_hold = 0ms;
    options.switch_delay = 0ms;
    FakeClock clock;

    SECTION("grid") {
        LayoutPlanner planner(conf::grid_layout(k360p), options);
        join(planner, {"a", "b", "c"}); // 2x2 with one free tile
        planner.update(clock.now);
        auto before = planner.assignments();
        planner.set_locked(true);
        CHECK(planner.locked());
        CHECK_FALSE(planner.update(clock.advance(10ms)));
        CHECK(planner.assignments() == before);

        planner.remove("a");
        CHECK(planner.update(clock.advance(10ms)));
        CHECK(planner.assignment_of("a") == nullptr);
        // b and c stay where they were (unlocked they would close up into a 2x1 grid).
        CHECK(*planner.assignment_of("b") == before[1]);
        CHECK(*planner.assignment_of("c") == before[2]);

        // Joiners: the hole first (the first free region in fill order), then none left.
        join(planner, {"d", "e", "f"});
        planner.update(clock.advance(10ms));
        CHECK(planner.assignment_of("d")->rect == before[0].rect);
        CHECK(planner.assignment_of("e") == nullptr); // 3 tiles, all taken
        CHECK(planner.assignment_of("f") == nullptr);
        CHECK(*planner.assignment_of("b") == before[1]);

        // A camera turned off leaves a hole too, which the next in line takes.
        planner.upsert({"c", false, false});
        planner.update(clock.advance(10ms));
        CHECK(planner.assignment_of("e")->rect == before[2].rect);

        // Unlocked: back to the adaptive grid in order (b, d, e, f: 2x2).
        planner.set_locked(false);
        CHECK(planner.update(clock.advance(10ms)));
        auto placed = rects(planner);
        CHECK(placed.size() == 4);
        CHECK(placed["b"] == PixelRect{0, 0, 320, 180});
        CHECK(placed["f"] == PixelRect{320, 180, 320, 180});
    }
    SECTION("speaker: the active speaker does not take over while locked") {
        LayoutPlanner planner(conf::speaker_layout(k720p), options);
        join(planner, {"a", "b", "c"});
        planner.set_active_speaker("a", clock.now);
        planner.update(clock.now);
        auto before = planner.assignments();
        planner.set_locked(true);
        planner.update(clock.advance(10ms));
        planner.set_active_speaker("c", clock.advance(10ms));
        CHECK_FALSE(planner.update(clock.advance(10s)));
        CHECK(planner.assignments() == before);
        CHECK_FALSE(planner.next_change().has_value());
        // The speaker leaves: the region stays empty (nobody moves into it).
        planner.remove("a");
        planner.update(clock.advance(10ms));
        CHECK(holder_of(planner, RegionBinding::kSpeaker).empty());
        CHECK(*planner.assignment_of("c") == before[2]);
        // Unlocked, the active speaker takes the region.
        planner.set_locked(false);
        planner.update(clock.advance(10ms));
        CHECK(holder_of(planner, RegionBinding::kSpeaker) == "c");
    }
    SECTION("presentation: a screen share joining takes a free screen region") {
        LayoutPlanner planner(conf::presentation_layout(k720p), options);
        join(planner, {"a", "b"});
        planner.upsert({"s", true, true});
        planner.update(clock.now);
        planner.set_locked(true);
        planner.update(clock.advance(10ms));
        planner.remove("s");
        planner.update(clock.advance(10ms));
        CHECK(holder_of(planner, RegionBinding::kScreen).empty());
        planner.upsert({"t", true, false}); // a camera: no free next-free region
        planner.upsert({"s2", true, true});
        planner.update(clock.advance(10ms));
        CHECK(holder_of(planner, RegionBinding::kScreen) == "s2");
        CHECK(planner.assignment_of("t") == nullptr);
    }
    SECTION("a new layout while locked applies, then is frozen again") {
        LayoutPlanner planner(conf::grid_layout(k360p), options);
        join(planner, {"a", "b"});
        planner.update(clock.now);
        planner.set_locked(true);
        planner.update(clock.now);
        planner.set_layout(conf::speaker_layout(k360p));
        CHECK(planner.update(clock.advance(10ms)));
        CHECK(holder_of(planner, RegionBinding::kSpeaker) == "a");
        CHECK(planner.locked());
        join(planner, {"c"}); // the speaker layout of two has no free region
        planner.update(clock.advance(10ms));
        CHECK(planner.assignment_of("c") == nullptr);
    }
}

TEST_CASE("custom layouts: named participants, next-free regions and z-order", "[mixing][layout]") {
    // Picture-in-picture: anyone full screen, bob in a corner on top of them.
    Region full; // next free, z 0
    Region corner{0.7, 0.7, 0.25, 0.25, 1, RegionBinding::kParticipant, "bob"};
    Region side{0.0, 0.0, 0.2, 0.2, 2, RegionBinding::kNextFree, ""};
    auto layout = conf::custom_layout("pip", k720p, {corner, full, side});
    REQUIRE(conf::validate(layout));
    LayoutPlanner planner(layout);

    join(planner, {"bob", "alice", "carol"});
    planner.update(LayoutTime{});
    const auto& placed = planner.assignments();
    REQUIRE(placed.size() == 3);
    // Sorted by z: what the compositor stacks bottom to top.
    CHECK(placed[0].participant == "alice");
    CHECK(placed[0].z == 0);
    CHECK(placed[0].rect == PixelRect{0, 0, 1280, 720});
    CHECK(placed[1].participant == "bob");
    CHECK(placed[1].z == 1);
    CHECK(placed[1].binding == RegionBinding::kParticipant);
    CHECK(placed[1].rect == PixelRect{896, 504, 320, 180});
    CHECK(placed[2].participant == "carol");
    CHECK(placed[2].z == 2);

    // Without bob, his region stays empty; next-free regions fill in order.
    planner.remove("bob");
    planner.update(LayoutTime{});
    CHECK(planner.assignments().size() == 2);
    CHECK(planner.assignment_of("alice")->z == 0);
    CHECK(planner.assignment_of("carol")->z == 2);
    // A participant region never takes anyone else; extra participants are not shown.
    join(planner, {"dave"});
    planner.update(LayoutTime{});
    CHECK(planner.assignment_of("dave") == nullptr);
}

TEST_CASE("layouts are validated", "[mixing][layout]") {
    CHECK(conf::validate(conf::grid_layout()));
    CHECK(conf::validate(conf::speaker_layout(k360p)));
    CHECK_FALSE(conf::validate(conf::grid_layout(Canvas{641, 360, 30, 1})));
    CHECK_FALSE(conf::validate(conf::grid_layout(Canvas{640, 360, 0, 1})));
    auto no_tiles = conf::grid_layout();
    no_tiles.max_tiles = 0;
    CHECK_FALSE(conf::validate(no_tiles));
    CHECK_FALSE(conf::validate(conf::custom_layout("out", k720p, {area(0.5, 0.5, 0.6, 0.5)})));
    CHECK_FALSE(conf::validate(conf::custom_layout("empty", k720p, {area(0.5, 0.5, 0.0, 0.5)})));
    CHECK_FALSE(conf::validate(conf::custom_layout(
        "nameless", k720p, {Region{0, 0, 1, 1, 0, RegionBinding::kParticipant, ""}})));
    CHECK(conf::validate(conf::custom_layout("edge", k720p, {area(0.8, 0.8, 0.2, 0.2)})));
    REQUIRE(conf::builtin_layout("presentation").has_value());
    CHECK(conf::builtin_layout("presentation")->kind == conf::LayoutKind::kPresentation);
    CHECK_FALSE(conf::builtin_layout("mosaic").has_value());
}
