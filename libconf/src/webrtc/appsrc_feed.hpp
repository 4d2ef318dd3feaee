// AppsrcFeed: a subscriber that pushes a track's RTP into an appsrc of another pipeline (the
// audio mixer's, a live stream's), each packet's PTS moved from the absolute clock to that
// pipeline's running time, so tracks keep the timing their sources gave them. Never blocks:
// the appsrc is made leaky by its owner and drops its oldest packets when full.
#pragma once

#include "core/g_ref.hpp"
#include "webrtc/received_track.hpp"

#include <gst/gst.h>

namespace conf {

class AppsrcFeed final : public RtpSink {
  public:
    // `base_time`: the receiving pipeline's base time (its clock must be the system clock).
    AppsrcFeed(GRef<GstElement> appsrc, GstClockTime base_time)
        : appsrc_(std::move(appsrc)), base_time_(base_time) {}
    void push_rtp(GstBuffer* rtp) override;

  private:
    GRef<GstElement> appsrc_;
    const GstClockTime base_time_;
};

// Whether `element` has a property of that name (decoder options differ between elements).
bool has_property(GstElement* element, const char* property);

} // namespace conf
