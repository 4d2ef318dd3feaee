#include "mixing/layout.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace conf {

namespace {

// Tiles of the speaker strip and the presentation column: a fifth of the canvas each way.
constexpr double kStripTile = 0.2;
// Room for rounding when a region's far edge is computed as x + width.
constexpr double kEpsilon = 1e-9;

int even_pixel(double position, int size) {
    auto pixel = static_cast<int>(2 * std::llround(position * size / 2.0));
    return std::clamp(pixel, 0, size);
}

std::vector<Region> grid_regions(std::size_t n) {
    std::vector<Region> regions;
    if (n == 0) {
        return regions;
    }
    auto cols = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(n))));
    std::size_t rows = (n + cols - 1) / cols;
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t row = i / cols;
        std::size_t col = i % cols;
        // A last row that is not full is centred.
        std::size_t in_row = std::min(cols, n - row * cols);
        double offset = static_cast<double>(cols - in_row) / 2.0;
        Region region;
        region.x = (static_cast<double>(col) + offset) / static_cast<double>(cols);
        region.y = static_cast<double>(row) / static_cast<double>(rows);
        region.width = 1.0 / static_cast<double>(cols);
        region.height = 1.0 / static_cast<double>(rows);
        regions.push_back(region);
    }
    return regions;
}

// One large region bound to `role`, then up to kMaxStripTiles next-free tiles in a strip below
// it (`column` false) or a column to its right (`column` true), centred.
std::vector<Region> featured_regions(std::size_t n, RegionBinding role, bool column) {
    std::vector<Region> regions;
    if (n == 0) {
        return regions;
    }
    Region big;
    big.binding = role;
    if (n == 1) {
        regions.push_back(big);
        return regions;
    }
    if (column) {
        big.width = 1.0 - kStripTile;
    } else {
        big.height = 1.0 - kStripTile;
    }
    regions.push_back(big);
    std::size_t strip = std::min(n - 1, kMaxStripTiles);
    double start = (1.0 - static_cast<double>(strip) * kStripTile) / 2.0;
    for (std::size_t i = 0; i < strip; ++i) {
        Region tile;
        tile.width = kStripTile;
        tile.height = kStripTile;
        double along = start + static_cast<double>(i) * kStripTile;
        tile.x = column ? 1.0 - kStripTile : along;
        tile.y = column ? along : 1.0 - kStripTile;
        regions.push_back(tile);
    }
    return regions;
}

} // namespace

std::string_view to_string(RegionBinding binding) noexcept {
    switch (binding) {
    case RegionBinding::kNextFree:
        return "next_free";
    case RegionBinding::kParticipant:
        return "participant";
    case RegionBinding::kSpeaker:
        return "speaker";
    case RegionBinding::kScreen:
        return "screen";
    }
    return "unknown";
}

std::string_view to_string(LayoutKind kind) noexcept {
    switch (kind) {
    case LayoutKind::kGrid:
        return "grid";
    case LayoutKind::kSpeaker:
        return "speaker";
    case LayoutKind::kPresentation:
        return "presentation";
    case LayoutKind::kCustom:
        return "custom";
    }
    return "unknown";
}

Layout grid_layout(Canvas canvas) {
    return Layout{"grid", canvas, LayoutKind::kGrid, {}, 16};
}

Layout speaker_layout(Canvas canvas) {
    return Layout{"speaker", canvas, LayoutKind::kSpeaker, {}, 1 + kMaxStripTiles};
}

Layout presentation_layout(Canvas canvas) {
    return Layout{"presentation", canvas, LayoutKind::kPresentation, {}, 1 + kMaxStripTiles};
}

Layout custom_layout(std::string name, Canvas canvas, std::vector<Region> regions) {
    return Layout{std::move(name), canvas, LayoutKind::kCustom, std::move(regions), 0};
}

