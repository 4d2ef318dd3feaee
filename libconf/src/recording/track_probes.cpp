#include "recording/track_probes.hpp"

#include <utility>

namespace conf {

namespace {

// The depayloaders ask on every lost packet until a keyframe comes; a sender needs one PLI.
constexpr std::int64_t kKeyframeRequestIntervalUs = 1'000'000;
constexpr std::chrono::milliseconds kWaitSlice{20};

// Returns true for the track's first buffer.
bool account(TrackFlow& flow, GstBuffer* buffer) {
    GstClockTime pts = GST_BUFFER_PTS(buffer);
    if (!GST_CLOCK_TIME_IS_VALID(pts)) {
        return false;
    }
    GstClockTime duration = GST_BUFFER_DURATION(buffer);
    GstClockTime end = pts + (GST_CLOCK_TIME_IS_VALID(duration) ? duration : 0);
    // One streaming thread per pad: load-then-store cannot lose an update.
    if (end > flow.end.load(std::memory_order_relaxed)) {
        flow.end.store(end, std::memory_order_relaxed);
    }
    flow.bytes.fetch_add(gst_buffer_get_size(buffer), std::memory_order_relaxed);
    GstClockTime none = GST_CLOCK_TIME_NONE;
    return flow.first_pts.compare_exchange_strong(none, pts);
}

} // namespace

void StartAlignment::video_started(GstClockTime pts) {
    {
        std::lock_guard lock(mutex_);
        if (GST_CLOCK_TIME_IS_VALID(video_start_)) {
            return;
        }
        video_start_ = pts;
    }
    changed_.notify_all();
}

bool StartAlignment::admit_audio(TrackFlow& flow, GstPad* pad, GstClockTime pts) {
    if (flow.aligned) {
        return true;
    }
    std::unique_lock lock(mutex_);
    auto deadline = std::chrono::steady_clock::now() + kMaxWait;
    auto known = [this] {
        return GST_CLOCK_TIME_IS_VALID(video_start_) || released_;
    };
    // In slices: this thread holds the pad's stream lock, and a state change to NULL (which
    // Pipeline::fail makes on the media thread) sets the pad flushing, then waits for it.
    while (!known()) {
        if (GST_PAD_IS_FLUSHING(pad)) {
            return false;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            released_ = true; // no video: record the audio alone, and nobody waits again
            break;
        }
        changed_.wait_for(lock, kWaitSlice);
    }
    if (GST_CLOCK_TIME_IS_VALID(video_start_) && pts < video_start_) {
        return false;
    }
    flow.aligned = true;
    return true;
}

void StartAlignment::release() {
    {
        std::lock_guard lock(mutex_);
        released_ = true;
    }
    changed_.notify_all();
}

ProbeConnection add_mux_probe(GstPad* mux_pad, std::shared_ptr<TrackFlow> flow,
                              std::shared_ptr<StartAlignment> alignment,
                              std::function<void()> on_first_buffer) {
    return add_probe(
        mux_pad,
        static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
        [flow = std::move(flow), alignment = std::move(alignment),
         on_first_buffer = std::move(on_first_buffer)](GstPad* pad, GstPadProbeInfo* info) {
            if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
                GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
                bool first = false;
                for (guint i = 0; i < gst_buffer_list_length(list); ++i) {
                    first |= account(*flow, gst_buffer_list_get(list, i));
                }
                if (first) {
                    on_first_buffer();
                }
                return GST_PAD_PROBE_OK;
            }
            GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
            GstClockTime pts = GST_BUFFER_PTS(buffer);
            if (alignment->enabled() && GST_CLOCK_TIME_IS_VALID(pts)) {
                if (flow->video) {
                    alignment->video_started(pts);
                } else if (!alignment->admit_audio(*flow, pad, pts)) {
                    return GST_PAD_PROBE_DROP;
                }
            }
            if (account(*flow, buffer)) {
                on_first_buffer();
            }
            return GST_PAD_PROBE_OK;
        });
}

ProbeConnection add_increasing_pts_probe(GstPad* depayloader_src) {
    return add_probe(depayloader_src, GST_PAD_PROBE_TYPE_BUFFER,
                     [last = GST_CLOCK_TIME_NONE](GstPad*, GstPadProbeInfo* info) mutable {
                         GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
                         GstClockTime pts = GST_BUFFER_PTS(buffer);
                         if (!GST_CLOCK_TIME_IS_VALID(pts)) {
                             return GST_PAD_PROBE_OK;
                         }
                         if (GST_CLOCK_TIME_IS_VALID(last) && pts <= last) {
                             buffer = gst_buffer_make_writable(buffer);
                             pts = last + GST_MSECOND;
                             GST_BUFFER_PTS(buffer) = pts;
                             GST_BUFFER_DTS(buffer) = GST_CLOCK_TIME_NONE;
                             info->data = buffer;
                         }
                         last = pts;
                         return GST_PAD_PROBE_OK;
                     });
}

ProbeConnection add_keyframe_probe(GstPad* src_pad, std::shared_ptr<TrackFlow> flow,
                                   std::function<void()> on_keyframe_needed) {
    return add_probe(src_pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                     [flow = std::move(flow), on_keyframe_needed = std::move(on_keyframe_needed)](
                         GstPad*, GstPadProbeInfo* info) {
                         GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
                         if (GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_UPSTREAM ||
                             !gst_event_has_name(event, "GstForceKeyUnit")) {
                             return GST_PAD_PROBE_OK;
                         }
                         std::int64_t now = g_get_monotonic_time();
                         std::int64_t last = flow->last_keyframe_request_us.load();
                         if (now - last >= kKeyframeRequestIntervalUs &&
                             flow->last_keyframe_request_us.compare_exchange_strong(last, now)) {
                             on_keyframe_needed();
                         }
                         return GST_PAD_PROBE_OK;
                     });
}

} // namespace conf
