#include "room_fixture.hpp"

#include "recording/manifest_store.hpp"
#include "webrtc/in_process_signaller.hpp"

#include <set>
#include <thread>

using namespace room_test;

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
    // Audio may decode later than video (a slow machine, the sanitizer build): wait for it.
    CHECK(conf::test::eventually([&] { return a->peer->decoded_audio_buffers() > 0; }, 10s));
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

TEST_CASE("participants that decode only H.264 get a VP8 camera through one shared transcode",
          "[room][transcode]") {
    Fixture f;
    auto a = f.join("a"); // publishes VP8
    Room::JoinOptions h264_only{"viewer", {}, false, false, true, false, {"H264", "RED"}};
    auto b = f.join("b", h264_only, "webrtcbin name=peer");
    auto c = f.join("c", h264_only, "webrtcbin name=peer");
    for (Client* client : {b.get(), c.get()}) {
        CHECK(conf::test::eventually([&] { return client->peer->video_streams_decoding(30) == 1; },
                                     25s));
        CHECK(client->errors.empty());
    }
    auto transcodes = [&] {
        return f.on_media([&] { return f.room->transcodes().list(); }).value();
    };
    auto running = transcodes();
    REQUIRE(running.size() == 1); // one decoder and one encoder for both
    CHECK(running[0].source_codec == "VP8");
    CHECK(running[0].codec == "H264");
    CHECK(running[0].encoder == "x264enc");
    CHECK(running[0].subscribers == 2);

    // A join that names no video codec confd sends is refused with the reason.
    auto refused = f.on_media([&] {
        Room::JoinOptions nothing{"x", {}, false, false, true, false, {"H265", "RED"}};
        return f.room->join("x", nothing, *a).status().message();
    });
    CHECK_THAT(refused.value(), Catch::Contains("names no video codec confd sends"));

    // The transcode lives while someone needs it.
    REQUIRE(f.on_media([&] { return f.room->remove("b", "left"); }).is_ok());
    f.drop(*b);
    CHECK(conf::test::eventually(
        [&] {
            auto now = transcodes();
            return now.size() == 1 && now[0].subscribers == 1;
        },
        10s));
    REQUIRE(f.on_media([&] { return f.room->remove("c", "left"); }).is_ok());
    f.drop(*c);
    CHECK(conf::test::eventually([&] { return transcodes().empty(); }, 10s));
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
                return f.room->start_recording({source, member, track, std::nullopt, {}});
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
