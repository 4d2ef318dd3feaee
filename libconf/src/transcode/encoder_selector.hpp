// EncoderSelector: which encoder a transcoder uses for a codec. It tries the CodecRegistry's
// encoders for that codec in rank order (hardware ones from plugins/transcode rank above the
// software ones): an encoder is taken when GStreamer has its factory and a fresh element of
// it reaches READY (where VA-API, NVENC and V4L2 encoders open their device). The answer is
// kept per codec, so the probing and its one log line happen once per process.
#pragma once

#include "codec/codec_registry.hpp"
#include "conf/status.hpp"
#include "core/g_ref.hpp"
#include "core/log.hpp"

#include <gst/gst.h>

#include <map>
#include <mutex>
#include <string>

namespace conf {

class EncoderSelector {
  public:
    // The process's selector, over CodecRegistry::global().
    static EncoderSelector& global();

    explicit EncoderSelector(const CodecRegistry& registry);

    // The encoder for `encoding_name`, probed on first use. kUnavailable when none works.
    Result<EncoderChoice> choose(std::string_view encoding_name);

    // A new element of `choice`, configured as configure() does.
    static Result<GRef<GstElement>> make(const EncoderChoice& choice, int bitrate_kbps,
                                         int keyframe_frames, const std::string& name);
    // Sets `choice`'s real-time properties on `encoder`, then the bitrate and keyframe
    // interval. kInvalidArgument names a property the element does not have.
    static Status configure(GstElement* encoder, const EncoderChoice& choice, int bitrate_kbps,
                            int keyframe_frames);

  private:
    Result<EncoderChoice> probe(std::string_view encoding_name);

    const CodecRegistry& registry_;
    Logger logger_;
    std::mutex mutex_;
    std::map<std::string, EncoderChoice, std::less<>> chosen_; // under mutex_
};

} // namespace conf
