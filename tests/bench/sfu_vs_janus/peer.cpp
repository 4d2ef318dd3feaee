#include "peer.hpp"

#include "core/g_unique.hpp"
#include "webrtc/ice_policy.hpp"

#include <gst/sdp/sdp.h>

#include <chrono>
#include <stdexcept>

namespace sfuload {

namespace {

// Gathering a host candidate on 127.0.0.1 takes milliseconds; after this, the SDP goes out
// with what there is.
constexpr std::chrono::seconds kGatheringTimeout{5};

struct PromiseData {
    WeakAlive alive;
    Peer* peer;
    std::function<void(Peer&, conf::Result<GstStructure*>)> fn;
};

// The reply of a promise that has replied, or its error.
conf::Result<GstStructure*> reply_of(GstPromise* promise) {
    if (gst_promise_wait(promise) != GST_PROMISE_RESULT_REPLIED) {
        return conf::internal_error("webrtcbin did not reply");
    }
    auto* reply = const_cast<GstStructure*>(gst_promise_get_reply(promise));
    if (reply != nullptr && gst_structure_has_field(reply, "error")) {
        conf::GUnique<GError> error;
        gst_structure_get(reply, "error", G_TYPE_ERROR, error.out(), nullptr);
        return conf::internal_error(error ? error->message : "unknown webrtcbin error");
    }
    return reply;
}

conf::Result<conf::GUnique<GstWebRTCSessionDescription>> description_from(GstWebRTCSDPType type,
                                                                          const std::string& sdp) {
    conf::GUnique<GstSDPMessage> message;
    if (gst_sdp_message_new_from_text(sdp.c_str(), message.out()) != GST_SDP_OK ||
        gst_sdp_message_medias_len(message.get()) == 0) {
        return conf::invalid_argument("not an SDP with media: " + sdp.substr(0, 200));
    }
    return conf::GUnique<GstWebRTCSessionDescription>(
        gst_webrtc_session_description_new(type, message.release()));
}

} // namespace

Peer::Peer(std::string name, GstElement* webrtcbin, const std::string& ice_address)
    : name_(std::move(name)), webrtcbin_(conf::GRef<GstElement>::ref(webrtcbin)) {
    conf::Status restricted = conf::restrict_ice(webrtcbin_.get(), {ice_address});
    if (!restricted) {
        throw std::runtime_error(name_ + ": " + restricted.message());
    }
    negotiation_signal_ =
        conf::connect_signal<>(webrtcbin_.get(), "on-negotiation-needed", [this]() {
            post([](Peer& self) {
                self.negotiation_needed_ = true;
                if (auto waiter = std::move(self.negotiation_waiter_)) {
                    self.negotiation_waiter_ = nullptr;
                    waiter();
                }
            });
        });
    gathering_signal_ = conf::connect_signal<GParamSpec*>(
        webrtcbin_.get(), "notify::ice-gathering-state",
        [this](GParamSpec*) { post([](Peer& self) { self.check_gathered(false); }); });
    state_signal_ = conf::connect_signal<GParamSpec*>(
        webrtcbin_.get(), "notify::connection-state", [this](GParamSpec*) {
            GstWebRTCPeerConnectionState state = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;
            g_object_get(webrtcbin_.get(), "connection-state", &state, nullptr);
            post([state](Peer& self) {
                if (self.state_listener_) {
                    self.state_listener_(state);
                }
            });
        });
}

Peer::~Peer() {
    if (gathering_timer_) {
        g_source_destroy(gathering_timer_.get());
    }
}

void Peer::post(std::function<void(Peer&)> fn) {
    post_to_main([alive = WeakAlive(alive_), this, fn = std::move(fn)] {
        if (!alive.expired()) {
            fn(*this);
        }
    });
}

conf::GRef<GstPromise> Peer::promise(std::function<void(Peer&, conf::Result<GstStructure*>)> fn) {
    auto* data = new PromiseData{WeakAlive(alive_), this, std::move(fn)};
    return conf::GRef<GstPromise>::adopt(gst_promise_new_with_change_func(
        [](GstPromise* replied, gpointer user_data) noexcept {
            // On webrtcbin's thread: keep the promise (the reply lives in it) and go back to
            // the main thread.
            const auto* d = static_cast<PromiseData*>(user_data);
            auto kept = conf::GRef<GstPromise>::ref(replied);
            post_to_main([alive = d->alive, peer = d->peer, fn = d->fn, kept] {
                if (!alive.expired()) {
                    fn(*peer, reply_of(kept.get()));
                }
            });
        },
        data, [](gpointer user_data) noexcept { delete static_cast<PromiseData*>(user_data); }));
}

void Peer::when_negotiation_needed(std::function<void()> fn) {
    if (negotiation_needed_) {
        fn();
    } else {
        negotiation_waiter_ = std::move(fn);
    }
}

void Peer::create_offer(SdpDone done) {
    auto created = promise([done](Peer& self, conf::Result<GstStructure*> reply) {
        if (!reply) {
            done(reply.status().with_context("create-offer"));
            return;
        }
        conf::GUnique<GstWebRTCSessionDescription> offer;
        gst_structure_get(*reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, offer.out(),
                          nullptr);
        if (!offer) {
            done(conf::internal_error("webrtcbin made no offer"));
            return;
        }
        self.set_local(offer.get(), done);
    });
    g_signal_emit_by_name(webrtcbin_.get(), "create-offer", nullptr, created.get());
}

void Peer::accept_offer(const std::string& sdp, SdpDone done) {
    auto offer = description_from(GST_WEBRTC_SDP_TYPE_OFFER, sdp);
    if (!offer) {
        done(offer.status());
        return;
    }
    auto applied = promise([done](Peer& self, conf::Result<GstStructure*> reply) {
        if (!reply) {
            done(reply.status().with_context("set-remote-description (offer)"));
            return;
        }
        auto answered = self.promise([done](Peer& peer, conf::Result<GstStructure*> answer_reply) {
            if (!answer_reply) {
                done(answer_reply.status().with_context("create-answer"));
                return;
            }
            conf::GUnique<GstWebRTCSessionDescription> answer;
            gst_structure_get(*answer_reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
                              answer.out(), nullptr);
            if (!answer) {
                done(conf::internal_error("webrtcbin made no answer"));
                return;
            }
            peer.set_local(answer.get(), done);
        });
        g_signal_emit_by_name(self.webrtcbin_.get(), "create-answer", nullptr, answered.get());
    });
    g_signal_emit_by_name(webrtcbin_.get(), "set-remote-description", offer->get(), applied.get());
}

void Peer::apply_answer(const std::string& sdp, StatusDone done) {
    auto answer = description_from(GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
    if (!answer) {
        done(answer.status());
        return;
    }
    auto applied = promise([done](Peer&, conf::Result<GstStructure*> reply) {
        done(reply ? conf::Status::ok()
                   : reply.status().with_context("set-remote-description (answer)"));
    });
    g_signal_emit_by_name(webrtcbin_.get(), "set-remote-description", answer->get(), applied.get());
}

void Peer::set_local(GstWebRTCSessionDescription* description, SdpDone done) {
    auto applied = promise([done](Peer& self, conf::Result<GstStructure*> reply) {
        if (!reply) {
            done(reply.status().with_context("set-local-description"));
            return;
        }
        self.gathered_done_ = done;
        self.gathering_timer_ = conf::GRef<GSource>::adopt(
            g_timeout_source_new_seconds(static_cast<guint>(kGatheringTimeout.count())));
        g_source_set_callback(
            self.gathering_timer_.get(),
            [](gpointer data) noexcept -> gboolean {
                static_cast<Peer*>(data)->check_gathered(true);
                return G_SOURCE_REMOVE;
            },
            &self, nullptr);
        g_source_attach(self.gathering_timer_.get(), nullptr);
        self.check_gathered(false);
    });
    g_signal_emit_by_name(webrtcbin_.get(), "set-local-description", description, applied.get());
}

void Peer::check_gathered(bool timed_out) {
    if (!gathered_done_) {
        return; // no local description yet, or handed out already
    }
    GstWebRTCICEGatheringState gathering = GST_WEBRTC_ICE_GATHERING_STATE_NEW;
    g_object_get(webrtcbin_.get(), "ice-gathering-state", &gathering, nullptr);
    if (gathering != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE && !timed_out) {
        return;
    }
    SdpDone done = std::move(gathered_done_);
    gathered_done_ = nullptr;
    if (gathering_timer_) {
        g_source_destroy(gathering_timer_.get());
        gathering_timer_.reset();
    }
    // webrtcbin has added each gathered candidate to its local description.
    conf::GUnique<GstWebRTCSessionDescription> local;
    g_object_get(webrtcbin_.get(), "local-description", local.out(), nullptr);
    if (!local) {
        done(conf::internal_error("webrtcbin has no local description"));
        return;
    }
    conf::GUnique<gchar> text(gst_sdp_message_as_text(local->sdp));
    std::string sdp = text.get();
    if (sdp.find("a=candidate:") == std::string::npos) {
        done(conf::internal_error("ICE gathered no candidate"));
        return;
    }
    done(std::move(sdp));
}

const char* Peer::to_string(GstWebRTCPeerConnectionState state) {
    switch (state) {
    case GST_WEBRTC_PEER_CONNECTION_STATE_NEW:
        return "new";
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTING:
        return "connecting";
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED:
        return "connected";
    case GST_WEBRTC_PEER_CONNECTION_STATE_DISCONNECTED:
        return "disconnected";
    case GST_WEBRTC_PEER_CONNECTION_STATE_FAILED:
        return "failed";
    case GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED:
        return "closed";
    }
    return "unknown";
}

} // namespace sfuload
