// WhipClient: a WHIP publisher or WHEP viewer the way an independent client (OBS, a GStreamer
// app) is one: a webrtcbin peer on an engine of its own makes the offer, POSTs it to the
// endpoint and applies the answer of a 201. The POST runs on its own thread, so the client's
// media thread never waits on the network.
#pragma once

#include "support/http_client.hpp"
#include "support/webrtc_publisher.hpp"

#include <conf/engine.hpp>

#include <memory>
#include <string>
#include <vector>

namespace conf::test {

struct WhipOptions {
    // A join token, sent as "Authorization: Bearer"; empty: no Authorization header.
    std::string bearer = {};
    // Caps of recvonly m-lines (a viewer); none for a publisher.
    std::vector<std::string> receivers = {};
};

class WhipClient {
  public:
    // Starts a peer from the gst-launch `description` (see WebRtcPublisher) whose offer goes
    // to `url` (http://HOST:PORT/whip/{room} or .../whep/{room}/{session}).
    WhipClient(const std::string& description, const std::string& url, WhipOptions options = {});
    ~WhipClient();
    WhipClient(const WhipClient&) = delete;
    WhipClient& operator=(const WhipClient&) = delete;

    // confd's answer to the POST (status 0 and the error in `body` if the request failed).
    // Fails the test unless the offer was made and answered within 30 s.
    HttpResponse wait_response();

    WebRtcPublisher& peer() { return *peer_; }

  private:
    class Signaller;

    std::unique_ptr<Engine> engine_;
    // Destroyed before the engine: it joins the POST thread, which posts to the engine.
    std::unique_ptr<Signaller> signaller_;
    std::unique_ptr<WebRtcPublisher> peer_;
};

} // namespace conf::test
