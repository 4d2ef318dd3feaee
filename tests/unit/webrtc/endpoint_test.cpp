#include "core/g_unique.hpp"
#include "webrtc/endpoint.hpp"
#include "webrtc/in_process_signaller.hpp"

#include "support/eventually.hpp"
#include "support/temp_dir.hpp"
#include "support/webrtc_publisher.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <regex>
#include <set>
#include <thread>

using namespace std::chrono_literals;
using conf::Endpoint;
using conf::EndpointState;
using conf::Engine;
using conf::ReceivedTrack;

namespace {

// A subscriber that counts what it is given and checks PTS are on the absolute clock.
struct CountingSink : conf::RtpSink {
    std::atomic<int> packets{0};
    std::atomic<int> bad_pts{0};
    void push_rtp(GstBuffer* rtp) override {
        GstClockTime now = gst_clock_get_time(clock);
        GstClockTime pts = GST_BUFFER_PTS(rtp);
        // Absolute clock time: within a few seconds of the system clock's "now".
        if (!GST_CLOCK_TIME_IS_VALID(pts) || pts > now + GST_SECOND ||
            pts + 10 * GST_SECOND < now) {
            ++bad_pts;
        }
        ++packets;
    }
    GstClock* clock = gst_system_clock_obtain();
    ~CountingSink() override { gst_object_unref(clock); }
};

struct TrackCollector : Endpoint::Listener {
    std::vector<ReceivedTrack*> tracks;
    std::vector<std::shared_ptr<CountingSink>> sinks;
    std::vector<ReceivedTrack::Subscription> subscriptions;
    std::promise<void> two_tracks;
    std::promise<void> connected;
    std::vector<conf::Status> failures;

    void on_track_added(Endpoint&, ReceivedTrack& track) override {
        auto sink = std::make_shared<CountingSink>();
        sinks.push_back(sink);
        subscriptions.push_back(track.subscribe(sink));
        subscriptions.back().request_keyframe();
        tracks.push_back(&track);
        if (tracks.size() == 2) {
            two_tracks.set_value();
        }
    }
    void on_state_changed(Endpoint&, EndpointState state) override {
        if (state == EndpointState::kConnected) {
            connected.set_value();
        }
    }
    void on_endpoint_failed(Endpoint&, const conf::Status& error) override {
        failures.push_back(error);
    }
};

// Captures the answer an endpoint sends (for SDP assertions) and forwards it on.
struct AnswerTap : conf::Signaller {
    conf::Signaller* next = nullptr;
    std::string answer;
    std::vector<conf::Status> errors;
    std::promise<conf::Status> first_error;
    void send_description(const conf::SessionDescription& d) override {
        answer = d.sdp;
        next->send_description(d);
    }
    void send_candidate(const conf::IceCandidate& c) override { next->send_candidate(c); }
    void send_error(const conf::Status& e) override {
        if (errors.empty()) {
            first_error.set_value(e);
        }
        errors.push_back(e);
    }
};

struct Fixture {
    conf::test::TempDir dir;
    std::unique_ptr<Engine> engine;
    Fixture() {
        auto created = Engine::create({.name = "endpoint-test", .data_dir = dir.path()});
        REQUIRE(created.is_ok());
        engine = std::move(created).value();
    }
    ~Fixture() { (void)engine->stop(); }
    template <typename F>
    auto on_media(F&& fn) {
        auto future = engine->submit(std::forward<F>(fn));
        REQUIRE(future.wait_for(10s) == std::future_status::ready);
        return future.get();
    }
};

conf::EndpointOptions options(const std::string& id) {
    conf::EndpointOptions o;
    o.id = id;
    o.room = "r1";
    return o;
}

std::set<std::string> candidate_addresses(const std::string& sdp) {
    std::set<std::string> addresses;
    std::regex candidate(R"(a=candidate:\S+ \d+ \S+ \d+ (\S+) \d+ typ)");
    for (auto it = std::sregex_iterator(sdp.begin(), sdp.end(), candidate);
         it != std::sregex_iterator(); ++it) {
        addresses.insert((*it)[1]);
    }
    return addresses;
}

} // namespace

