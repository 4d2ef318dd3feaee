#include "codec/codec_registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <mutex>

namespace conf {

namespace {

// Software encoders GStreamer ships, set up for real time. Plugins add hardware encoders
// ranked above these (plugins/transcode).
constexpr std::array kBuiltinEncoders = {
    EncoderChoice{"H264", "x264enc", 100, false,
                  "tune=zerolatency speed-preset=veryfast byte-stream=false", "bitrate", 1000,
                  "key-int-max", ""},
    EncoderChoice{"VP8", "vp8enc", 100, false,
                  "deadline=1 cpu-used=8 end-usage=cbr lag-in-frames=0 error-resilient=default "
                  "threads=1",
                  "target-bitrate", 1, "keyframe-max-dist", ""},
    EncoderChoice{"VP9", "vp9enc", 100, false,
                  "deadline=1 cpu-used=8 end-usage=cbr lag-in-frames=0 threads=1", "target-bitrate",
                  1, "keyframe-max-dist", ""},
    EncoderChoice{"OPUS", "opusenc", 100, false, "frame-size=20 inband-fec=true", "bitrate", 1, "",
                  ""},
    EncoderChoice{"AAC", "avenc_aac", 100, false, "", "bitrate", 1, "", ""},
};

bool valid_encoding_name(std::string_view name) {
    if (name.empty() || name.size() > 32) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    });
}

bool by_rank(const Codec* a, const Codec* b) {
    if (a->kind != b->kind) {
        return a->kind == MediaKind::kVideo;
    }
    return a->rank > b->rank;
}

} // namespace

CodecRegistry& CodecRegistry::global() {
    static CodecRegistry registry;
    return registry;
}

CodecRegistry::CodecRegistry() {
    for (const Codec& codec : builtin_codecs()) {
        codecs_.push_back(codec);
    }
    encoders_.assign(kBuiltinEncoders.begin(), kBuiltinEncoders.end());
}

Status CodecRegistry::check(const Codec& codec) const {
    if (!valid_encoding_name(codec.name)) {
        return invalid_argument(fmt::format(
            "encoding name '{}' must be 1-32 upper-case letters, digits, '-', '_' or '.'",
            codec.name));
    }
    if (codec.clock_rate <= 0) {
        return invalid_argument(fmt::format("{}: clock rate must be positive", codec.name));
    }
    if (codec.kind == MediaKind::kVideo ? codec.channels != 0
                                        : codec.channels < 1 || codec.channels > 8) {
        return invalid_argument(
            fmt::format("{}: channels must be 0 for video, 1-8 for audio", codec.name));
    }
    if (codec.payloader.empty() || codec.depayloader.empty()) {
        return invalid_argument(
            fmt::format("{}: a payloader and a depayloader are required", codec.name));
    }
    if (codec.caps.empty()) {
        return invalid_argument(fmt::format("{}: caps are required", codec.name));
    }
    if (codec.recording_name.empty()) {
        return invalid_argument(fmt::format("{}: recording name is required", codec.name));
    }
    if ((codec.containers & ~(kContainerMatroska | kContainerWebm | kContainerMp4)) != 0) {
        return invalid_argument(
            fmt::format("{}: unknown container bits 0x{:x}", codec.name, codec.containers));
    }
    return Status::ok();
}

Result<const Codec*> CodecRegistry::add(const Codec& codec) {
    if (Status checked = check(codec); !checked) {
        return checked;
    }
    std::unique_lock lock(mutex_);
    for (const Codec& existing : codecs_) {
        if (iequals(existing.name, codec.name)) {
            return already_exists(fmt::format("codec {} is already registered by {}", codec.name,
                                              existing.plugin.empty()
                                                  ? std::string("libconf (built in)")
                                                  : fmt::format("plugin '{}'", existing.plugin)));
        }
    }
    if (next_payload_type_ > kLastPluginPayloadType) {
        return resource_exhausted(fmt::format("no payload type left for codec {} ({}-{} taken)",
                                              codec.name, kFirstPluginPayloadType,
                                              kLastPluginPayloadType));
    }
    Codec& added = codecs_.emplace_back(codec);
    added.payload_type = next_payload_type_++;
    return &added;
}

