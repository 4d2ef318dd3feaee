// DiskWorker: one thread that runs a recorder's disk work (manifest writes with fsync,
// checksums of whole files) in the order it was posted, so the media thread never waits on a
// disk. Jobs report back by posting to the engine themselves.
#pragma once

#include "core/log.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

namespace conf {

class DiskWorker {
  public:
    // A job gets the worker's stop token: long jobs (checksums) give up when it is set.
    using Job = std::function<void(std::stop_token)>;

    DiskWorker(Logger logger, std::string thread_name);
    // Requests stop, lets the queued jobs run (they see the stop request) and joins.
    ~DiskWorker();
    DiskWorker(const DiskWorker&) = delete;
    DiskWorker& operator=(const DiskWorker&) = delete;

    // Any thread. The thread starts with the first job, so idle recorders cost none.
    void post(Job job);

  private:
    void run(const std::stop_token& stop) noexcept;

    Logger logger_;
    std::string thread_name_;
    std::mutex mutex_;
    std::condition_variable_any wake_;
    std::deque<Job> jobs_; // guarded by mutex_
    std::jthread thread_;  // started by the first post(), guarded by mutex_
};

} // namespace conf
