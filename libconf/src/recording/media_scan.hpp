// scan_media_file: what a recorded file really holds, read back by demuxing it end to end.
//
// A Matroska file cut short by a crash has no duration in its header: gst-discoverer reports
// the first cluster's length (0.17 s for a 3 s file here) and ffprobe reports none. The only
// truthful figure is the last timestamp in the file, so repair reads them all. No decoding
// and no autoplugging: the demuxer is picked by container and its pads end in fakesinks.
// Blocking (it reads the whole file); never call it on the media thread.
#pragma once

#include "conf/status.hpp"
#include "recording/manifest_store.hpp"

#include <gst/gst.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace conf {

struct ScannedStream {
    RecordingManifest::Kind kind = RecordingManifest::KIND_UNSPECIFIED;
    std::string caps;                             // media type, "video/x-vp8"
    GstClockTime first_pts = GST_CLOCK_TIME_NONE; // in the file's own timeline
    GstClockTime end = GST_CLOCK_TIME_NONE;       // largest PTS + duration
    std::uint64_t bytes = 0;
    std::uint64_t buffers = 0;
};

struct MediaScan {
    std::vector<ScannedStream> streams; // in the order the demuxer exposed them (track order)
    // The demuxer stopped with an error after reading some data (a torn last block or
    // fragment); what was read is still reported. Empty when it reached the end cleanly.
    std::string error;

    GstClockTime start() const noexcept; // earliest first PTS, NONE if nothing was read
    GstClockTime end() const noexcept;   // latest end, NONE if nothing was read
    GstClockTime duration() const noexcept;
};

// kInvalidArgument for an unknown container, kUnavailable when nothing could be read,
// kDeadlineExceeded after `timeout`.
Result<MediaScan> scan_media_file(const std::filesystem::path& file,
                                  RecordingManifest::Container container,
                                  std::chrono::milliseconds timeout = std::chrono::minutes(2));

} // namespace conf
