// RecorderInput: the door through which streaming threads hand RTP packets to a Recorder.
//
// Shared (std::shared_ptr) between the Recorder and whatever feeds it, so a feeder still
// running when the recorder goes away pushes into a closed door rather than freed memory.
// A push never blocks its streaming thread. Each track's appsrc holds at most
// `max_queue_bytes`; past that the disk is not keeping up and new packets are dropped and
// counted (the manifest reports them). Dropping the newest keeps what is queued contiguous;
// the video depayloaders then skip to the next keyframe and ask for one.
#pragma once

#include "core/g_ref.hpp"
#include "core/log.hpp"

#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace conf {

enum class PushResult {
    kQueued,       // on its way to the file
    kDropped,      // the track's queue is full (disk too slow)
    kClosed,       // not recording (not started yet, stopping or ended)
    kUnknownTrack, // no track with that id
    kNoTimestamp,  // PTS missing or before the recorder's base time
};
std::string_view to_string(PushResult result) noexcept;

class RecorderInput {
  public:
    RecorderInput(Logger logger, std::uint64_t max_queue_bytes);
    RecorderInput(const RecorderInput&) = delete;
    RecorderInput& operator=(const RecorderInput&) = delete;

    // Media thread, before open().
    void add_track(std::string id, GRef<GstElement> appsrc);
    // Media thread, once the recorder's pipeline plays: pushes are accepted from now on.
    // Running time in the recorder = absolute clock time - `base_time`.
    void open(GstClockTime base_time);
    // Any thread. Waits for pushes in progress to leave, then refuses new ones and lets the
    // appsrcs go. Idempotent.
    void close();

    // Any thread. `buffer` is one RTP packet, borrowed (the caller keeps its reference); its
    // PTS is on the absolute clock (upstream base time + running time). The recorder queues
    // a copy that shares the payload memory, with the PTS turned into its own running time.
    PushResult push(std::string_view track_id, GstBuffer* buffer);

    std::uint64_t dropped(std::size_t track_index) const;

  private:
    struct Track {
        std::string id;
        GRef<GstElement> appsrc; // reset by close()
        std::atomic<std::uint64_t> dropped{0};
    };
    void note_drop(Track& track);

    Logger logger_;
    const std::uint64_t max_queue_bytes_;
    // Pushes hold it shared (they run in parallel, one streaming thread per track); open()
    // and close() hold it exclusively.
    mutable std::shared_mutex mutex_;
    std::vector<std::unique_ptr<Track>> tracks_; // added before open(), fixed afterwards
    bool open_ = false;                          // guarded by mutex_
    bool closed_ = false;                        // guarded by mutex_; closed is final
    GstClockTime base_time_ = 0;                 // guarded by mutex_
    std::atomic<std::int64_t> last_drop_log_us_{0};
};

} // namespace conf
