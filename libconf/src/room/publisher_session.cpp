#include "room/publisher_session.hpp"

namespace conf {

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
    bitrate_timer_.reset();
}

void PublisherSession::negotiate(const std::string& offer, OneShotSignaller::Done done) {
    answer_done_ = std::move(done);
    endpoint_->receive_description({SessionDescription::Type::kOffer, offer});
}

void PublisherSession::on_track_added(Endpoint& /*endpoint*/, ReceivedTrack& track) {
    if (!ending_) {
        owner_.on_publisher_track(*this, track);
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

void PublisherSession::on_endpoint_failed(Endpoint& /*endpoint*/, const Status& error) {
    owner_.on_publisher_failed(*this, error);
}

void PublisherSession::end(std::function<void()> done) {
    ending_ = true;
    bitrate_timer_.reset();
    endpoint_->close(std::move(done));
}

} // namespace conf
