#include "core/pipeline.hpp"
#include "core/probe_connection.hpp"

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <future>
#include <iterator>

using namespace std::chrono_literals;
using conf::Engine;
using conf::GRef;
using conf::Pipeline;
using conf::PipelineState;
using conf::StatusCode;
using conf::StopOutcome;
using conf::StopReport;

namespace {

struct Fixture {
    conf::test::TempDir dir;
    std::unique_ptr<Engine> engine;

    Fixture() {
        auto created = Engine::create({.name = "pipeline-test", .data_dir = dir.path()});
        REQUIRE(created.is_ok());
        engine = std::move(created).value();
    }
    ~Fixture() { (void)engine->stop(); }

    // Runs `fn` on the media thread and waits for it.
    template <typename F>
    auto on_media(F&& fn) {
        auto future = engine->submit(std::forward<F>(fn));
        REQUIRE(future.wait_for(10s) == std::future_status::ready);
        return future.get();
    }

    std::unique_ptr<Pipeline> parse(const std::string& name, const std::string& description) {
        auto result = on_media([&] { return Pipeline::parse(engine->impl(), name, description); });
        REQUIRE(result.is_ok());
        REQUIRE(result->is_ok());
        return std::move(*result).value();
    }

    // stop() on the media thread; waits (bounded) for the report.
    StopReport stop(Pipeline& pipeline) {
        auto promise = std::make_shared<std::promise<StopReport>>();
        auto future = promise->get_future();
        REQUIRE(on_media([&] {
                    pipeline.stop([promise](const StopReport& r) { promise->set_value(r); });
                }).is_ok());
        REQUIRE(future.wait_for(10s) == std::future_status::ready);
        return future.get();
    }

    void destroy(std::unique_ptr<Pipeline> pipeline) {
        REQUIRE(on_media([p = std::move(pipeline)]() mutable { p.reset(); }).is_ok());
    }
};

struct ErrorListener : Pipeline::Listener {
    std::promise<conf::Status> error;
    void on_pipeline_error(Pipeline&, const conf::Status& status) override {
        error.set_value(status);
    }
};

} // namespace

TEST_CASE("stop drains a live pipeline through EOS, then it cannot restart", "[pipeline]") {
    Fixture f;
    auto pipeline = f.parse("drain", "videotestsrc is-live=true ! fakesink");
    REQUIRE(f.on_media([&] { return pipeline->start(); }).is_ok());

    StopReport report = f.stop(*pipeline);
    CHECK(report.outcome == StopOutcome::kDrained);
    CHECK(report.status.is_ok());
    CHECK(pipeline->state() == PipelineState::kStopped);

    // Forward-only: a stopped pipeline stays stopped.
    auto restart = f.on_media([&] { return pipeline->start(); });
    CHECK(restart.code() == StatusCode::kFailedPrecondition);
    // A second stop reports the same outcome at once.
    CHECK(f.stop(*pipeline).outcome == StopOutcome::kDrained);
    f.destroy(std::move(pipeline));
}

TEST_CASE("stop before start reports kNotStarted", "[pipeline]") {
    Fixture f;
    auto pipeline = f.parse("idle", "videotestsrc ! fakesink");
    CHECK(f.stop(*pipeline).outcome == StopOutcome::kNotStarted);
    CHECK(pipeline->state() == PipelineState::kStopped);
    f.destroy(std::move(pipeline));
}