TEST_CASE("a webrtcbin publisher's VP8 and Opus reach an Endpoint and fan out as RTP",
          "[webrtc][endpoint]") {
    Fixture f;
    TrackCollector collector;
    AnswerTap tap;
    std::unique_ptr<conf::InProcessSignaller> signaller;
    std::unique_ptr<conf::test::WebRtcPublisher> publisher;
    std::unique_ptr<Endpoint> endpoint;
    std::string fingerprint;

    REQUIRE(f.on_media([&] {
                 auto& impl = f.engine->impl();
                 signaller = std::make_unique<conf::InProcessSignaller>(impl);
                 publisher = std::make_unique<conf::test::WebRtcPublisher>(
                     impl, conf::test::kTestPublisher);
                 tap.next = &signaller->for_b();
                 auto created = Endpoint::create(impl, options("pub1"), tap, collector);
                 if (!created) {
                     return created.status();
                 }
                 endpoint = std::move(created).value();
                 signaller->connect(*publisher, *endpoint);
                 fingerprint = (*impl.dtls_identity())->sdp_fingerprint();
                 publisher->start(signaller->for_a());
                 return conf::Status::ok();
             }).is_ok());

    auto tracks_ready = collector.two_tracks.get_future();
    REQUIRE(tracks_ready.wait_for(15s) == std::future_status::ready);
    REQUIRE(collector.connected.get_future().wait_for(5s) == std::future_status::ready);

    // Media keeps flowing to both subscribers, with PTS on the absolute clock.
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline &&
           (collector.sinks[0]->packets < 60 || collector.sinks[1]->packets < 60)) {
        std::this_thread::sleep_for(50ms);
    }
    CHECK(collector.sinks[0]->packets >= 60);
    CHECK(collector.sinks[1]->packets >= 60);
    CHECK(collector.sinks[0]->bad_pts == 0);
    CHECK(collector.sinks[1]->bad_pts == 0);

    std::set<std::string> codecs;
    (void)f.on_media([&] {
        for (auto* track : collector.tracks) {
            codecs.insert(std::string(track->codec().name));
        }
    });
    CHECK(codecs == std::set<std::string>{"VP8", "OPUS"});
    CHECK(collector.failures.empty());

    // The DTLS handshake really used the engine's certificate: the publisher saw it.
    std::string remote_certificate;
    std::string our_pem;
    (void)f.on_media([&] {
        our_pem = (*f.engine->impl().dtls_identity())->pem();
        GstWebRTCRTPTransceiver* transceiver = nullptr;
        g_signal_emit_by_name(publisher->webrtcbin(), "get-transceiver", 0, &transceiver);
        auto owned = conf::GRef<GstWebRTCRTPTransceiver>::adopt(transceiver);
        GstWebRTCRTPSender* sender = nullptr;
        g_object_get(owned.get(), "sender", &sender, nullptr);
        auto owned_sender = conf::GRef<GstWebRTCRTPSender>::adopt(sender);
        GstWebRTCDTLSTransport* transport = nullptr;
        g_object_get(owned_sender.get(), "transport", &transport, nullptr);
        auto owned_transport = conf::GRef<GstWebRTCDTLSTransport>::adopt(transport);
        conf::GUnique<gchar> pem;
        g_object_get(owned_transport.get(), "remote-certificate", pem.out(), nullptr);
        remote_certificate = pem ? pem.get() : "";
    });
    REQUIRE_FALSE(remote_certificate.empty());
    CHECK_THAT(our_pem, Catch::Contains(remote_certificate.substr(0, 200)));

    // The answer: the engine's ECDSA certificate, host candidates on 127.0.0.1 only.
    CHECK_THAT(tap.answer, Catch::Contains("a=fingerprint:" + fingerprint));
    CHECK(candidate_addresses(tap.answer) == std::set<std::string>{"127.0.0.1"});
    CHECK_THAT(tap.answer, Catch::Contains("VP8/90000") && Catch::Contains("OPUS/48000"));
    // Lost packets are asked for again: NACK is negotiated (not only PLI) and every
    // jitterbuffer of the endpoint sends NACKs.
    CHECK_THAT(tap.answer, Catch::Contains("a=rtcp-fb:96 nack\r\n"));
    CHECK_THAT(tap.answer, Catch::Contains("a=rtcp-fb:96 nack pli\r\n"));
    auto retransmission = f.on_media([&] {
        std::vector<bool> flags;
        conf::GUnique<GstIterator> it(gst_bin_iterate_recurse(GST_BIN(endpoint->webrtcbin())));
        GValue item = G_VALUE_INIT;
        while (gst_iterator_next(it.get(), &item) == GST_ITERATOR_OK) {
            auto* element = GST_ELEMENT(g_value_get_object(&item));
            if (g_str_has_prefix(GST_OBJECT_NAME(element), "rtpjitterbuffer")) {
                gboolean on = FALSE;
                g_object_get(element, "do-retransmission", &on, nullptr);
                flags.push_back(on != FALSE);
            }
            g_value_reset(&item);
        }
        g_value_unset(&item);
        return flags;
    });
    REQUIRE(retransmission.is_ok());
    CHECK(retransmission->size() >= 2); // audio and video (and RTX, when it was used)
    CHECK(std::all_of(retransmission->begin(), retransmission->end(), [](bool on) { return on; }));

    REQUIRE(f.on_media([&] {
                 endpoint->close([] {});
                 endpoint.reset();
                 publisher.reset();
                 signaller.reset();
             }).is_ok());
}

