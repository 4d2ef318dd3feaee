#include "core/running_time.hpp"

#include "core/g_ref.hpp"

#include <memory>

namespace conf {

GstClockTime running_time(GstPad* pad, GstBuffer* buffer) {
    auto event = GRef<GstEvent>::adopt(gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0));
    if (!event || !GST_BUFFER_PTS_IS_VALID(buffer)) {
        return GST_CLOCK_TIME_NONE;
    }
    const GstSegment* segment = nullptr;
    gst_event_parse_segment(event.get(), &segment);
    return gst_segment_to_running_time(segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
}

ProbeConnection add_running_time_probe(GstPad* pad) {
    auto segment = std::make_shared<GstSegment>();
    gst_segment_init(segment.get(), GST_FORMAT_UNDEFINED);
    return add_probe(
        pad,
        static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST |
                                     GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
        [segment](GstPad*, GstPadProbeInfo* info) {
            // Streaming thread: the segment and the buffers after it come in order on it.
            if ((info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) != 0) {
                GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
                if (GST_EVENT_TYPE(event) == GST_EVENT_SEGMENT) {
                    gst_event_copy_segment(event, segment.get());
                    if (segment->format == GST_FORMAT_TIME) {
                        GstSegment plain;
                        gst_segment_init(&plain, GST_FORMAT_TIME);
                        GstEvent* replacement = gst_event_new_segment(&plain);
                        gst_event_set_seqnum(replacement, gst_event_get_seqnum(event));
                        gst_event_unref(event); // the probe owns it and hands on its own
                        info->data = replacement;
                    }
                }
                return GST_PAD_PROBE_OK;
            }
            if (segment->format != GST_FORMAT_TIME) {
                return GST_PAD_PROBE_OK;
            }
            auto to_running_time = [&](GstBuffer* buffer) {
                GST_BUFFER_PTS(buffer) = gst_segment_to_running_time(segment.get(), GST_FORMAT_TIME,
                                                                     GST_BUFFER_PTS(buffer));
                GST_BUFFER_DTS(buffer) = gst_segment_to_running_time(segment.get(), GST_FORMAT_TIME,
                                                                     GST_BUFFER_DTS(buffer));
            };
            if ((info->type & GST_PAD_PROBE_TYPE_BUFFER) != 0) {
                GstBuffer* buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
                to_running_time(buffer);
                info->data = buffer;
            } else {
                GstBufferList* list =
                    gst_buffer_list_make_writable(GST_PAD_PROBE_INFO_BUFFER_LIST(info));
                for (guint i = 0; i < gst_buffer_list_length(list); ++i) {
                    to_running_time(gst_buffer_list_get_writable(list, i));
                }
                info->data = list;
            }
            return GST_PAD_PROBE_OK;
        });
}

} // namespace conf
