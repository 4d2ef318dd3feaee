#include "grpc/layout_proto.hpp"

#include <fmt/format.h>

namespace conf::daemon {

namespace {
::conf::v1::LayoutRegion::Binding to_proto(RegionBinding binding) {
    switch (binding) {
    case RegionBinding::kNextFree:
        return ::conf::v1::LayoutRegion::NEXT_FREE;
    case RegionBinding::kParticipant:
        return ::conf::v1::LayoutRegion::PARTICIPANT;
    case RegionBinding::kSpeaker:
        return ::conf::v1::LayoutRegion::SPEAKER;
    case RegionBinding::kScreen:
        return ::conf::v1::LayoutRegion::SCREEN;
    }
    return ::conf::v1::LayoutRegion::BINDING_UNSPECIFIED;
}

Result<RegionBinding> from_proto(::conf::v1::LayoutRegion::Binding binding) {
    switch (binding) {
    case ::conf::v1::LayoutRegion::BINDING_UNSPECIFIED:
    case ::conf::v1::LayoutRegion::NEXT_FREE:
        return RegionBinding::kNextFree;
    case ::conf::v1::LayoutRegion::PARTICIPANT:
        return RegionBinding::kParticipant;
    case ::conf::v1::LayoutRegion::SPEAKER:
        return RegionBinding::kSpeaker;
    case ::conf::v1::LayoutRegion::SCREEN:
        return RegionBinding::kScreen;
    default:
        return invalid_argument(fmt::format("unknown region binding {}", int(binding)));
    }
}
} // namespace

::conf::v1::Canvas to_proto(const Canvas& canvas) {
    ::conf::v1::Canvas out;
    out.set_width(static_cast<std::uint32_t>(canvas.width));
    out.set_height(static_cast<std::uint32_t>(canvas.height));
    out.set_frame_rate(static_cast<std::uint32_t>(canvas.fps_num / std::max(1, canvas.fps_den)));
    return out;
}

::conf::v1::Layout to_proto(const Layout& layout, bool locked) {
    ::conf::v1::Layout out;
    out.set_name(layout.name);
    out.set_locked(locked);
    if (layout.kind == LayoutKind::kCustom) {
        for (const Region& region : layout.regions) {
            ::conf::v1::LayoutRegion& r = *out.add_regions();
            r.set_x(region.x);
            r.set_y(region.y);
            r.set_width(region.width);
            r.set_height(region.height);
            r.set_z(region.z);
            r.set_binding(to_proto(region.binding));
            r.set_participant_id(region.participant);
        }
    }
    return out;
}

std::vector<::conf::v1::Tile> to_proto(const std::vector<Assignment>& assignments) {
    std::vector<::conf::v1::Tile> out;
    out.reserve(assignments.size());
    for (const Assignment& a : assignments) {
        ::conf::v1::Tile& tile = out.emplace_back();
        tile.set_participant_id(a.participant);
        tile.set_x(static_cast<std::uint32_t>(a.rect.x));
        tile.set_y(static_cast<std::uint32_t>(a.rect.y));
        tile.set_width(static_cast<std::uint32_t>(a.rect.width));
        tile.set_height(static_cast<std::uint32_t>(a.rect.height));
        tile.set_z(a.z);
    }
    return out;
}

Result<Canvas> from_proto(const ::conf::v1::Canvas& canvas) {
    Canvas out;
    if (canvas.width() != 0) {
        out.width = static_cast<int>(canvas.width());
    }
    if (canvas.height() != 0) {
        out.height = static_cast<int>(canvas.height());
    }
    if (canvas.frame_rate() != 0) {
        out.fps_num = static_cast<int>(canvas.frame_rate());
    }
    if (out.width < 16 || out.width > 3840 || out.height < 16 || out.height > 2160 ||
        out.width % 2 != 0 || out.height % 2 != 0 || out.fps_num > 60) {
        return invalid_argument(
            fmt::format("canvas {}x{} at {} fps: width and height must be even, 16-3840 x "
                        "16-2160, and the frame rate 1-60",
                        out.width, out.height, out.fps_num));
    }
    return out;
}

Result<Layout> from_proto(const ::conf::v1::Layout& layout, const Canvas& canvas) {
    if (layout.name().empty()) {
        return invalid_argument("a layout needs a name: grid, speaker, presentation, or a custom "
                                "layout's own name with its regions");
    }
    if (auto builtin = builtin_layout(layout.name(), canvas)) {
        if (layout.regions_size() != 0) {
            return invalid_argument(
                fmt::format("layout '{}' is built in: it places tiles itself and takes no regions",
                            layout.name()));
        }
        return *builtin;
    }
    if (layout.regions_size() == 0) {
        return invalid_argument(
            fmt::format("layout '{}' is not built in (grid, speaker, presentation), so it needs "
                        "regions",
                        layout.name()));
    }
    std::vector<Region> regions;
    for (const ::conf::v1::LayoutRegion& r : layout.regions()) {
        auto binding = from_proto(r.binding());
        if (!binding) {
            return binding.status();
        }
        regions.push_back(
            Region{r.x(), r.y(), r.width(), r.height(), r.z(), *binding, r.participant_id()});
    }
    Layout out = custom_layout(layout.name(), canvas, std::move(regions));
    if (Status valid = validate(out); !valid) {
        return valid;
    }
    return out;
}

} // namespace conf::daemon
