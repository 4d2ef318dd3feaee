#include "webrtc/endpoint.hpp"

#include "core/g_unique.hpp"
#include "webrtc/ice_policy.hpp"
#include "webrtc/local_formats.hpp"
#include "webrtc/offer_filter.hpp"

#include <gst/webrtc/webrtc.h>

#include <algorithm>
#include <cstring>

namespace conf {

std::string_view to_string(EndpointState state) noexcept {
    switch (state) {
    case EndpointState::kNew:
        return "new";
    case EndpointState::kConnecting:
        return "connecting";
    case EndpointState::kConnected:
        return "connected";
    case EndpointState::kFailed:
        return "failed";
    case EndpointState::kClosed:
        return "closed";
    }
    return "unknown";
}

namespace {

// A GstPromise whose reply is handled on the media thread, if the endpoint still exists.
using PromiseHandler = std::function<void(Endpoint&, GstPromise*)>;

Status error_from_reply(GstPromise* promise, std::string_view step) {
    if (gst_promise_wait(promise) != GST_PROMISE_RESULT_REPLIED) {
        return internal_error(fmt::format("{}: no reply from webrtcbin", step));
    }
    const GstStructure* reply = gst_promise_get_reply(promise);
    if (reply != nullptr && gst_structure_has_field(reply, "error")) {
        GUnique<GError> error;
        gst_structure_get(reply, "error", G_TYPE_ERROR, error.out(), nullptr);
        return invalid_argument(
            fmt::format("{}: {}", step, error ? error->message : "webrtcbin reported an error"));
    }
    return Status::ok();
}

bool is_dtls_decoder(GstElement* element) {
    GstElementFactory* factory = gst_element_get_factory(element);
    return factory != nullptr && g_strcmp0(GST_OBJECT_NAME(factory), "dtlssrtpdec") == 0;
}

// Sets `pem` on `element` if it is a DTLS decoder, or on every DTLS decoder inside it.
void use_certificate(GstElement* element, const std::string& pem) {
    if (is_dtls_decoder(element)) {
        g_object_set(element, "pem", pem.c_str(), nullptr);
        return;
    }
    if (!GST_IS_BIN(element)) {
        return;
    }
    GUnique<GstIterator> it(gst_bin_iterate_recurse(GST_BIN(element)));
    GValue item = G_VALUE_INIT;
    while (gst_iterator_next(it.get(), &item) == GST_ITERATOR_OK) {
        auto* child = GST_ELEMENT(g_value_get_object(&item));
        if (is_dtls_decoder(child)) {
            g_object_set(child, "pem", pem.c_str(), nullptr);
        }
        g_value_reset(&item);
    }
    g_value_unset(&item);
}

// webrtcbin 1.22 computes the SDP fingerprint over every base64 line of the transport's
// PEM, which for a supplied certificate includes the private key: the result matches
// nothing and browsers drop the DTLS handshake. The answer gets the real fingerprint.
void replace_fingerprints(GstSDPMessage* sdp, const std::string& fingerprint) {
    for (guint m = 0; m < gst_sdp_message_medias_len(sdp); ++m) {
        auto* media = const_cast<GstSDPMedia*>(gst_sdp_message_get_media(sdp, m));
        for (guint a = 0; a < gst_sdp_media_attributes_len(media); ++a) {
            if (g_strcmp0(gst_sdp_media_get_attribute(media, a)->key, "fingerprint") == 0) {
                GstSDPAttribute attr;
                gst_sdp_attribute_set(&attr, "fingerprint", fingerprint.c_str());
                gst_sdp_media_replace_attribute(media, a, &attr);
            }
        }
    }
    for (guint a = 0; a < gst_sdp_message_attributes_len(sdp); ++a) {
        if (g_strcmp0(gst_sdp_message_get_attribute(sdp, a)->key, "fingerprint") == 0) {
            GstSDPAttribute attr;
            gst_sdp_attribute_set(&attr, "fingerprint", fingerprint.c_str());
            gst_sdp_message_replace_attribute(sdp, a, &attr);
        }
    }
}

// Tells the peer how much it may send per video m-line: b=AS (kbps, what browsers read)
// and b=TIAS (bps, RFC 3890).
void limit_video_bitrate(GstSDPMessage* sdp, std::uint32_t kbps) {
    for (guint m = 0; m < gst_sdp_message_medias_len(sdp); ++m) {
        auto* media = const_cast<GstSDPMedia*>(gst_sdp_message_get_media(sdp, m));
        if (g_strcmp0(gst_sdp_media_get_media(media), "video") != 0) {
            continue;
        }
        while (gst_sdp_media_bandwidths_len(media) > 0) {
            gst_sdp_media_remove_bandwidth(media, 0);
        }
        gst_sdp_media_add_bandwidth(media, "AS", kbps);
        gst_sdp_media_add_bandwidth(media, "TIAS", kbps * 1000);
    }
}

} // namespace

Result<std::unique_ptr<Endpoint>> Endpoint::create(Engine::Impl& engine, EndpointOptions options,
                                                   Signaller& signaller, Listener& listener) {
    CONF_ASSERT_MEDIA_THREAD(engine);
    if (options.id.empty()) {
        return invalid_argument("endpoint id must not be empty");
    }
    auto identity = engine.dtls_identity();
    if (!identity) {
        return identity.status();
    }
    auto pipeline = Pipeline::create(engine, "endpoint-" + options.id);
    if (!pipeline) {
        return pipeline.status();
    }
    auto webrtcbin = GRef<GstElement>::adopt(
        gst_element_factory_make("webrtcbin", ("webrtcbin-" + options.id).c_str()));
    if (!webrtcbin) {
        return unavailable("the webrtcbin element is missing (install gstreamer1.0-plugins-bad "
                           "and gstreamer1.0-nice)");
    }
    gst_bin_add((*pipeline)->bin(), webrtcbin.get());
    std::unique_ptr<Endpoint> endpoint(new Endpoint(engine, std::move(options), signaller, listener,
                                                    std::move(pipeline).value(),
                                                    std::move(webrtcbin)));
    if (Status status = endpoint->setup(**identity); !status) {
        return status;
    }
    return endpoint;
}

Endpoint::Endpoint(Engine::Impl& engine, EndpointOptions options, Signaller& signaller,
                   Listener& listener, std::unique_ptr<Pipeline> pipeline,
                   GRef<GstElement> webrtcbin)
    : engine_(engine), options_(std::move(options)), signaller_(signaller), listener_(listener),
      logger_(Logger("endpoint").with("room", options_.room).with("endpoint", options_.id)),
      pipeline_(std::move(pipeline)), webrtcbin_(std::move(webrtcbin)) {
    pipeline_->set_listener(this);
}

Endpoint::~Endpoint() {
    gathering_timer_.reset();
    silence_timer_.reset();
    signals_.clear();
    // The pipeline goes first: its streaming threads are what feed the tracks.
    pipeline_.reset();
    detach_send_tracks();
    tracks_.clear();
}

Status Endpoint::setup(const DtlsIdentity& identity) {
    g_object_set(webrtcbin_.get(), "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency",
                 static_cast<guint>(options_.jitterbuffer_latency.count()), nullptr);
    if (!options_.stun_server.empty()) {
        g_object_set(webrtcbin_.get(), "stun-server", options_.stun_server.c_str(), nullptr);
    }

    if (Status restricted = restrict_ice(webrtcbin_.get(), options_.ice_addresses); !restricted) {
        return restricted;
    }

    // Every DTLS transport webrtcbin creates presents the engine's certificate. webrtcbin adds
    // its transport bins already populated, so look inside whatever gets added.
    fingerprint_ = identity.sdp_fingerprint();
    std::string pem = identity.pem();
    signals_.push_back(connect_signal<GstBin*, GstElement*>(
        pipeline_->get(), "deep-element-added", [this, pem](GstBin*, GstElement* element) {
            use_certificate(element, pem);
            watch_transport(element);
        }));
    signals_.push_back(connect_signal<GstPad*>(webrtcbin_.get(), "pad-added",
                                               [this](GstPad* pad) { on_pad_added(pad); }));
    signals_.push_back(connect_signal<GParamSpec*>(
        webrtcbin_.get(), "notify::ice-gathering-state",
        [this](GParamSpec*) { post([](Endpoint& self) { self.maybe_send_answer(); }); }));
    signals_.push_back(connect_signal<GParamSpec*>(
        webrtcbin_.get(), "notify::connection-state", [this](GParamSpec*) {
            post([](Endpoint& self) {
                GstWebRTCPeerConnectionState state;
                g_object_get(self.webrtcbin_.get(), "connection-state", &state, nullptr);
                switch (state) {
                case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTING:
                    self.set_state(EndpointState::kConnecting);
                    break;
                case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED:
                    self.set_state(EndpointState::kConnected);
                    break;
                case GST_WEBRTC_PEER_CONNECTION_STATE_FAILED:
                    self.fail(unavailable("ICE/DTLS connection failed"));
                    break;
                default:
                    break;
                }
            });
        }));

    if (Status started = pipeline_->start(); !started) {
        return started.with_context("starting the endpoint pipeline");
    }
    return Status::ok();
}

void Endpoint::post(std::function<void(Endpoint&)> fn) {
    // Destruction happens on the media thread too, so checking the token there is race-free.
    (void)engine_.post([alive = std::weak_ptr<int>(alive_), this, fn = std::move(fn)] {
        if (!alive.expired()) {
            fn(*this);
        }
    });
}

namespace {
struct PromiseContext {
    std::function<void(GRef<GstPromise>)> deliver;
};
} // namespace

void Endpoint::receive_description(const SessionDescription& description) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (description.type == SessionDescription::Type::kAnswer) {
        apply_answer(description);
        return;
    }
    if (offering_) {
        signaller_.send_error(
            failed_precondition("this side makes the offers; answer them instead of offering"));
        return;
    }
    if (state_ != EndpointState::kNew || answer_pending_) {
        signaller_.send_error(failed_precondition("renegotiation is not supported yet"));
        return;
    }
    auto filtered = filter_offer(description.sdp);
    if (!filtered) {
        logger_.info("offer refused: {}", filtered.status().message());
        signaller_.send_error(filtered.status());
        return;
    }
    for (const OfferedMedia& media : filtered->media) {
        logger_.debug("offer m-line mid={} {} {}: {}", media.mid, to_string(media.kind),
                      media.direction, fmt::join(media.codecs, ","));
    }
    expected_remote_tracks_ = static_cast<std::size_t>(
        std::count_if(filtered->media.begin(), filtered->media.end(),
                      [](const OfferedMedia& media) { return media.peer_sends(); }));
    if (Status status = create_send_tracks(filtered->media); !status) {
        logger_.info("offer refused: {}", status.message());
        signaller_.send_error(status);
        return;
    }
    add_receive_transceivers(filtered->media);
    enable_retransmission();
    GUnique<GstWebRTCSessionDescription> offer(
        gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, filtered->sdp.release()));

    auto promise = promise_for([](Endpoint& self, GstPromise* reply) {
        if (Status status = error_from_reply(reply, "applying the offer"); !status) {
            self.signaller_.send_error(status);
            return;
        }
        self.on_remote_offer_set();
    });
    g_signal_emit_by_name(webrtcbin_.get(), "set-remote-description", offer.get(), promise.get());
}

