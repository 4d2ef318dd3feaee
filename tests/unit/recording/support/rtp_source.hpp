// RtpSource: a live publisher stand-in for recorder tests. Encoders and payloaders run in a
// pipeline of their own; each track ends in an appsink named after the track whose callback
// does what the Endpoint does for a recorder: PTS → absolute clock time (PTS + this
// pipeline's base time), then a push into every target RecorderInput.
#pragma once

#include "core/engine_impl.hpp"
#include "core/pipeline.hpp"
#include "core/signal_connection.hpp"
#include "recording/recorder_input.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace conf::test {

// VP8 320x240@30 + Opus stereo, as a browser would publish (small, so tests stay cheap).
inline constexpr const char* kVp8OpusSource =
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 "
    "! vp8enc deadline=1 ! rtpvp8pay ! appsink name=video emit-signals=true sync=false async=false "
    "audiotestsrc is-live=true wave=ticks ! audio/x-raw,rate=48000,channels=2 ! opusenc "
    "! rtpopuspay ! appsink name=audio emit-signals=true sync=false async=false";

inline constexpr const char* kH264OpusSource =
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 "
    "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 "
    "! video/x-h264,profile=constrained-baseline ! rtph264pay config-interval=-1 "
    "! appsink name=video emit-signals=true sync=false async=false "
    "audiotestsrc is-live=true wave=ticks ! audio/x-raw,rate=48000,channels=2 ! opusenc "
    "! rtpopuspay ! appsink name=audio emit-signals=true sync=false async=false";

// The caps a recorder is given for those tracks (what an SDP answer would say).
inline constexpr const char* kVp8Caps =
    "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96";
inline constexpr const char* kH264Caps =
    "application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload=102";
inline constexpr const char* kOpusCaps = "application/x-rtp,media=audio,encoding-name=OPUS,"
                                         "clock-rate=48000,payload=111,encoding-params=(string)2";

class RtpSource {
  public:
    // Media thread. `description` must hold one appsink per id in `track_ids`, named so.
    static Result<std::unique_ptr<RtpSource>> create(Engine::Impl& engine,
                                                     const std::string& description,
                                                     const std::vector<std::string>& track_ids);
    ~RtpSource();

    // Any thread.
    void add_target(std::shared_ptr<RecorderInput> input);
    // Media thread.
    Status start();
    // An element of the source pipeline by name, e.g. a valve that holds a track back.
    GRef<GstElement> element(const char* name) const { return pipeline_->element(name); }

  private:
    struct Targets {
        std::mutex mutex;
        std::vector<std::shared_ptr<RecorderInput>> inputs;
    };
    RtpSource() = default;

    std::unique_ptr<Pipeline> pipeline_;
    std::shared_ptr<Targets> targets_ = std::make_shared<Targets>();
    std::vector<SignalConnection> connections_;
};

} // namespace conf::test
