#include "recording/disk_worker.hpp"

#include <exception>

#include <pthread.h>

namespace conf {

DiskWorker::DiskWorker(Logger logger, std::string thread_name)
    : logger_(std::move(logger)), thread_name_(std::move(thread_name)) {}

DiskWorker::~DiskWorker() {
    std::jthread thread;
    {
        std::lock_guard lock(mutex_);
        thread = std::move(thread_);
    }
    if (thread.joinable()) {
        thread.request_stop();
        thread.join();
    }
}

void DiskWorker::post(Job job) {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
    if (!thread_.joinable()) {
        thread_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
    }
    wake_.notify_one();
}

void DiskWorker::run(const std::stop_token& stop) noexcept {
    // Linux limits thread names to 15 characters.
    pthread_setname_np(pthread_self(), thread_name_.substr(0, 15).c_str());
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, stop, [this] { return !jobs_.empty(); });
            if (jobs_.empty()) {
                return; // stop requested and nothing left to do
            }
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        try {
            job(stop);
        } catch (const std::exception& e) {
            logger_.error("disk job threw: {}", e.what());
        } catch (...) {
            logger_.error("disk job threw an unknown exception");
        }
    }
}

} // namespace conf