std::optional<Layout> builtin_layout(std::string_view name, Canvas canvas) {
    if (name == "grid") {
        return grid_layout(canvas);
    }
    if (name == "speaker") {
        return speaker_layout(canvas);
    }
    if (name == "presentation") {
        return presentation_layout(canvas);
    }
    return std::nullopt;
}

Status validate(const Layout& layout) {
    const Canvas& c = layout.canvas;
    if (c.width <= 0 || c.height <= 0 || c.width % 2 != 0 || c.height % 2 != 0) {
        return invalid_argument(fmt::format("layout {}: canvas {}x{} must have even, positive "
                                            "sizes",
                                            layout.name, c.width, c.height));
    }
    if (c.fps_num <= 0 || c.fps_den <= 0) {
        return invalid_argument(fmt::format("layout {}: frame rate {}/{} must be positive",
                                            layout.name, c.fps_num, c.fps_den));
    }
    if (layout.kind != LayoutKind::kCustom) {
        if (layout.max_tiles == 0) {
            return invalid_argument(
                fmt::format("layout {}: max_tiles must be at least 1", layout.name));
        }
        return Status::ok();
    }
    for (std::size_t i = 0; i < layout.regions.size(); ++i) {
        const Region& r = layout.regions[i];
        bool inside = r.x >= 0.0 && r.y >= 0.0 && r.width > 0.0 && r.height > 0.0 &&
                      r.x + r.width <= 1.0 + kEpsilon && r.y + r.height <= 1.0 + kEpsilon;
        if (!inside) {
            return invalid_argument(fmt::format(
                "layout {}: region {} ({}, {}, {}x{}) is not a non-empty part of the canvas",
                layout.name, i, r.x, r.y, r.width, r.height));
        }
        PixelRect pixels = to_pixels(r, c);
        if (pixels.width <= 0 || pixels.height <= 0) {
            return invalid_argument(
                fmt::format("layout {}: region {} is smaller than two pixels", layout.name, i));
        }
        if (r.binding == RegionBinding::kParticipant && r.participant.empty()) {
            return invalid_argument(fmt::format(
                "layout {}: region {} is bound to a participant but names none", layout.name, i));
        }
    }
    return Status::ok();
}

std::vector<Region> regions_for(const Layout& layout, std::size_t count) {
    std::size_t n = std::min(count, layout.max_tiles);
    switch (layout.kind) {
    case LayoutKind::kGrid:
        return grid_regions(n);
    case LayoutKind::kSpeaker:
        return featured_regions(n, RegionBinding::kSpeaker, false);
    case LayoutKind::kPresentation:
        return featured_regions(n, RegionBinding::kScreen, true);
    case LayoutKind::kCustom:
        return layout.regions;
    }
    return {};
}

PixelRect to_pixels(const Region& region, const Canvas& canvas) {
    int x0 = even_pixel(region.x, canvas.width);
    int y0 = even_pixel(region.y, canvas.height);
    int x1 = even_pixel(region.x + region.width, canvas.width);
    int y1 = even_pixel(region.y + region.height, canvas.height);
    return PixelRect{x0, y0, x1 - x0, y1 - y0};
}

// --- LayoutPlanner -----------------------------------------------------------------------------

LayoutPlanner::LayoutPlanner(Layout layout, Options options)
    : layout_(std::move(layout)), options_(options) {}

void LayoutPlanner::set_layout(Layout layout) {
    layout_ = std::move(layout);
    if (locked_) {
        relock_ = true;
    }
}

void LayoutPlanner::upsert(LayoutParticipant participant) {
    auto it = std::find_if(order_.begin(), order_.end(),
                           [&](const LayoutParticipant& p) { return p.id == participant.id; });
    if (it != order_.end()) {
        *it = std::move(participant);
    } else {
        order_.push_back(std::move(participant));
    }
}

void LayoutPlanner::remove(const std::string& id) {
    std::erase_if(order_, [&](const LayoutParticipant& p) { return p.id == id; });
}

