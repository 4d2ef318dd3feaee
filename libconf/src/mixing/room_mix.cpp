#include "mixing/room_mix.hpp"

namespace conf {

RoomMix::RoomMix(Engine::Impl& engine, RoomMixOptions options, Listener* listener)
    : engine_(engine), options_(std::move(options)), listener_(listener),
      logger_(Logger("room-mix").with("room", options_.room)) {}

RoomMix::~RoomMix() = default;

Result<std::unique_ptr<RoomMix>> RoomMix::create(Engine::Impl& engine, RoomMixOptions options,
                                                 Listener* listener) {
    CONF_ASSERT_MEDIA_THREAD(engine);
    std::unique_ptr<RoomMix> mix(new RoomMix(engine, std::move(options), listener));
    AudioMixerOptions audio;
    audio.room = mix->options_.room;
    audio.bitrate = mix->options_.audio_bitrate;
    auto mixer = AudioMixer::create(engine, std::move(audio), mix.get());
    if (!mixer) {
        return mixer.status();
    }
    mix->mixer_ = std::move(mixer).value();
    VideoCompositorOptions video;
    video.name = "mix-" + mix->options_.room;
    video.layout = mix->options_.layout;
    video.planner = mix->options_.planner;
    video.bitrate_kbps = mix->options_.video_bitrate_kbps;
    video.show_names = mix->options_.show_names;
    auto compositor = VideoCompositor::create(engine, std::move(video), mix.get());
    if (!compositor) {
        return compositor.status();
    }
    mix->compositor_ = std::move(compositor).value();
    if (mix->options_.locked) {
        mix->compositor_->set_locked(true);
    }
    mix->logger_.info("mixing: layout {}, {}x{}@{}/{}", mix->layout().name,
                      mix->layout().canvas.width, mix->layout().canvas.height,
                      mix->layout().canvas.fps_num, mix->layout().canvas.fps_den);
    return mix;
}

void RoomMix::add_track(const std::string& member_id, const std::string& name,
                        ReceivedTrack& track) {
    Status added = track.kind() == MediaKind::kAudio
                       ? mixer_->add_input(member_id, track)
                       : compositor_->add_input(member_id, track, false, name);
    if (!added) {
        // The others' mix goes on; this member is heard or seen only in the SFU.
        logger_.warn("{} is not in the mix: {}", track.id(), added.message());
    }
}

void RoomMix::remove_member(const std::string& member_id) {
    mixer_->remove_input(member_id);
    (void)compositor_->remove_input(member_id); // kNotFound when it had no video
}

void RoomMix::set_active_speaker(const std::string& member_id) {
    compositor_->set_active_speaker(member_id);
}

Status RoomMix::set_layout(Layout layout) {
    return compositor_->set_layout(std::move(layout));
}

void RoomMix::set_locked(bool locked) {
    if (locked != compositor_->locked()) {
        compositor_->set_locked(locked);
        if (listener_ != nullptr) {
            listener_->on_mix_layout_changed(*this); // a lock moves nobody, yet it is news
        }
    }
}

Result<AudioMixer::Output> RoomMix::audio(const std::string& minus_member) {
    return mixer_->output(minus_member);
}

void RoomMix::on_mixer_failed(AudioMixer& /*mixer*/, const Status& error) {
    logger_.error("the audio mix failed: {}", error.message());
    if (listener_ != nullptr) {
        listener_->on_mix_failed(*this, error);
    }
}

void RoomMix::on_compositor_failed(VideoCompositor& /*compositor*/, const Status& error) {
    logger_.error("the composite video failed: {}", error.message());
    if (listener_ != nullptr) {
        listener_->on_mix_failed(*this, error);
    }
}

void RoomMix::on_layout_changed(VideoCompositor& /*compositor*/) {
    if (listener_ != nullptr) {
        listener_->on_mix_layout_changed(*this);
    }
}

} // namespace conf