Status Endpoint::create_send_tracks(const std::vector<OfferedMedia>& media) {
    if (send_sources_.empty()) {
        return Status::ok();
    }
    std::vector<ReceivedTrack*> unused = send_sources_;
    for (unsigned mline = 0; mline < media.size(); ++mline) {
        const OfferedMedia& offered = media[mline];
        if (!offered.peer_receives()) {
            continue;
        }
        for (auto it = unused.begin(); it != unused.end(); ++it) {
            if ((*it)->kind() != offered.kind) {
                continue;
            }
            ReceivedTrack* source = *it;
            if (ReceivedTrack* converted = convert(*source, offered)) {
                source = converted;
            }
            const OfferedFormat* format = offered.format_for(source->codec());
            if (format == nullptr) {
                continue;
            }
            auto track = SendTrack::create(pipeline_->bin(), webrtcbin_.get(), mline, *format,
                                           fmt::format("{}-{}", options_.id, mline));
            if (!track) {
                return track.status();
            }
            // Packets start flowing once the peer is connected (see set_state): webrtcbin
            // refuses data on a send pad whose transport is not up yet, which would stop
            // the appsrc with not-linked.
            // Answering: the m-line is negotiated once the answer is set, before connecting.
            pending_sources_.push_back({*track, source, false, true});
            logger_.info("sending {} ({}) on m-line {} as payload {}", source->id(),
                         source->codec().name, mline, format->payload_type);
            send_tracks_.push_back(std::move(track).value());
            unused.erase(it);
            break;
        }
    }
    if (send_tracks_.empty()) {
        std::string have;
        for (const ReceivedTrack* source : send_sources_) {
            have += fmt::format("{}{} {}", have.empty() ? "" : ", ", to_string(source->kind()),
                                source->codec().name);
        }
        return invalid_argument(
            fmt::format("the offer accepts none of the tracks there are to send ({})", have));
    }
    return Status::ok();
}