TEST_CASE("every endpoint of an engine presents the same ECDSA certificate", "[webrtc][dtls]") {
    Fixture f;
    auto identity = f.on_media([&] { return f.engine->impl().dtls_identity(); });
    REQUIRE(identity.is_ok());
    REQUIRE(identity->is_ok());
    const conf::DtlsIdentity* first = **identity;
    CHECK_THAT(first->pem(),
               Catch::Contains("BEGIN CERTIFICATE") && Catch::Contains("BEGIN PRIVATE KEY"));
    CHECK(first->sdp_fingerprint().rfind("sha-256 ", 0) == 0);
    CHECK(first->sdp_fingerprint().size() == 8 + 32 * 3 - 1);
    auto again = f.on_media([&] { return f.engine->impl().dtls_identity(); });
    CHECK(**again == first);
}

TEST_CASE("an endpoint refuses an offer without a usable codec and stays usable",
          "[webrtc][endpoint]") {
    Fixture f;
    TrackCollector collector;
    AnswerTap tap;
    conf::InProcessSignaller signaller(f.engine->impl());
    tap.next = &signaller.for_b();
    std::unique_ptr<Endpoint> endpoint;
    REQUIRE(f.on_media([&] {
                 auto created = Endpoint::create(f.engine->impl(), options("bad1"), tap, collector);
                 REQUIRE(created.is_ok());
                 endpoint = std::move(created).value();
                 endpoint->receive_description(
                     {conf::SessionDescription::Type::kOffer, "v=0\r\nnot really sdp\r\n"});
             }).is_ok());
    auto error = tap.first_error.get_future();
    REQUIRE(error.wait_for(5s) == std::future_status::ready);
    conf::Status status = error.get();
    CHECK(status.code() == conf::StatusCode::kInvalidArgument);
    CHECK(tap.answer.empty());
    (void)f.on_media([&] {
        CHECK(endpoint->state() == EndpointState::kNew);
        endpoint.reset();
    });
}

