#include "plugins/av1/av1_test_support.hpp"

#include "av1_elements.hpp"

#include <catch2/catch.hpp>

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/video/video-event.h>

#include <atomic>
#include <dlfcn.h>

namespace conf::test::av1 {

using conf::av1::BufferMapping;
using conf::av1::RtpMapping;

Av1Elements::Av1Elements() {
    std::string error;
    REQUIRE(conf::av1::register_elements(error));
}

ByteVector pattern(std::size_t count, std::uint8_t seed) {
    ByteVector out(count);
    for (std::size_t i = 0; i < count; ++i) {
        out[i] = static_cast<std::uint8_t>(seed + i * 7 + (i >> 8));
    }
    return out;
}

ByteVector leb128(std::uint64_t value) {
    ByteVector out;
    conf::av1::write_leb128(value, out);
    return out;
}

ByteVector concat(std::initializer_list<ByteVector> parts) {
    ByteVector out;
    for (const ByteVector& part : parts) {
        out.insert(out.end(), part.begin(), part.end());
    }
    return out;
}

ByteVector obu(ObuType type, const ByteVector& payload, std::optional<std::uint8_t> extension,
               bool sized) {
    ByteVector out{conf::av1::obu_header_byte(type, extension.has_value(), sized)};
    if (extension) {
        out.push_back(*extension);
    }
    if (sized) {
        conf::av1::write_leb128(payload.size(), out);
    }
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

ByteVector element(ObuType type, const ByteVector& payload, std::optional<std::uint8_t> extension) {
    return obu(type, payload, extension, false);
}

std::uint8_t extension_byte(unsigned temporal_id, unsigned spatial_id) {
    return static_cast<std::uint8_t>((temporal_id << 5) | (spatial_id << 3));
}

ByteVector sequence_header_payload(std::size_t size) {
    // seq_profile 0, still_picture 0, reduced_still_picture_header 0, then filler.
    ByteVector out = pattern(size, 0x40);
    out[0] = 0x00;
    return out;
}

namespace {

ByteVector frame_payload(std::size_t size, std::uint8_t first, std::uint8_t seed) {
    ByteVector out = pattern(size, seed);
    out[0] = first;
    return out;
}

} // namespace

// show_existing_frame(1) frame_type(2) show_frame(1) ...
ByteVector key_frame_payload(std::size_t size, std::uint8_t seed) {
    return frame_payload(size, 0x10, seed);
}
ByteVector inter_frame_payload(std::size_t size, std::uint8_t seed) {
    return frame_payload(size, 0x30, seed);
}
ByteVector hidden_frame_payload(std::size_t size) {
    return frame_payload(size, 0x20, 3);
}
ByteVector show_existing_frame_payload() {
    return {0x80};
}

ByteVector key_unit(std::size_t frame_size, std::uint8_t seed) {
    return concat({obu(ObuType::kTemporalDelimiter, {}),
                   obu(ObuType::kSequenceHeader, sequence_header_payload()),
                   obu(ObuType::kFrame, key_frame_payload(frame_size, seed))});
}

ByteVector delta_unit(std::size_t frame_size, std::uint8_t seed) {
    return concat({obu(ObuType::kTemporalDelimiter, {}),
                   obu(ObuType::kFrame, inter_frame_payload(frame_size, seed))});
}

RtpPacket read_rtp(GstBuffer* buffer) {
    RtpPacket packet;
    packet.size = gst_buffer_get_size(buffer);
    packet.pts = GST_BUFFER_PTS(buffer);
    RtpMapping rtp(buffer, GST_MAP_READ);
    REQUIRE(static_cast<bool>(rtp));
    packet.seq = gst_rtp_buffer_get_seq(rtp.get());
    packet.timestamp = gst_rtp_buffer_get_timestamp(rtp.get());
    packet.marker = gst_rtp_buffer_get_marker(rtp.get()) != FALSE;
    auto payload = rtp.payload();
    packet.payload.assign(payload.begin(), payload.end());
    return packet;
}

std::vector<ByteVector> split_elements(const RtpPacket& packet) {
    REQUIRE(!packet.payload.empty());
    std::vector<ByteVector> elements;
    conf::av1::Bytes data(packet.payload);
    std::size_t pos = 1;
    unsigned w = packet.w();
    auto read_sized = [&] {
        auto length = conf::av1::read_leb128(data.subspan(pos));
        REQUIRE(length.has_value());
        pos += length->length;
        REQUIRE(length->value <= data.size() - pos);
        elements.emplace_back(data.begin() + static_cast<std::ptrdiff_t>(pos),
                              data.begin() + static_cast<std::ptrdiff_t>(pos + length->value));
        pos += length->value;
    };
    if (w == 0) {
        while (pos < data.size()) {
            read_sized();
        }
    } else {
        for (unsigned i = 0; i + 1 < w; ++i) {
            read_sized();
        }
        REQUIRE(pos < data.size());
        elements.emplace_back(data.begin() + static_cast<std::ptrdiff_t>(pos), data.end());
    }
    return elements;
}

GstBuffer* make_buffer(const ByteVector& bytes, GstClockTime pts) {
    GstBuffer* buffer = gst_buffer_new_memdup(bytes.data(), bytes.size());
    GST_BUFFER_PTS(buffer) = pts;
    return buffer;
}

GstBuffer* make_rtp(const ByteVector& payload, std::uint16_t seq, std::uint32_t timestamp,
                    bool marker, GstClockTime pts) {
    GstBuffer* buffer = gst_rtp_buffer_new_allocate(static_cast<guint>(payload.size()), 0, 0);
    {
        RtpMapping rtp(buffer, GST_MAP_WRITE);
        REQUIRE(static_cast<bool>(rtp));
        gst_rtp_buffer_set_payload_type(rtp.get(), 96);
        gst_rtp_buffer_set_ssrc(rtp.get(), 0x12345678);
        gst_rtp_buffer_set_seq(rtp.get(), seq);
        gst_rtp_buffer_set_timestamp(rtp.get(), timestamp);
        gst_rtp_buffer_set_marker(rtp.get(), marker);
        std::copy(payload.begin(), payload.end(), rtp.payload().begin());
    }
    GST_BUFFER_PTS(buffer) = pts;
    return buffer;
}

std::uint8_t aggregation(bool z, bool y, unsigned w, bool n) {
    return static_cast<std::uint8_t>((z ? 0x80 : 0) | (y ? 0x40 : 0) | (w << 4) | (n ? 0x08 : 0));
}

namespace {

GstPadProbeReturn count_keyframe_requests(GstPad*, GstPadProbeInfo* info,
                                          gpointer counter) noexcept {
    GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
    if (gst_video_event_is_force_key_unit(event)) {
        static_cast<std::atomic<int>*>(counter)->fetch_add(1);
    }
    return GST_PAD_PROBE_OK;
}

} // namespace

Pipeline::Pipeline(const std::string& description) {
    GError* error = nullptr;
    GstElement* pipeline = gst_parse_launch(description.c_str(), &error);
    if (pipeline != nullptr) {
        pipeline_.reset(GST_ELEMENT(gst_object_ref_sink(pipeline)));
    }
    if (error != nullptr) {
        std::string message = error->message;
        g_error_free(error);
        FAIL("cannot parse: " << message << "\n" << description);
    }
}

Pipeline::~Pipeline() {
    gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
}

GstElement* Pipeline::element(const char* name) const {
    ObjectPtr<GstElement> child(gst_bin_get_by_name(GST_BIN(pipeline_.get()), name));
    REQUIRE(child != nullptr);
    return child.get(); // the bin holds another reference
}

ObjectPtr<GstPad> Pipeline::pad(const char* element_name, const char* pad_name) const {
    ObjectPtr<GstPad> pad(gst_element_get_static_pad(element(element_name), pad_name));
    REQUIRE(pad != nullptr);
    return pad;
}

std::string Pipeline::run_to_eos(std::chrono::milliseconds timeout) {
    if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        return "cannot start the pipeline";
    }
    ObjectPtr<GstBus> bus(gst_element_get_bus(pipeline_.get()));
    GstPtr<GstMessage> message(gst_bus_timed_pop_filtered(
        bus.get(), static_cast<GstClockTime>(timeout.count()) * GST_MSECOND,
        static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR)));
    if (!message) {
        return "timeout";
    }
    if (GST_MESSAGE_TYPE(message.get()) != GST_MESSAGE_ERROR) {
        return {};
    }
    GError* error = nullptr;
    gchar* debug = nullptr;
    gst_message_parse_error(message.get(), &error, &debug);
    std::string result = std::string(error->message) + " (" + (debug != nullptr ? debug : "") + ")";
    g_error_free(error);
    g_free(debug);
    return result;
}

