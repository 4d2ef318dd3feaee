// AppsrcFeed: a subscriber that pushes a track's RTP into an appsrc of another pipeline (the
// audio mixer's, a live stream's), each packet's PTS moved from the absolute clock to that
// pipeline's running time, so tracks keep the timing their sources gave them. Never blocks:
// the appsrc is made leaky by its owner and drops its oldest packets when full.
#pragma once

#include "core/g_ref.hpp"
#include "core/probe_connection.hpp"
#include "webrtc/received_track.hpp"

#include <gst/gst.h>

#include <memory>

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

// How a live track is decoded here (mixing, live streams, transcoding): after a lost packet
// the depayloader skips to the next keyframe and asks for one rather than pass on garbage;
// a corrupt frame is dropped, never an error that ends the pipeline; libav decodes with
// slice threads only (frame threads hold frames back and report it as latency).
void configure_live_decoding(GstElement* depayloader, GstElement* decoder);

// The depayloader's and decoder's keyframe requests travel upstream and end at `appsrc`:
// pass them on to the track's sender through `link`.
[[nodiscard]] ProbeConnection
forward_keyframe_requests(GstElement* appsrc,
                          std::shared_ptr<ReceivedTrack::SharedSubscription> link);

} // namespace conf
