#include "transcode/transcoder.hpp"

#include "core/running_time.hpp"
#include "webrtc/appsrc_feed.hpp"

#include <fmt/format.h>
#include <gst/video/video.h>

#include <algorithm>

namespace conf {

namespace {

// The appsrc's bound: a stalled encoder drops the oldest RTP rather than queue without end.
constexpr std::uint64_t kMaxQueuedBytes = 4 * 1024 * 1024;

// What the target codec's payloader must be told, and caps its encoder output must meet so
// every browser decodes it.
struct TargetShape {
    std::string encoder_caps; // "" when the encoder's own output is fine
    std::string payloader_args;
    std::string rtp_fields; // extra application/x-rtp fields subscribers' SDP needs
};

TargetShape shape_for(const Codec& codec) {
    if (codec.name == "H264") {
        // Constrained baseline: what every WebRTC H.264 decoder takes. SPS/PPS with every
        // IDR, so a subscriber that joins later can decode from the next keyframe.
        return {"video/x-h264,profile=constrained-baseline",
                "config-interval=-1 aggregate-mode=zero-latency",
                ",packetization-mode=(string)1,profile-level-id=(string)42e01f"};
    }
    if (codec.name == "VP8") {
        return {"", "picture-id-mode=15-bit", ""};
    }
    return {"", "", ""};
}

} // namespace

Transcoder::Transcoder(Engine::Impl& engine, std::string id, TranscodeOptions options)
    : engine_(engine), id_(std::move(id)), options_(options),
      logger_(Logger("transcode").with("transcoder", id_)),
      link_(std::make_shared<ReceivedTrack::SharedSubscription>()) {}

Result<std::unique_ptr<Transcoder>> Transcoder::create(Engine::Impl& engine, std::string id,
                                                       ReceivedTrack& source,
                                                       TranscodeOptions options,
                                                       EncoderSelector& encoders) {
    if (options.codec == nullptr || options.codec->kind != MediaKind::kVideo ||
        source.kind() != MediaKind::kVideo) {
        return invalid_argument("only video is transcoded");
    }
    if (options.height < 0 || options.height > 4320 || options.bitrate_kbps < 50 ||
        options.bitrate_kbps > 50000) {
        return invalid_argument(fmt::format("height {} (0-4320) or bitrate {} kbps (50-50000)",
                                            options.height, options.bitrate_kbps));
    }
    if (source.codec().decoder.empty()) {
        return invalid_argument(fmt::format("no decoder for {}", source.codec().name));
    }
    std::unique_ptr<Transcoder> transcoder(new Transcoder(engine, std::move(id), options));
    if (Status built = transcoder->build(source, encoders); !built) {
        return built;
    }
    return transcoder;
}

Status Transcoder::build(ReceivedTrack& source, EncoderSelector& encoders) {
    const Codec& target = *options_.codec;
    auto choice = encoders.choose(target.name);
    if (!choice) {
        return choice.status();
    }
    int keyframe_frames = std::max<int>(
        1, static_cast<int>(options_.keyframe_interval.count() * options_.frame_rate / 1000));
    encoder_factory_ = std::string(choice->factory);
    TargetShape shape = shape_for(target);
    guint32 ssrc = g_random_int_range(1, G_MAXINT32);
    std::string scale =
        options_.height > 0 ? fmt::format(",height={}", options_.height) : std::string();
    const Codec& from = source.codec();
    std::string description = fmt::format(
        "appsrc name=src is-live=true format=time do-timestamp=false block=false max-bytes={} "
        "leaky-type=downstream "
        "! {} name=depayloader ! {}{} name=decoder ! videoconvert ! videoscale "
        "! video/x-raw,format=I420,pixel-aspect-ratio=1/1{} "
        "! queue name=encode-queue max-size-buffers=2 max-size-bytes=0 max-size-time=0 "
        "leaky=downstream "
        "! {} name=encoder "
        "! capsfilter name=encoded{} "
        "! {} name=payloader pt={} ssrc={} mtu=1200 {} "
        "! fakesink sync=false async=false enable-last-sample=false",
        kMaxQueuedBytes, from.depayloader,
        from.parser.empty() ? "" : fmt::format("{} ! ", from.parser), from.decoder, scale,
        choice->factory, shape.encoder_caps.empty() ? "" : " caps=\"" + shape.encoder_caps + "\"",
        target.payloader, target.payload_type, ssrc, shape.payloader_args);
    auto pipeline = Pipeline::parse(engine_, "transcode-" + id_, description);
    if (!pipeline) {
        return pipeline.status();
    }
    pipeline_ = std::move(pipeline).value();
    auto encoder = pipeline_->element("encoder");
    if (Status configured = EncoderSelector::configure(encoder.get(), *choice,
                                                       options_.bitrate_kbps, keyframe_frames);
        !configured) {
        return configured;
    }
    // System clock, like every pipeline here, so the AppsrcFeed's timestamps line up.
    auto clock = GRef<GstClock>::adopt(gst_system_clock_obtain());
    gst_pipeline_use_clock(pipeline_->get(), clock.get());

    auto appsrc = pipeline_->element("src");
    g_object_set(appsrc.get(), "caps", source.caps(), nullptr);
    configure_live_decoding(pipeline_->element("depayloader").get(),
                            pipeline_->element("decoder").get());
    keyframe_probe_ = forward_keyframe_requests(appsrc.get(), link_);

    auto payloader = pipeline_->element("payloader");
    auto pad = GRef<GstPad>::adopt(gst_element_get_static_pad(payloader.get(), "src"));
    // Subscribers take PTS as running time (ReceivedTrack adds the base time): undo the
    // encoder's segment before the output's own probe sees the packets.
    running_time_probe_ = add_running_time_probe(pad.get());
    auto caps = GRef<GstCaps>::adopt(gst_caps_from_string(
        fmt::format("application/x-rtp,media=(string)video,encoding-name=(string){},"
                    "clock-rate=(int){},payload=(int){},ssrc=(uint){}{}",
                    target.name, target.clock_rate, target.payload_type, ssrc, shape.rtp_fields)
            .c_str()));
    // A subscriber's keyframe request travels upstream from this pad to the encoder.
    output_ = std::make_unique<ReceivedTrack>(id_, target, std::move(caps), std::move(pad),
                                              GRef<GstElement>::ref(GST_ELEMENT(pipeline_->get())));

    pipeline_->set_listener(this);
    if (Status started = pipeline_->start(); !started) {
        return started;
    }
    GstClockTime base_time = gst_element_get_base_time(GST_ELEMENT(pipeline_->get()));
    link_->set(source.subscribe(std::make_shared<AppsrcFeed>(std::move(appsrc), base_time)));
    link_->request_keyframe();
    logger_.info("{} {} -> {} with {}{}, {} kbps", source.id(), from.name, target.name,
                 encoder_factory_,
                 options_.height > 0 ? fmt::format(" at height {}", options_.height) : "",
                 options_.bitrate_kbps);
    return Status::ok();
}

Transcoder::~Transcoder() {
    CONF_ASSERT_MEDIA_THREAD(engine_);
    link_->reset();
    keyframe_probe_.remove();
    running_time_probe_.remove();
    if (pipeline_) {
        pipeline_->set_listener(nullptr);
        pipeline_.reset(); // to NULL
    }
    output_.reset();
}

void Transcoder::on_pipeline_error(Pipeline& /*pipeline*/, const Status& error) {
    logger_.warn("failed: {}", error.message());
    error_ = error;
    link_->reset();
}

} // namespace conf
