// SignalWatch: a UNIX signal (SIGINT, SIGTERM, ...) delivered as a callback on the calling
// thread's main context, via GLib's signal sources, so the handler may do anything the main
// thread may do. The watch is removed when the object is destroyed.
#pragma once

#include "core/g_ref.hpp"

#include <functional>

namespace conf::daemon {

class SignalWatch {
  public:
    SignalWatch(int signum, std::function<void()> on_signal);
    ~SignalWatch();
    SignalWatch(const SignalWatch&) = delete;
    SignalWatch& operator=(const SignalWatch&) = delete;

  private:
    static gboolean dispatch(gpointer self) noexcept;

    std::function<void()> on_signal_;
    GRef<GSource> source_;
};

} // namespace conf::daemon
