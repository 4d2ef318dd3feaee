// The sink side of a LiveStream: one bin per output, fed from the stream's two tees (H.264
// and AAC, encoded once) through its ghost pads "video" and "audio".
//
//   HLS:   video ─ queue ─┐
//          audio ─ queue ─┴ hlssink2 (MPEG-TS segments + live playlist in a directory)
//   RTMP:  video ─ queue ─ h264parse (avc) ─┐
//          audio ─ queue ───────────────────┴ flvmux streamable ─ rtmp2sink
//
// Each bin is a failure domain of its own:
//   - its queues leak (drop the oldest data) instead of ever blocking the tee, so a slow
//     server or disk costs that output frames, never the others;
//   - its ghost pads answer every push with OK: a flow error inside (a refused connection)
//     stops at the bin's door instead of travelling back through the tee into the encoder.
// The error itself reaches the pipeline's bus, where LiveStream picks it up by bin name.
#pragma once

#include "conf/status.hpp"
#include "core/g_ref.hpp"
#include "streaming/rtmp_url.hpp"
#include "streaming/stream_options.hpp"

#include <gst/gst.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace conf {

// A bin with the request pads of its muxing element, released (after NULL) by whoever ends
// the bin: the mux lives inside the bin, the pads are its own.
struct OutputBin {
    GRef<GstElement> bin;
    GRef<GstElement> mux;
    std::vector<GRef<GstPad>> mux_pads;
    GRef<GstPad> audio_out; // the audio queue's src pad, where audio can wait for video
};

// `name` names the bin (and so every log line and error path of its elements).
// `queue_time` bounds each queue; beyond it the oldest data is dropped.
Result<OutputBin> make_hls_bin(const std::string& name, const HlsOptions& options,
                               std::chrono::milliseconds queue_time);
Result<OutputBin> make_rtmp_bin(const std::string& name, const RtmpUrl& url,
                                std::chrono::milliseconds queue_time);

} // namespace conf
