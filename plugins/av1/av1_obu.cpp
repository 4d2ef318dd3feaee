#include "av1_obu.hpp"

#include <limits>

namespace conf::av1 {

std::optional<Leb128> read_leb128(Bytes data) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < kMaxLeb128Bytes; ++i) {
        if (i >= data.size()) {
            return std::nullopt; // truncated: a continuation bit with no next byte
        }
        std::uint8_t byte = data[i];
        value |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
        if ((byte & 0x80) == 0) {
            if (value > std::numeric_limits<std::uint32_t>::max()) {
                return std::nullopt;
            }
            return Leb128{static_cast<std::uint32_t>(value), i + 1};
        }
    }
    return std::nullopt; // longer than AV1 allows
}

std::size_t leb128_size(std::uint64_t value) {
    std::size_t size = 1;
    while (value >= 0x80) {
        value >>= 7;
        ++size;
    }
    return size;
}

void write_leb128(std::uint64_t value, std::vector<std::uint8_t>& out) {
    while (value >= 0x80) {
        out.push_back(static_cast<std::uint8_t>((value & 0x7f) | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<std::uint8_t>(value));
}

std::optional<Obu> parse_obu(Bytes data, std::size_t* consumed) {
    if (data.empty() || (data[0] & kObuForbiddenBit) != 0) {
        return std::nullopt;
    }
    Obu obu;
    obu.header = data[0];
    std::size_t pos = 1;
    if (obu.has_extension()) {
        if (data.size() < 2) {
            return std::nullopt;
        }
        obu.extension = data[1];
        pos = 2;
    }
    std::size_t payload_size = data.size() - pos;
    if ((obu.header & kObuHasSizeField) != 0) {
        auto size = read_leb128(data.subspan(pos));
        if (!size) {
            return std::nullopt;
        }
        pos += size->length;
        if (size->value > data.size() - pos) {
            return std::nullopt;
        }
        payload_size = size->value;
    }
    obu.payload = data.subspan(pos, payload_size);
    if (consumed != nullptr) {
        *consumed = pos + payload_size;
    }
    return obu;
}

std::optional<std::vector<Obu>> split_obus(Bytes data, std::string* error) {
    std::vector<Obu> obus;
    std::size_t pos = 0;
    while (pos < data.size()) {
        std::size_t used = 0;
        auto obu = parse_obu(data.subspan(pos), &used);
        if (!obu) {
            if (error != nullptr) {
                *error = "malformed OBU at byte " + std::to_string(pos) + " of " +
                         std::to_string(data.size());
            }
            return std::nullopt;
        }
        obus.push_back(*obu);
        pos += used;
    }
    return obus;
}

void append_sized_obu(const Obu& obu, std::vector<std::uint8_t>& out) {
    out.push_back(static_cast<std::uint8_t>(obu.header | kObuHasSizeField));
    if (obu.has_extension()) {
        out.push_back(obu.extension);
    }
    write_leb128(obu.payload.size(), out);
    out.insert(out.end(), obu.payload.begin(), obu.payload.end());
}

std::optional<bool> reduced_still_picture_header(Bytes sequence_header_payload) {
    if (sequence_header_payload.empty()) {
        return std::nullopt;
    }
    return (sequence_header_payload[0] & 0x08) != 0;
}

std::optional<FrameInfo> parse_frame_info(Bytes frame_header_payload,
                                          bool reduced_still_picture_header) {
    FrameInfo info;
    if (reduced_still_picture_header) {
        info.frame_type = 0;
        info.show_frame = true;
        return info;
    }
    if (frame_header_payload.empty()) {
        return std::nullopt;
    }
    std::uint8_t bits = frame_header_payload[0];
    info.show_existing_frame = (bits & 0x80) != 0;
    if (!info.show_existing_frame) {
        info.frame_type = static_cast<std::uint8_t>((bits >> 5) & 0x3);
        info.show_frame = (bits & 0x10) != 0;
    }
    return info;
}

} // namespace conf::av1
