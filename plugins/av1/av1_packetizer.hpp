// Packs the OBUs of one temporal unit (or of one frame of it) into AV1 RTP payloads, following
// the AOM "RTP Payload Format for AV1" v1.0:
//   - an aggregation header byte Z|Y|W|N|0|0|0 starts every payload (4.4);
//   - OBU elements carry no obu_size field: obu_has_size_field is cleared (4.5);
//   - temporal delimiters, tile lists and padding are not sent (5);
//   - a packet with 1..3 elements says so in W and leaves out the last element's length;
//     with more, W=0 and every element has a LEB128 length;
//   - an OBU too large for the space left is split, Y on the packet it starts in, Z on the next;
//   - N=1 on the first packet of a coded video sequence (the caller knows when that is);
//   - OBUs of different temporal/spatial layers never share a packet, OBUs without an extension
//     header do not follow layered ones, and a sequence header starts a packet (5).
// Pure C++: the payloader element decides the marker bit and writes the RTP headers.
#pragma once

#include "av1_obu.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace conf::av1 {

// The aggregation header bits.
constexpr std::uint8_t kAggregationZ = 0x80;
constexpr std::uint8_t kAggregationY = 0x40;
constexpr std::uint8_t kAggregationWMask = 0x30;
constexpr std::uint8_t kAggregationN = 0x08;

// A slice [offset, offset + size) of one OBU's RTP element bytes (header with
// obu_has_size_field cleared, extension byte, payload).
struct ElementSlice {
    const Obu* obu = nullptr;
    std::size_t offset = 0;
    std::size_t size = 0;
};

// One RTP payload as a list of slices: sized and written without copying the OBUs twice.
struct PacketLayout {
    bool z = false; // first element continues an OBU from the previous packet
    bool y = false; // last element continues in the next packet
    bool n = false; // first packet of a coded video sequence
    std::vector<ElementSlice> elements;

    std::uint8_t aggregation_header() const;
    // Bytes the payload takes: aggregation header, length fields, element data.
    std::size_t size() const;
    // Writes the payload into `out`, which must hold exactly size() bytes.
    void write(std::span<std::uint8_t> out) const;
};

// Smallest usable payload: the aggregation header and one byte of OBU data.
constexpr std::size_t kMinPayloadSize = 2;

// Splits `obus` into payloads of at most `max_payload` bytes (>= kMinPayloadSize). The slices
// point into `obus`, which must outlive the layouts. Empty when nothing is left to send (only
// temporal delimiters, say). `new_coded_video_sequence` sets N on the first payload.
std::vector<PacketLayout> packetize(std::span<const Obu> obus, std::size_t max_payload,
                                    bool new_coded_video_sequence);

} // namespace conf::av1
