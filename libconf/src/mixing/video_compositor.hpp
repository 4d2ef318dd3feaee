// VideoCompositor: the MCU's picture. Participants' video tracks are decoded, scaled into the
// rectangles a LayoutPlanner assigns (keeping their aspect ratio), composited on a black
// canvas and encoded once as VP8. The result is a ReceivedTrack like any participant's, so
// forwarding (SendTrack) and recording consume it unchanged.
//
//   one bin per input, "input-<member>":
//   appsrc ! rtpjitterbuffer ! depayloader [! parser] ! decoder ! videoconvert ! videoscale
//     ! capsfilter (I420, square pixels, at most the canvas) [! textoverlay] ─┐
//   ...────────────────────────────────────────────────────────────────────────┴ compositor
//     ! capsfilter (canvas) ! queue (leaky) ! vp8enc ! rtpvp8pay ! fakesink
//                                                        └ output(): probe on its src pad
//
// Never frozen by its inputs: the compositor runs live with force-live, so it produces frames
// on the clock with no input at all; an input that stalls keeps showing its last frame; its
// latency is fixed at creation (what an input reports is capped), so a join never moves the
// output's timing. A layout change only sets compositor pad properties: the compositor scales
// each tile, because any caps change on a pad costs GstVideoAggregator (1.22) an output cycle.
// A join still does (the new pad's first caps): one frame comes late, none is lost. An error
// in one input's bin (a stream that cannot be negotiated, say) removes that input only.
//
// Threads: everything on the media thread, except that RTP arrives on the sources' streaming
// threads (pushed into each input's appsrc, never blocking).
#pragma once

#include "conf/status.hpp"
#include "core/engine_impl.hpp"
#include "core/g_ref.hpp"
#include "core/log.hpp"
#include "core/pipeline.hpp"
#include "core/probe_connection.hpp"
#include "core/timer.hpp"
#include "mixing/layout.hpp"
#include "webrtc/received_track.hpp"

#include <gst/gst.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace conf {

struct VideoCompositorOptions {
    // Names the pipeline (`compositor-<name>`), the output track (`<name>-video`) and logs.
    std::string name = "mix";
    // The first layout; its canvas is the output's size and frame rate for good.
    Layout layout = grid_layout();
    LayoutPlanner::Options planner;
    // vp8enc, realtime (deadline=1), constant bitrate.
    int bitrate_kbps = 2000;
    std::chrono::milliseconds keyframe_interval{2000};
    int cpu_used = 8; // 0..16 in realtime mode: higher is faster and blurrier
    // One: libvpx's VP8 threads busy-wait on each other, and on a 2-core machine beside
    // other work that cost 1.5x ffmpeg's CPU at 9 participants (docs/benchmarks.md).
    int threads = 1;
    // A name under each tile (textoverlay, from gstreamer1.0-x's pango plugin).
    bool show_names = false;
    // Each input's jitterbuffer: the packets come de-jittered from their endpoint already.
    std::chrono::milliseconds input_latency{50};
    // How long after its jitterbuffer an input's frame may reach the compositor (decoding and
    // scaling); later frames miss their output frame. Output delay = input_latency + latency.
    std::chrono::milliseconds latency{100};
    int payload_type = 96;
};

class VideoCompositor final : private Pipeline::Listener {
  public:
    // Called on the media thread.
    class Listener {
      public:
        virtual ~Listener() = default;
        // An input's bin failed and has been removed; the output goes on without it.
        virtual void on_compositor_input_failed(VideoCompositor& /*compositor*/,
                                                const std::string& /*member_id*/,
                                                const Status& /*error*/) {}
        // The compositor's own pipeline failed: the output has stopped for good.
        virtual void on_compositor_failed(VideoCompositor& compositor, const Status& error) = 0;
        // Who is where changed (a join, a leave, a speaker switch, a new layout).
        virtual void on_layout_changed(VideoCompositor& /*compositor*/) {}
    };

    // Media thread. Builds the pipeline and starts it: output() runs at once (black).
    static Result<std::unique_ptr<VideoCompositor>>
    create(Engine::Impl& engine, VideoCompositorOptions options, Listener* listener = nullptr);
    ~VideoCompositor() override;
    VideoCompositor(const VideoCompositor&) = delete;
    VideoCompositor& operator=(const VideoCompositor&) = delete;

    // Media thread. Decodes `track` (VP8, VP9 or H.264) into the layout as `member_id`, last
    // in the layout's order, with `label` under its tile when names are shown (else the id).
    // `track` must outlive the input (or remove_input() it first).
    // kAlreadyExists for a member already in, kInvalidArgument for audio.
    Status add_input(const std::string& member_id, ReceivedTrack& track, bool screen = false,
                     const std::string& label = {});
    // Media thread. kNotFound if there is no such input.
    Status remove_input(const std::string& member_id);
    // Media thread. The canvas must be the compositor's (kInvalidArgument otherwise).
    Status set_layout(Layout layout);
    // Media thread. The speaker region follows after the planner's hold time and delay.
    void set_active_speaker(const std::string& member_id);
    // Media thread. Locked, nobody moves (see LayoutPlanner).
    void set_locked(bool locked);
    bool locked() const noexcept { return planner_.locked(); }

    // The composite, VP8 over RTP; keyframe requests on it make the encoder send one.
    ReceivedTrack& output() noexcept { return *output_; }
    const std::vector<Assignment>& assignments() const noexcept { return planner_.assignments(); }
    const Layout& layout() const noexcept { return planner_.layout(); }
    const Canvas& canvas() const noexcept { return canvas_; }
    std::vector<std::string> inputs() const;
    const std::string& name() const noexcept { return options_.name; }

  private:
    struct Input;
    class Feed;

    VideoCompositor(Engine::Impl& engine, VideoCompositorOptions options, Listener* listener);
    Status build();
    Status build_output();
    Result<std::unique_ptr<Input>> build_input(const std::string& member_id, ReceivedTrack& track,
                                               const std::string& label);
    void release(Input& input);
    void replan();
    void apply(Input& input, const Assignment* assignment);
    Input* find(const std::string& member_id);
    void on_input_error(const std::string& bin_name, const Status& error);
    void on_pipeline_error(Pipeline& pipeline, const Status& error) override;

    Engine::Impl& engine_;
    VideoCompositorOptions options_;
    Listener* listener_;
    Logger logger_;
    Canvas canvas_;
    LayoutPlanner planner_;
    std::unique_ptr<Pipeline> pipeline_;
    GRef<GstElement> compositor_;
    GRef<GstClock> clock_;
    std::unique_ptr<ReceivedTrack> output_;
    std::vector<std::unique_ptr<Input>> inputs_;
    Timer replan_timer_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0); // for tasks posted from the bus
};

} // namespace conf
