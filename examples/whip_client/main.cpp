// whip-client: publishes a test pattern (or any payloaded GStreamer sources) to a WHIP
// endpoint. See README.md for the options and examples.
#include "options.hpp"
#include "whip_client.hpp"

#include <gio/gio.h>
#include <gst/gst.h>

#include <cstdio>

int main(int argc, char** argv) {
    // GLib 2.74 can deadlock when libsoup's class init and libnice's ICE thread register these
    // types at the same moment; register them before any thread exists.
    g_type_ensure(G_TYPE_INET_ADDRESS);
    g_type_ensure(G_TYPE_INET_SOCKET_ADDRESS);
    gst_init(&argc, &argv); // takes GStreamer's own --gst-* options out of argv
    whip::ParsedOptions parsed = whip::parse_options(argc, argv);
    if (parsed.help) {
        std::fputs(whip::usage().c_str(), stdout);
        return 0;
    }
    if (!parsed.options) {
        std::fprintf(stderr, "whip-client: %s\n(whip-client --help lists the options)\n",
                     parsed.error.c_str());
        return 2;
    }
    whip::WhipClient client(std::move(*parsed.options));
    return client.run();
}
