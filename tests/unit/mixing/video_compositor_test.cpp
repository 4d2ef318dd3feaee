// VideoCompositor with real media in process: solid-colour cameras (VP8, and one H.264) as
// ReceivedTracks, the composite decoded back to RGB and checked region by region against the
// planner's assignments. Canvases stay small (640x360@15): the test machines have two cores.
#include "mixing/video_compositor.hpp"

#include "support/eventually.hpp"
#include "support/leak_tracker.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/video/video.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <mutex>
#include <thread>

using namespace std::chrono_literals;
using conf::Assignment;
using conf::Engine;
using conf::GRef;
using conf::PixelRect;
using conf::VideoCompositor;

namespace {

constexpr conf::Canvas kCanvas{640, 360, 15, 1};
constexpr auto kFrameInterval = std::chrono::nanoseconds(1'000'000'000 / 15);

constexpr std::uint32_t kRed = 0xffff0000;
constexpr std::uint32_t kGreen = 0xff00ff00;
constexpr std::uint32_t kBlue = 0xff0000ff;
constexpr std::uint32_t kWhite = 0xffffffff;
constexpr std::uint32_t kYellow = 0xffffff00;
constexpr std::uint32_t kBlack = 0xff000000;

constexpr const char* kVp8Caps =
    "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96";
constexpr const char* kH264Caps =
    "application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload=96";

// Helpers that run on the media thread return nullptr or a Status on failure: Catch's
// assertions belong to the test thread.

// A participant's camera: one solid colour at 320x180@15, encoded and payloaded in a pipeline
// of its own, with a ReceivedTrack on the payloader's src pad (as an Endpoint has on
// webrtcbin's).
struct Camera {
    std::string id;
    std::uint32_t colour = 0;
    std::unique_ptr<conf::Pipeline> pipeline;
    std::unique_ptr<conf::ReceivedTrack> track;
};

// `codec`: "VP8", "VP9" or "H264", encoded as a browser would (realtime, no B-frames).
std::unique_ptr<Camera> make_camera(Engine::Impl& engine, const std::string& id,
                                    std::uint32_t colour, std::string_view codec = "VP8") {
    std::string encoder = "vp8enc deadline=1 ! rtpvp8pay name=pay";
    if (codec == "VP9") {
        encoder = "vp9enc deadline=1 cpu-used=8 lag-in-frames=0 ! rtpvp9pay name=pay";
    } else if (codec == "H264") {
        encoder = "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 "
                  "! video/x-h264,profile=constrained-baseline ! rtph264pay name=pay "
                  "config-interval=-1";
    }
    auto pipeline = conf::Pipeline::parse(
        engine, "camera-" + id,
        fmt::format("videotestsrc is-live=true pattern=solid-color foreground-color={:#x} "
                    "! video/x-raw,width=320,height=180,framerate=15/1 ! {} "
                    "! fakesink sync=false async=false",
                    colour, encoder));
    if (!pipeline) {
        return nullptr;
    }
    auto camera = std::make_unique<Camera>();
    camera->id = id;
    camera->colour = colour;
    camera->pipeline = std::move(pipeline).value();
    auto pay = camera->pipeline->element("pay");
    auto pad = GRef<GstPad>::adopt(gst_element_get_static_pad(pay.get(), "src"));
    std::string caps = fmt::format(
        "application/x-rtp,media=video,encoding-name={},clock-rate=90000,payload=96", codec);
    camera->track = std::make_unique<conf::ReceivedTrack>(
        id + "-video", *conf::find_codec(codec),
        GRef<GstCaps>::adopt(gst_caps_from_string(caps.c_str())), std::move(pad),
        GRef<GstElement>::ref(GST_ELEMENT(camera->pipeline->get())));
    if (!camera->pipeline->start()) {
        return nullptr;
    }
    return camera;
}

// When each output frame went by: its PTS (absolute clock) and when it reached the viewer.
struct FrameTime {
    GstClockTime pts;
    std::chrono::steady_clock::time_point arrival;
};

// Watches the compositor's output like a subscriber would: records frame times from the RTP
// and decodes it (rtpvp8depay ! vp8dec) into RGB frames the test reads.
class Viewer {
  public:
    static std::unique_ptr<Viewer> create(Engine::Impl& engine, conf::ReceivedTrack& track) {
        auto pipeline = conf::Pipeline::parse(
            engine, "viewer",
            fmt::format("appsrc name=src is-live=true format=time do-timestamp=true caps=\"{}\" "
                        "! rtpjitterbuffer latency=20 ! rtpvp8depay name=depay ! vp8dec "
                        "! videoconvert ! video/x-raw,format=RGB "
                        "! appsink name=frames sync=false max-buffers=1 drop=true",
                        kVp8Caps));
        if (!pipeline) {
            return nullptr;
        }
        auto viewer = std::unique_ptr<Viewer>(new Viewer());
        viewer->pipeline_ = std::move(pipeline).value();
        viewer->appsink_ = viewer->pipeline_->element("frames");
        viewer->feed_ = std::make_shared<Feed>(viewer->pipeline_->element("src"));
        auto depay = viewer->pipeline_->element("depay");
        auto pad = GRef<GstPad>::adopt(gst_element_get_static_pad(depay.get(), "src"));
        viewer->keyframe_probe_ =
            conf::add_probe(pad.get(), GST_PAD_PROBE_TYPE_BUFFER,
                            [feed = viewer->feed_](GstPad*, GstPadProbeInfo* info) {
                                if (!GST_BUFFER_FLAG_IS_SET(GST_PAD_PROBE_INFO_BUFFER(info),
                                                            GST_BUFFER_FLAG_DELTA_UNIT)) {
                                    feed->keyframes.fetch_add(1);
                                }
                                return GST_PAD_PROBE_OK;
                            });
        if (!viewer->pipeline_->start()) {
            return nullptr;
        }
        viewer->subscription_ = track.subscribe(viewer->feed_);
        // As every subscriber does: decoding starts at a keyframe.
        viewer->subscription_.request_keyframe();
        return viewer;
    }
    ~Viewer() { subscription_.reset(); }

    // Test thread. The newest decoded frame (the previous one if none came since).
    GstSample* latest() {
        auto sample =
            GRef<GstSample>::adopt(gst_app_sink_try_pull_sample(GST_APP_SINK(appsink_.get()), 0));
        if (sample) {
            latest_ = std::move(sample);
        }
        return latest_.get();
    }
    std::vector<FrameTime> frames() {
        std::lock_guard lock(feed_->mutex);
        return feed_->frames;
    }
    void clear_frames() {
        std::lock_guard lock(feed_->mutex);
        feed_->frames.clear();
    }
    int keyframes() const { return feed_->keyframes.load(); }

  private:
    struct Feed : conf::RtpSink {
        explicit Feed(GRef<GstElement> src) : appsrc(std::move(src)) {}
        void push_rtp(GstBuffer* rtp) override {
            GstRTPBuffer packet = GST_RTP_BUFFER_INIT;
            if (gst_rtp_buffer_map(rtp, GST_MAP_READ, &packet)) {
                guint32 timestamp = gst_rtp_buffer_get_timestamp(&packet);
                gst_rtp_buffer_unmap(&packet);
                std::lock_guard lock(mutex);
                if (frames.empty() || timestamp != last_timestamp) {
                    frames.push_back({GST_BUFFER_PTS(rtp), std::chrono::steady_clock::now()});
                    last_timestamp = timestamp;
                }
            }
            auto copy = GRef<GstBuffer>::adopt(gst_buffer_copy(rtp));
            GST_BUFFER_PTS(copy.get()) = GST_CLOCK_TIME_NONE;
            GST_BUFFER_DTS(copy.get()) = GST_CLOCK_TIME_NONE;
            gst_app_src_push_buffer(GST_APP_SRC(appsrc.get()), copy.release());
        }
        GRef<GstElement> appsrc;
        std::mutex mutex;
        std::vector<FrameTime> frames; // under `mutex`
        guint32 last_timestamp = 0;    // under `mutex`
        std::atomic<int> keyframes{0};
    };
    Viewer() = default;

    std::unique_ptr<conf::Pipeline> pipeline_;
    GRef<GstElement> appsink_;
    std::shared_ptr<Feed> feed_;
    conf::ProbeConnection keyframe_probe_;
    conf::ReceivedTrack::Subscription subscription_;
    GRef<GstSample> latest_; // test thread only
};

struct Rgb {
    double r = 0;
    double g = 0;
    double b = 0;
};

// Mean colour of the middle of `rect` (its central half each way), so scaling seams and
// letterbox edges do not count.
Rgb mean_colour(GstSample* sample, const PixelRect& rect) {
    GstVideoInfo info;
    REQUIRE(gst_video_info_from_caps(&info, gst_sample_get_caps(sample)));
    GstVideoFrame frame;
    REQUIRE(gst_video_frame_map(&frame, &info, gst_sample_get_buffer(sample), GST_MAP_READ));
    int x0 = rect.x + rect.width / 4;
    int y0 = rect.y + rect.height / 4;
    int x1 = std::min(rect.x + rect.width * 3 / 4, GST_VIDEO_INFO_WIDTH(&info));
    int y1 = std::min(rect.y + rect.height * 3 / 4, GST_VIDEO_INFO_HEIGHT(&info));
    const auto* pixels = static_cast<const guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
    int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
    Rgb sum;
    double count = 0;
    for (int y = y0; y < y1; ++y) {
        for (int x = x0; x < x1; ++x) {
            const guint8* p = pixels + static_cast<std::ptrdiff_t>(y) * stride + x * 3;
            sum.r += p[0];
            sum.g += p[1];
            sum.b += p[2];
            count += 1;
        }
    }
    gst_video_frame_unmap(&frame);
    return count > 0 ? Rgb{sum.r / count, sum.g / count, sum.b / count} : Rgb{};
}

bool looks_like(const Rgb& c, std::uint32_t argb) {
    constexpr double kTolerance = 48; // VP8 at a low bitrate, I420 and back
    auto near = [](double value, std::uint32_t channel) {
        return std::abs(value - static_cast<double>(channel & 0xff)) <= kTolerance;
    };
    return near(c.r, argb >> 16) && near(c.g, argb >> 8) && near(c.b, argb);
}

std::string describe(const Rgb& c) {
    return fmt::format("({:.0f},{:.0f},{:.0f})", c.r, c.g, c.b);
}

// What the compositor reported, read from the test thread.
struct Reports : VideoCompositor::Listener {
    void on_compositor_input_failed(VideoCompositor&, const std::string& member_id,
                                    const conf::Status& error) override {
        std::lock_guard lock(mutex);
        failed_inputs.push_back(member_id);
        last_error = error.message();
    }
    void on_compositor_failed(VideoCompositor&, const conf::Status& error) override {
        std::lock_guard lock(mutex);
        compositor_error = error.message();
    }
    std::vector<std::string> failed() {
        std::lock_guard lock(mutex);
        return failed_inputs;
    }
    std::mutex mutex;
    std::vector<std::string> failed_inputs;
    std::string last_error;
    std::string compositor_error;
};

struct Fixture {
    conf::test::TempDir dir;
    Reports reports;
    std::unique_ptr<Engine> engine;
    std::vector<std::unique_ptr<Camera>> cameras;
    std::unique_ptr<VideoCompositor> compositor;
    std::unique_ptr<Viewer> viewer;

    Fixture() {
        auto created = Engine::create({.name = "mixing-test", .data_dir = dir.path()});
        REQUIRE(created.is_ok());
        engine = std::move(created).value();
    }
    ~Fixture() {
        // Subscribers before what they subscribe to; all on the media thread.
        auto done = engine->submit([this] {
            viewer.reset();
            compositor.reset();
            cameras.clear();
        });
        done.wait_for(20s);
        (void)engine->stop();
    }

    template <typename F>
    auto on_media(F&& fn) {
        auto future = engine->submit(std::forward<F>(fn));
        REQUIRE(future.wait_for(20s) == std::future_status::ready);
        return future.get();
    }

    static conf::VideoCompositorOptions options() {
        conf::VideoCompositorOptions o;
        o.name = "test";
        o.layout = conf::grid_layout(kCanvas);
        o.bitrate_kbps = 600;
        o.threads = 1;
        return o;
    }

    void start(conf::VideoCompositorOptions o) {
        REQUIRE(on_media([&] {
                    auto made = VideoCompositor::create(engine->impl(), o, &reports);
                    if (!made) {
                        return made.status();
                    }
                    compositor = std::move(made).value();
                    viewer = Viewer::create(engine->impl(), compositor->output());
                    return viewer ? conf::Status::ok() : conf::internal_error("no viewer");
                }).is_ok());
    }

    Camera& add_camera(const std::string& id, std::uint32_t colour,
                       std::string_view codec = "VP8") {
        Camera* camera = nullptr;
        REQUIRE(on_media([&] {
                    auto made = make_camera(engine->impl(), id, colour, codec);
                    if (!made) {
                        return conf::internal_error("no camera " + id);
                    }
                    camera = cameras.emplace_back(std::move(made)).get();
                    return compositor->add_input(id, *camera->track);
                }).is_ok());
        return *camera;
    }

    std::vector<Assignment> assignments() {
        return on_media([&] { return compositor->assignments(); }).value();
    }

    std::uint32_t colour_of(const std::string& id) const {
        for (const auto& camera : cameras) {
            if (camera->id == id) {
                return camera->colour;
            }
        }
        return kBlack;
    }

    // Whether the newest frame shows every assigned participant's colour in its rectangle.
    // `why` says what did not match, for the failure message.
    bool frame_matches(const std::vector<Assignment>& placed, std::string& why) {
        GstSample* frame = viewer->latest();
        if (frame == nullptr) {
            why = "no frame decoded yet";
            return false;
        }
        why.clear();
        for (const Assignment& a : placed) {
            Rgb seen = mean_colour(frame, a.rect);
            if (!looks_like(seen, colour_of(a.participant))) {
                why += fmt::format("{} at {},{}: {}; ", a.participant, a.rect.x, a.rect.y,
                                   describe(seen));
            }
        }
        return why.empty();
    }

    void require_frame_matches(const std::vector<Assignment>& placed) {
        std::string why;
        bool matched = conf::test::eventually([&] { return frame_matches(placed, why); }, 20s);
        INFO(why);
        REQUIRE(matched);
    }
};

const Assignment* find(const std::vector<Assignment>& placed, const std::string& id) {
    auto it = std::find_if(placed.begin(), placed.end(),
                           [&](const Assignment& a) { return a.participant == id; });
    return it != placed.end() ? &*it : nullptr;
}

struct GapReport {
    std::size_t frames = 0;
    double max_pts_gap_ms = 0;
    double max_arrival_gap_ms = 0;
    double mean_interval_ms = 0;
};

GapReport gaps(const std::vector<FrameTime>& frames) {
    GapReport report;
    report.frames = frames.size();
    for (std::size_t i = 1; i < frames.size(); ++i) {
        double pts_gap = static_cast<double>(frames[i].pts - frames[i - 1].pts) / 1e6;
        double arrival_gap =
            std::chrono::duration<double, std::milli>(frames[i].arrival - frames[i - 1].arrival)
                .count();
        report.max_pts_gap_ms = std::max(report.max_pts_gap_ms, pts_gap);
        report.max_arrival_gap_ms = std::max(report.max_arrival_gap_ms, arrival_gap);
    }
    if (frames.size() > 1) {
        report.mean_interval_ms = static_cast<double>(frames.back().pts - frames.front().pts) /
                                  1e6 / static_cast<double>(frames.size() - 1);
    }
    return report;
}

} // namespace

TEST_CASE("the compositor runs without inputs: black frames at the canvas rate",
          "[mixing][compositor]") {
    Fixture f;
    f.start(Fixture::options());
    REQUIRE(conf::test::eventually([&] { return f.viewer->latest() != nullptr; }, 20s));
    CHECK(looks_like(mean_colour(f.viewer->latest(), {0, 0, 640, 360}), kBlack));
    f.viewer->clear_frames();
    std::this_thread::sleep_for(2s);
    GapReport report = gaps(f.viewer->frames());
    std::printf("no inputs: %zu frames in 2 s, mean interval %.1f ms, max PTS gap %.1f ms\n",
                report.frames, report.mean_interval_ms, report.max_pts_gap_ms);
    CHECK(report.frames >= 20);
    CHECK(report.mean_interval_ms == Approx(1000.0 / 15).margin(1.0));
}

TEST_CASE("four cameras in a 2x2 grid, then the speaker layout follows the active speaker "
          "after the hold time",
          "[mixing][compositor]") {
    Fixture f;
    auto options = Fixture::options();
    options.planner.min_hold = 3000ms;
    options.planner.switch_delay = 0ms;
    f.start(options);
    f.add_camera("red", kRed);
    f.add_camera("green", kGreen);
    f.add_camera("blue", kBlue);
    f.add_camera("white", kWhite);

    auto grid = f.assignments();
    REQUIRE(grid.size() == 4);
    CHECK(find(grid, "red")->rect == PixelRect{0, 0, 320, 180});
    CHECK(find(grid, "green")->rect == PixelRect{320, 0, 320, 180});
    CHECK(find(grid, "blue")->rect == PixelRect{0, 180, 320, 180});
    CHECK(find(grid, "white")->rect == PixelRect{320, 180, 320, 180});
    f.require_frame_matches(grid);

    // Speaker layout: nobody has spoken, so red (first) takes the large region; blue starts
    // talking at once but takes over only when red's hold time is over.
    auto layout_time = std::chrono::steady_clock::now();
    auto speaker_layout = f.on_media([&] {
                               layout_time = std::chrono::steady_clock::now();
                               auto set = f.compositor->set_layout(conf::speaker_layout(kCanvas));
                               f.compositor->set_active_speaker("blue");
                               return set ? f.compositor->assignments() : std::vector<Assignment>{};
                           }).value();
    const Assignment* big = find(speaker_layout, "red");
    REQUIRE(big != nullptr);
    CHECK(big->rect == PixelRect{0, 0, 640, 288});
    CHECK(find(speaker_layout, "green")->rect == PixelRect{128, 288, 128, 72});
    CHECK(find(speaker_layout, "blue")->rect == PixelRect{256, 288, 128, 72});
    CHECK(find(speaker_layout, "white")->rect == PixelRect{384, 288, 128, 72});
    f.require_frame_matches(speaker_layout);
    // The 16:9 picture in the 640x288 region is pillarboxed: black bands left and right.
    CHECK(looks_like(mean_colour(f.viewer->latest(), {0, 0, 60, 288}), kBlack));
    CHECK(looks_like(mean_colour(f.viewer->latest(), {580, 0, 60, 288}), kBlack));

    // Still red shortly before the hold time ends.
    std::this_thread::sleep_until(layout_time + 2500ms);
    if (std::chrono::steady_clock::now() < layout_time + 2900ms) {
        CHECK(find(f.assignments(), "red")->rect == PixelRect{0, 0, 640, 288});
    }
    // Then blue, and red takes blue's place in the strip.
    REQUIRE(conf::test::eventually(
        [&] {
            return find(f.assignments(), "blue")->rect == PixelRect{0, 0, 640, 288};
        },
        10s));
    auto switched_at = std::chrono::steady_clock::now();
    CHECK(switched_at - layout_time >= 3000ms);
    auto after = f.assignments();
    CHECK(find(after, "red")->rect == PixelRect{256, 288, 128, 72});
    f.require_frame_matches(after);
    std::printf("speaker switch: planner after %.0f ms (hold 3000 ms)\n",
                std::chrono::duration<double, std::milli>(switched_at - layout_time).count());

    // Locked: green leaves a black hole in the strip, and red talking moves nobody.
    REQUIRE(f.on_media([&] {
                 f.compositor->set_locked(true);
                 f.compositor->set_active_speaker("red");
                 return f.compositor->remove_input("green");
             }).is_ok());
    auto locked = f.assignments();
    REQUIRE(locked.size() == 3);
    CHECK(find(locked, "blue")->rect == PixelRect{0, 0, 640, 288});
    CHECK(find(locked, "red")->rect == PixelRect{256, 288, 128, 72});
    CHECK(find(locked, "white")->rect == PixelRect{384, 288, 128, 72});
    f.require_frame_matches(locked);
    CHECK(conf::test::eventually(
        [&] {
            return looks_like(mean_colour(f.viewer->latest(), {128, 288, 128, 72}), kBlack);
        },
        10s));
    std::this_thread::sleep_for(500ms);
    CHECK(f.assignments() == locked);
}

TEST_CASE("joins and leaves never freeze the output", "[mixing][compositor]") {
    Fixture f;
    f.start(Fixture::options());
    f.add_camera("red", kRed);
    f.add_camera("green", kGreen);
    f.add_camera("blue", kBlue);
    f.add_camera("white", kWhite);
    f.require_frame_matches(f.assignments());

    f.viewer->clear_frames();
    std::this_thread::sleep_for(1s);
    // A fifth joins, on H.264 (another codec of the table): a 3x2 grid.
    auto join_at = std::chrono::steady_clock::now();
    f.add_camera("yellow", kYellow, "H264");
    auto five = f.assignments();
    REQUIRE(five.size() == 5);
    CHECK(find(five, "yellow")->rect == PixelRect{320, 180, 214, 180});
    f.require_frame_matches(five);
    std::this_thread::sleep_for(1s);
    // Red leaves: back to 2x2 without it.
    auto leave_at = std::chrono::steady_clock::now();
    REQUIRE(f.on_media([&] { return f.compositor->remove_input("red"); }).is_ok());
    auto four = f.assignments();
    REQUIRE(four.size() == 4);
    CHECK(find(four, "red") == nullptr);
    f.require_frame_matches(four);
    std::this_thread::sleep_for(1s);

    auto frames = f.viewer->frames();
    GapReport report = gaps(frames);
    // Where the output's cadence stretched beyond one and a half frames, relative to the
    // join and the leave (for the report; the PTS never skip).
    auto ms_since_start = [&](auto t) {
        return std::chrono::duration<double, std::milli>(t - frames.front().arrival).count();
    };
    for (std::size_t i = 1; i < frames.size(); ++i) {
        auto gap = frames[i].arrival - frames[i - 1].arrival;
        if (gap > kFrameInterval * 3 / 2) {
            std::printf("  late frame: %.1f ms after the previous one, at %+.0f ms from the join, "
                        "%+.0f ms from the leave\n",
                        std::chrono::duration<double, std::milli>(gap).count(),
                        ms_since_start(frames[i].arrival) - ms_since_start(join_at),
                        ms_since_start(frames[i].arrival) - ms_since_start(leave_at));
        }
    }
    double seconds =
        std::chrono::duration<double>(frames.back().arrival - frames.front().arrival).count();
    std::printf("join/leave: %zu frames in %.2f s (%.1f fps), mean PTS interval %.2f ms, "
                "max PTS gap %.2f ms, max arrival gap %.1f ms (frame interval 66.67 ms)\n",
                report.frames, seconds, static_cast<double>(report.frames - 1) / seconds,
                report.mean_interval_ms, report.max_pts_gap_ms, report.max_arrival_gap_ms);
    double interval_ms = std::chrono::duration<double, std::milli>(kFrameInterval).count();
    CHECK(report.max_pts_gap_ms <= interval_ms + 5.0);
    // Arrival times carry the machine's scheduling jitter (two loaded cores, sanitizers), and
    // a join delays one frame by up to an input frame (GstVideoAggregator renegotiates on a
    // new pad's caps); a frozen output would stop for seconds.
    CHECK(report.max_arrival_gap_ms < 1000.0);
    CHECK(static_cast<double>(report.frames) >= seconds * 15 * 0.9);
}

TEST_CASE("a keyframe request on the output makes the encoder send one", "[mixing][compositor]") {
    Fixture f;
    auto options = Fixture::options();
    options.keyframe_interval = 60s; // none on its own during the test
    f.start(options);
    f.add_camera("red", kRed);
    REQUIRE(conf::test::eventually([&] { return f.viewer->keyframes() >= 1; }, 20s));
    for (int i = 0; i < 2; ++i) {
        std::this_thread::sleep_for(500ms);
        int before = f.viewer->keyframes();
        f.compositor->output().request_keyframe(); // what a subscriber's PLI does
        CHECK(conf::test::eventually([&] { return f.viewer->keyframes() > before; }, 2s));
    }
}

TEST_CASE("the compositor refuses what it cannot do", "[mixing][compositor]") {
    Fixture f;
    f.start(Fixture::options());
    f.add_camera("red", kRed);
    auto codes =
        f.on_media([&] {
             std::map<std::string, conf::StatusCode> out;
             auto& engine = f.engine->impl();
             out["twice"] = f.compositor->add_input("red", *f.cameras[0]->track).code();
             out["unknown"] = f.compositor->remove_input("nobody").code();
             out["canvas"] = f.compositor->set_layout(conf::grid_layout({1280, 720, 30, 1})).code();
             conf::Region outside;
             outside.x = 0.5;
             auto bad = conf::custom_layout("bad", kCanvas, {outside});
             out["region"] = f.compositor->set_layout(bad).code();
             // An audio track is not a picture.
             auto audio =
                 conf::Pipeline::parse(engine, "audio",
                                       "audiotestsrc is-live=true ! opusenc ! rtpopuspay name=pay "
                                       "! fakesink sync=false async=false");
             if (audio) {
                 auto pay = (*audio)->element("pay");
                 conf::ReceivedTrack track(
                     "audio", *conf::find_codec("OPUS"),
                     GRef<GstCaps>::adopt(
                         gst_caps_from_string("application/x-rtp,media=audio,encoding-name=OPUS,"
                                              "clock-rate=48000")),
                     GRef<GstPad>::adopt(gst_element_get_static_pad(pay.get(), "src")),
                     GRef<GstElement>::ref(GST_ELEMENT((*audio)->get())));
                 out["audio"] = f.compositor->add_input("voice", track).code();
             }
             auto options = Fixture::options();
             options.layout.canvas.width = 641;
             out["odd canvas"] = VideoCompositor::create(engine, options).status().code();
             out["inputs"] = f.compositor->inputs() == std::vector<std::string>{"red"}
                                 ? conf::StatusCode::kOk
                                 : conf::StatusCode::kInternal;
             return out;
         }).value();
    CHECK(codes["twice"] == conf::StatusCode::kAlreadyExists);
    CHECK(codes["unknown"] == conf::StatusCode::kNotFound);
    CHECK(codes["canvas"] == conf::StatusCode::kInvalidArgument);
    CHECK(codes["region"] == conf::StatusCode::kInvalidArgument);
    CHECK(codes["audio"] == conf::StatusCode::kInvalidArgument);
    CHECK(codes["odd canvas"] == conf::StatusCode::kInvalidArgument);
    CHECK(codes["inputs"] == conf::StatusCode::kOk);
}

TEST_CASE("names under tiles when asked for", "[mixing][compositor]") {
    bool has_textoverlay =
        GRef<GstElementFactory>::adopt(gst_element_factory_find("textoverlay")).get() != nullptr;
    Fixture f;
    auto options = Fixture::options();
    options.show_names = true;
    if (!has_textoverlay) {
        auto refused = f.on_media(
            [&] { return VideoCompositor::create(f.engine->impl(), options).status().code(); });
        CHECK(refused.value() == conf::StatusCode::kUnimplemented);
        WARN("textoverlay is missing (Debian: gstreamer1.0-x): names not checked");
        return;
    }
    f.start(options);
    f.add_camera("red", kRed);
    auto placed = f.assignments();
    REQUIRE(placed.size() == 1);
    CHECK(placed[0].rect == PixelRect{0, 0, 640, 360});
    f.require_frame_matches(placed);
    // The name is drawn bottom centre on a shaded band: not red there, red above it.
    Rgb band = mean_colour(f.viewer->latest(), {296, 322, 48, 32});
    INFO("name band " << describe(band));
    CHECK_FALSE(looks_like(band, kRed));
    CHECK(looks_like(mean_colour(f.viewer->latest(), {0, 0, 640, 200}), kRed));
}

TEST_CASE("a broken input is removed and nothing else is", "[mixing][compositor]") {
    Fixture f;
    f.start(Fixture::options());
    f.add_camera("red", kRed);
    f.require_frame_matches(f.assignments());
    // A track that says H.264 in its caps but is handled as VP8: the input cannot negotiate,
    // its bin posts an error.
    REQUIRE(f.on_media([&] {
                 auto made = make_camera(f.engine->impl(), "liar", kGreen);
                 if (!made) {
                     return conf::internal_error("no camera");
                 }
                 auto& camera = *f.cameras.emplace_back(std::move(made));
                 auto pad = GRef<GstPad>::adopt(
                     gst_element_get_static_pad(camera.pipeline->element("pay").get(), "src"));
                 camera.track = std::make_unique<conf::ReceivedTrack>(
                     "liar-video", *conf::find_codec("VP8"),
                     GRef<GstCaps>::adopt(gst_caps_from_string(kH264Caps)), std::move(pad),
                     GRef<GstElement>::ref(GST_ELEMENT(camera.pipeline->get())));
                 return f.compositor->add_input("liar", *camera.track);
             }).is_ok());
    REQUIRE(conf::test::eventually([&] { return !f.reports.failed().empty(); }, 20s));
    CHECK(f.reports.failed() == std::vector<std::string>{"liar"});
    INFO(f.reports.last_error);
    CHECK(f.reports.last_error.find("input-liar") != std::string::npos);
    auto inputs = f.on_media([&] { return f.compositor->inputs(); }).value();
    CHECK(inputs == std::vector<std::string>{"red"});
    // The output goes on, red alone on the canvas again.
    auto placed = f.assignments();
    REQUIRE(placed.size() == 1);
    CHECK(placed[0].rect == PixelRect{0, 0, 640, 360});
    f.viewer->clear_frames();
    f.require_frame_matches(placed);
    std::this_thread::sleep_for(500ms);
    CHECK(f.viewer->frames().size() >= 5);
    CHECK(f.reports.compositor_error.empty());
}

namespace {

// Everything a compositor does once: inputs on two codecs, a layout change, a leave, a
// failed input, then teardown.
void composite_for_a_moment() {
    Fixture f;
    f.start(Fixture::options());
    f.add_camera("red", kRed);
    f.add_camera("yellow", kYellow, "H264");
    f.require_frame_matches(f.assignments());
    REQUIRE(f.on_media([&] {
                 return f.compositor->set_layout(conf::speaker_layout(kCanvas));
             }).is_ok());
    f.require_frame_matches(f.assignments());
    REQUIRE(f.on_media([&] { return f.compositor->remove_input("yellow"); }).is_ok());
    f.require_frame_matches(f.assignments());
}

} // namespace

TEST_CASE("a compositor leaves no GStreamer object behind", "[mixing][compositor][leaks]") {
    // Warm-up: process-wide singletons (clock, task pools, plugin class data) live until
    // gst_deinit by design.
    composite_for_a_moment();
    conf::test::LeakTracker tracker;
    if (!tracker.available()) {
        WARN("GST_TRACERS=leaks is not set; the mixing:leaks ctest runs this check");
        return;
    }
    composite_for_a_moment();
    auto alive = tracker.still_alive_after(std::chrono::seconds(2));
    INFO("still alive: " << Catch::Detail::stringify(alive));
    CHECK(alive.empty());
}

TEST_CASE("VP8, VP9 and H.264 inputs side by side", "[mixing][compositor]") {
    Fixture f;
    f.start(Fixture::options());
    f.add_camera("red", kRed, "VP8");
    f.add_camera("green", kGreen, "VP9");
    f.add_camera("blue", kBlue, "H264");
    auto placed = f.assignments();
    REQUIRE(placed.size() == 3);
    f.require_frame_matches(placed);
}
