#include "mixing/mix_minus.hpp"

#include <algorithm>
#include <cmath>

namespace conf {

namespace {

std::int64_t frames_of(const std::vector<float>& samples, int channels) {
    return static_cast<std::int64_t>(samples.size()) / channels;
}

} // namespace

MixMinus::MixMinus(MixMinusOptions options)
    : options_(options),
      release_coefficient_(static_cast<float>(
          1.0 - std::exp(-1.0 /
                         static_cast<double>(std::max<std::int64_t>(1, options.release_frames))))) {
}

std::shared_ptr<MixMinus::Input> MixMinus::add_input(const std::string& id) {
    std::lock_guard lock(mutex_);
    if (std::any_of(inputs_.begin(), inputs_.end(),
                    [&id](const auto& input) { return input->id_ == id; })) {
        return nullptr;
    }
    auto input = std::make_shared<Input>(id);
    input->stats_.id = id;
    inputs_.push_back(input);
    return input;
}

void MixMinus::remove_input(const std::string& id) {
    std::lock_guard lock(mutex_);
    std::erase_if(inputs_, [&id](const auto& input) {
        if (input->id_ != id) {
            return false;
        }
        input->removed_ = true;
        input->pending_.clear();
        return true;
    });
}

bool MixMinus::has_input(const std::string& id) const {
    std::lock_guard lock(mutex_);
    return std::any_of(inputs_.begin(), inputs_.end(),
                       [&id](const auto& input) { return input->id_ == id; });
}

void MixMinus::write(Input& input, std::int64_t position, std::span<const float> samples,
                     bool discont) {
    const int channels = options_.channels;
    const auto frames = static_cast<std::int64_t>(samples.size()) / channels;
    if (frames <= 0) {
        return;
    }
    std::lock_guard lock(mutex_);
    if (input.removed_) {
        return;
    }
    std::int64_t start = position;
    if (input.next_ && !discont && std::llabs(position - *input.next_) <= options_.resync_frames) {
        start = *input.next_;
    } else if (input.next_) {
        ++input.stats_.resyncs;
    }
    input.next_ = start + frames;

    // What is already mixed is gone for this input: a late frame must not reach any output.
    std::int64_t skip = 0;
    if (mixed_until_ && start < *mixed_until_) {
        skip = std::min(frames, *mixed_until_ - start);
        input.stats_.frames_late += static_cast<std::uint64_t>(skip);
        if (skip == frames) {
            return;
        }
    }
    const std::int64_t chunk_start = start + skip;
    // Where a restarted placement overlaps pending frames, the newer frames win.
    while (!input.pending_.empty()) {
        Input::Chunk& last = input.pending_.back();
        const std::int64_t last_frames = frames_of(last.samples, channels);
        if (last.start + last_frames <= chunk_start) {
            break;
        }
        if (last.start >= chunk_start) {
            input.pending_frames_ -= last_frames;
            input.pending_.pop_back();
            continue;
        }
        const std::int64_t keep = chunk_start - last.start;
        last.samples.resize(static_cast<std::size_t>(keep * channels));
        input.pending_frames_ -= last_frames - keep;
        break;
    }
    input.pending_.push_back(
        {chunk_start, std::vector<float>(samples.begin() + skip * channels, samples.end())});
    input.pending_frames_ += frames - skip;
    // Nobody mixes (yet): keep the newest frames only.
    while (input.pending_frames_ > options_.max_pending_frames && !input.pending_.empty()) {
        const std::int64_t dropped = frames_of(input.pending_.front().samples, channels);
        input.stats_.frames_dropped += static_cast<std::uint64_t>(dropped);
        input.pending_frames_ -= dropped;
        input.pending_.pop_front();
    }
}

void MixMinus::add_output(const std::string& minus, OutputSink sink) {
    std::lock_guard lock(mutex_);
    std::erase_if(outputs_, [&minus](const Output& output) { return output.minus == minus; });
    outputs_.push_back({minus, std::make_shared<const OutputSink>(std::move(sink)), 1.0f});
}

void MixMinus::remove_output(const std::string& minus) {
    std::lock_guard lock(mutex_);
    std::erase_if(outputs_, [&minus](const Output& output) { return output.minus == minus; });
}

void MixMinus::mix(std::int64_t position, std::int64_t frames) {
    if (frames <= 0) {
        return;
    }
    const int channels = options_.channels;
    const auto samples = static_cast<std::size_t>(frames * channels);
    const std::int64_t end = position + frames;
    std::vector<std::pair<std::shared_ptr<const OutputSink>, std::vector<std::int16_t>>> blocks;
    {
        std::lock_guard lock(mutex_);
        total_.assign(samples, 0.0f);
        for (const auto& input : inputs_) {
            input->block_.assign(samples, 0.0f);
            auto& pending = input->pending_;
            for (const Input::Chunk& chunk : pending) {
                if (chunk.start >= end) {
                    break;
                }
                const std::int64_t from = std::max(chunk.start, position);
                const std::int64_t to =
                    std::min(chunk.start + frames_of(chunk.samples, channels), end);
                if (from >= to) {
                    continue;
                }
                std::copy(chunk.samples.begin() + (from - chunk.start) * channels,
                          chunk.samples.begin() + (to - chunk.start) * channels,
                          input->block_.begin() + (from - position) * channels);
                input->stats_.frames_mixed += static_cast<std::uint64_t>(to - from);
            }
            // Consume everything before the block's end, mixed or (skipped over) not.
            while (!pending.empty()) {
                Input::Chunk& first = pending.front();
                const std::int64_t first_frames = frames_of(first.samples, channels);
                if (first.start >= end) {
                    break;
                }
                if (first.start + first_frames <= end) {
                    input->pending_frames_ -= first_frames;
                    pending.pop_front();
                    continue;
                }
                const std::int64_t used = end - first.start;
                first.samples.erase(first.samples.begin(), first.samples.begin() + used * channels);
                first.start = end;
                input->pending_frames_ -= used;
                break;
            }
            for (std::size_t i = 0; i < samples; ++i) {
                total_[i] += input->block_[i];
            }
        }
        mixed_until_ = end;
        ++blocks_;

        std::vector<float> minus(samples);
        for (Output& output : outputs_) {
            auto left_out = std::find_if(inputs_.begin(), inputs_.end(), [&output](const auto& in) {
                return !output.minus.empty() && in->id_ == output.minus;
            });
            if (left_out == inputs_.end()) {
                std::copy(total_.begin(), total_.end(), minus.begin());
            } else {
                const std::vector<float>& own = (*left_out)->block_;
                for (std::size_t i = 0; i < samples; ++i) {
                    minus[i] = total_[i] - own[i];
                }
            }
            std::vector<std::int16_t> pcm(samples);
            limit(output, minus, pcm);
            blocks.emplace_back(output.sink, std::move(pcm));
        }
    }
    for (const auto& [sink, pcm] : blocks) {
        (*sink)(position, pcm);
    }
}

void MixMinus::limit(Output& output, std::span<const float> in, std::span<std::int16_t> out) const {
    const int channels = options_.channels;
    const float ceiling = options_.ceiling;
    float gain = output.gain;
    for (std::size_t frame = 0; frame * channels < in.size(); ++frame) {
        const std::size_t first = frame * channels;
        float peak = 0.0f;
        for (int c = 0; c < channels; ++c) {
            float v = in[first + c];
            peak = std::max(peak, std::isfinite(v) ? std::fabs(v) : 0.0f);
        }
        // Instant attack: this frame already stays under the ceiling.
        if (peak * gain > ceiling) {
            gain = ceiling / peak;
        }
        for (int c = 0; c < channels; ++c) {
            float v = in[first + c];
            float y = std::isfinite(v) ? std::clamp(v * gain, -1.0f, 1.0f) : 0.0f;
            out[first + c] = static_cast<std::int16_t>(std::lrint(y * 32767.0f));
        }
        gain += (1.0f - gain) * release_coefficient_;
    }
    output.gain = gain;
}

std::vector<MixInputStats> MixMinus::stats() const {
    std::lock_guard lock(mutex_);
    std::vector<MixInputStats> all;
    all.reserve(inputs_.size());
    for (const auto& input : inputs_) {
        all.push_back(input->stats_);
    }
    return all;
}

std::uint64_t MixMinus::blocks() const {
    std::lock_guard lock(mutex_);
    return blocks_;
}

} // namespace conf
