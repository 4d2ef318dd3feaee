#include "transcode/encoder_selector.hpp"

#include <fmt/format.h>

#include <sstream>

namespace conf {

EncoderSelector& EncoderSelector::global() {
    static EncoderSelector selector(CodecRegistry::global());
    return selector;
}

EncoderSelector::EncoderSelector(const CodecRegistry& registry)
    : registry_(registry), logger_("transcode") {}

Result<EncoderChoice> EncoderSelector::choose(std::string_view encoding_name) {
    std::lock_guard lock(mutex_);
    if (auto it = chosen_.find(encoding_name); it != chosen_.end()) {
        return it->second;
    }
    auto chosen = probe(encoding_name);
    if (chosen) {
        chosen_.emplace(std::string(encoding_name), *chosen);
    }
    return chosen;
}

Result<EncoderChoice> EncoderSelector::probe(std::string_view encoding_name) {
    std::vector<std::string> skipped;
    for (const EncoderChoice& choice : registry_.encoders_for(encoding_name)) {
        auto element = make(choice, 1000, 60, "probe");
        if (!element) {
            skipped.push_back(fmt::format("{} ({})", choice.factory, element.status().message()));
            continue;
        }
        GstStateChangeReturn ready = gst_element_set_state(element->get(), GST_STATE_READY);
        gst_element_set_state(element->get(), GST_STATE_NULL);
        if (ready == GST_STATE_CHANGE_FAILURE) {
            skipped.push_back(fmt::format("{} (did not initialise)", choice.factory));
            continue;
        }
        if (!skipped.empty()) {
            // The one line an operator needs: which encoder runs and why not a better one.
            logger_.warn("{} encoder: using {} {}; not usable here: {}", encoding_name,
                         choice.hardware ? "hardware" : "software", choice.factory,
                         fmt::join(skipped, ", "));
        } else {
            logger_.info("{} encoder: using {} {}", encoding_name,
                         choice.hardware ? "hardware" : "software", choice.factory);
        }
        return choice;
    }
    return unavailable(fmt::format("no usable {} encoder{}{}", encoding_name,
                                   skipped.empty() ? "" : ": ", fmt::join(skipped, ", ")));
}

Result<GRef<GstElement>> EncoderSelector::make(const EncoderChoice& choice, int bitrate_kbps,
                                               int keyframe_frames, const std::string& name) {
    auto element = GRef<GstElement>::adopt(
        gst_element_factory_make(std::string(choice.factory).c_str(), name.c_str()));
    if (!element) {
        return unavailable("GStreamer has no such element");
    }
    if (Status configured = configure(element.get(), choice, bitrate_kbps, keyframe_frames);
        !configured) {
        return configured;
    }
    return element;
}

Status EncoderSelector::configure(GstElement* encoder, const EncoderChoice& choice,
                                  int bitrate_kbps, int keyframe_frames) {
    GObjectClass* klass = G_OBJECT_GET_CLASS(encoder);
    auto set = [&](std::string_view property, const std::string& value) -> Status {
        std::string key(property);
        if (g_object_class_find_property(klass, key.c_str()) == nullptr) {
            return invalid_argument(fmt::format("{} has no property '{}'", choice.factory, key));
        }
        gst_util_set_object_arg(G_OBJECT(encoder), key.c_str(), value.c_str());
        return Status::ok();
    };
    std::istringstream pairs{std::string(choice.properties)};
    for (std::string pair; pairs >> pair;) {
        auto eq = pair.find('=');
        if (eq == std::string::npos) {
            return invalid_argument(fmt::format("'{}' is not name=value", pair));
        }
        if (Status ok = set(pair.substr(0, eq), pair.substr(eq + 1)); !ok) {
            return ok;
        }
    }
    if (!choice.bitrate_property.empty()) {
        long long value = static_cast<long long>(bitrate_kbps) * 1000 / choice.bitrate_unit;
        if (Status ok = set(choice.bitrate_property, std::to_string(value)); !ok) {
            return ok;
        }
    }
    if (!choice.keyframe_property.empty()) {
        if (Status ok = set(choice.keyframe_property, std::to_string(keyframe_frames)); !ok) {
            return ok;
        }
    }
    return Status::ok();
}

} // namespace conf
