/* The transcode plugin: hardware encoders for libconf's transcoder (libconf/src/transcode),
 * ranked above the built-in software encoders. It registers no element: it lists GStreamer's
 * own hardware encoders with real-time settings. On a machine without the device or driver,
 * an encoder fails to reach READY and the transcoder falls back to the next one, down to
 * software (x264enc, vp8enc), with one log line.
 *
 * None of these were tried on real hardware (this project's machines have none); the
 * property names come from each element's documentation for GStreamer 1.22. A wrong name
 * only makes that encoder skipped, with the reason logged. */
#include <conf/conf_plugin.h>

#include <gst/gst.h>

#define ENCODER(codec, factory, rank, properties, bitrate, unit, keyframe)                         \
    { sizeof(conf_encoder_v1), codec, factory, rank, 1, properties, bitrate, unit, keyframe }

static const conf_encoder_v1 hardware_encoders[] = {
    /* VA-API, the newer "va" plugin (gst-plugins-bad): Intel and AMD on Linux. */
    ENCODER("H264", "vah264enc", 300, "rate-control=cbr target-usage=7 b-frames=0", "bitrate", 1000,
            "key-int-max"),
    ENCODER("H264", "vah264lpenc", 290, "rate-control=cbr target-usage=7 b-frames=0", "bitrate",
            1000, "key-int-max"),
    /* VA-API, the older gstreamer-vaapi plugin. */
    ENCODER("H264", "vaapih264enc", 280, "rate-control=cbr tune=low-power max-bframes=0", "bitrate",
            1000, "keyframe-period"),
    /* NVIDIA NVENC (gst-plugins-bad nvcodec). */
    ENCODER("H264", "nvh264enc", 270,
            "preset=low-latency-hq rc-mode=cbr zerolatency=true bframes=0", "bitrate", 1000,
            "gop-size"),
    /* V4L2 memory-to-memory encoders (Raspberry Pi and other SoCs). Bitrate and GOP go
     * through extra-controls there, which differ per driver: left at the driver's defaults. */
    ENCODER("H264", "v4l2h264enc", 260, NULL, NULL, 1, NULL),
    ENCODER("VP8", "vavp8enc", 300, "rate-control=cbr target-usage=7", "bitrate", 1000,
            "key-int-max"),
    ENCODER("VP8", "vaapivp8enc", 280, "rate-control=cbr", "bitrate", 1000, "keyframe-period"),
    ENCODER("VP8", "v4l2vp8enc", 260, NULL, NULL, 1, NULL),
};

static const conf_plugin_v1 transcode_plugin = {
    CONF_PLUGIN_ABI_MAJOR,
    sizeof(conf_plugin_v1),
    GST_VERSION_MAJOR,
    GST_VERSION_MINOR,
    "transcode",
    CONF_PLUGIN_VERSION,
    NULL, /* nothing to register */
    NULL,
    0,
    hardware_encoders,
    sizeof hardware_encoders / sizeof hardware_encoders[0],
};

CONF_PLUGIN_EXPORT const conf_plugin_v1* conf_plugin_entry_v1(void);
const conf_plugin_v1* conf_plugin_entry_v1(void) {
    return &transcode_plugin;
}
