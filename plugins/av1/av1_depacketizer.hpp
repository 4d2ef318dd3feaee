// Reassembles AV1 temporal units from RTP payloads (AOM "RTP Payload Format for AV1" v1.0):
// OBU elements are read per the aggregation header (W counts or LEB128 lengths), fragments
// joined across packets by Z/Y, every OBU given back its obu_has_size_field and LEB128 size, and
// each temporal unit starts with a temporal delimiter, as obu-stream/alignment=tu wants.
//
// A temporal unit ends on the marker bit or when the RTP timestamp changes (4.2 lets the marker
// go missing). Anything that could hand a decoder a corrupt unit drops the unit instead: a
// sequence gap (the caller passes `discont`), a malformed packet, a fragment left open. After a
// drop it waits for a clean start (a packet with Z=0 of a new temporal unit) and, when asked
// to, for a key frame; it then asks for one through `request_keyframe`.
//
// Pure C++ with no GStreamer; the depayloader element turns results into buffers and events.
#pragma once

#include "av1_obu.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace conf::av1 {

struct RtpPacketView {
    Bytes payload;           // the RTP payload, aggregation header first
    std::uint32_t timestamp; // RTP timestamp
    bool marker = false;
    bool discont = false;  // packets are missing before this one
    std::uint64_t pts = 0; // opaque to the depacketizer; handed back with the unit
};

struct TemporalUnit {
    std::vector<std::uint8_t> data; // temporal delimiter, then sized OBUs
    bool key = false;               // decodable on its own: a new coded video sequence
    std::uint64_t pts = 0;          // of the unit's first packet
};

struct DepacketizeResult {
    std::vector<TemporalUnit> units;
    bool request_keyframe = false;
    std::vector<std::string> warnings; // malformed input or lost data: something was dropped
    std::vector<std::string> notes;    // expected drops (waiting for a key frame)
};

// Refuse to buffer more than this for one temporal unit: a stream that never ends a unit must
// not grow memory without bound.
constexpr std::size_t kMaxTemporalUnitSize = 32 * 1024 * 1024;

class Depacketizer {
  public:
    explicit Depacketizer(bool wait_for_keyframe = true);

    // Whether to drop units until a key frame, at the start and after every loss.
    void set_wait_for_keyframe(bool wait);
    bool wait_for_keyframe() const { return wait_for_keyframe_; }

    DepacketizeResult push(const RtpPacketView& packet);
    // End of stream: a unit still open but complete (no fragment pending) is emitted.
    DepacketizeResult finish();
    // A flush: forgets everything, as if no packet had been seen.
    void reset();

  private:
    struct Elements;
    bool parse_elements(Bytes payload, Elements& out, std::string& error) const;
    void start_unit(const RtpPacketView& packet, bool new_coded_video_sequence);
    bool complete_obu(std::string& error);
    void finish_unit(DepacketizeResult& result);
    void clear_unit();
    // Drops the open unit (if any) and every packet with `timestamp` until a clean start.
    void break_unit(std::uint32_t timestamp, std::string reason, DepacketizeResult& result);

    bool wait_for_keyframe_;
    bool waiting_for_keyframe_;
    bool seen_packet_ = false;

    // The unit being assembled.
    bool in_unit_ = false;
    std::uint32_t unit_timestamp_ = 0;
    std::uint64_t unit_pts_ = 0;
    bool unit_new_sequence_ = false; // N on its first packet
    std::optional<FrameInfo> unit_first_frame_;
    std::vector<std::uint8_t> unit_data_;
    std::vector<std::uint8_t> fragment_; // the OBU element being joined
    bool fragment_open_ = false;         // the last packet had Y=1

    // After a drop: packets of this timestamp are discarded.
    bool broken_ = false;
    std::uint32_t broken_timestamp_ = 0;

    bool have_sequence_header_ = false;
    bool reduced_still_picture_header_ = false;
};

} // namespace conf::av1
