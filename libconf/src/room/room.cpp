#include "room/room.hpp"

#include <algorithm>

namespace conf {

namespace {
std::size_t index_of(MediaKind kind) {
    return kind == MediaKind::kAudio ? 0 : 1;
}
} // namespace

Room::Room(Engine::Impl& engine, RoomOptions options, Listener& listener)
    : engine_(engine), options_(std::move(options)), listener_(listener),
      logger_(Logger("room").with("room", options_.name)), speaker_(options_.speaker) {
    speaker_timer_ = Timer::start(engine_.context(), options_.speaker_interval, [this] {
        sample_speakers();
        return true;
    });
}

Room::~Room() {
    speaker_timer_.reset();
    for (auto& [id, member] : members_) {
        member.recording.reset(); // its subscriptions point at the member's tracks
    }
    finalizing_recordings_.clear();
    // Subscriptions first (they point at tracks), then the peers.
    for (auto& [id, member] : members_) {
        member.tracks.clear();
    }
    members_.clear();
    closing_.clear();
}

MemberInfo Room::info(const Member& member) const {
    MemberInfo out{member.id, member.name, member.participant != nullptr, {}};
    for (const Published& published : member.tracks) {
        out.tracks.push_back({published.track->id(), published.track->kind(), published.muted});
    }
    return out;
}

std::vector<MemberInfo> Room::members() const {
    std::vector<MemberInfo> out;
    for (const auto& [id, member] : members_) {
        out.push_back(info(member));
    }
    return out;
}

std::vector<ReceivedTrack*> Room::tracks_of(const std::string& member_id) const {
    std::vector<ReceivedTrack*> out;
    if (auto it = members_.find(member_id); it != members_.end()) {
        for (const Published& published : it->second.tracks) {
            out.push_back(published.track);
        }
    }
    return out;
}

Participant* Room::participant(const std::string& id) {
    auto it = members_.find(id);
    return it == members_.end() ? nullptr : it->second.participant.get();
}

Result<Participant*> Room::join(const std::string& id, const std::string& name, bool publish_audio,
                                bool publish_video, Signaller& remote) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (members_.count(id) != 0) {
        return already_exists(fmt::format("'{}' is already in room '{}'", id, options_.name));
    }
    Participant::Options options;
    options.id = id;
    options.name = name;
    options.room = options_.name;
    options.publish_audio = publish_audio;
    options.publish_video = publish_video;
    options.endpoint = options_.endpoint;
    auto created = Participant::create(engine_, std::move(options), remote, *this);
    if (!created) {
        return created.status();
    }
    Participant* participant = created->get();
    Member& member = members_[id];
    member.id = id;
    member.name = name;
    member.participant = std::move(created).value();
    member.expected_tracks = (publish_audio ? 1 : 0) + (publish_video ? 1 : 0);
    logger_.info("participant {} ('{}') joined", id, name);
    listener_.on_member_joined(*this, info(member));
    for (const auto& [other_id, other] : members_) {
        if (other_id == id) {
            continue;
        }
        for (const Published& published : other.tracks) {
            (void)participant->subscribe(other_id, *published.track);
        }
    }
    return participant;
}

void Room::add_member(const std::string& id, const std::string& name, std::size_t expected_tracks) {
    if (members_.count(id) != 0) {
        return;
    }
    Member& member = members_[id];
    member.id = id;
    member.name = name;
    member.expected_tracks = expected_tracks;
    logger_.info("publisher {} ('{}') joined", id, name);
    listener_.on_member_joined(*this, info(member));
}

void Room::publish(const std::string& member_id, ReceivedTrack& track) {
    auto it = members_.find(member_id);
    if (it == members_.end()) {
        return;
    }
    Member& member = it->second;
    Published published;
    published.track = &track;
    published.muted = member.muted[index_of(track.kind())];
    // Participants' packets carry RFC 6464 levels under the id this server offered; other
    // members' Opus is decoded for its level.
    if (track.kind() == MediaKind::kAudio && member.participant) {
        published.meter = std::make_shared<AudioLevelMeter>(kAudioLevelExtensionId);
    } else if (track.kind() == MediaKind::kAudio && track.codec().name == "OPUS") {
        auto decoder = DecodedLevelMeter::create(engine_, track.id(), track.caps());
        if (decoder) {
            published.meter = (*decoder)->source();
            published.decoder = std::move(decoder).value();
        } else {
            logger_.warn("no audio level for {}: {}", track.id(), decoder.status().message());
        }
    }
    if (published.meter) {
        published.meter_feed = track.subscribe(published.meter);
    }
    // Runs on a streaming thread: it touches nothing of the room there (the engine outlives
    // every room), and the room only on the media thread, if it still exists.
    track.on_keyframe_request([this, engine = &engine_, alive = std::weak_ptr<int>(alive_),
                               member_id, track_id = track.id()] {
        (void)engine->post([this, alive, member_id, track_id] {
            if (!alive.expired()) {
                listener_.on_keyframe_requested(*this, member_id, track_id);
            }
        });
    });
    member.tracks.push_back(std::move(published));
    logger_.info("{} published {} ({} {})", member_id, track.id(), to_string(track.kind()),
                 track.codec().name);
    record(member, track);
    listener_.on_track_published(*this, member_id,
                                 {track.id(), track.kind(), member.muted[index_of(track.kind())]});
    for (auto& [other_id, other] : members_) {
        if (other_id != member_id && other.participant) {
            (void)other.participant->subscribe(member_id, track);
        }
    }
}

