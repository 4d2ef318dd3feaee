// CliOptions: confd's command line, parsed with GLib's GOptionContext.
#pragma once

#include "confd/v1/config.pb.h"

#include <conf/status.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace conf::daemon {

struct CliOptions {
    bool show_help = false;
    bool show_version = false;
    bool print_default_config = false;
    // --hash-key: hash the key on stdin for auth.operator_keys[].hash.
    bool hash_key = false;
    // --generate-key: a new operator key and its hash.
    bool generate_key = false;
    // --list-plugins: load the configured plugins, print them and every codec, and exit.
    bool list_plugins = false;
    std::optional<std::filesystem::path> config_file;
    // --http, --grpc, --data-dir and --profile as a partial Config, so they merge over the file
    // like any other layer (defaults < file < flags).
    ::confd::v1::Config overrides;
    // What --help prints.
    std::string help_text;
};

// Fails on unknown flags, missing flag values and stray arguments, with GLib's message
// ("Unknown option --foo"). Help is handled here rather than by GLib, which would exit().
Result<CliOptions> parse_cli(int argc, char** argv);

} // namespace conf::daemon
