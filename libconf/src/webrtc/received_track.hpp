// ReceivedTrack: one remote track arriving at an Endpoint, fanned out as RTP to subscribers.
//
// The fan-out runs on the streaming thread that carries the track (a pad probe on
// webrtcbin's output pad): each packet goes to every subscriber as a shared reference, no
// copy, no decoding, and is then dropped, so the pad needs nothing linked downstream.
// Subscribers must not block (they push into their own bounded queues).
#pragma once

#include "codec/codec.hpp"
#include "core/g_ref.hpp"
#include "core/probe_connection.hpp"

#include <gst/gst.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace conf {

class RtpSink {
  public:
    virtual ~RtpSink() = default;
    // Called on a streaming thread. `rtp` is borrowed; take a ref to keep it. Its PTS is on
    // the absolute clock (pipeline base time + running time), comparable across pipelines.
    virtual void push_rtp(GstBuffer* rtp) = 0;
};

class ReceivedTrack {
    struct FanOut;

  public:
    // Keyframe requests closer together than this are merged into one (PLI storms from many
    // subscribers would otherwise each cost the sender a keyframe).
    static constexpr std::chrono::milliseconds kKeyframeInterval{300};

    // Held by a subscriber; unsubscribes on destruction. Safe to outlive the track (it then
    // does nothing) and to use from any thread.
    class Subscription {
      public:
        Subscription() = default;
        ~Subscription() { reset(); }
        Subscription(Subscription&&) noexcept = default;
        Subscription& operator=(Subscription&& other) noexcept;
        Subscription(const Subscription&) = delete;
        Subscription& operator=(const Subscription&) = delete;

        // Asks the track's sender for a keyframe (rate-limited per track).
        void request_keyframe() const;
        void reset();

      private:
        friend class ReceivedTrack;
        Subscription(std::weak_ptr<FanOut> fan_out, const RtpSink* sink)
            : fan_out_(std::move(fan_out)), sink_(sink) {}
        std::weak_ptr<FanOut> fan_out_;
        const RtpSink* sink_ = nullptr;
    };

    // `pad` is webrtcbin's src pad for the track; `caps` its application/x-rtp caps. Safe to
    // construct on a streaming thread (it only adds a probe), so no packet goes unhandled.
    ReceivedTrack(std::string id, const Codec& codec, GRef<GstCaps> caps, GRef<GstPad> pad,
                  GRef<GstElement> pipeline);
    ~ReceivedTrack();
    ReceivedTrack(const ReceivedTrack&) = delete;
    ReceivedTrack& operator=(const ReceivedTrack&) = delete;

    const std::string& id() const noexcept { return id_; }
    const Codec& codec() const noexcept { return codec_; }
    MediaKind kind() const noexcept { return codec_.kind; }
    GstCaps* caps() const noexcept { return caps_.get(); }
    std::uint64_t packets() const noexcept {
        return fan_out_->packets.load(std::memory_order_relaxed);
    }
    // RTP bytes received so far (headers included): what bitrate limits are measured on.
    std::uint64_t bytes() const noexcept { return fan_out_->bytes.load(std::memory_order_relaxed); }

    // A new subscriber usually wants a keyframe too: see Subscription::request_keyframe().
    [[nodiscard]] Subscription subscribe(std::shared_ptr<RtpSink> sink);
    // A Subscription that one thread replaces or resets while another asks for keyframes
    // through it (a decoder's keyframe requests, caught on a streaming thread).
    class SharedSubscription {
      public:
        void set(Subscription subscription) {
            std::lock_guard lock(mutex_);
            subscription_ = std::move(subscription);
        }
        void request_keyframe() {
            std::lock_guard lock(mutex_);
            subscription_.request_keyframe();
        }
        void reset() {
            std::lock_guard lock(mutex_);
            subscription_.reset();
        }

      private:
        std::mutex mutex_;
        Subscription subscription_; // under `mutex_`
    };
    // Asks the sender for a keyframe (PLI/FIR through webrtcbin's RTCP), rate-limited.
    void request_keyframe() { fan_out_->request_keyframe(); }
    // Called (on whatever thread asked) each time a keyframe request goes to the sender.
    void on_keyframe_request(std::function<void()> listener);
    // While paused, packets still arrive (and are counted) but reach no subscriber: an
    // operator's mute. Unpausing a video track asks for a keyframe.
    void set_paused(bool paused);
    bool paused() const noexcept { return fan_out_->paused.load(std::memory_order_relaxed); }

  private:
    // What the probe callback touches. Shared with the probe's closure, so a callback still
    // running while the track is destroyed (pipeline torn down asynchronously) stays valid.
    struct FanOut {
        FanOut(GRef<GstElement> pipeline, GRef<GstPad> pad);
        GstPadProbeReturn on_data(GstPadProbeInfo* info);
        void deliver(GstBuffer* buffer, GstClockTime base_time);
        void remove(const RtpSink* sink);
        void request_keyframe();

        GRef<GstElement> pipeline;
        GRef<GstPad> pad;
        // Copy-on-write list: the streaming thread takes a snapshot under the lock and
        // delivers outside it, so subscribe/unsubscribe never wait on a packet in flight.
        std::mutex mutex;
        std::shared_ptr<const std::vector<std::shared_ptr<RtpSink>>> sinks;
        std::atomic<std::uint64_t> packets{0};
        std::atomic<std::uint64_t> bytes{0};
        std::atomic<std::int64_t> last_keyframe_request_us{0};
        std::atomic<bool> paused{false};
        std::function<void()> keyframe_listener; // under `mutex`
    };

    std::string id_;
    const Codec& codec_;
    GRef<GstCaps> caps_;
    std::shared_ptr<FanOut> fan_out_;
    ProbeConnection probe_;
};

} // namespace conf
