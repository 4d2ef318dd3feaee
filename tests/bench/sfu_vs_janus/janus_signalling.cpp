#include "janus_signalling.hpp"

#include <fmt/format.h>

namespace sfuload {

namespace {

constexpr guint kKeepaliveSeconds = 25; // Janus's session_timeout is 60 s
constexpr int kJoinAttempts = 50;
constexpr guint kRetryPauseMs = 100;
constexpr std::uint64_t kNoSuchFeed = 428; // JANUS_VIDEOROOM_ERROR_NO_SUCH_FEED

std::string jsep_json(const char* type, const std::string& sdp) {
    // Non-trickle: the SDP carries every candidate sfu-load will have.
    return fmt::format(R"({{"type":"{}","sdp":{},"trickle":false}})", type, json_quote(sdp));
}

std::string describe(const JsonValue& value) {
    if (value.kind_case() == JsonValue::kStringValue) {
        return value.string_value();
    }
    if (value.kind_case() == JsonValue::kNumberValue) {
        return fmt::format("{}", value.number_value());
    }
    return "?";
}

// A Janus core error ({"janus":"error"}) as a Status, if it is one.
std::optional<conf::Status> core_error(const JsonValue& reply) {
    if (json_string_member(reply, "janus") != "error") {
        return std::nullopt;
    }
    const JsonValue* code = json_path(reply, {"error", "code"});
    const JsonValue* reason = json_path(reply, {"error", "reason"});
    return conf::unavailable(fmt::format("Janus error {}: {}", code ? describe(*code) : "?",
                                         reason ? describe(*reason) : "?"));
}

} // namespace

JanusSignalling::JanusSignalling(Http& http, std::string url, std::uint64_t room)
    : http_(http), url_(std::move(url)), room_(room) {
    while (!url_.empty() && url_.back() == '/') {
        url_.pop_back();
    }
}

JanusSignalling::~JanusSignalling() {
    if (keepalive_timer_) {
        g_source_destroy(keepalive_timer_.get());
    }
}

std::string JanusSignalling::session_url() const {
    return fmt::format("{}/{}", url_, session_);
}

std::string JanusSignalling::next_transaction() {
    return fmt::format("sfu-load-{}", ++transactions_);
}

void JanusSignalling::send(const std::string& url, const std::string& verb,
                           const std::string& members, const std::string& transaction,
                           JsonDone done) {
    std::string body = fmt::format(R"({{"janus":"{}","transaction":"{}"{}{}}})", verb, transaction,
                                   members.empty() ? "" : ",", members);
    http_.request("POST", url, "application/json", body,
                  [alive = WeakAlive(alive_), url, verb, done](const HttpResponse& response) {
                      if (alive.expired()) {
                          return;
                      }
                      if (!response.ok()) {
                          done(conf::unavailable(
                              fmt::format("Janus {} at {}: {}", verb, url, response.describe())));
                          return;
                      }
                      auto reply = parse_json(response.body);
                      if (!reply) {
                          done(reply.status());
                          return;
                      }
                      if (auto error = core_error(*reply)) {
                          done(error->with_context("Janus " + verb));
                          return;
                      }
                      done(std::move(reply));
                  });
}

void JanusSignalling::prepare(StatusDone done) {
    send(url_, "create", "", next_transaction(), [this, done](conf::Result<JsonValue> reply) {
        const JsonValue* data = reply ? json_member(*reply, "data") : nullptr;
        auto id = data != nullptr ? json_uint_member(*data, "id") : std::nullopt;
        if (!reply || !id) {
            done(reply ? conf::internal_error("Janus created a session without an id")
                       : reply.status());
            return;
        }
        session_ = *id;
        say(fmt::format("Janus session {}", session_));
        keepalive_timer_ =
            conf::GRef<GSource>::adopt(g_timeout_source_new_seconds(kKeepaliveSeconds));
        g_source_set_callback(
            keepalive_timer_.get(),
            [](gpointer self) noexcept -> gboolean {
                static_cast<JanusSignalling*>(self)->keepalive();
                return G_SOURCE_CONTINUE;
            },
            this, nullptr);
        g_source_attach(keepalive_timer_.get(), nullptr);
        poll();
        done(conf::Status::ok());
    });
}

void JanusSignalling::keepalive() {
    send(session_url(), "keepalive", "", next_transaction(), [](conf::Result<JsonValue> reply) {
        if (!reply) {
            say("keepalive: " + reply.status().message());
        }
    });
}

void JanusSignalling::poll() {
    if (stopping_) {
        return;
    }
    // maxev: up to 10 events per reply (then a JSON array). Janus answers an idle poll
    // after 30 s with {"janus":"keepalive"}.
    std::string url = fmt::format("{}?maxev=10&rid={}", session_url(), ++polls_);
    http_.request("GET", url, "", "", [this, alive = WeakAlive(alive_)](const HttpResponse& r) {
        if (alive.expired() || stopping_) {
            return;
        }
        if (!r.ok()) {
            say("Janus long-poll: " + r.describe());
            post_after_ms(kRetryPauseMs, [this, alive] {
                if (!alive.expired()) {
                    poll();
                }
            });
            return;
        }
        auto events = parse_json(r.body);
        poll(); // at once: events keep coming while these are handled
        if (!events) {
            say("Janus long-poll: " + events.status().message());
            return;
        }
        if (events->kind_case() == JsonValue::kListValue) {
            for (const JsonValue& event : events->list_value().values()) {
                dispatch(event);
            }
        } else {
            dispatch(*events);
        }
    });
}

void JanusSignalling::dispatch(const JsonValue& event) {
    std::string kind = json_string_member(event, "janus");
    std::string transaction = json_string_member(event, "transaction");
    if (kind == "event" && !transaction.empty()) {
        auto waiter = waiting_.find(transaction);
        if (waiter != waiting_.end()) {
            ReplyDone done = std::move(waiter->second);
            waiting_.erase(waiter);
            const JsonValue* data = json_path(event, {"plugindata", "data"});
            if (data == nullptr) {
                done(conf::internal_error("a Janus event without plugin data"));
                return;
            }
            if (json_member(*data, "error") != nullptr) {
                auto code = json_uint_member(*data, "error_code");
                std::string text = fmt::format("videoroom error {}: {}", code.value_or(0),
                                               json_string_member(*data, "error"));
                done(code == kNoSuchFeed ? conf::failed_precondition(text)
                                         : conf::unavailable(text));
                return;
            }
            PluginReply reply{*data, {}, {}};
            if (const JsonValue* jsep = json_member(event, "jsep")) {
                reply.jsep_type = json_string_member(*jsep, "type");
                reply.jsep_sdp = json_string_member(*jsep, "sdp");
            }
            done(std::move(reply));
            return;
        }
    }
    if (kind == "hangup" || kind == "detached") {
        say(fmt::format("Janus: {} on handle {} ({})", kind,
                        json_uint_member(event, "sender").value_or(0),
                        json_string_member(event, "reason")));
    }
    // webrtcup, media, slowlink, keepalive and publisher lists need nothing from sfu-load.
}

void JanusSignalling::attach(std::function<void(conf::Result<std::uint64_t>)> done) {
    send(session_url(), "attach", R"("plugin":"janus.plugin.videoroom")", next_transaction(),
         [done](conf::Result<JsonValue> reply) {
             if (!reply) {
                 done(reply.status());
                 return;
             }
             const JsonValue* data = json_member(*reply, "data");
             auto id = data != nullptr ? json_uint_member(*data, "id") : std::nullopt;
             if (!id) {
                 done(conf::internal_error("Janus attached a handle without an id"));
                 return;
             }
             done(*id);
         });
}

void JanusSignalling::message(std::uint64_t handle, const std::string& body,
                              const std::string& jsep, ReplyDone done) {
    std::string transaction = next_transaction();
    // Registered before sending: the event may come back through the long-poll before the
    // reply to this POST does.
    waiting_[transaction] = done;
    std::string members =
        fmt::format(R"("body":{}{}{})", body, jsep.empty() ? "" : R"(,"jsep":)", jsep);
    send(fmt::format("{}/{}", session_url(), handle), "message", members, transaction,
         [this, transaction](conf::Result<JsonValue> reply) {
             auto waiter = waiting_.find(transaction);
             if (waiter == waiting_.end()) {
                 return; // answered already through the long-poll
             }
             if (reply && json_string_member(*reply, "janus") == "ack") {
                 return; // the answer comes as an event
             }
             // A synchronous answer (or an error): hand it over as if it were the event.
             if (!reply) {
                 ReplyDone waiting = std::move(waiter->second);
                 waiting_.erase(waiter);
                 waiting(reply.status());
                 return;
             }
             JsonValue event = *reply;
             (*event.mutable_struct_value()->mutable_fields())["janus"].set_string_value("event");
             dispatch(event);
         });
}

void JanusSignalling::publish(int index, Peer& peer, FeedDone done) {
    attach([this, index, &peer, done](conf::Result<std::uint64_t> attached) {
        if (!attached) {
            done(attached.status());
            return;
        }
        std::string join =
            fmt::format(R"({{"request":"join","ptype":"publisher","room":{},"display":"pub-{}"}})",
                        room_, index);
        message(*attached, join, "",
                [this, handle = *attached, &peer, done](conf::Result<PluginReply> joined) {
                    auto id = joined ? json_uint_member(joined->data, "id") : std::nullopt;
                    if (!joined || !id) {
                        done(joined
                                 ? conf::internal_error("the videoroom join gave no publisher id")
                                 : joined.status().with_context("join as publisher"));
                        return;
                    }
                    std::string feed = std::to_string(*id);
                    peer.create_offer([this, handle, &peer, done,
                                       feed](conf::Result<std::string> offer) {
                        if (!offer) {
                            done(offer.status());
                            return;
                        }
                        message(handle, R"({"request":"configure"})", jsep_json("offer", *offer),
                                [&peer, done, feed](conf::Result<PluginReply> configured) {
                                    if (!configured || configured->jsep_type != "answer") {
                                        done(configured
                                                 ? conf::internal_error("configure gave no answer")
                                                 : configured.status().with_context("configure"));
                                        return;
                                    }
                                    peer.apply_answer(configured->jsep_sdp,
                                                      [done, feed](conf::Status applied) {
                                                          if (!applied) {
                                                              done(applied);
                                                          } else {
                                                              done(feed);
                                                          }
                                                      });
                                });
                    });
                });
    });
}

void JanusSignalling::subscribe(int /*index*/, const std::string& feed, Peer& peer,
                                std::function<void()> first_request, StatusDone done) {
    first_request();
    attach([this, feed, &peer, done](conf::Result<std::uint64_t> handle) {
        if (!handle) {
            done(handle.status());
            return;
        }
        join_subscriber(*handle, feed, peer, kJoinAttempts, done);
    });
}

void JanusSignalling::join_subscriber(std::uint64_t handle, const std::string& feed, Peer& peer,
                                      int attempts_left, StatusDone done) {
    std::string join = fmt::format(
        R"({{"request":"join","ptype":"subscriber","room":{},"streams":[{{"feed":{}}}]}})", room_,
        feed);
    message(handle, join, "",
            [this, handle, feed, &peer, attempts_left, done,
             alive = WeakAlive(alive_)](conf::Result<PluginReply> attached) {
                if (!attached &&
                    attached.status().code() == conf::StatusCode::kFailedPrecondition &&
                    attempts_left > 1) {
                    ++retries_;
                    post_after_ms(kRetryPauseMs, [=, this, &peer] {
                        if (!alive.expired()) {
                            join_subscriber(handle, feed, peer, attempts_left - 1, done);
                        }
                    });
                    return;
                }
                if (!attached || attached->jsep_type != "offer") {
                    done(attached ? conf::internal_error("the subscriber join gave no offer")
                                  : attached.status().with_context("join as subscriber"));
                    return;
                }
                peer.accept_offer(
                    attached->jsep_sdp, [this, handle, done](conf::Result<std::string> answer) {
                        if (!answer) {
                            done(answer.status());
                            return;
                        }
                        message(handle, R"({"request":"start"})", jsep_json("answer", *answer),
                                [done](conf::Result<PluginReply> started) {
                                    done(started ? conf::Status::ok()
                                                 : started.status().with_context("start"));
                                });
                    });
            });
}

void JanusSignalling::teardown(std::function<void()> done) {
    if (session_ == 0) {
        post_to_main(done);
        return;
    }
    stopping_ = true;
    // Destroying the session detaches every handle and hangs up every PeerConnection.
    send(session_url(), "destroy", "", next_transaction(), [done](conf::Result<JsonValue> reply) {
        if (!reply) {
            say("destroy: " + reply.status().message());
        }
        done();
    });
}

} // namespace sfuload
