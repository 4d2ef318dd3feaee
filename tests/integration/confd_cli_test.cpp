// confd's command line and configuration checks, driven from outside: every case runs the
// real binary and looks only at what a user sees (exit code, stdout, stderr).
#include "support/confd_process.hpp"
#include "support/json_object.hpp"
#include "support/temp_dir.hpp"

#include <conf/version.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

using Catch::Matchers::Contains;
using conf::test::ConfdRun;
using conf::test::json_at;
using conf::test::run_confd;
using conf::test::TempDir;

namespace {

std::string write_file(const TempDir& dir, const std::string& name, const std::string& text) {
    std::filesystem::path path = dir.path() / name;
    std::ofstream(path) << text;
    return path.string();
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// A run refused for its configuration: exit code 2, a message, nothing started.
void check_config_refused(const ConfdRun& run, const std::string& expected) {
    INFO("stderr: " << run.err);
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Contains("config error: "));
    CHECK_THAT(run.err, Contains(expected));
    CHECK_THAT(run.out, !Contains("listening"));
    // A clean message, not a crash report.
    CHECK_THAT(run.err, !Contains("terminate called"));
}

// Loopback, any port, for whichever server `args` does not configure itself, so a
// refusal can only come from what a test case adds, and a confd that wrongly starts never
// takes a fixed port.
std::vector<std::string> with_loopback(std::vector<std::string> args,
                                       const std::string& file_text = "") {
    auto configures = [&](const std::string& server) {
        return file_text.find("\"" + server + "\"") != std::string::npos ||
               std::find(args.begin(), args.end(), "--" + server) != args.end();
    };
    for (std::string server : {"http", "grpc"}) {
        if (!configures(server)) {
            args.insert(args.end(), {"--" + server, "127.0.0.1:0"});
        }
    }
    return args;
}

} // namespace

TEST_CASE("confd --help lists the options and exits 0", "[cli]") {
    ConfdRun run = run_confd({"--help"});
    CHECK(run.exit_code == 0);
    for (const char* option : {"--config", "--http", "--grpc", "--data-dir",
                               "--print-default-config", "--version", "--help"}) {
        CHECK_THAT(run.out, Contains(option));
    }
    CHECK(run.err.empty());
}

TEST_CASE("confd --version prints the libconf version and exits 0", "[cli]") {
    ConfdRun run = run_confd({"--version"});
    CHECK(run.exit_code == 0);
    CHECK(run.out == std::string("confd ") + CONF_VERSION_STRING + "\n");
}

TEST_CASE("confd --print-default-config prints default_config.json, valid JSON", "[cli]") {
    ConfdRun run = run_confd({"--print-default-config"});
    REQUIRE(run.exit_code == 0);
    CHECK(run.out == read_file(CONFD_DEFAULT_CONFIG_JSON));

    auto config = conf::test::parse_json_object(run.out);
    CHECK(json_at(json_at(config, "http").struct_value(), "listen").string_value() ==
          "127.0.0.1:8080");
    CHECK(json_at(json_at(config, "grpc").struct_value(), "listen").string_value() ==
          "127.0.0.1:50051");
    CHECK(json_at(config, "data_dir").string_value() == "./var");
    CHECK(json_at(json_at(config, "log").struct_value(), "level").string_value() == "info");
    CHECK(json_at(json_at(config, "media").struct_value(), "pipeline_stop_timeout_ms")
              .number_value() == 5000);
    CHECK(json_at(config, "shutdown_timeout_ms").number_value() > 0);
}

TEST_CASE("an unknown flag or a stray argument exits 2", "[cli]") {
    ConfdRun run = run_confd({"--no-such-flag"});
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Contains("--no-such-flag"));
    CHECK_THAT(run.err, Contains("--help"));

    run = run_confd({"serve"});
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Contains("serve"));

    run = run_confd({"--http"});
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Contains("--http"));
}

