#include "recording/recording_codecs.hpp"

#include "codec/codec_registry.hpp"
#include "core/g_unique.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

namespace conf {

std::string_view to_string(RecordingContainer container) noexcept {
    switch (container) {
    case RecordingContainer::kMatroska:
        return "matroska";
    case RecordingContainer::kMp4Fragmented:
        return "mp4-fragmented";
    }
    return "unknown";
}

RecordingManifest::Kind manifest_kind(const Codec& codec) noexcept {
    return codec.kind == MediaKind::kVideo ? RecordingManifest::VIDEO : RecordingManifest::AUDIO;
}

Result<const Codec*> recording_codec_for(const GstCaps* caps) {
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
    const Codec* codec = find_codec(encoding);
    if (codec == nullptr || codec->containers == 0 || !codec->over_rtp()) {
        std::string recordable;
        for (const Codec* known : CodecRegistry::global().all()) {
            if (known->containers != 0 && known->over_rtp()) {
                recordable += (recordable.empty() ? "" : ", ") + std::string(known->name);
            }
        }
        return invalid_argument(
            fmt::format("codec '{}' is not recordable ({} are)", encoding, recordable));
    }
    const gchar* media = gst_structure_get_string(s, "media");
    std::string_view expected_media = to_string(codec->kind);
    if (media == nullptr || expected_media != media) {
        return invalid_argument(
            fmt::format("{} caps must have media={}: {}", codec->name, expected_media, text.get()));
    }
    gint clock_rate = 0;
    if (!gst_structure_get_int(s, "clock-rate", &clock_rate) || clock_rate != codec->clock_rate) {
        return invalid_argument(fmt::format("{} caps must have clock-rate={}: {}", codec->name,
                                            codec->clock_rate, text.get()));
    }
    return codec;
}

GRef<GstCaps> recording_caps(const Codec& codec, const GstCaps* caps) {
    auto copy = GRef<GstCaps>::adopt(gst_caps_copy(caps));
    GstStructure* s = gst_caps_get_structure(copy.get(), 0);
    if (codec.name == "OPUS" && !gst_structure_has_field(s, "sprop-maxcapturerate")) {
        gst_structure_set(s, "sprop-maxcapturerate", G_TYPE_STRING, "48000", nullptr);
    }
    return copy;
}

bool can_hold(RecordingContainer container, const Codec& codec) noexcept {
    return container == RecordingContainer::kMp4Fragmented
               ? codec.recordable_in(kContainerMp4)
               : codec.recordable_in(kContainerMatroska | kContainerWebm);
}

Result<MuxerChoice> choose_muxer(RecordingContainer container,
                                 std::span<const Codec* const> codecs) {
    if (container == RecordingContainer::kMp4Fragmented) {
        for (const Codec* codec : codecs) {
            if (!can_hold(container, *codec)) {
                return invalid_argument(fmt::format(
                    "{} cannot be recorded into MP4; use Matroska/WebM", codec->recording_name));
            }
        }
        return MuxerChoice{"mp4mux", "mp4", RecordingManifest::MP4_FRAGMENTED};
    }
    for (const Codec* codec : codecs) {
        if (!can_hold(container, *codec)) {
            return invalid_argument(
                fmt::format("{} cannot be recorded into Matroska", codec->recording_name));
        }
    }
    bool webm = std::all_of(codecs.begin(), codecs.end(), [](const Codec* codec) {
        return codec->recordable_in(kContainerWebm);
    });
    if (webm) {
        return MuxerChoice{"webmmux", "webm", RecordingManifest::WEBM};
    }
    return MuxerChoice{"matroskamux", "mkv", RecordingManifest::MATROSKA};
}

} // namespace conf
