// Active speaker: who is talking in a room, from the audio levels senders already put in
// their packets (RFC 6464 ssrc-audio-level header extension: 0 dBov loudest, 127 silence),
// so nothing is decoded. AudioLevelMeter reads them on the streaming thread; DominantSpeaker
// turns periodic samples into a dominant speaker with hysteresis, so the choice does not
// flap between two people talking over each other or on a cough.
#pragma once

#include "webrtc/local_formats.hpp"
#include "webrtc/received_track.hpp"

#include <atomic>
#include <map>
#include <optional>
#include <string>

namespace conf {

inline constexpr int kSilentLevel = 127;

// Where a room samples one audio track's level from.
class LevelSource : public RtpSink {
  public:
    // The loudest level seen since the last call (kSilentLevel if none), and resets.
    virtual int take_loudest() = 0;
};

class AudioLevelMeter : public LevelSource {
  public:
    explicit AudioLevelMeter(int extension_id) : extension_id_(extension_id) {}
    void push_rtp(GstBuffer* rtp) override; // streaming thread
    int take_loudest() override {
        return loudest_.exchange(kSilentLevel, std::memory_order_relaxed);
    }
    // Packets that carried a level so far.
    std::uint64_t levels_seen() const { return seen_.load(std::memory_order_relaxed); }

  private:
    int extension_id_;
    std::atomic<int> loudest_{kSilentLevel};
    std::atomic<std::uint64_t> seen_{0};
};

// Reads the RFC 6464 level of one RTP packet; nullopt if it has none under `extension_id`.
std::optional<int> audio_level_of(GstBuffer* rtp, int extension_id);

class DominantSpeaker {
  public:
    struct Options {
        int speech_level = 60;   // dBov at or below this (louder) counts as speech
        double smoothing = 0.5;  // weight of the newest sample in the running score
        int ticks_to_switch = 3; // a challenger must lead this many samples in a row
        double lead = 5.0;       // ... by at least this much score
    };
    DominantSpeaker() : DominantSpeaker(Options{}) {}
    explicit DominantSpeaker(Options options) : options_(options) {}

    // One sample per member per tick (its loudest level since the last one). Returns the new
    // dominant speaker when it changes.
    std::optional<std::string> update(const std::map<std::string, int>& loudest_levels);
    void remove(const std::string& member);
    const std::string& current() const noexcept { return current_; }

  private:
    Options options_;
    std::map<std::string, double> scores_;
    std::string current_;
    std::string challenger_;
    int challenger_ticks_ = 0;
};

} // namespace conf
