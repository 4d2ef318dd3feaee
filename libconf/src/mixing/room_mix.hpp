// RoomMix: a room's composite (MCU) product. The room's voices are mixed once (AudioMixer)
// and its videos composited once into a layout (VideoCompositor); every consumer shares
// them: composite recordings, viewers of the mixed view (WHEP), live streams, and
// participants that asked for the mix (each hears the mix without its own voice).
//
// The Room feeds it every published track and the active speaker; a track of a member is
// mixed (audio) or placed (video) from the moment it is added. Both outputs are
// ReceivedTracks, so forwarding and recording consume them as they consume a participant's.
// Media thread only.
#pragma once

#include "mixing/audio_mixer.hpp"
#include "mixing/video_compositor.hpp"

#include <memory>
#include <string>
#include <vector>

namespace conf {

struct RoomMixOptions {
    std::string room;
    // The first layout; its canvas is the composite's size and frame rate for good.
    Layout layout = grid_layout();
    LayoutPlanner::Options planner;
    bool locked = false;
    bool show_names = true;
    int video_bitrate_kbps = 2000;
    int audio_bitrate = 32000; // per distinct mix, Opus
};

class RoomMix final : private AudioMixer::Listener, private VideoCompositor::Listener {
  public:
    class Listener {
      public:
        virtual ~Listener() = default;
        // Who is where changed (join, leave, speaker switch, new layout, lock).
        virtual void on_mix_layout_changed(RoomMix& /*mix*/) {}
        // The audio or the video pipeline failed: that half of the mix has stopped.
        virtual void on_mix_failed(RoomMix& /*mix*/, const Status& /*error*/) {}
    };

    static Result<std::unique_ptr<RoomMix>> create(Engine::Impl& engine, RoomMixOptions options,
                                                   Listener* listener = nullptr);
    ~RoomMix() override;
    RoomMix(const RoomMix&) = delete;
    RoomMix& operator=(const RoomMix&) = delete;

    // A published track of `member_id` (shown as `name` under its tile). The track must
    // outlive its place in the mix: remove_member() before it goes.
    void add_track(const std::string& member_id, const std::string& name, ReceivedTrack& track);
    void remove_member(const std::string& member_id);
    void set_active_speaker(const std::string& member_id);
    // kInvalidArgument for a layout on another canvas than the composite's.
    Status set_layout(Layout layout);
    void set_locked(bool locked);

    // The composite picture, VP8.
    ReceivedTrack& video() noexcept { return compositor_->output(); }
    // The mix without `minus_member`'s voice ("" = everyone), Opus; see AudioMixer::output.
    Result<AudioMixer::Output> audio(const std::string& minus_member = {});
    bool has_voice(const std::string& member_id) const { return mixer_->has_input(member_id); }

    const Layout& layout() const noexcept { return compositor_->layout(); }
    bool locked() const noexcept { return compositor_->locked(); }
    const std::vector<Assignment>& assignments() const noexcept {
        return compositor_->assignments();
    }
    const std::string& room() const noexcept { return options_.room; }

  private:
    RoomMix(Engine::Impl& engine, RoomMixOptions options, Listener* listener);

    void on_mixer_failed(AudioMixer& mixer, const Status& error) override;
    void on_compositor_failed(VideoCompositor& compositor, const Status& error) override;
    void on_layout_changed(VideoCompositor& compositor) override;

    Engine::Impl& engine_;
    RoomMixOptions options_;
    Listener* listener_;
    Logger logger_;
    std::unique_ptr<AudioMixer> mixer_;
    std::unique_ptr<VideoCompositor> compositor_;
};

} // namespace conf
