#include "console.hpp"

#include "g_handles.hpp"

#include <glib.h>

#include <cstdio>
#include <string>

namespace whip {

namespace {

// "2024-05-01T12:34:56.789Z"
std::string now_utc() {
    Owned<GDateTime, g_date_time_unref> now(g_date_time_new_now_utc());
    CharPtr text(g_date_time_format(now.get(), "%Y-%m-%dT%H:%M:%S"));
    char millis[16];
    std::snprintf(millis, sizeof(millis), ".%03dZ",
                  (g_date_time_get_microsecond(now.get()) / 1000) % 1000);
    return std::string(text.get()) + millis;
}

void write_line(std::FILE* stream, std::string_view line) {
    std::string text = now_utc() + " " + std::string(line) + "\n";
    std::fwrite(text.data(), 1, text.size(), stream);
    // Lines go out as they happen, also into a pipe or a log file.
    std::fflush(stream);
}

} // namespace

void say(std::string_view line) {
    write_line(stdout, line);
}

void complain(std::string_view line) {
    write_line(stderr, line);
}

} // namespace whip
