#include "recording/manifest_store.hpp"
#include "room/room_registry.hpp"

#include "support/eventually.hpp"
#include "support/temp_dir.hpp"
#include "support/webrtc_publisher.hpp"

#include <catch2/catch.hpp>

#include <future>

using namespace std::chrono_literals;
using conf::Engine;
using conf::RoomRegistry;
using conf::StatusCode;

namespace {

// Plays the HTTP part of WHIP/WHEP in-process: the peer's offer goes to the registry, the
// answer (or the refusal) comes back.
struct RegistrySignaller : conf::Signaller {
    std::function<void(const std::string& offer, conf::SessionCallback)> submit;
    conf::SignallingPeer* peer = nullptr;
    std::promise<conf::Result<conf::SessionInfo>> outcome;
    bool answered = false;

    void send_description(const conf::SessionDescription& description) override {
        submit(description.sdp, [this](conf::Result<conf::SessionInfo> info) {
            if (info) {
                peer->receive_description(
                    {conf::SessionDescription::Type::kAnswer, info->answer_sdp});
            }
            if (!answered) {
                answered = true;
                outcome.set_value(std::move(info));
            }
        });
    }
    void send_candidate(const conf::IceCandidate&) override {} // non-trickle, like WHIP
    void send_error(const conf::Status&) override {}
};

struct Fixture {
    conf::test::TempDir dir;
    std::unique_ptr<Engine> engine;
    std::unique_ptr<RoomRegistry> registry;

    template <typename F>
    auto on_media(F&& fn) {
        auto future = engine->submit(std::forward<F>(fn));
        REQUIRE(future.wait_for(20s) == std::future_status::ready);
        return future.get();
    }

    explicit Fixture(conf::RoomRegistryOptions options = {}) {
        auto created = Engine::create({.name = "room-test", .data_dir = dir.path()});
        REQUIRE(created.is_ok());
        engine = std::move(created).value();
        options.recordings_dir = dir.path() / "recordings";
        options.min_free_bytes = 1 << 20;
        REQUIRE(on_media([&] {
                    registry = std::make_unique<RoomRegistry>(engine->impl(), options);
                }).is_ok());
    }
    ~Fixture() {
        (void)on_media([&] { registry.reset(); });
        (void)engine->stop();
    }
};

// A peer plus the signaller that carries its offer to the registry.
struct Peer {
    RegistrySignaller signaller;
    std::unique_ptr<conf::test::WebRtcPublisher> client;
};

std::unique_ptr<Peer> start_publisher(Fixture& f, const std::string& room) {
    auto peer = std::make_unique<Peer>();
    REQUIRE(f.on_media([&] {
                 peer->client = std::make_unique<conf::test::WebRtcPublisher>(
                     f.engine->impl(), conf::test::kTestPublisher);
                 peer->signaller.peer = peer->client.get();
                 peer->signaller.submit = [&f, room](const std::string& offer,
                                                     conf::SessionCallback done) {
                     f.registry->publish(room, offer, {}, {}, std::move(done));
                 };
                 peer->client->start(peer->signaller);
             }).is_ok());
    return peer;
}

conf::Result<conf::SessionInfo> wait_outcome(Peer& peer) {
    auto future = peer.signaller.outcome.get_future();
    REQUIRE(future.wait_for(15s) == std::future_status::ready);
    return future.get();
}

} // namespace

