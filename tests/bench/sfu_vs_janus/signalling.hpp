// Signalling: how sfu-load publishes and subscribes on one kind of server. Two wire
// protocols sit behind it: WHIP/WHEP (confd) and Janus's videoroom over its REST API. The
// media side (Peer) is the same for both. Main thread only; every callback comes back there.
#pragma once

#include "peer.hpp"

#include <conf/status.hpp>

#include <functional>
#include <string>

namespace sfuload {

class Signalling {
  public:
    using StatusDone = std::function<void(conf::Status)>;
    // The feed: what a subscriber names to receive that publisher (a confd session id, a
    // Janus publisher id).
    using FeedDone = std::function<void(conf::Result<std::string>)>;

    virtual ~Signalling() = default;

    // True when a subscriber sends the offer (WHEP); false when the server offers (Janus).
    virtual bool subscriber_offers() const = 0;
    // Whatever must exist before the first participant (a Janus session).
    virtual void prepare(StatusDone done) = 0;
    // Publishes `peer` (its webrtcbin already has its send pads) as publisher `index`.
    virtual void publish(int index, Peer& peer, FeedDone done) = 0;
    // Subscribes `peer` to `feed`. `first_request` runs when the first HTTP request of the
    // subscription is sent; `done` when the media path is negotiated (answer applied or sent).
    virtual void subscribe(int index, const std::string& feed, Peer& peer,
                           std::function<void()> first_request, StatusDone done) = 0;
    // Ends every session this object made; `done` runs when the server has answered.
    virtual void teardown(std::function<void()> done) = 0;
    // Requests the server refused and sfu-load retried (e.g. "publisher has no media yet").
    virtual int retries() const = 0;
};

} // namespace sfuload
