// Engine::Impl: the media thread, its GMainContext and the task queue that feeds it.
// Internal to libconf; other modules reach the media context through here.
#pragma once

#include "conf/engine.hpp"
#include "core/g_ref.hpp"
#include "core/log.hpp"
#include "webrtc/dtls_identity.hpp"

#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

namespace conf {

class Engine::Impl {
  public:
    explicit Impl(EngineOptions options);
    ~Impl();
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    void start();
    Status post(Task task);
    Status stop();

    bool is_running() const noexcept { return running_.load(); }
    bool on_media_thread() const noexcept {
        return std::this_thread::get_id() == thread_id_.load();
    }
    GMainContext* context() const noexcept { return context_.get(); }
    const EngineOptions& options() const noexcept { return options_; }
    const Logger& logger() const noexcept { return logger_; }

    // The engine's one DTLS certificate, made on first use. Media thread only.
    Result<const DtlsIdentity*> dtls_identity();

  private:
    struct TaskSource;
    static gboolean dispatch(GSource* source, GSourceFunc, gpointer) noexcept;
    void run_pending() noexcept;

    EngineOptions options_;
    Logger logger_;
    GRef<GMainContext> context_;
    GRef<GMainLoop> loop_;
    GRef<GSource> task_source_;

    std::mutex queue_mutex_;
    std::deque<Task> queue_; // guarded by queue_mutex_
    bool closed_ = false;    // guarded by queue_mutex_

    std::optional<DtlsIdentity> dtls_identity_; // media thread only

    std::mutex stop_mutex_; // serialises stop() callers; taken before queue_mutex_
    std::thread thread_;
    std::atomic<std::thread::id> thread_id_{};
    std::atomic<bool> running_{false};
};

// Debug builds check that media objects are used on the media thread (DESIGN.md, "Threads").
#ifndef NDEBUG
#define CONF_ASSERT_MEDIA_THREAD(engine_impl)                                                      \
    g_assert((engine_impl).on_media_thread() && "must run on the media thread")
#else
#define CONF_ASSERT_MEDIA_THREAD(engine_impl) ((void)0)
#endif

} // namespace conf
