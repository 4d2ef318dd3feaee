// Catch2 main for every libconf test binary: GStreamer is initialised once, before any test,
// and deinitialised after the last so leak checks (GST_TRACERS=leaks) see a complete run.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <gst/gst.h>

int main(int argc, char* argv[]) {
    gst_init(nullptr, nullptr);
    int result = Catch::Session().run(argc, argv);
    gst_deinit();
    return result;
}
