// Timer: a GLib timeout on a given main context, owned like any other handle: destroying
// (or resetting) the Timer removes the source, so its callback can never run on an object
// that is gone. The callback runs on the context's thread (the media thread for libconf).
#pragma once

#include "core/g_ref.hpp"

#include <glib.h>

#include <chrono>
#include <functional>
#include <memory>

namespace conf {

class Timer {
  public:
    // Return true to run again after another `interval`, false to stop.
    using Callback = std::function<bool()>;

    Timer() = default;
    ~Timer() { reset(); }
    Timer(Timer&& other) noexcept = default;
    Timer& operator=(Timer&& other) noexcept {
        if (this != &other) {
            reset();
            source_ = std::move(other.source_);
            callback_ = std::move(other.callback_);
        }
        return *this;
    }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    // Runs `callback` on `context` after `interval` (at least 1 ms), then as it says.
    static Timer start(GMainContext* context, std::chrono::milliseconds interval,
                       Callback callback);
    // Runs `callback` once after `interval`.
    static Timer once(GMainContext* context, std::chrono::milliseconds interval,
                      std::function<void()> callback);

    bool active() const noexcept { return source_ && !g_source_is_destroyed(source_.get()); }
    void reset() noexcept;

  private:
    GRef<GSource> source_;
    // Heap-held so the source's user data stays put when the Timer moves.
    std::unique_ptr<Callback> callback_;
};

} // namespace conf
