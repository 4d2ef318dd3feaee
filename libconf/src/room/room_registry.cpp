#include "room/room_registry.hpp"

#include <sys/random.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <system_error>

namespace conf {

bool is_valid_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > 64 || name.front() == '.') {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
    });
}

namespace {

std::uint64_t available_bytes(const std::filesystem::path& dir) {
    struct statvfs info {};
    if (statvfs(dir.c_str(), &info) != 0) {
        return 0;
    }
    return static_cast<std::uint64_t>(info.f_bavail) * info.f_frsize;
}

} // namespace

RoomRegistry::RoomRegistry(Engine::Impl& engine, RoomRegistryOptions options)
    : engine_(engine), options_(std::move(options)), logger_(Logger("rooms")) {}

RoomRegistry::~RoomRegistry() {
    // Whatever is left is destroyed as a crash would leave it: recordings stay RECORDING on
    // disk for repair. shutdown() is the orderly way. Viewers and rooms (which forward
    // tracks) go before the publishers whose tracks they forward.
    for (auto& [name, entry] : rooms_) {
        entry.viewers.clear();
        entry.room.reset();
    }
    rooms_.clear();
    retiring_.clear();
}

RoomConfig RoomRegistry::effective(const RoomConfig& config) const {
    RoomConfig out = config;
    if (out.max_sessions == 0) {
        out.max_sessions = options_.limits.max_sessions_per_room;
    }
    if (out.max_publisher_video_kbps == 0) {
        out.max_publisher_video_kbps = options_.limits.max_publisher_video_kbps;
    }
    if (!out.container) {
        out.container = options_.container;
    }
    if (!out.canvas) {
        out.canvas = options_.mix.layout.canvas;
    }
    if (!out.layout) {
        out.layout = builtin_layout(options_.mix.layout.name, *out.canvas)
                         .value_or(grid_layout(*out.canvas));
    }
    return out;
}

RoomRegistry::Entry& RoomRegistry::make_entry(const std::string& room, const RoomConfig& config,
                                              bool managed) {
    Entry& entry = rooms_[room];
    entry.config = effective(config);
    entry.managed = managed;
    entry.created = std::chrono::system_clock::now();
    RoomOptions options;
    options.name = room;
    options.endpoint = endpoint_options();
    options.endpoint.max_video_bitrate_kbps = entry.config.max_publisher_video_kbps;
    RecorderOptions recording;
    recording.output_dir = options_.recordings_dir;
    recording.container = *entry.config.container;
    recording.min_free_bytes = options_.min_free_bytes;
    recording.max_duration = options_.limits.max_recording_duration;
    options.recording = recording;
    options.record_automatically = entry.config.record_automatically;
    options.mode = entry.config.mode;
    options.mix = options_.mix;
    options.mix.layout = *entry.config.layout;
    options.mix.locked = entry.config.layout_locked;
    options.streaming = options_.streaming;
    options.transcoding = options_.transcoding;
    Room::Listener& listener = options_.room_listener ? *options_.room_listener : no_listener_;
    entry.room = std::make_unique<Room>(engine_, options, listener);
    logger_.info("room '{}' created{}", room, managed ? " by an operator" : "");
    listener.on_room_created(*entry.room);
    return entry;
}

Result<RoomRegistry::Entry*> RoomRegistry::open_room(const std::string& room) {
    if (auto r = rooms_.find(room); r != rooms_.end()) {
        if (!r->second.deleted.empty()) {
            return not_found(fmt::format("room '{}' is being deleted", room));
        }
        return &r->second;
    }
    if (!options_.auto_create) {
        return not_found(fmt::format("no room '{}' (rooms are created by operators here)", room));
    }
    if (rooms_.size() >= options_.max_rooms) {
        return resource_exhausted(
            fmt::format("the server has reached max_rooms ({})", options_.max_rooms));
    }
    RoomConfig config;
    config.record_automatically = records(room);
    config.mode = options_.default_mode;
    return &make_entry(room, config, false);
}

