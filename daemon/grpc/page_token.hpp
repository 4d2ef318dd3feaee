// Paging for the List calls: page sizes (0 means 100, at most 1000) and opaque page tokens
// that carry where the previous page stopped.
#pragma once

#include <conf/status.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace conf::daemon {

std::size_t page_size(std::uint32_t requested);
// The token for a page that ends at `position` (a name, or an offset as text).
std::string page_token(std::string_view position);
// The position in `token` ("" for the first page); kInvalidArgument for a token confd did not
// make.
Result<std::string> page_position(std::string_view token);

} // namespace conf::daemon