ReceivedTrack* Endpoint::convert(ReceivedTrack& source, const OfferedMedia& offered) {
    if (!options_.convert_source) {
        return nullptr;
    }
    std::vector<const Codec*> accepted;
    for (const OfferedFormat& format : offered.formats) {
        if (std::find(accepted.begin(), accepted.end(), format.codec) == accepted.end()) {
            accepted.push_back(format.codec);
        }
    }
    std::shared_ptr<ReceivedTrack> converted = options_.convert_source(source, accepted);
    if (!converted) {
        return nullptr;
    }
    return converted_sources_.emplace_back(std::move(converted)).get();
}

void Endpoint::add_receive_transceivers(const std::vector<OfferedMedia>& media) {
    // webrtcbin would create receive transceivers itself while answering, too late to
    // configure them; made here, the offer's m-lines are matched to them instead.
    for (unsigned mline = 0; mline < media.size(); ++mline) {
        const OfferedMedia& offered = media[mline];
        bool sending = std::any_of(send_tracks_.begin(), send_tracks_.end(),
                                   [mline](const auto& track) { return track->mline() == mline; });
        if (!offered.peer_sends() || sending || offered.formats.empty()) {
            continue;
        }
        auto caps = GRef<GstCaps>::adopt(gst_caps_new_empty());
        for (const OfferedFormat& format : offered.formats) {
            GRef<GstCaps> one = rtp_caps_for(format);
            // Accept transport-wide-cc under the peer's id: webrtcbin then sends the TWCC
            // feedback browsers need to raise their send bitrate past ~300 kbps.
            for (const auto& [id, uri] : offered.extensions) {
                if (uri == kTransportCcExtension) {
                    gst_caps_set_simple(one.get(), fmt::format("extmap-{}", id).c_str(),
                                        G_TYPE_STRING, uri.c_str(), nullptr);
                }
            }
            gst_caps_append(caps.get(), one.release());
        }
        GstWebRTCRTPTransceiver* raw = nullptr;
        g_signal_emit_by_name(webrtcbin_.get(), "add-transceiver",
                              GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps.get(), &raw);
        GRef<GstWebRTCRTPTransceiver>::adopt(raw).reset();
    }
}

