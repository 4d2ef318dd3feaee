// whip-client runs its logic on one thread: the main thread, iterating GLib's default main
// context. webrtcbin and the bus call back from streaming threads; those callbacks only copy
// what they need and post the rest here.
#pragma once

#include <glib.h>

#include <exception>
#include <functional>
#include <memory>

namespace whip {

// Runs `fn` on the main thread at its next iteration, never synchronously, so a callback that
// fires inside a call made on the main thread (e.g. set_state) does not re-enter the caller.
inline void post_to_main(std::function<void()> fn) {
    GSource* source = g_idle_source_new();
    g_source_set_callback(
        source,
        [](gpointer data) noexcept -> gboolean {
            try {
                (*static_cast<std::function<void()>*>(data))();
            } catch (const std::exception& e) {
                // No exception may unwind through GLib's C frames.
                g_printerr("whip-client: unexpected error: %s\n", e.what());
            }
            return G_SOURCE_REMOVE;
        },
        new std::function<void()>(std::move(fn)),
        [](gpointer data) noexcept { delete static_cast<std::function<void()>*>(data); });
    g_source_attach(source, nullptr);
    g_source_unref(source);
}

// A weak token for posted work: work queued by an object that is gone by the time it runs
// does nothing.
using AliveToken = std::shared_ptr<int>;
using WeakAlive = std::weak_ptr<int>;

} // namespace whip
