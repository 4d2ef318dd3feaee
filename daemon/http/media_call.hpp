// MediaCalls: answers paused HTTP requests with work done on the media thread.
//
// start() pauses the request and posts `work` to the engine; `work` runs on the media thread
// and eventually calls its Responder (from the media thread, at most once is honoured),
// which carries the response back to the HTTP thread's main context, where it is written
// and the request resumed. A request with no response within the timeout gets 504; one the
// engine refuses (stopping) gets 503. A client that goes away is simply forgotten.
#pragma once

#include "core/g_ref.hpp"
#include "core/log.hpp"
#include "core/signal_connection.hpp"

#include <conf/engine.hpp>

#include <libsoup/soup.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace conf::daemon {

struct HttpResponse {
    guint status = SOUP_STATUS_OK;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

class MediaCalls {
  public:
    using Responder = std::function<void(HttpResponse)>;
    using Work = std::function<void(Responder)>;

    // Created, used and destroyed on the thread that runs `http_context`.
    MediaCalls(Engine& engine, GMainContext* http_context, std::chrono::milliseconds timeout,
               Logger logger);
    ~MediaCalls();
    MediaCalls(const MediaCalls&) = delete;
    MediaCalls& operator=(const MediaCalls&) = delete;

    void start(SoupServerMessage* message, Work work);
    // Forgets every waiting request without answering (their connections are closing).
    void abandon_all();

  private:
    struct Pending;
    static void deliver(std::weak_ptr<Pending> pending, HttpResponse response);
    void complete(Pending& pending, const HttpResponse& response);

    Engine& engine_;
    GRef<GMainContext> http_context_;
    std::chrono::milliseconds timeout_;
    Logger logger_;
    std::vector<std::shared_ptr<Pending>> pending_; // the only strong references
};

// Writes `response` into `message` (status, headers, body).
void write_response(SoupServerMessage* message, const HttpResponse& response);

} // namespace conf::daemon
