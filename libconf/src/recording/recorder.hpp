// Recorder: one participant's published tracks into one crash-safe file, in a pipeline of its
// own, so a full disk or a muxer error ends this recording and nothing else.
//
//   appsrc ! depayloader [! parser] ─┐         (one branch per track, elements from the
//   appsrc ! depayloader [! parser] ─┴ muxer ! filesink buffer-mode=unbuffered   allowlist)
//
// Input: per track, RTP packets after the publisher's jitterbuffer, pushed from streaming
// threads with PTS on the absolute clock (the GStreamer system clock, shared by every
// pipeline in the process). The recorder's pipeline runs on that same clock with base time 0,
// so its running time *is* absolute time: packets are never early or negative, however late
// they arrive. The muxer starts the file at the earliest first buffer of all tracks (fMP4:
// at the first video frame, see StartAlignment); the manifest records each track's start on
// the shared clock. See docs/recording.md.
//
// Threads: push() and input() from any thread; everything else on the media thread. Disk
// work after start() (manifest updates, checksums) runs on the recorder's own disk thread.
//
// Lifecycle (media thread): create() builds the pipeline; start() checks the disk, writes the
// manifest (RECORDING) and plays; stop() drains through EOS (Pipeline::stop) and finalizes:
// checksums are computed on a disk thread and the manifest becomes FINALIZED. A pipeline
// error instead ends in FAILED with its reason. Either way the manifest is on disk before the
// listener hears of it. Destroying a recording recorder without stop() leaves it RECORDING on
// disk, exactly as a crash would; repair_recordings() handles both.
#pragma once

#include "conf/status.hpp"
#include "core/engine_impl.hpp"
#include "core/g_ref.hpp"
#include "core/log.hpp"
#include "core/pipeline.hpp"
#include "core/probe_connection.hpp"
#include "recording/manifest_store.hpp"
#include "recording/recorder_input.hpp"
#include "recording/recording_codecs.hpp"
#include "recording/track_probes.hpp"

#include <gst/gst.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace conf {

class DiskWorker;

// A recording in other codecs than the tracks arrive in (for example H.264 + AAC in MP4, which
// every player takes): each track decoded and encoded in the recorder's own pipeline. A null
// codec keeps that kind as it arrives (pass-through, the default).
struct RecordingTranscode {
    const Codec* video = nullptr;
    const Codec* audio = nullptr;
    int video_bitrate_kbps = 2000;
    int audio_bitrate = 128000;
    bool any() const noexcept { return video != nullptr || audio != nullptr; }
};

struct RecorderOptions {
    // The recordings root ({data-dir}/recordings); this recording goes to {root}/{room}/{id}/.
    std::filesystem::path output_dir;
    std::string recording_id;
    std::string room_id;
    std::string participant_id; // also names the media file: {participant}.webm
    std::string session_id;     // the room session it belongs to, if any
    std::string source_track;   // when one track was asked for
    bool composite = false;     // the room's mix: mixed audio and the layout's video
    RecordingContainer container = RecordingContainer::kMatroska;
    RecordingTranscode transcode;
    // start() refuses with kResourceExhausted when the disk has less than this free.
    std::uint64_t min_free_bytes = std::uint64_t{512} << 20;
    // Stops and finalizes by itself this long after the first media; zero means no limit.
    std::chrono::milliseconds max_duration{0};
    // Per track: what may queue while the disk lags before packets are dropped (and counted).
    std::uint64_t max_queue_bytes = std::uint64_t{2} << 20;
};

struct RecorderTrack {
    std::string id;     // the published track; names the elements and the manifest entry
    GRef<GstCaps> caps; // application/x-rtp with media, encoding-name and clock-rate
};

enum class RecorderState { kCreated, kRecording, kStopping, kFinalized, kFailed };
std::string_view to_string(RecorderState state) noexcept;

class Recorder final : private Pipeline::Listener {
  public:
    // Called on the media thread.
    class Listener {
      public:
        virtual ~Listener() = default;
        // kStopping when a stop begins (asked for, or max_duration reached); then exactly
        // one of kFinalized (manifest complete with checksums) or kFailed, with `reason`
        // (an error while recording goes straight to kFailed). The manifest is on disk before
        // the final call; the recorder may be destroyed inside that call, not the kStopping one.
        virtual void on_recorder_state_changed(Recorder& recorder, RecorderState state,
                                               const Status& reason) = 0;
        // A track's first buffer reached the muxer; `start_ns` is on the shared clock.
        virtual void on_recorder_track_started(Recorder& /*recorder*/,
                                               const std::string& /*track_id*/,
                                               std::uint64_t /*start_ns*/) {}
        // A video track lost packets (or never saw a keyframe): ask its sender for one (PLI).
        // At most once a second per track.
        virtual void on_recorder_keyframe_needed(Recorder& /*recorder*/,
                                                 const std::string& /*track_id*/) {}
    };
    // Gets the final status: ok for kFinalized, the reason for kFailed.
    using StopCallback = std::function<void(const Status&)>;

