#include "codec/codec.hpp"

#include "codec/codec_registry.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>

namespace conf {

std::string_view to_string(MediaKind kind) noexcept {
    return kind == MediaKind::kAudio ? "audio" : "video";
}

namespace {

// Payload types are fixed per codec (see webrtc/local_formats.hpp); plugin codecs get theirs
// from the CodecRegistry. H.264 main is offered at 104 beside baseline at 102.
constexpr std::array kCodecs = {
    Codec{"VP8", MediaKind::kVideo, 90000, 0, "rtpvp8depay", "", "rtpvp8pay", "vp8dec", "vp8enc",
          "vp8", "video/x-vp8", 300, 96, "", kContainerMatroska | kContainerWebm, ""},
    Codec{"VP9", MediaKind::kVideo, 90000, 0, "rtpvp9depay", "vp9parse", "rtpvp9pay", "vp9dec",
          "vp9enc", "vp9", "video/x-vp9", 270, 98, "",
          kContainerMatroska | kContainerWebm | kContainerMp4, ""},
    // Recorded through h264parse: it keeps SPS/PPS in the stream (see Recorder).
    Codec{"H264", MediaKind::kVideo, 90000, 0, "rtph264depay", "h264parse", "rtph264pay",
          "avdec_h264", "x264enc", "h264", "video/x-h264,stream-format=avc,alignment=au", 290, 102,
          "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
          kContainerMatroska | kContainerMp4, ""},
    Codec{"OPUS", MediaKind::kAudio, 48000, 2, "rtpopusdepay", "", "rtpopuspay", "opusdec",
          "opusenc", "opus", "audio/x-opus", 300, 111, "minptime=10;useinbandfec=1",
          kContainerMatroska | kContainerWebm | kContainerMp4, ""},
    // A recording target only (H.264 + AAC in MP4 plays everywhere): never over RTP, so no
    // payloader, no payload type, never offered or accepted in SDP.
    Codec{"AAC", MediaKind::kAudio, 48000, 2, "", "aacparse", "", "avdec_aac", "avenc_aac", "aac",
          "audio/mpeg,mpegversion=4", 0, 0, "", kContainerMatroska | kContainerMp4, ""},
};

} // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

namespace {

// Value of `key` in "a=1;b=2" style fmtp text, trimmed.
std::optional<std::string_view> fmtp_value(std::string_view fmtp, std::string_view key) {
    while (!fmtp.empty()) {
        size_t end = fmtp.find(';');
        std::string_view item = fmtp.substr(0, end);
        while (!item.empty() && item.front() == ' ') {
            item.remove_prefix(1);
        }
        size_t eq = item.find('=');
        if (eq != std::string_view::npos && iequals(item.substr(0, eq), key)) {
            std::string_view value = item.substr(eq + 1);
            while (!value.empty() && value.back() == ' ') {
                value.remove_suffix(1);
            }
            return value;
        }
        if (end == std::string_view::npos) {
            break;
        }
        fmtp.remove_prefix(end + 1);
    }
    return std::nullopt;
}

} // namespace

std::span<const Codec> builtin_codecs() noexcept {
    return kCodecs;
}

const Codec* find_codec(std::string_view encoding_name) noexcept {
    return CodecRegistry::global().find(encoding_name);
}

bool is_accepted_h264_fmtp(std::string_view fmtp) noexcept {
    auto mode = fmtp_value(fmtp, "packetization-mode");
    if (!mode || *mode != "1") {
        return false;
    }
    auto profile = fmtp_value(fmtp, "profile-level-id");
    if (!profile || profile->size() != 6) {
        return false;
    }
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(profile->data(), profile->data() + 6, value, 16);
    if (ec != std::errc() || ptr != profile->data() + 6) {
        return false;
    }
    unsigned profile_idc = value >> 16;
    unsigned constraints = (value >> 8) & 0xff;
    bool constrained_baseline = profile_idc == 0x42 && (constraints & 0x40) != 0;
    bool main = profile_idc == 0x4d;
    return constrained_baseline || main;
}

} // namespace conf
