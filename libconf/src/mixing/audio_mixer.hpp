// AudioMixer: a room's audio mixed once, with mix-minus outputs encoded once per distinct mix.
//
// One pipeline, made of islands that share nothing but the MixMinus bus (mix_minus.hpp):
//
//   input  (one per member):  appsrc ! rtpjitterbuffer ! rtpopusdepay ! opusdec ! audioconvert
//                             ! audioresample ! F32 48 kHz ! fakesink   (probe: write to the bus)
//   tick   (one):             audiotestsrc is-live (10 ms blocks, silence) ! fakesink
//                             (probe: mix one block, push each output's block to its appsrc)
//   output (one per mix):     appsrc ! opusenc ! rtpopuspay ! fakesink
//                             (a ReceivedTrack on rtpopuspay's src pad fans the RTP out)
//
// The tick's streaming thread mixes the block that ended `latency` ago, so every output is
// one continuous, gapless stream whatever inputs do: an input that stalls (muted, lost)
// just adds silence; joining or leaving adds or removes an island and touches no other.
// Output PTS are the mixed content's running time, so a ReceivedTrack moves them onto the
// absolute clock where they line up with the inputs' own PTS (recordings stay in sync).
//
// Outputs: output("") is the full mix, output(member) the mix without that member's input.
// A member that is not an input gets the full mix (one shared encoder for all listeners);
// if it becomes an input later, ask again (the earlier Output stays the full mix). An Output
// is a counted claim: the encoder runs while at least one claim on it lives.
//
// Media thread only, except where a comment says otherwise.
#pragma once

#include "core/engine_impl.hpp"
#include "core/pipeline.hpp"
#include "core/probe_connection.hpp"
#include "core/timer.hpp"
#include "mixing/mix_minus.hpp"
#include "webrtc/received_track.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace conf {

struct AudioMixerOptions {
    std::string room;    // names the pipeline (`audio-mix-<room>`) and log lines
    int channels = 1;    // of the mix and its outputs: 1 (voice) or 2
    int bitrate = 32000; // per output, Opus, bits per second
    // How late after its PTS an input's packet may reach the mixer and still be mixed; every
    // output is this much behind the clock. Covers network jitter and the upstream
    // jitterbuffer's wait after a loss (EndpointOptions::jitterbuffer_latency, 100 ms):
    // when smaller, a lost packet costs the mix the packets held behind it too.
    std::chrono::milliseconds latency{100};
    // Each input's own rtpjitterbuffer: reorders and turns losses into Opus concealment.
    std::chrono::milliseconds input_jitter{20};
    int payload_type = 111; // of the outputs' RTP
};

struct AudioMixerStats {
    std::uint64_t blocks = 0; // 10 ms blocks mixed so far
    std::vector<MixInputStats> inputs;
    std::size_t outputs = 0; // distinct outputs (encoders) running
};

class AudioMixer final : private Pipeline::Listener {
    struct InputBranch;
    struct OutputBranch;

  public:
    class Listener {
      public:
        virtual ~Listener() = default;
        // The mixer's pipeline failed: no output carries audio any more.
        virtual void on_mixer_failed(AudioMixer& mixer, const Status& error) = 0;
        // One input's branch failed (bad data from that member) and was removed; the mix
        // goes on without it.
        virtual void on_input_failed(AudioMixer& /*mixer*/, const std::string& /*member_id*/,
                                     const Status& /*error*/) {}
    };

    // A counted claim on one output. Move-only; destroy or reset() it on the media thread.
    // Safe to outlive the mixer (it then releases nothing).
    class Output {
      public:
        Output() = default;
        ~Output() { reset(); }
        Output(Output&& other) noexcept;
        Output& operator=(Output&& other) noexcept;
        Output(const Output&) = delete;
        Output& operator=(const Output&) = delete;

        // Opus RTP, PTS on the absolute clock. Valid while this claim and the mixer live.
        ReceivedTrack& track() const noexcept { return *track_; }
        // The member left out of this mix, "" for the full mix.
        const std::string& minus() const noexcept { return minus_; }
        explicit operator bool() const noexcept { return track_ != nullptr; }
        void reset();

      private:
        friend class AudioMixer;
        Output(AudioMixer* mixer, std::weak_ptr<const bool> alive, std::string minus,
               ReceivedTrack* track)
            : mixer_(mixer), alive_(std::move(alive)), minus_(std::move(minus)), track_(track) {}
        AudioMixer* mixer_ = nullptr;
        std::weak_ptr<const bool> alive_;
        std::string minus_;
        ReceivedTrack* track_ = nullptr;
    };

    // Builds and starts the pipeline (nothing to mix yet: outputs carry silence).
    static Result<std::unique_ptr<AudioMixer>>
    create(Engine::Impl& engine, AudioMixerOptions options, Listener* listener = nullptr);
    ~AudioMixer() override;
    AudioMixer(const AudioMixer&) = delete;
    AudioMixer& operator=(const AudioMixer&) = delete;

    // Mixes `track` (Opus) as `member_id`'s voice. The track may go away first: its
    // subscription then ends by itself, and the input is silent until removed.
    Status add_input(const std::string& member_id, ReceivedTrack& track);
    // No-op for a member that is not an input.
    void remove_input(const std::string& member_id);
    bool has_input(const std::string& member_id) const;

    // The mix without `minus_member` ("" = the full mix), created on first request.
    Result<Output> output(const std::string& minus_member);

    AudioMixerStats stats() const;
    const std::string& name() const noexcept { return pipeline_->name(); }
    // The pipeline, for tests and dot graphs.
    GstBin* bin() const noexcept { return pipeline_->bin(); }

  private:
    AudioMixer(Engine::Impl& engine, AudioMixerOptions options, Listener* listener);
    Status build_tick();
    void release(const std::string& minus);
    void on_branch_error(const std::string& bin_name, const Status& error);
    bool check_late_inputs();
    void on_pipeline_error(Pipeline& pipeline, const Status& error) override;

    Engine::Impl& engine_;
    const AudioMixerOptions options_;
    Logger logger_;
    Listener* listener_;
    std::shared_ptr<MixMinus> bus_;
    std::unique_ptr<Pipeline> pipeline_;
    ProbeConnection tick_probe_;
    std::map<std::string, std::unique_ptr<InputBranch>> inputs_;
    std::map<std::string, std::unique_ptr<OutputBranch>> outputs_;
    std::uint64_t branches_made_ = 0; // numbers bins, so a name never comes back
    std::map<std::string, std::uint64_t> late_reported_;
    Timer late_check_;
    bool failed_ = false;
    std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

} // namespace conf
