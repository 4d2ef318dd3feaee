// WhipSignalling: confd's WHIP and WHEP. A publisher POSTs its offer to /whip/{room}; a
// subscriber POSTs a recvonly offer to /whep/{room}/{publisher session}; DELETE on each
// Location ends it.
#pragma once

#include "http.hpp"
#include "signalling.hpp"

#include <vector>

namespace sfuload {

class WhipSignalling final : public Signalling {
  public:
    // `base_url`: "http://127.0.0.1:PORT".
    WhipSignalling(Http& http, std::string base_url, std::string room);

    bool subscriber_offers() const override { return true; }
    void prepare(StatusDone done) override;
    void publish(int index, Peer& peer, FeedDone done) override;
    void subscribe(int index, const std::string& feed, Peer& peer,
                   std::function<void()> first_request, StatusDone done) override;
    void teardown(std::function<void()> done) override;
    int retries() const override { return retries_; }

  private:
    // POSTs `offer` to `url`, again after a pause while confd answers 409 (the publisher's
    // media has not arrived yet); `done` gets the 201's answer and Location.
    void post_offer(const std::string& url, const std::string& offer, int attempts_left,
                    std::function<void(conf::Result<HttpResponse>)> done);

    Http& http_;
    std::string base_url_;
    std::string room_;
    std::vector<std::string> publisher_locations_;
    std::vector<std::string> subscriber_locations_;
    int retries_ = 0;
    AliveToken alive_ = std::make_shared<int>(0);
};

} // namespace sfuload
