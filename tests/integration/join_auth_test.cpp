// Join tokens on WHIP and WHEP against the real confd, with real webrtcbin peers: a valid
// token publishes and its viewer decodes; a missing, forged, expired or mis-scoped token is
// refused with 401 or 403 and a reason in words, never shows up in confd's log, and lets no
// media through. "No media" is checked the way a user would: a participant joining the room
// with a valid token finds nobody there (and the same check does find a real publisher).
//
// Valid tokens come from the daemon's own JoinTokenSigner with the key file confd reads;
// forged ones are made by hand with OpenSSL alone (support/jwt_forge.hpp).
#include "auth/join_token.hpp"

#include "core/g_ref.hpp"
#include "core/g_unique.hpp"
#include "core/signal_connection.hpp"
#include "support/confd_process.hpp"
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/json_object.hpp"
#include "support/jwt_forge.hpp"
#include "support/temp_dir.hpp"
#include "support/webrtc_publisher.hpp"
#include "support/whip_client.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <libsoup/soup.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <fstream>
#include <regex>
#include <thread>

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using conf::daemon::JoinClaims;
using conf::daemon::JoinTokenSigner;
using conf::daemon::TokenAlgorithm;
using conf::test::ConfdProcess;

namespace {

using Clock = std::chrono::system_clock;

// ---- keys, configs and tokens ---------------------------------------------------------------

std::int64_t numeric_date(Clock::time_point time) {
    return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

constexpr std::string_view kHs256Header = R"({"alg":"HS256","typ":"JWT"})";
constexpr std::string_view kEdDsaHeader = R"({"alg":"EdDSA","typ":"JWT"})";
constexpr std::string_view kNoneHeader = R"({"alg":"none","typ":"JWT"})";

// Claims for `room` with every grant, as a forger writes them; no exp when `exp` is nullopt.
std::string claims_json(const std::string& room, std::optional<Clock::time_point> exp) {
    std::string json = fmt::format(R"({{"room":"{}","sub":"mallory",)", room) +
                       R"("grants":{"publish":true,"subscribe":true})";
    if (exp) {
        json += fmt::format(R"(,"exp":{})", numeric_date(*exp));
    }
    return json + "}";
}

// An HS256 secret file as `openssl rand -base64 48 > FILE` writes it; returns the secret
// (confd trims the newline).
std::string write_secret(const std::filesystem::path& file) {
    unsigned char bytes[48];
    REQUIRE(RAND_bytes(bytes, sizeof bytes) == 1);
    std::string secret =
        conf::test::base64url(std::string_view(reinterpret_cast<char*>(bytes), sizeof bytes));
    std::ofstream(file) << secret << "\n";
    return secret;
}

// An Ed25519 private key in PEM, as `openssl genpkey -algorithm ed25519 -out FILE` writes it.
void write_ed25519_key(const std::filesystem::path& file) {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), &EVP_PKEY_free);
    REQUIRE(key);
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(file.c_str(), "w"), &BIO_free);
    REQUIRE(bio);
    REQUIRE(PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) ==
            1);
}

std::unique_ptr<JoinTokenSigner> signer_for(TokenAlgorithm algorithm,
                                            const std::filesystem::path& key_file) {
    auto signer = JoinTokenSigner::from_file(algorithm, key_file);
    INFO(signer.status().message());
    REQUIRE(signer.is_ok());
    return std::move(signer).value();
}

struct Grant {
    bool publish = false;
    bool subscribe = false;
};

std::string token(const JoinTokenSigner& signer, const std::string& room, Grant grant,
                  std::chrono::seconds ttl = 10min, const std::string& who = "tester") {
    JoinClaims claims;
    claims.room = room;
    claims.identity = who;
    claims.grants.publish = grant.publish;
    claims.grants.subscribe = grant.subscribe;
    claims.issued = Clock::now();
    claims.expires = Clock::now() + ttl;
    return signer.sign(claims);
}

// A confd whose config requires (or only checks) join tokens signed with `key_file`.
struct AuthConfd {
    conf::test::TempDir dir;
    std::unique_ptr<ConfdProcess> process;
    std::string base; // "http://127.0.0.1:PORT/"

