// sfu-load: the load generator of tests/bench/sfu_vs_janus (see run.sh there). It publishes
// P copies of one pre-encoded VP8 stream to an SFU and subscribes S receivers to each, which
// decode and count frames, so the server's forwarding can be measured from outside. Two
// servers: confd (WHIP/WHEP) and Janus's videoroom (REST API).
//
//   sfu-load --target confd --url http://127.0.0.1:8080 [--room bench]
//   sfu-load --target janus --url http://127.0.0.1:8088/janus [--room 1234]
//       [--publishers 2] [--subscribers 3] [--bitrate 800000] [--join-interval-ms 1500]
//       [--duration S] [--ready-timeout S]
//
// Progress goes to stderr; stdout carries JSON lines (see load_run.hpp). SIGUSR1 prints the
// frames decoded so far; SIGINT/SIGTERM end every session and print the final line.
#include "load_run.hpp"

#include "core/g_unique.hpp"

#include <fmt/format.h>
#include <gst/gst.h>

#include <cstdio>

namespace sfuload {

namespace {

gint64 g_started_us = 0;

} // namespace

void say(const std::string& text) {
    std::string line =
        fmt::format("[sfu-load +{:.3f}s] {}\n",
                    static_cast<double>(g_get_monotonic_time() - g_started_us) / 1e6, text);
    std::fputs(line.c_str(), stderr);
}

} // namespace sfuload

int main(int argc, char** argv) {
    sfuload::g_started_us = g_get_monotonic_time();
    gchar* target = nullptr;
    gchar* url = nullptr;
    gchar* room = nullptr;
    gchar* ice_address = nullptr;
    sfuload::LoadOptions options;
    int bitrate = options.encoder.bitrate;
    double duration = 0;
    double ready_timeout = options.ready_timeout_s;
    const GOptionEntry entries[] = {
        {"target", 't', 0, G_OPTION_ARG_STRING, &target, "confd (WHIP/WHEP) or janus (videoroom)",
         "NAME"},
        {"url", 'u', 0, G_OPTION_ARG_STRING, &url,
         "confd: http://127.0.0.1:PORT; janus: http://127.0.0.1:PORT/janus", "URL"},
        {"room", 'r', 0, G_OPTION_ARG_STRING, &room, "Room (default: bench / 1234)", "ROOM"},
        {"publishers", 'p', 0, G_OPTION_ARG_INT, &options.publishers, "Publishers (default 2)",
         "P"},
        {"subscribers", 's', 0, G_OPTION_ARG_INT, &options.subscribers_per_publisher,
         "Subscribers per publisher (default 3)", "S"},
        {"bitrate", 'b', 0, G_OPTION_ARG_INT, &bitrate,
         "VP8 target bitrate, bits/s (default 800000)", "BPS"},
        {"duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration,
         "Stop this long after every subscriber decodes (default: at SIGINT/SIGTERM)", "S"},
        {"ready-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &ready_timeout,
         "Fail if not every subscriber decodes by then (default: 30 + 5 per subscriber + joins)",
         "S"},
        {"join-interval-ms", 0, 0, G_OPTION_ARG_INT, &options.join_interval_ms,
         "Least time between two subscribers' starts (default 1500)", "MS"},
        {"ice-address", 0, 0, G_OPTION_ARG_STRING, &ice_address,
         "The only address for ICE candidates (default 127.0.0.1)", "IP"},
        {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr},
    };
    GOptionContext* context =
        g_option_context_new("- load an SFU with WebRTC publishers and subscribers");
    g_option_context_add_main_entries(context, entries, nullptr);
    g_option_context_add_group(context, gst_init_get_option_group());
    conf::GUnique<GError> error;
    bool parsed = g_option_context_parse(context, &argc, &argv, error.out()) != FALSE;
    g_option_context_free(context);
    conf::GUnique<gchar> target_text(target);
    conf::GUnique<gchar> url_text(url);
    conf::GUnique<gchar> room_text(room);
    conf::GUnique<gchar> ice_text(ice_address);
    if (!parsed) {
        std::fprintf(stderr, "sfu-load: %s (--help lists the options)\n", error->message);
        return 2;
    }
    options.target = target != nullptr ? target : "";
    if (options.target != "confd" && options.target != "janus") {
        std::fprintf(stderr, "sfu-load: --target must be confd or janus\n");
        return 2;
    }
    if (url == nullptr) {
        std::fprintf(stderr, "sfu-load: --url is required\n");
        return 2;
    }
    options.url = url;
    options.room = room != nullptr ? room : (options.target == "janus" ? "1234" : "bench");
    if (options.target == "janus" &&
        options.room.find_first_not_of("0123456789") != std::string::npos) {
        std::fprintf(stderr, "sfu-load: a Janus room is a number\n");
        return 2;
    }
    if (ice_address != nullptr) {
        options.ice_address = ice_address;
    }
    if (options.publishers < 1 || options.subscribers_per_publisher < 1 || bitrate < 10000 ||
        duration < 0 || ready_timeout < 0 || options.join_interval_ms < 0) {
        std::fprintf(stderr, "sfu-load: publishers and subscribers must be >= 1, the bitrate "
                             ">= 10000, the times positive\n");
        return 2;
    }
    options.encoder.bitrate = bitrate;
    options.duration_s = duration;
    options.ready_timeout_s = ready_timeout;
    gst_init(&argc, &argv);
    int code = 0;
    {
        sfuload::LoadRun run(std::move(options));
        code = run.run();
    }
    gst_deinit();
    return code;
}
