// The options of a LiveStream and of its outputs, and their limits: every check happens
// here, before any element is made, and fails with kInvalidArgument and a message that says
// what would work (and never repeats an RTMP stream key).
#pragma once

#include "conf/status.hpp"
#include "streaming/rtmp_url.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

namespace conf {

struct LiveStreamOptions {
    // Names the pipeline (`live-<name>`) and log lines: letters, digits, '-', '_', '.'.
    std::string name = "live";

    // H.264 (x264enc, tune=zerolatency: no B-frames, no lookahead).
    int width = 0;  // 0 and 0: the input's size; otherwise both, even, letterboxed to fit
    int height = 0; //
    int fps = 30;   // constant: frames are duplicated or dropped to keep it
    int video_bitrate_kbps = 2500;
    // x264 speed preset: ultrafast, superfast, veryfast, faster, fast, medium (slower ones
    // cannot keep up in real time on the machines this runs on).
    std::string speed_preset = "veryfast";
    // A keyframe exactly this often; fps × interval must be a whole number of frames.
    std::chrono::milliseconds keyframe_interval{2000};
    int encoder_threads = 0; // 0: x264 picks

    // AAC-LC at 48 kHz (avenc_aac).
    int audio_bitrate = 128000;
    int audio_channels = 2;

    // Each input's rtpjitterbuffer, which waits this long after a packet's PTS: it must
    // cover how late packets arrive (the audio mixer's output is ~120 ms behind its PTS).
    std::chrono::milliseconds input_latency{200};
    // Each output's queues; past this much data the oldest is dropped. More than a keyframe
    // interval: a new output's audio waits there for the first keyframe.
    std::chrono::milliseconds output_queue{3000};
    // How long a removed output may take to drain before it is torn down anyway.
    std::chrono::milliseconds drain_timeout{5000};
};

struct HlsOptions {
    // Where the playlist and segments go; created if missing. One HLS output per directory.
    std::filesystem::path directory;
    std::string playlist_name = "playlist.m3u8";
    // Segments are cut at the first keyframe after this, so it must be a multiple of the
    // stream's keyframe interval (then every segment is exactly this long).
    std::chrono::seconds target_duration{2};
    // Segments listed in the live playlist (RFC 8216 §6.3.3 wants at least three).
    unsigned playlist_length = 6;
    // Segments kept on disk; older ones are deleted. More than playlist_length, so a player
    // still fetching a segment that just left the playlist finds it; 0 keeps everything.
    unsigned max_files = 12;
};

struct RtmpOptions {
    // rtmp[s]://host[:port]/application/stream-key. Only scheme://host:port/application is
    // ever logged.
    std::string url;
    // After a failure, connect again up to this many times (0: the first failure ends the
    // output), waiting initial_backoff, then twice as long each time up to max_backoff. An
    // output that stays up for stable_after starts counting afresh.
    int reconnect_attempts = 0;
    std::chrono::milliseconds initial_backoff{1000};
    std::chrono::milliseconds max_backoff{30000};
    std::chrono::milliseconds stable_after{30000};
};

// kInvalidArgument unless every value is within its documented range.
Status validate(const LiveStreamOptions& options);
// kInvalidArgument unless the options make a live playlist that cuts on `keyframe_interval`.
Status validate(const HlsOptions& options, std::chrono::milliseconds keyframe_interval);
// kInvalidArgument unless the URL parses (parse_rtmp_url) and the backoff is sane.
Result<RtmpUrl> validate(const RtmpOptions& options);

// Output ids and stream names become element names and log fields: 1-64 letters, digits,
// '-', '_', '.'.
bool is_safe_name(std::string_view name);

} // namespace conf