void LayoutPlanner::set_active_speaker(const std::string& id, LayoutTime now) {
    if (id != active_) {
        active_ = id;
        active_since_ = now;
    }
}

void LayoutPlanner::set_locked(bool locked) {
    if (locked && !locked_) {
        relock_ = true;
    }
    locked_ = locked;
    if (!locked) {
        relock_ = false;
        locked_regions_.clear();
        locked_occupants_.clear();
    }
}

const LayoutParticipant* LayoutPlanner::find(const std::string& id) const {
    if (id.empty()) {
        return nullptr;
    }
    auto it = std::find_if(order_.begin(), order_.end(),
                           [&](const LayoutParticipant& p) { return p.id == id; });
    return it != order_.end() ? &*it : nullptr;
}

bool LayoutPlanner::visible(const std::string& id) const {
    const LayoutParticipant* p = find(id);
    return p != nullptr && p->has_video;
}

bool LayoutPlanner::can_speak(const std::string& id) const {
    const LayoutParticipant* p = find(id);
    return p != nullptr && p->has_video && !p->screen;
}

bool LayoutPlanner::uses_speaker(const std::vector<Region>& regions) const {
    bool has_screen = std::any_of(order_.begin(), order_.end(), [](const LayoutParticipant& p) {
        return p.has_video && p.screen;
    });
    return std::any_of(regions.begin(), regions.end(), [&](const Region& r) {
        return r.binding == RegionBinding::kSpeaker ||
               (r.binding == RegionBinding::kScreen && !has_screen);
    });
}

void LayoutPlanner::follow_speaker(LayoutTime now, bool may_switch) {
    if (!can_speak(speaker_)) {
        // Nobody holds the role (first time, or the holder left): take the active speaker at
        // once, else the first in the order.
        std::string next;
        if (can_speak(active_)) {
            next = active_;
        } else {
            for (const LayoutParticipant& p : order_) {
                if (p.has_video && !p.screen) {
                    next = p.id;
                    break;
                }
            }
        }
        if (next != speaker_) {
            speaker_ = next;
            speaker_since_ = now;
        }
        return;
    }
    if (!may_switch || !can_speak(active_) || active_ == speaker_) {
        return;
    }
    LayoutTime due =
        std::max(speaker_since_ + options_.min_hold, active_since_ + options_.switch_delay);
    if (now < due) {
        next_change_ = due;
        return;
    }
    // The two swap places in the order, so the others keep theirs.
    auto a = std::find_if(order_.begin(), order_.end(),
                          [&](const LayoutParticipant& p) { return p.id == speaker_; });
    auto b = std::find_if(order_.begin(), order_.end(),
                          [&](const LayoutParticipant& p) { return p.id == active_; });
    std::iter_swap(a, b);
    speaker_ = active_;
    speaker_since_ = now;
}

std::vector<std::string> LayoutPlanner::fill(const std::vector<Region>& regions) const {
    std::vector<std::string> occupants(regions.size());
    std::vector<std::string> placed;
    auto is_placed = [&](const std::string& id) {
        return std::find(placed.begin(), placed.end(), id) != placed.end();
    };
    auto place = [&](std::size_t i, const std::string& id) {
        occupants[i] = id;
        placed.push_back(id);
    };
    std::string newest_screen;
    for (const LayoutParticipant& p : order_) {
        if (p.has_video && p.screen) {
            newest_screen = p.id;
        }
    }
    // Named participants first, then the roles, then everyone else in order.
    for (std::size_t i = 0; i < regions.size(); ++i) {
        const Region& r = regions[i];
        if (r.binding == RegionBinding::kParticipant && visible(r.participant) &&
            !is_placed(r.participant)) {
            place(i, r.participant);
        }
    }
    for (std::size_t i = 0; i < regions.size(); ++i) {
        if (regions[i].binding == RegionBinding::kSpeaker && visible(speaker_) &&
            !is_placed(speaker_)) {
            place(i, speaker_);
        }
    }
    for (std::size_t i = 0; i < regions.size(); ++i) {
        if (regions[i].binding != RegionBinding::kScreen) {
            continue;
        }
        if (!newest_screen.empty() && !is_placed(newest_screen)) {
            place(i, newest_screen);
        } else if (newest_screen.empty() && visible(speaker_) && !is_placed(speaker_)) {
            place(i, speaker_);
        }
    }
    auto next = order_.begin();
    for (std::size_t i = 0; i < regions.size(); ++i) {
        if (regions[i].binding != RegionBinding::kNextFree) {
            continue;
        }
        while (next != order_.end() && (!next->has_video || is_placed(next->id))) {
            ++next;
        }
        if (next == order_.end()) {
            break;
        }
        place(i, next->id);
    }
    return occupants;
}

