#include "webrtc/ice_policy.hpp"

#include "core/g_ref.hpp"

#include <fmt/format.h>
#include <gst/webrtc/webrtc.h>

namespace conf {

Status restrict_ice(GstElement* webrtcbin, const std::vector<std::string>& addresses) {
    GstWebRTCICE* raw_ice = nullptr;
    g_object_get(webrtcbin, "ice-agent", &raw_ice, nullptr);
    auto ice = GRef<GstWebRTCICE>::adopt(raw_ice);
    if (!ice) {
        return internal_error("webrtcbin has no ICE agent");
    }
    g_object_set(ice.get(), "ice-tcp", FALSE, nullptr);
    GObject* raw_agent = nullptr; // the NiceAgent behind webrtcbin's ICE object
    g_object_get(ice.get(), "agent", &raw_agent, nullptr);
    auto agent = GRef<GObject>::adopt(raw_agent);
    if (agent && g_object_class_find_property(G_OBJECT_GET_CLASS(agent.get()), "upnp") != nullptr) {
        g_object_set(agent.get(), "upnp", FALSE, nullptr);
    }
    for (const std::string& address : addresses) {
        gboolean added = FALSE;
        g_signal_emit_by_name(ice.get(), "add-local-ip-address", address.c_str(), &added);
        if (!added) {
            return invalid_argument(fmt::format("cannot use ICE address '{}'", address));
        }
    }
    return Status::ok();
}

} // namespace conf
