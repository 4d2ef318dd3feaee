/* One plugin source, built once per CONF_TEST_PLUGIN_* variant (tests/unit/plugin/
 * CMakeLists.txt): a good plugin, and one bad plugin per way the loader must refuse. */
#include <conf/conf_plugin.h>

#include <gst/gst.h>
#include <stdio.h>

#ifndef CONF_TEST_PLUGIN_GST_MINOR
#define CONF_TEST_PLUGIN_GST_MINOR GST_VERSION_MINOR
#endif
#ifndef CONF_TEST_PLUGIN_ABI
#define CONF_TEST_PLUGIN_ABI CONF_PLUGIN_ABI_MAJOR
#endif
#ifndef CONF_TEST_PLUGIN_NAME
#define CONF_TEST_PLUGIN_NAME "conftest"
#endif
#ifndef CONF_TEST_PLUGIN_CODEC
#define CONF_TEST_PLUGIN_CODEC "X-CONF-TEST"
#endif
#ifndef CONF_TEST_PLUGIN_PAYLOADER
#define CONF_TEST_PLUGIN_PAYLOADER "rtpL16pay"
#endif

/* The element the good plugin registers: an empty bin, so a test can see that init ran. */
typedef struct {
    GstBin parent;
} ConfTestBin;
typedef struct {
    GstBinClass parent_class;
} ConfTestBinClass;
G_DEFINE_TYPE(ConfTestBin, conf_test_bin, GST_TYPE_BIN)
static void conf_test_bin_class_init(ConfTestBinClass* klass) {
    gst_element_class_set_static_metadata(GST_ELEMENT_CLASS(klass), "conf test bin", "Generic",
                                          "Registered by the loader test plugin", "libconf");
}
static void conf_test_bin_init(ConfTestBin* self) {
    (void)self;
}

static int test_init(char* error, size_t error_size) {
#ifdef CONF_TEST_PLUGIN_INIT_FAILS
    snprintf(error, error_size, "no licence for this codec on this machine");
    return 3;
#elif defined(CONF_TEST_PLUGIN_NO_REGISTER)
    (void)error;
    (void)error_size;
    (void)conf_test_bin_get_type; /* the good plugin registered it (GType names are global) */
    return 0;
#else
    if (!gst_element_register(NULL, "conftestbin", GST_RANK_NONE, conf_test_bin_get_type())) {
        snprintf(error, error_size, "gst_element_register(conftestbin) failed");
        return 1;
    }
    return 0;
#endif
}

static const conf_codec_v1 test_codecs[] = {{
    sizeof(conf_codec_v1),
    CONF_TEST_PLUGIN_CODEC,
    "x-conf-test",
    CONF_MEDIA_AUDIO,
    48000,
    1,
    "audio/x-raw,format=S16BE,rate=48000,channels=1",
    CONF_TEST_PLUGIN_PAYLOADER,
    "rtpL16depay",
    NULL,
    NULL,
    NULL,
    10,
    NULL,
    0,
}};

static const conf_encoder_v1 test_encoders[] = {{
    sizeof(conf_encoder_v1),
    CONF_TEST_PLUGIN_CODEC,
    "confteststubenc", /* no such element: listed, never available */
    500,
    1,
    NULL,
    NULL,
    0,
    NULL,
}};

static const conf_plugin_v1 test_plugin = {
    CONF_TEST_PLUGIN_ABI,
#ifdef CONF_TEST_PLUGIN_SHORT
    8,
#else
    sizeof(conf_plugin_v1),
#endif
    GST_VERSION_MAJOR,
    CONF_TEST_PLUGIN_GST_MINOR,
    CONF_TEST_PLUGIN_NAME,
    "1.2.3",
    test_init,
    test_codecs,
    1,
    test_encoders,
    1,
};

#ifdef CONF_TEST_PLUGIN_NO_ENTRY
CONF_PLUGIN_EXPORT const conf_plugin_v1* conf_plugin_entry(void);
const conf_plugin_v1* conf_plugin_entry(void) {
    return &test_plugin;
}
#else
CONF_PLUGIN_EXPORT const conf_plugin_v1* conf_plugin_entry_v1(void);
const conf_plugin_v1* conf_plugin_entry_v1(void) {
#ifdef CONF_TEST_PLUGIN_NULL
    (void)test_plugin;
    return NULL;
#else
    return &test_plugin;
#endif
}
#endif
