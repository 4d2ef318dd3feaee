// ProbeConnection: a pad probe removed when the connection object goes away.
//
//   ProbeConnection p = add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER,
//                                 [](GstPad*, GstPadProbeInfo*) { return GST_PAD_PROBE_OK; });
//
// Probe callbacks run on streaming threads: copy what you need and post to the media thread;
// never change the graph from inside one (DESIGN.md, "Threads").
#pragma once

#include "core/g_ref.hpp"
#include "core/signal_connection.hpp"

#include <gst/gst.h>

#include <exception>
#include <type_traits>
#include <utility>

namespace conf {

class ProbeConnection {
  public:
    ProbeConnection() = default;
    ProbeConnection(GRef<GstPad> pad, gulong probe_id) : pad_(std::move(pad)), id_(probe_id) {}
    ~ProbeConnection() { remove(); }
    ProbeConnection(ProbeConnection&& other) noexcept
        : pad_(std::move(other.pad_)), id_(std::exchange(other.id_, 0)) {}
    ProbeConnection& operator=(ProbeConnection&& other) noexcept {
        if (this != &other) {
            remove();
            pad_ = std::move(other.pad_);
            id_ = std::exchange(other.id_, 0);
        }
        return *this;
    }
    ProbeConnection(const ProbeConnection&) = delete;
    ProbeConnection& operator=(const ProbeConnection&) = delete;

    void remove() noexcept {
        if (id_ != 0 && pad_) {
            gst_pad_remove_probe(pad_.get(), id_);
        }
        id_ = 0;
        pad_.reset();
    }
    bool active() const noexcept { return id_ != 0; }
    GstPad* pad() const noexcept { return pad_.get(); }

  private:
    GRef<GstPad> pad_;
    gulong id_ = 0;
};

namespace detail {
template <typename F>
struct ProbeTrampoline {
    static GstPadProbeReturn call(GstPad* pad, GstPadProbeInfo* info, gpointer data) noexcept {
        try {
            return (*static_cast<F*>(data))(pad, info);
        } catch (const std::exception& e) {
            log_callback_exception(e.what());
        } catch (...) {
            log_callback_exception("unknown exception");
        }
        return GST_PAD_PROBE_OK;
    }
    static void destroy(gpointer data) noexcept { delete static_cast<F*>(data); }
};
} // namespace detail

// Returns an inactive connection if the probe could not be installed (a blocking probe on a
// pad that is already flushing, for instance); check active() where that matters.
template <typename F>
[[nodiscard]] ProbeConnection add_probe(GstPad* pad, GstPadProbeType type, F&& fn) {
    static_assert(std::is_same_v<std::invoke_result_t<std::decay_t<F>&, GstPad*, GstPadProbeInfo*>,
                                 GstPadProbeReturn>,
                  "a probe callback is GstPadProbeReturn(GstPad*, GstPadProbeInfo*)");
    using Fn = std::decay_t<F>;
    auto* data = new Fn(std::forward<F>(fn));
    gulong id = gst_pad_add_probe(pad, type, &detail::ProbeTrampoline<Fn>::call, data,
                                  &detail::ProbeTrampoline<Fn>::destroy);
    // gst_pad_add_probe calls the destroy notify itself when it returns 0.
    if (id == 0) {
        return {};
    }
    return ProbeConnection(GRef<GstPad>::ref(pad), id);
}

} // namespace conf
