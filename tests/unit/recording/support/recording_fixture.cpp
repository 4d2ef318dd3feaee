#include "recording/support/recording_fixture.hpp"

#include <algorithm>

namespace conf::test {

using namespace std::chrono_literals;

void RecorderEvents::on_recorder_state_changed(Recorder& /*recorder*/, RecorderState state,
                                               const Status& reason) {
    std::lock_guard lock(mutex_);
    states_.push_back(state);
    if (!reason.is_ok()) {
        reason_ = reason;
    }
    changed_.notify_all();
}

void RecorderEvents::on_recorder_track_started(Recorder& /*recorder*/, const std::string& track_id,
                                               std::uint64_t start_ns) {
    std::lock_guard lock(mutex_);
    started_[track_id] = start_ns;
    changed_.notify_all();
}

void RecorderEvents::on_recorder_keyframe_needed(Recorder& /*recorder*/,
                                                 const std::string& /*track_id*/) {}

bool RecorderEvents::wait_for_state(RecorderState state, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
        return std::find(states_.begin(), states_.end(), state) != states_.end();
    });
}

bool RecorderEvents::wait_for_tracks(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return started_.size() >= count; });
}

std::vector<RecorderState> RecorderEvents::states() const {
    std::lock_guard lock(mutex_);
    return states_;
}

Status RecorderEvents::reason() const {
    std::lock_guard lock(mutex_);
    return reason_;
}

std::map<std::string, std::uint64_t> RecorderEvents::started() const {
    std::lock_guard lock(mutex_);
    return started_;
}

RecordingFixture::RecordingFixture() {
    auto created = Engine::create({.name = "recording-test", .data_dir = dir.path()});
    REQUIRE(created.is_ok());
    engine = std::move(created).value();
}

RecordingFixture::~RecordingFixture() {
    // Sources first: nothing pushes into a recorder while it goes.
    auto done = engine->submit([this] {
        sources_.clear();
        recorders_.clear();
    });
    (void)done.wait_for(20s);
    (void)engine->stop();
}

RecorderOptions RecordingFixture::options(const std::string& recording_id) const {
    RecorderOptions options;
    options.output_dir = dir.path() / "recordings";
    options.recording_id = recording_id;
    options.room_id = "room-1";
    options.participant_id = "alice";
    // Test machines may have little disk; the refusal test sets its own.
    options.min_free_bytes = 0;
    return options;
}

std::vector<RecorderTrack> RecordingFixture::tracks(const std::vector<TrackSpec>& specs) {
    std::vector<RecorderTrack> tracks;
    for (const TrackSpec& spec : specs) {
        tracks.push_back({spec.id, GRef<GstCaps>::adopt(gst_caps_from_string(spec.caps))});
    }
    return tracks;
}

Result<Recorder*> RecordingFixture::try_create(RecorderOptions options,
                                               std::vector<RecorderTrack> tracks,
                                               Recorder::Listener* listener) {
    auto outcome = on_media([&]() -> Result<Recorder*> {
        auto recorder =
            Recorder::create(engine->impl(), std::move(options), std::move(tracks), listener);
        if (!recorder) {
            return recorder.status();
        }
        recorders_.push_back(std::move(recorder).value());
        return recorders_.back().get();
    });
    REQUIRE(outcome.is_ok());
    return std::move(outcome).value();
}

Recorder* RecordingFixture::create(RecorderOptions options, std::vector<RecorderTrack> tracks,
                                   Recorder::Listener* listener) {
    auto created = try_create(std::move(options), std::move(tracks), listener);
    INFO(created.status().to_string());
    REQUIRE(created.is_ok());
    return *created;
}

RtpSource* RecordingFixture::source(const std::string& description,
                                    const std::vector<std::string>& ids) {
    auto created = on_media([&]() -> Result<RtpSource*> {
        auto source = RtpSource::create(engine->impl(), description, ids);
        if (!source) {
            return source.status();
        }
        sources_.push_back(std::move(source).value());
        return sources_.back().get();
    });
    REQUIRE(created.is_ok());
    INFO(created->status().to_string());
    REQUIRE(created->is_ok());
    return created->value();
}

Status RecordingFixture::start(Recorder& recorder) {
    return on_media([&] { return recorder.start(); });
}

Status RecordingFixture::stop(Recorder& recorder) {
    auto promise = std::make_shared<std::promise<Status>>();
    auto future = promise->get_future();
    REQUIRE(on_media([&] {
                recorder.stop([promise](const Status& status) { promise->set_value(status); });
            }).is_ok());
    REQUIRE(future.wait_for(30s) == std::future_status::ready);
    return future.get();
}

RecorderState RecordingFixture::state(Recorder& recorder) {
    return on_media([&] { return recorder.state(); }).value();
}

} // namespace conf::test
