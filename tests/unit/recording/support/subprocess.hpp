// Child processes for tests: run a tool to completion with a deadline (ffprobe, sha256sum),
// or keep one running, read its output line by line and kill it (the crash test). Every wait
// is bounded; a child still running when its handle goes is killed and reaped.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace conf::test {

struct ProcessOutput {
    int exit_code = -1; // -1 when it did not exit normally (signal, timeout)
    bool timed_out = false;
    std::string out;
    std::string err;
};

// Runs argv[0] (looked up in PATH) and collects stdout and stderr.
ProcessOutput run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

class ChildProcess {
  public:
    // Starts argv[0] with stdout on a pipe (read_line) and stderr inherited.
    explicit ChildProcess(const std::vector<std::string>& argv);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const noexcept { return pid_; }
    // The next line of stdout, without the newline; nullopt on EOF or timeout.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    void kill(int signal);
    // The raw wait status once the child has exited; nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);

  private:
    pid_t pid_ = -1;
    int stdout_fd_ = -1;
    std::string buffered_;
    std::optional<int> status_;
};

} // namespace conf::test
