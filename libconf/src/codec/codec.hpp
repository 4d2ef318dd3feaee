// Codec: what libconf knows about each codec it accepts over RTP. Elements are named
// explicitly per codec (nothing is autoplugged), so a stream can only ever meet the
// depayloaders, parsers and decoders listed for its codec. The built-in codecs are here;
// plugins add theirs to the CodecRegistry (codec/codec_registry.hpp), which every lookup goes
// through.
#pragma once

#include <span>
#include <string_view>

namespace conf {

enum class MediaKind { kAudio, kVideo };
std::string_view to_string(MediaKind kind) noexcept;

// Where a pass-through recording may hold a codec (bits of Codec::containers).
inline constexpr unsigned kContainerMatroska = 0x1;
inline constexpr unsigned kContainerWebm = 0x2;
inline constexpr unsigned kContainerMp4 = 0x4;

struct Codec {
    // Every string is static: a literal for a built-in codec, the plugin's own static data
    // for a plugin codec (plugins are never unloaded).
    std::string_view name; // "VP8", as in the SDP rtpmap encoding name (upper case)
    MediaKind kind;
    int clock_rate;
    int channels;                 // 0 for video
    std::string_view depayloader; // GStreamer element names
    std::string_view parser;      // "" when the depayloader's output needs no parser
    std::string_view payloader;
    std::string_view decoder;        // for the MCU side (mixing, transcoding); "" when none
    std::string_view encoder;        // software encoder for transcoding; "" when none
    std::string_view recording_name; // as recording manifests name it ("vp8")
    std::string_view caps;           // the encoded stream's caps ("video/x-vp8")
    int rank;                        // offer preference among codecs of a kind, higher first
    int payload_type;                // what this server offers it as
    std::string_view fmtp;           // fmtp parameters this server offers
    unsigned containers;             // kContainer* bits
    std::string_view plugin;         // the plugin that added it; "" for built-in codecs

    bool recordable_in(unsigned container) const noexcept { return (containers & container) != 0; }
    // Spoken over RTP (offered and accepted in SDP); false for recording-only targets (AAC).
    bool over_rtp() const noexcept { return !payloader.empty(); }
};

// The codecs libconf has without plugins: VP8, VP9, H264, OPUS over RTP; AAC as a recording
// target.
std::span<const Codec> builtin_codecs() noexcept;

// Looks up an rtpmap encoding name ("vp8", "H264", "opus"), case-insensitively, among the
// built-in and plugin codecs. The pointer stays valid for the life of the process.
const Codec* find_codec(std::string_view encoding_name) noexcept;

// H.264 is accepted in constrained baseline and main profiles only (what browsers and
// hardware decoders agree on), packetization-mode 1. `fmtp` is the SDP fmtp parameter text.
bool is_accepted_h264_fmtp(std::string_view fmtp) noexcept;

bool iequals(std::string_view a, std::string_view b) noexcept;

} // namespace conf
