#include "http/whip_handler.hpp"

#include "http/http_status.hpp"
#include "http/json_reply.hpp"
#include "http/sdp_fragment.hpp"
#include "webrtc/offer_filter.hpp"

#include <fmt/format.h>

#include <charconv>
#include <memory>

namespace conf::daemon {

namespace {

// `?height=N` on a WHEP POST: a smaller rendition of the video (0 or absent: as published).
Result<int> rendition_height(SoupServerMessage* message) {
    const char* query = g_uri_get_query(soup_server_message_get_uri(message));
    if (query == nullptr) {
        return 0;
    }
    GHashTable* raw = soup_form_decode(query);
    std::unique_ptr<GHashTable, decltype(&g_hash_table_unref)> form(raw, &g_hash_table_unref);
    auto* value = static_cast<const char*>(g_hash_table_lookup(form.get(), "height"));
    if (value == nullptr) {
        return 0;
    }
    int height = 0;
    std::string_view text(value);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), height);
    if (ec != std::errc() || end != text.data() + text.size() || height < kMinRenditionHeight ||
        height > kMaxRenditionHeight) {
        return invalid_argument(fmt::format("height must be an integer {}-{}, not '{}'",
                                            kMinRenditionHeight, kMaxRenditionHeight, text));
    }
    return height;
}

constexpr std::chrono::milliseconds kMediaTimeout{10000};

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> parts;
    while (!path.empty()) {
        size_t start = path.find_first_not_of('/');
        if (start == std::string_view::npos) {
            break;
        }
        path.remove_prefix(start);
        size_t end = path.find('/');
        parts.emplace_back(path.substr(0, end));
        path = end == std::string_view::npos ? std::string_view() : path.substr(end);
    }
    return parts;
}

HttpResponse error_response(const Status& status) {
    HttpResponse response;
    response.status = http_status_for(status);
    response.body = fmt::format("{{\"error\":{}}}", json_string(status.message()));
    return response;
}

HttpResponse created(const std::string& location, std::string answer) {
    HttpResponse response;
    response.status = SOUP_STATUS_CREATED;
    response.content_type = "application/sdp";
    response.body = std::move(answer);
    response.headers = {{"Location", location}};
    return response;
}

void reply_method_not_allowed(SoupServerMessage* message, std::string_view allowed) {
    reply_error(message, SOUP_STATUS_METHOD_NOT_ALLOWED,
                fmt::format("method {} is not allowed here; use {}",
                            soup_server_message_get_method(message), allowed));
    soup_message_headers_replace(soup_server_message_get_response_headers(message), "Allow",
                                 std::string(allowed).c_str());
}

} // namespace

WhipHandler::WhipHandler(Engine& engine, GMainContext* http_context, RoomRegistry& registry,
                         const ParticipantAuth& auth)
    : registry_(registry), auth_(auth), calls_(engine, http_context, kMediaTimeout, Logger("whip")),
      logger_(Logger("whip")) {}

void WhipHandler::handle(SoupServerMessage* message, std::string_view path) {
    std::vector<std::string> parts = split_path(path);
    std::string_view method = soup_server_message_get_method(message);
    bool whip = !parts.empty() && parts[0] == "whip";
    // The room's mix: POST /whep/{room}, or /whep/{room}/mix; its sessions /whep/{room}/mix/{id}.
    if (!whip && parts.size() == 2) {
        parts.emplace_back(kMixMemberId);
    }
    // whip: [whip, room] or [whip, room, session]; whep: one level deeper.
    size_t depth = parts.size() - (whip ? 0 : 1);
    if (parts.size() < 2 || depth < 2 || depth > 3) {
        reply_error(message, SOUP_STATUS_NOT_FOUND, fmt::format("no such path: {}", path));
        return;
    }
    const std::string& room = parts[1];
    if (depth == 2) {
        if (method != "POST") {
            reply_method_not_allowed(message, "POST");
        } else if (whip) {
            publish(message, room);
        } else {
            view(message, room, parts[2]);
        }
        return;
    }
    const std::string& session = parts.back();
    if (method == "DELETE") {
        remove(message, room, session);
    } else if (method == "PATCH") {
        patch(message, room, session);
    } else {
        reply_method_not_allowed(message, "PATCH, DELETE");
    }
}

bool WhipHandler::read_body(SoupServerMessage* message, std::string_view content_type,
                            std::string& body) {
    SoupMessageHeaders* headers = soup_server_message_get_request_headers(message);
    const char* type = soup_message_headers_get_content_type(headers, nullptr);
    if (type == nullptr || content_type != type) {
        reply_error(message, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                    fmt::format("Content-Type must be {} (got {})", content_type,
                                type != nullptr ? type : "none"));
        return false;
    }
    SoupMessageBody* request = soup_server_message_get_request_body(message);
    if (request->length > static_cast<goffset>(kMaxOfferBytes)) {
        reply_error(
            message, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
            fmt::format("body is {} bytes; the limit is {}", request->length, kMaxOfferBytes));
        return false;
    }
    auto bytes = GRef<GBytes>::adopt(soup_message_body_flatten(request));
    gsize size = 0;
    const auto* data = static_cast<const char*>(g_bytes_get_data(bytes.get(), &size));
    body.assign(data != nullptr ? data : "", size);
    return true;
}

