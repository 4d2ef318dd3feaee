#include "core/log.hpp"

#include <cstring>
#include <map>
#include <mutex>

namespace conf {

GstDebugCategory* log_category(std::string_view module) {
    static std::mutex mutex;
    static std::map<std::string, GstDebugCategory*, std::less<>> categories;
    std::lock_guard lock(mutex);
    if (auto it = categories.find(module); it != categories.end()) {
        return it->second;
    }
    std::string name = fmt::format("conf-{}", module);
    // _gst_debug_category_new is what GST_DEBUG_CATEGORY_INIT expands to; categories live for
    // the whole process, as GStreamer's own do.
    GstDebugCategory* category =
        _gst_debug_category_new(name.c_str(), 0, fmt::format("libconf {}", module).c_str());
    categories.emplace(std::string(module), category);
    return category;
}

namespace {

// "static conf::Result<...> conf::daemon::HttpServer::start(const ...)" → "HttpServer::start":
// GCC's full signatures would otherwise make every line hundreds of characters long.
std::string short_function_name(std::string_view full) {
    std::string_view name = full.substr(0, full.find('('));
    if (size_t space = name.rfind(' '); space != std::string_view::npos) {
        name.remove_prefix(space + 1);
    }
    size_t last = name.rfind("::");
    if (last != std::string_view::npos && last > 0) {
        size_t previous = name.rfind("::", last - 1);
        if (previous != std::string_view::npos) {
            name.remove_prefix(previous + 2);
        }
    }
    return std::string(name);
}

// "/work/main/libconf/src/core/engine.cpp" → "engine.cpp".
const char* base_name(const char* path) {
    const char* slash = std::strrchr(path, '/');
    return slash != nullptr ? slash + 1 : path;
}

} // namespace

Logger::Logger(std::string_view module) : category_(log_category(module)) {}

Logger Logger::with(std::string_view key, std::string_view value) const {
    Logger copy = *this;
    copy.context_ += fmt::format("{}{}={}", copy.context_.empty() ? "" : " ", key, value);
    return copy;
}

void Logger::write(GstDebugLevel level, const std::source_location& where,
                   std::string_view message) const {
    std::string function = short_function_name(where.function_name());
    const char* file = base_name(where.file_name());
    if (context_.empty()) {
        gst_debug_log(category_, level, file, function.c_str(), static_cast<gint>(where.line()),
                      nullptr, "%.*s", static_cast<int>(message.size()), message.data());
    } else {
        gst_debug_log(category_, level, file, function.c_str(), static_cast<gint>(where.line()),
                      nullptr, "[%s] %.*s", context_.c_str(), static_cast<int>(message.size()),
                      message.data());
    }
}

} // namespace conf
