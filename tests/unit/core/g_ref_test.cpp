#include "core/g_ref.hpp"
#include "core/g_unique.hpp"
#include "core/probe_connection.hpp"
#include "core/signal_connection.hpp"

#include "support/leak_tracker.hpp"

#include <catch2/catch.hpp>

#include <memory>

using conf::GRef;
using conf::GUnique;

namespace {

int refcount(gpointer object) {
    return static_cast<int>(G_OBJECT(object)->ref_count);
}

GRef<GstElement> make(const char* factory, const char* name = nullptr) {
    auto element = GRef<GstElement>::adopt(gst_element_factory_make(factory, name));
    REQUIRE(element);
    return element;
}

} // namespace

TEST_CASE("GRef::adopt sinks a floating element and owns exactly one reference", "[handles]") {
    GstElement* raw = gst_element_factory_make("fakesink", nullptr);
    REQUIRE(g_object_is_floating(raw));
    gpointer watch = raw;
    g_object_add_weak_pointer(G_OBJECT(raw), &watch);
    {
        auto element = GRef<GstElement>::adopt(raw);
        CHECK_FALSE(g_object_is_floating(element.get()));
        CHECK(refcount(element.get()) == 1);

        GRef<GstElement> copy = element;
        CHECK(refcount(element.get()) == 2);
        GRef<GstElement> moved = std::move(copy);
        CHECK(refcount(element.get()) == 2);
        CHECK_FALSE(copy);
        moved.reset();
        CHECK(refcount(element.get()) == 1);
    }
    CHECK(watch == nullptr); // the last handle freed the element
}

TEST_CASE("GRef::ref adds a reference to a borrowed pointer and drops it again", "[handles]") {
    auto bin = GRef<GstElement>::adopt(gst_bin_new("bin"));
    GstElement* child = gst_element_factory_make("fakesink", "child");
    gst_bin_add(GST_BIN(bin.get()), child); // the bin owns the child now
    {
        auto borrowed = GRef<GstElement>::ref(child);
        CHECK(refcount(child) == 2);
    }
    CHECK(refcount(child) == 1);
}

TEST_CASE("GRef handles mini objects", "[handles]") {
    auto caps = GRef<GstCaps>::adopt(gst_caps_from_string("video/x-raw"));
    REQUIRE(caps);
    CHECK(GST_MINI_OBJECT_REFCOUNT_VALUE(caps.get()) == 1);
    GRef<GstCaps> copy = caps;
    CHECK(GST_MINI_OBJECT_REFCOUNT_VALUE(caps.get()) == 2);
    copy.reset();
    CHECK(GST_MINI_OBJECT_REFCOUNT_VALUE(caps.get()) == 1);
}

TEST_CASE("GUnique frees structs and fills C out-parameters", "[handles]") {
    GUnique<GError> error;
    GUnique<gchar> debug;
    auto bin = GRef<GstElement>::adopt(gst_parse_launch("no-such-element-xyz", error.out()));
    REQUIRE(error);
    CHECK(error->domain == GST_PARSE_ERROR);

    GUnique<GstStructure> s(gst_structure_new_empty("test"));
    CHECK(gst_structure_has_name(s.get(), "test"));
    GstStructure* released = s.release();
    CHECK_FALSE(s);
    gst_structure_free(released);

    GUnique<GstSDPMessage> sdp;
    REQUIRE(gst_sdp_message_new(sdp.out()) == GST_SDP_OK);
    CHECK(sdp);
}

TEST_CASE("SignalConnection disconnects on destruction and frees its callback", "[handles]") {
    auto element = make("fakesink");
    auto calls = std::make_shared<int>(0);
    {
        auto connection = conf::connect_signal<GParamSpec*>(element.get(), "notify::name",
                                                            [calls](GParamSpec*) { ++*calls; });
        REQUIRE(connection.connected());
        CHECK(calls.use_count() == 2);
        gst_object_set_name(GST_OBJECT(element.get()), "renamed");
        CHECK(*calls == 1);
    }
    CHECK(calls.use_count() == 1); // the closure's copy of the lambda is gone
    gst_object_set_name(GST_OBJECT(element.get()), "renamed-again");
    CHECK(*calls == 1);
}

TEST_CASE("SignalConnection outliving its object is harmless", "[handles]") {
    auto element = make("fakesink");
    auto connection =
        conf::connect_signal<GParamSpec*>(element.get(), "notify::name", [](GParamSpec*) {});
    element.reset(); // object gone first
    connection.disconnect();
    CHECK_FALSE(connection.connected());
}

TEST_CASE("connecting an unknown signal yields an inert connection", "[handles]") {
    auto element = make("fakesink");
    // GLib warns about the unknown signal; that warning is the expected outcome here.
    auto old_flags = g_log_set_always_fatal(static_cast<GLogLevelFlags>(G_LOG_FATAL_MASK));
    auto connection = conf::connect_signal<>(element.get(), "no-such-signal", [] {});
    g_log_set_always_fatal(old_flags);
    CHECK_FALSE(connection.connected());
}

TEST_CASE("ProbeConnection removes its probe on destruction", "[handles]") {
    auto sink = make("fakesink");
    auto pad = GRef<GstPad>::adopt(gst_element_get_static_pad(sink.get(), "sink"));
    auto state = std::make_shared<int>(0);
    {
        auto probe = conf::add_probe(pad.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                                     [state](GstPad*, GstPadProbeInfo*) {
                                         ++*state;
                                         return GST_PAD_PROBE_OK;
                                     });
        REQUIRE(probe.active());
        CHECK(state.use_count() == 2);
    }
    CHECK(state.use_count() == 1);
}

namespace {

// A pipeline lifecycle that exercises every handle kind: GRef (objects and mini objects),
// a probe and a signal connection.
void run_pipeline_with_handles() {
    auto pipeline = GRef<GstElement>::adopt(
        gst_parse_launch("fakesrc num-buffers=3 ! identity name=mid ! fakesink", nullptr));
    REQUIRE(pipeline);
    auto mid = GRef<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(pipeline.get()), "mid"));
    auto pad = GRef<GstPad>::adopt(gst_element_get_static_pad(mid.get(), "src"));
    auto probe = conf::add_probe(pad.get(), GST_PAD_PROBE_TYPE_BUFFER,
                                 [](GstPad*, GstPadProbeInfo*) { return GST_PAD_PROBE_OK; });
    auto signal = conf::connect_signal<GParamSpec*>(mid.get(), "notify::name", [](GParamSpec*) {});
    auto bus = GRef<GstBus>::adopt(gst_element_get_bus(pipeline.get()));
    REQUIRE(gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
    auto eos = GRef<GstMessage>::adopt(gst_bus_timed_pop_filtered(
        bus.get(), 5 * GST_SECOND,
        static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR)));
    REQUIRE(eos);
    CHECK(GST_MESSAGE_TYPE(eos.get()) == GST_MESSAGE_EOS);
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
}

} // namespace

TEST_CASE("handles leave no GStreamer object behind", "[handles][leaks]") {
    // Warm-up: the first run creates process-wide singletons (system clock, default task
    // pool, pad templates) that live until gst_deinit by design.
    run_pipeline_with_handles();

    conf::test::LeakTracker tracker;
    if (!tracker.available()) {
        WARN("GST_TRACERS=leaks is not set; the conf_unit_tests_leaks ctest runs this check");
        return;
    }
    run_pipeline_with_handles();
    auto alive = tracker.still_alive_after(std::chrono::seconds(2));
    INFO("still alive: " << Catch::Detail::stringify(alive));
    CHECK(alive.empty());
}
