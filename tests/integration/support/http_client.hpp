// A blocking HTTP/1.1 client for tests, on libsoup's SoupSession.
#pragma once

#include <glib.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace conf::test {

struct HttpResponse {
    guint status = 0;
    std::string content_type;     // without parameters: "application/json"
    std::string allow;            // the Allow header, if any
    std::string location;         // the Location header, if any
    std::string www_authenticate; // the WWW-Authenticate header, if any
    std::string body;
};

// Request headers as (name, value) pairs: {{"Authorization", "Bearer ..."}}.
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Sends one request with a 5 s timeout; throws std::runtime_error if no response arrives.
HttpResponse http_request(std::string_view method, const std::string& url);
// The same with a request body of `content_type` (timeout `seconds`) and `headers`.
HttpResponse http_request(std::string_view method, const std::string& url, const std::string& body,
                          const std::string& content_type, unsigned seconds = 15,
                          const HttpHeaders& headers = {});

} // namespace conf::test
