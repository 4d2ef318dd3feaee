// DecodedLevelMeter: audio levels for a track whose packets carry no RFC 6464 level (a WHIP
// publisher negotiated its own header extensions, if any): the track is decoded in a small
// pipeline of its own, appsrc ! rtpopusdepay ! opusdec ! level ! fakesink, and the `level`
// element's RMS becomes the same 0 (loud) to 127 (silent) scale as AudioLevelMeter's.
// Decoding Opus costs ~1% of a core per track, which is why participants, whose offers
// carry the extension, are not decoded. Media thread to create; push_rtp from any thread.
#pragma once

#include "core/pipeline.hpp"
#include "room/active_speaker.hpp"

#include <gst/app/gstappsrc.h>

#include <atomic>
#include <memory>
#include <string>

namespace conf {

class DecodedLevelMeter final : private Pipeline::Listener {
  public:
    // `caps`: the track's application/x-rtp caps (Opus).
    static Result<std::unique_ptr<DecodedLevelMeter>>
    create(Engine::Impl& engine, const std::string& name, GstCaps* caps);
    ~DecodedLevelMeter() override;

    // What to subscribe to the track and sample levels from. It may outlive the meter on a
    // streaming thread (it only holds the appsrc); the pipeline stays with the meter.
    std::shared_ptr<LevelSource> source() const;

  private:
    class Feed;
    DecodedLevelMeter() = default;
    void on_pipeline_error(Pipeline& pipeline, const Status& error) override;

    std::unique_ptr<Pipeline> pipeline_;
    std::shared_ptr<Feed> feed_;
};

} // namespace conf
