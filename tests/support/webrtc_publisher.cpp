#include "support/webrtc_publisher.hpp"

#include "core/g_unique.hpp"
#include "webrtc/ice_policy.hpp"

#include <gst/webrtc/webrtc.h>

#include <stdexcept>

namespace conf::test {

namespace {
struct PromiseCallback {
    std::function<void(GstPromise*)> fn;
};

GRef<GstPromise> make_promise(std::function<void(GstPromise*)> fn) {
    return GRef<GstPromise>::adopt(gst_promise_new_with_change_func(
        [](GstPromise* promise, gpointer data) {
            static_cast<PromiseCallback*>(data)->fn(promise);
        },
        new PromiseCallback{std::move(fn)},
        [](gpointer data) { delete static_cast<PromiseCallback*>(data); }));
}
} // namespace

std::string test_publisher(const std::string& pattern, int frequency) {
    return "webrtcbin name=peer "
           "videotestsrc is-live=true " +
           pattern +
           " ! video/x-raw,width=320,height=240,framerate=30/1 ! "
           "vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay pt=96 ! "
           "application/x-rtp,media=video,encoding-name=VP8,payload=96 ! peer. "
           "audiotestsrc is-live=true wave=sine volume=0.3 freq=" +
           std::to_string(frequency) +
           " ! audioconvert ! audioresample ! opusenc ! rtpopuspay pt=111 ! "
           "application/x-rtp,media=audio,encoding-name=OPUS,payload=111 ! peer.";
}

std::vector<std::vector<float>> WebRtcPublisher::received_audio() const {
    std::lock_guard lock(streams_mutex_);
    std::vector<std::vector<float>> out;
    for (const auto& stream : audio_streams_) {
        out.push_back(*stream);
    }
    return out;
}

WebRtcPublisher::WebRtcPublisher(Engine::Impl& engine, const std::string& description)
    : engine_(engine) {
    GUnique<GError> error;
    pipeline_ = GRef<GstElement>::adopt(gst_parse_launch(description.c_str(), error.out()));
    if (!pipeline_ || error) {
        throw std::runtime_error("test publisher pipeline: " +
                                 std::string(error ? error->message : "parse failed"));
    }
    if (!GST_IS_PIPELINE(pipeline_.get())) {
        // A lone element parses to itself: give it a pipeline.
        auto wrapper = GRef<GstElement>::adopt(gst_pipeline_new(nullptr));
        gst_bin_add(GST_BIN(wrapper.get()), pipeline_.get());
        pipeline_ = std::move(wrapper);
    }
    webrtcbin_ = GRef<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(pipeline_.get()), "peer"));
    if (!webrtcbin_) {
        throw std::runtime_error("test publisher pipeline has no webrtcbin named 'peer'");
    }
    g_object_set(webrtcbin_.get(), "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr);
    if (Status restricted = restrict_ice(webrtcbin_.get(), {"127.0.0.1"}); !restricted) {
        throw std::runtime_error(restricted.message());
    }
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

void WebRtcPublisher::add_receiver(const std::string& caps_text) {
    auto caps = GRef<GstCaps>::adopt(gst_caps_from_string(caps_text.c_str()));
    GstWebRTCRTPTransceiver* transceiver = nullptr;
    g_signal_emit_by_name(webrtcbin_.get(), "add-transceiver",
                          GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps.get(), &transceiver);
    GRef<GstWebRTCRTPTransceiver>::adopt(transceiver).reset();
}

void WebRtcPublisher::start(Signaller& signaller) {
    signaller_ = &signaller;
    // Decode whatever arrives. Linking from pad-added is fine for a test client.
    signals_.push_back(connect_signal<GstPad*>(webrtcbin_.get(), "pad-added", [this](GstPad* pad) {
        if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) {
            return;
        }
        auto caps = GRef<GstCaps>::adopt(gst_pad_get_current_caps(pad));
        if (!caps) {
            caps = GRef<GstCaps>::adopt(gst_pad_query_caps(pad, nullptr));
        }
        const GstStructure* s = gst_caps_get_structure(caps.get(), 0);
        std::string encoding = gst_structure_get_string(s, "encoding-name");
        std::string chain;
        bool video = true;
        if (encoding == "VP8") {
            chain = "rtpvp8depay ! vp8dec name=dec";
        } else if (encoding == "VP9") {
            chain = "rtpvp9depay ! vp9dec name=dec";
        } else if (encoding == "H264") {
            chain = "rtph264depay ! h264parse ! avdec_h264 name=dec";
        } else if (encoding == "OPUS") {
            chain = "rtpopusdepay ! opusdec name=dec ! audioconvert ! audioresample "
                    "! audio/x-raw,format=F32LE,rate=48000,channels=1 ! identity name=pcm";
            video = false;
        } else {
            return;
        }
        GUnique<GError> error;
        GstElement* bin =
            gst_parse_bin_from_description((chain + " ! fakesink").c_str(), TRUE, error.out());
        if (bin == nullptr) {
            return;
        }
        auto decoder = GRef<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(bin), "dec"));
        auto decoded = GRef<GstPad>::adopt(gst_element_get_static_pad(decoder.get(), "src"));
        struct Counters {
            std::atomic<int>* total;
            std::atomic<int>* stream;
            std::atomic<int>* height; // video only
        };
        auto* counters = new Counters{video ? &decoded_video_frames_ : &decoded_audio_buffers_,
                                      nullptr, video ? &decoded_video_height_ : nullptr};
        if (video) {
            std::lock_guard lock(streams_mutex_);
            counters->stream =
                video_stream_frames_.emplace_back(std::make_unique<std::atomic<int>>(0)).get();
        }
        // Counted per decoded buffer; the probe lives as long as the pad.
        gst_pad_add_probe(
            decoded.get(), GST_PAD_PROBE_TYPE_BUFFER,
            [](GstPad* decoder_src, GstPadProbeInfo*, gpointer data) {
                auto* c = static_cast<Counters*>(data);
                ++*c->total;
                if (c->height != nullptr) {
                    auto frame = GRef<GstCaps>::adopt(gst_pad_get_current_caps(decoder_src));
                    int height = 0;
                    if (frame && gst_structure_get_int(gst_caps_get_structure(frame.get(), 0),
                                                       "height", &height)) {
                        c->height->store(height);
                    }
                }
                if (c->stream != nullptr) {
                    ++*c->stream;
                }
                return GST_PAD_PROBE_OK;
            },
            counters, [](gpointer data) { delete static_cast<Counters*>(data); });
        if (!video) {
            // Keeps the last 30 s of what it heard, for tests that look for tones in it.
            auto heard = std::make_shared<std::vector<float>>();
            {
                std::lock_guard lock(streams_mutex_);
                audio_streams_.push_back(heard);
            }
            auto pcm = GRef<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(bin), "pcm"));
            auto pcm_src = GRef<GstPad>::adopt(gst_element_get_static_pad(pcm.get(), "src"));
            struct Ear {
                std::mutex* mutex;
                std::shared_ptr<std::vector<float>> heard;
            };
            gst_pad_add_probe(
                pcm_src.get(), GST_PAD_PROBE_TYPE_BUFFER,
                [](GstPad*, GstPadProbeInfo* info, gpointer data) {
                    auto* ear = static_cast<Ear*>(data);
                    GstMapInfo map;
                    GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
                    if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
                        const auto* samples = reinterpret_cast<const float*>(map.data);
                        std::lock_guard lock(*ear->mutex);
                        ear->heard->insert(ear->heard->end(), samples,
                                           samples + map.size / sizeof(float));
                        constexpr std::size_t kKeep = 30 * 48000;
                        if (ear->heard->size() > 2 * kKeep) {
                            ear->heard->erase(ear->heard->begin(), ear->heard->end() - kKeep);
                        }
                        gst_buffer_unmap(buffer, &map);
                    }
                    return GST_PAD_PROBE_OK;
                },
                new Ear{&streams_mutex_, heard},
                [](gpointer data) { delete static_cast<Ear*>(data); });
        }
        gst_bin_add(GST_BIN(pipeline_.get()), bin);
        gst_element_sync_state_with_parent(bin);
        auto sink = GRef<GstPad>::adopt(gst_element_get_static_pad(bin, "sink"));
        gst_pad_link(pad, sink.get());
    }));
    signals_.push_back(connect_signal<>(webrtcbin_.get(), "on-negotiation-needed", [this] {
        post([](WebRtcPublisher& self) {
            if (self.answering_) {
                return; // the other side offers
            }
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
                }).get());
        });
    }));
    signals_.push_back(connect_signal<guint, gchar*>(
        webrtcbin_.get(), "on-ice-candidate", [this](guint mline, gchar* candidate) {
            IceCandidate c{mline, candidate};
            post([c](WebRtcPublisher& self) { self.signaller_->send_candidate(c); });
        }));
    // Like browsers: offer NACK and retransmit what the other side reports lost. Set before
    // PLAYING, so nothing about it can touch negotiation.
    GArray* raw = nullptr;
    g_signal_emit_by_name(webrtcbin_.get(), "get-transceivers", &raw);
    auto transceivers = GRef<GArray>::adopt(raw);
    for (guint i = 0; transceivers && i < transceivers->len; ++i) {
        g_object_set(g_array_index(transceivers.get(), GstWebRTCRTPTransceiver*, i), "do-nack",
                     TRUE, nullptr);
    }
    gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING);
}

