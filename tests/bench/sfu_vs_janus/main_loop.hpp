// sfu-load runs its logic on one thread, the main thread iterating GLib's default main
// context. webrtcbin, pads and buses call back from streaming threads; those callbacks copy
// what they need and post the rest here.
#pragma once

#include <glib.h>

#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <string>

namespace sfuload {

// Runs `fn` once when `source` fires, on the main thread; takes over `source`.
inline void run_once(GSource* source, std::function<void()> fn) {
    g_source_set_callback(
        source,
        [](gpointer data) noexcept -> gboolean {
            try {
                (*static_cast<std::function<void()>*>(data))();
            } catch (const std::exception& e) {
                std::fprintf(stderr, "sfu-load: unexpected error: %s\n", e.what());
            }
            return G_SOURCE_REMOVE;
        },
        new std::function<void()>(std::move(fn)),
        [](gpointer data) noexcept { delete static_cast<std::function<void()>*>(data); });
    g_source_attach(source, nullptr);
    g_source_unref(source);
}

// Runs `fn` on the main thread at its next iteration, never synchronously.
inline void post_to_main(std::function<void()> fn) {
    run_once(g_idle_source_new(), std::move(fn));
}

// Runs `fn` on the main thread after `ms` milliseconds.
inline void post_after_ms(guint ms, std::function<void()> fn) {
    run_once(g_timeout_source_new(ms), std::move(fn));
}

// Work posted by an object that is gone by the time it runs does nothing: the poster keeps an
// AliveToken, the posted work a WeakAlive.
using AliveToken = std::shared_ptr<int>;
using WeakAlive = std::weak_ptr<int>;

// Progress for the person running the benchmark, on stderr (stdout carries only JSON lines).
void say(const std::string& text);

} // namespace sfuload
