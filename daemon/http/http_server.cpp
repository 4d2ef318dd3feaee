#include "http/http_server.hpp"

#include "core/g_unique.hpp"
#include "http/json_reply.hpp"
#include "web/publish_page.hpp"
#include "web/room_page.hpp"

#include <conf/version.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace conf::daemon {

namespace {

constexpr std::chrono::milliseconds kHealthzTimeout{2000};

std::string join(const std::vector<std::string_view>& items) {
    std::string out;
    for (std::string_view item : items) {
        out += fmt::format("{}{}", out.empty() ? "" : ", ", item);
    }
    return out;
}

} // namespace

HttpServer::HttpServer(const ListenAddress& address, Engine& engine, RoomRegistry& rooms,
                       RoomEventHub& hub, const ParticipantAuth& auth,
                       const std::filesystem::path& hls_root, GTlsCertificate* certificate)
    : address_(address),
      // The certificate can only be given at construction; null leaves the server plain.
      server_(GRef<SoupServer>::adopt(
          soup_server_new("server-header", fmt::format("confd/{} ", conf::version()).c_str(),
                          "tls-certificate", certificate, nullptr))),
      healthz_(engine, GRef<GMainContext>::adopt(g_main_context_ref_thread_default()).get(),
               kHealthzTimeout),
      whip_(engine, GRef<GMainContext>::adopt(g_main_context_ref_thread_default()).get(), rooms,
            auth),
      publish_page_("/publish", publish_page_html()), room_page_("/r", room_page_html()),
      hls_(hls_root),
      sockets_(engine, GRef<GMainContext>::adopt(g_main_context_ref_thread_default()).get(), rooms,
               hub, auth),
      logger_(Logger("confd")) {
    routes_.push_back({"/healthz", {"GET", "HEAD"}, [this](SoupServerMessage* message) {
                           healthz_.handle(message);
                       }});
    for (const char* prefix : {"/whip/", "/whep/"}) {
        prefix_routes_.push_back(
            {prefix, [this](SoupServerMessage* message, std::string_view path) {
                 whip_.handle(message, path);
             }});
    }
    routes_.push_back({"/publish", {"GET", "HEAD"}, [this](SoupServerMessage* message) {
                           publish_page_.handle(message);
                       }});
    prefix_routes_.push_back(
        {"/publish/", [this](SoupServerMessage* message, std::string_view path) {
             publish_page_.handle_below(message, path);
         }});
    // The web client: the home page picks a room, /r/{room} is the room.
    routes_.push_back({"/", {"GET", "HEAD"}, [this](SoupServerMessage* message) {
                           room_page_.handle(message);
                       }});
    routes_.push_back({"/r", {"GET", "HEAD"}, [this](SoupServerMessage* message) {
                           room_page_.handle(message);
                       }});
    prefix_routes_.push_back({"/r/", [this](SoupServerMessage* message, std::string_view path) {
                                  room_page_.handle_below(message, path);
                              }});
    prefix_routes_.push_back({"/hls/", [this](SoupServerMessage* message, std::string_view path) {
                                  hls_.handle(message, path);
                              }});
    // One catch-all handler: libsoup's own path handlers also match every path below theirs.
    soup_server_add_handler(server_.get(), nullptr, &HttpServer::on_request, this, nullptr);
    // The room protocol: the normal handler at /ws runs before the WebSocket handshake and
    // refuses it by setting a status.
    soup_server_add_handler(server_.get(), "/ws", &HttpServer::on_socket_request, this, nullptr);
    soup_server_add_websocket_handler(server_.get(), "/ws", nullptr, nullptr,
                                      &HttpServer::on_socket, this, nullptr);
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const ListenAddress& address, Engine& engine,
                                                      RoomRegistry& rooms, RoomEventHub& hub,
                                                      const ParticipantAuth& auth,
                                                      const std::filesystem::path& hls_root,
                                                      const TlsSettings& tls) {
    GRef<GTlsCertificate> certificate;
    if (tls.enabled()) {
        GUnique<GError> error;
        certificate = GRef<GTlsCertificate>::adopt(g_tls_certificate_new_from_files(
            tls.cert_file.c_str(), tls.key_file.c_str(), error.out()));
        if (!certificate) {
            return failed_precondition(
                fmt::format("cannot use TLS certificate \"{}\" with key \"{}\": {}",
                            tls.cert_file.string(), tls.key_file.string(), error->message));
        }
    }
    std::unique_ptr<HttpServer> server(
        new HttpServer(address, engine, rooms, hub, auth, hls_root, certificate.get()));
    server->https_ = tls.enabled();
    auto ip = GRef<GInetAddress>::adopt(g_inet_address_new_from_string(address.host.c_str()));
    if (!ip) {
        return invalid_argument(fmt::format("not an IP address: {}", address.host));
    }
    auto socket_address =
        GRef<GSocketAddress>::adopt(g_inet_socket_address_new(ip.get(), address.port));
    GUnique<GError> error;
    auto listen_options =
        tls.enabled() ? SOUP_SERVER_LISTEN_HTTPS : static_cast<SoupServerListenOptions>(0);
    if (!soup_server_listen(server->server_.get(), socket_address.get(), listen_options,
                            error.out())) {
        return unavailable(
            fmt::format("cannot listen for HTTP on {}: {}", address.to_string(), error->message));
    }
    // With port 0 the kernel chose; ask the socket.
    GSList* listeners = soup_server_get_listeners(server->server_.get());
    if (listeners != nullptr) {
        auto local = GRef<GSocketAddress>::adopt(
            g_socket_get_local_address(G_SOCKET(listeners->data), nullptr));
        if (local && G_IS_INET_SOCKET_ADDRESS(local.get())) {
            server->port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local.get()));
        }
    }
    g_slist_free(listeners);
    if (server->port_ == 0) {
        return internal_error(
            fmt::format("HTTP server on {} has no bound port", address.to_string()));
    }
    server->logger_ = Logger("confd").with("http", address.with_port(server->port_));
    server->logger_.info("HTTP server listening on {}", server->url());
    return server;
}

