#include "support/whip_client.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <thread>
#include <utility>

namespace conf::test {

using namespace std::chrono_literals;

// Makes the offer, POSTs it on its own thread and hands the answer of a 201 to the peer on
// the media thread.
class WhipClient::Signaller : public conf::Signaller {
  public:
    Signaller(Engine& engine, std::string url, std::string bearer)
        : engine_(engine), url_(std::move(url)) {
        if (!bearer.empty()) {
            headers_.emplace_back("Authorization", "Bearer " + bearer);
        }
    }
    ~Signaller() override {
        if (poster_.joinable()) {
            poster_.join();
        }
    }
    Signaller(const Signaller&) = delete;
    Signaller& operator=(const Signaller&) = delete;

    void set_peer(SignallingPeer& peer) { peer_ = &peer; }
    bool offered() const { return offered_; }
    std::future<HttpResponse> response() { return response_.get_future(); }

    void send_description(const SessionDescription& description) override {
        offered_ = true;
        poster_ = std::thread([this, offer = description.sdp] {
            HttpResponse r;
            try {
                r = http_request("POST", url_, offer, "application/sdp", 15, headers_);
            } catch (const std::exception& e) {
                r.status = 0;
                r.body = e.what();
            }
            if (r.status == 201) {
                (void)engine_.post([this, answer = r.body] {
                    peer_->receive_description({SessionDescription::Type::kAnswer, answer});
                });
            }
            response_.set_value(r);
        });
    }
    void send_candidate(const IceCandidate&) override {} // the offer carries them
    void send_error(const Status&) override {}

  private:
    Engine& engine_;
    SignallingPeer* peer_ = nullptr;
    std::string url_;
    HttpHeaders headers_;
    std::promise<HttpResponse> response_;
    std::thread poster_;
    std::atomic<bool> offered_{false};
};

WhipClient::WhipClient(const std::string& description, const std::string& url,
                       WhipOptions options) {
    auto created = Engine::create({.name = "client"});
    REQUIRE(created.is_ok());
    engine_ = std::move(created).value();
    signaller_ = std::make_unique<Signaller>(*engine_, url, std::move(options.bearer));
    REQUIRE(engine_
                ->submit([&] {
                    peer_ = std::make_unique<WebRtcPublisher>(engine_->impl(), description);
                    for (const auto& caps : options.receivers) {
                        peer_->add_receiver(caps);
                    }
                    signaller_->set_peer(*peer_);
                    peer_->start(*signaller_);
                })
                .get()
                .is_ok());
}

WhipClient::~WhipClient() {
    (void)engine_->submit([&] { peer_.reset(); }).wait_for(10s);
    (void)engine_->stop();
}

HttpResponse WhipClient::wait_response() {
    auto future = signaller_->response();
    // The offer is made once the client's encoders run, then POSTed (15 s timeout).
    bool ready = future.wait_for(30s) == std::future_status::ready;
    INFO("the client " << (signaller_->offered() ? "sent its offer" : "never made an offer"));
    REQUIRE(ready);
    return future.get();
}

} // namespace conf::test
