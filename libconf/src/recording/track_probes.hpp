// What a recorder's streaming threads do for each track, kept apart from the Recorder, which
// belongs to the media thread:
//   - count what reaches the muxer (first PTS, end, bytes) and say when a track starts;
//   - in fMP4, hold audio back until the first video frame (StartAlignment);
//   - notice a depayloader asking upstream for a keyframe;
//   - keep video frame timestamps increasing.
// The probes only copy numbers and call a notifier that posts to the media thread. Their
// closures share these objects, so a probe still running while its recorder is destroyed
// (a pipeline torn down off-thread) never touches freed memory.
#pragma once

#include "core/probe_connection.hpp"

#include <gst/gst.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

namespace conf {

struct TrackFlow {
    explicit TrackFlow(bool is_video) : video(is_video) {}

    const bool video;
    // Running time of the first buffer that reached the muxer; NONE until then.
    std::atomic<GstClockTime> first_pts{GST_CLOCK_TIME_NONE};
    std::atomic<GstClockTime> end{0}; // largest PTS + duration seen
    std::atomic<std::uint64_t> bytes{0};
    std::atomic<std::int64_t> last_keyframe_request_us{0};
    // StartAlignment's per-track mark; only the track's own streaming thread touches it.
    bool aligned = false;
};

// mp4mux (GStreamer 1.22, fragmented) starts every track of the file at zero whenever its
// first sample came: a video track starting 300 ms after the audio would play 300 ms early.
// So an fMP4 file starts with the first video frame; earlier audio is dropped. Audio that
// arrives first waits (its streaming thread blocks, bounded) until the video's first
// timestamp is known, so the cut lands within one audio frame. Matroska keeps each track's
// offset and needs none of this.
class StartAlignment {
  public:
    // How long audio waits for a first video frame before it is recorded alone.
    static constexpr std::chrono::seconds kMaxWait{2};

    explicit StartAlignment(bool enabled) : enabled_(enabled) {}

    bool enabled() const noexcept { return enabled_; }
    void video_started(GstClockTime pts);
    // Whether an audio buffer at `pts` arriving on `pad` goes into the file. May block up to
    // kMaxWait; gives up (and drops) as soon as the pad flushes, so a pipeline going to NULL
    // after an error never waits on it.
    bool admit_audio(TrackFlow& flow, GstPad* pad, GstClockTime pts);
    // Stops all waiting (stop, failure, destruction): audio flows unaligned from now on.
    void release();

  private:
    const bool enabled_;
    std::mutex mutex_;
    std::condition_variable changed_;
    GstClockTime video_start_ = GST_CLOCK_TIME_NONE; // guarded by mutex_
    bool released_ = false;                          // guarded by mutex_
};

// On a muxer sink pad: accounting, alignment, and `on_first_buffer` (from the streaming
// thread) when the track's first buffer goes in.
[[nodiscard]] ProbeConnection add_mux_probe(GstPad* mux_pad, std::shared_ptr<TrackFlow> flow,
                                            std::shared_ptr<StartAlignment> alignment,
                                            std::function<void()> on_first_buffer);

// On a video depayloader's src pad: a frame whose PTS is not after the previous frame's gets
// the previous PTS + 1 ms. Under load a sender's frames can arrive stamped alike; a parser
// then passes them on with no timestamp, and Matroska with offset-to-zero writes those at
// "0 minus the offset": a file whose duration wraps to ~584 years.
[[nodiscard]] ProbeConnection add_increasing_pts_probe(GstPad* depayloader_src);

// On an appsrc's src pad: `on_keyframe_needed` (from the streaming thread, at most once a
// second) when the depayloader sends its GstForceKeyUnit event upstream.
[[nodiscard]] ProbeConnection add_keyframe_probe(GstPad* src_pad, std::shared_ptr<TrackFlow> flow,
                                                 std::function<void()> on_keyframe_needed);

} // namespace conf
