// What a Recorder accepts and the elements it builds for it. Every element is picked from
// this table by codec; nothing is autoplugged, so a track can only ever meet these
// depayloaders, parsers and muxers.
//
//   VP8   rtpvp8depay                 WebM / Matroska            (mp4mux has no VP8)
//   VP9   rtpvp9depay  ! vp9parse     WebM / Matroska / fMP4     (mp4mux needs the profile
//                                                                 and chroma format vp9parse
//                                                                 puts in the caps)
//   H264  rtph264depay ! h264parse    Matroska / fMP4            (WebM has no H.264)
//   OPUS  rtpopusdepay                WebM / Matroska / fMP4
#pragma once

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

struct RecordingCodec {
    std::string_view encoding_name; // RTP encoding-name, upper case ("VP8")
    std::string_view name;          // as the manifest names it ("vp8")
    RecordingManifest::Kind kind;
    int clock_rate;
    std::string_view depayloader;
    std::string_view parser; // "" when the depayloader's output goes straight to the muxer
    bool in_webm;
    bool in_mp4;
};

struct MuxerChoice {
    std::string_view factory;   // "webmmux"
    std::string_view extension; // file name extension, "webm"
    RecordingManifest::Container container;
};

// The allowlisted codec for RTP caps: application/x-rtp with an allowlisted encoding-name, a
// `media` matching it and its standard clock-rate. kInvalidArgument says what is wrong.
Result<const RecordingCodec*> recording_codec_for(const GstCaps* caps);

// The caps the recorder's appsrc announces for a track: the track's own, plus defaults an SDP
// may leave out but a muxer needs. Opus without sprop-maxcapturerate means 48000 (RFC 7587);
// left out, rtpopusdepay's caps carry no rate and webmmux/matroskamux refuse them.
GRef<GstCaps> recording_caps(const RecordingCodec& codec, const GstCaps* caps);

// The muxer for `container` holding all of `codecs`; kInvalidArgument names a codec the
// container cannot hold (VP8 in MP4).
Result<MuxerChoice> choose_muxer(RecordingContainer container,
                                 std::span<const RecordingCodec* const> codecs);

} // namespace conf
