// Owning handles for the GLib, GStreamer and libsoup objects whip-client holds: a unique_ptr
// with the matching free function, so nothing is released by hand.
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <libsoup/soup.h>

#include <memory>

namespace whip {

template <typename T, auto Free>
struct FreeWith {
    void operator()(T* pointer) const noexcept {
        if (pointer != nullptr) {
            Free(pointer);
        }
    }
};

template <typename T, auto Free>
using Owned = std::unique_ptr<T, FreeWith<T, Free>>;

using ElementPtr = Owned<GstElement, gst_object_unref>;
using BusPtr = Owned<GstBus, gst_object_unref>;
using IcePtr = Owned<GstWebRTCICE, gst_object_unref>;
using PromisePtr = Owned<GstPromise, gst_promise_unref>;
using DescriptionPtr = Owned<GstWebRTCSessionDescription, gst_webrtc_session_description_free>;
using SdpPtr = Owned<GstSDPMessage, gst_sdp_message_free>;
using SessionPtr = Owned<SoupSession, g_object_unref>;
using MessagePtr = Owned<SoupMessage, g_object_unref>;
using CancellablePtr = Owned<GCancellable, g_object_unref>;
using BytesPtr = Owned<GBytes, g_bytes_unref>;
using ObjectPtr = Owned<GObject, g_object_unref>;
using ErrorPtr = Owned<GError, g_error_free>;
using CharPtr = Owned<gchar, g_free>;
using SourcePtr = Owned<GSource, g_source_unref>;

// Takes ownership of a reference that may be floating (gst_parse_launch() returns one for
// some descriptions and not for others).
inline ElementPtr adopt_element(GstElement* element) {
    if (element != nullptr && g_object_is_floating(element)) {
        gst_object_ref_sink(element);
    }
    return ElementPtr(element);
}

} // namespace whip