    AuthConfd(std::string_view algorithm, const std::filesystem::path& key_file,
              bool required = true) {
        std::filesystem::path config = dir.path() / "confd.json";
        std::ofstream(config) << fmt::format(
            R"({{"auth": {{"join_tokens": {{"algorithm": "{}", "key_file": "{}", )"
            R"("required": {}}}}}}})",
            algorithm, key_file.string(), required);
        process = std::make_unique<ConfdProcess>(
            std::vector<std::string>{"--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0", "--data-dir",
                                     "data", "--config", config.string()});
        bool listening = process->wait_listening();
        INFO(process->stderr_text());
        REQUIRE(listening);
        base = process->http_url();
    }
    std::string log() const { return process->stdout_text() + process->stderr_text(); }
};

constexpr const char* kVp8Receiver =
    "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=98";

// A real publisher POSTs to /whip/{room} with `bearer` (empty: no Authorization header).
conf::test::HttpResponse publish(const std::string& base, const std::string& room,
                                 const std::string& bearer) {
    conf::test::WhipClient publisher(conf::test::kTestPublisher, base + "whip/" + room,
                                     {.bearer = bearer});
    return publisher.wait_response();
}

// ---- the room as a participant sees it ---------------------------------------------------------

// Joins `room` receive-only over the room protocol (GET /ws/{room}) with `bearer`, reads the
// welcome and leaves: everyone in the room. Fails the test without a welcome.
struct Person {
    std::string name;
    std::size_t tracks = 0; // published so far
};
std::vector<Person> people_in_room(const std::string& base, const std::string& room,
                                   const std::string& bearer) {
    auto context = conf::GRef<GMainContext>::adopt(g_main_context_new());
    g_main_context_push_thread_default(context.get());
    struct PopContext {
        GMainContext* context;
        ~PopContext() { g_main_context_pop_thread_default(context); }
    } pop{context.get()};
    auto pump_until = [&](auto done, std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            g_main_context_iteration(context.get(), FALSE);
            std::this_thread::sleep_for(5ms);
        }
        return done();
    };

    auto session = conf::GRef<SoupSession>::adopt(soup_session_new());
    std::string url = std::regex_replace(base, std::regex("^http"), "ws") + "ws/" + room;
    auto message = conf::GRef<SoupMessage>::adopt(soup_message_new("GET", url.c_str()));
    REQUIRE(message);
    struct Connecting {
        bool done = false;
        conf::GRef<SoupWebsocketConnection> connection;
        std::string error;
    } connecting;
    soup_session_websocket_connect_async(
        session.get(), message.get(), nullptr, nullptr, G_PRIORITY_DEFAULT, nullptr,
        [](GObject* source, GAsyncResult* result, gpointer data) noexcept {
            auto& state = *static_cast<Connecting*>(data);
            conf::GUnique<GError> error;
            state.connection = conf::GRef<SoupWebsocketConnection>::adopt(
                soup_session_websocket_connect_finish(SOUP_SESSION(source), result, error.out()));
            if (error) {
                state.error = error->message;
            }
            state.done = true;
        },
        &connecting);
    REQUIRE(pump_until([&] { return connecting.done; }, 10s));
    INFO(connecting.error);
    REQUIRE(connecting.connection);
    SoupWebsocketConnection* ws = connecting.connection.get();

    std::vector<google::protobuf::Struct> received;
    bool closed = false;
    std::vector<conf::SignalConnection> signals;
    signals.push_back(
        conf::connect_signal<gint, GBytes*>(ws, "message", [&](gint /*type*/, GBytes* bytes) {
            gsize size = 0;
            const auto* data = static_cast<const char*>(g_bytes_get_data(bytes, &size));
            received.push_back(conf::test::parse_json_object(std::string(data, size)));
        }));
    signals.push_back(conf::connect_signal<>(ws, "closed", [&] { closed = true; }));

    std::string join = fmt::format(R"({{"type":"join","name":"room check","token":"{}",)"
                                   R"("publish":{{"audio":false,"video":false}}}})",
                                   bearer);
    soup_websocket_connection_send_text(ws, join.c_str());
    auto type_of = [](const google::protobuf::Struct& m) {
        return conf::test::json_at(m, "type").string_value();
    };
    auto welcome = [&]() -> const google::protobuf::Struct* {
        for (const auto& m : received) {
            if (type_of(m) == "welcome") {
                return &m;
            }
        }
        return nullptr;
    };
    pump_until([&] { return welcome() != nullptr || closed; }, 10s);
    std::string messages;
    for (const auto& m : received) {
        messages += type_of(m) + " ";
    }
    INFO("messages: " << messages << (closed ? "(closed)" : ""));
    REQUIRE(welcome() != nullptr);
    std::vector<Person> names;
    for (const auto& p : conf::test::json_at(*welcome(), "participants").list_value().values()) {
        const auto& fields = p.struct_value().fields();
        auto tracks = fields.find("tracks");
        names.push_back({conf::test::json_at(p.struct_value(), "name").string_value(),
                         tracks == fields.end() ? 0
                                                : static_cast<std::size_t>(
                                                      tracks->second.list_value().values_size())});
    }
    soup_websocket_connection_send_text(ws, R"({"type":"leave"})");
    pump_until([&] { return closed; }, 5s);
    signals.clear();
    return names;
}

