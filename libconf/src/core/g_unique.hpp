// GUnique<T>: single owner of a GLib/GStreamer struct that is freed, not ref-counted
// (gchar*, GError, GstStructure, GstSDPMessage, ...), freed by the function FreeTraits picks
// for its type: `GUnique<GError> error; parse(..., error.out());`.
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <utility>

namespace conf {

template <typename T>
struct FreeTraits;

#define CONF_FREE_TRAITS(Type, free_fn)                                                            \
    template <>                                                                                    \
    struct FreeTraits<Type> {                                                                      \
        static void free(Type* p) { free_fn(p); }                                                  \
    }

CONF_FREE_TRAITS(gchar, g_free);
CONF_FREE_TRAITS(GError, g_error_free);
CONF_FREE_TRAITS(GstStructure, gst_structure_free);
CONF_FREE_TRAITS(GstIterator, gst_iterator_free);
CONF_FREE_TRAITS(GstSDPMessage, gst_sdp_message_free);
CONF_FREE_TRAITS(GstWebRTCSessionDescription, gst_webrtc_session_description_free);
CONF_FREE_TRAITS(GKeyFile, g_key_file_free);
CONF_FREE_TRAITS(GstDateTime, gst_date_time_unref);
CONF_FREE_TRAITS(GDateTime, g_date_time_unref);
CONF_FREE_TRAITS(GMappedFile, g_mapped_file_unref);
#undef CONF_FREE_TRAITS

template <typename T>
class GUnique {
  public:
    GUnique() = default;
    explicit GUnique(T* p) noexcept : ptr_(p) {}
    ~GUnique() { reset(); }
    GUnique(const GUnique&) = delete;
    GUnique& operator=(const GUnique&) = delete;
    GUnique(GUnique&& other) noexcept : ptr_(std::exchange(other.ptr_, nullptr)) {}
    GUnique& operator=(GUnique&& other) noexcept {
        if (this != &other) {
            reset(std::exchange(other.ptr_, nullptr));
        }
        return *this;
    }

    void reset(T* p = nullptr) noexcept {
        if (T* old = std::exchange(ptr_, p)) {
            FreeTraits<T>::free(old);
        }
    }
    // For C out-parameters: `gst_sdp_message_new(msg.out())`. Frees what was held first.
    [[nodiscard]] T** out() noexcept {
        reset();
        return &ptr_;
    }
    [[nodiscard]] T* release() noexcept { return std::exchange(ptr_, nullptr); }

    T* get() const noexcept { return ptr_; }
    T* operator->() const noexcept { return ptr_; }
    explicit operator bool() const noexcept { return ptr_ != nullptr; }

  private:
    T* ptr_ = nullptr;
};

} // namespace conf