HttpServer::~HttpServer() {
    stop();
    soup_server_remove_handler(server_.get(), "/ws");
    soup_server_remove_handler(server_.get(), nullptr);
}

std::string HttpServer::url() const {
    return fmt::format("{}://{}/", https_ ? "https" : "http", address_.with_port(port_));
}

void HttpServer::stop() {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    healthz_.abandon_all();
    whip_.abandon_all();
    sockets_.close_all(kCloseShuttingDown, "the server is shutting down");
    soup_server_disconnect(server_.get());
    logger_.info("HTTP server stopped");
}

void HttpServer::on_request(SoupServer*, SoupServerMessage* message, const char* path, GHashTable*,
                            gpointer self) noexcept {
    try {
        static_cast<HttpServer*>(self)->dispatch(message, path != nullptr ? path : "");
    } catch (const std::exception& e) {
        static_cast<HttpServer*>(self)->logger_.error("request to {} failed: {}", path, e.what());
        reply_error(message, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal error");
    } catch (...) {
        reply_error(message, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal error");
    }
}

void HttpServer::on_socket_request(SoupServer*, SoupServerMessage* message, const char* path,
                                   GHashTable*, gpointer self) noexcept {
    try {
        static_cast<HttpServer*>(self)->sockets_.check_upgrade(message,
                                                               path != nullptr ? path : "");
    } catch (...) {
        reply_error(message, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal error");
    }
}

void HttpServer::on_socket(SoupServer*, SoupServerMessage*, const char* path,
                           SoupWebsocketConnection* connection, gpointer self) noexcept {
    try {
        static_cast<HttpServer*>(self)->sockets_.accept(connection, path != nullptr ? path : "");
    } catch (const std::exception& e) {
        static_cast<HttpServer*>(self)->logger_.error("room socket failed: {}", e.what());
    }
}

void HttpServer::dispatch(SoupServerMessage* message, std::string_view path) {
    std::string_view method = soup_server_message_get_method(message);
    logger_.debug("{} {}", method, path);
    for (const PrefixRoute& prefix : prefix_routes_) {
        if (path.rfind(prefix.prefix, 0) == 0) {
            prefix.handle(message, path);
            return;
        }
    }
    auto route = std::find_if(routes_.begin(), routes_.end(),
                              [&](const Route& r) { return r.path == path; });
    if (route == routes_.end()) {
        reply_error(message, SOUP_STATUS_NOT_FOUND, fmt::format("no such path: {}", path));
        return;
    }
    if (std::find(route->methods.begin(), route->methods.end(), method) == route->methods.end()) {
        reply_error(message, SOUP_STATUS_METHOD_NOT_ALLOWED,
                    fmt::format("method {} is not allowed on {}; use {}", method, path,
                                join(route->methods)));
        soup_message_headers_replace(soup_server_message_get_response_headers(message), "Allow",
                                     join(route->methods).c_str());
        return;
    }
    route->handle(message);
}

} // namespace conf::daemon
