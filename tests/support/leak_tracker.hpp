// LeakTracker: asks GStreamer's `leaks` tracer which objects were created and not destroyed
// while it was watching. Active only when the process runs with GST_TRACERS=leaks (the
// `conf_unit_tests_leaks` ctest does); otherwise available() is false.
#pragma once

#include "core/g_ref.hpp"

#include <gst/gst.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace conf::test {

using conf::GRef;

class LeakTracker {
  public:
    LeakTracker();
    ~LeakTracker();
    LeakTracker(const LeakTracker&) = delete;
    LeakTracker& operator=(const LeakTracker&) = delete;

    bool available() const { return static_cast<bool>(tracer_); }
    // "GstFakeSink@0x..." for each object created since construction and still alive.
    std::vector<std::string> still_alive();
    // still_alive(), polled until it is empty or `timeout` passes: GStreamer's thread pools
    // drop their last references (a finished GstTask, say) a moment after a join returns.
    std::vector<std::string> still_alive_after(std::chrono::milliseconds timeout);

  private:
    GRef<GstTracer> tracer_;
    // Checkpoints only report what changed since the previous one: accumulate.
    std::set<std::string> created_;
    std::set<std::string> removed_;
};

} // namespace conf::test
