// LiveStream: a room's composite (a video and an audio ReceivedTrack) encoded once as H.264 +
// AAC and published to any number of outputs, added and removed while it runs: HLS (MPEG-TS
// segments and a live playlist in a directory) and RTMP push.
//
//   appsrc ! rtpjitterbuffer ! depay ! decoder ! videoconvert ! videoscale ! videorate
//     ! I420 @ fps [size] ! queue (leaky) ! x264enc ! h264parse ! byte-stream ! tee video-tee
//   appsrc ! rtpjitterbuffer ! rtpopusdepay ! opusdec ! audioconvert ! audioresample
//     ! F32 48 kHz ! avenc_aac ! aacparse ! raw AAC ! tee audio-tee
//   each output: a bin "out-<n>-<id>" on both tees (streaming/output_bins.hpp)
//
// The encoders run whether or not an output is attached, so adding one costs nothing but its
// muxer. Keyframes come on the clock, every keyframe_interval of running time exactly (no
// scene-cut keyframes), which is where HLS segments are cut. A new output starts at a
// keyframe: RTMP at one forced at once (force-key-unit to x264enc), HLS at the next one of the
// cadence, so that its first segment is as long as the others.
//
// An output that fails (connection refused, server gone, disk error) is removed alone and
// reported through the Listener; with RtmpOptions::reconnect_attempts it is first tried
// again, with backoff. Removing an output drains it (EOS through its muxer, so an HLS
// playlist ends with EXT-X-ENDLIST), bounded by a timeout.
//
// Threads: media thread only, like every libconf part. RTP arrives on the tracks' streaming
// threads and is pushed into leaky appsrcs, never blocking them.
#pragma once

#include "conf/status.hpp"
#include "core/engine_impl.hpp"
#include "core/g_ref.hpp"
#include "core/log.hpp"
#include "core/pipeline.hpp"
#include "core/probe_connection.hpp"
#include "core/timer.hpp"
#include "streaming/output_bins.hpp"
#include "streaming/rtmp_url.hpp"
#include "streaming/stream_options.hpp"
#include "webrtc/received_track.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace conf {

enum class OutputKind { kHls, kRtmp };
std::string_view to_string(OutputKind kind) noexcept;

struct OutputInfo {
    std::string id;
    OutputKind kind = OutputKind::kHls;
    std::string target;        // the HLS directory, or the RTMP URL without its stream key
    bool reconnecting = false; // failed; waiting to connect again
    int failures = 0;          // consecutive failures so far
};

class LiveStream final : private Pipeline::Listener {
  public:
    // Called on the media thread. A callback may destroy the LiveStream.
    class Listener {
      public:
        virtual ~Listener() = default;
        // The output failed for good and has been removed; the stream and the other outputs
        // go on. The message names the output and its target, never a stream key.
        virtual void on_output_failed(LiveStream& stream, const std::string& output_id,
                                      const Status& error) = 0;
        // The output failed and will connect again after `delay` (attempt counts from 1).
        virtual void on_output_reconnecting(LiveStream& /*stream*/,
                                            const std::string& /*output_id*/,
                                            const Status& /*error*/, int /*attempt*/,
                                            std::chrono::milliseconds /*delay*/) {}
        // The encoding pipeline failed: every output has stopped.
        virtual void on_stream_failed(LiveStream& stream, const Status& error) = 0;
    };

    // Media thread. Builds and starts the encoders. `video` is VP8, VP9 or H.264 RTP, `audio`
    // Opus RTP, both with PTS on the absolute clock (what a ReceivedTrack delivers). Either
    // may go away first: the stream then stalls on it until destroyed.
    static Result<std::unique_ptr<LiveStream>> create(Engine::Impl& engine,
                                                      LiveStreamOptions options,
                                                      ReceivedTrack& video, ReceivedTrack& audio,
                                                      Listener* listener = nullptr);
    ~LiveStream() override;
    LiveStream(const LiveStream&) = delete;
    LiveStream& operator=(const LiveStream&) = delete;

    // Media thread. `id`: letters, digits, '-', '_', '.'; unique among this stream's outputs
    // (kAlreadyExists). Options are checked first (kInvalidArgument).
    Status add_hls(const std::string& id, HlsOptions options);
    Status add_rtmp(const std::string& id, RtmpOptions options);
    // Media thread. Drains the output in the background (kNotFound if there is none).
    Status remove_output(const std::string& id);
    std::vector<OutputInfo> outputs() const;

    // Media thread. Drains every output, then stops the encoders; `done` runs once, on the
    // media thread. Adding outputs fails from now on.
    void stop(std::function<void()> done);

    const std::string& name() const noexcept { return options_.name; }
    // The pipeline, for tests and dot graphs.
    GstBin* bin() const noexcept { return pipeline_->bin(); }

  private:
    struct Branch;
    struct Output;
    struct Draining;

    LiveStream(Engine::Impl& engine, LiveStreamOptions options, Listener* listener);
    Status build(ReceivedTrack& video, ReceivedTrack& audio);
    void install_bus_routing();
    Status check_new_output(const std::string& id) const;
    Status add_output(std::unique_ptr<Output> output);
    Status attach(Output& output);
    void release_audio_hold(const std::string& bin_name);
    void detach(Branch& branch);
    void drain(Branch branch, std::optional<RtmpUrl> url);
    void on_branch_error(const std::string& bin_name, const Status& error);
    void on_branch_warning(const std::string& bin_name, const Status& warning);
    void fail(Output& output, const Status& error);
    void reconnect(const std::string& id);
    void on_branch_drained(const std::string& bin_name);
    void finish_drain(std::size_t index);
    void maybe_finish_stop();
    void on_pipeline_error(Pipeline& pipeline, const Status& error) override;
    void on_pipeline_eos(Pipeline& pipeline) override;

    Engine::Impl& engine_;
    const LiveStreamOptions options_;
    Listener* listener_;
    Logger logger_;
    std::unique_ptr<Pipeline> pipeline_;
    GRef<GstElement> encoder_;
    GRef<GstElement> video_tee_;
    GRef<GstElement> audio_tee_;
    // The subscriptions to the inputs, shared with the keyframe probe's streaming thread.
    std::shared_ptr<ReceivedTrack::SharedSubscription> video_link_;
    std::shared_ptr<ReceivedTrack::SharedSubscription> audio_link_;
    ProbeConnection keyframe_probe_;
    ProbeConnection cadence_probe_;
    // The running time of the latest keyframe the cadence asked for (streaming threads).
    std::shared_ptr<std::atomic<GstClockTime>> last_cadence_keyframe_ =
        std::make_shared<std::atomic<GstClockTime>>(GST_CLOCK_TIME_NONE);
    std::map<std::string, std::unique_ptr<Output>> outputs_;
    std::vector<std::unique_ptr<Draining>> draining_;
    std::uint64_t branches_made_ = 0; // numbers bins, so a name never comes back
    bool failed_ = false;
    bool stopping_ = false;
    bool stopped_ = false;
    std::vector<std::function<void()>> stop_callbacks_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0); // for tasks posted from the bus
};

} // namespace conf
