// RoomSocket: one WebSocket of the room protocol (docs/protocol.md), on the HTTP thread.
// It validates what the client sends, posts the work to the media thread (join, answer,
// candidate, mute, leave) and writes what comes back through its SocketLink. Bad input
// gets an error message; what leaves the session unusable (no join within 10 s, anything
// before join, a second join, binary frames) closes the socket with 4400 and a reason. The
// room goes on either way.
#pragma once

#include "auth/participant_auth.hpp"

#include "core/log.hpp"
#include "core/signal_connection.hpp"
#include "core/timer.hpp"
#include "http/room_event_hub.hpp"
#include "http/room_protocol.hpp"
#include "http/socket_link.hpp"
#include "room/room_registry.hpp"

#include <conf/engine.hpp>

#include <libsoup/soup.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace conf::daemon {

inline constexpr std::chrono::seconds kJoinTimeout{10};

class RoomSocket final : public FrameSink, public std::enable_shared_from_this<RoomSocket> {
  public:
    // `registry` and `hub` live on the media thread and outlive the socket's posted work.
    RoomSocket(Engine& engine, RoomRegistry& registry, RoomEventHub& hub,
               const ParticipantAuth& auth, GMainContext* http_context,
               GRef<SoupWebsocketConnection> connection, std::string room,
               std::function<void(RoomSocket&)> on_closed);
    ~RoomSocket() override;

    void start();
    // FrameSink (HTTP thread)
    void write_text(const std::string& text) override;
    void close_with(int code, const std::string& reason) override;

  private:
    // What the media thread knows of this socket; only touched there.
    struct MediaSide {
        std::string room;
        std::string participant_id; // set once joined
    };

    void on_message(SoupWebsocketDataType type, GBytes* message);
    void on_closed();
    void handle(confd::v1::room::ClientMessage&& message);
    void join(const confd::v1::room::ClientMessage& message);
    // `record` (record grant) and `remove` / `mute_track` (admin grant).
    void record(bool start);
    void moderate(const confd::v1::room::ClientMessage& message);
    void send_error(const Status& error, std::string_view in_reply_to);
    void post(std::function<void(MediaSide&)> work);

    Engine& engine_;
    RoomRegistry& registry_;
    RoomEventHub& hub_;
    const ParticipantAuth& auth_;
    GRef<GMainContext> http_context_;
    GRef<SoupWebsocketConnection> connection_;
    std::string room_;
    std::function<void(RoomSocket&)> on_closed_;
    Logger logger_;
    std::vector<SignalConnection> signals_;
    std::shared_ptr<SocketLink> link_;
    std::shared_ptr<MediaSide> media_;
    Timer join_timer_;
    bool join_sent_ = false;
    Grants grants_; // from the join token, once joined
    bool closing_ = false;
    bool left_ = false;
};

} // namespace conf::daemon
