#include "app/signal_watch.hpp"

#include "core/log.hpp"

#include <glib-unix.h>

namespace conf::daemon {

SignalWatch::SignalWatch(int signum, std::function<void()> on_signal)
    : on_signal_(std::move(on_signal)),
      source_(GRef<GSource>::adopt(g_unix_signal_source_new(signum))) {
    g_source_set_callback(source_.get(), &SignalWatch::dispatch, this, nullptr);
    g_source_attach(source_.get(), g_main_context_get_thread_default());
}

SignalWatch::~SignalWatch() {
    g_source_destroy(source_.get());
}

gboolean SignalWatch::dispatch(gpointer self) noexcept {
    try {
        static_cast<SignalWatch*>(self)->on_signal_();
    } catch (const std::exception& e) {
        Logger("confd").error("signal handler failed: {}", e.what());
    } catch (...) {
        Logger("confd").error("signal handler failed");
    }
    return G_SOURCE_CONTINUE;
}

} // namespace conf::daemon
