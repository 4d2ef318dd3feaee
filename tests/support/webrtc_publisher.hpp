// WebRtcPublisher: a plain webrtcbin peer for tests, the way an independent client (a
// GStreamer app, OBS) would publish or view: it makes the offer, trickles its candidates,
// sends test-pattern media from the gst-launch description it is given, and decodes what
// it receives (VP8/VP9/H.264/Opus), counting decoded video frames. Media thread only.
#pragma once

#include "conf/signalling.hpp"
#include "core/engine_impl.hpp"
#include "core/g_ref.hpp"
#include "core/signal_connection.hpp"

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace conf::test {

// A publisher of `pattern` (videotestsrc properties, e.g. "pattern=solid-color
// foreground-color=0xffff0000") at 320x240 VP8 and a sine tone of `frequency` Hz in Opus, into
// a webrtcbin named `peer` (payload types 96 and 111), as kTestPublisher.
std::string test_publisher(const std::string& pattern, int frequency);

// What the tests publish: a moving 320x240 VP8 pattern and a 440 Hz Opus tone, into a
// webrtcbin named `peer` (payload types 96 and 111).
inline constexpr const char* kTestPublisher =
    "webrtcbin name=peer "
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 ! "
    "vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay pt=96 ! "
    "application/x-rtp,media=video,encoding-name=VP8,payload=96 ! peer. "
    "audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample ! opusenc ! "
    "rtpopuspay pt=111 ! application/x-rtp,media=audio,encoding-name=OPUS,payload=111 ! peer.";

class WebRtcPublisher : public SignallingPeer {
  public:
    // `description` must contain a `webrtcbin name=peer` fed by its sources.
    WebRtcPublisher(Engine::Impl& engine, const std::string& description);
    ~WebRtcPublisher() override;

    // Adds a receive-only m-line for `caps` (application/x-rtp,...), before start().
    void add_receiver(const std::string& caps);

    // Sets PLAYING; webrtcbin then asks for negotiation and the offer goes to `signaller`
    // (unless the other side makes the offers: see answer_offers()).
    void start(Signaller& signaller);
    // Makes this peer the answering side, as a browser in a room: it never offers, and its
    // media goes out on the offer's m-lines that accept it. Call before start().
    void answer_offers() { answering_ = true; }
    // Answers sent so far (one per offer received).
    int answers() const { return answers_.load(); }
    // How many distinct incoming video streams decoded at least `min_frames` frames.
    int video_streams_decoding(int min_frames) const;

    // Video frames decoded from what this peer received.
    int decoded_video_frames() const { return decoded_video_frames_.load(); }
    // Height of the last decoded video frame (0 before the first).
    int decoded_video_height() const { return decoded_video_height_.load(); }
    int decoded_audio_buffers() const { return decoded_audio_buffers_.load(); }
    // The last seconds (up to 30) of each incoming audio stream, decoded: mono, 48 kHz.
    std::vector<std::vector<float>> received_audio() const;

    void receive_description(const SessionDescription& description) override;
    void receive_candidate(const IceCandidate& candidate) override;

    GstElement* webrtcbin() const { return webrtcbin_.get(); }
    GstElement* pipeline() const { return pipeline_.get(); }
    GstWebRTCPeerConnectionState connection_state() const;
    // The offer it sent (for assertions on what was negotiated).
    const std::string& offer() const { return offer_; }

  private:
    void post(std::function<void(WebRtcPublisher&)> fn);
    void answer(const std::string& offer);

    Engine::Impl& engine_;
    GRef<GstElement> pipeline_;
    GRef<GstElement> webrtcbin_;
    Signaller* signaller_ = nullptr;
    std::vector<SignalConnection> signals_;
    std::string offer_;
    std::atomic<int> decoded_video_frames_{0};
    std::atomic<int> decoded_video_height_{0};
    std::atomic<int> decoded_audio_buffers_{0};
    std::atomic<int> answers_{0};
    bool answering_ = false;
    mutable std::mutex streams_mutex_;
    std::vector<std::unique_ptr<std::atomic<int>>> video_stream_frames_;
    std::vector<std::shared_ptr<std::vector<float>>> audio_streams_; // under streams_mutex_
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

} // namespace conf::test
