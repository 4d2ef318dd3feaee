// The few RAII handles the AV1 elements need. A plugin does not link libconf, so these are
// local: an owner for mini objects (buffers, caps, events) and scoped buffer mappings.
#pragma once

#include <gst/gst.h>
#include <gst/rtp/gstrtpbuffer.h>

#include <cstdint>
#include <memory>
#include <span>

namespace conf::av1 {

struct MiniObjectUnref {
    void operator()(void* object) const noexcept {
        gst_mini_object_unref(static_cast<GstMiniObject*>(object));
    }
};

// Owns one reference to a mini object: GstPtr<GstBuffer>::adopt-style, by construction.
template <typename T>
using GstPtr = std::unique_ptr<T, MiniObjectUnref>;

// A buffer mapped for the life of the handle.
class BufferMapping {
  public:
    BufferMapping(GstBuffer* buffer, GstMapFlags flags) : buffer_(buffer) {
        mapped_ = gst_buffer_map(buffer_, &info_, flags) != FALSE;
    }
    ~BufferMapping() {
        if (mapped_) {
            gst_buffer_unmap(buffer_, &info_);
        }
    }
    BufferMapping(const BufferMapping&) = delete;
    BufferMapping& operator=(const BufferMapping&) = delete;

    explicit operator bool() const { return mapped_; }
    std::span<const std::uint8_t> bytes() const { return {info_.data, info_.size}; }

  private:
    GstBuffer* buffer_;
    GstMapInfo info_ = GST_MAP_INFO_INIT;
    bool mapped_ = false;
};

// An RTP packet mapped for the life of the handle.
class RtpMapping {
  public:
    RtpMapping(GstBuffer* buffer, GstMapFlags flags) {
        mapped_ = gst_rtp_buffer_map(buffer, flags, &rtp_) != FALSE;
    }
    ~RtpMapping() {
        if (mapped_) {
            gst_rtp_buffer_unmap(&rtp_);
        }
    }
    RtpMapping(const RtpMapping&) = delete;
    RtpMapping& operator=(const RtpMapping&) = delete;

    explicit operator bool() const { return mapped_; }
    GstRTPBuffer* get() { return &rtp_; }
    std::span<std::uint8_t> payload() {
        return {static_cast<std::uint8_t*>(gst_rtp_buffer_get_payload(&rtp_)),
                gst_rtp_buffer_get_payload_len(&rtp_)};
    }

  private:
    GstRTPBuffer rtp_ = GST_RTP_BUFFER_INIT;
    bool mapped_ = false;
};

} // namespace conf::av1
