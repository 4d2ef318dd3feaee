// Independent checks of recorded files with ffprobe (FFmpeg's demuxers and decoders, not
// GStreamer's), so a test never grades GStreamer's output with GStreamer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace conf::test {

struct ProbedStream {
    std::string type;         // "video", "audio"
    std::string codec;        // "vp8", "opus", "h264"
    std::int64_t frames = -1; // decoded frames (-count_frames), -1 when unknown
    double start_time = -1;   // first timestamp in the file, seconds
};

struct ProbedFile {
    bool ok = false;
    std::string error;       // ffprobe's complaint when !ok
    double duration = -1;    // the container's duration; -1 when it has none (N/A)
    double packet_span = -1; // last packet end − first packet start, over all streams
    std::vector<ProbedStream> streams;

    const ProbedStream* stream(const std::string& type) const;
};

// Decodes every frame (-count_frames) and reads every packet's timestamp.
ProbedFile ffprobe(const std::filesystem::path& file);

// sha256sum's digest of `file` (lower-case hex), "" on failure.
std::string sha256sum(const std::filesystem::path& file);

} // namespace conf::test