void LayoutPlanner::refill_locked() {
    for (std::string& occupant : locked_occupants_) {
        if (!occupant.empty() && !visible(occupant)) {
            occupant.clear(); // a hole, until someone joins into it
        }
    }
    auto free_region = [&](auto&& fits) -> std::optional<std::size_t> {
        for (std::size_t i = 0; i < locked_regions_.size(); ++i) {
            if (locked_occupants_[i].empty() && fits(locked_regions_[i])) {
                return i;
            }
        }
        return std::nullopt;
    };
    for (const LayoutParticipant& p : order_) {
        if (!p.has_video || std::find(locked_occupants_.begin(), locked_occupants_.end(), p.id) !=
                                locked_occupants_.end()) {
            continue;
        }
        auto slot = free_region([&](const Region& r) {
            return r.binding == RegionBinding::kParticipant && r.participant == p.id;
        });
        if (!slot && p.screen) {
            slot = free_region([](const Region& r) { return r.binding == RegionBinding::kScreen; });
        }
        if (!slot) {
            slot =
                free_region([](const Region& r) { return r.binding == RegionBinding::kNextFree; });
        }
        if (slot) {
            locked_occupants_[*slot] = p.id;
        }
    }
}

std::vector<Assignment>
LayoutPlanner::to_assignments(const std::vector<Region>& regions,
                              const std::vector<std::string>& occupants) const {
    std::vector<Assignment> out;
    for (std::size_t i = 0; i < regions.size(); ++i) {
        if (!occupants[i].empty()) {
            out.push_back(Assignment{occupants[i], to_pixels(regions[i], layout_.canvas),
                                     regions[i].z, regions[i].binding});
        }
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Assignment& a, const Assignment& b) { return a.z < b.z; });
    return out;
}

bool LayoutPlanner::update(LayoutTime now) {
    std::vector<Assignment> before = std::move(assignments_);
    next_change_.reset();
    if (locked_ && !relock_) {
        refill_locked();
        assignments_ = to_assignments(locked_regions_, locked_occupants_);
    } else {
        auto count = static_cast<std::size_t>(std::count_if(
            order_.begin(), order_.end(), [](const LayoutParticipant& p) { return p.has_video; }));
        std::vector<Region> regions = regions_for(layout_, count);
        if (uses_speaker(regions)) {
            // Locking freezes the picture as it is: no switch on the way in.
            follow_speaker(now, !locked_);
        }
        std::vector<std::string> occupants = fill(regions);
        assignments_ = to_assignments(regions, occupants);
        if (locked_) {
            locked_regions_ = std::move(regions);
            locked_occupants_ = std::move(occupants);
            relock_ = false;
        }
    }
    return assignments_ != before;
}

const Assignment* LayoutPlanner::assignment_of(const std::string& id) const {
    auto it = std::find_if(assignments_.begin(), assignments_.end(),
                           [&](const Assignment& a) { return a.participant == id; });
    return it != assignments_.end() ? &*it : nullptr;
}

} // namespace conf
