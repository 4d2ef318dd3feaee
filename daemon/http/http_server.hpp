// HttpServer: confd's HTTP endpoint, a libsoup SoupServer on the main thread's GMainContext.
// Routes match exact paths. Unknown paths get 404 and known paths with another method 405,
// both as JSON like every other answer.
#pragma once

#include "config/listen_address.hpp"
#include "config/settings.hpp"
#include "core/g_ref.hpp"
#include "http/healthz_handler.hpp"
#include "http/hls_handler.hpp"
#include "http/room_event_hub.hpp"
#include "http/room_socket_handler.hpp"
#include "http/static_page_handler.hpp"
#include "http/whip_handler.hpp"

#include <conf/engine.hpp>
#include <conf/status.hpp>

#include <libsoup/soup.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace conf::daemon {

class HttpServer {
  public:
    // Binds `address` (port 0 picks a free port) and serves on the calling thread's
    // thread-default main context, which must be running for requests to be answered.
    // `rooms` (WHIP/WHEP sessions) lives on the media thread and outlives the server.
    // `hub` (the room protocol's events) likewise. With `tls` enabled it serves HTTPS only.
    // HLS live streams are served from `hls_root` ({data_dir}/hls).
    static Result<std::unique_ptr<HttpServer>> start(const ListenAddress& address, Engine& engine,
                                                     RoomRegistry& rooms, RoomEventHub& hub,
                                                     const ParticipantAuth& auth,
                                                     const std::filesystem::path& hls_root,
                                                     const TlsSettings& tls = {});
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // The port actually bound.
    std::uint16_t port() const noexcept { return port_; }
    // What a user opens: "http://127.0.0.1:8080/", or "https://..." with TLS.
    std::string url() const;

    // Closes the listening socket and every open connection. Idempotent.
    void stop();

  private:
    struct Route {
        std::string path;
        std::vector<std::string_view> methods;
        std::function<void(SoupServerMessage*)> handle;
    };
    // Paths under a prefix ("/whip/") go to one handler, which checks methods itself.
    struct PrefixRoute {
        std::string prefix;
        std::function<void(SoupServerMessage*, std::string_view path)> handle;
    };

    // `certificate` (borrowed, may be null) makes the server HTTPS.
    HttpServer(const ListenAddress& address, Engine& engine, RoomRegistry& rooms, RoomEventHub& hub,
               const ParticipantAuth& auth, const std::filesystem::path& hls_root,
               GTlsCertificate* certificate);
    static void on_socket_request(SoupServer* server, SoupServerMessage* message, const char* path,
                                  GHashTable* query, gpointer self) noexcept;
    static void on_socket(SoupServer* server, SoupServerMessage* message, const char* path,
                          SoupWebsocketConnection* connection, gpointer self) noexcept;
    static void on_request(SoupServer* server, SoupServerMessage* message, const char* path,
                           GHashTable* query, gpointer self) noexcept;
    void dispatch(SoupServerMessage* message, std::string_view path);

    ListenAddress address_;
    GRef<SoupServer> server_;
    HealthzHandler healthz_;
    WhipHandler whip_;
    StaticPageHandler publish_page_;
    StaticPageHandler room_page_;
    HlsHandler hls_;
    RoomSocketHandler sockets_;
    std::vector<Route> routes_;
    std::vector<PrefixRoute> prefix_routes_;
    std::uint16_t port_ = 0;
    bool https_ = false;
    bool stopped_ = false;
    Logger logger_;
};

} // namespace conf::daemon
