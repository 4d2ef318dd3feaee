#include "recording/manifest_store.hpp"
#include "room/room.hpp"
#include "webrtc/in_process_signaller.hpp"

#include "support/eventually.hpp"
#include "support/temp_dir.hpp"
#include "support/webrtc_publisher.hpp"

#include <catch2/catch.hpp>

#include <future>
#include <mutex>
#include <set>
#include <thread>

using namespace std::chrono_literals;
using conf::Engine;
using conf::MediaKind;
using conf::Room;

namespace {

// What the room told its owner, for assertions from the test thread.
struct EventLog : Room::Listener {
    std::mutex mutex;
    std::vector<std::string> events;
    void add(std::string event) {
        std::lock_guard lock(mutex);
        events.push_back(std::move(event));
    }
    int count(const std::string& prefix) {
        std::lock_guard lock(mutex);
        return static_cast<int>(std::count_if(
            events.begin(), events.end(), [&](const auto& e) { return e.rfind(prefix, 0) == 0; }));
    }
    void on_member_joined(Room&, const conf::MemberInfo& m) override { add("joined " + m.id); }
    void on_member_left(Room&, const std::string& id, const std::string& reason) override {
        add("left " + id + " " + reason);
    }
    void on_track_published(Room&, const std::string& id, const conf::TrackInfo&) override {
        add("published " + id);
    }
    void on_track_unpublished(Room&, const std::string& id, const std::string&) override {
        add("unpublished " + id);
    }
    void on_track_muted(Room&, const std::string& id, const std::string&, bool muted) override {
        add(std::string(muted ? "muted " : "unmuted ") + id);
    }
    void on_keyframe_requested(Room&, const std::string& id, const std::string&) override {
        add("keyframe " + id);
    }
    void on_active_speaker(Room&, const std::string& id) override { add("speaker " + id); }
};

// The room protocol in-process: offers from the participant go to a webrtcbin client that
// answers, and its answers come back with the offer's revision, as the web client does.
struct Client : conf::Signaller {
    Engine::Impl* engine = nullptr;
    std::unique_ptr<conf::test::WebRtcPublisher> peer;
    conf::Participant* participant = nullptr;
    std::uint32_t revision = 0;
    std::vector<conf::MediaSlot> slots; // of the latest offer
    std::vector<conf::Status> errors;
    std::shared_ptr<int> alive = std::make_shared<int>(0);

    // The participant's side.
    void send_description(const conf::SessionDescription& offer) override {
        revision = offer.revision;
        slots = offer.slots;
        (void)engine->post([this, a = std::weak_ptr<int>(alive), offer] {
            if (!a.expired() && peer) {
                peer->receive_description(offer);
            }
        });
    }
    void send_candidate(const conf::IceCandidate&) override {}
    void send_error(const conf::Status& error) override { errors.push_back(error); }

    // The client's side.
    struct Back : conf::Signaller {
        Client* client = nullptr;
        void send_description(const conf::SessionDescription& answer) override {
            conf::SessionDescription stamped = answer;
            stamped.revision = client->revision;
            client->to_participant(
                [stamped](conf::Participant& p) { p.receive_description(stamped); });
        }
        void send_candidate(const conf::IceCandidate& c) override {
            client->to_participant([c](conf::Participant& p) { p.receive_candidate(c); });
        }
        void send_error(const conf::Status&) override {}
    } back;

    void to_participant(std::function<void(conf::Participant&)> fn) {
        (void)engine->post([this, a = std::weak_ptr<int>(alive), fn] {
            if (!a.expired() && participant != nullptr) {
                fn(*participant);
            }
        });
    }
    bool lists_member(const std::string& member) const {
        return std::any_of(slots.begin(), slots.end(),
                           [&](const auto& s) { return s.participant_id == member; });
    }
};

struct Fixture {
    conf::test::TempDir dir;
    std::unique_ptr<Engine> engine;
    EventLog log;
    std::unique_ptr<Room> room;

    template <typename F>
    auto on_media(F&& fn) {
        auto future = engine->submit(std::forward<F>(fn));
        REQUIRE(future.wait_for(20s) == std::future_status::ready);
        return future.get();
    }