    // Media thread. Validates ids, tracks and codecs and builds the pipeline; touches no disk.
    static Result<std::unique_ptr<Recorder>> create(Engine::Impl& engine, RecorderOptions options,
                                                    std::vector<RecorderTrack> tracks,
                                                    Listener* listener);
    ~Recorder() override;
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    // Media thread. kCreated → kRecording. Refuses an existing recording directory's manifest
    // (kAlreadyExists) and a disk below min_free_bytes (kResourceExhausted).
    Status start();
    // Media thread. Drains, finalizes and calls `done` once (see StopCallback). Before start()
    // it ends the recorder at once with kCancelled and writes nothing.
    void stop(StopCallback done);

    // Any thread. See RecorderInput::push.
    PushResult push(std::string_view track_id, GstBuffer* buffer) {
        return input_->push(track_id, buffer);
    }
    // For feeders that may outlive the recorder: pushes after its end are refused, not unsafe.
    std::shared_ptr<RecorderInput> input() const noexcept { return input_; }

    RecorderState state() const noexcept { return state_; }
    const RecorderOptions& options() const noexcept { return options_; }
    // The last manifest written (or about to be written) for this recording.
    const RecordingManifest& manifest() const noexcept { return manifest_; }
    const std::filesystem::path& directory() const noexcept { return directory_; }
    const std::filesystem::path& media_file() const noexcept { return media_file_; }
    const Logger& logger() const noexcept { return logger_; }
    // An element of the recording pipeline ("src-<track>", "depay-<track>", "mux", "sink"),
    // for diagnostics and tests.
    GRef<GstElement> element(const char* name) const { return pipeline_->element(name); }

  private:
    struct Track {
        std::string id;
        const Codec* codec = nullptr;
        GRef<GstPad> mux_pad; // request pad, released when the recorder goes
        std::shared_ptr<TrackFlow> flow;
        ProbeConnection mux_probe;
        ProbeConnection keyframe_probe;
        ProbeConnection running_time_probe;   // transcoded tracks: after the encoder
        ProbeConnection increasing_pts_probe; // video: after the depayloader
    };

    Recorder(Engine::Impl& engine, RecorderOptions options, Listener* listener, Logger logger);
    Status build(std::vector<RecorderTrack> tracks);
    // `target` is `codec` for pass-through, else what the track is encoded into.
    Status add_track(RecorderTrack track, const Codec& codec, const Codec& target);
    // Appends decoder ... encoder (and the target's parser) to `chain` for `track`.
    Status add_transcode(const std::string& track, const Codec& codec, const Codec& target,
                         std::vector<GRef<GstElement>>& chain);
    void install_probes(std::size_t index, GstElement* appsrc);

    // Pipeline::Listener
    void on_pipeline_error(Pipeline& pipeline, const Status& error) override;
    void on_pipeline_eos(Pipeline& pipeline) override;

    void on_pipeline_stopped(const StopReport& report);
    void on_track_started(std::size_t index);
    void on_keyframe_needed(std::size_t index);
    static gboolean on_max_duration(gpointer self) noexcept;
    void cancel_timer();

    void finalize();
    void fail(Status reason);
    void end(RecordingManifest manifest, RecorderState state, Status reason);
    void on_ended(RecordingManifest manifest, RecorderState state, const Status& reason);
    void fill_track_stats(RecordingManifest& manifest) const;
    void write_in_background(RecordingManifest manifest);

    Engine::Impl& engine_;
    RecorderOptions options_;
    Listener* listener_;
    Logger logger_;
    std::filesystem::path directory_;
    std::filesystem::path media_file_;
    MuxerChoice muxer_{};

    std::unique_ptr<Pipeline> pipeline_;
    GRef<GstElement> mux_;
    std::vector<Track> tracks_;
    std::shared_ptr<StartAlignment> alignment_;
    std::shared_ptr<RecorderInput> input_;
    GRef<GSource> timer_;
    GstClockTime base_time_ = 0;

    RecorderState state_ = RecorderState::kCreated;
    bool ending_ = false;    // the final manifest is being written
    bool torn_down_ = false; // the watchdog tore the pipeline down off-thread
    RecordingManifest::EndReason end_reason_ = RecordingManifest::END_REASON_UNSPECIFIED;
    Status final_status_;
    std::vector<StopCallback> stop_callbacks_;
    RecordingManifest manifest_;
    ManifestStore store_;

    // Posted tasks and probe closures hold a weak copy; it dies with the recorder.
    std::shared_ptr<Recorder*> alive_;
    std::unique_ptr<DiskWorker> disk_; // joined first in the destructor: jobs use store_
};

} // namespace conf