void Endpoint::enable_retransmission() {
    // Receiving: NACK lost packets (the answer then carries a=rtcp-fb nack, and RTX where
    // offered). Sending: keep recent packets to answer the peer's NACKs.
    GArray* raw = nullptr;
    g_signal_emit_by_name(webrtcbin_.get(), "get-transceivers", &raw);
    auto transceivers = GRef<GArray>::adopt(raw);
    for (guint i = 0; transceivers && i < transceivers->len; ++i) {
        auto* transceiver = g_array_index(transceivers.get(), GstWebRTCRTPTransceiver*, i);
        GstWebRTCKind kind = GST_WEBRTC_KIND_UNKNOWN;
        g_object_get(transceiver, "kind", &kind, nullptr);
        // Sending audio: no RTX (see SendTrack); receiving, NACKs cost nothing.
        GstWebRTCRTPTransceiverDirection direction;
        g_object_get(transceiver, "direction", &direction, nullptr);
        bool sends = direction == GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY ||
                     direction == GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV;
        if (!sends || kind != GST_WEBRTC_KIND_AUDIO) {
            g_object_set(transceiver, "do-nack", TRUE, nullptr);
        }
    }
}

void Endpoint::detach_send_tracks() {
    pending_sources_.clear();
    for (const auto& track : send_tracks_) {
        track->detach();
    }
    send_tracks_.clear();
}

