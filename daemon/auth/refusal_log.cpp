#include "auth/refusal_log.hpp"

namespace conf::daemon {

void RefusalLog::refused(const std::string& line) {
    auto now = std::chrono::steady_clock::now();
    std::uint64_t left_out = 0;
    bool write = false;
    {
        std::lock_guard lock(mutex_);
        if (now - window_start_ >= interval_) {
            left_out = left_out_;
            window_start_ = now;
            written_ = 0;
            left_out_ = 0;
        }
        write = written_ < burst_;
        if (write) {
            ++written_;
        } else {
            ++left_out_;
        }
    }
    if (left_out > 0) {
        logger_.warn("{} more refusals in the last {} s were not logged", left_out,
                     interval_.count());
    }
    if (write) {
        logger_.warn("{}", line);
    }
}

} // namespace conf::daemon
