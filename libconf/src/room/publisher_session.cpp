#include "room/publisher_session.hpp"

namespace conf {

namespace {

// Hands one track's packets to the recorder. The input outlives the recorder if need be.
class RecorderFeed : public RtpSink {
  public:
    RecorderFeed(std::shared_ptr<RecorderInput> input, std::string track_id)
        : input_(std::move(input)), track_id_(std::move(track_id)) {}
    void push_rtp(GstBuffer* rtp) override { (void)input_->push(track_id_, rtp); }

  private:
    std::shared_ptr<RecorderInput> input_;
    std::string track_id_;
};

} // namespace

Result<std::unique_ptr<PublisherSession>> PublisherSession::create(Engine::Impl& engine,
                                                                   Options options, Owner& owner) {
    CONF_ASSERT_MEDIA_THREAD(engine);
    std::unique_ptr<PublisherSession> session(
        new PublisherSession(engine, std::move(options), owner));
    EndpointOptions endpoint_options = session->options_.endpoint;
    endpoint_options.id = session->options_.id;
    endpoint_options.room = session->options_.room;
    auto endpoint = Endpoint::create(engine, endpoint_options, session->signaller_, *session);
    if (!endpoint) {
        return endpoint.status();
    }
    session->endpoint_ = std::move(endpoint).value();
    if (endpoint_options.max_video_bitrate_kbps > 0) {
        PublisherSession* self = session.get();
        session->bitrate_timer_ = Timer::start(engine.context(), std::chrono::seconds(1),
                                               [self] { return self->check_bitrate(); });
    }
    return session;
}

PublisherSession::PublisherSession(Engine::Impl& engine, Options options, Owner& owner)
    : engine_(engine), options_(std::move(options)), owner_(owner),
      logger_(Logger("session").with("room", options_.room).with("publisher", options_.id)),
      signaller_([this](Result<std::string> answer) {
          if (answer_done_) {
              auto done = std::move(answer_done_);
              answer_done_ = nullptr;
              done(std::move(answer));
          }
      }) {}

PublisherSession::~PublisherSession() {
    track_wait_timer_.reset();
    bitrate_timer_.reset();
    recorder_feeds_.clear();
}

void PublisherSession::negotiate(const std::string& offer, OneShotSignaller::Done done) {
    answer_done_ = std::move(done);
    endpoint_->receive_description({SessionDescription::Type::kOffer, offer});
}

void PublisherSession::on_track_added(Endpoint& endpoint, ReceivedTrack& track) {
    if (!ending_) {
        owner_.on_publisher_track(*this, track);
    }
    if (!options_.recording || recorder_ || ending_) {
        return;
    }
    if (endpoint.tracks().size() >= endpoint.expected_remote_tracks()) {
        track_wait_timer_.reset();
        start_recording();
        return;
    }
    if (!track_wait_timer_.active()) {
        track_wait_timer_ = Timer::once(engine_.context(), options_.track_wait, [this] {
            logger_.warn("{} of {} announced tracks arrived within {} ms; recording those",
                         endpoint_->tracks().size(), endpoint_->expected_remote_tracks(),
                         options_.track_wait.count());
            start_recording();
        });
    }
}

bool PublisherSession::check_bitrate() {
    if (ending_) {
        return false;
    }
    const std::uint32_t limit_kbps = options_.endpoint.max_video_bitrate_kbps;
    const std::int64_t window_us =
        std::chrono::duration_cast<std::chrono::microseconds>(options_.bitrate_window).count();
    const std::int64_t now = g_get_monotonic_time();
    for (const auto& track : endpoint_->tracks()) {
        if (track->kind() != MediaKind::kVideo) {
            continue;
        }
        auto& samples = video_samples_[track.get()];
        samples.push_back({now, track->bytes()});
        while (samples.size() > 2 && now - samples[1].at_us >= window_us) {
            samples.pop_front();
        }
        const ByteSample& first = samples.front();
        const std::int64_t span_us = now - first.at_us;
        if (span_us < window_us) {
            continue; // not a whole window yet
        }
        // bytes * 8 bits / span_us µs = Mbit/s; * 1000 = kbit/s.
        const double kbps = static_cast<double>(samples.back().bytes - first.bytes) * 8.0 * 1000.0 /
                            static_cast<double>(span_us);
        if (kbps > limit_kbps * options_.bitrate_tolerance) {
            Status over = resource_exhausted(fmt::format(
                "track {} sent video at {:.0f} kbps over {} ms, above max_publisher_video_kbps "
                "{} (the answer asked for at most that; {:.0f}% tolerance)",
                track->id(), kbps, options_.bitrate_window.count(), limit_kbps,
                (options_.bitrate_tolerance - 1.0) * 100.0));
            logger_.warn("ending the publisher: {}", over.message());
            owner_.on_publisher_failed(*this, over);
            return false;
        }
    }
    return true;
}

void PublisherSession::start_recording() {
    if (recorder_ || ending_ || endpoint_->tracks().empty()) {
        return;
    }
    RecorderOptions options = *options_.recording;
    options.room_id = options_.room;
    options.participant_id = options_.id;
    if (options.recording_id.empty()) {
        options.recording_id = options_.id;
    }
    std::vector<RecorderTrack> tracks;
    for (const auto& track : endpoint_->tracks()) {
        tracks.push_back({track->id(), GRef<GstCaps>::ref(track->caps())});
    }
    auto recorder = Recorder::create(engine_, options, std::move(tracks), this);
    if (!recorder) {
        logger_.error("cannot record: {}", recorder.status().message());
        return;
    }
    if (Status started = (*recorder)->start(); !started) {
        logger_.error("recording refused: {}", started.message());
        return;
    }
    recorder_ = std::move(recorder).value();
    for (const auto& track : endpoint_->tracks()) {
        recorder_feeds_.push_back(
            track->subscribe(std::make_shared<RecorderFeed>(recorder_->input(), track->id())));
        recorder_feeds_.back().request_keyframe();
    }
    logger_.info("recording {} to {}", options.recording_id, recorder_->media_file().string());
}

void PublisherSession::on_endpoint_failed(Endpoint& /*endpoint*/, const Status& error) {
    owner_.on_publisher_failed(*this, error);
}

void PublisherSession::on_recorder_state_changed(Recorder& /*recorder*/, RecorderState state,
                                                 const Status& reason) {
    if (state == RecorderState::kFailed) {
        // The recording is over; publishing goes on.
        logger_.error("recording failed: {}", reason.message());
        recorder_feeds_.clear();
    } else if (state == RecorderState::kFinalized) {
        logger_.info("recording finalized");
    }
}

void PublisherSession::on_recorder_keyframe_needed(Recorder& /*recorder*/,
                                                   const std::string& track_id) {
    for (const auto& track : endpoint_->tracks()) {
        if (track->id() == track_id) {
            track->request_keyframe();
        }
    }
}

void PublisherSession::end(std::function<void()> done) {
    ending_ = true;
    track_wait_timer_.reset();
    bitrate_timer_.reset();
    // Both the recorder's drain and the endpoint's close report back; `done` follows the last.
    auto remaining = std::make_shared<int>(recorder_ ? 2 : 1);
    auto finish = [remaining, done = std::move(done)]() {
        if (--*remaining == 0 && done) {
            done();
        }
    };
    if (recorder_) {
        recorder_->stop([this, finish](const Status& outcome) {
            if (!outcome.is_ok()) {
                logger_.warn("recording ended: {}", outcome.to_string());
            }
            recorder_feeds_.clear();
            finish();
        });
    }
    endpoint_->close(finish);
}

} // namespace conf
