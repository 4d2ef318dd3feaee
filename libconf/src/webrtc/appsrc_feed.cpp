#include "webrtc/appsrc_feed.hpp"

#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

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

void configure_live_decoding(GstElement* depayloader, GstElement* decoder) {
    for (const char* property : {"request-keyframe", "wait-for-keyframe"}) {
        if (has_property(depayloader, property)) {
            g_object_set(depayloader, property, TRUE, nullptr);
        }
    }
    if (has_property(decoder, "max-errors")) {
        g_object_set(decoder, "max-errors", -1, nullptr);
    }
    if (has_property(decoder, "thread-type")) {
        gst_util_set_object_arg(G_OBJECT(decoder), "thread-type", "slice");
        g_object_set(decoder, "output-corrupt", FALSE, nullptr);
    }
}

ProbeConnection forward_keyframe_requests(GstElement* appsrc,
                                          std::shared_ptr<ReceivedTrack::SharedSubscription> link) {
    auto pad = GRef<GstPad>::adopt(gst_element_get_static_pad(appsrc, "src"));
    return add_probe(pad.get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                     [link = std::move(link)](GstPad*, GstPadProbeInfo* info) {
                         if (gst_video_event_is_force_key_unit(GST_PAD_PROBE_INFO_EVENT(info))) {
                             link->request_keyframe();
                         }
                         return GST_PAD_PROBE_OK;
                     });
}

} // namespace conf