    Fixture() {
        auto created = Engine::create({.name = "room-test", .data_dir = dir.path()});
        REQUIRE(created.is_ok());
        engine = std::move(created).value();
        REQUIRE(on_media([&] {
                    conf::RoomOptions options;
                    options.name = "standup";
                    room = std::make_unique<Room>(engine->impl(), options, log);
                }).is_ok());
    }
    ~Fixture() {
        (void)on_media([&] { room.reset(); });
        (void)engine->stop();
    }
    std::unique_ptr<Client> join(const std::string& id) {
        auto client = std::make_unique<Client>();
        client->engine = &engine->impl();
        client->back.client = client.get();
        REQUIRE(on_media([&] {
                    client->peer = std::make_unique<conf::test::WebRtcPublisher>(
                        engine->impl(), conf::test::kTestPublisher);
                    client->peer->answer_offers();
                    auto joined = room->join(id, {"name-" + id, {}, true, true, true}, *client);
                    if (!joined) {
                        return joined.status();
                    }
                    client->participant = *joined;
                    client->peer->start(client->back);
                    return conf::Status::ok();
                }).is_ok());
        return client;
    }
    // Puts a room that records into `output` in place of `room` (join() then goes there) and
    // returns the one it replaces, for the test to destroy on the media thread.
    std::unique_ptr<Room> use_recording_room(const std::string& name,
                                             const std::filesystem::path& output, bool automatic) {
        std::unique_ptr<Room> previous;
        REQUIRE(on_media([&] {
                    conf::RoomOptions options;
                    options.name = name;
                    conf::RecorderOptions recording;
                    recording.output_dir = output;
                    recording.container = conf::RecordingContainer::kMatroska;
                    recording.min_free_bytes = 1 << 20;
                    options.recording = recording;
                    options.record_automatically = automatic;
                    previous = std::make_unique<Room>(engine->impl(), options, log);
                    room.swap(previous);
                }).is_ok());
        return previous;
    }
    void drop(Client& client) {
        REQUIRE(on_media([&] {
                    client.participant = nullptr;
                    client.peer.reset();
                }).is_ok());
    }
};

} // namespace

TEST_CASE("three participants each decode the two others, and a leaver's tracks go away",
          "[room][sfu]") {
    Fixture f;
    auto a = f.join("a");
    auto b = f.join("b");
    auto c = f.join("c");

    for (Client* client : {a.get(), b.get(), c.get()}) {
        CHECK(conf::test::eventually([&] { return client->peer->video_streams_decoding(10) == 2; },
                                     25s));
    }
    CHECK(conf::test::eventually([&] { return f.log.count("published") == 6; }, 5s));
    CHECK(f.log.count("joined") == 3);
    // New subscribers asked each publisher for a keyframe.
    CHECK(f.log.count("keyframe a") >= 1);
    CHECK(f.log.count("keyframe c") >= 1);
    CHECK(a->peer->decoded_audio_buffers() > 0);
    auto members = f.on_media([&] { return f.room->members(); });
    REQUIRE(members.is_ok());
    CHECK(members->size() == 3);

    // Muting is an event for the others; media keeps its m-line.
    CHECK(f.on_media([&] { return f.room->set_muted("b", MediaKind::kAudio, true); }).is_ok());
    CHECK(f.log.count("muted b") == 1);

    // C leaves: its two tracks are unpublished, and the others' next offers drop them.
    REQUIRE(f.on_media([&] { return f.room->remove("c", "left"); }).is_ok());
    CHECK(f.log.count("unpublished c") == 2);
    CHECK(f.log.count("left c left") == 1);
    CHECK(conf::test::eventually(
        [&] {
            return f.on_media([&] { return !a->lists_member("c") && !b->lists_member("c"); })
                .value();
        },
        10s));
    CHECK(a->lists_member("b"));
    // Every slot of an offer names its m-line, each a different one.
    auto slots = f.on_media([&] { return a->slots; });
    REQUIRE(slots.is_ok());
    std::set<std::string> mids;
    for (const auto& slot : *slots) {
        mids.insert(slot.mid);
    }
    CHECK(mids.size() == slots->size());
    CHECK(mids.count("") == 0);
    CHECK(a->errors.empty());
    CHECK(b->errors.empty());
    f.drop(*c);
    f.drop(*b);
    f.drop(*a);
}

