// AV1 bitstream pieces the RTP payloader and depayloader need: LEB128 numbers, OBU headers,
// splitting a low-overhead ("obu-stream") buffer into OBUs, and the first bits of sequence and
// frame headers (enough to tell key frames and shown frames apart). Pure C++, no GStreamer, so
// it can be tested and fuzzed on its own. Every reader checks bounds and returns nullopt on
// malformed input; nothing here trusts a length it has not checked against the data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace conf::av1 {

using Bytes = std::span<const std::uint8_t>;

enum class ObuType : std::uint8_t {
    kSequenceHeader = 1,
    kTemporalDelimiter = 2,
    kFrameHeader = 3,
    kTileGroup = 4,
    kMetadata = 5,
    kFrame = 6,
    kRedundantFrameHeader = 7,
    kTileList = 8,
    kPadding = 15,
};

// OBU header byte: forbidden(1) type(4) extension_flag(1) has_size_field(1) reserved(1).
constexpr std::uint8_t kObuForbiddenBit = 0x80;
constexpr std::uint8_t kObuExtensionFlag = 0x04;
constexpr std::uint8_t kObuHasSizeField = 0x02;

constexpr ObuType obu_type(std::uint8_t header) {
    return static_cast<ObuType>((header >> 3) & 0x0f);
}
constexpr std::uint8_t obu_header_byte(ObuType type, bool extension, bool has_size) {
    return static_cast<std::uint8_t>((static_cast<unsigned>(type) << 3) |
                                     (extension ? kObuExtensionFlag : 0) |
                                     (has_size ? kObuHasSizeField : 0));
}

// A temporal delimiter with obu_size 0: what starts every temporal unit in obu-stream.
inline constexpr std::uint8_t kTemporalDelimiterObu[2] = {
    obu_header_byte(ObuType::kTemporalDelimiter, false, true), 0x00};

// LEB128 as AV1 defines it (section 4.10.5): at most 8 bytes, value below 2^32.
constexpr std::size_t kMaxLeb128Bytes = 8;
struct Leb128 {
    std::uint32_t value = 0;
    std::size_t length = 0; // bytes it took
};
std::optional<Leb128> read_leb128(Bytes data);
std::size_t leb128_size(std::uint64_t value);
void write_leb128(std::uint64_t value, std::vector<std::uint8_t>& out);

// One OBU, viewing the buffer it was parsed from: its header byte (as found, has_size_field
// included), the extension byte when the extension flag is set, and its payload (the bytes
// after the header and any obu_size field).
struct Obu {
    std::uint8_t header = 0;
    std::uint8_t extension =
        0; // temporal_id(3) spatial_id(2) reserved(3); valid if has_extension()
    Bytes payload;

    ObuType type() const { return obu_type(header); }
    bool has_extension() const { return (header & kObuExtensionFlag) != 0; }
    std::uint8_t temporal_id() const { return static_cast<std::uint8_t>(extension >> 5); }
    std::uint8_t spatial_id() const { return static_cast<std::uint8_t>((extension >> 3) & 0x3); }
    // Header and extension bytes as sent in RTP: obu_has_size_field cleared (RTP spec 4.5).
    std::size_t header_size() const { return has_extension() ? 2 : 1; }
    // Size of the OBU as an RTP OBU element (no obu_size field).
    std::size_t element_size() const { return header_size() + payload.size(); }
};

// Parses one OBU at the start of `data`. With obu_has_size_field the OBU ends where obu_size
// says (which must fit in `data`); without it, the OBU takes the rest of `data`. `consumed`
// receives the bytes the OBU took. nullopt when malformed (forbidden bit, truncated header or
// size, size past the end).
std::optional<Obu> parse_obu(Bytes data, std::size_t* consumed);

// Splits a low-overhead bitstream buffer into its OBUs; nullopt (and a reason) if any is
// malformed.
std::optional<std::vector<Obu>> split_obus(Bytes data, std::string* error);

// Appends `obu` in low-overhead form: header with obu_has_size_field set, extension, LEB128
// obu_size, payload.
void append_sized_obu(const Obu& obu, std::vector<std::uint8_t>& out);

// reduced_still_picture_header from a sequence header OBU's payload (seq_profile(3),
// still_picture(1), reduced_still_picture_header(1)); nullopt if the payload is empty.
std::optional<bool> reduced_still_picture_header(Bytes sequence_header_payload);

// The first fields of uncompressed_header() (AV1 5.9.2) from a frame or frame header OBU's
// payload: with reduced_still_picture_header every frame is a shown key frame; otherwise
// show_existing_frame(1), then frame_type(2) and show_frame(1).
struct FrameInfo {
    bool show_existing_frame = false;
    std::uint8_t frame_type = 0; // 0 KEY_FRAME, 1 INTER, 2 INTRA_ONLY, 3 SWITCH
    bool show_frame = false;

    bool shown() const { return show_existing_frame || show_frame; }
    // A key frame that is displayed: where a coded video sequence can start.
    bool shown_key_frame() const { return !show_existing_frame && frame_type == 0 && show_frame; }
};
std::optional<FrameInfo> parse_frame_info(Bytes frame_header_payload,
                                          bool reduced_still_picture_header);

inline bool is_frame_header(ObuType type) {
    return type == ObuType::kFrame || type == ObuType::kFrameHeader;
}

// OBUs the RTP payload format says to drop when sending and ignore when receiving (section 5:
// temporal delimiters and tile lists); padding carries nothing either, so it goes too.
inline bool is_dropped_in_rtp(ObuType type) {
    return type == ObuType::kTemporalDelimiter || type == ObuType::kTileList ||
           type == ObuType::kPadding;
}

} // namespace conf::av1
