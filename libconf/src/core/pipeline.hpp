// Pipeline: a GstPipeline owned by the media thread, with the lifecycle every libconf part
// shares (LiveKit Egress does the same): the bus is watched on the media context, states only
// move forward (created → playing → stopping → stopped, or failed), and stop means EOS, a
// watchdog wait for it, then NULL. A pipeline that does not drain in time is reported with
// its dot graph written to `<data_dir>/diagnostics/` and is torn down off the media thread,
// so a frozen streaming thread can never block the caller.
#pragma once

#include "conf/status.hpp"
#include "core/engine_impl.hpp"
#include "core/g_ref.hpp"
#include "core/log.hpp"

#include <gst/gst.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace conf {

enum class PipelineState { kCreated, kPlaying, kStopping, kStopped, kFailed };
std::string_view to_string(PipelineState state) noexcept;

enum class StopOutcome {
    kDrained,    // EOS reached every sink before the watchdog fired
    kNotStarted, // never went to PLAYING; nothing to drain
    kImmediate,  // StopMode::kImmediate: set to NULL without draining, as asked
    kWatchdog,   // EOS did not arrive in time; dot graph written, torn down anyway
    kFailed,     // an error ended the pipeline (before or during the stop)
};
std::string_view to_string(StopOutcome outcome) noexcept;

struct StopReport {
    StopOutcome outcome = StopOutcome::kDrained;
    Status status;                  // the error, for kWatchdog and kFailed
    std::filesystem::path dot_file; // for kWatchdog, when it could be written
};

// Turns an ERROR (or WARNING) bus message into a Status naming the element's path:
// "/GstPipeline:rec-1/GstFileSink:sink: No space left on the resource. (debug...)".
Status status_from_message(GstMessage* message);

class Pipeline {
  public:
    class Listener {
      public:
        virtual ~Listener() = default;
        // The pipeline hit an error and has been set to NULL (state kFailed). During a stop,
        // the error goes to the stop callbacks instead.
        virtual void on_pipeline_error(Pipeline& pipeline, const Status& error) = 0;
        // EOS reached the sinks without stop() being called (a finite source ended).
        virtual void on_pipeline_eos(Pipeline& /*pipeline*/) {}
    };
    using StopCallback = std::function<void(const StopReport&)>;
    enum class StopMode {
        kDrain,     // EOS, wait for it (bounded by the watchdog), then NULL: files end cleanly
        kImmediate, // straight to NULL: for pipelines with nothing to finish (transports)
    };

    // Media thread only. `name` becomes the GstPipeline's name and the log context.
    static Result<std::unique_ptr<Pipeline>> create(Engine::Impl& engine, std::string name);
    // Builds the contents from a gst-launch description (tests, fixed recorder graphs).
    static Result<std::unique_ptr<Pipeline>> parse(Engine::Impl& engine, std::string name,
                                                   std::string_view description);

    ~Pipeline();
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    void set_listener(Listener* listener) noexcept { listener_ = listener; }
    // The watchdog budget for stop(); defaults to the engine's pipeline_stop_timeout.
    void set_stop_timeout(std::chrono::milliseconds timeout) noexcept { stop_timeout_ = timeout; }

    GstPipeline* get() const noexcept { return GST_PIPELINE(pipeline_.get()); }
    GstBin* bin() const noexcept { return GST_BIN(pipeline_.get()); }
    GRef<GstElement> element(const char* name) const;
    const std::string& name() const noexcept { return name_; }
    PipelineState state() const noexcept { return state_; }
    const Logger& logger() const noexcept { return logger_; }

    // kCreated → kPlaying. Any other state fails with kFailedPrecondition.
    Status start();
    // Stops; `done` runs on the media thread exactly once. Calling stop() again while stopping
    // adds another callback; after the end it is called at once.
    void stop(StopCallback done, StopMode mode = StopMode::kDrain);

  private:
    Pipeline(Engine::Impl& engine, std::string name, GRef<GstElement> pipeline);
    static gboolean on_bus_message(GstBus* bus, GstMessage* message, gpointer self) noexcept;
    static gboolean on_watchdog(gpointer self) noexcept;
    void handle_message(GstMessage* message);
    void fail(Status error);
    void finish_stop(StopReport report);
    void teardown_async();
    std::filesystem::path write_dot_graph(std::string_view reason) const;
    void cancel_watchdog();
    void send_eos();

    Engine::Impl& engine_;
    std::string name_;
    Logger logger_;
    GRef<GstElement> pipeline_;
    GRef<GSource> bus_watch_;
    GRef<GSource> watchdog_;
    Listener* listener_ = nullptr;
    std::chrono::milliseconds stop_timeout_;
    PipelineState state_ = PipelineState::kCreated;
    std::vector<StopCallback> stop_callbacks_;
    StopReport last_report_;
    bool torn_down_async_ = false;
    bool reached_playing_ = false; // from the bus: the pipeline itself reported PLAYING
    bool eos_deferred_ = false;    // stop() came before PLAYING; EOS goes out when it arrives
};

} // namespace conf
