#include "room/room_transcodes.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace conf {

RoomTranscodes::RoomTranscodes(Engine::Impl& engine, std::string room,
                               RoomTranscodesOptions options)
    : engine_(engine), room_(std::move(room)), options_(options),
      logger_(Logger("room").with("room", room_)) {}

RoomTranscodes::~RoomTranscodes() = default;

void RoomTranscodes::prune() {
    std::erase_if(entries_, [](const auto& entry) { return entry.second.transcoder.expired(); });
}

Result<std::shared_ptr<ReceivedTrack>>
RoomTranscodes::acquire(ReceivedTrack& source, const std::vector<const Codec*>& accepted,
                        int height) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    prune();
    if (!options_.enabled) {
        return failed_precondition("transcoding is off in this room");
    }
    std::vector<std::string> reasons;
    for (const Codec* codec : accepted) {
        // The source's own codec only for a smaller rendition.
        if (codec->kind != source.kind() || (codec == &source.codec() && height == 0)) {
            continue;
        }
        Key key{source.id(), std::string(codec->name), height};
        if (auto it = entries_.find(key); it != entries_.end()) {
            if (auto shared = it->second.transcoder.lock()) {
                return std::shared_ptr<ReceivedTrack>(shared, &shared->output());
            }
        }
        if (entries_.size() >= options_.max_transcoders) {
            return resource_exhausted(fmt::format(
                "the room already runs {} transcoders (the limit)", options_.max_transcoders));
        }
        TranscodeOptions transcode;
        transcode.codec = codec;
        transcode.height = height;
        transcode.bitrate_kbps = options_.bitrate_kbps;
        auto made =
            Transcoder::create(engine_, fmt::format("{}-{}-{}", room_, next_id_++, codec->name),
                               source, transcode, EncoderSelector::global());
        if (!made) {
            reasons.push_back(fmt::format("{}: {}", codec->name, made.status().message()));
            continue;
        }
        // Destroyed on the thread that drops the last holder: subscribers live and die on
        // the media thread.
        std::shared_ptr<Transcoder> shared(std::move(made).value());
        entries_[key] = {shared, std::string(source.codec().name)};
        logger_.info("transcoding {} {} -> {} for a subscriber that cannot receive {}", source.id(),
                     source.codec().name, codec->name, source.codec().name);
        return std::shared_ptr<ReceivedTrack>(shared, &shared->output());
    }
    return unavailable(fmt::format("cannot transcode {} ({}) into a codec the subscriber takes{}{}",
                                   source.id(), source.codec().name, reasons.empty() ? "" : ": ",
                                   fmt::join(reasons, "; ")));
}

Result<std::shared_ptr<ReceivedTrack>>
RoomTranscodes::for_subscriber(ReceivedTrack& source, std::vector<const Codec*> accepted,
                               int height) {
    auto own = std::find(accepted.begin(), accepted.end(), &source.codec());
    bool takes_source = accepted.empty() || own != accepted.end();
    if (source.kind() != MediaKind::kVideo || (takes_source && height == 0)) {
        return std::shared_ptr<ReceivedTrack>();
    }
    if (accepted.empty()) {
        accepted.push_back(&source.codec());
    } else if (own != accepted.end()) {
        std::rotate(accepted.begin(), own, own + 1); // a rendition keeps the codec if it can
    }
    return acquire(source, accepted, height);
}

std::vector<TranscodeInfo> RoomTranscodes::list() const {
    std::vector<TranscodeInfo> result;
    for (const auto& [key, entry] : entries_) {
        auto transcoder = entry.transcoder.lock();
        if (!transcoder) {
            continue;
        }
        // The count without this function's own reference.
        result.push_back({std::get<0>(key), entry.source_codec, std::get<1>(key), std::get<2>(key),
                          transcoder->encoder_factory(), transcoder.use_count() - 1});
    }
    return result;
}

} // namespace conf
