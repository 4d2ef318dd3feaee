// Codec: what libconf knows about each codec it accepts over RTP, and the allowlist itself.
// Elements are named explicitly per codec (nothing is autoplugged), so a stream can only ever
// meet the depayloaders and parsers listed here.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace conf {

enum class MediaKind { kAudio, kVideo };
std::string_view to_string(MediaKind kind) noexcept;

struct Codec {
    std::string_view name; // "VP8", as in the SDP rtpmap encoding name (upper case)
    MediaKind kind;
    int clock_rate;
    int channels;                 // 0 for video
    std::string_view depayloader; // GStreamer element names
    std::string_view parser;      // "" when the depayloader's output needs no parser
    std::string_view payloader;
    std::string_view decoder; // for the MCU side (mixing, live streams); never autoplugged
};

// Every codec the allowlist accepts: VP8, VP9, H264, OPUS.
std::span<const Codec> supported_codecs() noexcept;

// Looks up an rtpmap encoding name ("vp8", "H264", "opus"), case-insensitively.
const Codec* find_codec(std::string_view encoding_name) noexcept;

// H.264 is accepted in constrained baseline and main profiles only (what browsers and
// hardware decoders agree on), packetization-mode 1. `fmtp` is the SDP fmtp parameter text.
bool is_accepted_h264_fmtp(std::string_view fmtp) noexcept;

} // namespace conf
