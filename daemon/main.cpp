// confd: the libconf daemon. Reads its configuration (defaults < file < flags), refuses
// anything it cannot honour with exit code 2, then runs until SIGINT/SIGTERM.
#include "app/daemon.hpp"
#include "app/exit_code.hpp"
#include "app/logging.hpp"
#include "app/plugin_setup.hpp"
#include "auth/operator_keys.hpp"
#include "auth/primitives.hpp"
#include "cli/cli_options.hpp"
#include "config/config_loader.hpp"
#include "config/config_validator.hpp"
#include "config/default_config.hpp"
#include "core/g_unique.hpp"

#include <conf/version.hpp>

#include <fmt/format.h>
#include <gst/gst.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>

namespace {

using namespace conf::daemon;
using conf::PluginLoadReport;

// One "config error: ..." line per problem.
void print_config_errors(const conf::Status& status) {
    std::string_view rest = status.message();
    while (!rest.empty()) {
        auto end = rest.find('\n');
        fmt::print(stderr, "config error: {}\n", rest.substr(0, end));
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    }
}

// --hash-key: the key comes on stdin, not as an argument, so it stays out of `ps` and shell
// history.
int print_key_hash() {
    std::string line;
    std::getline(std::cin, line);
    std::string_view key = conf::daemon::trim_whitespace(line);
    if (key.empty()) {
        fmt::print(stderr, "confd: --hash-key reads the key from stdin, and got none "
                           "(for example: printf %s \"$KEY\" | confd --hash-key)\n");
        return kExitUsage;
    }
    fmt::print("{}\n", hash_key(key));
    return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
}

int print_new_key() {
    std::string key = generate_key();
    fmt::print("{}\n{}\n", key, hash_key(key));
    return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
}

int confd_main(int argc, char** argv) {
    auto cli = parse_cli(argc, argv);
    if (!cli.is_ok()) {
        fmt::print(stderr, "confd: {}\nRun 'confd --help' to see the options.\n",
                   cli.status().message());
        return kExitUsage;
    }
    if (cli->show_help) {
        fmt::print("{}", cli->help_text);
        return kExitOk;
    }
    if (cli->show_version) {
        fmt::print("confd {}\n", conf::version());
        return kExitOk;
    }
    if (cli->print_default_config) {
        std::string_view text = default_config_json();
        std::fwrite(text.data(), 1, text.size(), stdout);
        return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
    }
    if (cli->hash_key) {
        return print_key_hash();
    }
    if (cli->generate_key) {
        return print_new_key();
    }

    auto config = load_config(cli->config_file, cli->overrides);
    if (!config.is_ok()) {
        print_config_errors(config.status());
        return config.status().code() == conf::StatusCode::kInternal ? kExitFailure : kExitUsage;
    }
    auto settings = validate_config(*config);
    if (!settings.is_ok()) {
        print_config_errors(settings.status());
        return kExitUsage;
    }

    conf::GUnique<GError> error;
    if (!gst_init_check(nullptr, nullptr, error.out())) {
        fmt::print(stderr, "confd: GStreamer failed to initialise: {}\n",
                   error ? error->message : "unknown error");
        return kExitFailure;
    }
    setup_logging(settings->log_level);
    if (cli->list_plugins) {
        PluginLoadReport report = conf::load_plugins(plugin_directories(settings->plugins));
        fmt::print("{}", describe_plugins(report));
        return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
    }
    // Before the engine: every codec a room may offer is known when the first offer is made.
    load_configured_plugins(settings->plugins);
    // A client that hangs up must not kill the server with SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);

    Daemon daemon(std::move(settings).value());
    return daemon.run();
}

} // namespace

int main(int argc, char** argv) {
    try {
        return confd_main(argc, argv);
    } catch (const std::exception& e) {
        fmt::print(stderr, "confd: fatal: {}\n", e.what());
    } catch (...) {
        fmt::print(stderr, "confd: fatal: unknown exception\n");
    }
    return kExitFailure;
}
