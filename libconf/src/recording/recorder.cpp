#include "recording/recorder.hpp"

#include "core/running_time.hpp"
#include "transcode/encoder_selector.hpp"
#include "webrtc/appsrc_feed.hpp"

#include "core/signal_connection.hpp"
#include "recording/disk_worker.hpp"
#include "recording/sha256.hpp"

#include <gst/app/gstappsrc.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <set>
#include <system_error>
#include <utility>

#include <sys/statvfs.h>

namespace conf {

namespace {

// Enough for several rewrites of a manifest (a few KiB) once the media has filled the disk.
constexpr std::uint64_t kManifestReserveBytes = std::uint64_t{32} * 1024;
constexpr guint kFragmentDurationMs = 500;

Result<GRef<GstElement>> make_element(std::string_view factory, const std::string& name) {
    auto element = GRef<GstElement>::adopt(
        gst_element_factory_make(std::string(factory).c_str(), name.c_str()));
    if (!element) {
        return Status(StatusCode::kUnimplemented,
                      fmt::format("GStreamer element '{}' is not installed", factory));
    }
    return element;
}

double mebibytes(std::uint64_t bytes) {
    return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

} // namespace

std::string_view to_string(RecorderState state) noexcept {
    switch (state) {
    case RecorderState::kCreated:
        return "created";
    case RecorderState::kRecording:
        return "recording";
    case RecorderState::kStopping:
        return "stopping";
    case RecorderState::kFinalized:
        return "finalized";
    case RecorderState::kFailed:
        return "failed";
    }
    return "unknown";
}

Recorder::Recorder(Engine::Impl& engine, RecorderOptions options, Listener* listener, Logger logger)
    : engine_(engine), options_(std::move(options)), listener_(listener),
      logger_(std::move(logger)),
      directory_(options_.output_dir / options_.room_id / options_.recording_id),
      alignment_(std::make_shared<StartAlignment>(false)),
      input_(std::make_shared<RecorderInput>(logger_, options_.max_queue_bytes)),
      store_(directory_), alive_(std::make_shared<Recorder*>(this)),
      disk_(std::make_unique<DiskWorker>(logger_, "rec-disk")) {}

Result<std::unique_ptr<Recorder>> Recorder::create(Engine::Impl& engine, RecorderOptions options,
                                                   std::vector<RecorderTrack> tracks,
                                                   Listener* listener) {
    CONF_ASSERT_MEDIA_THREAD(engine);
    const std::pair<std::string_view, const std::string*> ids[] = {
        {"recording id", &options.recording_id},
        {"room id", &options.room_id},
        {"participant id", &options.participant_id}};
    for (const auto& [what, id] : ids) {
        if (!is_safe_path_component(*id)) {
            return invalid_argument(fmt::format(
                "{} '{}' must be 1-128 characters of [A-Za-z0-9._-] not starting with '.'", what,
                *id));
        }
    }
    if (options.output_dir.empty()) {
        return invalid_argument("recorder output_dir must be set");
    }
    if (tracks.empty()) {
        return invalid_argument("a recording needs at least one track");
    }
    if (options.max_queue_bytes == 0 || options.max_duration.count() < 0) {
        return invalid_argument("max_queue_bytes must be positive and max_duration not negative");
    }
    Logger logger = Logger("recorder")
                        .with("room", options.room_id)
                        .with("participant", options.participant_id)
                        .with("recording", options.recording_id);
    std::unique_ptr<Recorder> recorder(
        new Recorder(engine, std::move(options), listener, std::move(logger)));
    if (Status built = recorder->build(std::move(tracks)); !built) {
        return built;
    }
    return recorder;
}

Status Recorder::build(std::vector<RecorderTrack> tracks) {
    std::vector<const Codec*> codecs;  // as the tracks arrive
    std::vector<const Codec*> targets; // as they are written
    std::set<std::string, std::less<>> seen;
    for (const RecorderTrack& track : tracks) {
        if (!is_safe_path_component(track.id) || !seen.insert(track.id).second) {
            return invalid_argument(
                fmt::format("track id '{}' is duplicated or not a safe identifier", track.id));
        }
        auto codec = recording_codec_for(track.caps.get());
        if (!codec) {
            return codec.status().with_context(fmt::format("track '{}'", track.id));
        }
        codecs.push_back(*codec);
        const Codec* target = (*codec)->kind == MediaKind::kVideo ? options_.transcode.video
                                                                  : options_.transcode.audio;
        if (target == nullptr || target == *codec) {
            targets.push_back(*codec);
            continue;
        }
        if (target->kind != (*codec)->kind || (*codec)->decoder.empty()) {
            return invalid_argument(fmt::format("track '{}': {} cannot be recorded as {}", track.id,
                                                (*codec)->name, target->name));
        }
        targets.push_back(target);
    }
    auto muxer = choose_muxer(options_.container, targets);
    if (!muxer) {
        return muxer.status();
    }
    muxer_ = *muxer;
    media_file_ = directory_ / fmt::format("{}.{}", options_.participant_id, muxer_.extension);

    auto pipeline = Pipeline::create(engine_, "rec-" + options_.recording_id);
    if (!pipeline) {
        return pipeline.status();
    }
    pipeline_ = std::move(pipeline).value();
    pipeline_->set_listener(this);
    GstElement* bin = GST_ELEMENT(pipeline_->get());
    // The shared clock, and base time 0 for good (start time NONE keeps PLAYING from moving
    // it): running time equals absolute clock time, so upstream PTS need no translation that
    // could go negative for packets captured before this pipeline started.
    auto clock = GRef<GstClock>::adopt(gst_system_clock_obtain());
    gst_pipeline_use_clock(pipeline_->get(), clock.get());
    gst_element_set_start_time(bin, GST_CLOCK_TIME_NONE);
    gst_element_set_base_time(bin, 0);

    auto mux = make_element(muxer_.factory, "mux");
    auto sink = make_element("filesink", "sink");
    if (!mux || !sink) {
        return !mux ? mux.status() : sink.status();
    }
    mux_ = *mux;
    if (muxer_.container == RecordingManifest::MP4_FRAGMENTED) {
        g_object_set(mux_.get(), "fragment-duration", kFragmentDurationMs, nullptr);
    } else {
        // The file starts at the earliest first buffer of all tracks; later tracks keep
        // their offset, which is what keeps them in sync.
        g_object_set(mux_.get(), "offset-to-zero", TRUE, "writing-app", "libconf", nullptr);
    }
    // No preroll: a live pipeline's sink would otherwise hold the pipeline short of PLAYING
    // until the first buffer, and a recorder stopped before any media could never drain.
    g_object_set(sink->get(), "location", media_file_.c_str(), "async", FALSE, nullptr);
    // Every muxed block reaches the kernel at once: a SIGKILL loses at most what the muxer
    // holds (≤ 0.04 s for Matroska, one fragment for fMP4), not a 64 KiB stdio buffer.
    gst_util_set_object_arg(G_OBJECT(sink->get()), "buffer-mode", "unbuffered");
    gst_bin_add(pipeline_->bin(), mux_.get());
    gst_bin_add(pipeline_->bin(), sink->get());
    if (!gst_element_link(mux_.get(), sink->get())) {
        return internal_error("cannot link the muxer to the file sink");
    }

    alignment_ = std::make_shared<StartAlignment>(
        muxer_.container == RecordingManifest::MP4_FRAGMENTED &&
        std::any_of(codecs.begin(), codecs.end(),
                    [](const Codec* c) { return c->kind == MediaKind::kVideo; }));
    manifest_.set_schema_version(kManifestSchemaVersion);
    manifest_.set_id(options_.recording_id);
    manifest_.set_room(options_.room_id);
    manifest_.set_participant(options_.participant_id);
    manifest_.set_session(options_.session_id);
    manifest_.set_source_track(options_.source_track);
    manifest_.set_composite(options_.composite);
    manifest_.set_container(muxer_.container);
    manifest_.add_files()->set_path(media_file_.filename().string());
    for (std::size_t i = 0; i < tracks.size(); ++i) {
        if (Status added = add_track(std::move(tracks[i]), *codecs[i], *targets[i]); !added) {
            return added;
        }
    }
    return Status::ok();
}

Status Recorder::add_transcode(const std::string& track, const Codec& codec, const Codec& target,
                               std::vector<GRef<GstElement>>& chain) {
    auto choice = EncoderSelector::global().choose(target.name);
    if (!choice) {
        return choice.status().with_context(fmt::format("track '{}'", track));
    }
    const bool video = codec.kind == MediaKind::kVideo;
    std::vector<std::pair<std::string_view, std::string>> elements;
    if (!codec.parser.empty()) {
        elements.emplace_back(codec.parser, "parse-" + track);
    }
    elements.emplace_back(codec.decoder, "decode-" + track);
    if (video) {
        elements.emplace_back("videoconvert", "convert-" + track);
    } else {
        elements.emplace_back("audioconvert", "convert-" + track);
        elements.emplace_back("audioresample", "resample-" + track);
    }
    GstElement* depayloader = chain.back().get();
    GstElement* decoder = nullptr;
    for (const auto& [factory, name] : elements) {
        auto element = make_element(factory, name);
        if (!element) {
            return element.status();
        }
        if (factory == codec.decoder) {
            decoder = element->get();
        }
        chain.push_back(*element);
    }
    configure_live_decoding(depayloader, decoder);
    // Encoders add latency; a live source reports none it could absorb, so without a queue the
    // muxer cannot configure its latency. It also gives the encoder a thread of its own.
    auto queue = make_element("queue", "encode-queue-" + track);
    if (!queue) {
        return queue.status();
    }
    g_object_set(queue->get(), "max-size-buffers", 0u, "max-size-bytes", 0u, "max-size-time",
                 static_cast<guint64>(2 * GST_SECOND), nullptr);
    chain.push_back(*queue);
    // Keyframes every 2 s (60 frames at 30 fps): seeking in the file stays quick.
    auto encoder = EncoderSelector::make(*choice,
                                         video ? options_.transcode.video_bitrate_kbps
                                               : options_.transcode.audio_bitrate / 1000,
                                         60, "encode-" + track);
    if (!encoder) {
        return encoder.status().with_context(fmt::format("track '{}'", track));
    }
    chain.push_back(*encoder);
    if (!target.parser.empty()) {
        auto parse = make_element(target.parser, "target-parse-" + track);
        if (!parse) {
            return parse.status();
        }
        chain.push_back(*parse);
    }
    logger_.info("track {}: {} recorded as {} with {}", track, codec.name, target.name,
                 choice->factory);
    return Status::ok();
}

Status Recorder::add_track(RecorderTrack track, const Codec& codec, const Codec& target) {
    auto src = make_element("appsrc", "src-" + track.id);
    auto depay = make_element(codec.depayloader, "depay-" + track.id);
    if (!src || !depay) {
        return !src ? src.status() : depay.status();
    }
    std::vector<GRef<GstElement>> chain = {*src, *depay};
    if (&target != &codec) {
        if (Status built = add_transcode(track.id, codec, target, chain); !built) {
            return built;
        }
    } else if (!codec.parser.empty()) {
        auto parse = make_element(codec.parser, "parse-" + track.id);
        if (!parse) {
            return parse.status();
        }
        chain.push_back(*parse);
        if (codec.name == "H264") {
            // Parameter sets in-band (avc3): a browser that changes resolution mid-stream
            // sends new SPS/PPS, which as avc codec_data would be a caps change matroskamux
            // 1.22 refuses ("Could not multiplex stream"), failing the recording.
            g_object_set(parse->get(), "config-interval", -1, nullptr);
            auto filter = make_element("capsfilter", "h264caps-" + track.id);
            if (!filter) {
                return filter.status();
            }
            auto caps = GRef<GstCaps>::adopt(
                gst_caps_from_string("video/x-h264,stream-format=avc3,alignment=au"));
            g_object_set(filter->get(), "caps", caps.get(), nullptr);
            chain.push_back(*filter);
        }
    }
    auto* appsrc = GST_APP_SRC(src->get());
    gst_app_src_set_caps(appsrc, recording_caps(codec, track.caps.get()).get());
    gst_app_src_set_stream_type(appsrc, GST_APP_STREAM_TYPE_STREAM);
    gst_app_src_set_max_bytes(appsrc, options_.max_queue_bytes);
    // RecorderInput drops before this bound is reached; leaky is only the backstop.
    gst_app_src_set_leaky_type(appsrc, GST_APP_LEAKY_TYPE_UPSTREAM);
    g_object_set(appsrc, "is-live", TRUE, "format", GST_FORMAT_TIME, "block", FALSE, "emit-signals",
                 FALSE, nullptr);
    const bool video = codec.kind == MediaKind::kVideo;
    if (video) {
        // After a gap, drop partial frames until a keyframe and ask upstream for one (the
        // keyframe probe passes that on to the listener) rather than mux frames that decode
        // as garbage.
        for (const char* property : {"request-keyframe", "wait-for-keyframe"}) {
            if (has_property(depay->get(), property)) { // plugin depayloaders may lack one
                g_object_set(depay->get(), property, TRUE, nullptr);
            }
        }
    }
    for (const auto& element : chain) {
        gst_bin_add(pipeline_->bin(), element.get());
    }
    for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
        if (!gst_element_link(chain[i].get(), chain[i + 1].get())) {
            return internal_error(fmt::format("track '{}': cannot link {} to {}", track.id,
                                              GST_ELEMENT_NAME(chain[i].get()),
                                              GST_ELEMENT_NAME(chain[i + 1].get())));
        }
    }
    auto mux_pad = GRef<GstPad>::adopt(
        gst_element_request_pad_simple(mux_.get(), video ? "video_%u" : "audio_%u"));
    auto out_pad = GRef<GstPad>::adopt(gst_element_get_static_pad(chain.back().get(), "src"));
    if (!mux_pad || gst_pad_link(out_pad.get(), mux_pad.get()) != GST_PAD_LINK_OK) {
        return internal_error(fmt::format("track '{}': {} takes no {} input", track.id,
                                          muxer_.factory, target.recording_name));
    }

