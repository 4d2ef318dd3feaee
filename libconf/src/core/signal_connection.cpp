#include "core/signal_connection.hpp"

namespace conf {

namespace detail {
void log_callback_exception(const char* what) noexcept {
    static const Logger logger("core");
    try {
        logger.error("exception escaped a GLib callback: {}", what);
    } catch (...) {
        // Logging itself failed (out of memory); nothing more can be done safely here.
    }
}
} // namespace detail

SignalConnection::SignalConnection(gpointer instance, gulong handler_id) : handler_id_(handler_id) {
    g_weak_ref_init(&instance_, instance);
}

SignalConnection::~SignalConnection() {
    disconnect();
    g_weak_ref_clear(&instance_);
}

SignalConnection::SignalConnection(SignalConnection&& other) noexcept
    : handler_id_(std::exchange(other.handler_id_, 0)) {
    gpointer obj = g_weak_ref_get(&other.instance_);
    g_weak_ref_init(&instance_, obj);
    g_weak_ref_set(&other.instance_, nullptr);
    if (obj != nullptr) {
        g_object_unref(obj);
    }
}

SignalConnection& SignalConnection::operator=(SignalConnection&& other) noexcept {
    if (this != &other) {
        disconnect();
        handler_id_ = std::exchange(other.handler_id_, 0);
        gpointer obj = g_weak_ref_get(&other.instance_);
        g_weak_ref_set(&instance_, obj);
        g_weak_ref_set(&other.instance_, nullptr);
        if (obj != nullptr) {
            g_object_unref(obj);
        }
    }
    return *this;
}

void SignalConnection::disconnect() noexcept {
    if (handler_id_ == 0) {
        return;
    }
    if (gpointer obj = g_weak_ref_get(&instance_)) {
        g_signal_handler_disconnect(obj, handler_id_);
        g_object_unref(obj);
    }
    handler_id_ = 0;
    g_weak_ref_set(&instance_, nullptr);
}

} // namespace conf
