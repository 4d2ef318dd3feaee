// RefusalLog: how confd logs refused credentials. Anyone who can reach a port can be refused
// at will, so past a burst the lines are counted instead of written, and one line per
// interval says how many were left out. Any thread.
#pragma once

#include "core/log.hpp"

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace conf::daemon {

class RefusalLog {
  public:
    explicit RefusalLog(Logger logger, std::uint32_t burst = 20,
                        std::chrono::seconds interval = std::chrono::seconds(60))
        : logger_(std::move(logger)), burst_(burst), interval_(interval) {}

    // Writes `line` as a warning unless this interval's burst is used up.
    void refused(const std::string& line);

  private:
    Logger logger_;
    const std::uint32_t burst_;
    const std::chrono::seconds interval_;
    std::mutex mutex_;
    std::chrono::steady_clock::time_point window_start_{};
    std::uint32_t written_ = 0;
    std::uint64_t left_out_ = 0;
};

} // namespace conf::daemon
