#include "webrtc/local_formats.hpp"

#include "codec/codec_registry.hpp"

#include <gst/gst.h>

#include <string>

namespace conf {

namespace {

// H.264 is offered twice: constrained baseline at the codec's own payload type (102), main
// beside it.
constexpr int kH264Main = 104;
constexpr const char* kH264MainFmtp =
    "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f";

std::string caps_string(const GstStructure* s, const char* field) {
    const gchar* value = gst_structure_get_string(s, field);
    return value != nullptr ? value : "";
}

} // namespace

std::vector<OfferedFormat> receive_formats(MediaKind kind) {
    std::vector<OfferedFormat> formats;
    for (const Codec* codec : CodecRegistry::global().codecs(kind)) {
        formats.push_back({codec, codec->payload_type, std::string(codec->fmtp)});
        if (codec->name == "H264") {
            formats.push_back({codec, kH264Main, kH264MainFmtp});
        }
    }
    return formats;
}

OfferedFormat send_format(const ReceivedTrack& source) {
    const Codec& codec = source.codec();
    if (codec.name == "H264") {
        const GstStructure* s = gst_caps_get_structure(source.caps(), 0);
        std::string profile = caps_string(s, "profile-level-id");
        bool baseline = profile.empty() || profile.rfind("42", 0) == 0;
        std::string fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=" +
                           (profile.empty() ? std::string("42e01f") : profile);
        return {&codec, baseline ? codec.payload_type : kH264Main, fmtp};
    }
    return {&codec, codec.payload_type, std::string(codec.fmtp)};
}

} // namespace conf