GRef<GstPromise> Endpoint::promise_for(std::function<void(Endpoint&, GstPromise*)> handler) {
    auto* context = new PromiseContext{[this, alive = std::weak_ptr<int>(alive_),
                                        handler = std::move(handler)](GRef<GstPromise> promise) {
        (void)engine_.post([this, alive, handler, promise = std::move(promise)] {
            if (!alive.expired()) {
                handler(*this, promise.get());
            }
        });
    }};
    return GRef<GstPromise>::adopt(gst_promise_new_with_change_func(
        [](GstPromise* p, gpointer data) {
            static_cast<PromiseContext*>(data)->deliver(GRef<GstPromise>::ref(p));
        },
        context, [](gpointer data) { delete static_cast<PromiseContext*>(data); }));
}

void Endpoint::on_remote_offer_set() {
    auto promise =
        promise_for([](Endpoint& self, GstPromise* reply) { self.on_answer_created(reply); });
    g_signal_emit_by_name(webrtcbin_.get(), "create-answer", nullptr, promise.get());
}

void Endpoint::on_answer_created(GstPromise* promise) {
    if (Status status = error_from_reply(promise, "creating the answer"); !status) {
        signaller_.send_error(status);
        return;
    }
    GUnique<GstWebRTCSessionDescription> answer;
    const GstStructure* reply = gst_promise_get_reply(promise);
    if (reply == nullptr ||
        !gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, answer.out(),
                           nullptr) ||
        !answer) {
        signaller_.send_error(internal_error("webrtcbin produced no answer"));
        return;
    }
    replace_fingerprints(answer->sdp, fingerprint_);
    if (options_.max_video_bitrate_kbps > 0) {
        limit_video_bitrate(answer->sdp, options_.max_video_bitrate_kbps);
    }
    g_signal_emit_by_name(webrtcbin_.get(), "set-local-description", answer.get(), nullptr);
    answer_pending_ = true;
    set_state(EndpointState::kConnecting);

    start_gathering_timer();
    maybe_send_answer();
}

void Endpoint::start_gathering_timer() {
    // Owned by the endpoint, so `this` is valid whenever it fires.
    gathering_timer_ = Timer::once(engine_.context(), options_.gathering_timeout, [this] {
        logger_.warn("ICE gathering still running after {} ms; sending the description with "
                     "the candidates gathered so far",
                     options_.gathering_timeout.count());
        send_answer_now();
    });
}

void Endpoint::maybe_send_answer() {
    if (!answer_pending_) {
        return;
    }
    GstWebRTCICEGatheringState gathering;
    g_object_get(webrtcbin_.get(), "ice-gathering-state", &gathering, nullptr);
    if (gathering == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) {
        send_answer_now();
    }
}

void Endpoint::send_answer_now() {
    if (!answer_pending_) {
        return;
    }
    answer_pending_ = false;
    gathering_timer_.reset();
    GUnique<GstWebRTCSessionDescription> local;
    g_object_get(webrtcbin_.get(), "local-description", local.out(), nullptr);
    if (!local) {
        signaller_.send_error(internal_error("no local description after set-local-description"));
        return;
    }
    GUnique<gchar> text(gst_sdp_message_as_text(local->sdp));
    bool offer = local->type == GST_WEBRTC_SDP_TYPE_OFFER;
    logger_.debug("{} ready ({} bytes)", offer ? "offer" : "answer", std::strlen(text.get()));
    signaller_.send_description(
        {offer ? SessionDescription::Type::kOffer : SessionDescription::Type::kAnswer, text.get()});
}

void Endpoint::receive_candidate(const IceCandidate& candidate) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (candidate.candidate.empty()) {
        return; // end of candidates: nothing to do for libnice
    }
    g_signal_emit_by_name(webrtcbin_.get(), "add-ice-candidate", candidate.mline_index,
                          candidate.candidate.c_str());
}