// ---- what every refusal must look like --------------------------------------------------------

std::string error_of(const conf::test::HttpResponse& reply) {
    REQUIRE(reply.content_type == "application/json");
    auto object = conf::test::parse_json_object(reply.body);
    return conf::test::json_at(object, "error").string_value();
}

// Neither the token nor its claims or signature may show up in confd's output.
void check_not_logged(const AuthConfd& confd, const std::string& jwt) {
    std::string log = confd.log();
    CHECK_THAT(log, !Contains(jwt));
    std::size_t first = jwt.find('.');
    std::size_t second = jwt.find('.', first + 1);
    for (const std::string& part :
         {jwt.substr(first + 1, second - first - 1), jwt.substr(second + 1)}) {
        if (part.size() >= 8) {
            CHECK_THAT(log, !Contains(part));
        }
    }
}

} // namespace

TEST_CASE("join tokens: a publish token publishes and a subscribe token views it",
          "[join_auth][whip]") {
    conf::test::TempDir keys;
    write_secret(keys.path() / "secret");
    auto signer = signer_for(TokenAlgorithm::kHs256, keys.path() / "secret");
    AuthConfd confd("HS256", keys.path() / "secret");
    const std::string room = "auth-ok";

    std::string publish_token = token(*signer, room, {.publish = true});
    conf::test::WhipClient publisher(conf::test::kTestPublisher, confd.base + "whip/" + room,
                                     {.bearer = publish_token});
    conf::test::HttpResponse published = publisher.wait_response();
    INFO(published.body);
    REQUIRE(published.status == 201);
    std::smatch session;
    REQUIRE(std::regex_match(published.location, session,
                             std::regex("/whip/" + room + "/([0-9a-f]{32})")));

    // The check the refusals below rely on: a participant sees a real publisher.
    std::string view_token = token(*signer, room, {.subscribe = true});
    auto people = people_in_room(confd.base, room, view_token);
    REQUIRE(people.size() == 1);
    CHECK_THAT(people[0].name, Contains("whip-"));

    // Its audio and video must be published before it can be viewed.
    REQUIRE(conf::test::eventually(
        [&] { return people_in_room(confd.base, room, view_token)[0].tracks == 2; }, 10s));
    conf::test::WhipClient viewer("webrtcbin name=peer",
                                  confd.base + "whep/" + room + "/" + session[1].str(),
                                  {.bearer = view_token, .receivers = {kVp8Receiver}});
    conf::test::HttpResponse viewed = viewer.wait_response();
    INFO(viewed.body);
    REQUIRE(viewed.status == 201);
    CHECK(conf::test::eventually([&] { return viewer.peer().decoded_video_frames() >= 30; }, 15s));
    check_not_logged(confd, publish_token);
    check_not_logged(confd, view_token);
}