    Track entry;
    if (&target != &codec) {
        // The encoder's segment (x264enc's starts at 1000 hours) would make the start-time
        // probes at the muxer read its PTS as running time wrongly.
        entry.running_time_probe = add_running_time_probe(out_pad.get());
    }
    if (video) {
        auto depay_src = GRef<GstPad>::adopt(gst_element_get_static_pad(depay->get(), "src"));
        entry.increasing_pts_probe = add_increasing_pts_probe(depay_src.get());
    }
    entry.id = track.id;
    entry.codec = &codec;
    entry.mux_pad = std::move(mux_pad);
    entry.flow = std::make_shared<TrackFlow>(video);
    tracks_.push_back(std::move(entry));
    input_->add_track(track.id, *src);

    RecordingManifest::Track* manifest_track = manifest_.add_tracks();
    manifest_track->set_id(track.id);
    manifest_track->set_kind(manifest_kind(codec));
    manifest_track->set_codec(std::string(target.recording_name)); // what the file holds
    manifest_track->set_clock_rate(static_cast<std::uint32_t>(codec.clock_rate));
    install_probes(tracks_.size() - 1, src->get());
    return Status::ok();
}

void Recorder::install_probes(std::size_t index, GstElement* appsrc) {
    Track& track = tracks_[index];
    // Called on streaming threads: post to the media thread, where the recorder lives (if it
    // still does).
    auto post = [alive = std::weak_ptr<Recorder*>(alive_), engine = &engine_](auto fn) {
        return [alive, engine, fn]() {
            (void)engine->post([alive, fn]() {
                if (auto self = alive.lock()) {
                    fn(**self);
                }
            });
        };
    };
    track.mux_probe =
        add_mux_probe(track.mux_pad.get(), track.flow, alignment_,
                      post([index](Recorder& self) { self.on_track_started(index); }));
    if (track.flow->video) {
        auto src_pad = GRef<GstPad>::adopt(gst_element_get_static_pad(appsrc, "src"));
        track.keyframe_probe =
            add_keyframe_probe(src_pad.get(), track.flow,
                               post([index](Recorder& self) { self.on_keyframe_needed(index); }));
    }
}

Recorder::~Recorder() {
    cancel_timer();
    input_->close();
    alignment_->release();
    alive_.reset();
    // Queued manifest writes finish; a checksum in progress gives up (the manifest then stays
    // RECORDING, and repair completes it).
    disk_.reset();
    for (Track& track : tracks_) {
        track.mux_probe.remove();
        track.keyframe_probe.remove();
        track.running_time_probe.remove();
        track.increasing_pts_probe.remove();
    }
    bool off_thread = torn_down_ || (pipeline_ && pipeline_->state() == PipelineState::kStopping);
    // Sets the pipeline to NULL, or hands a still-draining one to a teardown thread.
    pipeline_.reset();
    if (!off_thread && mux_) {
        for (Track& track : tracks_) {
            gst_element_release_request_pad(mux_.get(), track.mux_pad.get());
        }
    }
}

Status Recorder::start() {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (state_ != RecorderState::kCreated) {
        return failed_precondition(
            fmt::format("recorder cannot start from state {}", to_string(state_)));
    }
    std::error_code ec;
    std::filesystem::create_directories(options_.output_dir, ec);
    if (ec) {
        return unavailable(
            fmt::format("cannot create {}: {}", options_.output_dir.string(), ec.message()));
    }
    struct statvfs fs {};
    if (::statvfs(options_.output_dir.c_str(), &fs) != 0) {
        return unavailable(fmt::format("cannot check free space on {}: {}",
                                       options_.output_dir.string(), std::strerror(errno)));
    }
    std::uint64_t free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
    if (free_bytes < options_.min_free_bytes) {
        Status refused = resource_exhausted(
            fmt::format("not recording: {:.1f} MiB free on {}, below the {:.1f} MiB minimum",
                        mebibytes(free_bytes), options_.output_dir.string(),
                        mebibytes(options_.min_free_bytes)));
        logger_.error("{}", refused.message());
        return refused;
    }
    if (std::filesystem::exists(store_.manifest_path(), ec)) {
        return {StatusCode::kAlreadyExists,
                fmt::format("recording '{}' already exists in {}", options_.recording_id,
                            directory_.string())};
    }
    std::filesystem::create_directories(directory_, ec);
    if (ec) {
        return unavailable(fmt::format("cannot create {}: {}", directory_.string(), ec.message()));
    }
    if (Status reserved = store_.reserve(kManifestReserveBytes); !reserved) {
        return reserved.with_context("not recording");
    }
    manifest_.set_state(RecordingManifest::RECORDING);
    *manifest_.mutable_created_at() = to_timestamp(std::chrono::system_clock::now());
    // Written here, on the media thread, once: start() reports whether it worked. Every later
    // write goes to the disk thread.
    if (Status written = store_.write(manifest_); !written) {
        store_.release_reserve();
        return written.with_context("not recording: writing the manifest");
    }
    if (Status started = pipeline_->start(); !started) {
        state_ = RecorderState::kFailed;
        final_status_ = started;
        manifest_.set_state(RecordingManifest::FAILED);
        manifest_.set_end_reason(RecordingManifest::PIPELINE_ERROR);
        manifest_.set_failure_reason(started.message());
        *manifest_.mutable_ended_at() = to_timestamp(std::chrono::system_clock::now());
        (void)store_.write(manifest_);
        store_.release_reserve();
        logger_.error("recording pipeline failed to start: {}", started.message());
        return started;
    }
    base_time_ = gst_element_get_base_time(GST_ELEMENT(pipeline_->get()));
    input_->open(base_time_);
    state_ = RecorderState::kRecording;
    logger_.info("recording {} track(s) to {} ({})", tracks_.size(), media_file_.string(),
                 muxer_.factory);
    return Status::ok();
}

void Recorder::stop(StopCallback done) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (state_ == RecorderState::kFinalized || state_ == RecorderState::kFailed) {
        if (done) {
            done(final_status_);
        }
        return;
    }
    if (done) {
        stop_callbacks_.push_back(std::move(done));
    }
    if (state_ == RecorderState::kStopping || ending_) {
        return; // the end already in progress calls back
    }
    if (state_ == RecorderState::kCreated) {
        pipeline_->stop(nullptr);
        state_ = RecorderState::kFailed;
        final_status_ = Status(StatusCode::kCancelled, "recorder stopped before it started");
        auto callbacks = std::move(stop_callbacks_);
        stop_callbacks_.clear();
        for (auto& callback : callbacks) {
            callback(final_status_);
        }
        return;
    }
    if (end_reason_ == RecordingManifest::END_REASON_UNSPECIFIED) {
        end_reason_ = RecordingManifest::REQUESTED;
    }
    state_ = RecorderState::kStopping;
    cancel_timer();
    // No packet gets in after the EOS; what is already queued goes out before it.
    input_->close();
    alignment_->release();
    logger_.info("stopping ({})", RecordingManifest::EndReason_Name(end_reason_));
    pipeline_->stop([this](const StopReport& report) { on_pipeline_stopped(report); });
    if (listener_ != nullptr) {
        listener_->on_recorder_state_changed(*this, RecorderState::kStopping, Status::ok());
    }
}

