// Helpers for the AV1 plugin tests: hand-built OBUs and RTP packets, an element run between an
// appsrc and an appsink, whole pipelines run to EOS with a deadline, and the plugin's
// descriptor read from the built conf-av1.so.
#pragma once

#include "av1_obu.hpp"
#include "gst_handles.hpp"

#include <conf/conf_plugin.h>

#include <gst/gst.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace conf::test::av1 {

using conf::av1::GstPtr;
using conf::av1::ObuType;
using ByteVector = std::vector<std::uint8_t>;

// Registers confrtpav1pay and confrtpav1depay; fixtures construct one per test.
struct Av1Elements {
    Av1Elements();
};

// --- Hand-built bitstream --------------------------------------------------------------------

// `count` bytes of a recognisable pattern starting at `seed`.
ByteVector pattern(std::size_t count, std::uint8_t seed = 0);
ByteVector leb128(std::uint64_t value);
ByteVector concat(std::initializer_list<ByteVector> parts);

// An OBU in low-overhead form (obu_has_size_field set) or, with sized = false, without size.
ByteVector obu(ObuType type, const ByteVector& payload, std::optional<std::uint8_t> extension = {},
               bool sized = true);
// The same OBU as an RTP OBU element: no size field.
ByteVector element(ObuType type, const ByteVector& payload,
                   std::optional<std::uint8_t> extension = {});
// Extension byte for temporal/spatial ids.
std::uint8_t extension_byte(unsigned temporal_id, unsigned spatial_id);

// Payloads whose first bits say what the parsers look at; the rest is filler.
ByteVector sequence_header_payload(std::size_t size = 10);
ByteVector key_frame_payload(std::size_t size, std::uint8_t seed = 1);   // shown KEY_FRAME
ByteVector inter_frame_payload(std::size_t size, std::uint8_t seed = 2); // shown INTER_FRAME
ByteVector hidden_frame_payload(std::size_t size); // INTER_FRAME, show_frame = 0
ByteVector show_existing_frame_payload();

// Temporal units as av1enc makes them: TD, sequence header, key frame; or TD, inter frame.
ByteVector key_unit(std::size_t frame_size, std::uint8_t seed = 1);
ByteVector delta_unit(std::size_t frame_size, std::uint8_t seed = 2);

// --- RTP ---------------------------------------------------------------------------------------

struct RtpPacket {
    std::size_t size = 0; // whole packet, header included
    std::uint16_t seq = 0;
    std::uint32_t timestamp = 0;
    bool marker = false;
    GstClockTime pts = GST_CLOCK_TIME_NONE;
    ByteVector payload;

    bool z() const { return (payload.at(0) & 0x80) != 0; }
    bool y() const { return (payload.at(0) & 0x40) != 0; }
    unsigned w() const { return (payload.at(0) >> 4) & 0x3; }
    bool n() const { return (payload.at(0) & 0x08) != 0; }
};
RtpPacket read_rtp(GstBuffer* buffer);

// The OBU elements of a payload, split per its aggregation header; fails the test if malformed.
std::vector<ByteVector> split_elements(const RtpPacket& packet);

GstBuffer* make_buffer(const ByteVector& bytes, GstClockTime pts);
GstBuffer* make_rtp(const ByteVector& payload, std::uint16_t seq, std::uint32_t timestamp,
                    bool marker, GstClockTime pts = GST_CLOCK_TIME_NONE);
// An aggregation header byte.
std::uint8_t aggregation(bool z, bool y, unsigned w, bool n);

// --- Running elements and pipelines ------------------------------------------------------------

struct ObjectUnref {
    void operator()(gpointer object) const noexcept { gst_object_unref(object); }
};
// Owns one reference to a GstObject.
template <typename T>
using ObjectPtr = std::unique_ptr<T, ObjectUnref>;

// A gst-launch style pipeline, stopped and released when the handle goes.
class Pipeline {
  public:
    explicit Pipeline(const std::string& description); // fails the test if it does not parse
    ~Pipeline();
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    GstElement* get() const { return pipeline_.get(); }
    // A named element, borrowed: the pipeline keeps it alive.
    GstElement* element(const char* name) const;
    ObjectPtr<GstPad> pad(const char* element, const char* pad) const;
    // Plays until EOS; "" on success, else the error (or "timeout"). Appsinks keep their
    // samples until the pipeline goes.
    std::string run_to_eos(std::chrono::milliseconds timeout);

  private:
    ObjectPtr<GstElement> pipeline_;
};

struct ElementRun {
    std::vector<GstPtr<GstBuffer>> output;
    GstPtr<GstCaps> output_caps;
    int keyframe_requests = 0; // force-key-unit events that reached the appsrc
    std::string error;         // an ERROR message, if one was posted
};
// appsrc (caps `input_caps`) ! `element` ! appsink: pushes `input` (taking ownership), then
// EOS, and collects what came out.
ElementRun run_element(const std::string& element, const std::string& input_caps,
                       std::vector<GstBuffer*> input);

ByteVector bytes_of(GstBuffer* buffer);

// The descriptor conf-av1.so exports, read with dlopen (its init is never called here: the test
// binary registered the same element types already).
const conf_plugin_v1* plugin_descriptor();

} // namespace conf::test::av1
