#include "publisher.hpp"

#include "console.hpp"

#include <gst/sdp/sdp.h>

#include <chrono>
#include <stdexcept>

namespace whip {

namespace {

// confd and most WHIP servers gather in well under a second on loopback; after this long,
// the offer goes out with whatever candidates there are.
constexpr std::chrono::seconds kGatheringTimeout{5};

struct PromiseData {
    std::function<void(GstPromise*)> fn;
};

// A promise whose reply is handed to `fn` (on webrtcbin's thread).
GstPromise* make_promise(std::function<void(GstPromise*)> fn) {
    return gst_promise_new_with_change_func(
        [](GstPromise* promise, gpointer data) noexcept {
            try {
                static_cast<PromiseData*>(data)->fn(promise);
            } catch (const std::exception& e) {
                g_printerr("whip-client: unexpected error: %s\n", e.what());
            }
        },
        new PromiseData{std::move(fn)},
        [](gpointer data) noexcept { delete static_cast<PromiseData*>(data); });
}

// The error a promise reply carries, if any.
std::optional<std::string> promise_error(GstPromise* promise) {
    if (gst_promise_wait(promise) != GST_PROMISE_RESULT_REPLIED) {
        return std::string("no reply");
    }
    const GstStructure* reply = gst_promise_get_reply(promise);
    if (reply == nullptr || !gst_structure_has_field(reply, "error")) {
        return std::nullopt;
    }
    GError* raw_error = nullptr;
    gst_structure_get(reply, "error", G_TYPE_ERROR, &raw_error, nullptr);
    ErrorPtr error(raw_error);
    return std::string(error ? error->message : "unknown error");
}

// "video VP8, audio OPUS; 2 ICE candidates"
std::string summarize(const GstSDPMessage* sdp, const std::string& text) {
    std::string summary;
    for (guint i = 0; i < gst_sdp_message_medias_len(sdp); ++i) {
        const GstSDPMedia* media = gst_sdp_message_get_media(sdp, i);
        std::string codec = "?";
        if (const char* rtpmap = gst_sdp_media_get_attribute_val(media, "rtpmap")) {
            // "96 VP8/90000"
            std::string value = rtpmap;
            size_t space = value.find(' ');
            size_t slash = value.find('/');
            if (space != std::string::npos && slash != std::string::npos && slash > space) {
                codec = value.substr(space + 1, slash - space - 1);
            }
        }
        summary += (summary.empty() ? "" : ", ") + std::string(gst_sdp_media_get_media(media)) +
                   " " + codec;
    }
    int candidates = 0;
    for (size_t at = text.find("a=candidate:"); at != std::string::npos;
         at = text.find("a=candidate:", at + 1)) {
        ++candidates;
    }
    summary += "; " + std::to_string(candidates) + " ICE candidate" + (candidates == 1 ? "" : "s");
    return summary;
}

} // namespace

Publisher::Publisher(const std::string& sources, const std::string& ice_address, Listener& listener)
    : listener_(listener) {
    std::string description = "webrtcbin name=whip bundle-policy=max-bundle " + sources;
    GError* raw_error = nullptr;
    // Fatal errors: a missing element or an impossible link fails here, not halfway through.
    pipeline_ = adopt_element(gst_parse_launch_full(description.c_str(), nullptr,
                                                    GST_PARSE_FLAG_FATAL_ERRORS, &raw_error));
    ErrorPtr error(raw_error);
    if (!pipeline_ || error) {
        throw std::runtime_error("the pipeline does not parse: " +
                                 std::string(error ? error->message : "unknown error"));
    }
    if (!GST_IS_PIPELINE(pipeline_.get())) {
        throw std::runtime_error("--pipeline must give sources linked into '! whip.'");
    }
    webrtcbin_.reset(gst_bin_get_by_name(GST_BIN(pipeline_.get()), "whip"));
    if (!webrtcbin_ || webrtcbin_->numsinkpads == 0) {
        throw std::runtime_error("no source is linked into the webrtcbin: end each branch of "
                                 "--pipeline with '! whip.'");
    }

    // Candidates only on the given address, UDP only, and no UPnP: libnice would otherwise
    // start SSDP discovery (multicast off the machine) for every agent.
    GstWebRTCICE* raw_ice = nullptr;
    g_object_get(webrtcbin_.get(), "ice-agent", &raw_ice, nullptr);
    IcePtr ice(raw_ice);
    g_object_set(ice.get(), "ice-tcp", FALSE, nullptr);
    GObject* raw_agent = nullptr;
    g_object_get(ice.get(), "agent", &raw_agent, nullptr);
    ObjectPtr nice_agent(raw_agent);
    if (nice_agent &&
        g_object_class_find_property(G_OBJECT_GET_CLASS(nice_agent.get()), "upnp") != nullptr) {
        g_object_set(nice_agent.get(), "upnp", FALSE, nullptr);
    }
    gboolean added = FALSE;
    g_signal_emit_by_name(ice.get(), "add-local-ip-address", ice_address.c_str(), &added);
    if (!added) {
        throw std::runtime_error("cannot use '" + ice_address + "' as the ICE address");
    }

    // WHIP only sends: every m-line is sendonly (webrtcbin would offer sendrecv).
    gst_element_foreach_sink_pad(
        webrtcbin_.get(),
        [](GstElement*, GstPad* pad, gpointer) noexcept -> gboolean {
            GstWebRTCRTPTransceiver* transceiver = nullptr;
            g_object_get(pad, "transceiver", &transceiver, nullptr);
            if (transceiver != nullptr) {
                g_object_set(transceiver, "direction",
                             GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, nullptr);
                gst_object_unref(transceiver);
            }
            return TRUE;
        },
        nullptr);

    g_signal_connect(webrtcbin_.get(), "on-negotiation-needed",
                     G_CALLBACK(&Publisher::on_negotiation_needed), this);
    g_signal_connect(webrtcbin_.get(), "notify::ice-gathering-state",
                     G_CALLBACK(&Publisher::on_gathering_state), this);
    g_signal_connect(webrtcbin_.get(), "notify::connection-state",
                     G_CALLBACK(&Publisher::on_connection_state), this);
    BusPtr bus(gst_element_get_bus(pipeline_.get()));
    bus_watch_ = gst_bus_add_watch(bus.get(), &Publisher::on_bus_message, this);
}

Publisher::~Publisher() {
    stop();
    g_signal_handlers_disconnect_by_data(webrtcbin_.get(), this);
    if (bus_watch_ != 0) {
        BusPtr bus(gst_element_get_bus(pipeline_.get()));
        gst_bus_remove_watch(bus.get());
    }
    if (gathering_timer_) {
        g_source_destroy(gathering_timer_.get());
    }
}

void Publisher::start() {
    if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        // The bus carries the reason; on_bus_message reports it.
        post([](Publisher& self) { self.fail("the pipeline cannot start"); });
    }
}

