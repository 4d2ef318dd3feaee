// The browser publish page: daemon/web/publish.html, embedded at build time (see
// config/embed_text.cmake), served at /publish and /publish/{room}.
#pragma once

#include <string_view>

namespace conf::daemon {

std::string_view publish_page_html();

} // namespace conf::daemon
