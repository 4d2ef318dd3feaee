#include "core/timer.hpp"

#include <algorithm>

namespace conf {

Timer Timer::start(GMainContext* context, std::chrono::milliseconds interval, Callback callback) {
    Timer timer;
    timer.callback_ = std::make_unique<Callback>(std::move(callback));
    timer.source_ = GRef<GSource>::adopt(
        g_timeout_source_new(static_cast<guint>(std::max<std::int64_t>(1, interval.count()))));
    g_source_set_callback(
        timer.source_.get(),
        [](gpointer data) -> gboolean {
            // The callback may reset or replace its own Timer: copy it out first.
            Callback fn = *static_cast<Callback*>(data);
            return fn() ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
        },
        timer.callback_.get(), nullptr);
    g_source_attach(timer.source_.get(), context);
    return timer;
}

Timer Timer::once(GMainContext* context, std::chrono::milliseconds interval,
                  std::function<void()> callback) {
    return start(context, interval, [callback = std::move(callback)] {
        callback();
        return false;
    });
}

void Timer::reset() noexcept {
    if (source_) {
        g_source_destroy(source_.get());
        source_.reset();
    }
    callback_.reset();
}

} // namespace conf
