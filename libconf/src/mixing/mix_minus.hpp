// MixMinus: the arithmetic of a mix-minus bus, sample-accurate and free of GStreamer.
//
// Inputs write decoded float audio at positions on one timeline (frames at the mixer's rate,
// counted from the mixer pipeline's running time 0). Once per block, mix() sums every input's
// frames for the block into the total and gives each output the total minus one input's
// frames: the very frames that went into the total, so the left-out voice cancels exactly
// whatever the timing (two aggregators meeting by timestamps cannot promise that). Frames
// written after their block was mixed are dropped, for the total and every output alike.
//
// An input is placed contiguously: each write continues where the last one ended, unless it
// is marked discontinuous or its position is more than `resync_frames` away (a stall, a
// drifting sender clock), as audiomixer's alignment threshold does. Outputs are soft-limited
// to `ceiling` (instant attack, exponential release) before they become S16.
//
// Thread-safe: each input writes from its own streaming thread, mix() runs on another.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace conf {

struct MixMinusOptions {
    int channels = 1;                        // interleaved, the same for inputs and outputs
    std::int64_t max_pending_frames = 48000; // per input, written but not yet mixed
    std::int64_t resync_frames = 1920;       // 40 ms at 48 kHz
    float ceiling = 0.97f;                   // output peak limit, full scale = 1
    std::int64_t release_frames = 2400;      // limiter gain recovery time constant
};

struct MixInputStats {
    std::string id;
    std::uint64_t frames_mixed = 0;   // frames that reached a block
    std::uint64_t frames_late = 0;    // written after their block was mixed: dropped
    std::uint64_t frames_dropped = 0; // beyond max_pending_frames: dropped
    std::uint64_t resyncs = 0;        // placements restarted from the written position
};

class MixMinus {
  public:
    // Held by whoever writes an input's audio; outlives removal harmlessly (writes are then
    // ignored).
    class Input;
    // Receives an output's block: `samples` (interleaved S16, frames × channels) for the
    // block starting at `position`. Called on mix()'s thread, outside the lock.
    using OutputSink = std::function<void(std::int64_t position, std::span<const std::int16_t>)>;

    explicit MixMinus(MixMinusOptions options);
    MixMinus(const MixMinus&) = delete;
    MixMinus& operator=(const MixMinus&) = delete;

    const MixMinusOptions& options() const noexcept { return options_; }

    // nullptr if an input with this id exists already.
    std::shared_ptr<Input> add_input(const std::string& id);
    void remove_input(const std::string& id);
    bool has_input(const std::string& id) const;

    // `samples`: `frames` interleaved frames starting at `position` (before placement).
    void write(Input& input, std::int64_t position, std::span<const float> samples, bool discont);

    // The mix without input `minus` ("" or an id that is not an input: the full mix).
    // Replaces an output with the same key.
    void add_output(const std::string& minus, OutputSink sink);
    void remove_output(const std::string& minus);

    // Mixes [position, position + frames) and hands each output its block.
    void mix(std::int64_t position, std::int64_t frames);

    std::vector<MixInputStats> stats() const;
    std::uint64_t blocks() const;

  private:
    struct Output {
        std::string minus;
        std::shared_ptr<const OutputSink> sink;
        float gain = 1.0f; // the limiter's current gain
    };
    void limit(Output& output, std::span<const float> in, std::span<std::int16_t> out) const;

    const MixMinusOptions options_;
    const float release_coefficient_;
    mutable std::mutex mutex_;
    std::vector<std::shared_ptr<Input>> inputs_; // under mutex_
    std::vector<Output> outputs_;                // under mutex_
    std::optional<std::int64_t> mixed_until_;    // under mutex_: end of the last block
    std::vector<float> total_;                   // under mutex_: scratch
    std::uint64_t blocks_ = 0;                   // under mutex_
};

class MixMinus::Input {
  public:
    explicit Input(std::string id) : id_(std::move(id)) {}
    const std::string& id() const noexcept { return id_; }

  private:
    friend class MixMinus;
    struct Chunk {
        std::int64_t start;
        std::vector<float> samples;
    };
    // All under MixMinus::mutex_.
    std::string id_;
    bool removed_ = false;
    std::deque<Chunk> pending_;
    std::int64_t pending_frames_ = 0;
    std::optional<std::int64_t> next_; // where the next contiguous write goes
    std::vector<float> block_;         // this input's frames of the current block
    MixInputStats stats_;
};

} // namespace conf
