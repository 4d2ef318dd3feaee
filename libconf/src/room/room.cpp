#include "room/room.hpp"

#include "codec/codec_registry.hpp"

#include <algorithm>

namespace conf {

namespace {
std::size_t index_of(MediaKind kind) {
    return kind == MediaKind::kAudio ? 0 : 1;
}

// Recording directories: readable, unique, and valid names (they become paths and ids).
std::string new_recording_id(const std::string& member_id) {
    unsigned char bytes[4];
    std::string suffix;
    for (unsigned char& b : bytes) {
        b = static_cast<unsigned char>(g_random_int_range(0, 256));
        suffix += fmt::format("{:02x}", b);
    }
    return fmt::format("{}-{}", member_id.substr(0, 40), suffix);
}
} // namespace

std::string_view to_string(RoomMode mode) noexcept {
    switch (mode) {
    case RoomMode::kSfu:
        return "sfu";
    case RoomMode::kHybrid:
        return "hybrid";
    case RoomMode::kMixed:
        return "mixed";
    }
    return "unknown";
}

std::optional<RoomMode> parse_room_mode(std::string_view text) noexcept {
    for (RoomMode mode : {RoomMode::kSfu, RoomMode::kHybrid, RoomMode::kMixed}) {
        if (text == to_string(mode)) {
            return mode;
        }
    }
    return std::nullopt;
}

Room::MixClaim& Room::MixClaim::operator=(MixClaim&& other) noexcept {
    if (this != &other) {
        reset();
        room_ = std::exchange(other.room_, nullptr);
        alive_ = std::move(other.alive_);
    }
    return *this;
}

void Room::MixClaim::reset() {
    Room* room = std::exchange(room_, nullptr);
    if (room != nullptr && !alive_.expired()) {
        room->release_mix();
    }
    alive_.reset();
}

Room::Room(Engine::Impl& engine, RoomOptions options, Listener& listener)
    : engine_(engine), options_(std::move(options)), listener_(listener),
      logger_(Logger("room").with("room", options_.name)), speaker_(options_.speaker),
      transcodes_(engine, options_.name, options_.transcoding) {
    speaker_timer_ = Timer::start(engine_.context(), options_.speaker_interval, [this] {
        sample_speakers();
        return true;
    });
}

Room::~Room() {
    speaker_timer_.reset();
    streams_.reset(); // it holds on to the mix
    for (auto& [id, member] : members_) {
        member.recording.reset(); // its subscriptions point at the member's tracks
    }
    own_recordings_.clear();
    finalizing_recordings_.clear();
    // Subscriptions first (they point at tracks), then the peers, then the mix they fed.
    for (auto& [id, member] : members_) {
        member.tracks.clear();
    }
    members_.clear();
    closing_.clear();
    mix_.reset();
}

MemberInfo Room::info(const Member& member) const {
    MemberInfo out{member.id, member.name, member.participant != nullptr, {}, member.identity};
    for (const Published& published : member.tracks) {
        out.tracks.push_back({published.track->id(), published.track->kind(),
                              published.muted || published.track->paused()});
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

Result<Participant*> Room::join(const std::string& id, const JoinOptions& join, Signaller& remote) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (members_.count(id) != 0) {
        return already_exists(fmt::format("'{}' is already in room '{}'", id, options_.name));
    }
    if (id == kMixMemberId) {
        return invalid_argument(fmt::format("'{}' names the room's mix", id));
    }
    const bool mixed = options_.mode == RoomMode::kMixed || join.mixed;
    if (join.mixed && options_.mode == RoomMode::kSfu) {
        return failed_precondition(fmt::format(
            "room '{}' forwards each track (mode sfu); it has no mix to receive", options_.name));
    }
    MixClaim claim;
    if (mixed && join.subscribe) {
        auto claimed = claim_mix();
        if (!claimed) {
            return claimed.status().with_context("the room's mix");
        }
        claim = std::move(claimed).value();
    }
    // Names confd does not speak (a browser lists RED, ULPFEC, H265, ...) are passed over:
    // nothing would be sent in them anyway.
    std::vector<const Codec*> receive_codecs;
    for (const std::string& codec_name : join.receive_codecs) {
        const Codec* codec = find_codec(codec_name);
        if (codec != nullptr && codec->over_rtp() && codec->kind == MediaKind::kVideo &&
            std::find(receive_codecs.begin(), receive_codecs.end(), codec) ==
                receive_codecs.end()) {
            receive_codecs.push_back(codec);
        }
    }
    if (!join.receive_codecs.empty() && receive_codecs.empty()) {
        return invalid_argument(
            fmt::format("receive_codecs names no video codec confd sends (it sends {})",
                        CodecRegistry::global().describe(MediaKind::kVideo)));
    }
    const std::string& name = join.name;
    Participant::Options options;
    options.id = id;
    options.name = name;
    options.room = options_.name;
    options.publish_audio = join.publish_audio;
    options.publish_video = join.publish_video;
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
    member.identity = join.identity;
    member.joined = ++joins_;
    member.subscribes = join.subscribe;
    member.receive_codecs = std::move(receive_codecs);
    member.mixed = mixed;
    member.mix_claim = std::move(claim);
    member.expected_tracks = (join.publish_audio ? 1 : 0) + (join.publish_video ? 1 : 0);
    logger_.info("participant {} ('{}') joined{}", id, name, mixed ? ", receiving the mix" : "");
    listener_.on_member_joined(*this, info(member));
    if (mixed) {
        subscribe_to_mix(member);
    }
    for (const auto& [other_id, other] : members_) {
        if (other_id == id || !join.subscribe || mixed) {
            continue;
        }
        for (const Published& published : other.tracks) {
            forward(member, other_id, *published.track);
        }
    }
    return participant;
}

void Room::add_member(const std::string& id, const std::string& name, const std::string& identity,
                      std::size_t expected_tracks) {
    if (members_.count(id) != 0) {
        return;
    }
    Member& member = members_[id];
    member.id = id;
    member.name = name;
    member.identity = identity;
    member.joined = ++joins_;
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
    if (mix_) {
        mix_->add_track(member_id, member.name, track);
    }
    listener_.on_track_published(*this, member_id,
                                 {track.id(), track.kind(), member.muted[index_of(track.kind())]});
    for (auto& [other_id, other] : members_) {
        if (other_id != member_id && other.participant && other.subscribes && !other.mixed) {
            forward(other, member_id, track);
        }
    }
    if (member.mixed && track.kind() == MediaKind::kAudio) {
        subscribe_to_mix(member); // its voice is in the mix now: it gets the mix without it
    }
}

void Room::subscribe_to_mix(Member& member) {
    if (!mix_ || !member.participant || !member.subscribes) {
        return;
    }
    (void)member.participant->subscribe(std::string(kMixMemberId), mix_->video());
    // Until its own voice is an input it waits: the only mix there is then is the shared full
    // one, which carries its voice (a late echo) as soon as that arrives, and moving to its
    // own output afterwards would cost an m-line (webrtcbin 1.22 cannot reuse one).
    const bool voice_expected = member.participant->publishes(MediaKind::kAudio);
    const bool has_voice = mix_->has_voice(member.id);
    if (voice_expected && !has_voice) {
        return;
    }
    const std::string minus = has_voice ? member.id : std::string();
    if (member.mix_audio && member.mix_audio.minus() == minus) {
        return;
    }
    auto output = mix_->audio(minus);
    if (!output) {
        logger_.warn("{} gets no mixed audio: {}", member.id, output.status().message());
        return;
    }
    if (member.mix_audio) {
        member.participant->unsubscribe(member.mix_audio.track().id());
    }
    member.mix_audio = std::move(output).value();
    (void)member.participant->subscribe(std::string(kMixMemberId), member.mix_audio.track());
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
    end_own_recordings_of(member_id);
    if (mix_) {
        mix_->remove_member(member_id);
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
        finalize(std::move(member.recording), finish_one);
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

void Room::finalize(std::unique_ptr<MemberRecording> recording, std::function<void()> done) {
    MemberRecording* raw = recording.get();
    finalizing_recordings_.push_back(std::move(recording));
    ++finalizing_;
    raw->stop([this, alive = std::weak_ptr<int>(alive_), raw, done = std::move(done)] {
        (void)engine_.post([this, alive, raw, done] {
            if (!alive.expired()) {
                finalizing_recordings_.remove_if([raw](const auto& r) { return r.get() == raw; });
                --finalizing_;
            }
            if (done) {
                done();
            }
        });
    });
}

RecorderOptions Room::recorder_options(const Member& member, const std::string& id) const {
    RecorderOptions options = *options_.recording;
    options.room_id = options_.name;
    options.participant_id = member.id;
    options.recording_id = id;
    return options;
}

std::unique_ptr<MemberRecording> Room::make_recording(RecorderOptions options,
                                                      std::size_t expected_tracks,
                                                      std::function<void()> started) {
    return std::make_unique<MemberRecording>(engine_, std::move(options),
                                             std::max<std::size_t>(1, expected_tracks),
                                             options_.track_wait, std::move(started));
}

void Room::begin_session() {
    auto begun = SessionManifest::begin(options_.recording->output_dir, options_.name);
    if (!begun) {
        logger_.error("no session manifest: {}", begun.status().message());
        return;
    }
    session_ = std::move(begun).value();
    logger_.info("recorded session {} begins", session_->id());
    listener_.on_recording_started(*this, {session_->id(), RecordingSource::kRoom, {}, {}});
}

void Room::record(Member& member, ReceivedTrack& track) {
    if (!options_.recording) {
        return;
    }
    if (!recording_room_ && options_.record_automatically && !automatic_stopped_) {
        recording_room_ = true;
    }
    if (!recording_room_) {
        return;
    }
    if (!member.recording) {
        if (!session_) {
            begin_session();
        }
        std::string id = new_recording_id(member.id);
        std::string session_id = session_ ? session_->id() : std::string();
        RecorderOptions options = recorder_options(member, id);
        options.session_id = session_id;
        if (room_container_) {
            options.container = *room_container_;
        }
        options.transcode = room_transcode_;
        member.recording =
            make_recording(std::move(options), member.expected_tracks,
                           [this, id, member_id = member.id, name = member.name, session_id] {
                               if (session_ && session_->id() == session_id) {
                                   if (Status added = session_->add(id, member_id, name); !added) {
                                       logger_.error("session manifest: {}", added.message());
                                   }
                               }
                           });
    }
    member.recording->add_track(track);
}

Status Room::check_transcode(const RecordingRequest& request) const {
    RecordingContainer container = request.container.value_or(options_.recording->container);
    for (const Codec* target : {request.transcode.video, request.transcode.audio}) {
        if (target == nullptr) {
            continue;
        }
        if (CodecRegistry::global().encoders_for(target->name).empty()) {
            return invalid_argument(fmt::format("nothing here encodes {}", target->name));
        }
        if (!can_hold(container, *target)) {
            return invalid_argument(
                fmt::format("{} cannot be recorded into {}", target->name, to_string(container)));
        }
    }
    if (request.transcode.video != nullptr && request.transcode.video->kind != MediaKind::kVideo) {
        return invalid_argument(
            fmt::format("{} is not a video codec", request.transcode.video->name));
    }
    if (request.transcode.audio != nullptr && request.transcode.audio->kind != MediaKind::kAudio) {
        return invalid_argument(
            fmt::format("{} is not an audio codec", request.transcode.audio->name));
    }
    return Status::ok();
}

void Room::forward(Member& to, const std::string& from, ReceivedTrack& track) {
    auto converted = transcodes_.for_subscriber(track, to.receive_codecs);
    if (!converted) {
        logger_.warn("participant {} does not get {}: {}", to.id, track.id(),
                     converted.status().message());
        return;
    }
    (void)to.participant->subscribe(from, track, std::move(converted).value());
}

Result<std::string> Room::start_recording(const RecordingRequest& request) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (!options_.recording) {
        return failed_precondition(fmt::format("room '{}' cannot record", options_.name));
    }
    if (Status checked = check_transcode(request); !checked) {
        return checked;
    }
    if (request.source == RecordingSource::kComposite) {
        return start_composite_recording(request);
    }
    if (request.source == RecordingSource::kRoom) {
        if (recording_room_ && session_) {
            return failed_precondition(
                fmt::format("room '{}' is already being recorded (recording {})", options_.name,
                            session_->id()));
        }
        recording_room_ = true;
        automatic_stopped_ = false;
        room_container_ = request.container;
        room_transcode_ = request.transcode;
        begin_session();
        explicit_session_ = true;
        if (!session_) {
            recording_room_ = false;
            return Status(StatusCode::kInternal, "cannot write the session manifest (see the log)");
        }
        for (auto& [id, member] : members_) {
            for (Published& published : member.tracks) {
                record(member, *published.track);
            }
        }
        return session_->id();
    }
    auto it = members_.find(request.member_id);
    if (it == members_.end()) {
        return not_found(
            fmt::format("no participant '{}' in room '{}'", request.member_id, options_.name));
    }
    Member& member = it->second;
    std::vector<ReceivedTrack*> tracks;
    for (Published& published : member.tracks) {
        if (request.source == RecordingSource::kMember ||
            published.track->id() == request.track_id) {
            tracks.push_back(published.track);
        }
    }
    if (request.source == RecordingSource::kTrack && tracks.empty()) {
        return not_found(
            fmt::format("participant '{}' has no track '{}'", request.member_id, request.track_id));
    }
    if (tracks.empty()) {
        return failed_precondition(
            fmt::format("participant '{}' has published no track yet", request.member_id));
    }
    for (const auto& [id, own] : own_recordings_) {
        if (own.info.source == request.source && own.info.member_id == request.member_id &&
            own.info.track_id == request.track_id) {
            return failed_precondition(
                fmt::format("that is already being recorded (recording {})", id));
        }
    }
    std::string id = new_recording_id(member.id);
    RecordingInfo info{id, request.source, member.id, request.track_id};
    RecorderOptions options = recorder_options(member, id);
    options.source_track = request.track_id;
    if (request.container) {
        options.container = *request.container;
    }
    options.transcode = request.transcode;
    auto recording = make_recording(std::move(options), tracks.size(), {});
    for (ReceivedTrack* track : tracks) {
        recording->add_track(*track);
    }
    if (!recording->recorder()) {
        return resource_exhausted("the recording did not start (not enough disk, or see the log)");
    }
    own_recordings_[id] = OwnRecording{info, std::move(recording), {}, {}};
    listener_.on_recording_started(*this, info);
    return id;
}

void Room::stop_recording(const std::string& id, std::function<void(Status)> done) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (session_ && session_->id() == id) {
        recording_room_ = false;
        automatic_stopped_ = true;
        auto remaining = std::make_shared<int>(1);
        auto finish_one = [this, alive = std::weak_ptr<int>(alive_), remaining, id,
                           done = std::move(done)] {
            if (--*remaining != 0) {
                return;
            }
            if (!alive.expired() && session_ && session_->id() == id) {
                finish();
            }
            if (done) {
                done(Status::ok());
            }
        };
        for (auto& [member_id, member] : members_) {
            if (member.recording) {
                ++*remaining;
                finalize(std::move(member.recording), finish_one);
            }
        }
        finish_one();
        return;
    }
    auto it = own_recordings_.find(id);
    if (it == own_recordings_.end()) {
        done(not_found(
            fmt::format("no recording '{}' in progress in room '{}'", id, options_.name)));
        return;
    }
    OwnRecording own = std::move(it->second);
    own_recordings_.erase(it);
    const Recorder* recorder = own.recording->recorder();
    bool failed = recorder && recorder->state() == RecorderState::kFailed;
    listener_.on_recording_ended(*this, own.info, {failed, failed ? "see its manifest" : ""});
    // A composite recording keeps the mix running until its file is drained.
    auto claim = std::make_shared<MixClaim>(std::move(own.mix_claim));
    auto audio = std::make_shared<AudioMixer::Output>(std::move(own.mix_audio));
    finalize(std::move(own.recording), [done = std::move(done), claim, audio] {
        audio->reset();
        claim->reset();
        done(Status::ok());
    });
}

Result<std::string> Room::start_composite_recording(const RecordingRequest& request) {
    for (const auto& [id, own] : own_recordings_) {
        if (own.info.source == RecordingSource::kComposite) {
            return failed_precondition(
                fmt::format("the composite is already being recorded (recording {})", id));
        }
    }
    auto claim = claim_mix();
    if (!claim) {
        return claim.status().with_context("the room's mix");
    }
    auto audio = mix_->audio();
    if (!audio) {
        return audio.status().with_context("the room's mix");
    }
    std::string id = new_recording_id(std::string(kCompositeParticipant));
    RecordingInfo info{id, RecordingSource::kComposite, {}, {}};
    RecorderOptions options = *options_.recording;
    options.room_id = options_.name;
    options.participant_id = std::string(kCompositeParticipant);
    options.recording_id = id;
    options.composite = true;
    if (request.container) {
        options.container = *request.container;
    }
    options.transcode = request.transcode;
    // A recording of its own (it has an id for StopRecording), on the clock every track
    // recording of the room uses: its start_ns lines up with theirs.
    auto recording = make_recording(std::move(options), 2, {});
    recording->add_track(mix_->video());
    recording->add_track(audio->track());
    if (!recording->recorder()) {
        return resource_exhausted("the recording did not start (not enough disk, or see the log)");
    }
    // The recorder starts at a keyframe; the compositor's next one is up to a GOP away.
    mix_->video().request_keyframe();
    own_recordings_[id] = OwnRecording{info, std::move(recording), std::move(claim).value(),
                                       std::move(audio).value()};
    listener_.on_recording_started(*this, info);
    return id;
}

Result<Room::MixClaim> Room::claim_mix() {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (!mix_) {
        RoomMixOptions options = options_.mix;
        options.room = options_.name;
        auto created = RoomMix::create(engine_, std::move(options), this);
        if (!created) {
            logger_.error("the mix cannot start: {}", created.status().message());
            return created.status();
        }
        mix_ = std::move(created).value();
        // In join order, as if the mix had run all along (the grid fills in that order).
        std::vector<const Member*> by_join;
        for (const auto& [id, member] : members_) {
            by_join.push_back(&member);
        }
        std::sort(by_join.begin(), by_join.end(),
                  [](const Member* a, const Member* b) { return a->joined < b->joined; });
        for (const Member* member : by_join) {
            for (const Published& published : member->tracks) {
                mix_->add_track(member->id, member->name, *published.track);
            }
        }
        if (!speaker_.current().empty()) {
            mix_->set_active_speaker(speaker_.current());
        }
        listener_.on_mix_state(*this, true, Status::ok());
    }
    ++mix_claims_;
    return MixClaim(this, alive_);
}

void Room::release_mix() {
    if (mix_claims_ == 0 || --mix_claims_ != 0) {
        return;
    }
    // Later, not now: the claim may go in the middle of a consumer's own teardown, and
    // another claim may come before the loop runs again.
    (void)engine_.post([this, alive = std::weak_ptr<int>(alive_)] {
        if (!alive.expired() && mix_claims_ == 0 && mix_) {
            stop_mix(Status::ok());
        }
    });
}

void Room::stop_mix(const Status& error) {
    logger_.info("the mix stops: {}", error ? "nothing uses it" : error.message());
    mix_.reset();
    listener_.on_mix_state(*this, false, error);
}

Result<StreamInfo> Room::start_stream(const std::string& id, const StreamRequest& request) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (!options_.streaming) {
        return failed_precondition(fmt::format("room '{}' cannot stream", options_.name));
    }
    if (!streams_) {
        streams_ = std::make_unique<RoomStreams>(
            engine_, *this, *options_.streaming,
            [this](const StreamInfo& stream) { listener_.on_stream_state(*this, stream); });
    }
    return streams_->start(id, request);
}

Result<StreamInfo> Room::stop_stream(const std::string& id) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (!streams_) {
        return not_found(fmt::format("no stream {} in room '{}'", id, options_.name));
    }
    return streams_->stop(id);
}

