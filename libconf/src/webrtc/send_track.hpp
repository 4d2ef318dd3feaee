// SendTrack: the sending half of forwarding. An appsrc in a receiving peer's pipeline, fed
// with another endpoint's RTP (it subscribes to a ReceivedTrack), linked to webrtcbin for
// one m-line. On the way it rewrites the packet for this peer (rtp_rewrite: its payload
// type, no header extensions) and moves PTS from the absolute clock to this pipeline's
// running time. The queue is bounded and drops the oldest packets, so a slow
// peer never holds up the sender or anyone else. Keyframe requests from this peer (PLI/FIR
// arriving as upstream force-key-unit events) go back to the source, rate-limited there.
#pragma once

#include "codec/codec.hpp"
#include "conf/status.hpp"
#include "core/g_ref.hpp"
#include "core/probe_connection.hpp"
#include "webrtc/offer_filter.hpp"
#include "webrtc/received_track.hpp"

#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace conf {

class SendTrack : public RtpSink {
  public:
    // Media thread. Builds `appsrc ! webrtcbin.sink_<mline>` inside `pipeline` and syncs it
    // to the pipeline's state.
    static Result<std::shared_ptr<SendTrack>> create(GstBin* pipeline, GstElement* webrtcbin,
                                                     unsigned mline, const OfferedFormat& format,
                                                     std::string id);
    // Media thread. The same for a peer this side makes offers to: a new sendonly m-line
    // (the next free one) announcing `ssrc`, the forwarded source's.
    static Result<std::shared_ptr<SendTrack>> create_offered(GstBin* pipeline,
                                                             GstElement* webrtcbin,
                                                             const OfferedFormat& format,
                                                             std::string id, std::uint32_t ssrc);
    ~SendTrack() override;

    // Media thread: starts forwarding from `source`, asking it for a keyframe.
    void attach(ReceivedTrack& source, std::shared_ptr<SendTrack> self);
    // Media thread: stops forwarding and releases webrtcbin's request pad. Call once the
    // pipeline is in NULL (or before it is destroyed).
    void detach();
    // Media thread: stops forwarding for good; the m-line goes inactive in the next offer
    // (webrtcbin cannot take an m-line away, nor reuse it).
    void deactivate();

    void push_rtp(GstBuffer* rtp) override; // any streaming thread

    const std::string& id() const noexcept { return id_; }
    unsigned mline() const noexcept { return mline_; }
    GstWebRTCRTPTransceiver* transceiver() const noexcept { return transceiver_.get(); }
    const Codec& codec() const noexcept { return *codec_; }
    std::uint64_t packets() const noexcept { return packets_.load(std::memory_order_relaxed); }
    // Packets dropped because this peer's queue was full (it could not keep up).
    std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

  private:
    SendTrack(std::string id, unsigned mline, const Codec& codec, guint8 payload_type)
        : id_(std::move(id)), mline_(mline), codec_(&codec), payload_type_(payload_type) {}
    static Result<std::shared_ptr<SendTrack>> build(GstBin* pipeline, GstElement* webrtcbin,
                                                    const std::string& pad_name,
                                                    const OfferedFormat& format, std::string id,
                                                    std::uint32_t ssrc);
    void request_keyframe();

    std::string id_;
    unsigned mline_;
    const Codec* codec_;
    guint8 payload_type_;
    GRef<GstElement> pipeline_;
    GRef<GstElement> webrtcbin_;
    GRef<GstElement> appsrc_;
    GRef<GstPad> webrtc_pad_;
    GRef<GstWebRTCRTPTransceiver> transceiver_;
    ProbeConnection keyframe_probe_;
    std::mutex subscription_mutex_; // the probe's streaming thread vs attach/detach
    ReceivedTrack::Subscription subscription_;
    std::atomic<std::uint64_t> packets_{0};
    std::atomic<std::uint64_t> dropped_{0};
};

} // namespace conf
