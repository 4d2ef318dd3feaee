// Logger: fmt-formatted log lines through GStreamer debug categories named `conf-<module>`,
// so `GST_DEBUG=conf-*:5,webrtcbin:4` controls ours and GStreamer's output together.
// A Logger carries the ids of what it logs for (room, endpoint, ...) and prefixes every line
// with them: `[room=r1 endpoint=e7] ICE connected`. Never pass tokens or keys to a Logger.
#pragma once

#include <fmt/format.h>
#include <gst/gst.h>

#include <source_location>
#include <string>
#include <string_view>
#include <type_traits>

namespace conf {

// The category `conf-<module>`, registered once; safe from any thread.
GstDebugCategory* log_category(std::string_view module);

class Logger {
  public:
    // A format string that also records where it was written, for GStreamer's file:line field.
    template <typename... Args>
    struct Format {
        template <typename S>
        consteval Format(const S& s, std::source_location loc = std::source_location::current())
            : str(s), where(loc) {}
        fmt::format_string<Args...> str;
        std::source_location where;
    };

    explicit Logger(std::string_view module);

    // A copy that adds `key=value` to every line's prefix.
    [[nodiscard]] Logger with(std::string_view key, std::string_view value) const;

    template <typename... Args>
    void error(Format<std::type_identity_t<Args>...> f, Args&&... args) const {
        log(GST_LEVEL_ERROR, f.where, f.str, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void warn(Format<std::type_identity_t<Args>...> f, Args&&... args) const {
        log(GST_LEVEL_WARNING, f.where, f.str, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void info(Format<std::type_identity_t<Args>...> f, Args&&... args) const {
        log(GST_LEVEL_INFO, f.where, f.str, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void debug(Format<std::type_identity_t<Args>...> f, Args&&... args) const {
        log(GST_LEVEL_DEBUG, f.where, f.str, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void trace(Format<std::type_identity_t<Args>...> f, Args&&... args) const {
        log(GST_LEVEL_TRACE, f.where, f.str, std::forward<Args>(args)...);
    }

    bool enabled(GstDebugLevel level) const noexcept {
        return gst_debug_category_get_threshold(category_) >= level;
    }
    const std::string& context() const noexcept { return context_; }

  private:
    template <typename... Args>
    void log(GstDebugLevel level, const std::source_location& where,
             fmt::format_string<Args...> str, Args&&... args) const {
        // Formatting is skipped entirely when the category is below `level`.
        if (enabled(level)) {
            write(level, where, fmt::format(str, std::forward<Args>(args)...));
        }
    }
    void write(GstDebugLevel level, const std::source_location& where,
               std::string_view message) const;

    GstDebugCategory* category_;
    std::string context_;
};

} // namespace conf
