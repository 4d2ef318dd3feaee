// RoomTranscodes: a room's transcodes, shared. A subscriber that cannot receive a track's
// codec gets the track transcoded into the first codec it accepts that has an encoder; every
// later subscriber needing the same (track, codec, height) shares that one Transcoder, which
// stops when the last of them lets go. Media thread only.
#pragma once

#include "transcode/transcoder.hpp"

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

namespace conf {

struct RoomTranscodesOptions {
    bool enabled = true;
    // Most transcoders at once in this room (each is a decoder and an encoder). 0: none.
    std::uint32_t max_transcoders = 4;
    int bitrate_kbps = 1500;
};

struct TranscodeInfo {
    std::string source_track; // the ReceivedTrack id
    std::string source_codec;
    std::string codec; // what it is encoded into
    int height = 0;    // 0: the source's size
    std::string encoder;
    long subscribers = 0; // who holds it now
};

class RoomTranscodes {
  public:
    RoomTranscodes(Engine::Impl& engine, std::string room, RoomTranscodesOptions options);
    ~RoomTranscodes();
    RoomTranscodes(const RoomTranscodes&) = delete;
    RoomTranscodes& operator=(const RoomTranscodes&) = delete;

    // `source` in the first of `accepted` that can be encoded (scaled to `height`, 0: its
    // own size; with a height, the source's own codec may be the target), shared with
    // whoever already asked for the same; the pointer keeps it running. kFailedPrecondition when
    // transcoding is off, kResourceExhausted at max_transcoders, kUnavailable when no accepted
    // codec has a usable encoder.
    Result<std::shared_ptr<ReceivedTrack>>
    acquire(ReceivedTrack& source, const std::vector<const Codec*>& accepted, int height = 0);

    // What a subscriber that decodes `accepted` (empty: everything) and asked for `height`
    // (0: as published) should get for `source`: nullptr when `source` itself will do (audio,
    // an accepted codec at its own size), else acquire()'s transcode, the source's own codec
    // first when it is accepted.
    Result<std::shared_ptr<ReceivedTrack>>
    for_subscriber(ReceivedTrack& source, std::vector<const Codec*> accepted, int height = 0);

    std::vector<TranscodeInfo> list() const;

  private:
    using Key = std::tuple<std::string, std::string, int>; // track id, codec, height
    struct Entry {
        std::weak_ptr<Transcoder> transcoder;
        std::string source_codec;
    };
    void prune();

    Engine::Impl& engine_;
    std::string room_;
    RoomTranscodesOptions options_;
    Logger logger_;
    std::map<Key, Entry> entries_;
    unsigned next_id_ = 1;
};

} // namespace conf
