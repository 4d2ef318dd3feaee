// KeyframeCadence and OutputGate: where keyframes are, and where a new output joins a
// running encode, so that it starts decodable and in step.
//
// Video: nothing passes the tee until a keyframe comes by. Audio: held in the output's own
// (leaky) audio queue until then, because audio for the keyframe's moment can reach its tee
// before the keyframe reaches the other (the video path is longer); once the keyframe is in,
// audio from its running time on goes out.
//
//   video tee ── video(): drop until a keyframe ──────────────── output's video queue ─ ...
//   audio tee ────────────── output's audio queue ─ [hold] ─ audio(): drop before it ─ ...
//
// The hold is the owner's blocking probe, removed (on the media thread) when on_open says
// so. Both probes run on streaming threads.
#pragma once

#include "core/g_ref.hpp"
// running_time(): x264enc shifts its PTS by 1000 hours (room for negative DTS) and its
// segment with them, so only running times compare across the two tees.
#include "core/running_time.hpp"

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <memory>

namespace conf {

// Keyframes on the clock: the first frame at or after each multiple of the interval (in
// running time) is made one. Unlike x264's frame count, this holds when frames are dropped
// before the encoder, and a keyframe forced in between for a new output does not shift the
// ones after it, so HLS segments stay the target duration. A probe on the encoder's sink pad
// calls on_frame(); `last` tells OutputGates which keyframe is the cadence's.
class KeyframeCadence {
  public:
    KeyframeCadence(GstClockTime interval, GRef<GstPad> encoder_src,
                    std::shared_ptr<std::atomic<GstClockTime>> last)
        : interval_(interval), encoder_src_(std::move(encoder_src)), last_(std::move(last)) {}

    // Streaming thread, before `frame` enters the encoder.
    void on_frame(GstPad* pad, GstBuffer* frame);

  private:
    const GstClockTime interval_;
    const GRef<GstPad> encoder_src_;
    const std::shared_ptr<std::atomic<GstClockTime>> last_;
    GstClockTime next_ = 0;
};

class OutputGate {
  public:
    // `cadence`, set for HLS: only the keyframe whose running time it holds (the latest of
    // the regular cadence) opens the gate, so that the first segment is as long as every
    // other, not made longer by a keyframe forced for another output. Null: any keyframe.
    // `on_open` runs once, on the video streaming thread, when the keyframe is in.
    OutputGate(std::shared_ptr<const std::atomic<GstClockTime>> cadence,
               std::function<void()> on_open)
        : cadence_(std::move(cadence)), on_open_(std::move(on_open)) {}

    // A data probe on the output's pad of the video tee.
    GstPadProbeReturn video(GstPad* pad, GstPadProbeInfo* info);
    // A data probe on the output's audio queue's src pad, behind the hold.
    GstPadProbeReturn audio(GstPad* pad, GstPadProbeInfo* info);

  private:
    const std::shared_ptr<const std::atomic<GstClockTime>> cadence_;
    const std::function<void()> on_open_;
    std::atomic<bool> video_open_{false};
    std::atomic<bool> audio_open_{false};
    std::atomic<GstClockTime> start_{GST_CLOCK_TIME_NONE};
};

} // namespace conf