int WebRtcPublisher::video_streams_decoding(int min_frames) const {
    std::lock_guard lock(streams_mutex_);
    int streams = 0;
    for (const auto& frames : video_stream_frames_) {
        streams += frames->load() >= min_frames ? 1 : 0;
    }
    return streams;
}

void WebRtcPublisher::receive_description(const SessionDescription& description) {
    if (description.type == SessionDescription::Type::kOffer) {
        answer(description.sdp);
        return;
    }
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

void WebRtcPublisher::answer(const std::string& offer_text) {
    GUnique<GstSDPMessage> sdp;
    gst_sdp_message_new(sdp.out());
    gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(offer_text.data()),
                                 static_cast<guint>(offer_text.size()), sdp.get());
    GUnique<GstWebRTCSessionDescription> offer(
        gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, sdp.release()));
    auto applied = make_promise([this, alive = std::weak_ptr<int>(alive_)](GstPromise*) {
        (void)engine_.post([this, alive] {
            if (alive.expired()) {
                return;
            }
            auto created = make_promise([this, alive](GstPromise* p) {
                auto promise = GRef<GstPromise>::ref(p);
                (void)engine_.post([this, alive, promise] {
                    if (alive.expired()) {
                        return;
                    }
                    GUnique<GstWebRTCSessionDescription> answer;
                    const GstStructure* reply = gst_promise_get_reply(promise.get());
                    if (reply == nullptr ||
                        !gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
                                           answer.out(), nullptr)) {
                        signaller_->send_error(internal_error("test peer: no answer"));
                        return;
                    }
                    g_signal_emit_by_name(webrtcbin_.get(), "set-local-description", answer.get(),
                                          nullptr);
                    GUnique<gchar> text(gst_sdp_message_as_text(answer->sdp));
                    ++answers_;
                    signaller_->send_description({SessionDescription::Type::kAnswer, text.get()});
                });
            });
            g_signal_emit_by_name(webrtcbin_.get(), "create-answer", nullptr, created.get());
        });
    });
    g_signal_emit_by_name(webrtcbin_.get(), "set-remote-description", offer.get(), applied.get());
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
