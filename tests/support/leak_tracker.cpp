#include "support/leak_tracker.hpp"

#include "core/g_unique.hpp"

#include <cstring>

namespace conf::test {

using conf::GUnique;

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
        const gchar* address = gst_structure_get_string(entry, "address");
        out.insert(std::string(type_name != nullptr ? type_name : "?") + "@" +
                   (address != nullptr ? address : "?"));
    }
}

} // namespace

LeakTracker::LeakTracker() {
    GList* tracers = gst_tracing_get_active_tracers(); // transfer full: list and refs
    for (GList* l = tracers; l != nullptr; l = l->next) {
        auto tracer = GRef<GstTracer>::adopt(GST_TRACER(l->data));
        if (!tracer_ && std::strcmp(G_OBJECT_TYPE_NAME(tracer.get()), "GstLeaksTracer") == 0) {
            tracer_ = std::move(tracer);
        }
    }
    g_list_free(tracers);
    if (tracer_) {
        g_signal_emit_by_name(tracer_.get(), "activity-start-tracking");
    }
}

LeakTracker::~LeakTracker() {
    if (tracer_) {
        g_signal_emit_by_name(tracer_.get(), "activity-stop-tracking");
    }
}

std::vector<std::string> LeakTracker::still_alive() {
    std::vector<std::string> alive;
    if (!tracer_) {
        return alive;
    }
    GstStructure* raw = nullptr;
    g_signal_emit_by_name(tracer_.get(), "activity-get-checkpoint", &raw);
    GUnique<GstStructure> checkpoint(raw);
    if (!checkpoint) {
        return alive;
    }
    collect(checkpoint.get(), "objects-created-list", created_);
    collect(checkpoint.get(), "objects-removed-list", removed_);
    for (const auto& key : created_) {
        if (removed_.count(key) == 0) {
            alive.push_back(key);
        }
    }
    return alive;
}

std::vector<std::string> LeakTracker::still_alive_after(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<std::string> alive = still_alive();
    while (!alive.empty() && std::chrono::steady_clock::now() < deadline) {
        g_usleep(10000);
        alive = still_alive();
    }
    return alive;
}

} // namespace conf::test