void Publisher::stop() {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    // Joins the streaming threads. What they posted meanwhile finds stopped_ set; alive_ itself
    // goes only with this object, after the signals are disconnected.
    gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
}

void Publisher::post(std::function<void(Publisher&)> fn) {
    post_to_main([alive = WeakAlive(alive_), this, fn = std::move(fn)] {
        if (!alive.expired()) {
            fn(*this);
        }
    });
}

void Publisher::fail(const std::string& message) {
    if (!stopped_) {
        listener_.on_media_error(message);
    }
}

void Publisher::on_negotiation_needed(GstElement*, gpointer self) noexcept {
    static_cast<Publisher*>(self)->post([](Publisher& publisher) { publisher.create_offer(); });
}

void Publisher::create_offer() {
    // One offer per run: WHIP has no renegotiation.
    if (offer_requested_ || stopped_) {
        return;
    }
    offer_requested_ = true;
    PromisePtr promise(make_promise([alive = WeakAlive(alive_), this](GstPromise* replied) {
        // On webrtcbin's thread: keep the promise and go back to the main thread.
        std::shared_ptr<GstPromise> kept(gst_promise_ref(replied), gst_promise_unref);
        if (!alive.expired()) {
            post([kept](Publisher& self) { self.offer_created(kept.get()); });
        }
    }));
    g_signal_emit_by_name(webrtcbin_.get(), "create-offer", nullptr, promise.get());
}

void Publisher::offer_created(GstPromise* promise) {
    if (auto error = promise_error(promise)) {
        fail("webrtcbin cannot create an offer: " + *error);
        return;
    }
    GstWebRTCSessionDescription* raw_offer = nullptr;
    gst_structure_get(gst_promise_get_reply(promise), "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
                      &raw_offer, nullptr);
    DescriptionPtr offer(raw_offer);
    if (!offer) {
        fail("webrtcbin made no offer");
        return;
    }
    g_signal_emit_by_name(webrtcbin_.get(), "set-local-description", offer.get(), nullptr);
    gathering_timer_.reset(g_timeout_source_new_seconds(kGatheringTimeout.count()));
    g_source_set_callback(gathering_timer_.get(), &Publisher::on_gathering_timeout, this, nullptr);
    g_source_attach(gathering_timer_.get(), nullptr);
    send_offer_if_gathered(false);
}

void Publisher::on_gathering_state(GstElement*, GParamSpec*, gpointer self) noexcept {
    static_cast<Publisher*>(self)->post(
        [](Publisher& publisher) { publisher.send_offer_if_gathered(false); });
}

