// SignalConnection: a GObject signal handler that is disconnected when the connection object
// goes away, so a callback can never outlive the C++ state it captures.
//
//   SignalConnection c = connect_signal<GstPad*>(element, "pad-added",
//                                               [this](GstPad* pad) { ... });
//
// Template arguments are the signal's parameters after the emitting instance; the lambda's
// return type must match the signal's. The trampoline is noexcept: an exception thrown by the
// callback is logged and the signal gets a value-initialised return.
#pragma once

#include "core/log.hpp"

#include <glib-object.h>

#include <exception>
#include <functional>
#include <type_traits>
#include <utility>

namespace conf {

class SignalConnection {
  public:
    SignalConnection() = default;
    // Borrows `instance` weakly: if the object dies first, destruction is a no-op.
    SignalConnection(gpointer instance, gulong handler_id);
    ~SignalConnection();
    SignalConnection(SignalConnection&& other) noexcept;
    SignalConnection& operator=(SignalConnection&& other) noexcept;
    SignalConnection(const SignalConnection&) = delete;
    SignalConnection& operator=(const SignalConnection&) = delete;

    void disconnect() noexcept;
    bool connected() const noexcept { return handler_id_ != 0; }

  private:
    GWeakRef instance_{};
    gulong handler_id_ = 0;
};

namespace detail {
void log_callback_exception(const char* what) noexcept;

template <typename F, typename R, typename... Args>
struct SignalTrampoline {
    static R call(gpointer /*instance*/, Args... args, gpointer data) noexcept {
        try {
            return (*static_cast<F*>(data))(args...);
        } catch (const std::exception& e) {
            log_callback_exception(e.what());
        } catch (...) {
            log_callback_exception("unknown exception");
        }
        if constexpr (!std::is_void_v<R>) {
            return R{};
        }
    }
    static void destroy(gpointer data, GClosure* /*closure*/) noexcept {
        delete static_cast<F*>(data);
    }
};
} // namespace detail

template <typename... Args, typename F>
[[nodiscard]] SignalConnection connect_signal(gpointer instance, const char* signal, F&& fn) {
    using Fn = std::decay_t<F>;
    using R = std::invoke_result_t<Fn&, Args...>;
    using Tramp = detail::SignalTrampoline<Fn, R, Args...>;
    auto* data = new Fn(std::forward<F>(fn));
    gulong id = g_signal_connect_data(instance, signal, G_CALLBACK(&Tramp::call), data,
                                      &Tramp::destroy, static_cast<GConnectFlags>(0));
    if (id == 0) {
        // g_signal_connect_data already warned (unknown signal); the closure owns nothing.
        delete data;
        return {};
    }
    return SignalConnection(instance, id);
}

} // namespace conf
