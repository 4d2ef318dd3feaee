// confd with TLS (`tls.cert_file`, `tls.key_file`): a self-signed certificate made with the
// openssl CLI for each test, confd started on 127.0.0.1 with it, and both servers checked
// from outside with clients that trust only that certificate (curl, libsoup, a gRPC channel
// with SslCredentials), as an operator would. Also the refusals: half a TLS config, and a
// non-loopback address without TLS and authentication.
#include "support/confd_process.hpp"
#include "support/http_client.hpp"
#include "support/json_object.hpp"
#include "support/temp_dir.hpp"

#include "core/g_ref.hpp"
#include "core/g_unique.hpp"

#include "grpc/health/v1/health.grpc.pb.h"

#include <catch2/catch.hpp>
#include <gio/gio.h>
#include <grpcpp/grpcpp.h>
#include <libsoup/soup.h>

#include <csignal>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/wait.h>

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using conf::GRef;
using conf::GUnique;
using conf::test::ConfdProcess;
using conf::test::ConfdRun;
using conf::test::json_at;
using conf::test::run_confd;
using conf::test::TempDir;

namespace {

struct ToolRun {
    int exit_code = -1; // -1: killed by a signal
    std::string out;
    std::string err;
};

// Runs a command-line tool (found on PATH) to completion.
ToolRun run_tool(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const std::string& arg : args) {
        argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);
    gchar* out = nullptr;
    gchar* err = nullptr;
    int wait_status = 0;
    GUnique<GError> error;
    if (!g_spawn_sync(nullptr, argv.data(), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out,
                      &err, &wait_status, error.out())) {
        throw std::runtime_error("cannot run " + args.front() + ": " + error->message);
    }
    GUnique<gchar> out_owner(out);
    GUnique<gchar> err_owner(err);
    ToolRun run;
    run.out = out != nullptr ? out : "";
    run.err = err != nullptr ? err : "";
    if (WIFEXITED(wait_status)) {
        run.exit_code = WEXITSTATUS(wait_status);
    }
    return run;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string write_file(const TempDir& dir, const std::string& name, const std::string& text) {
    std::filesystem::path path = dir.path() / name;
    std::ofstream(path) << text;
    return path.string();
}

// A self-signed P-256 certificate for 127.0.0.1 and localhost, valid for a day.
struct TestCertificate {
    TempDir dir;
    std::string cert_file = (dir.path() / "cert.pem").string();
    std::string key_file = (dir.path() / "key.pem").string();

    TestCertificate() {
        ToolRun run = run_tool(
            {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext",
             "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key_file, "-out", cert_file});
        if (run.exit_code != 0) {
            throw std::runtime_error("openssl req failed: " + run.err);
        }
    }
    std::string cert_pem() const { return read_file(cert_file); }
};

// A config file in `dir`: both servers on loopback, any port, with `tls_json` as "tls".
std::string write_config(const TempDir& dir, const std::string& tls_json) {
    return write_file(dir, "confd.json",
                      R"({"http": {"listen": "127.0.0.1:0"}, "grpc": {"listen": "127.0.0.1:0"},)"
                      R"( "data_dir": "data", "tls": )" +
                          tls_json + "}");
}

std::string tls_json(const TestCertificate& certificate) {
    return R"({"cert_file": ")" + certificate.cert_file + R"(", "key_file": ")" +
           certificate.key_file + R"("})";
}

// What confd announces on stdout once both servers listen. ConfdProcess::wait_listening()
// only knows http:// URLs, so this reads the line itself.
struct Announcement {
    std::string http_url; // "https://127.0.0.1:PORT/"
    std::string grpc_address;
};

std::optional<Announcement> wait_announced(ConfdProcess& confd,
                                           std::chrono::milliseconds timeout = 10s) {
    static const std::regex kLine(R"(^confd listening on (https?://\S+/) \(grpc (\S+)\)$)");
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        std::istringstream out(confd.stdout_text());
        std::string line;
        while (std::getline(out, line) && !out.eof()) { // complete lines only
            std::smatch match;
            if (std::regex_match(line, match, kLine)) {
                return Announcement{match[1], match[2]};
            }
        }
        // Runs confd's exit notification too: stop waiting once it is gone.
        if (confd.wait_exit(20ms).has_value() || std::chrono::steady_clock::now() > deadline) {
            return std::nullopt;
        }
    }
}

Announcement require_announced(ConfdProcess& confd) {
    auto announced = wait_announced(confd);
    INFO("stdout: " << confd.stdout_text() << "\nstderr: " << confd.stderr_text());
    REQUIRE(announced.has_value());
    return *announced;
}

struct HttpsResponse {
    guint status = 0;
    std::string body;
    std::string error; // set when no response arrived
};

