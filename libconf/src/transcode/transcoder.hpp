// Transcoder: one video track decoded once and encoded once into another codec and/or a
// smaller size, its output a ReceivedTrack that any number of subscribers forward as they
// would a publisher's track (keyframe requests included: a subscriber's PLI becomes a
// force-key-unit at the encoder). The room shares one Transcoder per (track, codec, height)
// among every subscriber that needs it (room/room_transcodes.hpp). Media thread only.
//
// No jitterbuffer of its own: the track's packets come in order and timed from the
// publisher's. One here, with drop-on-latency, threw away whole GOPs whenever decoding ran a
// little late on a loaded machine (tests/bench/transcode: 230 of 312 frames after two
// 200 ms stalls); now a late frame is late, and the appsrc's bound drops the oldest only
// when it really falls behind.
//
//   appsrc (RTP) ! depay ! [parse !] decoder ! videoconvert ! videoscale
//     ! capsfilter ! queue (leaky) ! encoder ! [profile capsfilter !] payloader ! fakesink
#pragma once

#include "codec/codec.hpp"
#include "core/engine_impl.hpp"
#include "core/log.hpp"
#include "core/pipeline.hpp"
#include "core/probe_connection.hpp"
#include "transcode/encoder_selector.hpp"
#include "webrtc/received_track.hpp"

#include <memory>
#include <string>

namespace conf {

struct TranscodeOptions {
    const Codec* codec = nullptr; // the target codec; it needs a payloader and an encoder
    int height = 0;               // 0: the source's own size; else scaled to this height
    int bitrate_kbps = 1500;
    int frame_rate = 30; // for the keyframe interval only: frames keep their timing
    std::chrono::milliseconds keyframe_interval{2000};
};

class Transcoder final : private Pipeline::Listener {
  public:
    // Starts at once and asks `source` for a keyframe (decoding starts at one).
    // kInvalidArgument: not video, no decoder for the source, no payloader for the target;
    // kUnavailable: no usable encoder (EncoderSelector).
    static Result<std::unique_ptr<Transcoder>> create(Engine::Impl& engine, std::string id,
                                                      ReceivedTrack& source,
                                                      TranscodeOptions options,
                                                      EncoderSelector& encoders);
    ~Transcoder() override;
    Transcoder(const Transcoder&) = delete;
    Transcoder& operator=(const Transcoder&) = delete;

    ReceivedTrack& output() noexcept { return *output_; }
    const std::string& encoder_factory() const noexcept { return encoder_factory_; }
    const std::string& id() const noexcept { return id_; }
    // Set when the pipeline failed (a decoder or encoder error); the output then stays silent.
    const Status& error() const noexcept { return error_; }

  private:
    Transcoder(Engine::Impl& engine, std::string id, TranscodeOptions options);
    Status build(ReceivedTrack& source, EncoderSelector& encoders);
    void on_pipeline_error(Pipeline& pipeline, const Status& error) override;

    Engine::Impl& engine_;
    std::string id_;
    TranscodeOptions options_;
    Logger logger_;
    std::unique_ptr<Pipeline> pipeline_;
    std::shared_ptr<ReceivedTrack::SharedSubscription> link_;
    ProbeConnection keyframe_probe_;
    ProbeConnection running_time_probe_;
    std::unique_ptr<ReceivedTrack> output_;
    std::string encoder_factory_;
    Status error_;
};

} // namespace conf
