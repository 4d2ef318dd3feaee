// RoomStreams: a room's live streams of its mix, HLS (files in a directory, served by the
// daemon) and RTMP (pushed to a server). One LiveStream (one H.264 + AAC encode) feeds every
// stream of the room: it starts with the first (which claims the room's mix) and stops after
// the last. What happens to a stream (live, reconnecting, ended, failed) goes to a callback.
// Media thread only.
#pragma once

#include "mixing/audio_mixer.hpp"
#include "streaming/live_stream.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace conf {

class Room;

enum class StreamKind { kHls, kRtmp };
enum class StreamState { kLive, kReconnecting, kEnded, kFailed };
std::string_view to_string(StreamState state) noexcept;

struct StreamRequest {
    StreamKind kind = StreamKind::kHls;
    std::string rtmp_url;            // kRtmp
    std::chrono::seconds segment{2}; // kHls: segment length, a multiple of 2 s keyframes
    unsigned playlist_length = 6;    // kHls: segments listed in the live playlist
};

struct StreamInfo {
    std::string id;
    StreamKind kind = StreamKind::kHls;
    StreamState state = StreamState::kLive;
    std::string rtmp_url;      // without its stream key
    std::string playlist_path; // kHls: /hls/{room}/{id}/index.m3u8 on the daemon's server
    std::string error;         // kFailed, kReconnecting: why
    std::chrono::system_clock::time_point started;
};

struct RoomStreamsOptions {
    // The encode every stream of a room shares (bitrate, keyframe interval, ...).
    LiveStreamOptions live;
    // HLS streams write to {hls_root}/{room}/{id}/; removed when the stream ends.
    std::filesystem::path hls_root;
    // An RTMP stream whose server drops it connects again this many times (with backoff).
    int rtmp_reconnect_attempts = 3;
};

class RoomStreams final : private LiveStream::Listener {
  public:
    using Changed = std::function<void(const StreamInfo&)>;
    RoomStreams(Engine::Impl& engine, Room& room, RoomStreamsOptions options, Changed changed);
    ~RoomStreams() override;
    RoomStreams(const RoomStreams&) = delete;
    RoomStreams& operator=(const RoomStreams&) = delete;

    // Starts stream `id` (unique, a valid name). kInvalidArgument for a bad URL or HLS
    // options; errors of the mix or the encoder otherwise.
    Result<StreamInfo> start(const std::string& id, const StreamRequest& request);
    // Ends it (HLS: the playlist gets its end, then the files go). kNotFound if unknown.
    Result<StreamInfo> stop(const std::string& id);
    std::vector<StreamInfo> list() const;
    bool empty() const noexcept { return streams_.empty(); }

  private:
    Status start_encoder();
    void stop_encoder_if_idle();
    void remove_files_later(const std::string& id);
    void report(StreamInfo& info, StreamState state, std::string error = {});

    void on_output_failed(LiveStream& stream, const std::string& output_id,
                          const Status& error) override;
    void on_output_reconnecting(LiveStream& stream, const std::string& output_id,
                                const Status& error, int attempt,
                                std::chrono::milliseconds delay) override;
    void on_stream_failed(LiveStream& stream, const Status& error) override;

    Engine::Impl& engine_;
    Room& room_;
    RoomStreamsOptions options_;
    Changed changed_;
    Logger logger_;
    std::map<std::string, StreamInfo> streams_;
    // The shared encode and what it holds on the mix; all three go together.
    std::unique_ptr<LiveStream> live_;
    std::shared_ptr<void> mix_hold_;
    // Encoders stopping (draining their outputs) and HLS directories waiting for removal.
    std::list<std::unique_ptr<LiveStream>> stopping_;
    std::list<Timer> removals_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

} // namespace conf