void Recorder::on_pipeline_error(Pipeline& /*pipeline*/, const Status& error) {
    fail(error);
}

void Recorder::on_pipeline_eos(Pipeline& /*pipeline*/) {
    // Only stop() ends the appsrcs' streams, so this is unexpected; finish cleanly anyway.
    logger_.warn("end of stream while recording; stopping");
    stop(nullptr);
}

void Recorder::on_pipeline_stopped(const StopReport& report) {
    if (report.outcome == StopOutcome::kDrained) {
        finalize();
        return;
    }
    if (report.outcome == StopOutcome::kWatchdog) {
        torn_down_ = true;
    }
    fail(report.status.is_ok() ? internal_error(fmt::format("recording pipeline stopped: {}",
                                                            to_string(report.outcome)))
                               : report.status);
}

void Recorder::on_track_started(std::size_t index) {
    if (state_ != RecorderState::kRecording || ending_) {
        return;
    }
    Track& track = tracks_[index];
    std::uint64_t start_ns = track.flow->first_pts.load() + base_time_;
    manifest_.mutable_tracks(static_cast<int>(index))->set_start_ns(start_ns);
    if (manifest_.start_ns() == 0 || start_ns < manifest_.start_ns()) {
        manifest_.set_start_ns(start_ns);
        // Wall-clock time of that first buffer: now, less how long ago it was on the clock.
        auto clock = GRef<GstClock>::adopt(gst_system_clock_obtain());
        GstClockTime now = gst_clock_get_time(clock.get());
        auto age = std::chrono::nanoseconds(now > start_ns ? now - start_ns : 0);
        *manifest_.mutable_started_at() =
            to_timestamp(std::chrono::system_clock::now() -
                         std::chrono::duration_cast<std::chrono::system_clock::duration>(age));
    }
    // Written now, not only at the end: after a crash, repair needs the start on the clock.
    write_in_background(manifest_);
    if (options_.max_duration.count() > 0 && !timer_) {
        timer_ = GRef<GSource>::adopt(
            g_timeout_source_new(static_cast<guint>(options_.max_duration.count())));
        g_source_set_callback(timer_.get(), &Recorder::on_max_duration, this, nullptr);
        g_source_attach(timer_.get(), engine_.context());
    }
    logger_.info("track {} ({}) started at {} ns on the shared clock", track.id,
                 track.codec->recording_name, start_ns);
    if (listener_ != nullptr) {
        listener_->on_recorder_track_started(*this, track.id, start_ns);
    }
}

