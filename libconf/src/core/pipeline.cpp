#include "core/pipeline.hpp"

#include "core/g_unique.hpp"
#include "core/signal_connection.hpp"

#include <chrono>
#include <fstream>
#include <system_error>

namespace conf {

std::string_view to_string(PipelineState state) noexcept {
    switch (state) {
    case PipelineState::kCreated:
        return "created";
    case PipelineState::kPlaying:
        return "playing";
    case PipelineState::kStopping:
        return "stopping";
    case PipelineState::kStopped:
        return "stopped";
    case PipelineState::kFailed:
        return "failed";
    }
    return "unknown";
}

std::string_view to_string(StopOutcome outcome) noexcept {
    switch (outcome) {
    case StopOutcome::kDrained:
        return "drained";
    case StopOutcome::kNotStarted:
        return "not_started";
    case StopOutcome::kImmediate:
        return "immediate";
    case StopOutcome::kWatchdog:
        return "watchdog";
    case StopOutcome::kFailed:
        return "failed";
    }
    return "unknown";
}

namespace {

StatusCode code_from_gerror(const GError* error) {
    if (error == nullptr) {
        return StatusCode::kInternal;
    }
    if (error->domain == GST_RESOURCE_ERROR) {
        switch (error->code) {
        case GST_RESOURCE_ERROR_NOT_FOUND:
            return StatusCode::kNotFound;
        case GST_RESOURCE_ERROR_NO_SPACE_LEFT:
            return StatusCode::kResourceExhausted;
        case GST_RESOURCE_ERROR_NOT_AUTHORIZED:
            return StatusCode::kPermissionDenied;
        case GST_RESOURCE_ERROR_BUSY:
        case GST_RESOURCE_ERROR_OPEN_READ:
        case GST_RESOURCE_ERROR_OPEN_WRITE:
        case GST_RESOURCE_ERROR_OPEN_READ_WRITE:
        case GST_RESOURCE_ERROR_READ:
        case GST_RESOURCE_ERROR_WRITE:
        case GST_RESOURCE_ERROR_SEEK:
        case GST_RESOURCE_ERROR_SYNC:
        case GST_RESOURCE_ERROR_CLOSE:
            return StatusCode::kUnavailable;
        default:
            return StatusCode::kInternal;
        }
    }
    if (error->domain == GST_STREAM_ERROR) {
        switch (error->code) {
        case GST_STREAM_ERROR_CODEC_NOT_FOUND:
        case GST_STREAM_ERROR_NOT_IMPLEMENTED:
            return StatusCode::kUnimplemented;
        case GST_STREAM_ERROR_WRONG_TYPE:
        case GST_STREAM_ERROR_FORMAT:
        case GST_STREAM_ERROR_DECODE:
        case GST_STREAM_ERROR_DEMUX:
        case GST_STREAM_ERROR_TYPE_NOT_FOUND:
            return StatusCode::kInvalidArgument;
        default:
            return StatusCode::kInternal;
        }
    }
    if (error->domain == GST_CORE_ERROR && error->code == GST_CORE_ERROR_MISSING_PLUGIN) {
        return StatusCode::kUnimplemented;
    }
    return StatusCode::kInternal;
}

std::string timestamp_for_filename() {
    auto now = std::chrono::system_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
    GUnique<GDateTime> utc(g_date_time_new_from_unix_utc(ms.count() / 1000));
    GUnique<gchar> text(g_date_time_format(utc.get(), "%Y%m%dT%H%M%S"));
    return fmt::format("{}.{:03}Z", text.get(), ms.count() % 1000);
}

} // namespace

Status status_from_message(GstMessage* message) {
    GUnique<GError> error;
    GUnique<gchar> debug;
    switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ERROR:
        gst_message_parse_error(message, error.out(), debug.out());
        break;
    case GST_MESSAGE_WARNING:
        gst_message_parse_warning(message, error.out(), debug.out());
        break;
    default:
        return internal_error(
            fmt::format("not an error message: {}", GST_MESSAGE_TYPE_NAME(message)));
    }
    GUnique<gchar> path(GST_MESSAGE_SRC(message) != nullptr
                            ? gst_object_get_path_string(GST_MESSAGE_SRC(message))
                            : g_strdup("(unknown element)"));
    std::string text = fmt::format("{}: {}", path.get(), error ? error->message : "unknown error");
    if (debug) {
        text += fmt::format(" ({})", debug.get());
    }
    return {code_from_gerror(error.get()), std::move(text)};
}

