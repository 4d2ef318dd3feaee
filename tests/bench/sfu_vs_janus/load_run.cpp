#include "load_run.hpp"

#include "janus_signalling.hpp"
#include "whip_signalling.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <glib-unix.h>

#include <algorithm>
#include <csignal>
#include <cstdio>

namespace sfuload {

namespace {

// The longest the servers get to answer the teardown before sfu-load quits anyway.
constexpr guint kTeardownTimeoutMs = 5000;

void print_json_line(const std::string& line) {
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
}

// Median and maximum, in the order given; {0, 0} for none.
std::pair<double, double> median_max(std::vector<double> values) {
    if (values.empty()) {
        return {0, 0};
    }
    std::sort(values.begin(), values.end());
    std::size_t n = values.size();
    double median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    return {median, values.back()};
}

std::string ms_list(const std::vector<double>& values) {
    std::vector<std::string> texts;
    for (double value : values) {
        texts.push_back(value < 0 ? std::string("null") : fmt::format("{:.1f}", value));
    }
    return fmt::format("[{}]", fmt::join(texts, ","));
}

} // namespace

LoadRun::LoadRun(LoadOptions options)
    : options_(std::move(options)),
      loop_(conf::GRef<GMainLoop>::adopt(g_main_loop_new(nullptr, FALSE))) {
    if (options_.target == "janus") {
        signalling_ =
            std::make_unique<JanusSignalling>(http_, options_.url, std::stoull(options_.room));
    } else {
        signalling_ = std::make_unique<WhipSignalling>(http_, options_.url, options_.room);
    }
    int count = options_.publishers * options_.subscribers_per_publisher;
    subscribers_.resize(static_cast<std::size_t>(count));
    for (int k = 0; k < count; ++k) {
        // Round robin, so publishers get their subscribers in turn.
        subscribers_[static_cast<std::size_t>(k)].feed_index = k % options_.publishers;
    }
    feeds_.resize(static_cast<std::size_t>(options_.publishers));
    publisher_connected_.resize(static_cast<std::size_t>(options_.publishers), false);
}

LoadRun::~LoadRun() {
    for (guint source : sources_) {
        g_source_remove(source);
    }
    // Subscribers first: they hold nothing the publishers need.
    subscribers_.clear();
    publishers_.reset();
}

int LoadRun::run() {
    start_us_ = g_get_monotonic_time();
    if (options_.ready_timeout_s <= 0) {
        options_.ready_timeout_s = 30 + static_cast<double>(subscribers_.size()) *
                                            (5 + options_.join_interval_ms / 1000.0);
    }
    sources_.push_back(g_unix_signal_add(SIGINT, &LoadRun::on_signal, this));
    sources_.push_back(g_unix_signal_add(SIGTERM, &LoadRun::on_signal, this));
    sources_.push_back(g_unix_signal_add(SIGUSR1, &LoadRun::on_mark_signal, this));
    post_after_ms(
        static_cast<guint>(options_.ready_timeout_s * 1000), [this, alive = WeakAlive(alive_)] {
            if (!alive.expired() && !ready_ && !stopping_) {
                fail(fmt::format("not every subscriber decodes frames after {} s "
                                 "({} of {} joined)",
                                 options_.ready_timeout_s, next_subscriber_, subscribers_.size()));
            }
        });
    say(fmt::format("{} publishers x {} subscribers each on {} ({})", options_.publishers,
                    options_.subscribers_per_publisher, options_.target, options_.url));
    try {
        publishers_ = std::make_unique<PublisherPipeline>(options_.publishers, options_.encoder,
                                                          options_.ice_address);
    } catch (const std::exception& e) {
        errors_.emplace_back(e.what());
        say(e.what());
        exit_code_ = 1;
        finish();
        return exit_code_;
    }
    for (int i = 0; i < options_.publishers; ++i) {
        publishers_->peer(i).set_state_listener([this, i](GstWebRTCPeerConnectionState state) {
            say(fmt::format("pub-{}: {}", i, Peer::to_string(state)));
            if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) {
                publisher_connected_[static_cast<std::size_t>(i)] = true;
                start_subscribers_when_published();
            } else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED ||
                       state == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED) {
                if (!stopping_) {
                    fail(fmt::format("pub-{}: the connection is {}", i, Peer::to_string(state)));
                }
            }
        });
    }
    signalling_->prepare([this](conf::Status prepared) {
        if (!prepared) {
            fail(prepared.message());
            return;
        }
        publish_all();
    });
    g_main_loop_run(loop_.get());
    return exit_code_;
}

