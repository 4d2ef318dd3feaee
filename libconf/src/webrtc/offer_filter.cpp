#include "webrtc/offer_filter.hpp"

#include "codec/codec_registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <set>

namespace conf {

namespace {

std::string upper(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

// "96 VP8/90000" → {96, "VP8"}; "97 apt=96" style values are split by the caller.
bool split_pt(std::string_view value, int& pt, std::string_view& rest) {
    size_t space = value.find(' ');
    if (space == std::string_view::npos) {
        return false;
    }
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + space, pt);
    if (ec != std::errc() || ptr != value.data() + space) {
        return false;
    }
    rest = value.substr(space + 1);
    return true;
}

int attribute_pt(const GstSDPAttribute* attr) {
    if (attr->value == nullptr) {
        return -1;
    }
    std::string_view value(attr->value);
    int pt = -1;
    std::from_chars(value.data(), value.data() + value.size(), pt);
    return pt;
}

// Flag attributes ("a=recvonly") have no value, so look at keys.
bool has_media_key(const GstSDPMedia* media, const char* key) {
    for (guint i = 0; i < gst_sdp_media_attributes_len(media); ++i) {
        if (g_strcmp0(gst_sdp_media_get_attribute(media, i)->key, key) == 0) {
            return true;
        }
    }
    return false;
}

bool has_attribute(const GstSDPMessage* sdp, const GstSDPMedia* media, const char* key) {
    return gst_sdp_media_get_attribute_val(media, key) != nullptr ||
           gst_sdp_message_get_attribute_val(sdp, key) != nullptr;
}

// Keeps the allowed payload types of one m-line (and RTX pointing at them); returns the
// accepted codec names or a reason why none is left.
Result<OfferedMedia> filter_media(const GstSDPMessage* sdp, GstSDPMedia* media, unsigned index) {
    std::string kind_name = gst_sdp_media_get_media(media) ? gst_sdp_media_get_media(media) : "";
    if (kind_name != "audio" && kind_name != "video") {
        return invalid_argument(
            fmt::format("m-line {} is '{}': only audio and video are supported", index, kind_name));
    }
    MediaKind kind = kind_name == "audio" ? MediaKind::kAudio : MediaKind::kVideo;
    if (!has_attribute(sdp, media, "ice-ufrag") || !has_attribute(sdp, media, "ice-pwd")) {
        return invalid_argument(fmt::format("m-line {} has no ICE credentials", index));
    }
    if (!has_attribute(sdp, media, "fingerprint")) {
        return invalid_argument(fmt::format("m-line {} has no DTLS fingerprint", index));
    }

    std::map<int, std::string> encodings; // pt → upper-case encoding name
    std::map<int, std::string> fmtps;
    std::map<int, int> rtx_apt;
    for (guint i = 0; i < gst_sdp_media_attributes_len(media); ++i) {
        const GstSDPAttribute* attr = gst_sdp_media_get_attribute(media, i);
        int pt = -1;
        std::string_view rest;
        if (attr->value == nullptr || !split_pt(attr->value, pt, rest)) {
            continue;
        }
        if (std::string_view(attr->key) == "rtpmap") {
            encodings[pt] = upper(rest.substr(0, rest.find('/')));
        } else if (std::string_view(attr->key) == "fmtp") {
            fmtps[pt] = std::string(rest);
            if (rest.rfind("apt=", 0) == 0) {
                int apt = -1;
                std::from_chars(rest.data() + 4, rest.data() + rest.size(), apt);
                rtx_apt[pt] = apt;
            }
        }
    }

    OfferedMedia offered{kind, "", "sendrecv", {}, {}, {}};
    if (const gchar* mid = gst_sdp_media_get_attribute_val(media, "mid")) {
        offered.mid = mid;
    }
    // a=extmap:<id>[/<direction>] <uri> [attributes]
    for (guint i = 0; i < gst_sdp_media_attributes_len(media); ++i) {
        const GstSDPAttribute* attr = gst_sdp_media_get_attribute(media, i);
        if (g_strcmp0(attr->key, "extmap") != 0 || attr->value == nullptr) {
            continue;
        }
        std::string_view value = attr->value;
        size_t space = value.find(' ');
        int id = std::atoi(std::string(value.substr(0, space)).c_str());
        if (space == std::string_view::npos || id < 1 || id > 255) {
            continue;
        }
        std::string_view uri = value.substr(space + 1);
        offered.extensions[id] = std::string(uri.substr(0, uri.find(' ')));
    }
    for (const char* direction : {"sendrecv", "sendonly", "recvonly", "inactive"}) {
        if (has_media_key(media, direction)) {
            offered.direction = direction;
        }
    }
    std::set<int> keep;
    std::vector<std::string> offered_names;
    for (guint i = 0; i < gst_sdp_media_formats_len(media); ++i) {
        int pt = std::atoi(gst_sdp_media_get_format(media, i));
        auto encoding = encodings.find(pt);
        if (encoding == encodings.end()) {
            continue;
        }
        offered_names.push_back(encoding->second);
        const Codec* codec = find_codec(encoding->second);
        if (codec == nullptr || codec->kind != kind || !codec->over_rtp()) {
            continue;
        }
        if (codec->name == "H264" && !is_accepted_h264_fmtp(fmtps[pt])) {
            continue;
        }
        keep.insert(pt);
        offered.formats.push_back({codec, pt, fmtps[pt]});
        if (std::find(offered.codecs.begin(), offered.codecs.end(), codec->name) ==
            offered.codecs.end()) {
            offered.codecs.emplace_back(codec->name);
        }
    }
    if (keep.empty()) {
        std::string list;
        for (const auto& name : offered_names) {
            list += (list.empty() ? "" : ", ") + name;
        }
        return invalid_argument(fmt::format(
            "m-line {} ({}) offers no supported codec (offered: {}; supported: {})", index,
            kind_name, list.empty() ? "none" : list, CodecRegistry::global().describe(kind)));
    }
    for (const auto& [rtx_pt, apt] : rtx_apt) {
        if (encodings[rtx_pt] == "RTX" && keep.count(apt) != 0) {
            keep.insert(rtx_pt);
        }
    }

    // Drop formats and their rtpmap/fmtp/rtcp-fb lines, back to front so indices stay valid.
    for (guint i = gst_sdp_media_formats_len(media); i-- > 0;) {
        if (keep.count(std::atoi(gst_sdp_media_get_format(media, i))) == 0) {
            gst_sdp_media_remove_format(media, i);
        }
    }
    for (guint i = gst_sdp_media_attributes_len(media); i-- > 0;) {
        const GstSDPAttribute* attr = gst_sdp_media_get_attribute(media, i);
        std::string_view key(attr->key);
        if ((key == "rtpmap" || key == "fmtp" || key == "rtcp-fb") && attr->value != nullptr &&
            std::isdigit(static_cast<unsigned char>(attr->value[0])) &&
            keep.count(attribute_pt(attr)) == 0) {
            gst_sdp_media_remove_attribute(media, i);
        }
    }
    return offered;
}

} // namespace

const OfferedFormat* OfferedMedia::format_for(const Codec& codec) const {
    for (const OfferedFormat& format : formats) {
        if (format.codec == &codec) {
            return &format;
        }
    }
    return nullptr;
}

Result<FilteredOffer> filter_offer(std::string_view sdp_text) {
    if (sdp_text.size() > kMaxOfferBytes) {
        return invalid_argument(
            fmt::format("offer is {} bytes; the limit is {}", sdp_text.size(), kMaxOfferBytes));
    }
    if (sdp_text.substr(0, 4) != "v=0\r" && sdp_text.substr(0, 4) != "v=0\n") {
        return invalid_argument("not an SDP offer: it must start with \"v=0\"");
    }
    FilteredOffer result;
    if (gst_sdp_message_new(result.sdp.out()) != GST_SDP_OK ||
        gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(sdp_text.data()),
                                     static_cast<guint>(sdp_text.size()),
                                     result.sdp.get()) != GST_SDP_OK) {
        return invalid_argument("malformed SDP");
    }
    guint count = gst_sdp_message_medias_len(result.sdp.get());
    if (count == 0) {
        return invalid_argument("the offer has no media (no m= line)");
    }
    for (guint i = 0; i < count; ++i) {
        auto* media = const_cast<GstSDPMedia*>(gst_sdp_message_get_media(result.sdp.get(), i));
        auto filtered = filter_media(result.sdp.get(), media, i);
        if (!filtered) {
            return filtered.status();
        }
        result.media.push_back(std::move(filtered).value());
    }
    return result;
}

