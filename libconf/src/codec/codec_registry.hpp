// CodecRegistry: the built-in codecs and the codecs plugins add, one table that every lookup
// goes through (SDP offers and answers, recorders, mixing, transcoding), and the encoders a
// transcoder may pick per codec. Process-wide, as GStreamer's own element registry is:
// plugins add to it once at startup (plugin/plugin_loader.hpp); entries are never removed, so
// a `const Codec*` stays valid for the life of the process.
#pragma once

#include "codec/codec.hpp"
#include "conf/status.hpp"

#include <deque>
#include <shared_mutex>
#include <string_view>
#include <vector>

namespace conf {

// One way of encoding a codec, from a plugin (conf_encoder_v1) or built in (the software
// encoders GStreamer ships). Strings are static, as in Codec.
struct EncoderChoice {
    std::string_view codec;   // encoding name it produces: "H264"
    std::string_view factory; // GStreamer element factory: "x264enc"
    int rank;                 // higher is tried first
    bool hardware;
    std::string_view properties;        // "name=value name=value" for real-time use
    std::string_view bitrate_property;  // "" when the encoder has none
    unsigned bitrate_unit;              // bits per second per unit of bitrate_property
    std::string_view keyframe_property; // keyframe interval in frames; "" when none
    std::string_view plugin;            // "" for built-in encoders
};

// Payload types handed to plugin codecs: the range browsers use for their extra codecs,
// clear of the built-ins' fixed numbers (96-127 also hold their RTX pairs).
inline constexpr int kFirstPluginPayloadType = 35;
inline constexpr int kLastPluginPayloadType = 63;

class CodecRegistry {
  public:
    // The process's registry, holding the built-in codecs and software encoders.
    static CodecRegistry& global();

    CodecRegistry();
    CodecRegistry(const CodecRegistry&) = delete;
    CodecRegistry& operator=(const CodecRegistry&) = delete;

    // Checks `codec` (names, kind, clock rate, elements) without adding it.
    Status check(const Codec& codec) const;
    // Adds a plugin codec and gives it a payload type. kAlreadyExists when its encoding name
    // is taken (built-ins included); kResourceExhausted when no payload type is left.
    Result<const Codec*> add(const Codec& codec);
    Status check(const EncoderChoice& encoder) const;
    Status add_encoder(const EncoderChoice& encoder);

    const Codec* find(std::string_view encoding_name) const noexcept;
    // Codecs of `kind` spoken over RTP, highest rank first (ties: built-ins, then in the
    // order added).
    std::vector<const Codec*> codecs(MediaKind kind) const;
    // Every codec, video first, each kind by rank.
    std::vector<const Codec*> all() const;
    // Encoders producing `encoding_name`, highest rank first; a codec's own `encoder` comes
    // last (rank 0, no settings) when no registered encoder uses that factory.
    std::vector<EncoderChoice> encoders_for(std::string_view encoding_name) const;
    std::vector<EncoderChoice> encoders() const;

    // Names of the codecs a receive m-line accepts, for error messages: "VP8, H264, VP9".
    std::string describe(MediaKind kind) const;

  private:
    mutable std::shared_mutex mutex_;
    std::deque<Codec> codecs_; // a deque: adding never moves an entry
    std::vector<EncoderChoice> encoders_;
    int next_payload_type_ = kFirstPluginPayloadType;
};

} // namespace conf
