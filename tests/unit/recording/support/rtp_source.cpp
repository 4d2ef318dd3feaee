#include "recording/support/rtp_source.hpp"

#include <gst/app/gstappsink.h>

namespace conf::test {

Result<std::unique_ptr<RtpSource>> RtpSource::create(Engine::Impl& engine,
                                                     const std::string& description,
                                                     const std::vector<std::string>& track_ids) {
    auto pipeline = Pipeline::parse(engine, "rtp-source", description);
    if (!pipeline) {
        return pipeline.status();
    }
    std::unique_ptr<RtpSource> source(new RtpSource());
    source->pipeline_ = std::move(pipeline).value();
    GstElement* bin = GST_ELEMENT(source->pipeline_->get());
    for (const std::string& id : track_ids) {
        auto sink = source->pipeline_->element(id.c_str());
        if (!sink) {
            return invalid_argument("no appsink named " + id);
        }
        // `bin` is borrowed: the pipeline outlives its appsinks' streaming threads.
        source->connections_.push_back(connect_signal<>(
            sink.get(), "new-sample",
            [appsink = sink.get(), bin, id, targets = source->targets_]() -> GstFlowReturn {
                auto sample =
                    GRef<GstSample>::adopt(gst_app_sink_pull_sample(GST_APP_SINK(appsink)));
                if (!sample) {
                    return GST_FLOW_EOS;
                }
                // What the Endpoint does: a copy with the PTS on the absolute clock, i.e.
                // base time + running time. Running time, not the raw PTS: encoders may
                // shift their segment (x264enc starts at 1000 hours to keep DTS positive).
                GstBuffer* original = gst_sample_get_buffer(sample.get());
                GstClockTime running =
                    gst_segment_to_running_time(gst_sample_get_segment(sample.get()),
                                                GST_FORMAT_TIME, GST_BUFFER_PTS(original));
                if (!GST_CLOCK_TIME_IS_VALID(running)) {
                    return GST_FLOW_OK;
                }
                auto buffer = GRef<GstBuffer>::adopt(gst_buffer_copy(original));
                GST_BUFFER_PTS(buffer.get()) = running + gst_element_get_base_time(bin);
                std::lock_guard lock(targets->mutex);
                for (const auto& input : targets->inputs) {
                    (void)input->push(id, buffer.get());
                }
                return GST_FLOW_OK;
            }));
    }
    return source;
}

RtpSource::~RtpSource() {
    connections_.clear();
}

void RtpSource::add_target(std::shared_ptr<RecorderInput> input) {
    std::lock_guard lock(targets_->mutex);
    targets_->inputs.push_back(std::move(input));
}

Status RtpSource::start() {
    return pipeline_->start();
}

} // namespace conf::test