Result<std::unique_ptr<Pipeline>> Pipeline::create(Engine::Impl& engine, std::string name) {
    CONF_ASSERT_MEDIA_THREAD(engine);
    if (name.empty()) {
        return invalid_argument("pipeline name must not be empty");
    }
    auto element = GRef<GstElement>::adopt(gst_pipeline_new(name.c_str()));
    return std::unique_ptr<Pipeline>(new Pipeline(engine, std::move(name), std::move(element)));
}

Result<std::unique_ptr<Pipeline>> Pipeline::parse(Engine::Impl& engine, std::string name,
                                                  std::string_view description) {
    CONF_ASSERT_MEDIA_THREAD(engine);
    if (name.empty()) {
        return invalid_argument("pipeline name must not be empty");
    }
    GUnique<GError> error;
    std::string text(description);
    // FATAL_ERRORS: a missing element or link is an error, not a partial pipeline.
    auto bin = GRef<GstElement>::adopt(
        gst_parse_launch_full(text.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, error.out()));
    if (!bin || error) {
        return invalid_argument(fmt::format("pipeline '{}': cannot parse '{}': {}", name, text,
                                            error ? error->message : "unknown error"));
    }
    GRef<GstElement> pipeline;
    if (GST_IS_PIPELINE(bin.get())) {
        pipeline = std::move(bin);
        gst_object_set_name(GST_OBJECT(pipeline.get()), name.c_str());
    } else {
        // A single element description parses to that element: wrap it.
        pipeline = GRef<GstElement>::adopt(gst_pipeline_new(name.c_str()));
        gst_bin_add(GST_BIN(pipeline.get()), bin.release());
    }
    return std::unique_ptr<Pipeline>(new Pipeline(engine, std::move(name), std::move(pipeline)));
}

Pipeline::Pipeline(Engine::Impl& engine, std::string name, GRef<GstElement> pipeline)
    : engine_(engine), name_(std::move(name)), logger_(Logger("pipeline").with("pipeline", name_)),
      pipeline_(std::move(pipeline)), stop_timeout_(engine.options().pipeline_stop_timeout) {
    auto bus = GRef<GstBus>::adopt(gst_element_get_bus(pipeline_.get()));
    bus_watch_ = GRef<GSource>::adopt(gst_bus_create_watch(bus.get()));
    g_source_set_callback(bus_watch_.get(), G_SOURCE_FUNC(&on_bus_message), this, nullptr);
    g_source_attach(bus_watch_.get(), engine_.context());
}

Pipeline::~Pipeline() {
    cancel_watchdog();
    g_source_destroy(bus_watch_.get());
    if (torn_down_async_) {
        return;
    }
    if (state_ == PipelineState::kStopping) {
        // Destroyed mid-drain: do not wait for a pipeline that may be frozen.
        teardown_async();
    } else {
        gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
    }
}

GRef<GstElement> Pipeline::element(const char* name) const {
    return GRef<GstElement>::adopt(gst_bin_get_by_name(bin(), name));
}