void Recorder::on_keyframe_needed(std::size_t index) {
    if (state_ != RecorderState::kRecording) {
        return;
    }
    logger_.debug("track {} needs a keyframe", tracks_[index].id);
    if (listener_ != nullptr) {
        listener_->on_recorder_keyframe_needed(*this, tracks_[index].id);
    }
}

gboolean Recorder::on_max_duration(gpointer self) noexcept {
    auto* recorder = static_cast<Recorder*>(self);
    try {
        recorder->logger_.info("maximum duration of {} ms reached",
                               recorder->options_.max_duration.count());
        recorder->end_reason_ = RecordingManifest::MAX_DURATION;
        // stop() cancels the timer (destroying a source inside its own dispatch is allowed);
        // the listener may even destroy the recorder, so nothing touches it afterwards.
        recorder->stop(nullptr);
    } catch (const std::exception& e) {
        detail::log_callback_exception(e.what());
    }
    return G_SOURCE_REMOVE;
}

void Recorder::cancel_timer() {
    if (timer_) {
        g_source_destroy(timer_.get());
        // timer_ stays set: a recording arms its timer once.
    }
}

void Recorder::finalize() {
    RecordingManifest manifest = manifest_;
    manifest.set_state(RecordingManifest::FINALIZED);
    manifest.set_end_reason(end_reason_);
    *manifest.mutable_ended_at() = to_timestamp(std::chrono::system_clock::now());
    fill_track_stats(manifest);
    end(std::move(manifest), RecorderState::kFinalized, Status::ok());
}