TEST_CASE("a subscriber that stops reading does not change what the others get", "[room][sfu]") {
    Fixture f;
    auto a = f.join("a");
    auto b = f.join("b");
    auto c = f.join("c");
    for (Client* client : {b.get(), c.get()}) {
        CHECK(conf::test::eventually([&] { return client->peer->video_streams_decoding(10) == 2; },
                                     25s));
    }
    auto frames_in = [&](Client& client, std::chrono::milliseconds window) {
        int before = client.peer->decoded_video_frames();
        std::this_thread::sleep_for(window);
        return client.peer->decoded_video_frames() - before;
    };
    int b_before = frames_in(*b, 3s);

    // C's client stops taking packets out of webrtcbin: every output pad blocks.
    REQUIRE(f.on_media([&] {
                 GstIterator* it = gst_element_iterate_src_pads(c->peer->webrtcbin());
                 GValue item = G_VALUE_INIT;
                 while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
                     gst_pad_add_probe(GST_PAD(g_value_get_object(&item)),
                                       GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM, nullptr, nullptr,
                                       nullptr);
                     g_value_reset(&item);
                 }
                 g_value_unset(&item);
                 gst_iterator_free(it);
             }).is_ok());
    int c_stalled = frames_in(*c, 1s);
    int b_after = frames_in(*b, 3s);
    INFO("B decoded " << b_before << " frames in 3 s before C stalled, " << b_after << " after");
    CHECK(c_stalled <= 2);
    CHECK(b_after >= b_before * 8 / 10);
    CHECK(b_after > 100); // two ~30 fps streams for 3 s

    f.drop(*c);
    f.drop(*b);
    f.drop(*a);
}

