// What a Recorder accepts and how it holds it: the codec comes from the CodecRegistry (so
// plugin codecs record too), with its own depayloader and parser; nothing is autoplugged, so
// a track can only ever meet the elements its codec names. The built-ins:
//
//   VP8   rtpvp8depay                 WebM / Matroska            (mp4mux has no VP8)
//   VP9   rtpvp9depay  ! vp9parse     WebM / Matroska / fMP4     (mp4mux needs the profile
//                                                                 and chroma format vp9parse
//                                                                 puts in the caps)
//   H264  rtph264depay ! h264parse    Matroska / fMP4            (WebM has no H.264)
//   OPUS  rtpopusdepay                WebM / Matroska / fMP4
#pragma once

#include "codec/codec.hpp"
#include "conf/status.hpp"
#include "core/g_ref.hpp"
#include "recording/manifest_store.hpp"

#include <gst/gst.h>

#include <span>
#include <string_view>

namespace conf {

enum class RecordingContainer {
    kMatroska,      // webmmux when every codec is allowed in WebM, else matroskamux
    kMp4Fragmented, // mp4mux fragment-duration=500
};
std::string_view to_string(RecordingContainer container) noexcept;

struct MuxerChoice {
    std::string_view factory;   // "webmmux"
    std::string_view extension; // file name extension, "webm"
    RecordingManifest::Container container;
};

// The registered codec for RTP caps: application/x-rtp with a registered encoding-name, a
// `media` matching it and its clock-rate. kInvalidArgument says what is wrong.
Result<const Codec*> recording_codec_for(const GstCaps* caps);

RecordingManifest::Kind manifest_kind(const Codec& codec) noexcept;

// The caps the recorder's appsrc announces for a track: the track's own, plus defaults an SDP
// may leave out but a muxer needs. Opus without sprop-maxcapturerate means 48000 (RFC 7587);
// left out, rtpopusdepay's caps carry no rate and webmmux/matroskamux refuse them.
GRef<GstCaps> recording_caps(const Codec& codec, const GstCaps* caps);

// Whether a recording in `container` can hold `codec` (Matroska takes what WebM takes).
bool can_hold(RecordingContainer container, const Codec& codec) noexcept;

// The muxer for `container` holding all of `codecs`; kInvalidArgument names a codec the
// container cannot hold (VP8 in MP4).
Result<MuxerChoice> choose_muxer(RecordingContainer container,
                                 std::span<const Codec* const> codecs);

} // namespace conf
