// The room tests' fixture: an engine, a Room, and room-protocol clients (webrtcbin peers that
// answer the participant's offers, as the web client does), in process.
#pragma once

#include "room/room.hpp"

#include "support/eventually.hpp"
#include "support/temp_dir.hpp"
#include "support/webrtc_publisher.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <future>
#include <mutex>
#include <string>
#include <vector>

namespace room_test {

using namespace std::chrono_literals;
using conf::Engine;
using conf::MediaKind;
using conf::Room;

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
    void on_layout_changed(Room&, const conf::RoomMix* mix) override {
        add(mix != nullptr ? "layout" : "layout (no mix)");
    }
    void on_mix_state(Room&, bool running, const conf::Status&) override {
        add(running ? "mix running" : "mix stopped");
    }
};

// The room protocol in-process: offers from the participant go to a webrtcbin client that
// answers, and its answers come back with the offer's revision, as the web client does.
struct Client : conf::Signaller {
    Engine::Impl* engine = nullptr;
    std::unique_ptr<conf::test::WebRtcPublisher> peer;
    conf::Participant* participant = nullptr;
    Room* room = nullptr; // where `participant` is, to check it still is
    std::string id;
    std::uint32_t revision = 0;
    std::vector<conf::MediaSlot> slots; // of the latest offer
    std::vector<conf::Status> errors;
    std::shared_ptr<int> alive = std::make_shared<int>(0);

    Client() = default;
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;
    // The peer belongs to the media thread: when a failed REQUIRE unwinds the test before it
    // was dropped there, it is destroyed there now.
    ~Client() {
        if (peer && engine != nullptr) {
            auto done = std::make_shared<std::promise<void>>();
            auto finished = done->get_future();
            if (engine->post([this, done] {
                    peer.reset();
                    done->set_value();
                })) {
                (void)finished.wait_for(std::chrono::seconds(20));
            }
        }
    }

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
            // The room frees a participant it removed once its peer is down, while this
            // client's peer may still be answering: reach it only while the room has it.
            if (!a.expired() && participant != nullptr && room->participant(id) == participant) {
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
        return join(id, {"name-" + id, {}, true, true, true, false, {}},
                    conf::test::kTestPublisher);
    }
    // Joins with `options`, publishing what the gst-launch `publisher` description sends.
    std::unique_ptr<Client> join(const std::string& id, const Room::JoinOptions& options,
                                 const std::string& publisher) {
        auto client = std::make_unique<Client>();
        client->engine = &engine->impl();
        client->back.client = client.get();
        REQUIRE(on_media([&] {
                    client->peer =
                        std::make_unique<conf::test::WebRtcPublisher>(engine->impl(), publisher);
                    client->peer->answer_offers();
                    auto joined = room->join(id, options, *client);
                    if (!joined) {
                        return joined.status();
                    }
                    client->participant = *joined;
                    client->room = room.get();
                    client->id = id;
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

} // namespace room_test
