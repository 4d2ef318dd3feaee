#include "webrtc/appsrc_feed.hpp"

#include <gst/app/gstappsrc.h>

namespace conf {

void AppsrcFeed::push_rtp(GstBuffer* rtp) {
    GstClockTime absolute = GST_BUFFER_PTS(rtp);
    if (!GST_CLOCK_TIME_IS_VALID(absolute) || absolute < base_time_) {
        return;
    }
    auto copy = GRef<GstBuffer>::adopt(gst_buffer_copy(rtp)); // shares the payload
    GST_BUFFER_PTS(copy.get()) = absolute - base_time_;
    GST_BUFFER_DTS(copy.get()) = GST_CLOCK_TIME_NONE;
    gst_app_src_push_buffer(GST_APP_SRC(appsrc_.get()), copy.release());
}

bool has_property(GstElement* element, const char* property) {
    return g_object_class_find_property(G_OBJECT_GET_CLASS(element), property) != nullptr;
}

} // namespace conf
