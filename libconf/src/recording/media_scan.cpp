#include "recording/media_scan.hpp"

#include "core/g_ref.hpp"
#include "core/g_unique.hpp"
#include "core/probe_connection.hpp"
#include "core/signal_connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string_view>

namespace conf {

namespace {

// Shared by the scanning thread and the demuxer's streaming thread.
struct ScanState {
    std::mutex mutex;
    std::vector<ScannedStream> streams;  // guarded by mutex
    std::vector<ProbeConnection> probes; // guarded by mutex
    GstElement* pipeline = nullptr;      // borrowed; outlives the streaming thread
};

void on_pad_added(const std::shared_ptr<ScanState>& state, GstPad* pad) {
    GUnique<gchar> name(gst_pad_get_name(pad));
    std::string_view pad_name(name.get());
    RecordingManifest::Kind kind = pad_name.starts_with("video") ? RecordingManifest::VIDEO
                                   : pad_name.starts_with("audio")
                                       ? RecordingManifest::AUDIO
                                       : RecordingManifest::KIND_UNSPECIFIED;
    // This pipeline is private to the scanning call, with nobody else to post to: linking
    // from the streaming thread here is what decodebin does too.
    auto sink = GRef<GstElement>::adopt(gst_element_factory_make("fakesink", nullptr));
    if (!sink) {
        return;
    }
    g_object_set(sink.get(), "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add(GST_BIN(state->pipeline), sink.get());
    gst_element_sync_state_with_parent(sink.get());
    auto sink_pad = GRef<GstPad>::adopt(gst_element_get_static_pad(sink.get(), "sink"));

    std::lock_guard lock(state->mutex);
    std::size_t index = state->streams.size();
    state->streams.emplace_back().kind = kind;
    // The probe only counts; it is added before linking so no buffer goes uncounted.
    state->probes.push_back(add_probe(
        pad,
        static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                     GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
        [weak = std::weak_ptr<ScanState>(state), index](GstPad*, GstPadProbeInfo* info) {
            auto scan = weak.lock();
            if (!scan) {
                return GST_PAD_PROBE_OK;
            }
            std::lock_guard guard(scan->mutex);
            ScannedStream& stream = scan->streams[index];
            if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
                GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
                if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
                    GstCaps* caps = nullptr;
                    gst_event_parse_caps(event, &caps);
                    stream.caps = gst_structure_get_name(gst_caps_get_structure(caps, 0));
                }
                return GST_PAD_PROBE_OK;
            }
            GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
            GstClockTime pts = GST_BUFFER_PTS(buffer);
            ++stream.buffers;
            stream.bytes += gst_buffer_get_size(buffer);
            if (GST_CLOCK_TIME_IS_VALID(pts)) {
                GstClockTime duration = GST_BUFFER_DURATION(buffer);
                GstClockTime end = pts + (GST_CLOCK_TIME_IS_VALID(duration) ? duration : 0);
                if (!GST_CLOCK_TIME_IS_VALID(stream.first_pts) || pts < stream.first_pts) {
                    stream.first_pts = pts;
                }
                if (!GST_CLOCK_TIME_IS_VALID(stream.end) || end > stream.end) {
                    stream.end = end;
                }
            }
            return GST_PAD_PROBE_OK;
        }));
    gst_pad_link(pad, sink_pad.get());
}

} // namespace

GstClockTime MediaScan::start() const noexcept {
    GstClockTime start = GST_CLOCK_TIME_NONE;
    for (const ScannedStream& stream : streams) {
        if (GST_CLOCK_TIME_IS_VALID(stream.first_pts) &&
            (!GST_CLOCK_TIME_IS_VALID(start) || stream.first_pts < start)) {
            start = stream.first_pts;
        }
    }
    return start;
}

GstClockTime MediaScan::end() const noexcept {
    GstClockTime end = GST_CLOCK_TIME_NONE;
    for (const ScannedStream& stream : streams) {
        if (GST_CLOCK_TIME_IS_VALID(stream.end) &&
            (!GST_CLOCK_TIME_IS_VALID(end) || stream.end > end)) {
            end = stream.end;
        }
    }
    return end;
}

GstClockTime MediaScan::duration() const noexcept {
    GstClockTime first = start();
    GstClockTime last = end();
    return GST_CLOCK_TIME_IS_VALID(first) && GST_CLOCK_TIME_IS_VALID(last) && last > first
               ? last - first
               : 0;
}

Result<MediaScan> scan_media_file(const std::filesystem::path& file,
                                  RecordingManifest::Container container,
                                  std::chrono::milliseconds timeout) {
    const char* demuxer = nullptr;
    switch (container) {
    case RecordingManifest::WEBM:
    case RecordingManifest::MATROSKA:
        demuxer = "matroskademux";
        break;
    case RecordingManifest::MP4_FRAGMENTED:
        demuxer = "qtdemux";
        break;
    default:
        return invalid_argument(
            fmt::format("cannot scan container {}", RecordingManifest::Container_Name(container)));
    }
    auto pipeline = GRef<GstElement>::adopt(gst_pipeline_new("recording-scan"));
    auto source = GRef<GstElement>::adopt(gst_element_factory_make("filesrc", nullptr));
    auto demux = GRef<GstElement>::adopt(gst_element_factory_make(demuxer, nullptr));
    if (!source || !demux) {
        return Status(StatusCode::kUnimplemented,
                      fmt::format("filesrc or {} is not installed", demuxer));
    }
    g_object_set(source.get(), "location", file.c_str(), nullptr);
    gst_bin_add(GST_BIN(pipeline.get()), source.get());
    gst_bin_add(GST_BIN(pipeline.get()), demux.get());
    if (!gst_element_link(source.get(), demux.get())) {
        return internal_error(fmt::format("cannot link filesrc to {}", demuxer));
    }
    auto state = std::make_shared<ScanState>();
    state->pipeline = pipeline.get();
    SignalConnection pad_added = connect_signal<GstPad*>(
        demux.get(), "pad-added", [state](GstPad* pad) { on_pad_added(state, pad); });

    auto bus = GRef<GstBus>::adopt(gst_element_get_bus(pipeline.get()));
    MediaScan scan;
    Status outcome = Status::ok();
    if (gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        outcome = unavailable(fmt::format("{} cannot read {}", demuxer, file.string()));
    } else {
        auto message = GRef<GstMessage>::adopt(gst_bus_timed_pop_filtered(
            bus.get(),
            static_cast<GstClockTime>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count()),
            static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR)));
        if (!message) {
            outcome = Status(
                StatusCode::kDeadlineExceeded,
                fmt::format("reading {} took longer than {} ms", file.string(), timeout.count()));
        } else if (GST_MESSAGE_TYPE(message.get()) == GST_MESSAGE_ERROR) {
            GUnique<GError> error;
            GUnique<gchar> debug;
            gst_message_parse_error(message.get(), error.out(), debug.out());
            scan.error = error ? error->message : "unknown error";
        }
    }
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    pad_added.disconnect();
    {
        std::lock_guard lock(state->mutex);
        state->probes.clear();
        scan.streams = std::move(state->streams);
    }
    if (!outcome) {
        return outcome;
    }
    bool read_something = std::any_of(scan.streams.begin(), scan.streams.end(),
                                      [](const ScannedStream& s) { return s.buffers > 0; });
    if (!read_something) {
        return unavailable(fmt::format("no media could be read from {}{}", file.string(),
                                       scan.error.empty() ? "" : ": " + scan.error));
    }
    return scan;
}

} // namespace conf