void Recorder::fail(Status reason) {
    if (ending_ || state_ == RecorderState::kFinalized || state_ == RecorderState::kFailed) {
        logger_.warn("error after the recording ended: {}", reason.message());
        return;
    }
    logger_.error("recording failed: {}", reason.to_string());
    cancel_timer();
    input_->close();
    alignment_->release();
    RecordingManifest manifest = manifest_;
    manifest.set_state(RecordingManifest::FAILED);
    manifest.set_end_reason(RecordingManifest::PIPELINE_ERROR);
    manifest.set_failure_reason(reason.message());
    *manifest.mutable_ended_at() = to_timestamp(std::chrono::system_clock::now());
    fill_track_stats(manifest);
    end(std::move(manifest), RecorderState::kFailed, std::move(reason));
}

void Recorder::end(RecordingManifest manifest, RecorderState state, Status reason) {
    ending_ = true;
    manifest_ = manifest;
    const bool checksum = state == RecorderState::kFinalized;
    // On the disk thread: file sizes, checksums, the final manifest. Only members that stay
    // fixed (directory_, engine_, logger_) or belong to that thread (store_) are used there;
    // the destructor joins the thread before they go.
    disk_->post([this, manifest = std::move(manifest), state, reason = std::move(reason), checksum,
                 alive = std::weak_ptr<Recorder*>(alive_)](const std::stop_token& stop) mutable {
        for (RecordingManifest::File& file : *manifest.mutable_files()) {
            std::filesystem::path path = directory_ / file.path();
            std::error_code ec;
            // Only regular files: a test may point the media at /dev/full.
            if (!std::filesystem::is_regular_file(path, ec)) {
                continue;
            }
            file.set_bytes(std::filesystem::file_size(path, ec));
            if (!checksum) {
                continue;
            }
            auto digest = sha256_file(path, stop);
            if (!digest && digest.status().code() == StatusCode::kCancelled) {
                return; // the recorder is going away; repair will finish this manifest
            }
            if (!digest) {
                logger_.warn("no checksum for {}: {}", path.string(), digest.status().message());
                continue;
            }
            file.set_sha256(*digest);
        }
        Status written = store_.write(manifest);
        store_.release_reserve();
        if (!written) {
            logger_.error("final manifest not written: {}", written.message());
            if (reason.is_ok()) {
                state = RecorderState::kFailed;
                reason = written.with_context("writing the final manifest");
            }
        }
        (void)engine_.post(
            [alive, manifest = std::move(manifest), state, reason = std::move(reason)]() mutable {
                if (auto self = alive.lock()) {
                    (*self)->on_ended(std::move(manifest), state, reason);
                }
            });
    });
}

