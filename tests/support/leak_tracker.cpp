#include "support/leak_tracker.hpp"

#include <glib.h>

#include <cstring>

namespace conf::test {

namespace {

// Collects "type@address" keys from one of the checkpoint's object lists.
void collect(const GstStructure* checkpoint, const char* field, std::set<std::string>& out) {
    const GValue* list = gst_structure_get_value(checkpoint, field);
    if (list == nullptr) {
        return;
    }
    for (guint i = 0; i < gst_value_list_get_size(list); ++i) {
        const GstStructure* entry = gst_value_get_structure(gst_value_list_get_value(list, i));
        const gchar* type_name = gst_structure_get_string(entry, "type-name");
        guint64 address = 0;
        gst_structure_get_uint64(entry, "address", &address);
        out.insert(std::string(type_name != nullptr ? type_name : "?") + "@" +
                   std::to_string(address));
    }
}

} // namespace

LeakTracker::LeakTracker() {
    GList* tracers = gst_tracing_get_active_tracers();
    for (GList* l = tracers; l != nullptr; l = l->next) {
        if (tracer_ == nullptr && std::strcmp(G_OBJECT_TYPE_NAME(l->data), "GstLeaksTracer") == 0) {
            tracer_ = GST_TRACER(gst_object_ref(l->data));
        }
    }
    g_list_free_full(tracers, gst_object_unref);
    if (tracer_ != nullptr) {
        g_signal_emit_by_name(tracer_, "activity-start-tracking");
    }
}

LeakTracker::~LeakTracker() {
    if (tracer_ != nullptr) {
        g_signal_emit_by_name(tracer_, "activity-stop-tracking");
        gst_object_unref(tracer_);
    }
}

std::vector<std::string> LeakTracker::still_alive() {
    std::vector<std::string> alive;
    if (tracer_ == nullptr) {
        return alive;
    }
    GstStructure* checkpoint = nullptr;
    g_signal_emit_by_name(tracer_, "activity-get-checkpoint", &checkpoint);
    if (checkpoint == nullptr) {
        return alive;
    }
    std::set<std::string> created;
    std::set<std::string> removed;
    collect(checkpoint, "objects-created-list", created);
    collect(checkpoint, "objects-removed-list", removed);
    gst_structure_free(checkpoint);
    for (const auto& key : created) {
        if (removed.count(key) == 0) {
            alive.push_back(key);
        }
    }
    return alive;
}

} // namespace conf::test