TEST_CASE("a recording room records each participant into its own file, one session manifest "
          "lists them",
          "[room][recording]") {
    conf::test::TempDir recordings;
    Fixture f;
    // A second room, on the same engine, that records.
    std::unique_ptr<Room> recorded = f.use_recording_room("minutes", recordings.path(), true);
    auto a = f.join("a");
    auto b = f.join("b");
    CHECK(conf::test::eventually(
        [&] {
            return f
                .on_media([&] {
                    return f.room->recorder_of("a") != nullptr &&
                           f.room->recorder_of("b") != nullptr;
                })
                .value();
        },
        15s));
    std::this_thread::sleep_for(2s);

    auto left = std::make_shared<std::promise<void>>();
    auto remaining = std::make_shared<int>(2);
    REQUIRE(f.on_media([&] {
                 for (const char* id : {"a", "b"}) {
                     (void)f.room->remove(id, "left", [left, remaining] {
                         if (--*remaining == 0) {
                             left->set_value();
                         }
                     });
                 }
             }).is_ok());
    REQUIRE(left->get_future().wait_for(15s) == std::future_status::ready);
    std::filesystem::path session_file;
    REQUIRE(f.on_media([&] {
                 REQUIRE(f.room->idle());
                 REQUIRE(f.room->session() != nullptr);
                 session_file = f.room->session()->file();
                 f.room->finish();
             }).is_ok());

    auto session = conf::read_session_manifest(session_file);
    REQUIRE(session.is_ok());
    CHECK(session->state() == conf::RecordingManifest::FINALIZED);
    CHECK(session->room() == "minutes");
    REQUIRE(session->recordings_size() == 2);
    for (const auto& entry : session->recordings()) {
        auto manifest = conf::read_manifest(session_file.parent_path() / entry.manifest());
        REQUIRE(manifest.is_ok());
        INFO("participant " << entry.participant());
        CHECK(manifest->state() == conf::RecordingManifest::FINALIZED);
        CHECK(manifest->tracks_size() == 2); // audio and video in one file
        CHECK(manifest->duration_ns() > 1'500'000'000);
        REQUIRE(manifest->files_size() == 1);
        CHECK(manifest->files(0).bytes() > 10000);
        CHECK(manifest->files(0).sha256().size() == 64);
    }
    f.drop(*b);
    f.drop(*a);
    REQUIRE(f.on_media([&] { recorded.reset(); }).is_ok());
}

namespace {

// A WHIP publisher in miniature: an answering Endpoint whose tracks go into the room.
struct OutsidePublisher : conf::Endpoint::Listener {
    Room* room = nullptr;
    std::string id;
    std::unique_ptr<conf::InProcessSignaller> signaller;
    std::unique_ptr<conf::test::WebRtcPublisher> client;
    std::unique_ptr<conf::Endpoint> endpoint;

    void on_track_added(conf::Endpoint&, conf::ReceivedTrack& track) override {
        room->publish(id, track);
    }
    void on_endpoint_failed(conf::Endpoint&, const conf::Status&) override {}
};

} // namespace

TEST_CASE("a member whose audio carries no RFC 6464 levels becomes the active speaker from its "
          "decoded level",
          "[room][speaker]") {
    Fixture f;
    OutsidePublisher whip;
    REQUIRE(f.on_media([&] {
                 auto& impl = f.engine->impl();
                 whip.room = f.room.get();
                 whip.id = "whip1";
                 f.room->add_member("whip1", "whip-1", {}, 2);
                 whip.signaller = std::make_unique<conf::InProcessSignaller>(impl);
                 // A webrtcbin client negotiates no audio level extension; its tone is loud.
                 whip.client = std::make_unique<conf::test::WebRtcPublisher>(
                     impl, conf::test::kTestPublisher);
                 conf::EndpointOptions options;
                 options.id = "whip1";
                 options.room = "standup";
                 auto created =
                     conf::Endpoint::create(impl, options, whip.signaller->for_b(), whip);
                 if (!created) {
                     return created.status();
                 }
                 whip.endpoint = std::move(created).value();
                 whip.signaller->connect(*whip.client, *whip.endpoint);
                 whip.client->start(whip.signaller->for_a());
                 return conf::Status::ok();
             }).is_ok());

    CHECK(conf::test::eventually([&] { return f.log.count("speaker whip1") == 1; }, 15s));

    REQUIRE(f.on_media([&] {
                 (void)f.room->remove("whip1", "left");
                 whip.endpoint->close([] {});
                 whip.endpoint.reset();
                 whip.client.reset();
             }).is_ok());
}

TEST_CASE("an operator's mute stops forwarding a track until it is unmuted", "[room][sfu]") {
    Fixture f;
    auto a = f.join("a");
    auto b = f.join("b");
    REQUIRE(conf::test::eventually([&] { return b->peer->video_streams_decoding(10) == 1; }, 25s));
    // A's video track, once the room lists it.
    std::string video_track;
    REQUIRE(conf::test::eventually(
        [&] {
            auto found = f.on_media([&] {
                std::string id;
                for (const auto& member : f.room->members()) {
                    for (const auto& track : member.tracks) {
                        if (member.id == "a" && track.kind == MediaKind::kVideo) {
                            id = track.id;
                        }
                    }
                }
                return id;
            });
            video_track = found.is_ok() ? *found : std::string();
            return !video_track.empty();
        },
        10s));
    REQUIRE_FALSE(video_track.empty());
    auto frames_in = [&](std::chrono::milliseconds window) {
        int before = b->peer->decoded_video_frames();
        std::this_thread::sleep_for(window);
        return b->peer->decoded_video_frames() - before;
    };

    auto muted = f.on_media([&] { return f.room->mute_track("a", video_track, true); });
    REQUIRE(muted.is_ok());
    REQUIRE(muted->is_ok());
    CHECK((*muted)->muted);
    CHECK(f.log.count("muted a") == 1);
    // Once what was in flight has drained, nothing more arrives.
    REQUIRE(conf::test::eventually([&] { return frames_in(300ms) == 0; }, 5s));
    CHECK(frames_in(2s) == 0);
    auto listed = f.on_media([&] { return f.room->members(); });
    REQUIRE(listed.is_ok());
    bool shown_muted = false;
    for (const auto& track : (*listed)[0].tracks) {
        shown_muted = shown_muted || (track.id == video_track && track.muted);
    }
    CHECK(shown_muted);

    REQUIRE(f.on_media([&] { return f.room->mute_track("a", video_track, false); }).is_ok());
    CHECK(f.log.count("unmuted a") == 1);
    // Decoding resumes with the keyframe the unmute asked for.
    CHECK(conf::test::eventually([&] { return frames_in(1s) > 10; }, 10s));

    auto unknown = f.on_media([&] { return f.room->mute_track("a", "nope", true); });
    REQUIRE(unknown.is_ok());
    CHECK(unknown->status().code() == conf::StatusCode::kNotFound);
    f.drop(*b);
    f.drop(*a);
}

TEST_CASE("a participant or one track is recorded on demand and finalized on stop",
          "[room][recording]") {
    conf::test::TempDir recordings;
    Fixture f;
    // Can record, does not by itself.
    std::unique_ptr<Room> recorded = f.use_recording_room("on-demand", recordings.path(), false);
    auto a = f.join("a");
    auto b = f.join("b");
    REQUIRE(conf::test::eventually([&] { return f.log.count("published") == 4; }, 25s));
    CHECK(f.on_media([&] { return f.room->recorder_of("a") == nullptr; }).value());

    std::string audio_of_b;
    REQUIRE(f.on_media([&] {
                 for (const auto& member : f.room->members()) {
                     for (const auto& track : member.tracks) {
                         if (member.id == "b" && track.kind == MediaKind::kAudio) {
                             audio_of_b = track.id;
                         }
                     }
                 }
             }).is_ok());
    auto start = [&](conf::RecordingSource source, std::string member, std::string track) {
        return f
            .on_media([&] {
                return f.room->start_recording({source, member, track, std::nullopt});
            })
            .value();
    };
    auto whole_a = start(conf::RecordingSource::kMember, "a", "");
    REQUIRE(whole_a.is_ok());
    auto b_audio = start(conf::RecordingSource::kTrack, "b", audio_of_b);
    REQUIRE(b_audio.is_ok());
    // The same source twice, an unknown member, an unknown track.
    CHECK(start(conf::RecordingSource::kMember, "a", "").status().code() ==
          conf::StatusCode::kFailedPrecondition);
    CHECK(start(conf::RecordingSource::kMember, "zed", "").status().code() ==
          conf::StatusCode::kNotFound);
    CHECK(start(conf::RecordingSource::kTrack, "b", "nope").status().code() ==
          conf::StatusCode::kNotFound);
    CHECK(f.on_media([&] { return f.room->recordings().size(); }).value() == 2);
    std::this_thread::sleep_for(2s);

    for (const std::string& id : {*whole_a, *b_audio}) {
        auto stopped = std::make_shared<std::promise<conf::Status>>();
        REQUIRE(f.on_media([&] {
                     f.room->stop_recording(id,
                                            [stopped](conf::Status s) { stopped->set_value(s); });
                 }).is_ok());
        auto future = stopped->get_future();
        REQUIRE(future.wait_for(15s) == std::future_status::ready);
        CHECK(future.get().is_ok());
    }
    CHECK(f.on_media([&] { return f.room->recordings().empty(); }).value());

    auto a_manifest =
        conf::read_manifest(recordings.path() / "on-demand" / *whole_a / "manifest.json");
    REQUIRE(a_manifest.is_ok());
    CHECK(a_manifest->state() == conf::RecordingManifest::FINALIZED);
    CHECK(a_manifest->participant() == "a");
    CHECK(a_manifest->session().empty());
    CHECK(a_manifest->source_track().empty());
    CHECK(a_manifest->tracks_size() == 2);
    CHECK(a_manifest->duration_ns() > 1'000'000'000);

    auto b_manifest =
        conf::read_manifest(recordings.path() / "on-demand" / *b_audio / "manifest.json");
    REQUIRE(b_manifest.is_ok());
    CHECK(b_manifest->state() == conf::RecordingManifest::FINALIZED);
    CHECK(b_manifest->source_track() == audio_of_b);
    REQUIRE(b_manifest->tracks_size() == 1);
    CHECK(b_manifest->tracks(0).kind() == conf::RecordingManifest::AUDIO);
    CHECK(b_manifest->tracks(0).codec() == "opus");

    auto again = std::make_shared<std::promise<conf::Status>>();
    REQUIRE(f.on_media([&] {
                 f.room->stop_recording(*whole_a, [again](conf::Status s) { again->set_value(s); });
             }).is_ok());
    CHECK(again->get_future().get().code() == conf::StatusCode::kNotFound);
    f.drop(*b);
    f.drop(*a);
    REQUIRE(f.on_media([&] { recorded.reset(); }).is_ok());
}