// GET with libsoup, trusting only the certificates in `ca_file`.
HttpsResponse https_get(const std::string& url, const std::string& ca_file) {
    GUnique<GError> error;
    auto database =
        GRef<GTlsDatabase>::adopt(g_tls_file_database_new(ca_file.c_str(), error.out()));
    if (!database) {
        throw std::runtime_error("cannot load " + ca_file + ": " + error->message);
    }
    auto session = GRef<SoupSession>::adopt(
        soup_session_new_with_options("timeout", 5u, "tls-database", database.get(), nullptr));
    auto message = GRef<SoupMessage>::adopt(soup_message_new("GET", url.c_str()));
    if (!message) {
        throw std::runtime_error("not a valid URL: " + url);
    }
    auto body = GRef<GBytes>::adopt(
        soup_session_send_and_read(session.get(), message.get(), nullptr, error.out()));
    HttpsResponse response;
    if (!body) {
        response.error = error->message;
        return response;
    }
    response.status = soup_message_get_status(message.get());
    gsize size = 0;
    const auto* data = static_cast<const char*>(g_bytes_get_data(body.get(), &size));
    response.body.assign(data != nullptr ? data : "", size);
    return response;
}

grpc::Status health_check(const std::shared_ptr<grpc::Channel>& channel,
                          grpc::health::v1::HealthCheckResponse& response) {
    auto health = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 5s);
    grpc::health::v1::HealthCheckRequest check; // "" = the server as a whole
    return health->Check(&context, check, &response);
}

void check_stops_cleanly(ConfdProcess& confd) {
    confd.send_signal(SIGTERM);
    auto exit_code = confd.wait_exit(5s);
    INFO("stderr: " << confd.stderr_text());
    REQUIRE(exit_code.has_value());
    CHECK(*exit_code == 0);
}

// A run refused for its configuration: exit code 2, the message, nothing started.
void check_config_refused(const ConfdRun& run, const std::string& expected) {
    INFO("stderr: " << run.err);
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Contains("config error: " + expected));
    CHECK_THAT(run.out, !Contains("listening"));
}

} // namespace

TEST_CASE("with TLS confd serves HTTPS only and announces an https:// URL", "[tls]") {
    TestCertificate certificate;
    TempDir dir;
    ConfdProcess confd({"--config", write_config(dir, tls_json(certificate))});
    Announcement announced = require_announced(confd);
    CHECK_THAT(announced.http_url, StartsWith("https://127.0.0.1:"));
    CHECK_THAT(confd.stderr_text(), Contains("HTTP server listening on " + announced.http_url));

    SECTION("curl trusting the certificate gets /healthz") {
        ToolRun curl = run_tool({"curl", "--silent", "--show-error", "--max-time", "5", "--cacert",
                                 certificate.cert_file, "--write-out", "\n%{http_code}",
                                 announced.http_url + "healthz"});
        INFO("curl stderr: " << curl.err);
        REQUIRE(curl.exit_code == 0);
        std::string body = curl.out.substr(0, curl.out.rfind('\n'));
        CHECK(curl.out.substr(curl.out.rfind('\n') + 1) == "200");
        CHECK(json_at(conf::test::parse_json_object(body), "status").string_value() == "ok");

        // Without the certificate curl does not trust it: confd really presents this one.
        ToolRun untrusting =
            run_tool({"curl", "--silent", "--max-time", "5", announced.http_url + "healthz"});
        CHECK(untrusting.exit_code != 0);
    }
    SECTION("libsoup trusting the certificate gets /healthz") {
        HttpsResponse response = https_get(announced.http_url + "healthz", certificate.cert_file);
        INFO("error: " << response.error << "\nbody: " << response.body);
        CHECK(response.status == 200);
        CHECK(json_at(conf::test::parse_json_object(response.body), "status").string_value() ==
              "ok");
    }
    SECTION("plain HTTP to the same port gets no 200") {
        std::string plain_url =
            "http://" + announced.http_url.substr(std::string("https://").size());
        guint status = 0;
        try {
            status = conf::test::http_request("GET", plain_url + "healthz").status;
        } catch (const std::runtime_error& e) {
            INFO("refused: " << e.what()); // the expected outcome: no TLS handshake, no answer
        }
        CHECK(status != 200);
        // confd goes on serving.
        CHECK(https_get(announced.http_url + "healthz", certificate.cert_file).status == 200);
    }
    check_stops_cleanly(confd);
}

TEST_CASE("with TLS gRPC health answers over SslCredentials and not in plaintext", "[tls]") {
    TestCertificate certificate;
    TempDir dir;
    ConfdProcess confd({"--config", write_config(dir, tls_json(certificate))});
    Announcement announced = require_announced(confd);
    CHECK_THAT(announced.grpc_address, StartsWith("127.0.0.1:"));
    CHECK_THAT(confd.stderr_text(),
               Contains("gRPC server listening on " + announced.grpc_address + " (TLS)"));
    {
        grpc::SslCredentialsOptions ssl;
        ssl.pem_root_certs = certificate.cert_pem();
        auto channel = grpc::CreateChannel(announced.grpc_address, grpc::SslCredentials(ssl));
        grpc::health::v1::HealthCheckResponse response;
        grpc::Status status = health_check(channel, response);
        INFO("gRPC status: " << status.error_code() << " " << status.error_message());
        REQUIRE(status.ok());
        CHECK(response.status() == grpc::health::v1::HealthCheckResponse::SERVING);
    }
    {
        auto channel =
            grpc::CreateChannel(announced.grpc_address, grpc::InsecureChannelCredentials());
        grpc::health::v1::HealthCheckResponse response;
        grpc::Status status = health_check(channel, response);
        INFO("gRPC status: " << status.error_code() << " " << status.error_message());
        CHECK(!status.ok());
    }
    {
        // A client that trusts another certificate refuses confd's.
        TestCertificate other;
        grpc::SslCredentialsOptions ssl;
        ssl.pem_root_certs = other.cert_pem();
        auto channel = grpc::CreateChannel(announced.grpc_address, grpc::SslCredentials(ssl));
        grpc::health::v1::HealthCheckResponse response;
        CHECK(!health_check(channel, response).ok());
    }
    check_stops_cleanly(confd);
}

