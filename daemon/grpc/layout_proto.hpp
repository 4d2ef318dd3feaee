// The composite's layout between libconf (conf::Layout, Assignment) and the operator API
// (conf.v1.Layout, Tile, Canvas): used by RoomService and by the event feed.
#pragma once

#include "conf/v1/room.pb.h"
#include "mixing/layout.hpp"

#include <vector>

namespace conf::daemon {

::conf::v1::Canvas to_proto(const Canvas& canvas);
::conf::v1::Layout to_proto(const Layout& layout, bool locked);
std::vector<::conf::v1::Tile> to_proto(const std::vector<Assignment>& assignments);

// A canvas from CreateRoom (zero fields take the defaults); kInvalidArgument when out of
// range.
Result<Canvas> from_proto(const ::conf::v1::Canvas& canvas);
// A layout for `canvas`: a built-in one by name, else a custom one from its regions.
// kInvalidArgument with what is wrong (validate() in mixing/layout.hpp, plus: a built-in
// name with regions, a custom one without).
Result<Layout> from_proto(const ::conf::v1::Layout& layout, const Canvas& canvas);

} // namespace conf::daemon