TEST_CASE("unknown config keys exit 2 and name the key", "[config]") {
    TempDir dir;
    SECTION("top level, JSON") {
        auto file = write_file(dir, "c.json", R"({"htpp": {"listen": "127.0.0.1:0"}})");
        check_config_refused(run_confd(with_loopback({"--config", file})),
                             file + ": unknown key \"htpp\" (did you mean \"http\"?)");
    }
    SECTION("nested, JSON") {
        auto file = write_file(dir, "c.json", R"({"http": {"lisen": "127.0.0.1:0"}})");
        check_config_refused(run_confd(with_loopback({"--config", file})),
                             file + ": unknown key \"http.lisen\"");
    }
    SECTION("nested, protobuf text format") {
        auto file = write_file(dir, "c.textproto", "media {\n  pipeline_stop_timeout: 5\n}\n");
        check_config_refused(run_confd(with_loopback({"--config", file})),
                             file + ":2:24: unknown key \"media.pipeline_stop_timeout\"");
    }
}

TEST_CASE("bad config values exit 2 and name the key", "[config]") {
    TempDir dir;
    struct Case {
        std::string file_text; // empty: no config file
        std::vector<std::string> flags;
        std::string expected;
    };
    std::vector<Case> cases = {
        {"", {"--http", "127.0.0.1:abc"}, "http.listen: \"127.0.0.1:abc\" is not HOST:PORT"},
        {"", {"--http", "abc"}, "http.listen: \"abc\" is not HOST:PORT"},
        {"",
         {"--grpc", "127.0.0.1:70000"},
         "grpc.listen: \"127.0.0.1:70000\": port 70000 is out of range 0-65535"},
        {R"({"http": {"listen": "127.0.0.1:abc"}})",
         {},
         "http.listen: \"127.0.0.1:abc\" is not HOST:PORT"},
        {R"({"http": {"listen": 8080}})", {}, "http.listen: expected a string, got 8080"},
        {R"({"data_dir": ""})", {}, "data_dir: must not be empty"},
        {"", {"--data-dir", ""}, "data_dir: must not be empty"},
        {R"({"log": {"level": "loud"}})",
         {},
         "log.level: \"loud\" is not one of error, warning, info, debug"},
        {R"({"media": {"pipeline_stop_timeout_ms": 0}})",
         {},
         "media.pipeline_stop_timeout_ms: 0 is out of range"},
        {R"({"media": {"pipeline_stop_timeout_ms": -5}})",
         {},
         "media.pipeline_stop_timeout_ms: expected a whole number"},
        {R"({"shutdown_timeout_ms": "soon"})", {}, "shutdown_timeout_ms: expected a whole number"},
        {"", {"--profile", "archive"}, "profile: \"archive\" is not one of default, recorder"},
        {R"({"webrtc": {"ice_addresses": ["not-an-ip"]}})",
         {},
         "webrtc.ice_addresses[0]: \"not-an-ip\" is not an IP address"},
        {R"({"webrtc": {"stun_server": "stun.example.org"}})",
         {},
         "webrtc.stun_server: \"stun.example.org\" must look like stun://HOST:PORT"},
        {R"({"webrtc": {"silence_timeout_ms": 10}})",
         {},
         "webrtc.silence_timeout_ms: 10 is outside 3000-300000"},
        {R"({"recording": {"rooms": ["../x"]}})",
         {},
         "recording.rooms[0]: \"../x\" is not a valid room name"},
        {R"({"recording": {"container": "avi"}})",
         {},
         "recording.container: \"avi\" is not one of matroska, mp4"},
        {R"({"limits": {"max_sessions": 0}})", {}, "limits.max_sessions: must be at least 1"},
    };
    for (const Case& c : cases) {
        std::vector<std::string> args = c.flags;
        if (!c.file_text.empty()) {
            args.insert(args.end(), {"--config", write_file(dir, "c.json", c.file_text)});
        }
        INFO("config: " << c.file_text);
        INFO("flags: " << std::accumulate(
                 c.flags.begin(), c.flags.end(), std::string(),
                 [](std::string all, const std::string& flag) { return all + " " + flag; }));
        check_config_refused(run_confd(with_loopback(args, c.file_text)), c.expected);
    }
}

TEST_CASE("several config problems are all reported", "[config]") {
    TempDir dir;
    auto file = write_file(dir, "c.json", R"({"log": {"level": "loud"}, "data_dir": ""})");
    ConfdRun run = run_confd(with_loopback({"--config", file}));
    check_config_refused(run, "data_dir:");
    CHECK_THAT(run.err, Contains("config error: log.level:"));
}