void Recorder::on_ended(RecordingManifest manifest, RecorderState state, const Status& reason) {
    manifest_ = std::move(manifest);
    state_ = state;
    final_status_ = reason;
    ending_ = false;
    if (reason.is_ok()) {
        logger_.info("recording {}: {:.3f} s, {} bytes", to_string(state),
                     static_cast<double>(manifest_.duration_ns()) / 1e9,
                     manifest_.files_size() > 0 ? manifest_.files(0).bytes() : 0);
    } else {
        logger_.error("recording {}: {}", to_string(state), reason.message());
    }
    auto callbacks = std::move(stop_callbacks_);
    stop_callbacks_.clear();
    Listener* listener = listener_;
    // Either call may destroy this recorder: only locals from here on.
    if (listener != nullptr) {
        listener->on_recorder_state_changed(*this, state, reason);
    }
    for (auto& callback : callbacks) {
        callback(reason);
    }
}

void Recorder::fill_track_stats(RecordingManifest& manifest) const {
    std::uint64_t start = 0;
    std::uint64_t end = 0;
    for (std::size_t i = 0; i < tracks_.size(); ++i) {
        const TrackFlow& flow = *tracks_[i].flow;
        RecordingManifest::Track* track = manifest.mutable_tracks(static_cast<int>(i));
        track->set_dropped_packets(input_->dropped(i));
        GstClockTime first = flow.first_pts.load();
        if (!GST_CLOCK_TIME_IS_VALID(first)) {
            continue; // never received anything
        }
        GstClockTime last = std::max(flow.end.load(), first);
        track->set_start_ns(first + base_time_);
        track->set_duration_ns(last - first);
        track->set_bytes(flow.bytes.load());
        start = start == 0 ? first + base_time_ : std::min(start, first + base_time_);
        end = std::max(end, last + base_time_);
    }
    if (start != 0) {
        manifest.set_start_ns(start);
        manifest.set_duration_ns(end - start);
    }
}

void Recorder::write_in_background(RecordingManifest manifest) {
    disk_->post([this, manifest = std::move(manifest)](const std::stop_token&) {
        if (Status written = store_.write(manifest); !written) {
            logger_.warn("manifest update not written: {}", written.message());
        }
    });
}

} // namespace conf
