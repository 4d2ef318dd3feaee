// Http: asynchronous HTTP requests over libsoup-3 on the main context, for both signalling
// back ends (WHIP/WHEP and Janus's REST API). Each reply comes back once, on the main thread,
// unless this object is gone first.
#pragma once

#include "core/g_ref.hpp"

#include <libsoup/soup.h>

#include <functional>
#include <string>

namespace sfuload {

struct HttpResponse {
    unsigned status = 0; // 0: no response (see error)
    std::string body;
    std::string location; // the Location header, resolved against the request URL
    std::string error;    // connection refused, timeout, ...

    bool ok() const { return status >= 200 && status < 300; }
    // "HTTP 409: {...}" or the transport error.
    std::string describe() const;
};

class Http {
  public:
    using Callback = std::function<void(const HttpResponse&)>;

    Http();
    // Cancels what is in flight; its callbacks are then never called.
    ~Http();
    Http(const Http&) = delete;
    Http& operator=(const Http&) = delete;

    // `content_type` empty: no body.
    void request(const char* method, const std::string& url, const std::string& content_type,
                 const std::string& body, Callback done);

  private:
    conf::GRef<SoupSession> session_;
    conf::GRef<GCancellable> cancellable_;
};

} // namespace sfuload
