/* conf_plugin.h: the stable C ABI between libconf and its loadable plugins.
 *
 * A plugin is a shared object exporting exactly one function:
 *
 *     const conf_plugin_v1* conf_plugin_entry_v1(void);
 *
 * It returns a pointer to a static conf_plugin_v1 that stays valid for the life of the process
 * (libconf never unloads a plugin). libconf checks every field before it calls `init`:
 *   - abi_major must equal CONF_PLUGIN_ABI_MAJOR and struct_size must be at least
 *     sizeof(conf_plugin_v1) as this header defines it (a later minor version may only append
 *     fields, so a larger struct is accepted and the tail ignored);
 *   - gst_major must equal the running GStreamer's major, and gst_minor must not be newer
 *     than the running minor (a plugin built against 1.24 may use symbols 1.22 lacks);
 *   - name and version must be non-empty; names are unique among loaded plugins;
 *   - every codec descriptor must be complete (see conf_codec_v1) and its encoding name must
 *     not repeat a built-in codec's or another plugin's.
 * Then `init` runs once, on the thread that loads plugins, after gst_init(). It registers the
 * plugin's GStreamer elements (gst_element_register with a NULL plugin) and returns 0, or
 * writes a NUL-terminated reason into `error` (at most error_size bytes) and returns non-zero;
 * the plugin is then refused and none of its codecs or encoders are used.
 *
 * Only C here: no C++ types, no GStreamer types (strings are plain char*), fixed-width
 * integers, so a plugin can be built by any compiler against any C++ standard library.
 */
#ifndef CONF_PLUGIN_H
#define CONF_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CONF_PLUGIN_ABI_MAJOR 1u
#define CONF_PLUGIN_ENTRY_SYMBOL "conf_plugin_entry_v1"

typedef enum conf_media_kind { CONF_MEDIA_AUDIO = 1, CONF_MEDIA_VIDEO = 2 } conf_media_kind;

/* Containers a recording can hold a codec in, as bits of conf_codec_v1.containers. */
#define CONF_CONTAINER_MATROSKA 0x1u /* matroskamux (.mkv) */
#define CONF_CONTAINER_WEBM 0x2u     /* webmmux (.webm); implies Matroska */
#define CONF_CONTAINER_MP4 0x4u      /* mp4mux, fragmented (.mp4) */

/* One codec spoken over RTP. Strings are static and never freed. */
typedef struct conf_codec_v1 {
    uint32_t struct_size;       /* sizeof(conf_codec_v1) */
    const char* encoding_name;  /* RTP encoding name as in a=rtpmap, upper case: "AV1" */
    const char* recording_name; /* lower case name in recording manifests: "av1" */
    uint32_t kind;              /* conf_media_kind */
    uint32_t clock_rate;        /* RTP clock rate: 90000 for video */
    uint32_t channels;          /* audio channels; 0 for video */
    /* Caps of the encoded elementary stream the depayloader produces and the payloader takes:
     * "video/x-av1,stream-format=obu-stream,alignment=tu". */
    const char* caps;
    /* GStreamer element factory names. payloader and depayloader are required; parser may be
     * NULL (the depayloader's output goes straight to a muxer or decoder); encoder and decoder
     * may be NULL (the codec can then be forwarded and recorded but not transcoded). */
    const char* payloader;
    const char* depayloader;
    const char* parser;
    const char* encoder;
    const char* decoder;
    /* Preference among codecs of one kind when libconf makes an offer: higher first. The
     * built-ins rank VP8 300, H264 290, VP9 270, OPUS 300 (see docs/plugins.md). */
    int32_t rank;
    /* fmtp parameters libconf offers for this codec ("profile=0"), or NULL for none. */
    const char* fmtp;
    /* CONF_CONTAINER_* bits: where a pass-through recording may put this codec. */
    uint32_t containers;
} conf_codec_v1;

/* An encoder a transcoder may pick for a codec, in rank order, falling back to the next when
 * its factory is missing or does not initialise (no device, no driver). */
typedef struct conf_encoder_v1 {
    uint32_t struct_size;      /* sizeof(conf_encoder_v1) */
    const char* encoding_name; /* the codec it produces: "H264" */
    const char* factory;       /* GStreamer element factory: "vah264enc" */
    int32_t rank;              /* higher first */
    uint32_t hardware;         /* 1 for a hardware encoder, 0 for software */
    /* Properties set on the element for real-time use, as "name=value" pairs separated by
     * spaces ("tune=zerolatency speed-preset=veryfast"), or NULL. The bitrate and keyframe
     * interval are set by libconf through bitrate_property and keyframe_property. */
    const char* properties;
    const char* bitrate_property;  /* property taking the target bitrate, or NULL */
    uint32_t bitrate_unit;         /* bits per second per unit: 1000 for kbit/s, 1 for bit/s */
    const char* keyframe_property; /* property taking the keyframe interval in frames, or NULL */
} conf_encoder_v1;

typedef struct conf_plugin_v1 {
    uint32_t abi_major;   /* CONF_PLUGIN_ABI_MAJOR */
    uint32_t struct_size; /* sizeof(conf_plugin_v1) */
    uint32_t gst_major;   /* GST_VERSION_MAJOR the plugin was built against */
    uint32_t gst_minor;   /* GST_VERSION_MINOR the plugin was built against */
    const char* name;     /* unique, [a-z0-9_-]: "av1" */
    const char* version;  /* free text: "1.0.0" */
    /* Registers the plugin's GStreamer elements. 0 on success; otherwise writes the reason
     * into error (NUL-terminated, at most error_size bytes) and returns non-zero. May be
     * NULL when the plugin only describes elements GStreamer already has. */
    int (*init)(char* error, size_t error_size);
    const conf_codec_v1* codecs;
    uint32_t codec_count;
    const conf_encoder_v1* encoders;
    uint32_t encoder_count;
} conf_plugin_v1;

typedef const conf_plugin_v1* (*conf_plugin_entry_v1_fn)(void);

/* Put before the plugin's definition of conf_plugin_entry_v1, so it is exported even when the
 * plugin is built with hidden visibility. */
#if defined(__GNUC__)
#define CONF_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define CONF_PLUGIN_EXPORT
#endif

#ifdef __cplusplus
}
#endif

#endif /* CONF_PLUGIN_H */