TEST_CASE("join tokens: WHIP without a valid token is 401 and nothing is published",
          "[join_auth][whip]") {
    conf::test::TempDir keys;
    std::string secret = write_secret(keys.path() / "secret");
    write_secret(keys.path() / "other-secret");
    write_ed25519_key(keys.path() / "ed25519.pem");
    auto signer = signer_for(TokenAlgorithm::kHs256, keys.path() / "secret");
    auto other = signer_for(TokenAlgorithm::kHs256, keys.path() / "other-secret");
    auto ed25519 = signer_for(TokenAlgorithm::kEdDsa, keys.path() / "ed25519.pem");
    AuthConfd confd("HS256", keys.path() / "secret");
    const std::string room = "auth-401";
    const std::string claims = claims_json(room, Clock::now() + 10min);

    struct Case {
        std::string what;
        std::string token;
        std::vector<std::string> reason; // words the error must contain
    };
    std::vector<Case> cases = {
        {"no token", "", {"join token is required", "Authorization: Bearer"}},
        {"signed with another secret",
         token(*other, room, {.publish = true}),
         {"signature does not verify"}},
        {"expired 10 min ago", token(*signer, room, {.publish = true}, -10min), {"expired at"}},
        {"no exp",
         conf::test::forge_jwt(kHs256Header, claims_json(room, std::nullopt), secret),
         {"no exp claim"}},
        {"alg none, empty signature",
         conf::test::forge_jwt(kNoneHeader, claims, std::nullopt),
         {"\"none\"", "not accepted", "HS256"}},
        {"alg EdDSA, signed with an Ed25519 key",
         token(*ed25519, room, {.publish = true}),
         {"\"EdDSA\"", "not accepted"}},
        {"alg EdDSA, but an HMAC with confd's own secret",
         conf::test::forge_jwt(kEdDsaHeader, claims, secret),
         {"\"EdDSA\"", "not accepted"}},
    };
    std::string view_token = token(*signer, room, {.subscribe = true});
    for (const Case& c : cases) {
        INFO(c.what);
        conf::test::HttpResponse refused = publish(confd.base, room, c.token);
        INFO(refused.body);
        CHECK(refused.status == 401);
        CHECK_THAT(refused.www_authenticate, Contains("Bearer"));
        std::string error = error_of(refused);
        for (const std::string& word : c.reason) {
            CHECK_THAT(error, Contains(word));
        }
        CHECK(people_in_room(confd.base, room, view_token).empty());
        if (!c.token.empty()) {
            check_not_logged(confd, c.token);
        }
    }
    check_not_logged(confd, view_token);
    CHECK(confd.process->running());
}

TEST_CASE("join tokens: an EdDSA confd refuses HS256 tokens, even one keyed with its public key",
          "[join_auth][whip]") {
    conf::test::TempDir keys;
    write_ed25519_key(keys.path() / "ed25519.pem");
    std::string secret = write_secret(keys.path() / "secret");
    auto signer = signer_for(TokenAlgorithm::kEdDsa, keys.path() / "ed25519.pem");
    auto hs256 = signer_for(TokenAlgorithm::kHs256, keys.path() / "secret");
    AuthConfd confd("EdDSA", keys.path() / "ed25519.pem");
    const std::string room = "auth-eddsa";
    const std::string claims = claims_json(room, Clock::now() + 10min);
    std::string view_token = token(*signer, room, {.subscribe = true});

    // The classic confusion: the verifier's public key used as an HMAC secret.
    std::string public_pem = signer->public_key_pem();
    REQUIRE_THAT(public_pem, Contains("BEGIN PUBLIC KEY"));
    for (const std::string& forged : {conf::test::forge_jwt(kHs256Header, claims, public_pem),
                                      token(*hs256, room, {.publish = true})}) {
        conf::test::HttpResponse refused = publish(confd.base, room, forged);
        INFO(refused.body);
        CHECK(refused.status == 401);
        CHECK_THAT(refused.www_authenticate, Contains("Bearer"));
        std::string error = error_of(refused);
        CHECK_THAT(error, Contains("\"HS256\"") && Contains("not accepted") && Contains("EdDSA"));
        CHECK(people_in_room(confd.base, room, view_token).empty());
        check_not_logged(confd, forged);
    }

    // Its own EdDSA tokens do publish.
    std::string publish_token = token(*signer, room, {.publish = true});
    CHECK(publish(confd.base, room, publish_token).status == 201);
    check_not_logged(confd, publish_token);
    check_not_logged(confd, view_token);
}