void Endpoint::on_pad_added(GstPad* pad) {
    // Streaming thread. Build the track here (it only adds a probe) so no packet arrives on
    // an unhandled pad; the bookkeeping goes to the media thread.
    if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) {
        return;
    }
    auto caps = GRef<GstCaps>::adopt(gst_pad_get_current_caps(pad));
    if (!caps) {
        caps = GRef<GstCaps>::adopt(gst_pad_query_caps(pad, nullptr));
    }
    const GstStructure* s =
        caps && !gst_caps_is_empty(caps.get()) ? gst_caps_get_structure(caps.get(), 0) : nullptr;
    const gchar* encoding = s != nullptr ? gst_structure_get_string(s, "encoding-name") : nullptr;
    const Codec* codec = encoding != nullptr ? find_codec(encoding) : nullptr;
    std::string pad_name = GST_PAD_NAME(pad);
    if (codec == nullptr) {
        // Cannot happen with a filtered offer; refuse loudly rather than forward blindly.
        post([pad_name,
              encoding = std::string(encoding != nullptr ? encoding : "?")](Endpoint& self) {
            self.logger_.warn("ignoring pad {} with unsupported encoding {}", pad_name, encoding);
        });
        return;
    }
    auto track = std::make_shared<std::unique_ptr<ReceivedTrack>>(std::make_unique<ReceivedTrack>(
        options_.id + "-" + pad_name, *codec, caps, GRef<GstPad>::ref(pad),
        GRef<GstElement>::ref(GST_ELEMENT(pipeline_->get()))));
    post([track](Endpoint& self) {
        ReceivedTrack& added = *self.tracks_.emplace_back(std::move(*track));
        self.logger_.info("track {} ({} {})", added.id(), to_string(added.kind()),
                          added.codec().name);
        self.listener_.on_track_added(self, added);
    });
}

void Endpoint::set_state(EndpointState state) {
    if (state == state_ || state_ == EndpointState::kFailed || state_ == EndpointState::kClosed) {
        return;
    }
    logger_.info("state {} -> {}", to_string(state_), to_string(state));
    state_ = state;
    if (state == EndpointState::kConnected) {
        attach_ready_sources();
        if (options_.silence_timeout.count() > 0) {
            last_receive_us_->store(g_get_monotonic_time());
            silence_timer_ = Timer::start(engine_.context(), std::chrono::seconds(1),
                                          [this] { return check_silence(); });
        }
    } else if (state == EndpointState::kFailed || state == EndpointState::kClosed) {
        silence_timer_.reset();
    }
    listener_.on_state_changed(*this, state);
}

void Endpoint::fail(Status error) {
    if (state_ == EndpointState::kFailed || state_ == EndpointState::kClosed) {
        return;
    }
    logger_.warn("failed: {}", error.message());
    set_state(EndpointState::kFailed);
    listener_.on_endpoint_failed(*this, error);
}

void Endpoint::on_pipeline_error(Pipeline& /*pipeline*/, const Status& error) {
    fail(error);
}

void Endpoint::watch_transport(GstElement* element) {
    // Streaming thread (element added). Every packet from the peer passes nicesrc's pad;
    // STUN is answered inside libnice and never does, which is why RTCP is what counts.
    GstElementFactory* factory = gst_element_get_factory(element);
    if (factory == nullptr || g_strcmp0(GST_OBJECT_NAME(factory), "nicesrc") != 0) {
        return;
    }
    auto pad = GRef<GstPad>::adopt(gst_element_get_static_pad(element, "src"));
    if (!pad) {
        return;
    }
    gst_pad_add_probe(
        pad.get(),
        static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
        [](GstPad*, GstPadProbeInfo*, gpointer data) {
            (*static_cast<std::shared_ptr<std::atomic<std::int64_t>>*>(data))
                ->store(g_get_monotonic_time(), std::memory_order_relaxed);
            return GST_PAD_PROBE_OK;
        },
        new std::shared_ptr<std::atomic<std::int64_t>>(last_receive_us_),
        [](gpointer data) {
            delete static_cast<std::shared_ptr<std::atomic<std::int64_t>>*>(data);
        });
}

bool Endpoint::check_silence() {
    // Nothing is due from a peer that neither publishes nor receives anything.
    bool expecting = !tracks_.empty() || send_tracks_.size() > pending_sources_.size();
    std::int64_t silent_us = g_get_monotonic_time() - last_receive_us_->load();
    auto limit_us = std::chrono::duration_cast<std::chrono::microseconds>(options_.silence_timeout);
    if (!expecting) {
        last_receive_us_->store(g_get_monotonic_time());
        return true;
    }
    if (silent_us < limit_us.count()) {
        return true;
    }
    fail(unavailable(
        fmt::format("nothing received from the peer for {} s: it is gone", silent_us / 1000000)));
    return false;
}

void Endpoint::attach_ready_sources() {
    if (state_ != EndpointState::kConnected) {
        return;
    }
    std::erase_if(pending_sources_, [](PendingSource& pending) {
        if (!pending.negotiated) {
            return false;
        }
        pending.track->attach(*pending.source, pending.track);
        return true;
    });
}

