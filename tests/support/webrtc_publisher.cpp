#include "support/webrtc_publisher.hpp"

#include "core/g_unique.hpp"

#include <gst/webrtc/webrtc.h>

#include <stdexcept>

namespace conf::test {

namespace {
struct PromiseCallback {
    std::function<void(GstPromise*)> fn;
};

GstPromise* make_promise(std::function<void(GstPromise*)> fn) {
    return gst_promise_new_with_change_func(
        [](GstPromise* promise, gpointer data) {
            static_cast<PromiseCallback*>(data)->fn(promise);
        },
        new PromiseCallback{std::move(fn)},
        [](gpointer data) { delete static_cast<PromiseCallback*>(data); });
}
} // namespace

WebRtcPublisher::WebRtcPublisher(Engine::Impl& engine, const std::string& description)
    : engine_(engine) {
    GUnique<GError> error;
    pipeline_ = GRef<GstElement>::adopt(gst_parse_launch(description.c_str(), error.out()));
    if (!pipeline_ || error) {
        throw std::runtime_error("test publisher pipeline: " +
                                 std::string(error ? error->message : "parse failed"));
    }
    webrtcbin_ = GRef<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(pipeline_.get()), "peer"));
    if (!webrtcbin_) {
        throw std::runtime_error("test publisher pipeline has no webrtcbin named 'peer'");
    }
    g_object_set(webrtcbin_.get(), "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr);
    GstWebRTCICE* raw_ice = nullptr;
    g_object_get(webrtcbin_.get(), "ice-agent", &raw_ice, nullptr);
    auto ice = GRef<GstWebRTCICE>::adopt(raw_ice);
    gboolean added = FALSE;
    g_signal_emit_by_name(ice.get(), "add-local-ip-address", "127.0.0.1", &added);
    g_object_set(ice.get(), "ice-tcp", FALSE, nullptr);
}

WebRtcPublisher::~WebRtcPublisher() {
    signals_.clear();
    gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
}

void WebRtcPublisher::post(std::function<void(WebRtcPublisher&)> fn) {
    (void)engine_.post([alive = std::weak_ptr<int>(alive_), this, fn = std::move(fn)] {
        if (!alive.expired()) {
            fn(*this);
        }
    });
}

void WebRtcPublisher::start(Signaller& signaller) {
    signaller_ = &signaller;
    signals_.push_back(connect_signal<>(webrtcbin_.get(), "on-negotiation-needed", [this] {
        post([](WebRtcPublisher& self) {
            g_signal_emit_by_name(
                self.webrtcbin_.get(), "create-offer", nullptr,
                make_promise([&self, alive = std::weak_ptr<int>(self.alive_)](GstPromise* p) {
                    auto promise = GRef<GstPromise>::ref(p);
                    (void)self.engine_.post([&self, alive, promise] {
                        if (alive.expired()) {
                            return;
                        }
                        GUnique<GstWebRTCSessionDescription> offer;
                        gst_structure_get(gst_promise_get_reply(promise.get()), "offer",
                                          GST_TYPE_WEBRTC_SESSION_DESCRIPTION, offer.out(),
                                          nullptr);
                        g_signal_emit_by_name(self.webrtcbin_.get(), "set-local-description",
                                              offer.get(), nullptr);
                        GUnique<gchar> text(gst_sdp_message_as_text(offer->sdp));
                        self.offer_ = text.get();
                        self.signaller_->send_description(
                            {SessionDescription::Type::kOffer, self.offer_});
                    });
                }));
        });
    }));
    signals_.push_back(connect_signal<guint, gchar*>(
        webrtcbin_.get(), "on-ice-candidate", [this](guint mline, gchar* candidate) {
            IceCandidate c{mline, candidate};
            post([c](WebRtcPublisher& self) { self.signaller_->send_candidate(c); });
        }));
    gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING);
}

void WebRtcPublisher::receive_description(const SessionDescription& description) {
    GUnique<GstSDPMessage> sdp;
    gst_sdp_message_new(sdp.out());
    gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(description.sdp.data()),
                                 static_cast<guint>(description.sdp.size()), sdp.get());
    GUnique<GstWebRTCSessionDescription> answer(gst_webrtc_session_description_new(
        description.type == SessionDescription::Type::kAnswer ? GST_WEBRTC_SDP_TYPE_ANSWER
                                                              : GST_WEBRTC_SDP_TYPE_OFFER,
        sdp.release()));
    g_signal_emit_by_name(webrtcbin_.get(), "set-remote-description", answer.get(), nullptr);
}

void WebRtcPublisher::receive_candidate(const IceCandidate& candidate) {
    if (!candidate.candidate.empty()) {
        g_signal_emit_by_name(webrtcbin_.get(), "add-ice-candidate", candidate.mline_index,
                              candidate.candidate.c_str());
    }
}

GstWebRTCPeerConnectionState WebRtcPublisher::connection_state() const {
    GstWebRTCPeerConnectionState state;
    g_object_get(webrtcbin_.get(), "connection-state", &state, nullptr);
    return state;
}

} // namespace conf::test