void LoadRun::publish_all() {
    publishers_->start();
    for (int i = 0; i < options_.publishers; ++i) {
        publishers_->peer(i).when_negotiation_needed([this, i] {
            signalling_->publish(
                i, publishers_->peer(i),
                [this, i](conf::Result<std::string> feed) { on_published(i, std::move(feed)); });
        });
    }
}

void LoadRun::on_published(int index, conf::Result<std::string> feed) {
    if (!feed) {
        fail(fmt::format("pub-{}: {}", index, feed.status().message()));
        return;
    }
    say(fmt::format("pub-{}: published as {}", index, *feed));
    feeds_[static_cast<std::size_t>(index)] = *feed;
    ++published_;
    start_subscribers_when_published();
}

void LoadRun::start_subscribers_when_published() {
    bool all_connected = std::all_of(publisher_connected_.begin(), publisher_connected_.end(),
                                     [](bool connected) { return connected; });
    if (subscribing_ || stopping_ || published_ < options_.publishers || !all_connected) {
        return;
    }
    subscribing_ = true;
    say(fmt::format("every publisher is connected; subscribers join in {} ms, one at a time",
                    options_.settle_ms));
    post_after_ms(static_cast<guint>(options_.settle_ms), [this, alive = WeakAlive(alive_)] {
        if (!alive.expired()) {
            start_next_subscriber();
        }
    });
}

void LoadRun::start_next_subscriber() {
    if (stopping_) {
        return;
    }
    if (next_subscriber_ == subscribers_.size()) {
        ready_ = true;
        std::vector<double> request_ms;
        for (const auto& s : subscribers_) {
            request_ms.push_back(static_cast<double>(s.pipeline->first_frame_us() - s.request_us) /
                                 1000.0);
        }
        auto [median, max] = median_max(request_ms);
        say(fmt::format("every subscriber decodes frames; request -> first frame median {:.0f} "
                        "ms, max {:.0f} ms",
                        median, max));
        print_json_line(fmt::format(R"({{"event":"ready","t_s":{:.3f},"frames":{}}})",
                                    ms_since_start(g_get_monotonic_time()) / 1000.0,
                                    frames_json()));
        if (options_.duration_s > 0) {
            post_after_ms(static_cast<guint>(options_.duration_s * 1000),
                          [this, alive = WeakAlive(alive_)] {
                              if (!alive.expired()) {
                                  stop(0, "the duration is over");
                              }
                          });
        }
        return;
    }
    std::size_t index = next_subscriber_++;
    Subscriber& subscriber = subscribers_[index];
    std::string name = fmt::format("sub-{}", index);
    subscriber.start_us = g_get_monotonic_time();
    try {
        subscriber.pipeline = std::make_unique<SubscriberPipeline>(
            name, signalling_->subscriber_offers(), options_.ice_address);
    } catch (const std::exception& e) {
        fail(e.what());
        return;
    }
    subscriber.pipeline->on_first_frame([this, index] { on_first_frame(index); });
    Peer& peer = subscriber.pipeline->peer();
    peer.set_state_listener([this, name](GstWebRTCPeerConnectionState state) {
        if ((state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED ||
             state == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED) &&
            !stopping_) {
            fail(fmt::format("{}: the connection is {}", name, Peer::to_string(state)));
        }
    });
    subscriber.pipeline->start();
    const std::string& feed = feeds_[static_cast<std::size_t>(subscriber.feed_index)];
    auto subscribe = [this, index, name, feed, &peer] {
        signalling_->subscribe(
            static_cast<int>(index), feed, peer,
            [this, index] { subscribers_[index].request_us = g_get_monotonic_time(); },
            [this, index, name](conf::Status negotiated) {
                if (!negotiated) {
                    fail(fmt::format("{}: {}", name, negotiated.message()));
                    return;
                }
                subscribers_[index].negotiated = true;
            });
    };
    if (signalling_->subscriber_offers()) {
        peer.when_negotiation_needed(subscribe);
    } else {
        subscribe();
    }
}

void LoadRun::on_first_frame(std::size_t index) {
    const Subscriber& subscriber = subscribers_[index];
    gint64 first = subscriber.pipeline->first_frame_us();
    say(fmt::format("sub-{} (of pub-{}): first frame {:.0f} ms after its first request, {:.0f} "
                    "ms after it started",
                    index, subscriber.feed_index,
                    static_cast<double>(first - subscriber.request_us) / 1000.0,
                    static_cast<double>(first - subscriber.start_us) / 1000.0));
    if (index + 1 != next_subscriber_) {
        return;
    }
    gint64 since_start_ms = (g_get_monotonic_time() - subscriber.start_us) / 1000;
    gint64 wait_ms = std::max<gint64>(0, options_.join_interval_ms - since_start_ms);
    post_after_ms(static_cast<guint>(wait_ms), [this, alive = WeakAlive(alive_)] {
        if (!alive.expired()) {
            start_next_subscriber();
        }
    });
}

