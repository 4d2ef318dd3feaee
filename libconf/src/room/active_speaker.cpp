#include "room/active_speaker.hpp"

#include <gst/rtp/gstrtpbuffer.h>

#include <algorithm>

namespace conf {

std::optional<int> audio_level_of(GstBuffer* rtp, int extension_id) {
    GstRTPBuffer packet = GST_RTP_BUFFER_INIT;
    if (!gst_rtp_buffer_map(rtp, GST_MAP_READ, &packet)) {
        return std::nullopt;
    }
    gpointer data = nullptr;
    guint size = 0;
    std::optional<int> level;
    if (gst_rtp_buffer_get_extension_onebyte_header(&packet, static_cast<guint8>(extension_id), 0,
                                                    &data, &size) &&
        size >= 1) {
        level = static_cast<const guint8*>(data)[0] & 0x7f;
    }
    gst_rtp_buffer_unmap(&packet);
    return level;
}

void AudioLevelMeter::push_rtp(GstBuffer* rtp) {
    std::optional<int> level = audio_level_of(rtp, extension_id_);
    if (!level) {
        return;
    }
    seen_.fetch_add(1, std::memory_order_relaxed);
    int loudest = loudest_.load(std::memory_order_relaxed);
    while (*level < loudest &&
           !loudest_.compare_exchange_weak(loudest, *level, std::memory_order_relaxed)) {
    }
}

std::optional<std::string> DominantSpeaker::update(const std::map<std::string, int>& levels) {
    for (const auto& [member, level] : levels) {
        // Louder is a lower dBov; anything quieter than speech scores 0.
        double sample = std::max(0, options_.speech_level - level);
        double& score = scores_[member];
        score = options_.smoothing * sample + (1.0 - options_.smoothing) * score;
    }
    std::string loudest;
    double best = 0.0;
    for (const auto& [member, score] : scores_) {
        if (score > best) {
            best = score;
            loudest = member;
        }
    }
    if (loudest.empty() || loudest == current_) {
        challenger_.clear();
        challenger_ticks_ = 0;
        return std::nullopt;
    }
    double current_score = current_.empty() ? 0.0 : scores_[current_];
    if (best < current_score + options_.lead) {
        challenger_.clear();
        challenger_ticks_ = 0;
        return std::nullopt;
    }
    challenger_ticks_ = loudest == challenger_ ? challenger_ticks_ + 1 : 1;
    challenger_ = loudest;
    // The first speaker of a quiet room is taken at once.
    if (challenger_ticks_ >= options_.ticks_to_switch || current_.empty()) {
        current_ = loudest;
        challenger_.clear();
        challenger_ticks_ = 0;
        return current_;
    }
    return std::nullopt;
}

void DominantSpeaker::remove(const std::string& member) {
    scores_.erase(member);
    if (challenger_ == member) {
        challenger_.clear();
        challenger_ticks_ = 0;
    }
    if (current_ == member) {
        current_.clear();
    }
}

} // namespace conf