TEST_CASE("a published room is recorded, viewable, and finalized on shutdown", "[room]") {
    conf::RoomRegistryOptions options;
    options.record_every_room = true;
    Fixture f(options);

    auto publisher = start_publisher(f, "town-hall");
    auto published = wait_outcome(*publisher);
    REQUIRE(published.is_ok());
    std::string session = published->id;
    CHECK(session.size() == 32);

    // Both tracks arrive and the recording starts with both.
    REQUIRE(conf::test::eventually(
        [&] {
            auto recording = f.on_media(
                [&] { return f.registry->recording_of("town-hall", session) != nullptr; });
            return recording.is_ok() && *recording;
        },
        10s));

    // A viewer of that publisher decodes its video.
    auto viewer = std::make_unique<Peer>();
    REQUIRE(
        f.on_media([&] {
             viewer->client = std::make_unique<conf::test::WebRtcPublisher>(f.engine->impl(),
                                                                            "webrtcbin name=peer");
             viewer->client->add_receiver(
                 "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=100");
             viewer->signaller.peer = viewer->client.get();
             viewer->signaller.submit = [&f, session](const std::string& offer,
                                                      conf::SessionCallback done) {
                 f.registry->view("town-hall", session, offer, std::move(done));
             };
             viewer->client->start(viewer->signaller);
         }).is_ok());
    auto viewed = wait_outcome(*viewer);
    REQUIRE(viewed.is_ok());
    CHECK(
        conf::test::eventually([&] { return viewer->client->decoded_video_frames() >= 30; }, 15s));
    CHECK(f.on_media([&] { return f.registry->session_count(); }).value() == 2);

    std::this_thread::sleep_for(2s); // record a little more than the start-up

    // Shutdown finalizes the recording before it reports done.
    auto done = std::make_shared<std::promise<void>>();
    REQUIRE(f.on_media([&] { f.registry->shutdown([done] { done->set_value(); }); }).is_ok());
    REQUIRE(done->get_future().wait_for(15s) == std::future_status::ready);
    CHECK(f.on_media([&] { return f.registry->session_count(); }).value() == 0);

    // The room's session manifest lists the publisher's recording, finalized with the room.
    std::vector<std::filesystem::path> sessions;
    for (const auto& file : std::filesystem::directory_iterator(f.dir.path() / "recordings" /
                                                                "town-hall" / "sessions")) {
        sessions.push_back(file.path());
    }
    REQUIRE(sessions.size() == 1);
    auto room_session = conf::read_session_manifest(sessions[0]);
    REQUIRE(room_session.is_ok());
    CHECK(room_session->state() == conf::RecordingManifest::FINALIZED);
    REQUIRE(room_session->recordings_size() == 1);
    CHECK(room_session->recordings(0).participant() == session);
    auto manifest_path = f.dir.path() / "recordings" / "town-hall" /
                         room_session->recordings(0).id() / "manifest.json";
    auto manifest = conf::read_manifest(manifest_path);
    REQUIRE(manifest.is_ok());
    CHECK(manifest->state() == conf::RecordingManifest::FINALIZED);
    CHECK(manifest->tracks_size() == 2);
    REQUIRE(manifest->files_size() == 1);
    CHECK(manifest->files(0).bytes() > 10000);
    CHECK(manifest->files(0).sha256().size() == 64);

    CHECK(manifest->session() == room_session->id());

    REQUIRE(f.on_media([&] {
                 viewer->client.reset();
                 publisher->client.reset();
             }).is_ok());
}

TEST_CASE("the registry enforces its limits and names and leaves nothing behind",
          "[room][limits]") {
    conf::RoomRegistryOptions options;
    options.limits.max_sessions = 1;
    Fixture f(options);

    auto first = start_publisher(f, "room-a");
    REQUIRE(wait_outcome(*first).is_ok());

    auto second = start_publisher(f, "room-b");
    auto refused = wait_outcome(*second);
    CHECK(refused.status().code() == StatusCode::kResourceExhausted);
    CHECK_THAT(refused.status().message(), Catch::Contains("max_sessions"));
    CHECK(f.on_media([&] { return f.registry->session_count(); }).value() == 1);

    auto bad_name = f.on_media([&] {
        std::promise<conf::Status> p;
        f.registry->publish("../etc", "v=0\r\n", {}, {},
                            [&](conf::Result<conf::SessionInfo> r) { p.set_value(r.status()); });
        return p.get_future().get();
    });
    CHECK(bad_name.code() == StatusCode::kInvalidArgument);

    auto unknown = f.on_media([&] {
        std::promise<conf::Status> p;
        f.registry->view("room-a", "nope", "v=0\r\n",
                         [&](conf::Result<conf::SessionInfo> r) { p.set_value(r.status()); });
        return p.get_future().get();
    });
    CHECK(unknown.code() == StatusCode::kNotFound);
    CHECK(f.on_media([&] { return f.registry->end_session("room-a", "nope"); }).code() ==
          StatusCode::kNotFound);

    REQUIRE(f.on_media([&] {
                 second->client.reset();
                 first->client.reset();
             }).is_ok());
}

TEST_CASE("a garbage offer is refused and the session does not linger", "[room]") {
    Fixture f;
    auto status = f.on_media([&] {
        std::promise<conf::Status> p;
        f.registry->publish("room-a", "v=0\r\ngarbage\r\n", {}, {},
                            [&](conf::Result<conf::SessionInfo> r) { p.set_value(r.status()); });
        return p.get_future().get();
    });
    CHECK(status.code() == StatusCode::kInvalidArgument);
    // The refused session is taken down on the next turn of the media thread.
    CHECK(conf::test::eventually(
        [&] { return f.on_media([&] { return f.registry->session_count(); }).value() == 0; }, 2s));
}

TEST_CASE("a publisher sending far above max_publisher_video_kbps is ended", "[room][limits]") {
    conf::RoomRegistryOptions options;
    // The test publisher sends ~250 kbps of VP8 and, like any webrtcbin app, ignores the
    // answer's b=AS: it stands for a client that does not honour the limit.
    options.limits.max_publisher_video_kbps = 40;
    Fixture f(options);

    auto publisher = start_publisher(f, "room-a");
    auto published = wait_outcome(*publisher);
    REQUIRE(published.is_ok());
    CHECK_THAT(published->answer_sdp, Catch::Contains("b=AS:40"));
    CHECK(f.on_media([&] { return f.registry->session_count(); }).value() == 1);

    // One 5 s window of measurements, then the session goes.
    CHECK(conf::test::eventually(
        [&] { return f.on_media([&] { return f.registry->session_count(); }).value() == 0; }, 15s));
    REQUIRE(f.on_media([&] { publisher->client.reset(); }).is_ok());
}

