#include "webrtc/received_track.hpp"

#include <gst/video/video.h>

#include <algorithm>

namespace conf {

ReceivedTrack::FanOut::FanOut(GRef<GstElement> owner, GRef<GstPad> src_pad)
    : pipeline(std::move(owner)), pad(std::move(src_pad)),
      sinks(std::make_shared<const std::vector<std::shared_ptr<RtpSink>>>()) {}

ReceivedTrack::ReceivedTrack(std::string id, const Codec& codec, GRef<GstCaps> caps,
                             GRef<GstPad> pad, GRef<GstElement> pipeline)
    : id_(std::move(id)), codec_(codec), caps_(std::move(caps)),
      fan_out_(std::make_shared<FanOut>(std::move(pipeline), pad)) {
    probe_ = add_probe(
        pad.get(),
        static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
        [fan_out = fan_out_](GstPad*, GstPadProbeInfo* info) { return fan_out->on_data(info); });
}

ReceivedTrack::~ReceivedTrack() = default;

ReceivedTrack::Subscription ReceivedTrack::subscribe(std::shared_ptr<RtpSink> sink) {
    const RtpSink* raw = sink.get();
    std::lock_guard lock(fan_out_->mutex);
    auto next = std::make_shared<std::vector<std::shared_ptr<RtpSink>>>(*fan_out_->sinks);
    next->push_back(std::move(sink));
    fan_out_->sinks = std::move(next);
    return Subscription(fan_out_, raw);
}

void ReceivedTrack::FanOut::remove(const RtpSink* sink) {
    std::lock_guard lock(mutex);
    auto next = std::make_shared<std::vector<std::shared_ptr<RtpSink>>>(*sinks);
    std::erase_if(*next, [sink](const auto& s) { return s.get() == sink; });
    sinks = std::move(next);
}

void ReceivedTrack::FanOut::request_keyframe() {
    std::int64_t now = g_get_monotonic_time();
    std::int64_t last = last_keyframe_request_us.load();
    auto interval_us = std::chrono::microseconds(kKeyframeInterval).count();
    if (now - last < interval_us || !last_keyframe_request_us.compare_exchange_strong(last, now)) {
        return;
    }
    // Upstream force-key-unit, sent into webrtcbin's src pad, becomes a PLI (or FIR) in its
    // RTP session.
    gst_pad_send_event(pad.get(),
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
    std::function<void()> listener;
    {
        std::lock_guard lock(mutex);
        listener = keyframe_listener;
    }
    if (listener) {
        listener();
    }
}

void ReceivedTrack::on_keyframe_request(std::function<void()> listener) {
    std::lock_guard lock(fan_out_->mutex);
    fan_out_->keyframe_listener = std::move(listener);
}

ReceivedTrack::Subscription& ReceivedTrack::Subscription::operator=(Subscription&& other) noexcept {
    if (this != &other) {
        reset();
        fan_out_ = std::move(other.fan_out_);
        sink_ = std::exchange(other.sink_, nullptr);
    }
    return *this;
}

void ReceivedTrack::Subscription::request_keyframe() const {
    if (auto fan_out = fan_out_.lock()) {
        fan_out->request_keyframe();
    }
}

void ReceivedTrack::Subscription::reset() {
    if (auto fan_out = fan_out_.lock()) {
        fan_out->remove(sink_);
    }
    fan_out_.reset();
    sink_ = nullptr;
}

void ReceivedTrack::set_paused(bool paused) {
    if (fan_out_->paused.exchange(paused) && !paused && kind() == MediaKind::kVideo) {
        fan_out_->request_keyframe(); // decoders downstream resume only on a keyframe
    }
}

GstPadProbeReturn ReceivedTrack::FanOut::on_data(GstPadProbeInfo* info) {
    GstClockTime base_time = gst_element_get_base_time(pipeline.get());
    if ((info->type & GST_PAD_PROBE_TYPE_BUFFER) != 0) {
        deliver(GST_PAD_PROBE_INFO_BUFFER(info), base_time);
    } else if ((info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) != 0) {
        GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
        for (guint i = 0; i < gst_buffer_list_length(list); ++i) {
            deliver(gst_buffer_list_get(list, i), base_time);
        }
    }
    // Nothing is linked downstream: the subscribers were the only consumers.
    return GST_PAD_PROBE_DROP;
}

void ReceivedTrack::FanOut::deliver(GstBuffer* buffer, GstClockTime base_time) {
    packets.fetch_add(1, std::memory_order_relaxed);
    bytes.fetch_add(gst_buffer_get_size(buffer), std::memory_order_relaxed);
    if (paused.load(std::memory_order_relaxed)) {
        return;
    }
    std::shared_ptr<const std::vector<std::shared_ptr<RtpSink>>> snapshot;
    {
        std::lock_guard lock(mutex);
        snapshot = sinks;
    }
    if (snapshot->empty()) {
        return;
    }
    // Move PTS onto the absolute clock. gst_buffer_make_writable copies only the metadata
    // when the buffer is shared; the payload memory is never copied.
    GRef<GstBuffer> out = GRef<GstBuffer>::ref(buffer);
    if (GST_BUFFER_PTS_IS_VALID(buffer)) {
        out = GRef<GstBuffer>::adopt(gst_buffer_make_writable(out.release()));
        GST_BUFFER_PTS(out.get()) += base_time;
        GST_BUFFER_DTS(out.get()) = GST_CLOCK_TIME_NONE;
    }
    for (const auto& sink : *snapshot) {
        sink->push_rtp(out.get());
    }
}

} // namespace conf