std::vector<StreamInfo> Room::streams() const {
    return streams_ ? streams_->list() : std::vector<StreamInfo>{};
}

Status Room::set_layout(Layout layout) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (Status valid = validate(layout); !valid) {
        return valid;
    }
    const Canvas& canvas = options_.mix.layout.canvas;
    if (!(layout.canvas == canvas)) {
        return invalid_argument(fmt::format(
            "room '{}' composes {}x{}@{}/{}; a layout cannot change the canvas", options_.name,
            canvas.width, canvas.height, canvas.fps_num, canvas.fps_den));
    }
    if (mix_) {
        setting_layout_ = true;
        Status set = mix_->set_layout(layout);
        setting_layout_ = false;
        if (!set) {
            return set;
        }
    }
    options_.mix.layout = std::move(layout);
    logger_.info("layout {}", options_.mix.layout.name);
    listener_.on_layout_changed(*this, mix_.get());
    return Status::ok();
}

void Room::set_layout_locked(bool locked) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (locked == options_.mix.locked) {
        return;
    }
    options_.mix.locked = locked;
    if (mix_) {
        setting_layout_ = true;
        mix_->set_locked(locked);
        setting_layout_ = false;
    }
    listener_.on_layout_changed(*this, mix_.get());
}

void Room::on_mix_layout_changed(RoomMix& mix) {
    if (!setting_layout_) {
        listener_.on_layout_changed(*this, &mix);
    }
}

