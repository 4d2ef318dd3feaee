// RecordingFixture: an engine, a temp dir and the recorders and sources of one test, all
// created and destroyed on the media thread; RecorderEvents: a listener tests wait on.
#pragma once

#include "recording/recorder.hpp"
#include "recording/support/rtp_source.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace conf::test {

class RecorderEvents : public Recorder::Listener {
  public:
    void on_recorder_state_changed(Recorder& recorder, RecorderState state,
                                   const Status& reason) override;
    void on_recorder_track_started(Recorder& recorder, const std::string& track_id,
                                   std::uint64_t start_ns) override;
    void on_recorder_keyframe_needed(Recorder& recorder, const std::string& track_id) override;

    // Bounded waits; false on timeout.
    bool wait_for_state(RecorderState state, std::chrono::milliseconds timeout);
    bool wait_for_tracks(std::size_t count, std::chrono::milliseconds timeout);

    std::vector<RecorderState> states() const;
    Status reason() const;
    std::map<std::string, std::uint64_t> started() const;

  private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<RecorderState> states_;
    Status reason_;
    std::map<std::string, std::uint64_t> started_;
};

struct TrackSpec {
    std::string id;
    const char* caps;
};

class RecordingFixture {
  public:
    RecordingFixture();
    ~RecordingFixture();
    RecordingFixture(const RecordingFixture&) = delete;
    RecordingFixture& operator=(const RecordingFixture&) = delete;

    // Runs `fn` on the media thread and waits (bounded) for its result.
    template <typename F>
    auto on_media(F&& fn) {
        auto future = engine->submit(std::forward<F>(fn));
        REQUIRE(future.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
        return future.get();
    }

    // {dir}/recordings, room "room-1", participant "alice".
    RecorderOptions options(const std::string& recording_id) const;
    static std::vector<RecorderTrack> tracks(const std::vector<TrackSpec>& specs);

    // The fixture owns what these return and destroys it on the media thread at the end.
    Result<Recorder*> try_create(RecorderOptions options, std::vector<RecorderTrack> tracks,
                                 Recorder::Listener* listener);
    Recorder* create(RecorderOptions options, std::vector<RecorderTrack> tracks,
                     Recorder::Listener* listener);
    RtpSource* source(const std::string& description, const std::vector<std::string>& ids);

    Status start(Recorder& recorder);
    // stop() and wait (bounded) for its callback.
    Status stop(Recorder& recorder);
    RecorderState state(Recorder& recorder);

    TempDir dir;
    std::unique_ptr<Engine> engine;

  private:
    std::vector<std::unique_ptr<RtpSource>> sources_;
    std::vector<std::unique_ptr<Recorder>> recorders_;
};

} // namespace conf::test