TEST_CASE("without TLS both servers say plaintext", "[tls]") {
    ConfdProcess confd({"--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0", "--data-dir", "data"});
    Announcement announced = require_announced(confd);
    CHECK_THAT(announced.http_url, StartsWith("http://127.0.0.1:"));
    CHECK_THAT(confd.stderr_text(),
               Contains("gRPC server listening on " + announced.grpc_address + " (plaintext)"));
    check_stops_cleanly(confd);
}

TEST_CASE("half a TLS config exits 2 and names tls", "[tls][config]") {
    TestCertificate certificate;
    TempDir dir;
    SECTION("only cert_file") {
        std::string config =
            write_config(dir, R"({"cert_file": ")" + certificate.cert_file + R"("})");
        check_config_refused(run_confd({"--config", config}),
                             "tls: cert_file and key_file go together");
    }
    SECTION("only key_file") {
        std::string config =
            write_config(dir, R"({"key_file": ")" + certificate.key_file + R"("})");
        check_config_refused(run_confd({"--config", config}),
                             "tls: cert_file and key_file go together");
    }
    SECTION("a key file that does not exist") {
        std::string missing = (dir.path() / "missing.pem").string();
        std::string config = write_config(dir, R"({"cert_file": ")" + certificate.cert_file +
                                                   R"(", "key_file": ")" + missing + R"("})");
        check_config_refused(run_confd({"--config", config}),
                             "tls.key_file: cannot read \"" + missing + "\"");
    }
}

TEST_CASE("a certificate or key confd cannot use exits 1 naming the file", "[tls]") {
    // Both files are readable, so the config check passes; the servers refuse them. Whichever
    // server starts first reports it: HTTP with GLib's words, gRPC with its own check's.
    TestCertificate certificate;
    TempDir dir;
    auto check_refused = [&](const std::string& cert_file, const std::string& key_file,
                             const std::vector<std::string>& expected) {
        std::string config = write_config(dir, R"({"cert_file": ")" + cert_file +
                                                   R"(", "key_file": ")" + key_file + R"("})");
        ConfdRun run = run_confd({"--config", config});
        INFO("stderr: " << run.err);
        CHECK(run.exit_code == 1);
        for (const std::string& text : expected) {
            CHECK_THAT(run.err, Contains(text));
        }
        CHECK_THAT(run.out, !Contains("listening"));
    };
    SECTION("a certificate file that is not PEM") {
        std::string garbage = write_file(dir, "garbage.pem", "not a certificate\n");
        check_refused(garbage, certificate.key_file, {"\"" + garbage + "\"", "PEM", "certificate"});
    }
    SECTION("a key file that is not PEM") {
        std::string garbage = write_file(dir, "garbage.pem", "not a key\n");
        check_refused(certificate.cert_file, garbage,
                      {"\"" + garbage + "\"", "PEM", "private key"});
    }
    SECTION("the key of another certificate") {
        TestCertificate other;
        // GLib takes any pair; the gRPC server's check catches it.
        check_refused(certificate.cert_file, other.key_file,
                      {"tls.key_file \"" + other.key_file +
                       "\" is not the key of the certificate in tls.cert_file"});
    }
}

TEST_CASE("a non-loopback address needs TLS, operator keys and a join-token key", "[tls][config]") {
    // Refused by the config check, so nothing ever binds 0.0.0.0.
    SECTION("nothing configured: all three are named") {
        ConfdRun run = run_confd({"--http", "0.0.0.0:0", "--grpc", "127.0.0.1:0"});
        check_config_refused(run, "http.listen: refusing to listen on 0.0.0.0:0 without ");
        CHECK_THAT(run.err, Contains("tls (cert_file, key_file)"));
        CHECK_THAT(run.err, Contains("auth.operator_keys"));
        CHECK_THAT(run.err, Contains("auth.join_tokens.key_file"));
    }
    SECTION("with TLS: the missing authentication is named, TLS is not") {
        TestCertificate certificate;
        TempDir dir;
        std::string config = write_config(dir, tls_json(certificate));
        ConfdRun run = run_confd({"--config", config, "--grpc", "0.0.0.0:0"});
        check_config_refused(run, "grpc.listen: refusing to listen on 0.0.0.0:0 without ");
        CHECK_THAT(run.err, Contains("auth.operator_keys"));
        CHECK_THAT(run.err, Contains("auth.join_tokens.key_file"));
        CHECK_THAT(run.err, !Contains("without tls"));
    }
}