std::optional<Admission> WhipHandler::admit(SoupServerMessage* message, const std::string& room,
                                            bool Grants::*grant, std::string_view grant_name,
                                            std::string_view what) {
    SoupMessageHeaders* headers = soup_server_message_get_request_headers(message);
    std::string_view token =
        ParticipantAuth::bearer_token(soup_message_headers_get_one(headers, "Authorization"));
    auto admitted = auth_.admit(token, room);
    if (admitted && !((*admitted).grants.*grant)) {
        admitted = Status(
            StatusCode::kPermissionDenied,
            fmt::format("this join token does not allow {} (no '{}' grant)", what, grant_name));
    }
    if (!admitted) {
        auth_.log_refusal(
            fmt::format("[room={}] {} refused: {}", room, what, admitted.status().message()));
        if (admitted.status().code() == StatusCode::kUnauthenticated) {
            // RFC 6750: say whether a token came and failed, or none came.
            soup_message_headers_replace(soup_server_message_get_response_headers(message),
                                         "WWW-Authenticate",
                                         token.empty() ? "Bearer realm=\"confd\""
                                                       : "Bearer realm=\"confd\", "
                                                         "error=\"invalid_token\"");
        }
        reply_error(message, http_status_for(admitted.status()), admitted.status().message());
        return std::nullopt;
    }
    return std::move(admitted).value();
}

void WhipHandler::publish(SoupServerMessage* message, const std::string& room) {
    auto admission = admit(message, room, &Grants::publish, "publish", "publishing");
    if (!admission) {
        return;
    }
    std::string offer;
    if (!read_body(message, "application/sdp", offer)) {
        return;
    }
    calls_.start(message, [this, room, offer, identity = admission->identity,
                           name = admission->name](MediaCalls::Responder respond) {
        registry_.publish(room, offer, identity, name,
                          [room, respond](Result<SessionInfo> session) {
                              if (!session) {
                                  respond(error_response(session.status()));
                                  return;
                              }
                              respond(created(fmt::format("/whip/{}/{}", room, session->id),
                                              std::move(session->answer_sdp)));
                          });
    });
}

void WhipHandler::view(SoupServerMessage* message, const std::string& room,
                       const std::string& publisher) {
    if (!admit(message, room, &Grants::subscribe, "subscribe", "subscribing")) {
        return;
    }
    auto height = rendition_height(message);
    if (!height) {
        reply_error(message, SOUP_STATUS_BAD_REQUEST, height.status().message());
        return;
    }
    std::string offer;
    if (!read_body(message, "application/sdp", offer)) {
        return;
    }
    calls_.start(message, [this, room, publisher, offer,
                           max_height = *height](MediaCalls::Responder respond) {
        const bool mix = publisher == kMixMemberId;
        registry_.view(
            room, mix ? std::string() : publisher, offer,
            [room, publisher, respond](Result<SessionInfo> session) {
                if (!session) {
                    respond(error_response(session.status()));
                    return;
                }
                respond(created(fmt::format("/whep/{}/{}/{}", room, publisher, session->id),
                                std::move(session->answer_sdp)));
            },
            max_height);
    });
}

void WhipHandler::patch(SoupServerMessage* message, const std::string& room,
                        const std::string& session) {
    std::string text;
    if (!read_body(message, "application/trickle-ice-sdpfrag", text)) {
        return;
    }
    auto fragment = parse_sdp_fragment(text);
    if (!fragment) {
        reply_error(message, SOUP_STATUS_BAD_REQUEST, fragment.status().message());
        return;
    }
    calls_.start(message, [this, room, session,
                           candidates = fragment->candidates](MediaCalls::Responder respond) {
        Status added = registry_.add_candidates(room, session, candidates);
        if (!added) {
            respond(error_response(added));
            return;
        }
        HttpResponse response;
        response.status = SOUP_STATUS_NO_CONTENT;
        response.content_type.clear();
        respond(std::move(response));
    });
}

void WhipHandler::remove(SoupServerMessage* message, const std::string& room,
                         const std::string& session) {
    calls_.start(message, [this, room, session](MediaCalls::Responder respond) {
        Status ended = registry_.end_session(room, session);
        if (!ended) {
            respond(error_response(ended));
            return;
        }
        HttpResponse response;
        response.body = "{\"status\":\"ended\"}";
        respond(std::move(response));
    });
}

} // namespace conf::daemon
