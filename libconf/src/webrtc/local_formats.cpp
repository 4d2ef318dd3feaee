#include "webrtc/local_formats.hpp"

#include <gst/gst.h>

#include <string>

namespace conf {

namespace {

constexpr int kVp8 = 96;
constexpr int kVp9 = 98;
constexpr int kH264Baseline = 102;
constexpr int kH264Main = 104;
constexpr int kOpus = 111;

constexpr const char* kH264BaselineFmtp =
    "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f";
constexpr const char* kH264MainFmtp =
    "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f";
constexpr const char* kOpusFmtp = "minptime=10;useinbandfec=1";

std::string caps_string(const GstStructure* s, const char* field) {
    const gchar* value = gst_structure_get_string(s, field);
    return value != nullptr ? value : "";
}

} // namespace

std::vector<OfferedFormat> receive_formats(MediaKind kind) {
    if (kind == MediaKind::kAudio) {
        return {{find_codec("OPUS"), kOpus, kOpusFmtp}};
    }
    return {
        {find_codec("VP8"), kVp8, ""},
        {find_codec("H264"), kH264Baseline, kH264BaselineFmtp},
        {find_codec("H264"), kH264Main, kH264MainFmtp},
        {find_codec("VP9"), kVp9, ""},
    };
}

OfferedFormat send_format(const ReceivedTrack& source) {
    const Codec& codec = source.codec();
    if (codec.name == "OPUS") {
        return {&codec, kOpus, kOpusFmtp};
    }
    if (codec.name == "VP9") {
        return {&codec, kVp9, ""};
    }
    if (codec.name == "H264") {
        const GstStructure* s = gst_caps_get_structure(source.caps(), 0);
        std::string profile = caps_string(s, "profile-level-id");
        bool baseline = profile.empty() || profile.rfind("42", 0) == 0;
        std::string fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=" +
                           (profile.empty() ? std::string("42e01f") : profile);
        return {&codec, baseline ? kH264Baseline : kH264Main, fmtp};
    }
    return {&codec, kVp8, ""};
}

} // namespace conf
