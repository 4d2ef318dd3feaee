#include "support/confd_process.hpp"

#include "core/g_unique.hpp"

#include <csignal>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <sys/prctl.h>

namespace conf::test {

namespace {

std::string read_all(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

ConfdProcess::ConfdProcess(const std::vector<std::string>& args)
    : context_(GRef<GMainContext>::adopt(g_main_context_new())) {
    auto launcher =
        GRef<GSubprocessLauncher>::adopt(g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE));
    g_subprocess_launcher_set_cwd(launcher.get(), dir_.path().c_str());
    g_subprocess_launcher_set_stdout_file_path(launcher.get(), (dir_.path() / "stdout").c_str());
    g_subprocess_launcher_set_stderr_file_path(launcher.get(), (dir_.path() / "stderr").c_str());
    g_subprocess_launcher_unsetenv(launcher.get(), "GST_DEBUG");
    // Even if this test process dies without running destructors (a ctest timeout kills it),
    // the kernel takes confd down with it.
    g_subprocess_launcher_set_child_setup(
        launcher.get(), [](gpointer) { prctl(PR_SET_PDEATHSIG, SIGKILL); }, nullptr, nullptr);

    std::vector<const char*> argv{CONFD_PATH};
    for (const std::string& arg : args) {
        argv.push_back(arg.c_str());
    }
    argv.push_back(nullptr);
    GUnique<GError> error;
    process_ = GRef<GSubprocess>::adopt(
        g_subprocess_launcher_spawnv(launcher.get(), argv.data(), error.out()));
    if (!process_) {
        throw std::runtime_error(std::string("cannot start " CONFD_PATH ": ") + error->message);
    }
    // The exit notification is delivered on our private context, which pump_until() runs.
    g_main_context_push_thread_default(context_.get());
    g_subprocess_wait_async(process_.get(), nullptr, &ConfdProcess::on_exited, this);
    g_main_context_pop_thread_default(context_.get());
}

ConfdProcess::~ConfdProcess() {
    if (!exited_) {
        g_subprocess_force_exit(process_.get()); // SIGKILL
        pump_until([this] { return exited_; }, std::chrono::seconds(10));
    }
}

void ConfdProcess::on_exited(GObject* source, GAsyncResult* result, gpointer self) noexcept {
    g_subprocess_wait_finish(G_SUBPROCESS(source), result, nullptr);
    static_cast<ConfdProcess*>(self)->exited_ = true;
}

template <typename Done>
bool ConfdProcess::pump_until(Done done, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        while (g_main_context_iteration(context_.get(), FALSE)) {
        }
        if (done()) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

bool ConfdProcess::wait_listening(std::chrono::milliseconds timeout) {
    static const std::regex kLine(R"(^confd listening on (http://\S+/) \(grpc (\S+)\)$)");
    auto found = [&] {
        std::istringstream out(stdout_text());
        std::string line;
        // Only complete lines: the last may still be being written.
        while (std::getline(out, line) && !out.eof()) {
            std::smatch match;
            if (std::regex_match(line, match, kLine)) {
                http_url_ = match[1];
                grpc_address_ = match[2];
                return true;
            }
        }
        return false;
    };
    // Look once more after an exit: the line may have been written just before it.
    return pump_until([&] { return found() || exited_; }, timeout) && found();
}

void ConfdProcess::send_signal(int signum) {
    if (!exited_) {
        g_subprocess_send_signal(process_.get(), signum);
    }
}

std::optional<int> ConfdProcess::wait_exit(std::chrono::milliseconds timeout) {
    if (!pump_until([this] { return exited_; }, timeout)) {
        return std::nullopt;
    }
    if (g_subprocess_get_if_exited(process_.get())) {
        return g_subprocess_get_exit_status(process_.get());
    }
    return 128 + g_subprocess_get_term_sig(process_.get());
}

std::string ConfdProcess::stdout_text() const {
    return read_all(dir_.path() / "stdout");
}

std::string ConfdProcess::stderr_text() const {
    return read_all(dir_.path() / "stderr");
}

ConfdRun run_confd(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
    ConfdProcess process(args);
    ConfdRun run;
    run.exit_code = process.wait_exit(timeout).value_or(-1);
    run.out = process.stdout_text();
    run.err = process.stderr_text();
    return run;
}

} // namespace conf::test