TEST_CASE("a broken or unreadable config file exits 2", "[config]") {
    TempDir dir;
    SECTION("JSON syntax") {
        auto file = write_file(dir, "c.json", R"({"http": {"listen": "127.0.0.1:0"},)");
        check_config_refused(run_confd(with_loopback({"--config", file})), file + ": invalid JSON");
    }
    SECTION("missing file") {
        auto file = (dir.path() / "missing.json").string();
        check_config_refused(run_confd(with_loopback({"--config", file})),
                             "cannot read " + file + ": No such file or directory");
    }
    SECTION("unknown format") {
        auto file = write_file(dir, "c.yaml", "http:\n  listen: 127.0.0.1:0\n");
        check_config_refused(run_confd(with_loopback({"--config", file})),
                             file + ": unknown config format \".yaml\"");
    }
}

TEST_CASE("non-loopback addresses are refused without TLS and authentication", "[config]") {
    // tls_test.cpp checks which of TLS, operator keys and the join-token key are named.
    SECTION("http") {
        ConfdRun run = run_confd({"--http", "0.0.0.0:8080", "--grpc", "127.0.0.1:0"});
        check_config_refused(run, "http.listen: refusing to listen on 0.0.0.0:8080 without tls");
        CHECK_THAT(run.err, Contains("auth.operator_keys"));
    }
    SECTION("grpc") {
        ConfdRun run = run_confd({"--http", "127.0.0.1:0", "--grpc", "[::]:50051"});
        check_config_refused(run, "grpc.listen: refusing to listen on [::]:50051 without tls");
        CHECK_THAT(run.err, Contains("auth.operator_keys"));
    }
}

TEST_CASE("a data directory that cannot be created exits 1 with the reason", "[runtime]") {
    TempDir dir;
    auto blocker = write_file(dir, "not-a-dir", "x");
    ConfdRun run = run_confd(with_loopback({"--data-dir", blocker + "/data"}));
    INFO("stderr: " << run.err);
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.err, Contains("cannot create data directory \"" + blocker + "/data\""));
    CHECK_THAT(run.out, !Contains("listening"));
}

TEST_CASE("confd --list-plugins shows the built plugins, their codecs and encoders", "[cli]") {
    ConfdRun run = run_confd({"--list-plugins"});
    INFO("stdout: " << run.out << "\nstderr: " << run.err);
    CHECK(run.exit_code == 0);
    CHECK_THAT(run.out, Contains("av1 ") && Contains("conf-av1.so"));
    CHECK_THAT(run.out, Contains("transcode ") && Contains("conf-transcode.so"));
    // AV1 from the plugin, next to the built-ins; hardware encoders listed, not available here.
    CHECK_THAT(run.out, Contains("confrtpav1depay av1parse confrtpav1pay") &&
                            Contains("plugin av1") && Contains("VP8 ") && Contains("built in"));
    CHECK_THAT(run.out, Contains("vah264enc") && Contains("not available") && Contains("x264enc"));
}

TEST_CASE("bad plugins are refused with their reason and confd starts without them", "[cli]") {
    TempDir dir;
    std::string config =
        write_file(dir, "plugins.json",
                   std::string(R"({"plugins": {"directories": [")") + CONF_TEST_PLUGIN_DIR +
                       R"("]}, "data_dir": ")" + (dir.path() / "var").string() + R"("})");
    ConfdRun listed = run_confd({"--config", config, "--list-plugins"});
    INFO("stdout: " << listed.out);
    CHECK(listed.exit_code == 0);
    CHECK_THAT(listed.out, Contains("conftest 1.2.3"));
    CHECK_THAT(listed.out, Contains("conf-test-wrong_abi.so: plugin ABI major version 2"));
    CHECK_THAT(listed.out, Contains("conf-test-init_fails.so: plugin 'initfails' init failed"));
    CHECK_THAT(listed.out, Contains("conf-test-no_entry.so: does not export"));

    conf::test::ConfdProcess confd(with_loopback({"--config", config}));
    REQUIRE(confd.wait_listening());
    CHECK_THAT(confd.stderr_text(), Contains("conf-test-duplicate_codec.so refused: ") &&
                                        Contains("codec VP8 is already registered"));
    CHECK_THAT(confd.stderr_text(), Contains("plugin conftest 1.2.3 loaded"));
    confd.send_signal(SIGTERM);
    CHECK(confd.wait_exit(std::chrono::seconds(10)) == 0);
}