Status Endpoint::add_receive_slot(MediaKind kind) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    offering_ = true;
    auto caps = GRef<GstCaps>::adopt(gst_caps_new_empty());
    for (const OfferedFormat& format : receive_formats(kind)) {
        GRef<GstCaps> one = rtp_caps_for(format);
        if (kind == MediaKind::kAudio) {
            gst_caps_set_simple(one.get(), fmt::format("extmap-{}", kAudioLevelExtensionId).c_str(),
                                G_TYPE_STRING, kAudioLevelExtension, nullptr);
        }
        // Transport-wide sequence numbers: webrtcbin's RTP session answers them with TWCC
        // feedback, from which the browser estimates the bandwidth it may use.
        gst_caps_set_simple(one.get(), fmt::format("extmap-{}", kTransportCcExtensionId).c_str(),
                            G_TYPE_STRING, kTransportCcExtension, nullptr);
        gst_caps_append(caps.get(), one.release());
    }
    GstWebRTCRTPTransceiver* raw = nullptr;
    g_signal_emit_by_name(webrtcbin_.get(), "add-transceiver",
                          GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps.get(), &raw);
    auto transceiver = GRef<GstWebRTCRTPTransceiver>::adopt(raw);
    if (!transceiver) {
        return internal_error(fmt::format("webrtcbin refused a {} receive slot", to_string(kind)));
    }
    g_object_set(transceiver.get(), "do-nack", TRUE, nullptr);
    receive_slots_.push_back(std::move(transceiver));
    return Status::ok();
}

std::string Endpoint::mid_of(GstWebRTCRTPTransceiver* transceiver) const {
    // webrtcbin 1.22 fills a transceiver's "mid" and "mlineindex" only once an answer is
    // applied. Before that, an offerer's m-lines follow its transceivers in creation order
    // (m-lines are never removed or reordered), so the local offer has the mid.
    guint mline = G_MAXUINT;
    g_object_get(transceiver, "mlineindex", &mline, nullptr);
    if (mline == G_MAXUINT) {
        GArray* raw = nullptr;
        g_signal_emit_by_name(webrtcbin_.get(), "get-transceivers", &raw);
        auto transceivers = GRef<GArray>::adopt(raw);
        for (guint i = 0; transceivers && i < transceivers->len; ++i) {
            if (g_array_index(transceivers.get(), GstWebRTCRTPTransceiver*, i) == transceiver) {
                mline = i;
            }
        }
    }
    GUnique<GstWebRTCSessionDescription> local;
    g_object_get(webrtcbin_.get(), "local-description", local.out(), nullptr);
    if (!local || mline >= gst_sdp_message_medias_len(local->sdp)) {
        return {};
    }
    const char* mid =
        gst_sdp_media_get_attribute_val(gst_sdp_message_get_media(local->sdp, mline), "mid");
    return mid != nullptr ? mid : "";
}

std::vector<std::string> Endpoint::receive_slot_mids() const {
    std::vector<std::string> mids;
    for (const auto& transceiver : receive_slots_) {
        mids.push_back(mid_of(transceiver.get()));
    }
    return mids;
}

std::string Endpoint::mid_of(const SendTrack& track) const {
    return track.transceiver() != nullptr ? mid_of(track.transceiver()) : std::string();
}

Result<std::shared_ptr<SendTrack>> Endpoint::forward(ReceivedTrack& source) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    offering_ = true;
    guint ssrc = 0;
    const GstStructure* s = gst_caps_get_structure(source.caps(), 0);
    gst_structure_get_uint(s, "ssrc", &ssrc);
    auto track = SendTrack::create_offered(pipeline_->bin(), webrtcbin_.get(), send_format(source),
                                           fmt::format("{}-{}", options_.id, source.id()), ssrc);
    if (!track) {
        return track.status();
    }
    logger_.info("forwarding {} ({}) on m-line {}", source.id(), source.codec().name,
                 (*track)->mline());
    pending_sources_.push_back({*track, &source, false, false});
    send_tracks_.push_back(*track);
    return track;
}

void Endpoint::stop_forwarding(const std::shared_ptr<SendTrack>& track) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    std::erase_if(pending_sources_,
                  [&track](const PendingSource& pending) { return pending.track == track; });
    track->deactivate();
}