gboolean Publisher::on_gathering_timeout(gpointer self) noexcept {
    auto* publisher = static_cast<Publisher*>(self);
    complain("ICE gathering is not complete after " + std::to_string(kGatheringTimeout.count()) +
             " s; sending the offer as it is");
    publisher->send_offer_if_gathered(true);
    return G_SOURCE_REMOVE;
}

void Publisher::send_offer_if_gathered(bool timed_out) {
    if (offer_sent_ || stopped_ || !gathering_timer_) {
        return; // done already, or no local description yet
    }
    GstWebRTCICEGatheringState gathering = GST_WEBRTC_ICE_GATHERING_STATE_NEW;
    g_object_get(webrtcbin_.get(), "ice-gathering-state", &gathering, nullptr);
    if (gathering != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE && !timed_out) {
        return;
    }
    offer_sent_ = true;
    g_source_destroy(gathering_timer_.get());
    // webrtcbin has added each gathered candidate to its local description.
    GstWebRTCSessionDescription* raw_local = nullptr;
    g_object_get(webrtcbin_.get(), "local-description", &raw_local, nullptr);
    DescriptionPtr local(raw_local);
    if (!local) {
        fail("webrtcbin has no local description");
        return;
    }
    CharPtr text(gst_sdp_message_as_text(local->sdp));
    std::string sdp = text.get();
    if (sdp.find("a=candidate:") == std::string::npos) {
        fail("ICE gathered no candidate on the given --ice-address");
        return;
    }
    listener_.on_offer(sdp, summarize(local->sdp, sdp));
}

std::optional<std::string> Publisher::apply_answer(const std::string& sdp) {
    GstSDPMessage* raw_sdp = nullptr;
    if (gst_sdp_message_new_from_text(sdp.c_str(), &raw_sdp) != GST_SDP_OK) {
        return std::string("the answer is not SDP");
    }
    SdpPtr message(raw_sdp);
    if (gst_sdp_message_medias_len(message.get()) == 0) {
        return std::string("the answer has no media");
    }
    DescriptionPtr answer(
        gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, message.release()));
    PromisePtr promise(make_promise([alive = WeakAlive(alive_), this](GstPromise* replied) {
        std::shared_ptr<GstPromise> kept(gst_promise_ref(replied), gst_promise_unref);
        if (!alive.expired()) {
            post([kept](Publisher& self) {
                if (auto error = promise_error(kept.get())) {
                    self.fail("webrtcbin refused the answer: " + *error);
                }
            });
        }
    }));
    g_signal_emit_by_name(webrtcbin_.get(), "set-remote-description", answer.get(), promise.get());
    return std::nullopt;
}

void Publisher::on_connection_state(GstElement* webrtcbin, GParamSpec*, gpointer self) noexcept {
    GstWebRTCPeerConnectionState state = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;
    g_object_get(webrtcbin, "connection-state", &state, nullptr);
    static_cast<Publisher*>(self)->post([state](Publisher& publisher) {
        if (!publisher.stopped_) {
            publisher.listener_.on_connection_state(state);
        }
    });
}

gboolean Publisher::on_bus_message(GstBus*, GstMessage* message, gpointer self) noexcept {
    auto* publisher = static_cast<Publisher*>(self);
    switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ERROR:
    case GST_MESSAGE_WARNING: {
        GError* raw_error = nullptr;
        gchar* raw_debug = nullptr;
        if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
            gst_message_parse_error(message, &raw_error, &raw_debug);
        } else {
            gst_message_parse_warning(message, &raw_error, &raw_debug);
        }
        ErrorPtr error(raw_error);
        CharPtr debug(raw_debug);
        CharPtr path(gst_object_get_path_string(GST_MESSAGE_SRC(message)));
        std::string text = std::string(path.get()) + ": " + error->message;
        if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
            publisher->fail("pipeline error from " + text);
        } else {
            complain("pipeline warning from " + text);
        }
        break;
    }
    case GST_MESSAGE_EOS:
        if (!publisher->stopped_) {
            publisher->listener_.on_sources_ended();
        }
        break;
    default:
        break;
    }
    return G_SOURCE_CONTINUE;
}

std::string Publisher::to_string(GstWebRTCPeerConnectionState state) {
    GEnumClass* type =
        static_cast<GEnumClass*>(g_type_class_ref(GST_TYPE_WEBRTC_PEER_CONNECTION_STATE));
    GEnumValue* value = g_enum_get_value(type, state);
    std::string name = value != nullptr ? value->value_nick : "unknown";
    g_type_class_unref(type);
    return name;
}

} // namespace whip
