// MemberRecording: the recording of one member of a room (a participant or a WHIP
// publisher): all its tracks in one file, pass-through. It starts once every track the
// member announced has arrived (or after `track_wait`, with those that did), so audio and
// video share one file. A recording failure (disk full) ends the recording only; the member
// goes on. Media thread only.
#pragma once

#include "core/timer.hpp"
#include "recording/recorder.hpp"
#include "webrtc/received_track.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace conf {

class MemberRecording final : private Recorder::Listener {
  public:
    // `options` has output_dir, room_id, participant_id and recording_id filled in.
    // `started` runs once the recording has begun (for the room session's manifest).
    MemberRecording(Engine::Impl& engine, RecorderOptions options, std::size_t expected_tracks,
                    std::chrono::milliseconds track_wait, std::function<void()> started);
    ~MemberRecording() override;
    MemberRecording(const MemberRecording&) = delete;
    MemberRecording& operator=(const MemberRecording&) = delete;

    // A track of the member arrived; the owner keeps it alive until stop() has completed or
    // this object is gone.
    void add_track(ReceivedTrack& track);
    // Finalizes (drains the file, writes the manifest with checksums); `done` runs on the
    // media thread once that is over, at once if nothing was recording.
    void stop(std::function<void()> done);

    const Recorder* recorder() const noexcept { return recorder_.get(); }
    const RecorderOptions& options() const noexcept { return options_; }

  private:
    void start();
    void on_recorder_state_changed(Recorder& recorder, RecorderState state,
                                   const Status& reason) override;
    void on_recorder_keyframe_needed(Recorder& recorder, const std::string& track_id) override;

    Engine::Impl& engine_;
    RecorderOptions options_;
    std::size_t expected_tracks_;
    std::chrono::milliseconds track_wait_;
    std::function<void()> started_;
    Logger logger_;
    std::vector<ReceivedTrack*> tracks_;
    std::unique_ptr<Recorder> recorder_;
    std::vector<ReceivedTrack::Subscription> feeds_;
    Timer track_wait_timer_;
    bool stopping_ = false;
};

} // namespace conf
