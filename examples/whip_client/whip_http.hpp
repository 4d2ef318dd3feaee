// WhipHttp: the HTTP side of WHIP (RFC 9725) over libsoup-3: POST the SDP offer to the
// endpoint, DELETE the session resource at the end. Asynchronous on the main context; each
// reply comes back as a WhipResponse through the given callback, on the main thread.
#pragma once

#include "g_handles.hpp"

#include <functional>
#include <string>

namespace whip {

struct WhipResponse {
    unsigned status = 0; // HTTP status; 0 when no response arrived (see transport_error)
    std::string reason;  // the reason phrase, e.g. "Created"
    std::string body;    // the answer SDP, or the server's (JSON) error
    std::string content_type;
    std::string location;        // the Location header, resolved against the request URL
    std::string transport_error; // connection refused, timeout, bad URL, ...

    bool ok() const { return status >= 200 && status < 300; }
    // "HTTP 404 Not Found: {"error":"..."}" or the transport error.
    std::string describe() const;
};

class WhipHttp {
  public:
    using Callback = std::function<void(const WhipResponse&)>;

    WhipHttp();
    // Cancels what is in flight; its callbacks are then never called.
    ~WhipHttp();
    WhipHttp(const WhipHttp&) = delete;
    WhipHttp& operator=(const WhipHttp&) = delete;

    void post_offer(const std::string& endpoint, const std::string& sdp, Callback done);
    void delete_session(const std::string& resource, Callback done);
    // Sent as `Authorization: Bearer <token>` with every request from now on (WHIP's way to
    // authenticate; confd takes its join tokens there).
    void set_bearer_token(std::string token) { token_ = std::move(token); }

  private:
    void send(const char* method, const std::string& url, const std::string* sdp, Callback done);

    SessionPtr session_;
    CancellablePtr cancellable_;
    std::string token_;
};

} // namespace whip
