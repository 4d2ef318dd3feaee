#include "config/config_validator.hpp"

#include <fmt/format.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace conf::daemon {

namespace {

constexpr std::uint32_t kMaxTimeoutMs = 600000;

constexpr std::array<std::pair<std::string_view, LogLevel>, 4> kLogLevels{{
    {"error", LogLevel::kError},
    {"warning", LogLevel::kWarning},
    {"info", LogLevel::kInfo},
    {"debug", LogLevel::kDebug},
}};

class Problems {
  public:
    void add(std::string_view key, std::string_view problem) {
        text_ += fmt::format("{}{}: {}", text_.empty() ? "" : "\n", key, problem);
    }
    bool empty() const { return text_.empty(); }
    Status status() const { return invalid_argument(text_); }

  private:
    std::string text_; // one line per problem
};

std::optional<ListenAddress> check_listen(std::string_view key, const std::string& text,
                                          Problems& problems) {
    auto address = ListenAddress::parse(text);
    if (!address.is_ok()) {
        problems.add(key, address.status().message());
        return std::nullopt;
    }
    if (!address->is_loopback()) {
        problems.add(key, fmt::format("refusing to listen on {}: authentication and TLS are not "
                                      "implemented yet, so confd only listens on loopback; use "
                                      "127.0.0.1 or ::1",
                                      address->to_string()));
        return std::nullopt;
    }
    return std::move(address).value();
}

std::optional<std::chrono::milliseconds> check_timeout(std::string_view key, std::uint32_t ms,
                                                       Problems& problems) {
    if (ms < 1 || ms > kMaxTimeoutMs) {
        problems.add(key, fmt::format("{} is out of range 1-{} (milliseconds)", ms, kMaxTimeoutMs));
        return std::nullopt;
    }
    return std::chrono::milliseconds(ms);
}

} // namespace

Result<Settings> validate_config(const ::confd::v1::Config& config) {
    Problems problems;
    Settings settings;

    auto http = check_listen("http.listen", config.http().listen(), problems);
    auto grpc = check_listen("grpc.listen", config.grpc().listen(), problems);
    if (http && grpc && http->port != 0 && http->to_string() == grpc->to_string()) {
        problems.add("grpc.listen", fmt::format("{} is also http.listen; give each server its "
                                                "own port",
                                                grpc->to_string()));
    }

    if (config.data_dir().empty()) {
        problems.add("data_dir", "must not be empty (for example \"./var\")");
    }

    std::optional<LogLevel> level;
    for (const auto& [name, value] : kLogLevels) {
        if (config.log().level() == name) {
            level = value;
        }
    }
    if (!level) {
        problems.add("log.level", fmt::format("\"{}\" is not one of error, warning, info, debug",
                                              config.log().level()));
    }

    auto pipeline_stop = check_timeout("media.pipeline_stop_timeout_ms",
                                       config.media().pipeline_stop_timeout_ms(), problems);
    auto shutdown = check_timeout("shutdown_timeout_ms", config.shutdown_timeout_ms(), problems);

    if (!problems.empty()) {
        return problems.status();
    }
    settings.http = std::move(*http);
    settings.grpc = std::move(*grpc);
    settings.data_dir = config.data_dir();
    settings.log_level = *level;
    settings.pipeline_stop_timeout = *pipeline_stop;
    settings.shutdown_timeout = *shutdown;
    return settings;
}

} // namespace conf::daemon