TEST_CASE("join tokens: another room's token or a missing grant is 403 and no media flows",
          "[join_auth][whip]") {
    conf::test::TempDir keys;
    write_secret(keys.path() / "secret");
    auto signer = signer_for(TokenAlgorithm::kHs256, keys.path() / "secret");
    AuthConfd confd("HS256", keys.path() / "secret");

    // A publish token for room A used at /whip/B.
    std::string for_a = token(*signer, "auth-a", {.publish = true, .subscribe = true});
    conf::test::HttpResponse wrong_room = publish(confd.base, "auth-b", for_a);
    INFO(wrong_room.body);
    CHECK(wrong_room.status == 403);
    CHECK_THAT(error_of(wrong_room), Contains("for room 'auth-a', not 'auth-b'"));
    CHECK(people_in_room(confd.base, "auth-b", token(*signer, "auth-b", {.subscribe = true}))
              .empty());
    CHECK(people_in_room(confd.base, "auth-a", token(*signer, "auth-a", {.subscribe = true}))
              .empty());
    check_not_logged(confd, for_a);

    // A subscribe-only token publishing.
    const std::string room = "auth-403";
    std::string view_token = token(*signer, room, {.subscribe = true});
    conf::test::HttpResponse watcher = publish(confd.base, room, view_token);
    INFO(watcher.body);
    CHECK(watcher.status == 403);
    CHECK_THAT(error_of(watcher), Contains("does not allow publishing") && Contains("'publish'"));
    CHECK(people_in_room(confd.base, room, view_token).empty());

    // A publish-only token viewing a real publisher over WHEP.
    std::string publish_token = token(*signer, room, {.publish = true});
    conf::test::WhipClient publisher(conf::test::kTestPublisher, confd.base + "whip/" + room,
                                     {.bearer = publish_token});
    conf::test::HttpResponse published = publisher.wait_response();
    REQUIRE(published.status == 201);
    std::string session = published.location.substr(published.location.rfind('/') + 1);
    // Published, as for a viewer that would be let in.
    REQUIRE(conf::test::eventually(
        [&] {
            auto people = people_in_room(confd.base, room, view_token);
            return people.size() == 1 && people[0].tracks == 2;
        },
        10s));
    conf::test::WhipClient viewer("webrtcbin name=peer",
                                  confd.base + "whep/" + room + "/" + session,
                                  {.bearer = publish_token, .receivers = {kVp8Receiver}});
    conf::test::HttpResponse refused = viewer.wait_response();
    INFO(refused.body);
    CHECK(refused.status == 403);
    CHECK(refused.www_authenticate.empty());
    CHECK_THAT(error_of(refused),
               Contains("does not allow subscribing") && Contains("'subscribe'"));
    std::this_thread::sleep_for(2s);
    CHECK(viewer.peer().decoded_video_frames() == 0);
    CHECK(viewer.peer().connection_state() != GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED);
    check_not_logged(confd, view_token);
    check_not_logged(confd, publish_token);
}

TEST_CASE("join tokens not required: no token publishes, a bad token is still 401",
          "[join_auth][whip]") {
    conf::test::TempDir keys;
    write_secret(keys.path() / "secret");
    write_secret(keys.path() / "other-secret");
    auto other = signer_for(TokenAlgorithm::kHs256, keys.path() / "other-secret");
    AuthConfd confd("HS256", keys.path() / "secret", /*required=*/false);
    const std::string room = "auth-optional";
    const std::string claims = claims_json(room, Clock::now() + 10min);

    for (const std::string& bad : {token(*other, room, {.publish = true}),
                                   conf::test::forge_jwt(kNoneHeader, claims, std::nullopt)}) {
        conf::test::HttpResponse refused = publish(confd.base, room, bad);
        INFO(refused.body);
        CHECK(refused.status == 401);
        CHECK_THAT(refused.www_authenticate, Contains("Bearer"));
        CHECK_THAT(error_of(refused), Contains("join token:"));
        CHECK(people_in_room(confd.base, room, "").empty());
        check_not_logged(confd, bad);
    }

    conf::test::WhipClient publisher(conf::test::kTestPublisher, confd.base + "whip/" + room);
    CHECK(publisher.wait_response().status == 201);
    auto people = people_in_room(confd.base, room, "");
    REQUIRE(people.size() == 1);
    CHECK_THAT(people[0].name, Contains("whip-"));
}

TEST_CASE("join tokens: a flood of refused requests is logged as a burst, not line by line",
          "[join_auth][whip]") {
    conf::test::TempDir keys;
    write_secret(keys.path() / "secret");
    AuthConfd confd("HS256", keys.path() / "secret");
    for (int i = 0; i < 60; ++i) {
        auto refused = conf::test::http_request("POST", confd.base + "whip/flood", "v=0\r\n",
                                                "application/sdp", 5,
                                                {{"Authorization", "Bearer not-a-token"}});
        REQUIRE(refused.status == 401);
    }
    std::string log = confd.log();
    std::size_t lines = 0;
    for (std::size_t at = log.find("publishing refused"); at != std::string::npos;
         at = log.find("publishing refused", at + 1)) {
        ++lines;
    }
    INFO(log);
    CHECK(lines == 20); // the first burst; the rest are counted for the next summary line
    CHECK(confd.process->running());
}
