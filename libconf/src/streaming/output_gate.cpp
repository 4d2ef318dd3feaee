#include "streaming/output_gate.hpp"

#include <gst/video/video.h>

namespace conf {

namespace {

GstBuffer* first_buffer(GstPadProbeInfo* info) {
    if ((info->type & GST_PAD_PROBE_TYPE_BUFFER) != 0) {
        return GST_PAD_PROBE_INFO_BUFFER(info);
    }
    GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
    return list != nullptr && gst_buffer_list_length(list) > 0 ? gst_buffer_list_get(list, 0)
                                                               : nullptr;
}

} // namespace

void KeyframeCadence::on_frame(GstPad* pad, GstBuffer* frame) {
    GstClockTime time = running_time(pad, frame);
    if (!GST_CLOCK_TIME_IS_VALID(time) || time < next_) {
        return;
    }
    next_ = (time / interval_ + 1) * interval_;
    last_->store(time);
    // The encoder takes the request before this frame, which it applies to. "As soon as
    // possible", not `time`: GstVideoEncoder (1.22) compares a requested time with x264enc's
    // timestamps, shifted by 1000 hours, and refuses it as past.
    gst_pad_send_event(encoder_src_.get(),
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
}

GstPadProbeReturn OutputGate::video(GstPad* pad, GstPadProbeInfo* info) {
    if (video_open_.load()) {
        return GST_PAD_PROBE_OK;
    }
    GstBuffer* first = first_buffer(info);
    if (first == nullptr || GST_BUFFER_FLAG_IS_SET(first, GST_BUFFER_FLAG_DELTA_UNIT)) {
        return GST_PAD_PROBE_DROP;
    }
    GstClockTime time = running_time(pad, first);
    if (cadence_ && (!GST_CLOCK_TIME_IS_VALID(time) || time != cadence_->load())) {
        return GST_PAD_PROBE_DROP;
    }
    start_.store(time);
    video_open_.store(true);
    if (on_open_) {
        on_open_();
    }
    return GST_PAD_PROBE_OK;
}

GstPadProbeReturn OutputGate::audio(GstPad* pad, GstPadProbeInfo* info) {
    if (audio_open_.load()) {
        return GST_PAD_PROBE_OK;
    }
    if (!video_open_.load()) {
        return GST_PAD_PROBE_DROP; // the hold went without a keyframe: the output is draining
    }
    GstClockTime from = start_.load();
    GstBuffer* first = first_buffer(info);
    if (first != nullptr && GST_CLOCK_TIME_IS_VALID(from)) {
        GstClockTime time = running_time(pad, first);
        if (GST_CLOCK_TIME_IS_VALID(time) && time < from) {
            return GST_PAD_PROBE_DROP;
        }
    }
    audio_open_.store(true);
    return GST_PAD_PROBE_OK;
}

} // namespace conf
