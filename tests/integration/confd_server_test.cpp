// confd as a running server: started on 127.0.0.1 with port 0 for both servers, then checked
// with real clients (libsoup for HTTP, a gRPC channel with the standard health and reflection
// stubs) and stopped with signals, as an operator or orchestrator would.
#include "support/confd_process.hpp"
#include "support/http_client.hpp"
#include "support/json_object.hpp"
#include "support/temp_dir.hpp"

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"

#include <conf/version.hpp>

#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>

#include <csignal>
#include <fstream>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using conf::test::ConfdProcess;
using conf::test::http_request;
using conf::test::json_at;
using conf::test::TempDir;

namespace {

// confd on loopback, free ports, its data directory inside its own working directory.
std::vector<std::string> server_args(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--http",      "127.0.0.1:0", "--grpc",
                                     "127.0.0.1:0", "--data-dir",  "data"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

void require_listening(ConfdProcess& confd) {
    bool listening = confd.wait_listening();
    INFO("stdout: " << confd.stdout_text() << "\nstderr: " << confd.stderr_text());
    REQUIRE(listening);
}

void check_healthy(const ConfdProcess& confd) {
    auto response = http_request("GET", confd.http_url() + "healthz");
    INFO("body: " << response.body);
    CHECK(response.status == 200);
    CHECK(response.content_type == "application/json");
    auto body = conf::test::parse_json_object(response.body);
    CHECK(json_at(body, "status").string_value() == "ok");
    CHECK(json_at(body, "version").string_value() == CONF_VERSION_STRING);
}

void check_stops_cleanly(ConfdProcess& confd, int signum) {
    auto started = std::chrono::steady_clock::now();
    confd.send_signal(signum);
    auto exit_code = confd.wait_exit(5s);
    INFO("stderr: " << confd.stderr_text());
    REQUIRE(exit_code.has_value());
    CHECK(*exit_code == 0);
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    CHECK_THAT(confd.stderr_text(), Contains("confd stopped"));
}

} // namespace

TEST_CASE("confd announces its addresses, creates its data dir and answers /healthz", "[server]") {
    ConfdProcess confd(server_args());
    require_listening(confd);
    CHECK_THAT(confd.http_url(), Catch::Matchers::StartsWith("http://127.0.0.1:"));
    CHECK_THAT(confd.grpc_address(), Catch::Matchers::StartsWith("127.0.0.1:"));
    CHECK(confd.http_url() != "http://127.0.0.1:0/");
    CHECK(confd.grpc_address() != "127.0.0.1:0");
    // Exactly one line on stdout, for tools to parse.
    CHECK(confd.stdout_text() ==
          "confd listening on " + confd.http_url() + " (grpc " + confd.grpc_address() + ")\n");
    CHECK(std::filesystem::is_directory(confd.work_dir() / "data"));
    // Startup is logged on stderr at the default level.
    CHECK_THAT(confd.stderr_text(), Contains("starting"));

    check_healthy(confd);
    check_healthy(confd); // and again, on a fresh connection
    check_stops_cleanly(confd, SIGTERM);
}

TEST_CASE("unknown paths get 404 and wrong methods 405, as JSON", "[server]") {
    ConfdProcess confd(server_args());
    require_listening(confd);

    auto missing = http_request("GET", confd.http_url() + "nope");
    CHECK(missing.status == 404);
    CHECK(missing.content_type == "application/json");
    CHECK_THAT(json_at(conf::test::parse_json_object(missing.body), "error").string_value(),
               Contains("/nope"));

    auto wrong_method = http_request("POST", confd.http_url() + "healthz");
    CHECK(wrong_method.status == 405);
    CHECK(wrong_method.content_type == "application/json");
    CHECK_THAT(wrong_method.allow, Contains("GET"));
    CHECK(conf::test::parse_json_object(wrong_method.body).fields().contains("error"));

    // Prefixes of known paths are not routes.
    CHECK(http_request("GET", confd.http_url() + "healthz/extra").status == 404);
}

TEST_CASE("gRPC health reports SERVING and reflection lists the health service", "[server]") {
    ConfdProcess confd(server_args());
    require_listening(confd);
    {
        auto channel =
            grpc::CreateChannel(confd.grpc_address(), grpc::InsecureChannelCredentials());

        auto health = grpc::health::v1::Health::NewStub(channel);
        grpc::ClientContext health_context;
        health_context.set_deadline(std::chrono::system_clock::now() + 5s);
        grpc::health::v1::HealthCheckRequest check; // "" = the server as a whole
        grpc::health::v1::HealthCheckResponse health_response;
        grpc::Status status = health->Check(&health_context, check, &health_response);
        INFO("gRPC status: " << status.error_message());
        REQUIRE(status.ok());
        CHECK(health_response.status() == grpc::health::v1::HealthCheckResponse::SERVING);

        // What `grpcurl -plaintext HOST:PORT list` asks.
        using namespace grpc::reflection::v1alpha;
        auto reflection = ServerReflection::NewStub(channel);
        grpc::ClientContext reflection_context;
        reflection_context.set_deadline(std::chrono::system_clock::now() + 5s);
        auto stream = reflection->ServerReflectionInfo(&reflection_context);
        ServerReflectionRequest list;
        list.set_list_services("");
        REQUIRE(stream->Write(list));
        REQUIRE(stream->WritesDone());
        ServerReflectionResponse listed;
        REQUIRE(stream->Read(&listed));
        std::vector<std::string> services;
        for (const auto& service : listed.list_services_response().service()) {
            services.push_back(service.name());
        }
        CHECK_THAT(services, Catch::Matchers::VectorContains(std::string("grpc.health.v1.Health")));
        CHECK(stream->Finish().ok());
    }
    // The client is gone (its channel closed), as after a grpcurl call. A client that keeps
    // an idle connection open delays a graceful stop by up to half of shutdown_timeout_ms:
    // gRPC waits for it to go away after GOAWAY.
    check_stops_cleanly(confd, SIGTERM);
}

TEST_CASE("SIGINT stops confd with exit code 0 and closes its ports", "[server]") {
    ConfdProcess confd(server_args());
    require_listening(confd);
    check_healthy(confd);
    std::string url = confd.http_url();
    check_stops_cleanly(confd, SIGINT);
    CHECK_THROWS(http_request("GET", url + "healthz"));
}

TEST_CASE("the printed default config is accepted back via --config", "[server][config]") {
    TempDir dir;
    auto printed = conf::test::run_confd({"--print-default-config"});
    REQUIRE(printed.exit_code == 0);
    auto file = (dir.path() / "confd.json").string();
    std::ofstream(file) << printed.out;

    // The defaults' fixed ports could be taken on a test machine; flags override them.
    ConfdProcess confd(server_args({"--config", file}));
    require_listening(confd);
    check_healthy(confd);
    check_stops_cleanly(confd, SIGTERM);
}

TEST_CASE("a protobuf text format config file is read, relative data_dir included",
          "[server][config]") {
    TempDir dir;
    auto file = (dir.path() / "confd.textproto").string();
    std::ofstream(file) << "# confd configuration\n"
                           "http { listen: \"127.0.0.1:0\" }\n"
                           "grpc { listen: \"127.0.0.1:0\" }\n"
                           "data_dir: \"state/confd\"\n"
                           "log { level: \"warning\" }\n";
    ConfdProcess confd({"--config", file});
    require_listening(confd);
    CHECK(std::filesystem::is_directory(confd.work_dir() / "state" / "confd"));
    check_healthy(confd);
    // log.level warning: the INFO startup lines are gone.
    CHECK_THAT(confd.stderr_text(), !Contains("starting"));
    confd.send_signal(SIGTERM);
    CHECK(confd.wait_exit(5s) == 0);
}

TEST_CASE("a port already in use makes confd exit 1 with the address", "[server]") {
    ConfdProcess first(server_args());
    require_listening(first);
    std::string taken = first.http_url().substr(std::string("http://").size());
    taken.pop_back(); // the trailing '/'

    ConfdProcess second({"--http", taken, "--grpc", "127.0.0.1:0", "--data-dir", "data"});
    auto exit_code = second.wait_exit(10s);
    INFO("stderr: " << second.stderr_text());
    CHECK(exit_code == 1);
    CHECK_THAT(second.stderr_text(), Contains("cannot listen for HTTP on " + taken));
    check_healthy(first); // the first one is unaffected
}