Status RoomRegistry::create_room(const std::string& room, const RoomConfig& config) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (shutting_down_) {
        return unavailable("the server is shutting down");
    }
    if (!is_valid_name(room)) {
        return invalid_argument(fmt::format(
            "room name '{}' is invalid: use 1-64 letters, digits, '_', '-' or '.'", room));
    }
    if (config.max_sessions > options_.limits.max_sessions_per_room) {
        return invalid_argument(fmt::format("max_sessions {} is above this server's limit ({})",
                                            config.max_sessions,
                                            options_.limits.max_sessions_per_room));
    }
    if (config.max_publisher_video_kbps > options_.limits.max_publisher_video_kbps) {
        return invalid_argument(
            fmt::format("max_publisher_video_kbps {} is above this server's limit ({})",
                        config.max_publisher_video_kbps, options_.limits.max_publisher_video_kbps));
    }
    if (config.layout) {
        if (Status valid = validate(*config.layout); !valid) {
            return valid;
        }
        if (config.canvas && !(*config.canvas == config.layout->canvas)) {
            return invalid_argument("the layout is for another canvas than the room's");
        }
    }
    if (rooms_.count(room) != 0) {
        return already_exists(fmt::format("room '{}' already exists", room));
    }
    if (rooms_.size() >= options_.max_rooms) {
        return resource_exhausted(
            fmt::format("the server has reached max_rooms ({})", options_.max_rooms));
    }
    RoomConfig wanted = config;
    wanted.record_automatically = config.record_automatically || records(room);
    make_entry(room, wanted, true);
    return Status::ok();
}

void RoomRegistry::delete_room(const std::string& room, std::function<void(Status)> done) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    auto r = rooms_.find(room);
    if (r == rooms_.end()) {
        done(not_found(fmt::format("no room '{}'", room)));
        return;
    }
    Entry& entry = r->second;
    entry.managed = false;
    entry.delete_reason = "deleted";
    entry.deleted.push_back(std::move(done));
    if (entry.deleted.size() > 1) {
        return; // already under way
    }
    logger_.info("room '{}' deleted by an operator: ending {} sessions", room, entry.size());
    for (const RecordingInfo& recording : entry.room->recordings()) {
        entry.room->stop_recording(recording.id, [](const Status&) {});
    }
    std::vector<std::string> sessions;
    for (const auto& [id, viewer] : entry.viewers) {
        sessions.push_back(id);
    }
    for (const auto& [id, publisher] : entry.publishers) {
        sessions.push_back(id);
    }
    for (const auto& [id, participant] : entry.participants) {
        sessions.push_back(id);
    }
    for (const std::string& id : sessions) {
        (void)end_session(room, id, "removed"); // a publisher may already have taken its viewers
    }
    drop_room_if_empty(room);
}

std::optional<RoomSummary> RoomRegistry::room_summary(const std::string& room) const {
    auto r = rooms_.find(room);
    if (r == rooms_.end()) {
        return std::nullopt;
    }
    const Entry& entry = r->second;
    RoomMix* mix = entry.room->mix();
    return RoomSummary{room,
                       entry.config,
                       entry.managed,
                       entry.created,
                       entry.room->size(),
                       entry.room->room_recording_id(),
                       entry.room->active_speaker(),
                       entry.room->layout(),
                       entry.room->layout_locked(),
                       mix != nullptr,
                       mix != nullptr ? mix->assignments() : std::vector<Assignment>{}};
}

Result<StreamInfo> RoomRegistry::start_stream(const std::string& room,
                                              const StreamRequest& request) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (!options_.streaming || options_.max_streams == 0) {
        return failed_precondition("live streaming is off on this server (streams.max_streams)");
    }
    auto r = rooms_.find(room);
    if (r == rooms_.end() || !r->second.deleted.empty()) {
        return not_found(fmt::format("no room '{}'", room));
    }
    if (shutting_down_) {
        return unavailable("the server is shutting down");
    }
    std::size_t total = 0;
    for (const auto& [name, entry] : rooms_) {
        total += entry.room->streams().size();
    }
    if (total >= options_.max_streams) {
        return resource_exhausted(
            fmt::format("the server streams {} already (streams.max_streams)", total));
    }
    if (r->second.room->streams().size() >= options_.max_streams_per_room) {
        return resource_exhausted(fmt::format("room '{}' streams {} already (streams.max_per_room)",
                                              room, options_.max_streams_per_room));
    }
    return r->second.room->start_stream(new_session_id(), request);
}