GRef<GstCaps> rtp_caps_for(const OfferedFormat& format) {
    const Codec& codec = *format.codec;
    GstCaps* caps = gst_caps_new_simple(
        "application/x-rtp", "media", G_TYPE_STRING, std::string(to_string(codec.kind)).c_str(),
        "encoding-name", G_TYPE_STRING, std::string(codec.name).c_str(), "clock-rate", G_TYPE_INT,
        codec.clock_rate, "payload", G_TYPE_INT, format.payload_type, nullptr);
    GstStructure* s = gst_caps_get_structure(caps, 0);
    if (codec.kind == MediaKind::kVideo) {
        // What webrtcbin puts in the answer's a=rtcp-fb lines.
        gst_structure_set(s, "rtcp-fb-nack", G_TYPE_BOOLEAN, TRUE, "rtcp-fb-nack-pli",
                          G_TYPE_BOOLEAN, TRUE, "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE, nullptr);
    } else {
        gst_structure_set(s, "encoding-params", G_TYPE_STRING,
                          std::to_string(codec.channels).c_str(), nullptr);
    }
    // The offer's fmtp parameters (H.264 profile, packetization-mode) answer unchanged.
    std::string_view fmtp = format.fmtp;
    while (!fmtp.empty()) {
        size_t end = fmtp.find(';');
        std::string_view item = fmtp.substr(0, end);
        while (!item.empty() && item.front() == ' ') {
            item.remove_prefix(1);
        }
        if (size_t eq = item.find('='); eq != std::string_view::npos && eq > 0) {
            gst_structure_set(s, std::string(item.substr(0, eq)).c_str(), G_TYPE_STRING,
                              std::string(item.substr(eq + 1)).c_str(), nullptr);
        }
        if (end == std::string_view::npos) {
            break;
        }
        fmtp.remove_prefix(end + 1);
    }
    return GRef<GstCaps>::adopt(caps);
}

} // namespace conf