void LoadRun::fail(const std::string& why) {
    errors_.push_back(why);
    say("FAILED: " + why);
    stop(1, why);
}

void LoadRun::stop(int exit_code, const std::string& why) {
    exit_code_ = std::max(exit_code_, exit_code);
    if (stopping_) {
        return;
    }
    stopping_ = true;
    say("stopping: " + why);
    auto finished = std::make_shared<bool>(false);
    auto finish_once = [this, finished, alive = WeakAlive(alive_)] {
        if (!alive.expired() && !*finished) {
            *finished = true;
            finish();
        }
    };
    signalling_->teardown(finish_once);
    post_after_ms(kTeardownTimeoutMs, finish_once);
}

std::string LoadRun::frames_json() const {
    std::vector<std::uint64_t> frames;
    for (const auto& s : subscribers_) {
        frames.push_back(s.pipeline ? s.pipeline->frames() : 0);
    }
    return fmt::format("[{}]", fmt::join(frames, ","));
}

void LoadRun::print_mark() {
    print_json_line(fmt::format(
        R"({{"event":"mark","t_s":{:.3f},"frames":{},"encoded_frames":{},"encoded_keyframes":{}}})",
        ms_since_start(g_get_monotonic_time()) / 1000.0, frames_json(),
        publishers_ ? publishers_->encoded_frames() : 0,
        publishers_ ? publishers_->encoded_keyframes() : 0));
}

void LoadRun::finish() {
    std::vector<double> request_ms;
    std::vector<double> start_ms;
    std::vector<int> feeds;
    std::vector<std::string> errors = errors_;
    for (std::size_t k = 0; k < subscribers_.size(); ++k) {
        const Subscriber& s = subscribers_[k];
        feeds.push_back(s.feed_index);
        gint64 first = s.pipeline ? s.pipeline->first_frame_us() : 0;
        request_ms.push_back(first > 0 && s.request_us > 0
                                 ? static_cast<double>(first - s.request_us) / 1000.0
                                 : -1);
        start_ms.push_back(first > 0 ? static_cast<double>(first - s.start_us) / 1000.0 : -1);
        if (s.pipeline) {
            for (const auto& error : s.pipeline->errors()) {
                errors.push_back(fmt::format("sub-{}: {}", k, error));
            }
        }
        if (first == 0 && exit_code_ == 0) {
            exit_code_ = 1;
            errors.push_back(fmt::format("sub-{} decoded no frame", k));
        }
    }
    if (publishers_) {
        errors.insert(errors.end(), publishers_->errors().begin(), publishers_->errors().end());
    }
    std::vector<double> measured;
    std::copy_if(request_ms.begin(), request_ms.end(), std::back_inserter(measured),
                 [](double ms) { return ms >= 0; });
    auto [median, max] = median_max(measured);
    std::vector<std::string> quoted;
    for (const auto& error : errors) {
        quoted.push_back(json_quote(error));
    }
    print_json_line(fmt::format(
        R"({{"event":"done","target":{},"ok":{},"publishers":{},"subscribers_per_publisher":{},)"
        R"("subscriber_feeds":[{}],"frames":{},"request_to_first_frame_ms":{},)"
        R"("start_to_first_frame_ms":{},"request_to_first_frame_median_ms":{:.1f},)"
        R"("request_to_first_frame_max_ms":{:.1f},"encoded_frames":{},"encoded_keyframes":{},)"
        R"("retries":{},"errors":[{}]}})",
        json_quote(options_.target), exit_code_ == 0 ? "true" : "false", options_.publishers,
        options_.subscribers_per_publisher, fmt::join(feeds, ","), frames_json(),
        ms_list(request_ms), ms_list(start_ms), median, max,
        publishers_ ? publishers_->encoded_frames() : 0,
        publishers_ ? publishers_->encoded_keyframes() : 0, signalling_->retries(),
        fmt::join(quoted, ",")));
    g_main_loop_quit(loop_.get());
}

gboolean LoadRun::on_signal(gpointer self) noexcept {
    auto* run = static_cast<LoadRun*>(self);
    try {
        run->stop(0, "interrupted");
    } catch (const std::exception& e) {
        say(std::string("unexpected error: ") + e.what());
    }
    return G_SOURCE_CONTINUE;
}

gboolean LoadRun::on_mark_signal(gpointer self) noexcept {
    try {
        static_cast<LoadRun*>(self)->print_mark();
    } catch (const std::exception& e) {
        say(std::string("unexpected error: ") + e.what());
    }
    return G_SOURCE_CONTINUE;
}

} // namespace sfuload