void Room::on_mix_failed(RoomMix& /*mix*/, const Status& error) {
    // The consumers keep their claims and get no more media from the failed half; the room
    // and its SFU side go on. The next mix starts once every claim is gone.
    listener_.on_mix_state(*this, false, error);
}

void Room::end_own_recordings_of(const std::string& member_id) {
    std::vector<std::string> ids;
    for (const auto& [id, own] : own_recordings_) {
        if (own.info.member_id == member_id) {
            ids.push_back(id);
        }
    }
    for (const std::string& id : ids) {
        stop_recording(id, [](const Status&) {});
    }
}

std::vector<RecordingInfo> Room::recordings() const {
    std::vector<RecordingInfo> out;
    if (session_) {
        out.push_back({session_->id(), RecordingSource::kRoom, {}, {}});
    }
    for (const auto& [id, own] : own_recordings_) {
        out.push_back(own.info);
    }
    return out;
}

std::string Room::room_recording_id() const {
    return session_ ? session_->id() : std::string();
}

Result<TrackInfo> Room::mute_track(const std::string& member_id, const std::string& track_id,
                                   bool muted) {
    auto it = members_.find(member_id);
    if (it == members_.end()) {
        return not_found(fmt::format("no participant '{}' in room '{}'", member_id, options_.name));
    }
    for (Published& published : it->second.tracks) {
        if (published.track->id() != track_id) {
            continue;
        }
        bool was = published.muted || published.track->paused();
        published.track->set_paused(muted);
        bool now = published.muted || muted;
        if (was != now) {
            listener_.on_track_muted(*this, member_id, track_id, now);
        }
        logger_.info("{} {} by an operator", track_id, muted ? "muted" : "unmuted");
        return TrackInfo{track_id, published.track->kind(), now};
    }
    return not_found(fmt::format("participant '{}' has no track '{}'", member_id, track_id));
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
    RecordingInfo info{session_->id(), RecordingSource::kRoom, {}, {}};
    Status finished = session_->finish();
    if (!finished) {
        logger_.error("session manifest: {}", finished.message());
    } else {
        logger_.info("recorded session {} finalized", session_->id());
    }
    session_.reset();
    recording_room_ = false;
    explicit_session_ = false;
    room_container_.reset();
    room_transcode_ = {};
    listener_.on_recording_ended(*this, info, {!finished.is_ok(), finished.message()});
}

void Room::finish_automatic() {
    if (session_ && !explicit_session_) {
        finish();
    }
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
        if (mix_) {
            mix_->set_active_speaker(*speaker);
        }
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