void Endpoint::negotiate() {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    offering_ = true;
    if (state_ == EndpointState::kFailed || state_ == EndpointState::kClosed) {
        return;
    }
    if (offer_in_flight_) {
        renegotiate_ = true;
        return;
    }
    // An offer without m-lines has no BUNDLE group and browsers refuse it; a receive-only
    // participant alone in a room gets its first offer with the first track to forward.
    GArray* raw = nullptr;
    g_signal_emit_by_name(webrtcbin_.get(), "get-transceivers", &raw);
    auto transceivers = GRef<GArray>::adopt(raw);
    if (!transceivers || transceivers->len == 0) {
        logger_.debug("nothing to offer yet");
        return;
    }
    make_offer();
}

void Endpoint::make_offer() {
    offer_in_flight_ = true;
    renegotiate_ = false;
    for (PendingSource& pending : pending_sources_) {
        pending.in_offer = true;
    }
    auto promise =
        promise_for([](Endpoint& self, GstPromise* reply) { self.on_offer_created(reply); });
    g_signal_emit_by_name(webrtcbin_.get(), "create-offer", nullptr, promise.get());
}

void Endpoint::on_offer_created(GstPromise* promise) {
    GUnique<GstWebRTCSessionDescription> offer;
    Status status = error_from_reply(promise, "creating an offer");
    const GstStructure* reply = status ? gst_promise_get_reply(promise) : nullptr;
    if (status && (reply == nullptr ||
                   !gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
                                      offer.out(), nullptr) ||
                   !offer)) {
        status = internal_error("webrtcbin produced no offer");
    }
    if (!status) {
        fail(status);
        return;
    }
    replace_fingerprints(offer->sdp, fingerprint_);
    if (options_.max_video_bitrate_kbps > 0) {
        limit_video_bitrate(offer->sdp, options_.max_video_bitrate_kbps);
    }
    auto applied = promise_for([](Endpoint& self, GstPromise* done) {
        if (Status set = error_from_reply(done, "setting the local offer"); !set) {
            self.fail(set);
            return;
        }
        self.answer_pending_ = true;
        if (self.state_ == EndpointState::kNew) {
            self.set_state(EndpointState::kConnecting);
            self.start_gathering_timer();
        }
        self.maybe_send_answer();
    });
    g_signal_emit_by_name(webrtcbin_.get(), "set-local-description", offer.get(), applied.get());
}

void Endpoint::apply_answer(const SessionDescription& answer) {
    if (!offer_in_flight_ || answer_pending_) {
        signaller_.send_error(failed_precondition("no offer is waiting for an answer"));
        return;
    }
    GstSDPMessage* raw = nullptr;
    if (gst_sdp_message_new_from_text(answer.sdp.c_str(), &raw) != GST_SDP_OK || raw == nullptr) {
        signaller_.send_error(invalid_argument("the answer is not SDP"));
        return;
    }
    GUnique<GstSDPMessage> sdp(raw);
    if (gst_sdp_message_medias_len(sdp.get()) == 0) {
        signaller_.send_error(invalid_argument("the answer has no m-lines"));
        return;
    }
    GUnique<GstWebRTCSessionDescription> description(
        gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, sdp.release()));
    auto promise = promise_for([](Endpoint& self, GstPromise* reply) {
        if (Status status = error_from_reply(reply, "applying the answer"); !status) {
            // webrtcbin cannot roll back: this peer's negotiation is over.
            self.signaller_.send_error(status);
            self.fail(status);
            return;
        }
        self.on_answer_applied();
    });
    g_signal_emit_by_name(webrtcbin_.get(), "set-remote-description", description.get(),
                          promise.get());
}

void Endpoint::on_answer_applied() {
    offer_in_flight_ = false;
    for (PendingSource& pending : pending_sources_) {
        if (pending.in_offer) {
            pending.negotiated = true;
        }
    }
    attach_ready_sources();
    if (renegotiate_) {
        make_offer();
    }
}

void Endpoint::close(std::function<void()> done) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    answer_pending_ = false;
    // Nothing to drain in a transport pipeline: straight to NULL.
    pipeline_->stop(
        [this, alive = std::weak_ptr<int>(alive_), done = std::move(done)](const StopReport&) {
            if (!alive.expired()) {
                detach_send_tracks();
                set_state(EndpointState::kClosed);
            }
            if (done) {
                done();
            }
        },
        Pipeline::StopMode::kImmediate);
}

} // namespace conf
