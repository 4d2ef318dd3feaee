// LoadRun: one sfu-load run against one server. P publishers send the shared VP8 stream; once
// all are connected, P×S subscribers join one after another (each publisher gets S), each
// starting when the one before has decoded its first frame and at least --join-interval-ms
// after it started, so every join is timed alone.
//
// stdout carries JSON lines only, for tests/bench/sfu_vs_janus/run.sh:
//   {"event":"ready",...}  every subscriber decodes frames
//   {"event":"mark",...}   on SIGUSR1: frames decoded so far, per subscriber
//   {"event":"done",...}   at the end (SIGINT/SIGTERM, --duration, or a failure): frames per
//                          subscriber, first-frame latencies, errors; exit code 0 or 1
#pragma once

#include "http.hpp"
#include "media.hpp"
#include "signalling.hpp"

#include <memory>
#include <string>
#include <vector>

namespace sfuload {

struct LoadOptions {
    std::string target; // "confd" or "janus"
    std::string url;
    std::string room;
    std::string ice_address = "127.0.0.1";
    int publishers = 2;
    int subscribers_per_publisher = 3;
    EncoderSettings encoder;
    int settle_ms = 1000; // after the publishers connect, before the first subscriber
    // Least time from one subscriber's start to the next one's (which also waits for the
    // first one's first frame). Janus sends a publisher at most one keyframe request (PLI)
    // a second, so joins closer than that on one publisher wait for a later keyframe.
    int join_interval_ms = 1500;
    // From start to every subscriber decoding; 0: 30 s plus 5 s and the join interval per
    // subscriber.
    double ready_timeout_s = 0;
    double duration_s = 0; // after ready; 0: until SIGINT/SIGTERM
};

class LoadRun {
  public:
    explicit LoadRun(LoadOptions options);
    ~LoadRun();
    LoadRun(const LoadRun&) = delete;
    LoadRun& operator=(const LoadRun&) = delete;

    // Runs the main loop until the end; returns the exit code.
    int run();

  private:
    struct Subscriber {
        int feed_index = 0;
        std::unique_ptr<SubscriberPipeline> pipeline;
        gint64 start_us = 0;   // its pipeline was made (the join began)
        gint64 request_us = 0; // its first HTTP request was sent
        bool negotiated = false;
    };

    void publish_all();
    void on_published(int index, conf::Result<std::string> feed);
    void start_subscribers_when_published();
    void start_next_subscriber();
    void on_first_frame(std::size_t index);
    void fail(const std::string& why);
    void stop(int exit_code, const std::string& why);
    void finish();
    void print_mark();
    std::string frames_json() const;
    double ms_since_start(gint64 us) const { return static_cast<double>(us - start_us_) / 1000.0; }

    static gboolean on_signal(gpointer self) noexcept;
    static gboolean on_mark_signal(gpointer self) noexcept;

    LoadOptions options_;
    conf::GRef<GMainLoop> loop_;
    Http http_;
    std::unique_ptr<Signalling> signalling_;
    std::unique_ptr<PublisherPipeline> publishers_;
    std::vector<std::string> feeds_;
    std::vector<bool> publisher_connected_;
    int published_ = 0;
    bool subscribing_ = false;
    std::vector<Subscriber> subscribers_;
    std::size_t next_subscriber_ = 0;
    bool ready_ = false;
    bool stopping_ = false;
    int exit_code_ = 0;
    std::vector<std::string> errors_;
    gint64 start_us_ = 0;
    std::vector<guint> sources_;
    AliveToken alive_ = std::make_shared<int>(0);
};

} // namespace sfuload
