#include "room/room_streams.hpp"

#include "room/room.hpp"

#include <fmt/format.h>

namespace conf {

std::string_view to_string(StreamState state) noexcept {
    switch (state) {
    case StreamState::kLive:
        return "live";
    case StreamState::kReconnecting:
        return "reconnecting";
    case StreamState::kEnded:
        return "ended";
    case StreamState::kFailed:
        return "failed";
    }
    return "unknown";
}

namespace {
// The room's mix as the encoder holds it: the claim keeps the mix running, the output keeps
// its full-mix encoder.
struct MixHold {
    Room::MixClaim claim;
    AudioMixer::Output audio;
};

constexpr std::string_view kPlaylist = "index.m3u8";
} // namespace

RoomStreams::RoomStreams(Engine::Impl& engine, Room& room, RoomStreamsOptions options,
                         Changed changed)
    : engine_(engine), room_(room), options_(std::move(options)), changed_(std::move(changed)),
      logger_(Logger("streams").with("room", room.name())) {}

RoomStreams::~RoomStreams() {
    removals_.clear();
    stopping_.clear();
    live_.reset();
    mix_hold_.reset();
    std::error_code ec;
    for (const auto& [id, info] : streams_) {
        if (info.kind == StreamKind::kHls) {
            std::filesystem::remove_all(options_.hls_root / room_.name() / id, ec);
        }
    }
}

Status RoomStreams::start_encoder() {
    auto claim = room_.claim_mix();
    if (!claim) {
        return claim.status().with_context("the room's mix");
    }
    auto hold = std::make_shared<MixHold>();
    hold->claim = std::move(claim).value();
    auto audio = room_.mix()->audio();
    if (!audio) {
        return audio.status().with_context("the room's mix");
    }
    hold->audio = std::move(audio).value();
    LiveStreamOptions live = options_.live;
    live.name = room_.name(); // the pipeline is live-{name}
    auto created = LiveStream::create(engine_, std::move(live), room_.mix()->video(),
                                      hold->audio.track(), this);
    if (!created) {
        return created.status();
    }
    live_ = std::move(created).value();
    mix_hold_ = std::move(hold);
    return Status::ok();
}

Result<StreamInfo> RoomStreams::start(const std::string& id, const StreamRequest& request) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (streams_.count(id) != 0) {
        return already_exists(fmt::format("stream {} exists", id));
    }
    if (request.kind == StreamKind::kRtmp) {
        // Checked before anything starts: a bad URL must not start the mix for nothing.
        if (auto url = parse_rtmp_url(request.rtmp_url); !url) {
            return url.status();
        }
    } else if (request.playlist_length < 3 || request.playlist_length > 30 ||
               request.segment.count() < 1 || request.segment.count() > 10) {
        return invalid_argument("HLS: segments of 1-10 s, and 3-30 of them in the playlist");
    }
    const bool started_encoder = !live_;
    if (started_encoder) {
        if (Status started = start_encoder(); !started) {
            return started;
        }
    }
    StreamInfo info;
    info.id = id;
    info.kind = request.kind;
    info.started = std::chrono::system_clock::now();
    Status added;
    if (request.kind == StreamKind::kHls) {
        HlsOptions hls;
        hls.directory = options_.hls_root / room_.name() / id;
        hls.playlist_name = std::string(kPlaylist);
        hls.target_duration = request.segment;
        hls.playlist_length = request.playlist_length;
        hls.max_files = request.playlist_length * 2;
        added = live_->add_hls(id, std::move(hls));
        info.playlist_path = fmt::format("/hls/{}/{}/{}", room_.name(), id, kPlaylist);
    } else {
        RtmpOptions rtmp;
        rtmp.url = request.rtmp_url;
        rtmp.reconnect_attempts = options_.rtmp_reconnect_attempts;
        added = live_->add_rtmp(id, std::move(rtmp));
        info.rtmp_url = parse_rtmp_url(request.rtmp_url)->redacted();
    }
    if (!added) {
        if (started_encoder) {
            stop_encoder_if_idle();
        }
        return added;
    }
    logger_.info("stream {} ({}) started{}", id, request.kind == StreamKind::kHls ? "HLS" : "RTMP",
                 info.rtmp_url.empty() ? "" : " to " + info.rtmp_url);
    StreamInfo& stored = streams_[id] = std::move(info);
    report(stored, StreamState::kLive);
    return stored;
}

