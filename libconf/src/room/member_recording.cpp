#include "room/member_recording.hpp"

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

MemberRecording::MemberRecording(Engine::Impl& engine, RecorderOptions options,
                                 std::size_t expected_tracks, std::chrono::milliseconds track_wait,
                                 std::function<void()> started)
    : engine_(engine), options_(std::move(options)), expected_tracks_(expected_tracks),
      track_wait_(track_wait), started_(std::move(started)),
      logger_(Logger("recording")
                  .with("room", options_.room_id)
                  .with("participant", options_.participant_id)) {}

MemberRecording::~MemberRecording() {
    track_wait_timer_.reset();
    feeds_.clear();
}

void MemberRecording::add_track(ReceivedTrack& track) {
    if (recorder_ || stopping_) {
        return; // a track after the start is not in the file (Matroska cannot add one)
    }
    tracks_.push_back(&track);
    if (tracks_.size() >= expected_tracks_) {
        track_wait_timer_.reset();
        start();
        return;
    }
    if (!track_wait_timer_.active()) {
        track_wait_timer_ = Timer::once(engine_.context(), track_wait_, [this] {
            logger_.warn("{} of {} announced tracks arrived within {} ms; recording those",
                         tracks_.size(), expected_tracks_, track_wait_.count());
            start();
        });
    }
}

void MemberRecording::start() {
    if (recorder_ || stopping_ || tracks_.empty()) {
        return;
    }
    std::vector<RecorderTrack> tracks;
    for (ReceivedTrack* track : tracks_) {
        tracks.push_back({track->id(), GRef<GstCaps>::ref(track->caps())});
    }
    auto recorder = Recorder::create(engine_, options_, std::move(tracks), this);
    if (!recorder) {
        logger_.error("cannot record: {}", recorder.status().message());
        return;
    }
    if (Status started = (*recorder)->start(); !started) {
        logger_.error("recording refused: {}", started.message());
        return;
    }
    recorder_ = std::move(recorder).value();
    for (ReceivedTrack* track : tracks_) {
        feeds_.push_back(
            track->subscribe(std::make_shared<RecorderFeed>(recorder_->input(), track->id())));
        feeds_.back().request_keyframe();
    }
    logger_.info("recording {} to {}", options_.recording_id, recorder_->media_file().string());
    if (started_) {
        started_();
    }
}

void MemberRecording::stop(std::function<void()> done) {
    stopping_ = true;
    track_wait_timer_.reset();
    if (!recorder_) {
        if (done) {
            done();
        }
        return;
    }
    recorder_->stop([this, done = std::move(done)](const Status& outcome) {
        if (!outcome.is_ok()) {
            logger_.warn("recording ended: {}", outcome.to_string());
        }
        feeds_.clear();
        if (done) {
            done();
        }
    });
}

void MemberRecording::on_recorder_state_changed(Recorder& /*recorder*/, RecorderState state,
                                                const Status& reason) {
    if (state == RecorderState::kFailed) {
        logger_.error("recording failed: {}", reason.message());
        feeds_.clear();
    } else if (state == RecorderState::kFinalized) {
        logger_.info("recording finalized");
    }
}

void MemberRecording::on_recorder_keyframe_needed(Recorder& /*recorder*/,
                                                  const std::string& track_id) {
    for (ReceivedTrack* track : tracks_) {
        if (track->id() == track_id) {
            track->request_keyframe();
        }
    }
}

} // namespace conf