Result<StreamInfo> RoomRegistry::stop_stream(const std::string& id) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    for (auto& [name, entry] : rooms_) {
        for (const StreamInfo& stream : entry.room->streams()) {
            if (stream.id == id) {
                return entry.room->stop_stream(id);
            }
        }
    }
    return not_found(fmt::format("no stream '{}'", id));
}

std::vector<TranscodeInfo> RoomRegistry::transcodes(const std::string& room) const {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    auto r = rooms_.find(room);
    return r == rooms_.end() ? std::vector<TranscodeInfo>() : r->second.room->transcodes().list();
}

std::vector<std::pair<std::string, StreamInfo>>
RoomRegistry::streams(const std::string& room) const {
    std::vector<std::pair<std::string, StreamInfo>> out;
    for (const auto& [name, entry] : rooms_) {
        if (room.empty() || room == name) {
            for (StreamInfo& stream : entry.room->streams()) {
                out.emplace_back(name, std::move(stream));
            }
        }
    }
    return out;
}

Status RoomRegistry::set_layout(const std::string& room, Layout layout) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    auto r = rooms_.find(room);
    if (r == rooms_.end()) {
        return not_found(fmt::format("no room '{}'", room));
    }
    if (Status set = r->second.room->set_layout(std::move(layout)); !set) {
        return set;
    }
    r->second.config.layout = r->second.room->layout();
    return Status::ok();
}

Status RoomRegistry::set_layout_locked(const std::string& room, bool locked) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    auto r = rooms_.find(room);
    if (r == rooms_.end()) {
        return not_found(fmt::format("no room '{}'", room));
    }
    r->second.room->set_layout_locked(locked);
    r->second.config.layout_locked = locked;
    return Status::ok();
}

std::vector<std::string> RoomRegistry::room_names() const {
    std::vector<std::string> names;
    for (const auto& [name, entry] : rooms_) {
        names.push_back(name);
    }
    return names;
}

Result<TrackInfo> RoomRegistry::mute_track(const std::string& room, const std::string& member,
                                           const std::string& track, bool muted) {
    auto r = rooms_.find(room);
    if (r == rooms_.end()) {
        return not_found(fmt::format("no room '{}'", room));
    }
    return r->second.room->mute_track(member, track, muted);
}

Status RoomRegistry::remove_member(const std::string& room, const std::string& member) {
    auto r = rooms_.find(room);
    if (r == rooms_.end()) {
        return not_found(fmt::format("no room '{}'", room));
    }
    if (!r->second.room->has_member(member)) {
        return not_found(fmt::format("no participant '{}' in room '{}'", member, room));
    }
    if (r->second.participants.count(member) != 0) {
        return leave(room, member, "removed");
    }
    return end_session(room, member, "removed");
}

Result<std::string> RoomRegistry::start_recording(const std::string& room,
                                                  const RecordingRequest& request) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    auto r = rooms_.find(room);
    if (r == rooms_.end()) {
        return not_found(fmt::format("no room '{}'", room));
    }
    if (Status disk = check_free_space(); !disk) {
        return disk;
    }
    return r->second.room->start_recording(request);
}

void RoomRegistry::stop_recording(const std::string& id,
                                  std::function<void(Result<std::string>)> done) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    for (auto& [name, entry] : rooms_) {
        for (const RecordingInfo& recording : entry.room->recordings()) {
            if (recording.id == id) {
                entry.room->stop_recording(
                    id, [room = name, done = std::move(done)](const Status& status) {
                        if (status.is_ok()) {
                            done(room);
                        } else {
                            done(status);
                        }
                    });
                return;
            }
        }
    }
    done(not_found(fmt::format("no recording '{}' in progress", id)));
}

std::vector<std::pair<std::string, RecordingInfo>> RoomRegistry::recordings() const {
    std::vector<std::pair<std::string, RecordingInfo>> out;
    for (const auto& [name, entry] : rooms_) {
        for (RecordingInfo& recording : entry.room->recordings()) {
            out.emplace_back(name, std::move(recording));
        }
    }
    return out;
}

std::size_t RoomRegistry::session_count() const noexcept {
    std::size_t count = 0;
    for (const auto& [name, room] : rooms_) {
        count += room.size();
    }
    return count;
}

bool RoomRegistry::records(const std::string& room) const {
    return options_.record_every_room || options_.recorded_rooms.count(room) != 0;
}

