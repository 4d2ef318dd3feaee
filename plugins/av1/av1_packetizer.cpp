#include "av1_packetizer.hpp"

#include <algorithm>
#include <cassert>
#include <optional>

namespace conf::av1 {

namespace {

// Elements up to this count are described by W; past it W=0 and every element is sized.
constexpr std::size_t kMaxCountedElements = 3;

// Copies bytes [offset, offset + size) of the OBU's RTP element form into `out`.
void copy_element(const ElementSlice& slice, std::uint8_t* out) {
    const Obu& obu = *slice.obu;
    std::uint8_t head[2] = {static_cast<std::uint8_t>(obu.header & ~kObuHasSizeField),
                            obu.extension};
    std::size_t head_size = obu.header_size();
    std::size_t pos = slice.offset;
    std::size_t left = slice.size;
    while (left > 0 && pos < head_size) {
        *out++ = head[pos++];
        --left;
    }
    if (left > 0) {
        std::copy_n(obu.payload.begin() + static_cast<std::ptrdiff_t>(pos - head_size), left, out);
    }
}

// The packet being filled, and the layer rules of section 5 that decide when to start another.
class PacketBuilder {
  public:
    explicit PacketBuilder(std::size_t max_payload) : max_payload_(max_payload) {}

    bool empty() const { return layout_.elements.empty(); }

    // Largest element that still fits as the packet's new last element.
    std::size_t room_for_next() const {
        std::size_t count = layout_.elements.size() + 1;
        std::size_t used = 1 + sized_bytes_; // every earlier element then carries a length
        if (used >= max_payload_) {
            return 0;
        }
        std::size_t left = max_payload_ - used;
        if (count <= kMaxCountedElements) {
            return left; // the last element goes without a length
        }
        std::size_t size = left;
        while (size > 0 && size + leb128_size(size) > left) {
            --size;
        }
        return size;
    }

    // Whether a whole OBU may start in this packet without breaking section 5's rules.
    bool accepts_new(const Obu& obu) const {
        if (empty()) {
            return true;
        }
        if (obu.type() == ObuType::kSequenceHeader) {
            return false; // a sequence header SHOULD be the first OBU of its packet
        }
        if (!layer_) {
            return true;
        }
        // OBUs without an extension SHOULD precede layered ones; layered ones MUST agree.
        return obu.has_extension() && layer_id(obu) == *layer_;
    }

    void add(const ElementSlice& slice) {
        if (slice.obu->has_extension()) {
            layer_ = layer_id(*slice.obu);
        }
        layout_.elements.push_back(slice);
        sized_bytes_ += slice.size + leb128_size(slice.size);
    }

    PacketLayout take(bool continues) {
        PacketLayout done = std::move(layout_);
        done.y = continues;
        layout_ = PacketLayout{};
        layout_.z = continues;
        sized_bytes_ = 0;
        layer_.reset();
        return done;
    }

  private:
    static std::uint8_t layer_id(const Obu& obu) {
        return static_cast<std::uint8_t>(obu.extension >> 3); // temporal_id and spatial_id
    }

    std::size_t max_payload_;
    PacketLayout layout_;
    std::size_t sized_bytes_ = 0; // element data plus the length each would carry
    std::optional<std::uint8_t> layer_;
};

} // namespace

std::uint8_t PacketLayout::aggregation_header() const {
    std::uint8_t w =
        elements.size() <= kMaxCountedElements ? static_cast<std::uint8_t>(elements.size()) : 0;
    return static_cast<std::uint8_t>((z ? kAggregationZ : 0) | (y ? kAggregationY : 0) | (w << 4) |
                                     (n ? kAggregationN : 0));
}

std::size_t PacketLayout::size() const {
    bool last_unsized = elements.size() <= kMaxCountedElements;
    std::size_t size = 1;
    for (std::size_t i = 0; i < elements.size(); ++i) {
        size += elements[i].size;
        if (!(last_unsized && i + 1 == elements.size())) {
            size += leb128_size(elements[i].size);
        }
    }
    return size;
}

void PacketLayout::write(std::span<std::uint8_t> out) const {
    assert(out.size() == size());
    bool last_unsized = elements.size() <= kMaxCountedElements;
    std::vector<std::uint8_t> length;
    std::uint8_t* pos = out.data();
    *pos++ = aggregation_header();
    for (std::size_t i = 0; i < elements.size(); ++i) {
        if (!(last_unsized && i + 1 == elements.size())) {
            length.clear();
            write_leb128(elements[i].size, length);
            pos = std::copy(length.begin(), length.end(), pos);
        }
        copy_element(elements[i], pos);
        pos += elements[i].size;
    }
}

std::vector<PacketLayout> packetize(std::span<const Obu> obus, std::size_t max_payload,
                                    bool new_coded_video_sequence) {
    assert(max_payload >= kMinPayloadSize);
    std::vector<PacketLayout> packets;
    PacketBuilder builder(max_payload);
    for (const Obu& obu : obus) {
        if (is_dropped_in_rtp(obu.type())) {
            continue;
        }
        if (!builder.accepts_new(obu)) {
            packets.push_back(builder.take(false));
        }
        std::size_t total = obu.element_size();
        std::size_t offset = 0;
        while (offset < total) {
            std::size_t room = builder.room_for_next();
            if (room == 0) {
                packets.push_back(builder.take(false));
                continue;
            }
            // Whatever does not fit is split: the free space is used rather than wasted.
            std::size_t size = std::min(room, total - offset);
            builder.add(ElementSlice{&obu, offset, size});
            offset += size;
            if (offset < total) {
                packets.push_back(builder.take(true));
            }
        }
    }
    if (!builder.empty()) {
        packets.push_back(builder.take(false));
    }
    if (!packets.empty()) {
        packets.front().n = new_coded_video_sequence;
    }
    return packets;
}

} // namespace conf::av1
