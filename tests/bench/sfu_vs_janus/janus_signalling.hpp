// JanusSignalling: Janus's videoroom plugin over Janus's HTTP REST API, the way janus.js
// drives it: one Janus session for all of sfu-load's participants, one plugin handle per
// participant. Asynchronous plugin events come through a long-poll GET on the session and are
// matched to their request by transaction; a keepalive every 25 s keeps the session.
//
//   publisher:  attach → {"request":"join","ptype":"publisher"} → "joined" (its id, the feed)
//               → {"request":"configure"} + JSEP offer → event + JSEP answer
//   subscriber: attach → {"request":"join","ptype":"subscriber","streams":[{"feed":id}]}
//               → "attached" + JSEP offer → {"request":"start"} + JSEP answer → "started"
#pragma once

#include "http.hpp"
#include "json.hpp"
#include "signalling.hpp"

#include <cstdint>
#include <map>
#include <vector>

namespace sfuload {

class JanusSignalling final : public Signalling {
  public:
    // `url`: the REST API's base, "http://127.0.0.1:PORT/janus"; `room`: a videoroom id.
    JanusSignalling(Http& http, std::string url, std::uint64_t room);
    ~JanusSignalling() override;

    bool subscriber_offers() const override { return false; }
    void prepare(StatusDone done) override;
    void publish(int index, Peer& peer, FeedDone done) override;
    void subscribe(int index, const std::string& feed, Peer& peer,
                   std::function<void()> first_request, StatusDone done) override;
    void teardown(std::function<void()> done) override;
    int retries() const override { return retries_; }

  private:
    // A videoroom reply: the plugin's data and the JSEP that came with it, if any.
    struct PluginReply {
        JsonValue data;
        std::string jsep_type;
        std::string jsep_sdp;
    };
    using JsonDone = std::function<void(conf::Result<JsonValue>)>;
    using ReplyDone = std::function<void(conf::Result<PluginReply>)>;

    // POSTs {"janus": verb, "transaction": ..., <members>} to `url`; `done` gets the reply.
    void send(const std::string& url, const std::string& verb, const std::string& members,
              const std::string& transaction, JsonDone done);
    std::string next_transaction();
    void attach(std::function<void(conf::Result<std::uint64_t>)> done);
    // A videoroom request with an optional JSEP ({...} or empty); `done` gets the plugin's
    // reply, synchronous or the event that answers it.
    void message(std::uint64_t handle, const std::string& body, const std::string& jsep,
                 ReplyDone done);
    void join_subscriber(std::uint64_t handle, const std::string& feed, Peer& peer,
                         int attempts_left, StatusDone done);
    void poll();
    void dispatch(const JsonValue& event);
    void keepalive();
    std::string session_url() const;

    Http& http_;
    std::string url_;
    std::uint64_t room_;
    std::uint64_t session_ = 0;
    std::uint64_t transactions_ = 0;
    std::uint64_t polls_ = 0;
    std::map<std::string, ReplyDone> waiting_; // transaction → who waits for its event
    conf::GRef<GSource> keepalive_timer_;
    bool stopping_ = false;
    int retries_ = 0;
    AliveToken alive_ = std::make_shared<int>(0);
};

} // namespace sfuload
