#include "recording/recording_codecs.hpp"

#include "core/g_unique.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace conf {

namespace {

constexpr std::array kCodecs = {
    RecordingCodec{"VP8", "vp8", RecordingManifest::VIDEO, 90000, "rtpvp8depay", "", true, false},
    RecordingCodec{"VP9", "vp9", RecordingManifest::VIDEO, 90000, "rtpvp9depay", "vp9parse", true,
                   true},
    RecordingCodec{"H264", "h264", RecordingManifest::VIDEO, 90000, "rtph264depay", "h264parse",
                   false, true},
    RecordingCodec{"OPUS", "opus", RecordingManifest::AUDIO, 48000, "rtpopusdepay", "", true, true},
};

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

} // namespace

std::string_view to_string(RecordingContainer container) noexcept {
    switch (container) {
    case RecordingContainer::kMatroska:
        return "matroska";
    case RecordingContainer::kMp4Fragmented:
        return "mp4-fragmented";
    }
    return "unknown";
}

Result<const RecordingCodec*> recording_codec_for(const GstCaps* caps) {
    if (caps == nullptr || gst_caps_get_size(caps) != 1) {
        return invalid_argument("track caps must be one application/x-rtp structure");
    }
    GUnique<gchar> text(gst_caps_to_string(caps));
    const GstStructure* s = gst_caps_get_structure(caps, 0);
    if (!gst_structure_has_name(s, "application/x-rtp")) {
        return invalid_argument(fmt::format("not RTP caps: {}", text.get()));
    }
    const gchar* encoding = gst_structure_get_string(s, "encoding-name");
    if (encoding == nullptr) {
        return invalid_argument(fmt::format("RTP caps without encoding-name: {}", text.get()));
    }
    auto codec = std::find_if(kCodecs.begin(), kCodecs.end(), [&](const RecordingCodec& c) {
        return iequals(c.encoding_name, encoding);
    });
    if (codec == kCodecs.end()) {
        return invalid_argument(
            fmt::format("codec '{}' is not recordable (VP8, VP9, H264, OPUS are)", encoding));
    }
    const gchar* media = gst_structure_get_string(s, "media");
    std::string_view expected_media = codec->kind == RecordingManifest::VIDEO ? "video" : "audio";
    if (media == nullptr || expected_media != media) {
        return invalid_argument(fmt::format("{} caps must have media={}: {}", codec->encoding_name,
                                            expected_media, text.get()));
    }
    gint clock_rate = 0;
    if (!gst_structure_get_int(s, "clock-rate", &clock_rate) || clock_rate != codec->clock_rate) {
        return invalid_argument(fmt::format("{} caps must have clock-rate={}: {}",
                                            codec->encoding_name, codec->clock_rate, text.get()));
    }
    return &*codec;
}

GRef<GstCaps> recording_caps(const RecordingCodec& codec, const GstCaps* caps) {
    auto copy = GRef<GstCaps>::adopt(gst_caps_copy(caps));
    GstStructure* s = gst_caps_get_structure(copy.get(), 0);
    if (codec.encoding_name == "OPUS" && !gst_structure_has_field(s, "sprop-maxcapturerate")) {
        gst_structure_set(s, "sprop-maxcapturerate", G_TYPE_STRING, "48000", nullptr);
    }
    return copy;
}

Result<MuxerChoice> choose_muxer(RecordingContainer container,
                                 std::span<const RecordingCodec* const> codecs) {
    if (container == RecordingContainer::kMp4Fragmented) {
        for (const RecordingCodec* codec : codecs) {
            if (!codec->in_mp4) {
                return invalid_argument(
                    fmt::format("{} cannot be recorded into MP4; use Matroska/WebM", codec->name));
            }
        }
        return MuxerChoice{"mp4mux", "mp4", RecordingManifest::MP4_FRAGMENTED};
    }
    bool webm = std::all_of(codecs.begin(), codecs.end(),
                            [](const RecordingCodec* codec) { return codec->in_webm; });
    if (webm) {
        return MuxerChoice{"webmmux", "webm", RecordingManifest::WEBM};
    }
    return MuxerChoice{"matroskamux", "mkv", RecordingManifest::MATROSKA};
}

} // namespace conf