Status Pipeline::start() {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    if (state_ != PipelineState::kCreated) {
        return failed_precondition(
            fmt::format("pipeline '{}' cannot start from state {}", name_, to_string(state_)));
    }
    if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        // The element that failed usually posted why; report that rather than a bare failure.
        auto bus = GRef<GstBus>::adopt(gst_element_get_bus(pipeline_.get()));
        auto message = GRef<GstMessage>::adopt(gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR));
        Status error = message
                           ? status_from_message(message.get())
                           : internal_error(fmt::format("pipeline '{}' failed to start", name_));
        gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
        state_ = PipelineState::kFailed;
        last_report_ = {StopOutcome::kFailed, error, {}};
        logger_.error("start failed: {}", error.to_string());
        return error;
    }
    state_ = PipelineState::kPlaying;
    logger_.debug("started");
    return Status::ok();
}

void Pipeline::stop(StopCallback done, StopMode mode) {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    switch (state_) {
    case PipelineState::kCreated:
        gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
        state_ = PipelineState::kStopped;
        last_report_ = {StopOutcome::kNotStarted, Status::ok(), {}};
        if (done) {
            done(last_report_);
        }
        return;
    case PipelineState::kStopped:
    case PipelineState::kFailed:
        if (done) {
            done(last_report_);
        }
        return;
    case PipelineState::kStopping:
        if (done) {
            stop_callbacks_.push_back(std::move(done));
        }
        return;
    case PipelineState::kPlaying:
        break;
    }
    if (mode == StopMode::kImmediate) {
        gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
        logger_.debug("stopped without draining");
        if (done) {
            stop_callbacks_.push_back(std::move(done));
        }
        finish_stop({StopOutcome::kImmediate, Status::ok(), {}});
        return;
    }
    state_ = PipelineState::kStopping;
    if (done) {
        stop_callbacks_.push_back(std::move(done));
    }
    logger_.debug("stopping: sending EOS, watchdog {} ms", stop_timeout_.count());
    watchdog_ = GRef<GSource>::adopt(
        g_timeout_source_new(static_cast<guint>(std::max<std::int64_t>(1, stop_timeout_.count()))));
    g_source_set_callback(watchdog_.get(), &on_watchdog, this, nullptr);
    g_source_attach(watchdog_.get(), engine_.context());
    if (reached_playing_) {
        send_eos();
    } else {
        // EOS sent during the switch to PLAYING deadlocks a live pipeline: the EOS holds the
        // pipeline's state lock while waiting for a source's streaming thread, which waits for
        // the preroll that the state change (needing that lock) would release.
        eos_deferred_ = true;
    }
}

void Pipeline::send_eos() {
    eos_deferred_ = false;
    // A bin hands EOS to each of its sources. A source may block in send_event until its
    // streaming thread comes round (basesrc takes its live lock), so send it from GStreamer's
    // thread pool: a frozen pipeline must not freeze the media thread with it.
    gst_element_call_async(
        pipeline_.get(),
        [](GstElement* element, gpointer) { gst_element_send_event(element, gst_event_new_eos()); },
        nullptr, nullptr);
}

gboolean Pipeline::on_bus_message(GstBus* /*bus*/, GstMessage* message, gpointer self) noexcept {
    try {
        static_cast<Pipeline*>(self)->handle_message(message);
    } catch (const std::exception& e) {
        detail::log_callback_exception(e.what());
    }
    return G_SOURCE_CONTINUE;
}

void Pipeline::handle_message(GstMessage* message) {
    switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ERROR:
        if (state_ == PipelineState::kPlaying || state_ == PipelineState::kStopping) {
            fail(status_from_message(message));
        }
        break;
    case GST_MESSAGE_WARNING:
        logger_.warn("{}", status_from_message(message).message());
        break;
    case GST_MESSAGE_EOS:
        if (state_ == PipelineState::kStopping) {
            cancel_watchdog();
            gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
            logger_.debug("drained and stopped");
            finish_stop({StopOutcome::kDrained, Status::ok(), {}});
        } else if (state_ == PipelineState::kPlaying && listener_ != nullptr) {
            listener_->on_pipeline_eos(*this);
        }
        break;
    case GST_MESSAGE_LATENCY:
        gst_bin_recalculate_latency(bin());
        break;
    case GST_MESSAGE_STATE_CHANGED:
        if (GST_MESSAGE_SRC(message) == GST_OBJECT(pipeline_.get())) {
            GstState old_state;
            GstState new_state;
            gst_message_parse_state_changed(message, &old_state, &new_state, nullptr);
            logger_.debug("state {} -> {}", gst_element_state_get_name(old_state),
                          gst_element_state_get_name(new_state));
            if (new_state == GST_STATE_PLAYING) {
                reached_playing_ = true;
                if (eos_deferred_ && state_ == PipelineState::kStopping) {
                    send_eos();
                }
            }
        }
        break;
    default:
        break;
    }
}