TEST_CASE("a pipeline that never drains is reported by the watchdog with its dot graph",
          "[pipeline][watchdog]") {
    Fixture f;
    auto pipeline = f.parse("frozen", "videotestsrc is-live=true ! identity name=stuck ! fakesink");
    GRef<GstElement> element = GRef<GstElement>::ref(GST_ELEMENT(pipeline->get()));
    auto stuck = pipeline->element("stuck");
    auto pad = GRef<GstPad>::adopt(gst_element_get_static_pad(stuck.get(), "src"));
    // A blocking probe that never lets go: the streaming thread freezes and EOS never arrives.
    auto freeze = conf::add_probe(pad.get(), GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM,
                                  [](GstPad*, GstPadProbeInfo*) { return GST_PAD_PROBE_OK; });
    REQUIRE(freeze.active());
    REQUIRE(f.on_media([&] {
                 pipeline->set_stop_timeout(300ms);
                 return pipeline->start();
             }).is_ok());

    auto started = std::chrono::steady_clock::now();
    StopReport report = f.stop(*pipeline);
    auto waited = std::chrono::steady_clock::now() - started;

    CHECK(report.outcome == StopOutcome::kWatchdog);
    CHECK(report.status.code() == StatusCode::kUnavailable);
    CHECK_THAT(report.status.message(), Catch::Contains("did not drain within 300 ms"));
    CHECK(waited >= 300ms);
    REQUIRE_FALSE(report.dot_file.empty());
    CHECK(report.dot_file.parent_path() == f.dir.path() / "diagnostics");
    std::ifstream dot(report.dot_file);
    std::string graph((std::istreambuf_iterator<char>(dot)), std::istreambuf_iterator<char>());
    CHECK_THAT(graph, Catch::StartsWith("digraph"));
    CHECK_THAT(graph, Catch::Contains("stuck"));

    // The teardown runs off the media thread and waits on the frozen streaming thread, not
    // the caller; once the freeze clears, it completes on its own and reaches NULL.
    freeze.remove();
    auto deadline = std::chrono::steady_clock::now() + 5s;
    GstState state = GST_STATE_VOID_PENDING;
    while (std::chrono::steady_clock::now() < deadline) {
        gst_element_get_state(element.get(), &state, nullptr, 100 * GST_MSECOND);
        if (state == GST_STATE_NULL) {
            break;
        }
    }
    CHECK(state == GST_STATE_NULL);
    f.destroy(std::move(pipeline));
}

TEST_CASE("start failure returns a Status naming the failing element's path", "[pipeline]") {
    Fixture f;
    auto pipeline = f.parse(
        "unwritable", "videotestsrc ! filesink name=out location=/nonexistent-dir/sub/file.raw");
    auto status = f.on_media([&] { return pipeline->start(); });
    CHECK(status.code() == StatusCode::kUnavailable);
    CHECK_THAT(status.message(), Catch::Contains("/GstPipeline:unwritable/GstFileSink:out"));
    CHECK(pipeline->state() == PipelineState::kFailed);
    f.destroy(std::move(pipeline));
}

TEST_CASE("a bus error while playing reaches the listener as a Status with the element path",
          "[pipeline]") {
    Fixture f;
    std::filesystem::path garbage = f.dir.path() / "garbage.bin";
    {
        std::ofstream out(garbage, std::ios::binary);
        for (int i = 0; i < 4096; ++i) {
            out.put(static_cast<char>((i * 7919) & 0xff));
        }
    }
    auto pipeline =
        f.parse("typefind", "filesrc location=" + garbage.string() + " ! decodebin ! fakesink");
    ErrorListener listener;
    auto error = listener.error.get_future();
    REQUIRE(f.on_media([&] {
                 pipeline->set_listener(&listener);
                 return pipeline->start();
             }).is_ok());
    REQUIRE(error.wait_for(10s) == std::future_status::ready);
    conf::Status status = error.get();
    CHECK_FALSE(status.is_ok());
    CHECK_THAT(status.message(), Catch::Contains("/GstPipeline:typefind/GstDecodeBin:"));
    CHECK(pipeline->state() == PipelineState::kFailed);
    CHECK(f.stop(*pipeline).outcome == StopOutcome::kFailed);
    f.destroy(std::move(pipeline));
}

TEST_CASE("an unparsable description is an invalid argument naming it", "[pipeline]") {
    Fixture f;
    auto result = f.on_media(
        [&] { return Pipeline::parse(f.engine->impl(), "bad", "videotestsrc ! no-such-thing"); });
    REQUIRE(result.is_ok());
    CHECK(result->status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(result->status().message(), Catch::Contains("no-such-thing"));
}
