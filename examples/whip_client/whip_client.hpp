// WhipClient: one WHIP publish from start to end. It starts the Publisher, POSTs its offer,
// applies the answer, publishes for the given duration (or until SIGINT/SIGTERM), then
// DELETEs the session resource and reports how it went as an exit status. Main thread only.
#pragma once

#include "g_handles.hpp"
#include "options.hpp"
#include "publisher.hpp"
#include "whip_http.hpp"

#include <memory>
#include <string>

namespace whip {

class WhipClient final : public Publisher::Listener {
  public:
    explicit WhipClient(Options options);
    ~WhipClient() override;
    WhipClient(const WhipClient&) = delete;
    WhipClient& operator=(const WhipClient&) = delete;

    // Runs the main loop until the session is over. Returns 0 after a clean stop (DELETE
    // accepted), 1 after any error, 130 after a second interrupt.
    int run();

  private:
    enum class Phase { kOffering, kPosting, kConnecting, kPublishing, kStopping, kDone };

    void on_offer(const std::string& sdp, const std::string& summary) override;
    void on_connection_state(GstWebRTCPeerConnectionState state) override;
    void on_media_error(const std::string& message) override;
    void on_sources_ended() override;

    void on_posted(const WhipResponse& response);
    void start_timer(double seconds, GSourceFunc callback);
    void cancel_timer();
    // Ends the session: DELETE if there is one, then finish(). `exit_code` only ever raises
    // the final status.
    void stop(int exit_code, const std::string& why);
    void send_delete();
    void finish(int exit_code);

    static gboolean on_unix_signal(gpointer self) noexcept;
    static gboolean on_connect_timeout(gpointer self) noexcept;
    static gboolean on_duration_elapsed(gpointer self) noexcept;

    Options options_;
    Owned<GMainLoop, g_main_loop_unref> loop_;
    WhipHttp http_;
    std::unique_ptr<Publisher> publisher_;
    Phase phase_ = Phase::kOffering;
    bool stop_after_post_ = false; // a stop came while the POST was in flight
    std::string location_;         // the session resource, once created
    int exit_code_ = 0;
    SourcePtr timer_; // the connect timeout, then the publishing duration
    guint sigint_watch_ = 0;
    guint sigterm_watch_ = 0;
};

} // namespace whip