TEST_CASE("a viewer receives a publisher's tracks forwarded by an Endpoint and decodes them",
          "[webrtc][endpoint][forward]") {
    Fixture f;
    TrackCollector publisher_side;
    AnswerTap publish_tap;
    AnswerTap view_tap;
    TrackCollector viewer_side; // the viewer endpoint receives nothing; it only sends
    std::unique_ptr<conf::InProcessSignaller> publish_signaller;
    std::unique_ptr<conf::InProcessSignaller> view_signaller;
    std::unique_ptr<conf::test::WebRtcPublisher> publisher;
    std::unique_ptr<conf::test::WebRtcPublisher> viewer;
    std::unique_ptr<Endpoint> ingest;
    std::unique_ptr<Endpoint> egress;

    REQUIRE(f.on_media([&] {
                 auto& impl = f.engine->impl();
                 publish_signaller = std::make_unique<conf::InProcessSignaller>(impl);
                 publisher = std::make_unique<conf::test::WebRtcPublisher>(
                     impl, conf::test::kTestPublisher);
                 publish_tap.next = &publish_signaller->for_b();
                 auto created = Endpoint::create(impl, options("in1"), publish_tap, publisher_side);
                 if (!created) {
                     return created.status();
                 }
                 ingest = std::move(created).value();
                 publish_signaller->connect(*publisher, *ingest);
                 publisher->start(publish_signaller->for_a());
                 return conf::Status::ok();
             }).is_ok());
    REQUIRE(publisher_side.two_tracks.get_future().wait_for(15s) == std::future_status::ready);

    REQUIRE(
        f.on_media([&] {
             auto& impl = f.engine->impl();
             view_signaller = std::make_unique<conf::InProcessSignaller>(impl);
             viewer = std::make_unique<conf::test::WebRtcPublisher>(impl, "webrtcbin name=peer");
             // Payload numbers differ from the publisher's (96, 111): forwarding rewrites.
             viewer->add_receiver(
                 "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=101");
             viewer->add_receiver("application/x-rtp,media=audio,encoding-name=OPUS,"
                                  "clock-rate=48000,encoding-params=(string)2,payload=109");
             view_tap.next = &view_signaller->for_b();
             auto created = Endpoint::create(impl, options("out1"), view_tap, viewer_side);
             if (!created) {
                 return created.status();
             }
             egress = std::move(created).value();
             for (const auto& track : ingest->tracks()) {
                 egress->add_send_source(*track);
             }
             view_signaller->connect(*viewer, *egress);
             viewer->start(view_signaller->for_a());
             return conf::Status::ok();
         }).is_ok());

    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline &&
           (viewer->decoded_video_frames() < 30 || viewer->decoded_audio_buffers() < 20)) {
        std::this_thread::sleep_for(50ms);
    }
    INFO("view errors: " << view_tap.errors.size() << " answer:\n" << view_tap.answer);
    CHECK(view_tap.errors.empty());
    CHECK(viewer->decoded_video_frames() >= 30);
    CHECK(viewer->decoded_audio_buffers() >= 20);
    CHECK_THAT(view_tap.answer,
               Catch::Contains("a=rtpmap:101 VP8/90000") && Catch::Contains("a=sendonly"));

    REQUIRE(f.on_media([&] {
                 egress.reset();
                 viewer.reset();
                 view_signaller.reset();
                 ingest.reset();
                 publisher.reset();
                 publish_signaller.reset();
             }).is_ok());
}

namespace {

// One side of a room in miniature: a peer that answers, and the offering Endpoint for it.
struct OfferedPeer {
    TrackCollector collector;
    AnswerTap tap; // sees the offers
    std::unique_ptr<conf::InProcessSignaller> signaller;
    std::unique_ptr<conf::test::WebRtcPublisher> client;
    std::unique_ptr<Endpoint> endpoint;

    conf::Status start(Engine::Impl& impl, const std::string& id) {
        signaller = std::make_unique<conf::InProcessSignaller>(impl);
        client = std::make_unique<conf::test::WebRtcPublisher>(impl, conf::test::kTestPublisher);
        client->answer_offers();
        tap.next = &signaller->for_b();
        auto created = Endpoint::create(impl, options(id), tap, collector);
        if (!created) {
            return created.status();
        }
        endpoint = std::move(created).value();
        signaller->connect(*client, *endpoint);
        client->start(signaller->for_a());
        if (auto s = endpoint->add_receive_slot(conf::MediaKind::kAudio); !s) {
            return s;
        }
        if (auto s = endpoint->add_receive_slot(conf::MediaKind::kVideo); !s) {
            return s;
        }
        endpoint->negotiate();
        return conf::Status::ok();
    }
    ReceivedTrack* track(conf::MediaKind kind) const {
        for (auto* t : collector.tracks) {
            if (t->kind() == kind) {
                return t;
            }
        }
        return nullptr;
    }
};

} // namespace

