// StaticPageHandler: serves one embedded, self-contained HTML page (daemon/web/) at a path
// and at every one-segment path below it: /publish and /publish/{room} get the same bytes, and
// the page reads the room from its own URL, so nothing from the request is ever written into
// the HTML. GET and HEAD only. The reply is never cached, and its Content-Security-Policy lets
// the page reach nothing but confd itself and run nothing but its own inline script and style.
#pragma once

#include <libsoup/soup.h>

#include <string>
#include <string_view>

namespace conf::daemon {

class StaticPageHandler {
  public:
    // `html` must outlive the handler (it is embedded, static data).
    StaticPageHandler(std::string path, std::string_view html);

    // The page's own path, from a Route (which has checked the method).
    void handle(SoupServerMessage* message) const;
    // A path starting with path + "/", from a PrefixRoute: the page for "/publish/" and
    // "/publish/{segment}[/]", 404 for anything deeper, 405 for methods other than GET/HEAD.
    void handle_below(SoupServerMessage* message, std::string_view path) const;

  private:
    std::string path_;
    std::string_view html_;
};

} // namespace conf::daemon
