#include "conf/engine.hpp"

#include "core/engine_impl.hpp"
#include "core/g_unique.hpp"

#include <pthread.h>

namespace conf {

// One GSource per engine: posting sets its ready time to "now", which wakes the context from
// any thread; dispatch drains the whole queue in FIFO order.
struct Engine::Impl::TaskSource {
    GSource base;
    Engine::Impl* impl;
};

Engine::Impl::Impl(EngineOptions options)
    : options_(std::move(options)), logger_(Logger("engine").with("engine", options_.name)),
      context_(GRef<GMainContext>::adopt(g_main_context_new())),
      loop_(GRef<GMainLoop>::adopt(g_main_loop_new(context_.get(), FALSE))) {
    static GSourceFuncs funcs = {nullptr, nullptr, &Impl::dispatch, nullptr, nullptr, nullptr};
    GSource* source = g_source_new(&funcs, sizeof(TaskSource));
    reinterpret_cast<TaskSource*>(source)->impl = this;
    g_source_set_name(source, "conf-engine-tasks");
    task_source_ = GRef<GSource>::adopt(source);
    g_source_attach(source, context_.get());
}

Engine::Impl::~Impl() {
    (void)stop();
    g_source_destroy(task_source_.get());
}

void Engine::Impl::start() {
    running_ = true;
    thread_ = std::thread([this] {
        thread_id_ = std::this_thread::get_id();
        // Linux limits thread names to 15 characters.
        pthread_setname_np(pthread_self(), fmt::format("{:.15}", "media-" + options_.name).c_str());
        g_main_context_push_thread_default(context_.get());
        logger_.info("media thread running");
        g_main_loop_run(loop_.get());
        g_main_context_pop_thread_default(context_.get());
        logger_.info("media thread stopped");
        // Joined threads' ids get reused: a later thread must not pass for the media thread.
        thread_id_ = std::thread::id();
    });
}

Status Engine::Impl::post(Task task) {
    if (!task) {
        return invalid_argument("posted an empty task");
    }
    {
        std::lock_guard lock(queue_mutex_);
        if (closed_) {
            return unavailable(fmt::format("engine '{}' is stopped", options_.name));
        }
        queue_.push_back(std::move(task));
    }
    g_source_set_ready_time(task_source_.get(), 0);
    return Status::ok();
}

gboolean Engine::Impl::dispatch(GSource* source, GSourceFunc, gpointer) noexcept {
    g_source_set_ready_time(source, -1);
    reinterpret_cast<TaskSource*>(source)->impl->run_pending();
    return G_SOURCE_CONTINUE;
}

void Engine::Impl::run_pending() noexcept {
    std::deque<Task> batch;
    {
        std::lock_guard lock(queue_mutex_);
        batch.swap(queue_);
    }
    for (Task& task : batch) {
        try {
            task();
        } catch (const std::exception& e) {
            logger_.error("task threw: {}", e.what());
        } catch (...) {
            logger_.error("task threw an unknown exception");
        }
    }
}

Result<const DtlsIdentity*> Engine::Impl::dtls_identity() {
    CONF_ASSERT_MEDIA_THREAD(*this);
    if (!dtls_identity_) {
        auto generated = DtlsIdentity::generate();
        if (!generated) {
            return generated.status();
        }
        dtls_identity_ = std::move(generated).value();
        logger_.info("DTLS certificate generated (ECDSA P-256), fingerprint {}",
                     dtls_identity_->sdp_fingerprint());
    }
    return &*dtls_identity_;
}

Status Engine::Impl::stop() {
    if (on_media_thread()) {
        return failed_precondition("Engine::stop() called on the media thread");
    }
    std::lock_guard stop_lock(stop_mutex_);
    {
        std::lock_guard lock(queue_mutex_);
        if (closed_) {
            return Status::ok();
        }
        closed_ = true;
        // Runs after every task posted before stop(): nothing accepted is ever dropped.
        queue_.push_back([this] { g_main_loop_quit(loop_.get()); });
    }
    g_source_set_ready_time(task_source_.get(), 0);
    if (thread_.joinable()) {
        thread_.join();
    }
    running_ = false;
    return Status::ok();
}

Result<std::unique_ptr<Engine>> Engine::create(EngineOptions options) {
    GUnique<GError> error;
    if (!gst_init_check(nullptr, nullptr, error.out())) {
        return unavailable(fmt::format("GStreamer failed to initialise: {}",
                                       error ? error->message : "unknown error"));
    }
    if (options.name.empty()) {
        return invalid_argument("engine name must not be empty");
    }
    if (options.pipeline_stop_timeout <= std::chrono::milliseconds::zero()) {
        return invalid_argument("pipeline_stop_timeout must be positive");
    }
    auto impl = std::make_unique<Impl>(std::move(options));
    impl->start();
    return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Status Engine::post(Task task) {
    return impl_->post(std::move(task));
}
Status Engine::stop() {
    return impl_->stop();
}
bool Engine::is_running() const noexcept {
    return impl_->is_running();
}
bool Engine::on_media_thread() const noexcept {
    return impl_->on_media_thread();
}
const EngineOptions& Engine::options() const noexcept {
    return impl_->options();
}

} // namespace conf