Status Room::remove(const std::string& member_id, const std::string& reason,
                    std::function<void()> done) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    auto it = members_.find(member_id);
    if (it == members_.end()) {
        return not_found(fmt::format("no member '{}' in room '{}'", member_id, options_.name));
    }
    Member member = std::move(it->second);
    members_.erase(it);
    // Nobody may forward a track of this member once its peer goes.
    for (const Published& published : member.tracks) {
        published.track->on_keyframe_request(nullptr);
        for (auto& [other_id, other] : members_) {
            if (other.participant) {
                other.participant->unsubscribe(published.track->id());
            }
        }
        listener_.on_track_unpublished(*this, member_id, published.track->id());
    }
    member.tracks.clear();
    speaker_.remove(member_id);
    logger_.info("{} left ({})", member_id, reason);
    listener_.on_member_left(*this, member_id, reason);

    // The recording drains and the peer closes side by side; `done` follows the last.
    auto remaining =
        std::make_shared<int>(1 + (member.recording ? 1 : 0) + (member.participant ? 1 : 0));
    auto finish_one = [remaining, done = std::move(done)] {
        if (--*remaining == 0 && done) {
            done();
        }
    };
    if (member.recording) {
        MemberRecording* recording = member.recording.get();
        finalizing_recordings_.push_back(std::move(member.recording));
        ++finalizing_;
        recording->stop([this, alive = std::weak_ptr<int>(alive_), recording, finish_one] {
            (void)engine_.post([this, alive, recording, finish_one] {
                if (!alive.expired()) {
                    finalizing_recordings_.remove_if(
                        [recording](const auto& r) { return r.get() == recording; });
                    --finalizing_;
                }
                finish_one();
            });
        });
    }
    if (member.participant) {
        Participant* closing = member.participant.get();
        closing_.push_back(std::move(member.participant));
        closing->close([this, alive = std::weak_ptr<int>(alive_), closing, finish_one] {
            // Freed once this callback has unwound.
            (void)engine_.post([this, alive, closing, finish_one] {
                if (!alive.expired()) {
                    closing_.remove_if([closing](const auto& p) { return p.get() == closing; });
                }
                finish_one();
            });
        });
    }
    finish_one();
    return Status::ok();
}

Status Room::set_muted(const std::string& member_id, MediaKind kind, bool muted) {
    auto it = members_.find(member_id);
    if (it == members_.end()) {
        return not_found(fmt::format("no member '{}' in room '{}'", member_id, options_.name));
    }
    Member& member = it->second;
    if (member.participant && !member.participant->publishes(kind)) {
        return failed_precondition(
            fmt::format("{} was not announced in join, so it cannot be muted", to_string(kind)));
    }
    member.muted[index_of(kind)] = muted;
    for (Published& published : member.tracks) {
        if (published.track->kind() == kind && published.muted != muted) {
            published.muted = muted;
            listener_.on_track_muted(*this, member_id, published.track->id(), muted);
        }
    }
    return Status::ok();
}

void Room::record(Member& member, ReceivedTrack& track) {
    if (!options_.recording) {
        return;
    }
    if (!member.recording) {
        RecorderOptions options = *options_.recording;
        options.room_id = options_.name;
        options.participant_id = member.id;
        options.recording_id = member.id;
        std::string id = member.id;
        std::string name = member.name;
        member.recording = std::make_unique<MemberRecording>(
            engine_, options, std::max<std::size_t>(1, member.expected_tracks), options_.track_wait,
            [this, id, name] {
                if (!session_) {
                    auto begun =
                        SessionManifest::begin(options_.recording->output_dir, options_.name);
                    if (!begun) {
                        logger_.error("no session manifest: {}", begun.status().message());
                        return;
                    }
                    session_ = std::move(begun).value();
                    logger_.info("recorded session {} begins", session_->id());
                }
                if (Status added = session_->add(id, id, name); !added) {
                    logger_.error("session manifest: {}", added.message());
                }
            });
    }
    member.recording->add_track(track);
}

const Recorder* Room::recorder_of(const std::string& member_id) const {
    auto it = members_.find(member_id);
    return it == members_.end() || !it->second.recording ? nullptr
                                                         : it->second.recording->recorder();
}

void Room::finish() {
    if (!session_) {
        return;
    }
    if (Status finished = session_->finish(); !finished) {
        logger_.error("session manifest: {}", finished.message());
    } else {
        logger_.info("recorded session {} finalized", session_->id());
    }
    session_.reset();
}

void Room::sample_speakers() {
    std::map<std::string, int> levels;
    for (auto& [id, member] : members_) {
        for (Published& published : member.tracks) {
            if (published.meter) {
                int level = published.meter->take_loudest();
                levels[id] = published.muted ? kSilentLevel : level;
            }
        }
    }
    if (levels.empty()) {
        return;
    }
    if (auto speaker = speaker_.update(levels)) {
        logger_.debug("active speaker {}", *speaker);
        listener_.on_active_speaker(*this, *speaker);
    }
}

void Room::on_participant_track(Participant& participant, ReceivedTrack& track) {
    publish(participant.id(), track);
}

void Room::on_participant_failed(Participant& participant, const Status& reason) {
    logger_.warn("participant {} lost: {}", participant.id(), reason.message());
    listener_.on_member_failed(*this, participant.id(), reason);
    (void)engine_.post([this, alive = std::weak_ptr<int>(alive_), id = participant.id()] {
        if (!alive.expired() && members_.count(id) != 0) {
            (void)remove(id, "disconnected");
        }
    });
}

} // namespace conf