TEST_CASE("viewers that take only H.264 decode a VP8 publisher through one shared transcode",
          "[room][transcode]") {
    Fixture f;
    auto publisher = start_publisher(f, "clinic");
    auto published = wait_outcome(*publisher);
    REQUIRE(published.is_ok());
    std::string session = published->id;
    REQUIRE(conf::test::eventually(
        [&] {
            auto members = f.on_media([&] { return f.registry->members("clinic"); });
            return members.is_ok() && members->size() == 1 && (*members)[0].tracks.size() == 2;
        },
        10s));

    // Each viewer's offer accepts H.264 only: confd must transcode the VP8 camera.
    auto start_h264_viewer = [&] {
        auto viewer = std::make_unique<Peer>();
        REQUIRE(f.on_media([&] {
                     viewer->client = std::make_unique<conf::test::WebRtcPublisher>(
                         f.engine->impl(), "webrtcbin name=peer");
                     viewer->client->add_receiver(
                         "application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,"
                         "payload=102,packetization-mode=(string)1,"
                         "profile-level-id=(string)42e01f");
                     viewer->signaller.peer = viewer->client.get();
                     viewer->signaller.submit = [&f, session](const std::string& offer,
                                                              conf::SessionCallback done) {
                         f.registry->view("clinic", session, offer, std::move(done));
                     };
                     viewer->client->start(viewer->signaller);
                 }).is_ok());
        return viewer;
    };
    auto transcodes = [&] {
        return f.on_media([&] { return f.registry->transcodes("clinic"); }).value();
    };

    auto first = start_h264_viewer();
    auto first_outcome = wait_outcome(*first);
    INFO(first_outcome.status().message());
    REQUIRE(first_outcome.is_ok());
    CHECK(conf::test::eventually([&] { return first->client->decoded_video_frames() >= 30; }, 15s));
    auto running = transcodes();
    REQUIRE(running.size() == 1);
    CHECK(running[0].source_codec == "VP8");
    CHECK(running[0].codec == "H264");
    CHECK(running[0].encoder == "x264enc");
    CHECK(running[0].subscribers == 1);

    // A second H.264 viewer shares that encoder: still one transcode, now with two holders.
    auto second = start_h264_viewer();
    REQUIRE(wait_outcome(*second).is_ok());
    CHECK(
        conf::test::eventually([&] { return second->client->decoded_video_frames() >= 30; }, 15s));
    running = transcodes();
    REQUIRE(running.size() == 1);
    CHECK(running[0].subscribers == 2);
    int first_frames = first->client->decoded_video_frames();
    CHECK(conf::test::eventually(
        [&] { return first->client->decoded_video_frames() >= first_frames + 30; }, 10s));

    CHECK(first->client->decoded_video_height() == 240); // the publisher's own size

    // A VP8 viewer asking for a 120-line rendition: its own transcode (VP8 -> VP8, scaled).
    auto small = std::make_unique<Peer>();
    REQUIRE(f.on_media([&] {
                 small->client = std::make_unique<conf::test::WebRtcPublisher>(
                     f.engine->impl(), "webrtcbin name=peer");
                 small->client->add_receiver(
                     "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96");
                 small->signaller.peer = small->client.get();
                 small->signaller.submit = [&f, session](const std::string& offer,
                                                         conf::SessionCallback done) {
                     f.registry->view("clinic", session, offer, std::move(done), 120);
                 };
                 small->client->start(small->signaller);
             }).is_ok());
    REQUIRE(wait_outcome(*small).is_ok());
    CHECK(conf::test::eventually([&] { return small->client->decoded_video_frames() >= 30; }, 15s));
    CHECK(small->client->decoded_video_height() == 120);
    running = transcodes();
    REQUIRE(running.size() == 2);
    CHECK(std::count_if(running.begin(), running.end(), [](const conf::TranscodeInfo& t) {
              return t.codec == "VP8" && t.height == 120 && t.subscribers == 1;
          }) == 1);

    // A height out of range is refused before any media work.
    auto refused = std::make_shared<std::promise<conf::Result<conf::SessionInfo>>>();
    REQUIRE(f.on_media([&] {
                 f.registry->view(
                     "clinic", session, "v=0\r\n",
                     [refused](conf::Result<conf::SessionInfo> r) { refused->set_value(r); }, 5);
             }).is_ok());
    CHECK(refused->get_future().get().status().code() == conf::StatusCode::kInvalidArgument);

    // When the viewers go, their transcodes stop.
    REQUIRE(f.on_media([&] {
                 first->client.reset();
                 second->client.reset();
                 small->client.reset();
             }).is_ok());
    CHECK(conf::test::eventually([&] { return transcodes().empty(); }, 20s));
    REQUIRE(f.on_media([&] { publisher->client.reset(); }).is_ok());
}
