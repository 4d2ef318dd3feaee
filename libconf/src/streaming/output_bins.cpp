#include "streaming/output_bins.hpp"

#include <fmt/format.h>

namespace conf {

namespace {

constexpr GstClockTime kFlvLatency = 300 * GST_MSECOND;

Result<GRef<GstElement>> make(const char* factory, const std::string& name) {
    auto element = GRef<GstElement>::adopt(gst_element_factory_make(factory, name.c_str()));
    if (!element) {
        return Status(StatusCode::kUnimplemented,
                      fmt::format("GStreamer element {} is not installed", factory));
    }
    return element;
}

GstFlowReturn door_chain(GstPad* pad, GstObject* parent, GstBuffer* buffer) noexcept {
    // What the output answers concerns the output alone: its error is on the bus already,
    // and the tee must keep feeding every other output.
    (void)gst_proxy_pad_chain_default(pad, parent, buffer);
    return GST_FLOW_OK;
}

GstFlowReturn door_chain_list(GstPad* pad, GstObject* parent, GstBufferList* list) noexcept {
    (void)gst_proxy_pad_chain_list_default(pad, parent, list);
    return GST_FLOW_OK;
}

// A leaky queue: a slow output drops its oldest data rather than hold up the tee.
Result<GRef<GstElement>> make_queue(const std::string& name, std::chrono::milliseconds time) {
    auto queue = make("queue", name);
    if (queue) {
        g_object_set(queue->get(), "max-size-buffers", 0U, "max-size-bytes", 0U, "max-size-time",
                     static_cast<guint64>(time.count()) * GST_MSECOND, nullptr);
        gst_util_set_object_arg(G_OBJECT(queue->get()), "leaky", "downstream");
    }
    return queue;
}

// Exposes `target` (a sink pad inside `bin`) as the bin's pad `name`, behind the door.
Status add_door(GstElement* bin, const char* name, GstElement* element) {
    auto target = GRef<GstPad>::adopt(gst_element_get_static_pad(element, "sink"));
    auto ghost = GRef<GstPad>::adopt(gst_ghost_pad_new(name, target.get()));
    if (!ghost) {
        return internal_error(
            fmt::format("cannot expose {}'s {} pad", GST_ELEMENT_NAME(bin), name));
    }
    gst_pad_set_chain_function(ghost.get(), door_chain);
    gst_pad_set_chain_list_function(ghost.get(), door_chain_list);
    if (!gst_element_add_pad(bin, ghost.get())) {
        return internal_error(fmt::format("cannot add pad {} to {}", name, GST_ELEMENT_NAME(bin)));
    }
    return Status::ok();
}

Status link(GstElement* from, GstElement* to) {
    if (!gst_element_link(from, to)) {
        return internal_error(
            fmt::format("cannot link {} to {}", GST_ELEMENT_NAME(from), GST_ELEMENT_NAME(to)));
    }
    return Status::ok();
}

// Links `from` to a new request pad `pad_template` of `mux`, kept in `out` for release.
Status link_to_mux(GstElement* from, OutputBin& out, const char* pad_template) {
    auto pad = GRef<GstPad>::adopt(gst_element_request_pad_simple(out.mux.get(), pad_template));
    auto src = GRef<GstPad>::adopt(gst_element_get_static_pad(from, "src"));
    if (!pad) {
        return internal_error(
            fmt::format("{} gives no {} pad", GST_ELEMENT_NAME(out.mux.get()), pad_template));
    }
    out.mux_pads.push_back(pad);
    if (gst_pad_link(src.get(), pad.get()) != GST_PAD_LINK_OK) {
        return internal_error(fmt::format("cannot link {} to {}'s {} pad", GST_ELEMENT_NAME(from),
                                          GST_ELEMENT_NAME(out.mux.get()), pad_template));
    }
    return Status::ok();
}

void add(GstElement* bin, std::initializer_list<GstElement*> elements) {
    for (GstElement* element : elements) {
        gst_bin_add(GST_BIN(bin), element);
    }
}

} // namespace

Result<OutputBin> make_hls_bin(const std::string& name, const HlsOptions& options,
                               std::chrono::milliseconds queue_time) {
    OutputBin out;
    out.bin = GRef<GstElement>::adopt(gst_bin_new(name.c_str()));
    auto video_queue = make_queue("video-queue", queue_time);
    auto audio_queue = make_queue("audio-queue", queue_time);
    auto hls = make("hlssink2", "hls");
    for (const auto* made : {&video_queue, &audio_queue, &hls}) {
        if (!*made) {
            return made->status();
        }
    }
    out.mux = *hls;
    std::string segments = (options.directory / "segment%05d.ts").string();
    std::string playlist = (options.directory / options.playlist_name).string();
    // Keyframes come from the encoder's fixed interval, shared by every output: no output
    // asks the encoder for extra ones.
    g_object_set(hls->get(), "location", segments.c_str(), "playlist-location", playlist.c_str(),
                 "target-duration", static_cast<guint>(options.target_duration.count()),
                 "playlist-length", options.playlist_length, "max-files", options.max_files,
                 "send-keyframe-requests", FALSE, nullptr);
    add(out.bin.get(), {video_queue->get(), audio_queue->get(), hls->get()});
    if (Status s = link_to_mux(video_queue->get(), out, "video"); !s) {
        return s;
    }
    if (Status s = link_to_mux(audio_queue->get(), out, "audio"); !s) {
        return s;
    }
    if (Status s = add_door(out.bin.get(), "video", video_queue->get()); !s) {
        return s;
    }
    if (Status s = add_door(out.bin.get(), "audio", audio_queue->get()); !s) {
        return s;
    }
    out.audio_out = GRef<GstPad>::adopt(gst_element_get_static_pad(audio_queue->get(), "src"));
    return out;
}

Result<OutputBin> make_rtmp_bin(const std::string& name, const RtmpUrl& url,
                                std::chrono::milliseconds queue_time) {
    OutputBin out;
    out.bin = GRef<GstElement>::adopt(gst_bin_new(name.c_str()));
    auto video_queue = make_queue("video-queue", queue_time);
    auto audio_queue = make_queue("audio-queue", queue_time);
    auto parse = make("h264parse", "avc");
    auto flv = make("flvmux", "flv");
    auto sink = make("rtmp2sink", "rtmp");
    for (const auto* made : {&video_queue, &audio_queue, &parse, &flv, &sink}) {
        if (!*made) {
            return made->status();
        }
    }
    out.mux = *flv;
    // FLV carries H.264 as avc (length-prefixed, parameter sets in codec_data); the tee
    // carries byte-stream for MPEG-TS. h264parse converts without decoding.
    auto avc =
        GRef<GstCaps>::adopt(gst_caps_from_string("video/x-h264,stream-format=avc,alignment=au"));
    auto filter = make("capsfilter", "avc-caps");
    if (!filter) {
        return filter.status();
    }
    g_object_set(filter->get(), "caps", avc.get(), nullptr);
    // In a live pipeline flvmux waits for its slower input only as long as the reported
    // latency, which the video (the keyframe that opens the output) already used up; the
    // first AAC frames, later by the encoder's delay, would come too late and be dropped.
    g_object_set(flv->get(), "streamable", TRUE, "metadatacreator", "libconf", "encoder", "libconf",
                 "latency", kFlvLatency, nullptr);
    // The muxer paces the output on the clock already; the sink sends at once and joins a
    // playing pipeline without waiting for preroll.
    g_object_set(sink->get(), "location", url.url.c_str(), "sync", FALSE, "async", FALSE, nullptr);
    add(out.bin.get(), {video_queue->get(), audio_queue->get(), parse->get(), filter->get(),
                        flv->get(), sink->get()});
    if (Status s = link(video_queue->get(), parse->get()); !s) {
        return s;
    }
    if (Status s = link(parse->get(), filter->get()); !s) {
        return s;
    }
    if (Status s = link_to_mux(filter->get(), out, "video"); !s) {
        return s;
    }
    if (Status s = link_to_mux(audio_queue->get(), out, "audio"); !s) {
        return s;
    }
    if (Status s = link(flv->get(), sink->get()); !s) {
        return s;
    }
    if (Status s = add_door(out.bin.get(), "video", video_queue->get()); !s) {
        return s;
    }
    if (Status s = add_door(out.bin.get(), "audio", audio_queue->get()); !s) {
        return s;
    }
    out.audio_out = GRef<GstPad>::adopt(gst_element_get_static_pad(audio_queue->get(), "src"));
    return out;
}

} // namespace conf
