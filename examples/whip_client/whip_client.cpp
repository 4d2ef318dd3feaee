#include "whip_client.hpp"

#include "console.hpp"

#include <glib-unix.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <stdexcept>

namespace whip {

namespace {

// From the 201 to a connected transport (ICE and DTLS). Loopback takes well under a second.
constexpr double kConnectTimeoutSeconds = 20;

std::string seconds_text(double seconds) {
    char text[32];
    std::snprintf(text, sizeof(text), "%g s", seconds);
    return text;
}

} // namespace

WhipClient::WhipClient(Options options)
    : options_(std::move(options)), loop_(g_main_loop_new(nullptr, FALSE)) {
    http_.set_bearer_token(options_.token);
}

WhipClient::~WhipClient() {
    cancel_timer();
    for (guint watch : {sigint_watch_, sigterm_watch_}) {
        if (watch != 0) {
            g_source_remove(watch);
        }
    }
    publisher_.reset();
}

int WhipClient::run() {
    try {
        publisher_ = std::make_unique<Publisher>(options_.sources, options_.ice_address, *this);
    } catch (const std::exception& e) {
        complain(e.what());
        return 1;
    }
    sigint_watch_ = g_unix_signal_add(SIGINT, &WhipClient::on_unix_signal, this);
    sigterm_watch_ = g_unix_signal_add(SIGTERM, &WhipClient::on_unix_signal, this);
    say("publishing to " + options_.url);
    publisher_->start();
    g_main_loop_run(loop_.get());
    return exit_code_;
}

void WhipClient::on_offer(const std::string& sdp, const std::string& summary) {
    if (phase_ != Phase::kOffering) {
        return;
    }
    phase_ = Phase::kPosting;
    say("offer: " + summary);
    say("POST " + options_.url);
    http_.post_offer(options_.url, sdp,
                     [this](const WhipResponse& response) { on_posted(response); });
}

void WhipClient::on_posted(const WhipResponse& response) {
    if (response.status != 201) {
        // A 2xx other than 201 is no WHIP session either: there is no resource to DELETE.
        complain("POST failed: " + response.describe());
        finish(1);
        return;
    }
    if (response.location.empty()) {
        complain("the server answered 201 without a Location header");
        finish(1);
        return;
    }
    location_ = response.location;
    say("201 Created, Location: " + location_);
    if (stop_after_post_) {
        send_delete();
        return;
    }
    phase_ = Phase::kConnecting;
    start_timer(kConnectTimeoutSeconds, &WhipClient::on_connect_timeout);
    if (auto error = publisher_->apply_answer(response.body)) {
        stop(1, *error);
    }
}

void WhipClient::on_connection_state(GstWebRTCPeerConnectionState state) {
    if (phase_ == Phase::kStopping || phase_ == Phase::kDone) {
        return;
    }
    say("connection state: " + Publisher::to_string(state));
    switch (state) {
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED:
        if (phase_ == Phase::kConnecting) {
            phase_ = Phase::kPublishing;
            if (options_.duration_seconds > 0) {
                say("publishing for " + seconds_text(options_.duration_seconds));
                start_timer(options_.duration_seconds, &WhipClient::on_duration_elapsed);
            } else {
                say("publishing until Ctrl-C");
                cancel_timer();
            }
        }
        break;
    case GST_WEBRTC_PEER_CONNECTION_STATE_FAILED:
        stop(1, "the connection failed (ICE or DTLS)");
        break;
    case GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED:
        stop(1, "the connection was closed");
        break;
    default:
        break; // "disconnected" may recover; the server decides when to give up
    }
}

void WhipClient::on_media_error(const std::string& message) {
    stop(1, message);
}

void WhipClient::on_sources_ended() {
    stop(0, "the sources ended");
}

void WhipClient::cancel_timer() {
    if (timer_) {
        g_source_destroy(timer_.get());
        timer_.reset();
    }
}

void WhipClient::start_timer(double seconds, GSourceFunc callback) {
    cancel_timer();
    timer_.reset(g_timeout_source_new(static_cast<guint>(std::lround(seconds * 1000))));
    g_source_set_callback(timer_.get(), callback, this, nullptr);
    g_source_attach(timer_.get(), nullptr);
}

void WhipClient::stop(int exit_code, const std::string& why) {
    exit_code_ = std::max(exit_code_, exit_code);
    if (phase_ == Phase::kStopping || phase_ == Phase::kDone) {
        return;
    }
    if (exit_code == 0) {
        say("stopping: " + why);
    } else {
        complain("stopping: " + why);
    }
    cancel_timer();
    switch (phase_) {
    case Phase::kOffering:
        finish(exit_code_);
        break;
    case Phase::kPosting:
        // The server may be creating the session right now: DELETE it once its Location is
        // known (on_posted).
        stop_after_post_ = true;
        break;
    default:
        send_delete();
        break;
    }
}

void WhipClient::send_delete() {
    phase_ = Phase::kStopping;
    say("DELETE " + location_);
    http_.delete_session(location_, [this](const WhipResponse& response) {
        if (response.ok()) {
            say("DELETE done: " + response.describe());
            finish(exit_code_);
        } else {
            complain("DELETE failed: " + response.describe());
            finish(1);
        }
    });
}

void WhipClient::finish(int exit_code) {
    exit_code_ = std::max(exit_code_, exit_code);
    phase_ = Phase::kDone;
    publisher_->stop();
    g_main_loop_quit(loop_.get());
}

gboolean WhipClient::on_unix_signal(gpointer self) noexcept {
    auto* client = static_cast<WhipClient*>(self);
    if (client->phase_ == Phase::kStopping || client->stop_after_post_) {
        complain("interrupted again: quitting without waiting for the DELETE");
        client->finish(130);
    } else {
        client->stop(0, "interrupted");
    }
    return G_SOURCE_CONTINUE;
}

gboolean WhipClient::on_connect_timeout(gpointer self) noexcept {
    auto* client = static_cast<WhipClient*>(self);
    client->timer_.reset();
    client->stop(1, "not connected after " + seconds_text(kConnectTimeoutSeconds));
    return G_SOURCE_REMOVE;
}

gboolean WhipClient::on_duration_elapsed(gpointer self) noexcept {
    auto* client = static_cast<WhipClient*>(self);
    client->timer_.reset();
    client->stop(0, "publishing time is over");
    return G_SOURCE_REMOVE;
}

} // namespace whip