const PublisherSession* RoomRegistry::find_publisher(const std::string& room,
                                                     const std::string& id) const {
    auto r = rooms_.find(room);
    if (r == rooms_.end()) {
        return nullptr;
    }
    auto p = r->second.publishers.find(id);
    return p == r->second.publishers.end() ? nullptr : p->second.get();
}

Status RoomRegistry::admit(const std::string& room) const {
    if (shutting_down_) {
        return unavailable("the server is shutting down");
    }
    if (!is_valid_name(room)) {
        return invalid_argument(fmt::format(
            "room name '{}' is invalid: use 1-64 letters, digits, '_', '-' or '.'", room));
    }
    if (session_count() >= options_.limits.max_sessions) {
        return resource_exhausted(
            fmt::format("the server has reached max_sessions ({})", options_.limits.max_sessions));
    }
    auto r = rooms_.find(room);
    if (r != rooms_.end() && r->second.size() >= r->second.config.max_sessions) {
        return resource_exhausted(fmt::format("room '{}' has reached its session limit ({})", room,
                                              r->second.config.max_sessions));
    }
    return Status::ok();
}

EndpointOptions RoomRegistry::endpoint_options() const {
    EndpointOptions endpoint;
    endpoint.ice_addresses = options_.ice_addresses;
    endpoint.stun_server = options_.stun_server;
    endpoint.silence_timeout = options_.peer_silence_timeout;
    return endpoint;
}

std::string RoomRegistry::new_session_id() const {
    // Session URLs are capabilities (whoever knows one can end the session): 128 random bits.
    // From the kernel's CSPRNG: no library state to set up or tear down.
    unsigned char bytes[16];
    size_t filled = 0;
    while (filled < sizeof(bytes)) {
        ssize_t got = getrandom(bytes + filled, sizeof(bytes) - filled, 0);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            g_error("getrandom failed: %s", g_strerror(errno)); // no safe fallback for ids
        }
        filled += static_cast<size_t>(got);
    }
    std::string id;
    for (unsigned char b : bytes) {
        id += fmt::format("{:02x}", b);
    }
    return id;
}

void RoomRegistry::publish(const std::string& room, const std::string& offer,
                           const std::string& identity, const std::string& name,
                           SessionCallback done) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (Status admitted = admit(room); !admitted) {
        logger_.info("publish to '{}' refused: {}", room, admitted.message());
        done(admitted);
        return;
    }
    if (Status disk = check_disk(room); !disk) {
        logger_.warn("publish to '{}' refused: {}", room, disk.message());
        done(disk);
        return;
    }
    auto opened = open_room(room);
    if (!opened) {
        done(opened.status());
        return;
    }
    Entry& entry = **opened;
    PublisherSession::Options options;
    options.id = new_session_id();
    options.room = room;
    options.endpoint = endpoint_options();
    options.endpoint.max_video_bitrate_kbps = entry.config.max_publisher_video_kbps;
    auto created = PublisherSession::create(engine_, options, *this);
    if (!created) {
        drop_room_if_empty(room);
        done(created.status());
        return;
    }
    PublisherSession& session = **created;
    entry.publishers.emplace(options.id, std::move(created).value());
    logger_.info("[room={} publisher={}] publishing", room, options.id);

    session.negotiate(offer, answer_handler(room, options.id, std::move(done)));
    // The offer has been read: the room learns how many tracks to expect.
    entry.room->add_member(options.id, name.empty() ? "whip-" + options.id.substr(0, 8) : name,
                           identity, session.expected_tracks());
}

OneShotSignaller::Done RoomRegistry::answer_handler(const std::string& room, const std::string& id,
                                                    SessionCallback done) {
    return [this, alive = std::weak_ptr<int>(alive_), room, id,
            done = std::move(done)](Result<std::string> answer) {
        if (answer) {
            done(SessionInfo{id, std::move(answer).value()});
            return;
        }
        done(answer.status());
        // Called from inside the session: take it down once this call has unwound.
        (void)engine_.post([this, alive, room, id] {
            if (!alive.expired()) {
                (void)end_session(room, id);
            }
        });
    };
}

Status RoomRegistry::check_disk(const std::string& room) const {
    auto r = rooms_.find(room);
    if (r == rooms_.end() ? !records(room) : !r->second.config.record_automatically) {
        return Status::ok();
    }
    return check_free_space();
}