Status CodecRegistry::check(const EncoderChoice& encoder) const {
    if (encoder.factory.empty()) {
        return invalid_argument(fmt::format("encoder for {}: factory is required", encoder.codec));
    }
    if (find(encoder.codec) == nullptr) {
        return invalid_argument(fmt::format("encoder {}: codec '{}' is not registered",
                                            encoder.factory, encoder.codec));
    }
    if (!encoder.bitrate_property.empty() && encoder.bitrate_unit == 0) {
        return invalid_argument(
            fmt::format("encoder {}: bitrate unit must be positive", encoder.factory));
    }
    return Status::ok();
}

Status CodecRegistry::add_encoder(const EncoderChoice& encoder) {
    if (Status checked = check(encoder); !checked) {
        return checked;
    }
    std::unique_lock lock(mutex_);
    for (const EncoderChoice& existing : encoders_) {
        if (existing.factory == encoder.factory && iequals(existing.codec, encoder.codec)) {
            return already_exists(fmt::format("encoder {} for {} is already registered",
                                              encoder.factory, encoder.codec));
        }
    }
    encoders_.push_back(encoder);
    return Status::ok();
}

const Codec* CodecRegistry::find(std::string_view encoding_name) const noexcept {
    std::shared_lock lock(mutex_);
    for (const Codec& codec : codecs_) {
        if (iequals(codec.name, encoding_name)) {
            return &codec;
        }
    }
    return nullptr;
}

std::vector<const Codec*> CodecRegistry::codecs(MediaKind kind) const {
    std::vector<const Codec*> result;
    for (const Codec* codec : all()) {
        if (codec->kind == kind && codec->over_rtp()) {
            result.push_back(codec);
        }
    }
    return result;
}

std::vector<const Codec*> CodecRegistry::all() const {
    std::shared_lock lock(mutex_);
    std::vector<const Codec*> result;
    for (const Codec& codec : codecs_) {
        result.push_back(&codec);
    }
    std::stable_sort(result.begin(), result.end(), by_rank);
    return result;
}

std::vector<EncoderChoice> CodecRegistry::encoders_for(std::string_view encoding_name) const {
    std::vector<EncoderChoice> result;
    for (const EncoderChoice& encoder : encoders()) {
        if (iequals(encoder.codec, encoding_name)) {
            result.push_back(encoder);
        }
    }
    return result;
}

std::vector<EncoderChoice> CodecRegistry::encoders() const {
    std::shared_lock lock(mutex_);
    std::vector<EncoderChoice> result = encoders_;
    // A codec's own `encoder` counts too, last and with no settings, when nothing lists it:
    // a plugin may name its encoder in the codec descriptor alone.
    for (const Codec& codec : codecs_) {
        bool listed = std::any_of(result.begin(), result.end(), [&](const EncoderChoice& e) {
            return e.factory == codec.encoder && iequals(e.codec, codec.name);
        });
        if (!codec.encoder.empty() && !listed) {
            result.push_back({codec.name, codec.encoder, 0, false, "", "", 1, "", codec.plugin});
        }
    }
    std::stable_sort(
        result.begin(), result.end(),
        [](const EncoderChoice& a, const EncoderChoice& b) { return a.rank > b.rank; });
    return result;
}

std::string CodecRegistry::describe(MediaKind kind) const {
    std::string text;
    for (const Codec* codec : codecs(kind)) {
        text += (text.empty() ? "" : ", ") + std::string(codec->name);
        if (codec->name == "H264") {
            text += " constrained-baseline/main";
        }
    }
    return text;
}

} // namespace conf
