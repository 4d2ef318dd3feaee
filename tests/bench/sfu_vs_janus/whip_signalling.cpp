#include "whip_signalling.hpp"

#include <fmt/format.h>

#include <memory>

namespace sfuload {

namespace {

constexpr int kPostAttempts = 50;
constexpr guint kRetryPauseMs = 100;

} // namespace

WhipSignalling::WhipSignalling(Http& http, std::string base_url, std::string room)
    : http_(http), base_url_(std::move(base_url)), room_(std::move(room)) {
    while (!base_url_.empty() && base_url_.back() == '/') {
        base_url_.pop_back();
    }
}

void WhipSignalling::prepare(StatusDone done) {
    post_to_main([done] { done(conf::Status::ok()); });
}

void WhipSignalling::post_offer(const std::string& url, const std::string& offer, int attempts_left,
                                std::function<void(conf::Result<HttpResponse>)> done) {
    http_.request(
        "POST", url, "application/sdp", offer,
        [this, alive = WeakAlive(alive_), url, offer, attempts_left,
         done](const HttpResponse& response) {
            if (alive.expired()) {
                return;
            }
            if (response.status == 409 && attempts_left > 1) {
                ++retries_;
                post_after_ms(kRetryPauseMs, [this, alive, url, offer, attempts_left, done] {
                    if (!alive.expired()) {
                        post_offer(url, offer, attempts_left - 1, done);
                    }
                });
                return;
            }
            if (response.status != 201 || response.location.empty()) {
                done(conf::unavailable(fmt::format("POST {}: {}", url, response.describe())));
                return;
            }
            done(response);
        });
}

void WhipSignalling::publish(int /*index*/, Peer& peer, FeedDone done) {
    peer.create_offer([this, &peer, done](conf::Result<std::string> offer) {
        if (!offer) {
            done(offer.status());
            return;
        }
        post_offer(base_url_ + "/whip/" + room_, *offer, 1,
                   [this, &peer, done](conf::Result<HttpResponse> response) {
                       if (!response) {
                           done(response.status());
                           return;
                       }
                       publisher_locations_.push_back(response->location);
                       // Location: /whip/{room}/{session}
                       std::string feed =
                           response->location.substr(response->location.rfind('/') + 1);
                       peer.apply_answer(response->body, [done, feed](conf::Status applied) {
                           if (!applied) {
                               done(applied);
                           } else {
                               done(feed);
                           }
                       });
                   });
    });
}

void WhipSignalling::subscribe(int /*index*/, const std::string& feed, Peer& peer,
                               std::function<void()> first_request, StatusDone done) {
    peer.create_offer([this, &peer, feed, first_request, done](conf::Result<std::string> offer) {
        if (!offer) {
            done(offer.status());
            return;
        }
        first_request();
        post_offer(base_url_ + "/whep/" + room_ + "/" + feed, *offer, kPostAttempts,
                   [this, &peer, done](conf::Result<HttpResponse> response) {
                       if (!response) {
                           done(response.status());
                           return;
                       }
                       subscriber_locations_.push_back(response->location);
                       peer.apply_answer(response->body, done);
                   });
    });
}

void WhipSignalling::teardown(std::function<void()> done) {
    // Viewers first: ending a publisher ends its viewers too.
    auto remaining = std::make_shared<std::size_t>(subscriber_locations_.size());
    auto publishers = std::make_shared<std::vector<std::string>>(publisher_locations_);
    auto end_publishers = [this, publishers, done] {
        auto left = std::make_shared<std::size_t>(publishers->size());
        if (*left == 0) {
            done();
            return;
        }
        for (const auto& location : *publishers) {
            http_.request("DELETE", location, "", "",
                          [left, done, location](const HttpResponse& r) {
                              if (!r.ok()) {
                                  say("DELETE " + location + ": " + r.describe());
                              }
                              if (--*left == 0) {
                                  done();
                              }
                          });
        }
    };
    if (*remaining == 0) {
        end_publishers();
        return;
    }
    for (const auto& location : subscriber_locations_) {
        http_.request("DELETE", location, "", "",
                      [remaining, end_publishers, location](const HttpResponse& r) {
                          if (!r.ok()) {
                              say("DELETE " + location + ": " + r.describe());
                          }
                          if (--*remaining == 0) {
                              end_publishers();
                          }
                      });
    }
}

} // namespace sfuload
