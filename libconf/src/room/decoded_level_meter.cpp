#include "room/decoded_level_meter.hpp"

#include "core/g_unique.hpp"

#include <algorithm>
#include <cmath>

namespace conf {

namespace {

// The loudest channel's RMS of a `level` message, in dB below full scale (0 = loudest).
std::optional<double> loudest_rms(const GstStructure* s) {
    // `level` still reports a (deprecated) GValueArray in 1.22; read it as one, by name.
    const GValue* rms = gst_structure_get_value(s, "rms");
    if (rms == nullptr || g_strcmp0(G_VALUE_TYPE_NAME(rms), "GValueArray") != 0) {
        return std::nullopt;
    }
    const auto* channels = static_cast<const GValueArray*>(g_value_get_boxed(rms));
    std::optional<double> loudest;
    for (guint i = 0; channels != nullptr && i < channels->n_values; ++i) {
        double db = g_value_get_double(&channels->values[i]);
        loudest = loudest ? std::max(*loudest, db) : db;
    }
    return loudest;
}

} // namespace

class DecodedLevelMeter::Feed final : public LevelSource {
  public:
    explicit Feed(GRef<GstElement> appsrc) : appsrc_(std::move(appsrc)) {}
    void push_rtp(GstBuffer* rtp) override {
        if (failed.load(std::memory_order_relaxed)) {
            return;
        }
        // appsrc stamps arrival time; the absolute-clock PTS means nothing to this pipeline.
        GstBuffer* copy = gst_buffer_copy(rtp);
        GST_BUFFER_PTS(copy) = GST_CLOCK_TIME_NONE;
        GST_BUFFER_DTS(copy) = GST_CLOCK_TIME_NONE;
        gst_app_src_push_buffer(GST_APP_SRC(appsrc_.get()), copy);
    }
    int take_loudest() override { return loudest->exchange(kSilentLevel); }

    // Written by the level element's streaming thread (the bus sync handler).
    std::shared_ptr<std::atomic<int>> loudest = std::make_shared<std::atomic<int>>(kSilentLevel);
    std::atomic<bool> failed{false};

  private:
    GRef<GstElement> appsrc_;
};

Result<std::unique_ptr<DecodedLevelMeter>>
DecodedLevelMeter::create(Engine::Impl& engine, const std::string& name, GstCaps* caps) {
    auto pipeline = Pipeline::create(engine, "level-" + name);
    if (!pipeline) {
        return pipeline.status();
    }
    GUnique<GError> error;
    GstElement* bin = gst_parse_bin_from_description(
        "appsrc name=src is-live=true format=time do-timestamp=true max-bytes=65536 "
        "leaky-type=downstream ! rtpopusdepay ! opusdec ! "
        "level interval=200000000 post-messages=true ! fakesink sync=false async=false",
        FALSE, error.out());
    if (bin == nullptr) {
        return unavailable(fmt::format("cannot build a level meter: {}",
                                       error ? error->message : "unknown error"));
    }
    gst_bin_add((*pipeline)->bin(), bin);
    std::unique_ptr<DecodedLevelMeter> meter(new DecodedLevelMeter());
    auto appsrc = GRef<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(bin), "src"));
    g_object_set(appsrc.get(), "caps", caps, nullptr);
    meter->feed_ = std::make_shared<Feed>(std::move(appsrc));
    // Level messages are read where they are posted and never reach the media thread.
    auto bus = GRef<GstBus>::adopt(gst_element_get_bus(GST_ELEMENT((*pipeline)->get())));
    gst_bus_set_sync_handler(
        bus.get(),
        [](GstBus*, GstMessage* message, gpointer data) -> GstBusSyncReply {
            const GstStructure* s = gst_message_get_structure(message);
            if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ELEMENT || s == nullptr ||
                !gst_structure_has_name(s, "level")) {
                return GST_BUS_PASS;
            }
            if (auto rms = loudest_rms(s)) {
                int level = static_cast<int>(std::lround(std::clamp(-*rms, 0.0, 127.0)));
                auto& loudest = **static_cast<std::shared_ptr<std::atomic<int>>*>(data);
                int current = loudest.load();
                while (level < current && !loudest.compare_exchange_weak(current, level)) {
                }
            }
            // A sync handler that drops a message owns it (GstBusSyncHandler's contract).
            GRef<GstMessage>::adopt(message).reset();
            return GST_BUS_DROP;
        },
        new std::shared_ptr<std::atomic<int>>(meter->feed_->loudest),
        [](gpointer data) { delete static_cast<std::shared_ptr<std::atomic<int>>*>(data); });
    meter->pipeline_ = std::move(pipeline).value();
    meter->pipeline_->set_listener(meter.get());
    if (Status started = meter->pipeline_->start(); !started) {
        return started;
    }
    return meter;
}

DecodedLevelMeter::~DecodedLevelMeter() {
    if (pipeline_) {
        pipeline_->set_listener(nullptr);
    }
}

std::shared_ptr<LevelSource> DecodedLevelMeter::source() const {
    return feed_;
}

void DecodedLevelMeter::on_pipeline_error(Pipeline& /*pipeline*/, const Status& error) {
    // A meter is a nicety: its failure costs the speaker indicator of one member, no more.
    feed_->failed.store(true);
    Logger("room").warn("audio level meter stopped: {}", error.message());
}

} // namespace conf
