// conf-av1.so: the AV1 codec for libconf (conf_plugin.h). GStreamer 1.22 has libaom's av1enc
// and av1dec and av1parse but no AV1 RTP elements; this plugin adds confrtpav1pay and
// confrtpav1depay and describes the codec around them.
#include "av1_elements.hpp"

#include <conf/conf_plugin.h>

#include <gst/gst.h>

#include <exception>
#include <string>

#ifndef CONF_AV1_PLUGIN_VERSION
#error "CONF_AV1_PLUGIN_VERSION must be defined by the build"
#endif

namespace {

int init(char* error, size_t error_size) noexcept {
    std::string reason;
    try {
        if (conf::av1::register_elements(reason)) {
            return 0;
        }
    } catch (const std::exception& e) {
        reason = e.what();
    }
    if (error != nullptr && error_size > 0) {
        g_strlcpy(error, reason.empty() ? "registration failed" : reason.c_str(), error_size);
    }
    return 1;
}

const conf_codec_v1 kCodecs[] = {{
    sizeof(conf_codec_v1),
    "AV1",
    "av1",
    CONF_MEDIA_VIDEO,
    90000,
    0,
    "video/x-av1,stream-format=obu-stream,alignment=tu",
    conf::av1::kPayloaderName,
    conf::av1::kDepayloaderName,
    "av1parse",
    "av1enc",
    "av1dec",
    250,
    // The RTP spec (7.1) wants profile and level-idx from any receiver; these are Chromium's
    // defaults (Main profile, level 3.1, Main tier), so offers and answers match browsers'.
    // libaom decodes any level; the encoder side makes Main (4:2:0, 8 bit) from I420 input.
    "level-idx=5;profile=0;tier=0",
    CONF_CONTAINER_MATROSKA | CONF_CONTAINER_WEBM | CONF_CONTAINER_MP4,
}};

const conf_encoder_v1 kEncoders[] = {{
    sizeof(conf_encoder_v1),
    "AV1",
    "av1enc",
    100,
    0,
    // libaom's real-time mode as libwebrtc configures it: one pass, no look-ahead, CBR with a
    // 1 s buffer. av1enc defaults max-quantizer to 0, with which libaom 3.6 aborts the process
    // in CBR (ratectrl.c assertion), so the quantizer range must be given.
    "usage-profile=realtime cpu-used=9 end-usage=cbr lag-in-frames=0 threads=4 row-mt=true "
    "min-quantizer=10 max-quantizer=56 buf-sz=1000 buf-initial-sz=600 buf-optimal-sz=600 "
    "undershoot-pct=50 overshoot-pct=50",
    "target-bitrate",
    1000,
    "keyframe-max-dist",
}};

const conf_plugin_v1 kPlugin = {
    CONF_PLUGIN_ABI_MAJOR,
    sizeof(conf_plugin_v1),
    GST_VERSION_MAJOR,
    GST_VERSION_MINOR,
    "av1",
    CONF_AV1_PLUGIN_VERSION,
    init,
    kCodecs,
    sizeof kCodecs / sizeof kCodecs[0],
    kEncoders,
    sizeof kEncoders / sizeof kEncoders[0],
};

} // namespace

extern "C" CONF_PLUGIN_EXPORT const conf_plugin_v1* conf_plugin_entry_v1(void) {
    return &kPlugin;
}