TEST_CASE("an offering endpoint receives into its slots and forwards tracks added by "
          "renegotiation",
          "[webrtc][endpoint][offer]") {
    Fixture f;
    OfferedPeer x;
    OfferedPeer y;
    REQUIRE(f.on_media([&] {
                 auto& impl = f.engine->impl();
                 if (auto s = x.start(impl, "px"); !s) {
                     return s;
                 }
                 return y.start(impl, "py");
             }).is_ok());

    // The first offer has only the two receive slots; each peer's audio and video arrive.
    REQUIRE(x.collector.two_tracks.get_future().wait_for(15s) == std::future_status::ready);
    REQUIRE(y.collector.two_tracks.get_future().wait_for(15s) == std::future_status::ready);
    CHECK_THAT(x.tap.answer, Catch::Contains("a=recvonly") && !Catch::Contains("a=sendonly"));
    // Receive slots offer transport-wide congestion control (so the browser's bandwidth
    // estimate grows past its 300 kbps start) and, for audio, RFC 6464 levels.
    CHECK_THAT(x.tap.answer,
               Catch::Contains("a=extmap:3 http://www.ietf.org/id/"
                               "draft-holmer-rmcat-transport-wide-cc-extensions-01") &&
                   Catch::Contains("a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level"));
    CHECK(candidate_addresses(x.tap.answer) == std::set<std::string>{"127.0.0.1"});
    REQUIRE(x.collector.connected.get_future().wait_for(5s) == std::future_status::ready);
    REQUIRE(y.collector.connected.get_future().wait_for(5s) == std::future_status::ready);

    // Renegotiation: X gets Y's audio and video, Y gets X's video.
    std::shared_ptr<conf::SendTrack> x_to_y;
    REQUIRE(f.on_media([&] {
                 auto to_y = y.endpoint->forward(*x.track(conf::MediaKind::kVideo));
                 if (!to_y) {
                     return to_y.status();
                 }
                 x_to_y = *to_y;
                 y.endpoint->negotiate();
                 for (auto kind : {conf::MediaKind::kVideo, conf::MediaKind::kAudio}) {
                     if (auto to_x = x.endpoint->forward(*y.track(kind)); !to_x) {
                         return to_x.status();
                     }
                 }
                 x.endpoint->negotiate();
                 return conf::Status::ok();
             }).is_ok());
    CHECK(conf::test::eventually([&] { return y.client->video_streams_decoding(10) == 1; }, 15s));
    CHECK(conf::test::eventually([&] { return x.client->video_streams_decoding(10) == 1; }, 15s));
    CHECK(conf::test::eventually([&] { return x.client->decoded_audio_buffers() > 10; }, 15s));
    CHECK(y.client->answers() == 2);
    // The forwarded m-line announces the publisher's SSRC (how bundled m-lines are told apart).
    CHECK_THAT(y.tap.answer, Catch::Contains("a=sendonly") && Catch::Contains("a=ssrc:"));

    // Taking the track away: its m-line goes inactive and the frames stop.
    REQUIRE(f.on_media([&] {
                 y.endpoint->stop_forwarding(x_to_y);
                 y.endpoint->negotiate();
             }).is_ok());
    CHECK(conf::test::eventually([&] { return y.client->answers() == 3; }, 10s));
    CHECK_THAT(y.tap.answer, Catch::Contains("a=inactive"));
    std::this_thread::sleep_for(500ms);
    int before = y.client->decoded_video_frames();
    std::this_thread::sleep_for(1s);
    CHECK(y.client->decoded_video_frames() - before <= 2);
    CHECK(x.collector.failures.empty());
    CHECK(y.collector.failures.empty());

    REQUIRE(f.on_media([&] {
                 for (OfferedPeer* p : {&x, &y}) {
                     p->endpoint->close([] {});
                 }
                 x.endpoint.reset();
                 y.endpoint.reset();
                 x.client.reset();
                 y.client.reset();
             }).is_ok());
}
