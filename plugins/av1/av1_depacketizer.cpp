#include "av1_depacketizer.hpp"

#include "av1_packetizer.hpp"

#include <utility>

namespace conf::av1 {

struct Depacketizer::Elements {
    bool z = false;
    bool y = false;
    bool n = false;
    std::vector<Bytes> list;
};

Depacketizer::Depacketizer(bool wait_for_keyframe)
    : wait_for_keyframe_(wait_for_keyframe), waiting_for_keyframe_(wait_for_keyframe) {}

void Depacketizer::set_wait_for_keyframe(bool wait) {
    wait_for_keyframe_ = wait;
    if (!wait) {
        waiting_for_keyframe_ = false;
    }
}

void Depacketizer::reset() {
    clear_unit();
    broken_ = false;
    seen_packet_ = false;
    waiting_for_keyframe_ = wait_for_keyframe_;
    have_sequence_header_ = false;
    reduced_still_picture_header_ = false;
}

bool Depacketizer::parse_elements(Bytes payload, Elements& out, std::string& error) const {
    if (payload.empty()) {
        error = "empty payload";
        return false;
    }
    std::uint8_t header = payload[0];
    out.z = (header & kAggregationZ) != 0;
    out.y = (header & kAggregationY) != 0;
    out.n = (header & kAggregationN) != 0;
    unsigned w = (header & kAggregationWMask) >> 4;
    if (out.n && out.z) {
        error = "N and Z both set";
        return false;
    }
    std::size_t pos = 1;
    // Reads one LEB128-sized element at pos.
    auto read_sized = [&]() -> bool {
        auto length = read_leb128(payload.subspan(pos));
        if (!length) {
            error = "truncated or oversized LEB128 element length";
            return false;
        }
        pos += length->length;
        if (length->value == 0) {
            error = "empty OBU element";
            return false;
        }
        if (length->value > payload.size() - pos) {
            error = "OBU element length " + std::to_string(length->value) + " past the end (" +
                    std::to_string(payload.size() - pos) + " bytes left)";
            return false;
        }
        out.list.push_back(payload.subspan(pos, length->value));
        pos += length->value;
        return true;
    };
    if (w == 0) {
        while (pos < payload.size()) {
            if (!read_sized()) {
                return false;
            }
        }
        if (out.list.empty()) {
            error = "no OBU elements";
            return false;
        }
        return true;
    }
    for (unsigned i = 0; i < w; ++i) {
        if (pos >= payload.size()) {
            error = "W=" + std::to_string(w) + " but only " + std::to_string(i) + " elements";
            return false;
        }
        if (i + 1 < w) {
            if (!read_sized()) {
                return false;
            }
        } else {
            out.list.push_back(payload.subspan(pos));
        }
    }
    return true;
}

void Depacketizer::start_unit(const RtpPacketView& packet, bool new_coded_video_sequence) {
    clear_unit();
    in_unit_ = true;
    unit_timestamp_ = packet.timestamp;
    unit_pts_ = packet.pts;
    unit_new_sequence_ = new_coded_video_sequence;
    unit_data_.assign(std::begin(kTemporalDelimiterObu), std::end(kTemporalDelimiterObu));
}

void Depacketizer::clear_unit() {
    in_unit_ = false;
    unit_new_sequence_ = false;
    unit_first_frame_.reset();
    unit_data_.clear();
    fragment_.clear();
    fragment_open_ = false;
}

void Depacketizer::break_unit(std::uint32_t timestamp, std::string reason,
                              DepacketizeResult& result) {
    clear_unit();
    broken_ = true;
    broken_timestamp_ = timestamp;
    if (wait_for_keyframe_) {
        waiting_for_keyframe_ = true;
    }
    result.request_keyframe = true;
    result.warnings.push_back(std::move(reason));
}

bool Depacketizer::complete_obu(std::string& error) {
    std::size_t used = 0;
    auto obu = parse_obu(fragment_, &used);
    if (!obu) {
        error = "malformed OBU header or obu_size";
        return false;
    }
    if (used != fragment_.size()) {
        error = "obu_size leaves " + std::to_string(fragment_.size() - used) +
                " bytes of its element unused";
        return false;
    }
    ObuType type = obu->type();
    if (is_dropped_in_rtp(type)) {
        fragment_.clear();
        return true; // section 5: receivers ignore temporal delimiters and tile lists
    }
    if (type == ObuType::kSequenceHeader) {
        auto reduced = reduced_still_picture_header(obu->payload);
        if (!reduced) {
            error = "empty sequence header";
            return false;
        }
        have_sequence_header_ = true;
        reduced_still_picture_header_ = *reduced;
    } else if (is_frame_header(type) && !unit_first_frame_) {
        unit_first_frame_ = parse_frame_info(obu->payload, reduced_still_picture_header_);
        if (!unit_first_frame_) {
            error = "empty frame header";
            return false;
        }
    }
    append_sized_obu(*obu, unit_data_);
    fragment_.clear();
    return true;
}

void Depacketizer::finish_unit(DepacketizeResult& result) {
    if (fragment_open_) {
        break_unit(unit_timestamp_, "temporal unit ended inside an OBU fragment", result);
        return;
    }
    if (unit_data_.size() <= sizeof kTemporalDelimiterObu) {
        clear_unit(); // nothing but ignored OBUs
        return;
    }
    bool key = unit_new_sequence_ ||
               (unit_first_frame_ && unit_first_frame_->shown_key_frame() && have_sequence_header_);
    if (waiting_for_keyframe_ && !key) {
        result.notes.push_back("dropped a temporal unit while waiting for a key frame");
        result.request_keyframe = true;
        clear_unit();
        return;
    }
    waiting_for_keyframe_ = false;
    result.units.push_back(TemporalUnit{std::move(unit_data_), key, unit_pts_});
    clear_unit();
}

DepacketizeResult Depacketizer::push(const RtpPacketView& packet) {
    DepacketizeResult result;
    Bytes payload = packet.payload;
    bool z = !payload.empty() && (payload[0] & kAggregationZ) != 0;
    bool n = !payload.empty() && (payload[0] & kAggregationN) != 0;

    if (packet.discont && seen_packet_) {
        if (n && !z) {
            // The first packet of a new coded video sequence: nothing lost before it matters
            // to what follows, only the unit it interrupted.
            if (in_unit_) {
                break_unit(unit_timestamp_, "packets lost: dropped an incomplete temporal unit",
                           result);
            }
            broken_ = false;
        } else {
            // The lost packets may belong to the open unit, to this packet's, or to both.
            break_unit(packet.timestamp, "packets lost: dropping until a clean start", result);
        }
    }
    seen_packet_ = true;

    if (in_unit_ && packet.timestamp != unit_timestamp_) {
        finish_unit(result); // the unit ended without a marker bit (allowed, section 4.2)
    }
    if (broken_) {
        if (packet.timestamp == broken_timestamp_) {
            return result; // the rest of a dropped unit
        }
        if (z || payload.empty()) {
            broken_timestamp_ = packet.timestamp; // no clean start yet
            result.notes.push_back("waiting for a packet that starts an OBU");
            return result;
        }
        broken_ = false;
    }

    Elements elements;
    std::string error;
    if (!parse_elements(payload, elements, error)) {
        break_unit(packet.timestamp, "malformed packet dropped: " + error, result);
        return result;
    }
    if (!in_unit_) {
        if (elements.z) {
            break_unit(packet.timestamp, "continuation fragment without its start", result);
            return result;
        }
        start_unit(packet, elements.n);
    } else if (elements.z != fragment_open_) {
        break_unit(packet.timestamp,
                   elements.z ? "continuation fragment without its start"
                              : "OBU fragment not continued by the next packet",
                   result);
        return result;
    }

    for (std::size_t i = 0; i < elements.list.size(); ++i) {
        Bytes element = elements.list[i];
        if (unit_data_.size() + fragment_.size() + element.size() > kMaxTemporalUnitSize) {
            break_unit(packet.timestamp, "temporal unit larger than the limit", result);
            return result;
        }
        if (i == 0 && elements.z) {
            fragment_.insert(fragment_.end(), element.begin(), element.end());
        } else {
            fragment_.assign(element.begin(), element.end());
        }
        fragment_open_ = i + 1 == elements.list.size() && elements.y;
        if (!fragment_open_ && !complete_obu(error)) {
            break_unit(packet.timestamp, "malformed OBU dropped: " + error, result);
            return result;
        }
    }
    if (packet.marker) {
        finish_unit(result);
    }
    return result;
}

DepacketizeResult Depacketizer::finish() {
    DepacketizeResult result;
    if (in_unit_) {
        finish_unit(result);
    }
    return result;
}

} // namespace conf::av1
