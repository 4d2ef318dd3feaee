#include "cli/cli_options.hpp"

#include "core/g_unique.hpp"

#include <fmt/format.h>
#include <glib.h>

#include <memory>

namespace conf::daemon {

namespace {

constexpr const char* kSummary =
    "confd serves libconf's conferencing media engine over HTTP and gRPC.";
constexpr const char* kDescription =
    "Configuration: built-in defaults < --config FILE < flags; see docs/configuration.md.\n"
    "Logging: confd's log lines go to stderr (log.level); GST_DEBUG overrides it.\n"
    "Exit codes: 0 stopped cleanly, 1 runtime failure, 2 configuration or usage error.";

using OptionContext = std::unique_ptr<GOptionContext, decltype(&g_option_context_free)>;

} // namespace

Result<CliOptions> parse_cli(int argc, char** argv) {
    gboolean help = FALSE;
    gboolean version = FALSE;
    gboolean print_default_config = FALSE;
    gboolean hash_key = FALSE;
    gboolean generate_key = FALSE;
    gboolean list_plugins = FALSE;
    GUnique<gchar> config_file;
    GUnique<gchar> http;
    GUnique<gchar> grpc;
    GUnique<gchar> data_dir;
    GUnique<gchar> profile;
    // GOption writes through these pointers; the GUnique handles own what it allocates.
    gchar** config_out = config_file.out();
    gchar** http_out = http.out();
    gchar** grpc_out = grpc.out();
    gchar** data_dir_out = data_dir.out();
    gchar** profile_out = profile.out();
    const GOptionEntry entries[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, config_out,
         "Read the configuration from FILE (.json, .textproto or .pbtxt)", "FILE"},
        {"http", 0, 0, G_OPTION_ARG_STRING, http_out,
         "Serve HTTP on HOST:PORT, port 0 = any free port (overrides http.listen)", "HOST:PORT"},
        {"grpc", 0, 0, G_OPTION_ARG_STRING, grpc_out,
         "Serve gRPC on HOST:PORT, port 0 = any free port (overrides grpc.listen)", "HOST:PORT"},
        {"data-dir", 0, 0, G_OPTION_ARG_FILENAME, data_dir_out,
         "Keep confd's files in DIR (overrides data_dir)", "DIR"},
        {"profile", 0, 0, G_OPTION_ARG_STRING, profile_out,
         "\"recorder\" records every WHIP publish; \"default\" only recording.rooms "
         "(overrides profile)",
         "NAME"},
        {"print-default-config", 0, 0, G_OPTION_ARG_NONE, &print_default_config,
         "Print the built-in default configuration (JSON) and exit", nullptr},
        {"hash-key", 0, 0, G_OPTION_ARG_NONE, &hash_key,
         "Read an operator key from stdin (first line), print its hash for "
         "auth.operator_keys[].hash and exit",
         nullptr},
        {"generate-key", 0, 0, G_OPTION_ARG_NONE, &generate_key,
         "Print a new random operator key (line 1) and its hash (line 2) and exit", nullptr},
        {"list-plugins", 0, 0, G_OPTION_ARG_NONE, &list_plugins,
         "Load the configured plugins, print what loaded or was refused and every codec and "
         "encoder, and exit",
         nullptr},
        {"version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", nullptr},
        {"help", 'h', 0, G_OPTION_ARG_NONE, &help, "Show this help and exit", nullptr},
        {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}, // G_OPTION_ENTRY_NULL
    };

    OptionContext context(g_option_context_new(nullptr), &g_option_context_free);
    g_option_context_set_summary(context.get(), kSummary);
    g_option_context_set_description(context.get(), kDescription);
    g_option_context_set_help_enabled(context.get(), FALSE);
    g_option_context_add_main_entries(context.get(), entries, nullptr);

    GUnique<GError> error;
    if (!g_option_context_parse(context.get(), &argc, &argv, error.out())) {
        return invalid_argument(error->message);
    }
    // GOption leaves argv[0] and anything it did not consume.
    if (argc > 1) {
        return invalid_argument(fmt::format("unexpected argument \"{}\"", argv[1]));
    }

    CliOptions options;
    options.show_help = help;
    options.show_version = version;
    options.print_default_config = print_default_config;
    options.hash_key = hash_key;
    options.generate_key = generate_key;
    options.list_plugins = list_plugins;
    if (config_file) {
        options.config_file = std::filesystem::path(config_file.get());
    }
    if (http) {
        options.overrides.mutable_http()->set_listen(http.get());
    }
    if (grpc) {
        options.overrides.mutable_grpc()->set_listen(grpc.get());
    }
    if (data_dir) {
        options.overrides.set_data_dir(data_dir.get());
    }
    if (profile) {
        options.overrides.set_profile(profile.get());
    }
    if (help) {
        GUnique<gchar> text(g_option_context_get_help(context.get(), TRUE, nullptr));
        options.help_text = text.get();
    }
    return options;
}

} // namespace conf::daemon