Result<StreamInfo> RoomStreams::stop(const std::string& id) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    auto it = streams_.find(id);
    if (it == streams_.end()) {
        return not_found(fmt::format("no stream {} in room '{}'", id, room_.name()));
    }
    StreamInfo info = std::move(it->second);
    streams_.erase(it);
    if (live_) {
        (void)live_->remove_output(id); // kNotFound once it failed: already gone
    }
    if (info.kind == StreamKind::kHls) {
        remove_files_later(id);
    }
    logger_.info("stream {} stopped", id);
    report(info, StreamState::kEnded);
    stop_encoder_if_idle();
    return info;
}

std::vector<StreamInfo> RoomStreams::list() const {
    std::vector<StreamInfo> out;
    for (const auto& [id, info] : streams_) {
        out.push_back(info);
    }
    return out;
}

void RoomStreams::stop_encoder_if_idle() {
    if (!streams_.empty() || !live_) {
        return;
    }
    // The encoder drains what its outputs still hold, then lets go of the mix.
    LiveStream* stopping = live_.get();
    stopping_.push_back(std::move(live_));
    stopping->stop([this, alive = std::weak_ptr<int>(alive_), stopping,
                    hold = std::move(mix_hold_)]() mutable {
        // Not from inside the stream's own callback: it is destroyed a turn later.
        (void)engine_.post([this, alive, stopping, hold = std::move(hold)]() mutable {
            if (!alive.expired()) {
                stopping_.remove_if([stopping](const auto& s) { return s.get() == stopping; });
            }
            hold.reset();
        });
    });
}

void RoomStreams::remove_files_later(const std::string& id) {
    // After the output has drained (its playlist ended): a player gets the end, then 404s.
    std::filesystem::path directory = options_.hls_root / room_.name() / id;
    auto delay = options_.live.drain_timeout + std::chrono::seconds(10);
    removals_.push_back(Timer());
    auto timer = std::prev(removals_.end());
    *timer = Timer::once(engine_.context(), delay, [this, directory, timer] {
        std::error_code ec;
        std::filesystem::remove_all(directory, ec);
        if (ec) {
            logger_.warn("cannot remove {}: {}", directory.string(), ec.message());
        }
        // Its own timer: erased a turn later, not while it runs.
        (void)engine_.post([this, alive = std::weak_ptr<int>(alive_), timer] {
            if (!alive.expired()) {
                removals_.erase(timer);
            }
        });
    });
}

void RoomStreams::report(StreamInfo& info, StreamState state, std::string error) {
    info.state = state;
    info.error = std::move(error);
    if (changed_) {
        changed_(info);
    }
}

void RoomStreams::on_output_failed(LiveStream& /*stream*/, const std::string& output_id,
                                   const Status& error) {
    auto it = streams_.find(output_id);
    if (it == streams_.end()) {
        return;
    }
    StreamInfo info = std::move(it->second);
    streams_.erase(it);
    logger_.warn("stream {} failed: {}", output_id, error.message());
    if (info.kind == StreamKind::kHls) {
        remove_files_later(output_id);
    }
    report(info, StreamState::kFailed, error.message());
    // Not now: the LiveStream is calling.
    (void)engine_.post([this, alive = std::weak_ptr<int>(alive_)] {
        if (!alive.expired()) {
            stop_encoder_if_idle();
        }
    });
}

void RoomStreams::on_output_reconnecting(LiveStream& /*stream*/, const std::string& output_id,
                                         const Status& error, int attempt,
                                         std::chrono::milliseconds delay) {
    auto it = streams_.find(output_id);
    if (it == streams_.end()) {
        return;
    }
    report(it->second, StreamState::kReconnecting,
           fmt::format("{} (attempt {} in {} ms)", error.message(), attempt, delay.count()));
}

void RoomStreams::on_stream_failed(LiveStream& /*stream*/, const Status& error) {
    logger_.error("the live encoder failed: {}", error.message());
    std::map<std::string, StreamInfo> failed = std::move(streams_);
    streams_.clear();
    for (auto& [id, info] : failed) {
        if (info.kind == StreamKind::kHls) {
            remove_files_later(id);
        }
        report(info, StreamState::kFailed, error.message());
    }
    (void)engine_.post([this, alive = std::weak_ptr<int>(alive_)] {
        if (!alive.expired()) {
            stop_encoder_if_idle();
        }
    });
}

} // namespace conf
