#include "config/config_validator.hpp"

#include "auth/join_token.hpp"
#include "auth/operator_keys.hpp"
#include "core/g_ref.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gio/gio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace conf::daemon {

namespace {

constexpr std::uint32_t kMaxTimeoutMs = 600000;

constexpr std::array<std::pair<std::string_view, LogLevel>, 4> kLogLevels{{
    {"error", LogLevel::kError},
    {"warning", LogLevel::kWarning},
    {"info", LogLevel::kInfo},
    {"debug", LogLevel::kDebug},
}};

class Problems {
  public:
    void add(std::string_view key, std::string_view problem) {
        text_ += fmt::format("{}{}: {}", text_.empty() ? "" : "\n", key, problem);
    }
    bool empty() const { return text_.empty(); }
    Status status() const { return invalid_argument(text_); }

  private:
    std::string text_; // one line per problem
};

std::optional<ListenAddress> check_listen(std::string_view key, const std::string& text,
                                          Problems& problems) {
    auto address = ListenAddress::parse(text);
    if (!address.is_ok()) {
        problems.add(key, address.status().message());
        return std::nullopt;
    }
    return std::move(address).value();
}

std::optional<std::chrono::milliseconds> check_timeout(std::string_view key, std::uint32_t ms,
                                                       Problems& problems) {
    if (ms < 1 || ms > kMaxTimeoutMs) {
        problems.add(key, fmt::format("{} is out of range 1-{} (milliseconds)", ms, kMaxTimeoutMs));
        return std::nullopt;
    }
    return std::chrono::milliseconds(ms);
}

void check_tls(const ::confd::v1::TlsConfig& config, TlsSettings& tls, Problems& problems) {
    if (config.cert_file().empty() != config.key_file().empty()) {
        problems.add("tls", "cert_file and key_file go together: set both or neither");
        return;
    }
    for (const auto& [key, path] :
         {std::pair{"tls.cert_file", &config.cert_file()}, {"tls.key_file", &config.key_file()}}) {
        if (!path->empty() && ::access(path->c_str(), R_OK) != 0) {
            problems.add(key, fmt::format("cannot read \"{}\": {}", *path, std::strerror(errno)));
        }
    }
    tls.cert_file = config.cert_file();
    tls.key_file = config.key_file();
}

void check_mixing(const ::confd::v1::MixingConfig& config, RoomMixOptions& mix,
                  Problems& problems) {
    Canvas canvas{static_cast<int>(config.width()), static_cast<int>(config.height()),
                  static_cast<int>(config.frame_rate()), 1};
    if (canvas.width < 16 || canvas.width > 3840 || canvas.width % 2 != 0) {
        problems.add("mixing.width", fmt::format("{} is not an even number 16-3840", canvas.width));
    }
    if (canvas.height < 16 || canvas.height > 2160 || canvas.height % 2 != 0) {
        problems.add("mixing.height",
                     fmt::format("{} is not an even number 16-2160", canvas.height));
    }
    if (canvas.fps_num < 1 || canvas.fps_num > 60) {
        problems.add("mixing.frame_rate", fmt::format("{} is out of range 1-60", canvas.fps_num));
    }
    if (auto layout = builtin_layout(config.layout(), canvas)) {
        mix.layout = std::move(*layout);
    } else {
        problems.add("mixing.layout",
                     fmt::format("'{}' is not grid, speaker or presentation", config.layout()));
    }
    mix.video_bitrate_kbps = static_cast<int>(config.video_bitrate_kbps());
    if (mix.video_bitrate_kbps < 100 || mix.video_bitrate_kbps > 20000) {
        problems.add("mixing.video_bitrate_kbps",
                     fmt::format("{} is out of range 100-20000", mix.video_bitrate_kbps));
    }
    mix.audio_bitrate = static_cast<int>(config.audio_bitrate());
    if (mix.audio_bitrate < 8000 || mix.audio_bitrate > 256000) {
        problems.add("mixing.audio_bitrate",
                     fmt::format("{} is out of range 8000-256000", mix.audio_bitrate));
    }
    mix.show_names = config.show_names();
}

void check_streams(const ::confd::v1::StreamsConfig& config, StreamsSettings& streams,
                   Problems& problems) {
    streams.max_streams = config.max_streams();
    if (streams.max_streams > 1000) {
        problems.add("streams.max_streams",
                     fmt::format("{} is out of range 0-1000", streams.max_streams));
    }
    streams.max_per_room = config.max_per_room();
    if (streams.max_per_room < 1 || streams.max_per_room > 100) {
        problems.add("streams.max_per_room",
                     fmt::format("{} is out of range 1-100", streams.max_per_room));
    }
    streams.video_bitrate_kbps = config.video_bitrate_kbps();
    if (streams.video_bitrate_kbps < 300 || streams.video_bitrate_kbps > 20000) {
        problems.add("streams.video_bitrate_kbps",
                     fmt::format("{} is out of range 300-20000", streams.video_bitrate_kbps));
    }
}

void check_auth(const ::confd::v1::AuthConfig& config, AuthSettings& auth, Problems& problems) {
    std::set<std::string> hashes;
    std::set<std::string> names;
    for (int i = 0; i < config.operator_keys_size(); ++i) {
        const auto& key = config.operator_keys(i);
        const std::string at = fmt::format("auth.operator_keys[{}]", i);
        if (!is_valid_name(key.name())) {
            problems.add(
                at + ".name",
                fmt::format("\"{}\" is not a name (1-64 of A-Z a-z 0-9 _ - .)", key.name()));
        }
        if (auto hash = parse_key_hash(key.hash()); !hash) {
            problems.add(at + ".hash", hash.status().message());
        } else if (!hashes.insert(key.hash()).second) {
            problems.add(at + ".hash", "the same key is listed twice; give each key its own entry");
        }
        if (!names.insert(key.name()).second) {
            problems.add(at + ".name", fmt::format("\"{}\" names two keys", key.name()));
        }
        if (key.scopes_size() == 0) {
            problems.add(at + ".scopes",
                         "must list at least one of rooms, recordings, tokens, events");
        }
        OperatorKeySettings setting{key.name(), key.hash(), {}};
        for (int j = 0; j < key.scopes_size(); ++j) {
            if (!parse_scope(key.scopes(j))) {
                problems.add(fmt::format("{}.scopes[{}]", at, j),
                             fmt::format("\"{}\" is not one of rooms, recordings, tokens, events",
                                         key.scopes(j)));
            }
            setting.scopes.push_back(key.scopes(j));
        }
        auth.operator_keys.push_back(std::move(setting));
    }
    const auto& tokens = config.join_tokens();
    auto algorithm = parse_token_algorithm(tokens.algorithm());
    if (!algorithm) {
        problems.add("auth.join_tokens.algorithm",
                     fmt::format("\"{}\" is not one of HS256, EdDSA", tokens.algorithm()));
    } else if (!tokens.key_file().empty()) {
        // Loaded here, so a bad key is a configuration error (exit 2) like any other.
        if (auto signer = JoinTokenSigner::from_file(*algorithm, tokens.key_file()); !signer) {
            problems.add("auth.join_tokens.key_file", signer.status().message());
        } else {
            auth.token_signer = std::move(signer).value();
        }
    }
    auth.token_key_file = tokens.key_file();
    auth.tokens_required = !tokens.key_file().empty() && tokens.required();
    if (tokens.max_ttl_s() < 60 || tokens.max_ttl_s() > 2592000) {
        problems.add("auth.join_tokens.max_ttl_s",
                     fmt::format("{} is out of range 60-2592000", tokens.max_ttl_s()));
    }
    auth.max_token_ttl = std::chrono::seconds(tokens.max_ttl_s());
    const std::string& url = tokens.public_url();
    if (!url.empty() && url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
        problems.add("auth.join_tokens.public_url",
                     fmt::format("\"{}\" must start with https:// or http://", url));
    }
    auth.public_url = url.empty() || url.back() != '/' ? url : url.substr(0, url.size() - 1);
}

} // namespace

