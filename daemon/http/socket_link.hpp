// SocketLink: how the media thread talks to one room WebSocket, which lives on the HTTP
// thread. Frames and a close are queued from any thread and written on the HTTP thread's
// main context in the order they were queued; once the socket is gone they are dropped.
#pragma once

#include "core/g_ref.hpp"

#include <glib.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace conf::daemon {

// What a SocketLink writes to (a RoomSocket). HTTP thread only.
class FrameSink {
  public:
    virtual ~FrameSink() = default;
    virtual void write_text(const std::string& text) = 0;
    virtual void close_with(int code, const std::string& reason) = 0;
};

class SocketLink : public std::enable_shared_from_this<SocketLink> {
  public:
    SocketLink(GMainContext* http_context, std::weak_ptr<FrameSink> sink)
        : http_context_(GRef<GMainContext>::ref(http_context)), sink_(std::move(sink)) {}

    void send(std::string text);              // any thread
    void close(int code, std::string reason); // any thread; later sends are dropped

  private:
    struct Item {
        bool close = false;
        int code = 0;
        std::string text; // the frame, or the close reason
    };
    void enqueue(Item item);
    void flush(); // HTTP thread

    GRef<GMainContext> http_context_;
    std::weak_ptr<FrameSink> sink_; // locked on the HTTP thread only
    std::mutex mutex_;
    std::vector<Item> queue_;
    bool scheduled_ = false;
    bool closed_ = false;
};

} // namespace conf::daemon
