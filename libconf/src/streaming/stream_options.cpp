#include "streaming/stream_options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace conf {

namespace {

constexpr std::chrono::seconds kMaxTargetDuration{60};
constexpr unsigned kMaxPlaylistLength = 1000;
constexpr int kMaxReconnectAttempts = 1000;
constexpr std::array<std::string_view, 6> kSpeedPresets = {"ultrafast", "superfast", "veryfast",
                                                           "faster",    "fast",      "medium"};

bool is_plain_file_name(const std::string& name) {
    return !name.empty() && name.size() <= 255 && name != "." && name != ".." &&
           std::all_of(name.begin(), name.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' ||
                      c == '_';
           });
}

} // namespace

bool is_safe_name(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
    });
}

Status validate(const LiveStreamOptions& o) {
    if (!is_safe_name(o.name)) {
        return invalid_argument(fmt::format(
            "live stream name '{}' must be 1-64 letters, digits, '-', '_' or '.'", o.name));
    }
    if ((o.width == 0) != (o.height == 0) ||
        (o.width != 0 && (o.width < 16 || o.width > 4096 || o.height < 16 || o.height > 4096 ||
                          o.width % 2 != 0 || o.height % 2 != 0))) {
        return invalid_argument(
            fmt::format("live stream {}: size {}x{} must be 0x0 (the input's) or even, 16..4096",
                        o.name, o.width, o.height));
    }
    if (o.fps < 1 || o.fps > 60) {
        return invalid_argument(fmt::format("live stream {}: {} fps outside 1..60", o.name, o.fps));
    }
    if (o.video_bitrate_kbps < 100 || o.video_bitrate_kbps > 50000) {
        return invalid_argument(
            fmt::format("live stream {}: video bitrate {} kbps outside 100..50000", o.name,
                        o.video_bitrate_kbps));
    }
    if (std::find(kSpeedPresets.begin(), kSpeedPresets.end(), o.speed_preset) ==
        kSpeedPresets.end()) {
        return invalid_argument(
            fmt::format("live stream {}: x264 speed preset '{}' is not one of {}", o.name,
                        o.speed_preset, fmt::join(kSpeedPresets, ", ")));
    }
    if (o.keyframe_interval < std::chrono::milliseconds(250) ||
        o.keyframe_interval > std::chrono::seconds(10) ||
        (o.keyframe_interval.count() * o.fps) % 1000 != 0) {
        return invalid_argument(
            fmt::format("live stream {}: keyframe interval {} ms must be 250..10000 ms and a "
                        "whole number of frames at {} fps",
                        o.name, o.keyframe_interval.count(), o.fps));
    }
    if (o.encoder_threads < 0 || o.encoder_threads > 64) {
        return invalid_argument(fmt::format("live stream {}: {} encoder threads outside 0..64",
                                            o.name, o.encoder_threads));
    }
    if (o.audio_bitrate < 32000 || o.audio_bitrate > 320000) {
        return invalid_argument(fmt::format("live stream {}: AAC bitrate {} outside 32000..320000",
                                            o.name, o.audio_bitrate));
    }
    if (o.audio_channels != 1 && o.audio_channels != 2) {
        return invalid_argument(
            fmt::format("live stream {}: {} audio channels (1 or 2)", o.name, o.audio_channels));
    }
    if (o.input_latency < std::chrono::milliseconds(20) ||
        o.input_latency > std::chrono::seconds(2) ||
        o.output_queue < std::chrono::milliseconds(500) ||
        o.output_queue > std::chrono::seconds(30) || o.drain_timeout.count() <= 0) {
        return invalid_argument(fmt::format(
            "live stream {}: input latency must be 20..2000 ms, output queues 500..30000 ms "
            "and the drain timeout positive",
            o.name));
    }
    if (o.output_queue <= o.keyframe_interval) {
        return invalid_argument(fmt::format(
            "live stream {}: output queues ({} ms) must hold more than a keyframe interval "
            "({} ms): a new output's audio waits in them for its first keyframe",
            o.name, o.output_queue.count(), o.keyframe_interval.count()));
    }
    return Status::ok();
}

Status validate(const HlsOptions& options, std::chrono::milliseconds keyframe_interval) {
    if (options.directory.empty()) {
        return invalid_argument("HLS output: a directory is required");
    }
    if (!is_plain_file_name(options.playlist_name) || !options.playlist_name.ends_with(".m3u8")) {
        return invalid_argument(
            fmt::format("HLS output: playlist name '{}' must be a plain file name ending in .m3u8 "
                        "(letters, digits, '.', '-', '_')",
                        options.playlist_name));
    }
    if (options.target_duration.count() < 1 || options.target_duration > kMaxTargetDuration) {
        return invalid_argument(fmt::format("HLS output: target duration {} s outside 1..{} s",
                                            options.target_duration.count(),
                                            kMaxTargetDuration.count()));
    }
    auto target = std::chrono::duration_cast<std::chrono::milliseconds>(options.target_duration);
    if (keyframe_interval.count() <= 0 ||
        target % keyframe_interval != std::chrono::milliseconds(0)) {
        return invalid_argument(fmt::format(
            "HLS output: target duration {} s is not a multiple of the stream's keyframe "
            "interval ({} ms): segments can only be cut at keyframes",
            options.target_duration.count(), keyframe_interval.count()));
    }
    if (options.playlist_length < 3 || options.playlist_length > kMaxPlaylistLength) {
        return invalid_argument(fmt::format("HLS output: playlist length {} outside 3..{}",
                                            options.playlist_length, kMaxPlaylistLength));
    }
    if (options.max_files != 0 && options.max_files <= options.playlist_length) {
        return invalid_argument(fmt::format(
            "HLS output: max files {} must exceed the playlist length {} (or be 0: keep all), "
            "or players would be sent to deleted segments",
            options.max_files, options.playlist_length));
    }
    return Status::ok();
}

Result<RtmpUrl> validate(const RtmpOptions& options) {
    auto url = parse_rtmp_url(options.url);
    if (!url) {
        return url.status().with_context("RTMP output");
    }
    if (options.reconnect_attempts < 0 || options.reconnect_attempts > kMaxReconnectAttempts) {
        return invalid_argument(fmt::format("RTMP output {}: reconnect attempts {} outside 0..{}",
                                            url->redacted(), options.reconnect_attempts,
                                            kMaxReconnectAttempts));
    }
    if (options.reconnect_attempts > 0 &&
        (options.initial_backoff < std::chrono::milliseconds(100) ||
         options.max_backoff < options.initial_backoff ||
         options.max_backoff > std::chrono::minutes(10) || options.stable_after.count() <= 0)) {
        return invalid_argument(fmt::format(
            "RTMP output {}: reconnecting needs an initial backoff of at least 100 ms, a "
            "maximum backoff between it and 10 minutes and a positive stable time",
            url->redacted()));
    }
    return url;
}

} // namespace conf
