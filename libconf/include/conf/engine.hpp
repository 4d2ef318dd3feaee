// Engine: owns the media thread, the one thread that touches pipelines, rooms and recorders.
// Any thread may post work to it; see docs/architecture.md, "Threads".
#pragma once

#include <conf/export.hpp>
#include <conf/status.hpp>

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <type_traits>

namespace conf {

// A move-only `void()` callable, so tasks can own what they carry (std::function cannot hold
// a lambda that captures a unique_ptr).
class Task {
  public:
    Task() = default;
    template <typename F,
              typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, Task> &&
                                          std::is_invocable_r_v<void, std::decay_t<F>&>>>
    Task(F&& fn) : callable_(std::make_unique<Model<std::decay_t<F>>>(std::forward<F>(fn))) {}

    explicit operator bool() const noexcept { return callable_ != nullptr; }
    void operator()() { callable_->call(); }

  private:
    struct Concept {
        virtual ~Concept() = default;
        virtual void call() = 0;
    };
    template <typename F>
    struct Model final : Concept {
        explicit Model(F&& f) : fn(std::move(f)) {}
        explicit Model(const F& f) : fn(f) {}
        void call() override { fn(); }
        F fn;
    };
    std::unique_ptr<Concept> callable_;
};

// What Engine::submit() delivers for a task returning R.
template <typename R>
using SubmitResult =
    std::conditional_t<std::is_void_v<R> || std::is_same_v<R, Status>, Status, Result<R>>;

struct EngineOptions {
    // Names the media thread and prefixes log lines.
    std::string name = "conf";
    // Where diagnostics (dot graphs of frozen pipelines) are written.
    std::filesystem::path data_dir = "var";
    // How long a pipeline may take to drain on stop before the watchdog forces it down.
    std::chrono::milliseconds pipeline_stop_timeout{5000};
};

class CONF_API Engine {
  public:
    // Initialises GStreamer if needed and starts the media thread.
    static Result<std::unique_ptr<Engine>> create(EngineOptions options = {});

    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Queues `task` to run on the media thread. Tasks posted from one thread run in the order
    // they were posted. Fails with kUnavailable once stop() has begun; the task is then dropped
    // without running. An exception escaping a task is logged and swallowed.
    Status post(Task task);

    // Like post(), with the task's outcome delivered via a future: a Status for tasks that
    // return nothing or a Status, a Result<T> for tasks that return a T. If the post fails,
    // the future holds that failure. Never wait on the future from the media thread itself.
    template <typename F>
    auto submit(F&& fn) -> std::future<SubmitResult<std::invoke_result_t<F>>>;

    // Runs every task already posted, then stops the media thread and joins it. Idempotent.
    // Returns kFailedPrecondition when called from the media thread (it cannot join itself).
    Status stop();

    bool is_running() const noexcept;
    bool on_media_thread() const noexcept;
    const EngineOptions& options() const noexcept;

    class Impl;
    // For libconf internals (pipelines attach their bus watch to the media context).
    Impl& impl() noexcept { return *impl_; }

  private:
    explicit Engine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

template <typename F>
auto Engine::submit(F&& fn) -> std::future<SubmitResult<std::invoke_result_t<F>>> {
    using R = std::invoke_result_t<F>;
    using Out = SubmitResult<R>;
    auto promise = std::make_shared<std::promise<Out>>();
    auto future = promise->get_future();
    Status posted = post([promise, fn = std::forward<F>(fn)]() mutable {
        try {
            if constexpr (std::is_void_v<R>) {
                fn();
                promise->set_value(Status::ok());
            } else {
                promise->set_value(Out(fn()));
            }
        } catch (const std::exception& e) {
            promise->set_value(Out(Status(StatusCode::kInternal, e.what())));
        } catch (...) {
            promise->set_value(Out(Status(StatusCode::kInternal, "unknown exception")));
        }
    });
    if (!posted.is_ok()) {
        promise->set_value(Out(std::move(posted)));
    }
    return future;
}

} // namespace conf