Status RoomRegistry::check_free_space() const {
    std::error_code ec;
    std::filesystem::create_directories(options_.recordings_dir, ec);
    std::uint64_t free_bytes = available_bytes(options_.recordings_dir);
    if (ec || free_bytes < options_.min_free_bytes) {
        return resource_exhausted(fmt::format(
            "not enough disk to record: {} MiB free in {}, at least {} MiB required",
            free_bytes >> 20, options_.recordings_dir.string(), options_.min_free_bytes >> 20));
    }
    return Status::ok();
}

const Recorder* RoomRegistry::recording_of(const std::string& room,
                                           const std::string& member) const {
    auto r = rooms_.find(room);
    return r == rooms_.end() ? nullptr : r->second.room->recorder_of(member);
}

void RoomRegistry::view(const std::string& room, const std::string& publisher,
                        const std::string& offer, SessionCallback done, int max_height) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (max_height != 0 && (max_height < kMinRenditionHeight || max_height > kMaxRenditionHeight)) {
        done(invalid_argument(fmt::format("a rendition height must be {}-{}, not {}",
                                          kMinRenditionHeight, kMaxRenditionHeight, max_height)));
        return;
    }
    auto r = rooms_.find(room);
    if (publisher.empty() && (r == rooms_.end() || !r->second.deleted.empty())) {
        done(not_found(fmt::format("no room '{}'", room)));
        return;
    }
    if (!publisher.empty() && (r == rooms_.end() || !r->second.room->has_member(publisher))) {
        done(not_found(fmt::format("no publisher '{}' in room '{}'", publisher, room)));
        return;
    }
    if (Status admitted = admit(room); !admitted) {
        done(admitted);
        return;
    }
    std::vector<ReceivedTrack*> tracks = r->second.room->tracks_of(publisher);
    // The mix's claim and audio output live as long as the viewer does.
    struct MixHold {
        Room::MixClaim claim;
        AudioMixer::Output audio;
    };
    std::shared_ptr<MixHold> hold;
    if (publisher.empty()) {
        auto claim = r->second.room->claim_mix();
        if (!claim) {
            done(claim.status().with_context("the room's mix"));
            return;
        }
        hold = std::make_shared<MixHold>();
        hold->claim = std::move(claim).value();
        auto audio = r->second.room->mix()->audio();
        if (!audio) {
            done(audio.status().with_context("the room's mix"));
            return;
        }
        hold->audio = std::move(audio).value();
        tracks = {&r->second.room->mix()->video(), &hold->audio.track()};
    }
    std::string id = new_session_id();
    EndpointOptions endpoint = endpoint_options();
    // A viewer that cannot receive the publisher's codec, or asks for a smaller picture,
    // gets the room's shared transcode.
    endpoint.convert_source =
        [target = r->second.room.get(), alive = r->second.room->alive_token(), max_height,
         logger = logger_.with("room", room).with("viewer", id)](
            ReceivedTrack& source,
            std::vector<const Codec*> accepted) -> std::shared_ptr<ReceivedTrack> {
        if (alive.expired()) {
            return nullptr;
        }
        auto converted =
            target->transcodes().for_subscriber(source, std::move(accepted), max_height);
        if (!converted) {
            logger.warn("{}", converted.status().message());
            return nullptr;
        }
        return std::move(converted).value();
    };
    auto created =
        ViewerSession::create(engine_, id, std::move(endpoint), room, publisher, tracks, *this);
    if (!created) {
        done(created.status());
        return;
    }
    ViewerSession& session = **created;
    session.hold(std::move(hold));
    r->second.viewers.emplace(id, std::move(created).value());
    logger_.info("[room={} viewer={}] viewing {}", room, id,
                 publisher.empty() ? std::string("the mix") : publisher);
    session.negotiate(offer, answer_handler(room, id, std::move(done)));
}

Result<std::string> RoomRegistry::join(const std::string& room, const JoinRequest& request,
                                       std::shared_ptr<Signaller> remote) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (Status admitted = admit(room); !admitted) {
        logger_.info("join of '{}' refused: {}", room, admitted.message());
        return admitted;
    }
    if (Status disk = check_disk(room); !disk) {
        logger_.warn("join of '{}' refused: {}", room, disk.message());
        return disk;
    }
    auto opened = open_room(room);
    if (!opened) {
        return opened.status();
    }
    Entry& entry = **opened;
    std::string id = new_session_id();
    Room::JoinOptions options{request.name,          request.identity,  request.publish_audio,
                              request.publish_video, request.subscribe, request.mixed,
                              request.receive_codecs};
    auto joined = entry.room->join(id, options, *remote);
    if (!joined) {
        drop_room_if_empty(room);
        return joined.status();
    }
    entry.participants.emplace(id, std::move(remote));
    return id;
}

