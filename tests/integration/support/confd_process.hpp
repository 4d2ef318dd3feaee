// ConfdProcess: one confd child process for a test, spawned with GSubprocess.
//
// Its stdout and stderr go to files in a private temporary directory, which is also its
// working directory (so the default relative data_dir lands there, not in the build tree).
// Files rather than pipes: a chatty child can never block on a full pipe, and the whole output
// stays readable after it exits. The destructor kills a child that is still running and
// waits for it, so no test leaves a process behind.
#pragma once

#include "core/g_ref.hpp"
#include "support/temp_dir.hpp"

#include <gio/gio.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace conf::test {

class ConfdProcess {
  public:
    // Starts CONFD_PATH with `args`. GST_DEBUG is removed from its environment so its stderr
    // is the same whatever the test runner has set.
    explicit ConfdProcess(const std::vector<std::string>& args);
    ~ConfdProcess();
    ConfdProcess(const ConfdProcess&) = delete;
    ConfdProcess& operator=(const ConfdProcess&) = delete;

    // Waits for the "confd listening on http://HOST:PORT/ (grpc HOST:PORT)" line. False if
    // confd exited first or the timeout passed.
    bool wait_listening(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // From that line: "http://127.0.0.1:PORT/" and "127.0.0.1:PORT".
    const std::string& http_url() const { return http_url_; }
    const std::string& grpc_address() const { return grpc_address_; }

    void send_signal(int signum);
    // The exit code if confd ended within `timeout` (128 + N if signal N killed it).
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);
    bool running() const { return !exited_; }

    std::string stdout_text() const;
    std::string stderr_text() const;
    // confd's working directory.
    const std::filesystem::path& work_dir() const { return dir_.path(); }

  private:
    // Runs what is due on our private context (the exit notification) until `done()` or the
    // timeout.
    template <typename Done>
    bool pump_until(Done done, std::chrono::milliseconds timeout);
    static void on_exited(GObject* source, GAsyncResult* result, gpointer self) noexcept;

    TempDir dir_;
    GRef<GMainContext> context_;
    GRef<GSubprocess> process_;
    bool exited_ = false;
    std::string http_url_;
    std::string grpc_address_;
};

// The outcome of running confd to completion.
struct ConfdRun {
    int exit_code = -1; // -1: did not finish in time (then it was killed)
    std::string out;
    std::string err;
};

// Runs confd with `args` until it exits, for command-line checks.
ConfdRun run_confd(const std::vector<std::string>& args,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

} // namespace conf::test