ElementRun run_element(const std::string& element, const std::string& input_caps,
                       std::vector<GstBuffer*> input) {
    std::vector<GstPtr<GstBuffer>> owned;
    for (GstBuffer* buffer : input) {
        owned.emplace_back(buffer);
    }
    ElementRun run;
    Pipeline pipeline("appsrc name=src format=time ! " + element +
                      " ! appsink name=sink sync=false wait-on-eos=false");
    GstElement* src = pipeline.element("src");
    GstElement* sink = pipeline.element("sink");
    GstPtr<GstCaps> caps(gst_caps_from_string(input_caps.c_str()));
    gst_app_src_set_caps(GST_APP_SRC(src), caps.get());

    std::atomic<int> requests{0};
    gst_pad_add_probe(pipeline.pad("src", "src").get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                      count_keyframe_requests, &requests, nullptr);

    // Queue everything before starting: appsrc's queue is unbounded by default.
    for (auto& buffer : owned) {
        gst_app_src_push_buffer(GST_APP_SRC(src), buffer.release());
    }
    gst_app_src_end_of_stream(GST_APP_SRC(src));
    run.error = pipeline.run_to_eos(std::chrono::seconds(10));

    while (GstPtr<GstSample> sample{gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 0)}) {
        run.output.emplace_back(gst_buffer_ref(gst_sample_get_buffer(sample.get())));
        if (!run.output_caps && gst_sample_get_caps(sample.get()) != nullptr) {
            run.output_caps.reset(gst_caps_ref(gst_sample_get_caps(sample.get())));
        }
    }
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    run.keyframe_requests = requests.load();
    return run;
}

ByteVector bytes_of(GstBuffer* buffer) {
    BufferMapping map(buffer, GST_MAP_READ);
    REQUIRE(static_cast<bool>(map));
    return ByteVector(map.bytes().begin(), map.bytes().end());
}

const conf_plugin_v1* plugin_descriptor() {
    // Never closed: the descriptor's strings live in the module.
    static const conf_plugin_v1* descriptor = [] {
        void* module = dlopen(CONF_AV1_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
        if (module == nullptr) {
            FAIL("dlopen " << CONF_AV1_PLUGIN_PATH << ": " << dlerror());
        }
        auto entry =
            reinterpret_cast<conf_plugin_entry_v1_fn>(dlsym(module, CONF_PLUGIN_ENTRY_SYMBOL));
        REQUIRE(entry != nullptr);
        return entry();
    }();
    return descriptor;
}

} // namespace conf::test::av1
