// GRef<T>: a shared reference to a reference-counted GLib/GStreamer object.
//
// Two ways in, chosen at the call site so ownership is always visible:
//   GRef<GstElement>::adopt(p)  takes over a reference the caller owns ("transfer full");
//                               a floating reference is sunk, so a freshly made element
//                               (gst_element_factory_make) is owned, not leaked or stolen;
//   GRef<GstPad>::ref(p)        adds a reference to a borrowed pointer ("transfer none").
// Destruction drops the reference. Mini objects (caps, buffers, messages) and GLib types with
// their own ref functions are covered by the RefTraits specialisations below.
#pragma once

#include <gst/gst.h>

#include <utility>

namespace conf {

template <typename T>
struct RefTraits {
    // Default: any GObject. g_object_ref_sink turns a floating reference into a full one and
    // otherwise adds one, so adopt() nets out to exactly one owned reference either way.
    static void ref(T* p) { g_object_ref(p); }
    static void unref(T* p) { g_object_unref(p); }
    static void adopt(T* p) {
        if (g_object_is_floating(p)) {
            g_object_ref_sink(p);
        }
    }
};

#define CONF_MINI_OBJECT_REF_TRAITS(Type)                                                          \
    template <>                                                                                    \
    struct RefTraits<Type> {                                                                       \
        static void ref(Type* p) { gst_mini_object_ref(GST_MINI_OBJECT_CAST(p)); }                 \
        static void unref(Type* p) { gst_mini_object_unref(GST_MINI_OBJECT_CAST(p)); }             \
        static void adopt(Type*) {}                                                                \
    }

CONF_MINI_OBJECT_REF_TRAITS(GstCaps);
CONF_MINI_OBJECT_REF_TRAITS(GstBuffer);
CONF_MINI_OBJECT_REF_TRAITS(GstBufferList);
CONF_MINI_OBJECT_REF_TRAITS(GstMessage);
CONF_MINI_OBJECT_REF_TRAITS(GstEvent);
CONF_MINI_OBJECT_REF_TRAITS(GstQuery);
CONF_MINI_OBJECT_REF_TRAITS(GstSample);
CONF_MINI_OBJECT_REF_TRAITS(GstPromise);
#undef CONF_MINI_OBJECT_REF_TRAITS

#define CONF_GLIB_REF_TRAITS(Type, ref_fn, unref_fn)                                               \
    template <>                                                                                    \
    struct RefTraits<Type> {                                                                       \
        static void ref(Type* p) { ref_fn(p); }                                                    \
        static void unref(Type* p) { unref_fn(p); }                                                \
        static void adopt(Type*) {}                                                                \
    }

CONF_GLIB_REF_TRAITS(GMainContext, g_main_context_ref, g_main_context_unref);
CONF_GLIB_REF_TRAITS(GMainLoop, g_main_loop_ref, g_main_loop_unref);
CONF_GLIB_REF_TRAITS(GSource, g_source_ref, g_source_unref);
CONF_GLIB_REF_TRAITS(GBytes, g_bytes_ref, g_bytes_unref);
CONF_GLIB_REF_TRAITS(GArray, g_array_ref, g_array_unref);
#undef CONF_GLIB_REF_TRAITS

template <typename T>
class GRef {
  public:
    GRef() = default;
    GRef(std::nullptr_t) {}
    ~GRef() { reset(); }

    // Takes over one reference the caller owns; sinks it first if it is floating.
    [[nodiscard]] static GRef adopt(T* p) {
        GRef r;
        if (p != nullptr) {
            RefTraits<T>::adopt(p);
            r.ptr_ = p;
        }
        return r;
    }
    // Adds a reference to a pointer the caller only borrows.
    [[nodiscard]] static GRef ref(T* p) {
        GRef r;
        if (p != nullptr) {
            RefTraits<T>::ref(p);
            r.ptr_ = p;
        }
        return r;
    }

    GRef(const GRef& other) : ptr_(other.ptr_) {
        if (ptr_ != nullptr) {
            RefTraits<T>::ref(ptr_);
        }
    }
    GRef(GRef&& other) noexcept : ptr_(std::exchange(other.ptr_, nullptr)) {}
    GRef& operator=(const GRef& other) {
        if (this != &other) {
            GRef copy(other);
            swap(copy);
        }
        return *this;
    }
    GRef& operator=(GRef&& other) noexcept {
        if (this != &other) {
            reset();
            ptr_ = std::exchange(other.ptr_, nullptr);
        }
        return *this;
    }

    void reset() {
        if (T* p = std::exchange(ptr_, nullptr)) {
            RefTraits<T>::unref(p);
        }
    }
    // Hands the reference to a "transfer full" C call.
    [[nodiscard]] T* release() noexcept { return std::exchange(ptr_, nullptr); }
    void swap(GRef& other) noexcept { std::swap(ptr_, other.ptr_); }

    T* get() const noexcept { return ptr_; }
    T* operator->() const noexcept { return ptr_; }
    explicit operator bool() const noexcept { return ptr_ != nullptr; }
    friend bool operator==(const GRef& a, const GRef& b) noexcept { return a.ptr_ == b.ptr_; }

  private:
    T* ptr_ = nullptr;
};

} // namespace conf
