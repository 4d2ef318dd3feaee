// Running time of buffers on a pad, and a probe that puts a stream into it.
//
// add_running_time_probe puts every buffer's timestamps in running time and the stream in a
// plain segment starting at 0. Downstream of an encoder this undoes the encoder's own segment
// (x264enc starts at 1000 hours so that DTS never goes negative), for consumers that read
// PTS as running time: a ReceivedTrack's subscribers, a recorder's start-time probes.
#pragma once

#include "core/probe_connection.hpp"

#include <gst/gst.h>

namespace conf {

// A buffer's PTS as running time, from the segment that reached `pad` before it; NONE
// without a segment or a PTS.
GstClockTime running_time(GstPad* pad, GstBuffer* buffer);

[[nodiscard]] ProbeConnection add_running_time_probe(GstPad* pad);

} // namespace conf
