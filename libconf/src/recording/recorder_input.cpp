#include "recording/recorder_input.hpp"

#include <gst/app/gstappsrc.h>

#include <mutex>

namespace conf {

namespace {
// Drops come in bursts while a disk stalls: one warning per interval carries the totals.
constexpr std::int64_t kDropLogIntervalUs = 5'000'000;
} // namespace

std::string_view to_string(PushResult result) noexcept {
    switch (result) {
    case PushResult::kQueued:
        return "queued";
    case PushResult::kDropped:
        return "dropped";
    case PushResult::kClosed:
        return "closed";
    case PushResult::kUnknownTrack:
        return "unknown_track";
    case PushResult::kNoTimestamp:
        return "no_timestamp";
    }
    return "unknown";
}

RecorderInput::RecorderInput(Logger logger, std::uint64_t max_queue_bytes)
    : logger_(std::move(logger)), max_queue_bytes_(max_queue_bytes) {}

void RecorderInput::add_track(std::string id, GRef<GstElement> appsrc) {
    std::unique_lock lock(mutex_);
    auto track = std::make_unique<Track>();
    track->id = std::move(id);
    track->appsrc = std::move(appsrc);
    tracks_.push_back(std::move(track));
}

void RecorderInput::open(GstClockTime base_time) {
    std::unique_lock lock(mutex_);
    if (!closed_) {
        base_time_ = base_time;
        open_ = true;
    }
}

void RecorderInput::close() {
    std::unique_lock lock(mutex_);
    open_ = false;
    closed_ = true;
    for (auto& track : tracks_) {
        track->appsrc.reset();
    }
}

PushResult RecorderInput::push(std::string_view track_id, GstBuffer* buffer) {
    std::shared_lock lock(mutex_);
    if (!open_) {
        return PushResult::kClosed;
    }
    Track* track = nullptr;
    for (auto& candidate : tracks_) {
        if (candidate->id == track_id) {
            track = candidate.get();
            break;
        }
    }
    if (track == nullptr) {
        return PushResult::kUnknownTrack;
    }
    GstClockTime absolute = buffer != nullptr ? GST_BUFFER_PTS(buffer) : GST_CLOCK_TIME_NONE;
    if (!GST_CLOCK_TIME_IS_VALID(absolute) || absolute < base_time_) {
        return PushResult::kNoTimestamp;
    }
    auto* appsrc = GST_APP_SRC(track->appsrc.get());
    // Only this track's streaming thread adds to this queue, so the check cannot race with
    // another push; the appsrc's own leaky max-bytes is the backstop.
    if (gst_app_src_get_current_level_bytes(appsrc) + gst_buffer_get_size(buffer) >
        max_queue_bytes_) {
        note_drop(*track);
        return PushResult::kDropped;
    }
    // A shallow copy: new timestamps, the same payload memory.
    GstBuffer* copy = gst_buffer_copy(buffer);
    GST_BUFFER_PTS(copy) = absolute - base_time_;
    GST_BUFFER_DTS(copy) = GST_CLOCK_TIME_NONE;
    GstFlowReturn flow = gst_app_src_push_buffer(appsrc, copy);
    return flow == GST_FLOW_OK ? PushResult::kQueued : PushResult::kClosed;
}

std::uint64_t RecorderInput::dropped(std::size_t track_index) const {
    std::shared_lock lock(mutex_);
    return track_index < tracks_.size() ? tracks_[track_index]->dropped.load() : 0;
}

void RecorderInput::note_drop(Track& track) {
    std::uint64_t dropped = track.dropped.fetch_add(1) + 1;
    std::int64_t now = g_get_monotonic_time();
    std::int64_t last = last_drop_log_us_.load();
    if ((dropped == 1 || now - last >= kDropLogIntervalUs) &&
        last_drop_log_us_.compare_exchange_strong(last, now)) {
        logger_.warn("track {}: input queue full ({} bytes), {} packets dropped so far", track.id,
                     max_queue_bytes_, dropped);
    }
}

} // namespace conf
