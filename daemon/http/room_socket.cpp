#include "http/room_socket.hpp"

#include <fmt/format.h>

namespace conf::daemon {

namespace {

// Media thread: what the participant's offers and errors turn into on its socket.
class SocketSignaller final : public Signaller {
  public:
    explicit SocketSignaller(std::shared_ptr<SocketLink> link) : link_(std::move(link)) {}
    void send_description(const SessionDescription& description) override {
        link_->send(offer_json(description));
    }
    void send_candidate(const IceCandidate& /*candidate*/) override {} // all in the offer
    void send_error(const Status& error) override { link_->send(error_json(error, "answer")); }

  private:
    std::shared_ptr<SocketLink> link_;
};

int close_code_for(const Status& status) {
    switch (status.code()) {
    case StatusCode::kResourceExhausted:
        return kCloseFull;
    case StatusCode::kUnavailable:
        return kCloseShuttingDown;
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition:
        return kCloseProtocol;
    case StatusCode::kUnauthenticated:
        return kCloseUnauthenticated;
    case StatusCode::kPermissionDenied:
        return kCloseForbidden;
    case StatusCode::kNotFound:
        return kCloseNotFound;
    default:
        return kCloseInternal;
    }
}

} // namespace

RoomSocket::RoomSocket(Engine& engine, RoomRegistry& registry, RoomEventHub& hub,
                       const ParticipantAuth& auth, GMainContext* http_context,
                       GRef<SoupWebsocketConnection> connection, std::string room,
                       std::function<void(RoomSocket&)> on_closed)
    : engine_(engine), registry_(registry), hub_(hub), auth_(auth),
      http_context_(GRef<GMainContext>::ref(http_context)), connection_(std::move(connection)),
      room_(std::move(room)), on_closed_(std::move(on_closed)),
      logger_(Logger("ws").with("room", room_)),
      media_(std::make_shared<MediaSide>(MediaSide{room_, {}})) {}

RoomSocket::~RoomSocket() {
    join_timer_.reset();
    signals_.clear();
}

void RoomSocket::start() {
    link_ = std::make_shared<SocketLink>(http_context_.get(), weak_from_this());
    soup_websocket_connection_set_max_incoming_payload_size(connection_.get(),
                                                            kMaxRoomMessageBytes);
    // Pings keep NATs and proxies from dropping a quiet connection.
    soup_websocket_connection_set_keepalive_interval(connection_.get(), 15);
    signals_.push_back(connect_signal<gint, GBytes*>(
        connection_.get(), "message", [this](gint type, GBytes* message) {
            on_message(static_cast<SoupWebsocketDataType>(type), message);
        }));
    signals_.push_back(connect_signal<>(connection_.get(), "closed", [this] { on_closed(); }));
    join_timer_ = Timer::once(http_context_.get(), kJoinTimeout, [this] {
        if (!join_sent_) {
            close_with(kCloseProtocol, fmt::format("no join within {} s", kJoinTimeout.count()));
        }
    });
}

void RoomSocket::write_text(const std::string& text) {
    if (!closing_ &&
        soup_websocket_connection_get_state(connection_.get()) == SOUP_WEBSOCKET_STATE_OPEN) {
        soup_websocket_connection_send_text(connection_.get(), text.c_str());
    }
}

void RoomSocket::close_with(int code, const std::string& reason) {
    if (closing_) {
        return;
    }
    closing_ = true;
    join_timer_.reset();
    logger_.info("closing the socket: {} {}", code, reason);
    if (soup_websocket_connection_get_state(connection_.get()) == SOUP_WEBSOCKET_STATE_OPEN) {
        // Close reasons are at most 123 bytes on the wire.
        std::string text = reason.size() > 120 ? reason.substr(0, 120) : reason;
        soup_websocket_connection_close(connection_.get(), static_cast<gushort>(code),
                                        text.c_str());
    }
}

void RoomSocket::send_error(const Status& error, std::string_view in_reply_to) {
    logger_.info("error to the client ({}): {}", in_reply_to, error.message());
    write_text(error_json(error, in_reply_to));
}

void RoomSocket::post(std::function<void(MediaSide&)> work) {
    auto posted = engine_.post([media = media_, work = std::move(work)] { work(*media); });
    (void)posted;
}

void RoomSocket::on_message(SoupWebsocketDataType type, GBytes* message) {
    if (closing_) {
        return;
    }
    if (type != SOUP_WEBSOCKET_DATA_TEXT) {
        close_with(kCloseProtocol, "binary frames are not part of this protocol; send JSON text");
        return;
    }
    gsize size = 0;
    const auto* data = static_cast<const char*>(g_bytes_get_data(message, &size));
    if (size > kMaxRoomMessageBytes) {
        // libsoup checks each frame; a message in many frames is checked here.
        close_with(kCloseTooBig, fmt::format("a message may be at most {} bytes; this one was {}",
                                             kMaxRoomMessageBytes, size));
        return;
    }
    auto parsed = parse_client_message(std::string_view(data != nullptr ? data : "", size));
    if (!parsed) {
        send_error(parsed.status(), "");
        if (!join_sent_) {
            close_with(kCloseProtocol, "the first message must be a join");
        }
        return;
    }
    handle(std::move(parsed).value());
}

void RoomSocket::handle(confd::v1::room::ClientMessage&& message) {
    const std::string& type = message.type();
    if (type == "join") {
        if (join_sent_) {
            send_error(failed_precondition("already joined"), type);
            close_with(kCloseProtocol, "a second join on one connection");
            return;
        }
        join(message);
        return;
    }
    if (!join_sent_) {
        send_error(failed_precondition(fmt::format("'{}' before join", type)), type);
        close_with(kCloseProtocol, "the first message must be a join");
        return;
    }
    if (type == "answer") {
        if (message.sdp().empty() || message.revision() == 0) {
            send_error(invalid_argument("an answer needs \"sdp\" and the offer's \"revision\""),
                       type);
            return;
        }
        SessionDescription answer(SessionDescription::Type::kAnswer, message.sdp());
        answer.revision = message.revision();
        RoomRegistry* registry = &registry_;
        post([registry, answer](MediaSide& media) {
            if (Participant* p = registry->participant(media.room, media.participant_id)) {
                p->receive_description(answer);
            }
        });
    } else if (type == "candidate") {
        if (!message.candidate().empty() && !message.has_sdp_m_line_index()) {
            send_error(invalid_argument("a candidate needs \"sdpMLineIndex\""), type);
            return;
        }
        IceCandidate candidate{message.sdp_m_line_index(), message.candidate()};
        RoomRegistry* registry = &registry_;
        post([registry, candidate](MediaSide& media) {
            if (Participant* p = registry->participant(media.room, media.participant_id)) {
                p->receive_candidate(candidate);
            }
        });
    } else if (type == "mute") {
        if (message.kind() != "audio" && message.kind() != "video") {
            send_error(invalid_argument("\"kind\" must be \"audio\" or \"video\""), type);
            return;
        }
        MediaKind kind = message.kind() == "audio" ? MediaKind::kAudio : MediaKind::kVideo;
        bool muted = message.muted();
        RoomRegistry* registry = &registry_;
        auto link = link_;
        post([registry, link, kind, muted](MediaSide& media) {
            if (Status s = registry->set_muted(media.room, media.participant_id, kind, muted); !s) {
                link->send(error_json(s, "mute"));
            }
        });
    } else if (type == "record") {
        record(message.recording());
    } else if (type == "remove" || type == "mute_track") {
        moderate(message);
    } else if (type == "leave") {
        left_ = true;
        RoomRegistry* registry = &registry_;
        auto link = link_;
        // Closed from the media thread, so whatever it sent before (the welcome) goes first.
        post([registry, link](MediaSide& media) {
            (void)registry->leave(media.room, media.participant_id, "left");
            link->close(kCloseNormal, "left");
        });
    } else {
        send_error(invalid_argument(fmt::format("unknown message type '{}'", type)), type);
    }
}

void RoomSocket::join(const confd::v1::room::ClientMessage& message) {
    auto name = valid_display_name(message.name());
    if (!name) {
        send_error(name.status(), "join");
        close_with(kCloseProtocol, name.status().message());
        return;
    }
    join_sent_ = true;
    join_timer_.reset();
    auto admission = auth_.admit(message.token(), room_);
    if (!admission) {
        auth_.log_refusal(
            fmt::format("[room={}] join refused: {}", room_, admission.status().message()));
        send_error(admission.status(), "join");
        close_with(close_code_for(admission.status()), admission.status().message());
        return;
    }
    grants_ = admission->grants;
    const Grants& grants = grants_;
    bool audio = message.publish().audio();
    bool video = message.publish().video();
    if ((audio || video) && !grants.publish) {
        // Enforced where media flows: the participant is offered no slot to publish into.
        send_error(Status(StatusCode::kPermissionDenied,
                          "this join token does not allow publishing; joined to watch only"),
                   "join");
        audio = video = false;
    }
    RoomRegistry* registry = &registry_;
    RoomEventHub* hub = &hub_;
    auto link = link_;
    std::string display = *name;
    JoinRequest request{display,          admission->identity, audio, video,
                        grants.subscribe, message.mix(),       {}};
    request.receive_codecs.assign(message.receive_codecs().begin(), message.receive_codecs().end());
    post([registry, hub, link, request, grants](MediaSide& media) {
        std::vector<MemberInfo> others = registry->members(media.room);
        auto joined = registry->join(media.room, request, std::make_shared<SocketSignaller>(link));
        if (!joined) {
            link->send(error_json(joined.status(), "join"));
            link->close(close_code_for(joined.status()), joined.status().message());
            return;
        }
        media.participant_id = *joined;
        std::vector<RecordingInfo> recordings;
        for (auto& [room, recording] : registry->recordings()) {
            if (room == media.room) {
                recordings.push_back(std::move(recording));
            }
        }
        auto summary = registry->room_summary(media.room);
        const bool mixed = grants.subscribe && summary &&
                           (request.mixed || summary->config.mode == RoomMode::kMixed);
        link->send(welcome_json(*joined, media.room, others, grants, recordings, mixed));
        hub->add(media.room, *joined, link);
    });
    logger_.info("join as '{}' (audio {}, video {}, subscribe {}{})", display, audio, video,
                 grants.subscribe, admission->identity.empty() ? "" : ", with a token");
}

void RoomSocket::record(bool start) {
    if (!grants_.record) {
        send_error(Status(StatusCode::kPermissionDenied,
                          "this join token does not allow recording (no 'record' grant)"),
                   "record");
        return;
    }
    RoomRegistry* registry = &registry_;
    auto link = link_;
    post([registry, link, start](MediaSide& media) {
        auto fail = [&](const Status& status) {
            link->send(error_json(status, "record"));
        };
        auto summary = registry->room_summary(media.room);
        std::string active = summary ? summary->room_recording_id : std::string();
        if (start) {
            // Everyone hears of it through the `recording` message.
            if (auto id = registry->start_recording(media.room, RecordingRequest{}); !id) {
                fail(id.status());
            }
        } else if (active.empty()) {
            fail(failed_precondition("the room is not being recorded"));
        } else {
            registry->stop_recording(active, [link](Result<std::string> stopped) {
                if (!stopped) {
                    link->send(error_json(stopped.status(), "record"));
                }
            });
        }
    });
    logger_.info("participant asks to {} recording the room", start ? "start" : "stop");
}

void RoomSocket::moderate(const confd::v1::room::ClientMessage& message) {
    const std::string& type = message.type();
    if (!grants_.admin) {
        send_error(
            Status(StatusCode::kPermissionDenied,
                   fmt::format("this join token does not allow '{}' (no 'admin' grant)", type)),
            type);
        return;
    }
    if (message.participant_id().empty() || (type == "mute_track" && message.track_id().empty())) {
        send_error(invalid_argument(type == "remove"
                                        ? "remove needs \"participant_id\""
                                        : "mute_track needs \"participant_id\" and \"track_id\""),
                   type);
        return;
    }
    RoomRegistry* registry = &registry_;
    auto link = link_;
    post([registry, link, type, target = message.participant_id(), track = message.track_id(),
          muted = message.muted()](MediaSide& media) {
        Status done = type == "remove"
                          ? registry->remove_member(media.room, target)
                          : registry->mute_track(media.room, target, track, muted).status();
        if (!done) {
            link->send(error_json(done, type));
        }
    });
    logger_.info("participant asks to {} {}", type, message.participant_id());
}

void RoomSocket::on_closed() {
    closing_ = true;
    join_timer_.reset();
    if (join_sent_ && !left_) {
        gushort code = soup_websocket_connection_get_close_code(connection_.get());
        std::string reason = code == 1000 || code == 1001 ? "left" : "disconnected";
        RoomRegistry* registry = &registry_;
        post([registry, reason](MediaSide& media) {
            if (!media.participant_id.empty()) {
                (void)registry->leave(media.room, media.participant_id, reason);
            }
        });
    }
    // The owner drops this socket; not from inside libsoup's signal emission.
    auto self = shared_from_this();
    g_idle_add_full(
        G_PRIORITY_DEFAULT,
        [](gpointer data) -> gboolean {
            auto& socket = **static_cast<std::shared_ptr<RoomSocket>*>(data);
            socket.on_closed_(socket);
            return G_SOURCE_REMOVE;
        },
        new std::shared_ptr<RoomSocket>(self),
        [](gpointer data) { delete static_cast<std::shared_ptr<RoomSocket>*>(data); });
}

} // namespace conf::daemon