Participant* RoomRegistry::participant(const std::string& room, const std::string& id) {
    auto r = rooms_.find(room);
    return r == rooms_.end() ? nullptr : r->second.room->participant(id);
}

void RoomRegistry::end_viewers_of(Entry& entry, const std::string& room,
                                  const std::string& member) {
    for (auto v = entry.viewers.begin(); v != entry.viewers.end();) {
        if (v->second->publisher_id() == member) {
            logger_.info("[room={} viewer={}] ended with {}", room, v->first, member);
            retire(std::move(v->second));
            v = entry.viewers.erase(v);
        } else {
            ++v;
        }
    }
}

Status RoomRegistry::leave(const std::string& room, const std::string& id,
                           const std::string& reason) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    auto r = rooms_.find(room);
    if (r == rooms_.end() || r->second.participants.count(id) == 0) {
        return not_found(fmt::format("no participant '{}' in room '{}'", id, room));
    }
    Entry& entry = r->second;
    end_viewers_of(entry, room, id);
    // The signaller stays until the participant's peer is down: it may still report.
    auto remote = entry.participants[id];
    entry.participants.erase(id);
    auto closing = std::make_shared<int>(0);
    retiring_.push_back(closing);
    (void)entry.room->remove(
        id, reason, [this, alive = std::weak_ptr<int>(alive_), remote, raw = closing.get(), room] {
            if (alive.expired()) {
                return;
            }
            retiring_.remove_if([raw](const std::shared_ptr<void>& s) { return s.get() == raw; });
            drop_room_if_empty(room);
            maybe_finish_shutdown();
        });
    return Status::ok();
}

Status RoomRegistry::set_muted(const std::string& room, const std::string& id, MediaKind kind,
                               bool muted) {
    auto r = rooms_.find(room);
    if (r == rooms_.end()) {
        return not_found(fmt::format("no room '{}'", room));
    }
    return r->second.room->set_muted(id, kind, muted);
}

std::vector<MemberInfo> RoomRegistry::members(const std::string& room) const {
    auto r = rooms_.find(room);
    return r == rooms_.end() ? std::vector<MemberInfo>{} : r->second.room->members();
}

Status RoomRegistry::add_candidates(const std::string& room, const std::string& session,
                                    const std::vector<IceCandidate>& candidates) {
    auto r = rooms_.find(room);
    if (r != rooms_.end()) {
        if (auto p = r->second.publishers.find(session); p != r->second.publishers.end()) {
            for (const auto& candidate : candidates) {
                p->second->add_candidate(candidate);
            }
            return Status::ok();
        }
        if (auto v = r->second.viewers.find(session); v != r->second.viewers.end()) {
            for (const auto& candidate : candidates) {
                v->second->add_candidate(candidate);
            }
            return Status::ok();
        }
    }
    return not_found(fmt::format("no session '{}' in room '{}'", session, room));
}

template <typename Session>
void RoomRegistry::retire(std::unique_ptr<Session> session) {
    std::shared_ptr<Session> owned = std::move(session);
    retiring_.push_back(owned);
    Session* raw = owned.get();
    raw->end([this, alive = std::weak_ptr<int>(alive_), raw] {
        // end() may call back synchronously: free the session once this call has unwound.
        (void)engine_.post([this, alive, raw] {
            if (alive.expired()) {
                return;
            }
            retiring_.remove_if([raw](const std::shared_ptr<void>& s) { return s.get() == raw; });
            maybe_finish_shutdown();
        });
    });
}

