// LeakTracker: asks GStreamer's `leaks` tracer which objects were created and not destroyed
// while it was watching. Active only when the process runs with GST_TRACERS=leaks (the
// `conf_unit_tests_leaks` ctest does); otherwise available() is false.
#pragma once

#include "core/g_ref.hpp"

#include <gst/gst.h>

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
    // "GstFakeSink 0x..." for each object created since construction and still alive.
    std::vector<std::string> still_alive();

  private:
    GRef<GstTracer> tracer_;
};

} // namespace conf::test
