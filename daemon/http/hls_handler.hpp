// HlsHandler: GET /hls/{room}/{stream}/{file}: the playlists and segments of a room's HLS
// live streams, from the directory LiveStream writes them to ({data_dir}/hls/{room}/{stream}/).
// Only names a stream can produce are served (a playlist .m3u8 or a .ts segment, no path
// separators, no leading dot); anything else is 404. A stream id is 128 random bits, so a
// playlist URL is a capability: whoever has it can watch, like a WHEP resource URL. Players
// on other origins (hls.js) may read it: the answers carry Access-Control-Allow-Origin: *.
// Playlists change every segment and are never cached; segments never change.
#pragma once

#include <libsoup/soup.h>

#include <filesystem>
#include <string_view>

namespace conf::daemon {

class HlsHandler {
  public:
    explicit HlsHandler(std::filesystem::path root) : root_(std::move(root)) {}

    // A path starting with "/hls/", from a PrefixRoute.
    void handle(SoupServerMessage* message, std::string_view path) const;

  private:
    std::filesystem::path root_;
};

} // namespace conf::daemon
