// The media sides of sfu-load's participants.
//
// PublisherPipeline: ONE live test source and ONE VP8 encoder, teed into P payloader →
// webrtcbin branches, so every publisher sends the same encoded frames and the encoding cost
// is paid once, by sfu-load, identically for every server under test. A keyframe request
// that reaches any publisher reaches the one encoder (and so every publisher's stream).
//
// SubscriberPipeline: its own pipeline with a webrtcbin that receives one VP8 track and
// decodes it (rtpvp8depay → vp8dec → fakesink), counting decoded frames.
#pragma once

#include "peer.hpp"

#include "core/probe_connection.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace sfuload {

struct EncoderSettings {
    int width = 640;
    int height = 360;
    int framerate = 30;
    int bitrate = 800000; // bits per second
    int keyframe_distance = 60;
};

class PublisherPipeline {
  public:
    // Throws std::runtime_error when the pipeline cannot be built.
    PublisherPipeline(int publishers, const EncoderSettings& settings,
                      const std::string& ice_address);
    ~PublisherPipeline();
    PublisherPipeline(const PublisherPipeline&) = delete;
    PublisherPipeline& operator=(const PublisherPipeline&) = delete;

    void start();
    Peer& peer(int index) { return *peers_.at(static_cast<std::size_t>(index)); }
    std::uint64_t encoded_frames() const { return counters_->frames.load(); }
    std::uint64_t encoded_keyframes() const { return counters_->keyframes.load(); }
    // Pipeline errors so far (the bus is watched on the main thread).
    const std::vector<std::string>& errors() const { return errors_; }

  private:
    struct Counters {
        std::atomic<std::uint64_t> frames{0};
        std::atomic<std::uint64_t> keyframes{0};
    };

    conf::GRef<GstElement> pipeline_;
    std::vector<std::unique_ptr<Peer>> peers_;
    std::shared_ptr<Counters> counters_ = std::make_shared<Counters>();
    conf::ProbeConnection encoder_probe_;
    guint bus_watch_ = 0;
    std::vector<std::string> errors_;
};

class SubscriberPipeline {
  public:
    // `offer_vp8`: add a recvonly VP8 transceiver, for a server that expects the subscriber's
    // offer (WHEP); otherwise the server's offer creates the transceiver (Janus).
    SubscriberPipeline(std::string name, bool offer_vp8, const std::string& ice_address);
    ~SubscriberPipeline();
    SubscriberPipeline(const SubscriberPipeline&) = delete;
    SubscriberPipeline& operator=(const SubscriberPipeline&) = delete;

    void start();
    Peer& peer() { return *peer_; }
    std::uint64_t frames() const { return state_->frames.load(); }
    // g_get_monotonic_time() of the first decoded frame, 0 before it.
    gint64 first_frame_us() const { return state_->first_frame_us.load(); }
    // Runs on the main thread after the first decoded frame.
    void on_first_frame(std::function<void()> fn);
    const std::vector<std::string>& errors() const { return errors_; }

  private:
    struct State {
        std::atomic<std::uint64_t> frames{0};
        std::atomic<gint64> first_frame_us{0};
        std::mutex mutex; // guards the decoder branch
        conf::ProbeConnection frame_probe;
        bool linked = false;
    };
    void link_decoder(GstPad* pad);

    std::string name_;
    conf::GRef<GstElement> pipeline_;
    conf::GRef<GstElement> webrtcbin_;
    std::unique_ptr<Peer> peer_;
    std::shared_ptr<State> state_ = std::make_shared<State>();
    conf::SignalConnection pad_added_;
    std::function<void()> first_frame_listener_;
    guint bus_watch_ = 0;
    std::vector<std::string> errors_;
    AliveToken alive_ = std::make_shared<int>(0);
};

} // namespace sfuload