Status RoomRegistry::end_session(const std::string& room, const std::string& session,
                                 const std::string& reason) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    auto r = rooms_.find(room);
    if (r == rooms_.end()) {
        return not_found(fmt::format("no session '{}' in room '{}'", session, room));
    }
    Entry& entry = r->second;
    if (auto p = entry.publishers.find(session); p != entry.publishers.end()) {
        // Its viewers and subscribers go first: they forward this publisher's tracks.
        end_viewers_of(entry, room, session);
        (void)entry.room->remove(session, reason, [this, alive = std::weak_ptr<int>(alive_), room] {
            if (!alive.expired()) {
                drop_room_if_empty(room);
                maybe_finish_shutdown();
            }
        });
        logger_.info("[room={} publisher={}] ending", room, session);
        retire(std::move(p->second));
        entry.publishers.erase(p);
    } else if (auto v = entry.viewers.find(session); v != entry.viewers.end()) {
        logger_.info("[room={} viewer={}] ending", room, session);
        retire(std::move(v->second));
        entry.viewers.erase(v);
    } else if (entry.participants.count(session) != 0) {
        return leave(room, session, reason == "left" ? "removed" : reason);
    } else {
        return not_found(fmt::format("no session '{}' in room '{}'", session, room));
    }
    drop_room_if_empty(room);
    return Status::ok();
}

void RoomRegistry::drop_room_if_empty(const std::string& room) {
    auto r = rooms_.find(room);
    if (r == rooms_.end() || r->second.size() != 0 || !r->second.room->idle()) {
        return;
    }
    Entry& entry = r->second;
    if (entry.managed && !shutting_down_) {
        entry.room->finish_automatic(); // an operator's room stays until deleted
        return;
    }
    entry.room->finish();
    Room::Listener& listener = options_.room_listener ? *options_.room_listener : no_listener_;
    listener.on_room_deleted(*entry.room, entry.delete_reason);
    logger_.info("room '{}' is gone ({})", room, entry.delete_reason);
    auto waiters = std::move(entry.deleted);
    rooms_.erase(r);
    for (auto& waiter : waiters) {
        waiter(Status::ok());
    }
}

void RoomRegistry::shutdown(std::function<void()> done) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    shutting_down_ = true;
    if (done) {
        shutdown_waiters_.push_back(std::move(done));
    }
    std::vector<std::pair<std::string, std::string>> sessions;
    for (const auto& [name, room] : rooms_) {
        for (const auto& [id, publisher] : room.publishers) {
            sessions.emplace_back(name, id);
        }
        for (const auto& [id, viewer] : room.viewers) {
            sessions.emplace_back(name, id);
        }
        for (const auto& [id, participant] : room.participants) {
            sessions.emplace_back(name, id);
        }
    }
    for (const auto& [room, id] : sessions) {
        auto r = rooms_.find(room);
        if (r != rooms_.end() && r->second.participants.count(id) != 0) {
            (void)leave(room, id, "shutdown");
        } else {
            (void)end_session(room, id,
                              "shutdown"); // a publisher may already have taken its viewers
        }
    }
    for (const std::string& room : room_names()) {
        drop_room_if_empty(room); // operators' rooms that were empty
    }
    maybe_finish_shutdown();
}

void RoomRegistry::maybe_finish_shutdown() {
    if (!shutting_down_ || !rooms_.empty() || !retiring_.empty()) {
        return;
    }
    auto waiters = std::move(shutdown_waiters_);
    shutdown_waiters_.clear();
    for (auto& waiter : waiters) {
        waiter();
    }
}

void RoomRegistry::on_publisher_failed(PublisherSession& session, const Status& reason) {
    logger_.warn("[room={} publisher={}] ending: {}", session.room(), session.id(),
                 reason.message());
    (void)engine_.post(
        [this, alive = std::weak_ptr<int>(alive_), room = session.room(), id = session.id()] {
            if (!alive.expired()) {
                (void)end_session(room, id, "disconnected");
            }
        });
}

void RoomRegistry::on_publisher_track(PublisherSession& session, ReceivedTrack& track) {
    auto r = rooms_.find(session.room());
    if (r != rooms_.end()) {
        r->second.room->publish(session.id(), track);
    }
}

void RoomRegistry::on_viewer_failed(ViewerSession& session, const Status& reason) {
    logger_.warn("[viewer={}] peer lost: {}", session.id(), reason.message());
    std::string id = session.id();
    std::string room;
    for (const auto& [name, entry] : rooms_) {
        if (entry.viewers.count(id) != 0) {
            room = name;
        }
    }
    (void)engine_.post([this, alive = std::weak_ptr<int>(alive_), room, id] {
        if (!alive.expired()) {
            (void)end_session(room, id);
        }
    });
}

} // namespace conf