Result<Settings> validate_config(const ::confd::v1::Config& config) {
    Problems problems;
    Settings settings;

    auto http = check_listen("http.listen", config.http().listen(), problems);
    auto grpc = check_listen("grpc.listen", config.grpc().listen(), problems);
    if (http && grpc && http->port != 0 && http->to_string() == grpc->to_string()) {
        problems.add("grpc.listen", fmt::format("{} is also http.listen; give each server its "
                                                "own port",
                                                grpc->to_string()));
    }

    if (config.data_dir().empty()) {
        problems.add("data_dir", "must not be empty (for example \"./var\")");
    }

    std::optional<LogLevel> level;
    for (const auto& [name, value] : kLogLevels) {
        if (config.log().level() == name) {
            level = value;
        }
    }
    if (!level) {
        problems.add("log.level", fmt::format("\"{}\" is not one of error, warning, info, debug",
                                              config.log().level()));
    }

    auto pipeline_stop = check_timeout("media.pipeline_stop_timeout_ms",
                                       config.media().pipeline_stop_timeout_ms(), problems);
    auto shutdown = check_timeout("shutdown_timeout_ms", config.shutdown_timeout_ms(), problems);

    RoomRegistryOptions rooms;
    if (config.profile() == "recorder") {
        rooms.record_every_room = true;
    } else if (config.profile() != "default") {
        problems.add("profile",
                     fmt::format("\"{}\" is not one of default, recorder", config.profile()));
    }
    if (config.webrtc().ice_addresses_size() == 0) {
        problems.add("webrtc.ice_addresses", "must name at least one address (\"127.0.0.1\")");
    }
    for (int i = 0; i < config.webrtc().ice_addresses_size(); ++i) {
        const std::string& address = config.webrtc().ice_addresses(i);
        auto parsed = GRef<GInetAddress>::adopt(g_inet_address_new_from_string(address.c_str()));
        if (!parsed) {
            problems.add(fmt::format("webrtc.ice_addresses[{}]", i),
                         fmt::format("\"{}\" is not an IP address", address));
        } else {
            rooms.ice_addresses.push_back(address);
        }
    }
    const std::string& stun = config.webrtc().stun_server();
    if (!stun.empty() && stun.rfind("stun://", 0) != 0) {
        problems.add("webrtc.stun_server",
                     fmt::format("\"{}\" must look like stun://HOST:PORT (or be empty)", stun));
    }
    rooms.stun_server = stun;
    const std::uint32_t silence = config.webrtc().silence_timeout_ms();
    if (silence < 3000 || silence > 300000) {
        problems.add("webrtc.silence_timeout_ms",
                     fmt::format("{} is outside 3000-300000", silence));
    }
    rooms.peer_silence_timeout = std::chrono::milliseconds(silence);
    for (int i = 0; i < config.recording().rooms_size(); ++i) {
        const std::string& room = config.recording().rooms(i);
        if (!is_valid_name(room)) {
            problems.add(
                fmt::format("recording.rooms[{}]", i),
                fmt::format("\"{}\" is not a valid room name (1-64 of A-Z a-z 0-9 _ - .)", room));
        }
        rooms.recorded_rooms.insert(room);
    }
    if (config.recording().container() == "matroska") {
        rooms.container = RecordingContainer::kMatroska;
    } else if (config.recording().container() == "mp4") {
        rooms.container = RecordingContainer::kMp4Fragmented;
    } else {
        problems.add("recording.container", fmt::format("\"{}\" is not one of matroska, mp4",
                                                        config.recording().container()));
    }
    rooms.min_free_bytes = config.recording().min_free_mb() << 20;
    rooms.limits.max_recording_duration = std::chrono::seconds(config.recording().max_duration_s());
    if (config.limits().max_sessions() == 0) {
        problems.add("limits.max_sessions", "must be at least 1");
    }
    if (config.limits().max_sessions_per_room() == 0) {
        problems.add("limits.max_sessions_per_room", "must be at least 1");
    }
    if (config.limits().max_publisher_video_kbps() < 100 ||
        config.limits().max_publisher_video_kbps() > 100000) {
        problems.add("limits.max_publisher_video_kbps",
                     fmt::format("{} is out of range 100-100000",
                                 config.limits().max_publisher_video_kbps()));
    }
    rooms.limits.max_sessions = config.limits().max_sessions();
    rooms.limits.max_sessions_per_room = config.limits().max_sessions_per_room();
    rooms.limits.max_publisher_video_kbps = config.limits().max_publisher_video_kbps();

    rooms.max_rooms = config.rooms().max_rooms();
    if (rooms.max_rooms < 1 || rooms.max_rooms > 10000) {
        problems.add("rooms.max_rooms", fmt::format("{} is out of range 1-10000", rooms.max_rooms));
    }
    rooms.auto_create = config.rooms().auto_create();
    if (auto mode = parse_room_mode(config.rooms().default_mode())) {
        rooms.default_mode = *mode;
    } else {
        problems.add("rooms.default_mode", fmt::format("'{}' is not sfu, hybrid or mixed",
                                                       config.rooms().default_mode()));
    }
    check_mixing(config.mixing(), rooms.mix, problems);
    check_streams(config.streams(), settings.streams, problems);
    rooms.transcoding.enabled = config.transcoding().enabled();
    rooms.transcoding.max_transcoders = config.transcoding().max_per_room();
    if (rooms.transcoding.max_transcoders > 64) {
        problems.add("transcoding.max_per_room",
                     fmt::format("{} is out of range 0-64", rooms.transcoding.max_transcoders));
    }
    rooms.transcoding.bitrate_kbps = static_cast<int>(config.transcoding().bitrate_kbps());
    if (rooms.transcoding.bitrate_kbps < 100 || rooms.transcoding.bitrate_kbps > 20000) {
        problems.add("transcoding.bitrate_kbps",
                     fmt::format("{} is out of range 100-20000", rooms.transcoding.bitrate_kbps));
    }
    settings.plugins.load_installed = config.plugins().load_installed();
    for (const std::string& directory : config.plugins().directories()) {
        if (directory.empty()) {
            problems.add("plugins.directories", "an entry is empty");
        }
        settings.plugins.directories.emplace_back(directory);
    }
    settings.event_replay_buffer = config.events().replay_buffer();
    if (settings.event_replay_buffer < 100 || settings.event_replay_buffer > 1000000) {
        problems.add("events.replay_buffer",
                     fmt::format("{} is out of range 100-1000000", settings.event_replay_buffer));
    }
    check_tls(config.tls(), settings.tls, problems);
    check_auth(config.auth(), settings.auth, problems);
    // Off loopback, everyone on the network can reach confd: it must know who they are, and
    // nobody on the path may read keys and tokens.
    for (const auto& [key, address] : {std::pair{"http.listen", &http}, {"grpc.listen", &grpc}}) {
        if (!*address || (*address)->is_loopback()) {
            continue;
        }
        std::vector<std::string> missing;
        if (!settings.tls.enabled()) {
            missing.emplace_back("tls (cert_file, key_file)");
        }
        if (settings.auth.operator_keys.empty()) {
            missing.emplace_back("auth.operator_keys");
        }
        if (settings.auth.token_key_file.empty()) {
            missing.emplace_back("auth.join_tokens.key_file");
        }
        if (!missing.empty()) {
            problems.add(key, fmt::format("refusing to listen on {} without {}: off loopback, "
                                          "confd needs TLS, operator keys and join tokens",
                                          (*address)->to_string(), fmt::join(missing, ", ")));
        }
    }

    if (!problems.empty()) {
        return problems.status();
    }
    settings.http = std::move(*http);
    settings.grpc = std::move(*grpc);
    settings.data_dir = config.data_dir();
    settings.log_level = *level;
    settings.pipeline_stop_timeout = *pipeline_stop;
    settings.shutdown_timeout = *shutdown;
    rooms.recordings_dir = settings.data_dir / "recordings";
    RoomStreamsOptions streaming;
    streaming.hls_root = settings.data_dir / "hls";
    streaming.live.video_bitrate_kbps = static_cast<int>(settings.streams.video_bitrate_kbps);
    rooms.streaming = streaming;
    rooms.max_streams = settings.streams.max_streams;
    rooms.max_streams_per_room = settings.streams.max_per_room;
    settings.rooms = std::move(rooms);
    return settings;
}

} // namespace conf::daemon
