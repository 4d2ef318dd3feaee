// Publisher: the media side of whip-client. One pipeline, "webrtcbin name=whip" fed by the
// user's payloaded sources; it makes the offer, waits until ICE gathering is complete (the
// offer then carries every candidate, so no trickle is needed), takes the answer and reports
// the connection state. Main thread only; webrtcbin's callbacks are posted there.
#pragma once

#include "g_handles.hpp"
#include "main_thread.hpp"

#include <gst/webrtc/webrtc.h>

#include <optional>
#include <string>

namespace whip {

class Publisher {
  public:
    class Listener {
      public:
        virtual ~Listener() = default;
        // The complete offer. `summary` reads like "video VP8, audio OPUS; 1 ICE candidate".
        virtual void on_offer(const std::string& sdp, const std::string& summary) = 0;
        virtual void on_connection_state(GstWebRTCPeerConnectionState state) = 0;
        // Anything that ends publishing: a pipeline error, a refused answer, no candidates.
        virtual void on_media_error(const std::string& message) = 0;
        // Every source ended (a finite --pipeline): publishing is done.
        virtual void on_sources_ended() = 0;
    };

    // Parses "webrtcbin name=whip <sources>" and restricts ICE to `ice_address`. Throws
    // std::runtime_error when the description does not parse or link.
    Publisher(const std::string& sources, const std::string& ice_address, Listener& listener);
    ~Publisher();
    Publisher(const Publisher&) = delete;
    Publisher& operator=(const Publisher&) = delete;

    // Sets the pipeline PLAYING; webrtcbin then asks for negotiation and the offer follows.
    void start();
    // Applies the server's answer. Returns an error message if it cannot even be parsed;
    // a refusal by webrtcbin comes later through on_media_error().
    [[nodiscard]] std::optional<std::string> apply_answer(const std::string& sdp);
    // Sets the pipeline to NULL; nothing is reported afterwards.
    void stop();

    static std::string to_string(GstWebRTCPeerConnectionState state);

  private:
    static void on_negotiation_needed(GstElement* webrtcbin, gpointer self) noexcept;
    static void on_gathering_state(GstElement* webrtcbin, GParamSpec*, gpointer self) noexcept;
    static void on_connection_state(GstElement* webrtcbin, GParamSpec*, gpointer self) noexcept;
    static gboolean on_bus_message(GstBus* bus, GstMessage* message, gpointer self) noexcept;
    static gboolean on_gathering_timeout(gpointer self) noexcept;

    // Posts `fn` to the main thread; it does not run if this publisher is gone by then.
    void post(std::function<void(Publisher&)> fn);
    void create_offer();
    void offer_created(GstPromise* promise);
    void send_offer_if_gathered(bool timed_out);
    void fail(const std::string& message);

    Listener& listener_;
    ElementPtr pipeline_;
    ElementPtr webrtcbin_;
    guint bus_watch_ = 0;
    SourcePtr gathering_timer_;
    bool offer_requested_ = false;
    bool offer_sent_ = false;
    bool stopped_ = false;
    AliveToken alive_ = std::make_shared<int>(0);
};

} // namespace whip
