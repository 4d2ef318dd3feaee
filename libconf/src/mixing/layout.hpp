// Layout: where participants' videos go on a composite canvas, as plain data (a canvas and
// regions in normalised coordinates), and LayoutPlanner, which turns a layout plus who is in
// the room into pixel rectangles per participant.
//
// A region is bound to a participant id, to a role (the active speaker, a screen share) or
// to "next free" (the next participant not placed yet, in the planner's order). Built-in
// layouts adapt to the number of participants with video: `grid` (1, 2 side by side, 2x2,
// 3x2, 3x3, ...), `speaker` (the speaker large, up to five others in a strip below) and
// `presentation` (a screen share large, up to five others in a column to its right; without
// a screen share the speaker takes its place). A custom layout is its regions as given.
//
// The planner is pure logic with time passed in, so tests drive it with a fake clock:
// - The speaker region follows the active speaker with hysteresis: a new speaker must stay
//   the active one for `switch_delay`, and whoever holds the region keeps it at least
//   `min_hold`. The two swap places, so the rest of the strip does not move.
// - Locked, nobody moves: the regions are frozen as they were at lock time, a participant
//   who leaves leaves a hole, and one who joins only takes a free region (one bound to them,
//   a screen region for a screen share, else the first free next-free region).
// - Everything else is stable under churn: participants keep their order (join order).
#pragma once

#include "conf/status.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace conf {

using LayoutClock = std::chrono::steady_clock;
using LayoutTime = LayoutClock::time_point;

// The output picture. Width and height are even (I420 output); the frame rate a fraction.
struct Canvas {
    int width = 1280;
    int height = 720;
    int fps_num = 30;
    int fps_den = 1;
    friend bool operator==(const Canvas&, const Canvas&) = default;
};

enum class RegionBinding {
    kNextFree,    // the next participant not placed yet, in the planner's order
    kParticipant, // the participant named in Region::participant, when present
    kSpeaker,     // the active speaker (with hold time and hysteresis)
    kScreen,      // the newest screen share; falls back to the speaker without one
};
std::string_view to_string(RegionBinding binding) noexcept;

struct Region {
    // Fractions of the canvas: 0 <= x, y and x + width, y + height <= 1.
    double x = 0.0;
    double y = 0.0;
    double width = 1.0;
    double height = 1.0;
    unsigned z = 0; // higher is drawn on top of lower where regions overlap
    RegionBinding binding = RegionBinding::kNextFree;
    std::string participant; // for kParticipant
    friend bool operator==(const Region&, const Region&) = default;
};

enum class LayoutKind { kGrid, kSpeaker, kPresentation, kCustom };
std::string_view to_string(LayoutKind kind) noexcept;

struct Layout {
    std::string name;
    Canvas canvas;
    LayoutKind kind = LayoutKind::kGrid;
    std::vector<Region> regions; // kCustom: the regions, in fill order; built-ins compute theirs
    std::size_t max_tiles = 16;  // built-ins: most participants shown at once
};

// The strip of the speaker and presentation layouts holds at most this many (16:9 tiles of a
// fifth of a 16:9 canvas).
inline constexpr std::size_t kMaxStripTiles = 5;

Layout grid_layout(Canvas canvas = {});
Layout speaker_layout(Canvas canvas = {});
Layout presentation_layout(Canvas canvas = {});
Layout custom_layout(std::string name, Canvas canvas, std::vector<Region> regions);
// "grid", "speaker" or "presentation"; nullopt for any other name.
std::optional<Layout> builtin_layout(std::string_view name, Canvas canvas = {});

// Checks the canvas (positive, even sizes; positive frame rate) and the regions (inside the
// canvas, non-empty, participant regions name one).
Status validate(const Layout& layout);

// The regions of `layout` when `count` participants have video, in fill order.
std::vector<Region> regions_for(const Layout& layout, std::size_t count);

struct PixelRect {
    int x = 0;
    int y = 0;
    int width = 0;
    int height = 0;
    friend bool operator==(const PixelRect&, const PixelRect&) = default;
};
// Edges are rounded to even pixels (I420 chroma), so neighbouring regions share an edge
// exactly and never overlap or leave a seam.
PixelRect to_pixels(const Region& region, const Canvas& canvas);

struct LayoutParticipant {
    std::string id;
    bool has_video = true; // without video a participant is never placed
    bool screen = false;   // a screen share: what kScreen regions show
};

struct Assignment {
    std::string participant;
    PixelRect rect;
    unsigned z = 0;
    RegionBinding binding = RegionBinding::kNextFree; // of the region it fills
    friend bool operator==(const Assignment&, const Assignment&) = default;
};

class LayoutPlanner {
  public:
    struct Options {
        // Whoever gets the speaker region keeps it at least this long.
        std::chrono::milliseconds min_hold{2000};
        // A new active speaker takes the region only after being the active one this long.
        std::chrono::milliseconds switch_delay{500};
    };

    explicit LayoutPlanner(Layout layout) : LayoutPlanner(std::move(layout), Options{}) {}
    LayoutPlanner(Layout layout, Options options);

    // A new layout applies at the next update(), even when locked (then it is frozen anew).
    void set_layout(Layout layout);
    const Layout& layout() const noexcept { return layout_; }

    // Adds a participant (last in the order) or updates one already known.
    void upsert(LayoutParticipant participant);
    void remove(const std::string& id);
    // `id` may be empty (nobody talks) or someone without video; either keeps the current one.
    void set_active_speaker(const std::string& id, LayoutTime now);
    void set_locked(bool locked);
    bool locked() const noexcept { return locked_; }

    // Recomputes the assignments as of `now`; true when they differ from the last ones.
    bool update(LayoutTime now);
    // Sorted by z, then in fill order.
    const std::vector<Assignment>& assignments() const noexcept { return assignments_; }
    const Assignment* assignment_of(const std::string& id) const;
    // When a deferred speaker switch falls due: call update() then. nullopt if none waits.
    std::optional<LayoutTime> next_change() const noexcept { return next_change_; }
    // Who holds the speaker role (empty while nobody does).
    const std::string& speaker() const noexcept { return speaker_; }

  private:
    const LayoutParticipant* find(const std::string& id) const;
    bool visible(const std::string& id) const;
    bool can_speak(const std::string& id) const;
    bool uses_speaker(const std::vector<Region>& regions) const;
    void follow_speaker(LayoutTime now, bool may_switch);
    std::vector<std::string> fill(const std::vector<Region>& regions) const;
    void refill_locked();
    std::vector<Assignment> to_assignments(const std::vector<Region>& regions,
                                           const std::vector<std::string>& occupants) const;

    Layout layout_;
    Options options_;
    // Join order, except that a speaker switch swaps the two speakers' places.
    std::vector<LayoutParticipant> order_;

    std::string active_; // the active speaker as last reported
    LayoutTime active_since_{};
    std::string speaker_; // who holds the speaker role
    LayoutTime speaker_since_{};

    bool locked_ = false;
    bool relock_ = false;                       // lock (again) at the next update()
    std::vector<Region> locked_regions_;        // frozen at lock time
    std::vector<std::string> locked_occupants_; // per locked region; empty = free

    std::vector<Assignment> assignments_;
    std::optional<LayoutTime> next_change_;
};

} // namespace conf