void Pipeline::fail(Status error) {
    logger_.error("{}", error.message());
    cancel_watchdog();
    gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
    if (state_ == PipelineState::kStopping) {
        // Whoever asked for the stop learns of the error through its callback.
        finish_stop({StopOutcome::kFailed, std::move(error), {}});
        return;
    }
    state_ = PipelineState::kFailed;
    last_report_ = {StopOutcome::kFailed, error, {}};
    // The listener may destroy this pipeline: nothing touches members after this call.
    if (listener_ != nullptr) {
        listener_->on_pipeline_error(*this, error);
    }
}

gboolean Pipeline::on_watchdog(gpointer self) noexcept {
    auto* pipeline = static_cast<Pipeline*>(self);
    try {
        pipeline->watchdog_.reset(); // the source is removed by returning G_SOURCE_REMOVE
        std::filesystem::path dot = pipeline->write_dot_graph("frozen");
        Status error = unavailable(
            fmt::format("pipeline '{}' did not drain within {} ms{}", pipeline->name_,
                        pipeline->stop_timeout_.count(),
                        dot.empty() ? std::string() : fmt::format("; graph in {}", dot.string())));
        pipeline->logger_.error("{}", error.message());
        pipeline->teardown_async();
        pipeline->finish_stop({StopOutcome::kWatchdog, std::move(error), std::move(dot)});
    } catch (const std::exception& e) {
        detail::log_callback_exception(e.what());
    }
    return G_SOURCE_REMOVE;
}

void Pipeline::teardown_async() {
    torn_down_async_ = true;
    // Runs on GStreamer's own thread pool, which holds a reference to the pipeline until done.
    gst_element_call_async(
        pipeline_.get(),
        [](GstElement* element, gpointer) { gst_element_set_state(element, GST_STATE_NULL); },
        nullptr, nullptr);
}

void Pipeline::finish_stop(StopReport report) {
    state_ =
        report.outcome == StopOutcome::kFailed ? PipelineState::kFailed : PipelineState::kStopped;
    last_report_ = report;
    std::vector<StopCallback> callbacks = std::move(stop_callbacks_);
    stop_callbacks_.clear();
    // A callback may destroy this pipeline: only locals from here on.
    for (StopCallback& callback : callbacks) {
        callback(report);
    }
}

void Pipeline::cancel_watchdog() {
    if (watchdog_) {
        g_source_destroy(watchdog_.get());
        watchdog_.reset();
    }
}

std::filesystem::path Pipeline::write_dot_graph(std::string_view reason) const {
    std::filesystem::path dir = engine_.options().data_dir / "diagnostics";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        logger_.warn("cannot create {}: {}", dir.string(), ec.message());
        return {};
    }
    std::filesystem::path file =
        dir / fmt::format("{}-{}-{}.dot", name_, reason, timestamp_for_filename());
    GUnique<gchar> dot(gst_debug_bin_to_dot_data(bin(), GST_DEBUG_GRAPH_SHOW_ALL));
    std::ofstream out(file);
    out << dot.get();
    out.close();
    if (!out) {
        logger_.warn("cannot write {}", file.string());
        return {};
    }
    return file;
}

} // namespace conf
