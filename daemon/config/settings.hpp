// Settings: the validated, typed form of a confd::v1::Config, which is all the runtime sees.
#pragma once

#include "auth/join_token.hpp"
#include "config/listen_address.hpp"

#include "room/room_registry.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace conf::daemon {

enum class LogLevel { kError, kWarning, kInfo, kDebug };

// TLS for both servers: PEM files, both set or both empty.
struct TlsSettings {
    std::filesystem::path cert_file;
    std::filesystem::path key_file;
    bool enabled() const noexcept { return !cert_file.empty(); }
};

struct OperatorKeySettings {
    std::string name;
    std::string hash;                // "sha256:<hex>", checked
    std::vector<std::string> scopes; // checked
};

struct AuthSettings {
    std::vector<OperatorKeySettings> operator_keys; // empty: gRPC unauthenticated
    std::filesystem::path token_key_file;           // empty: an ephemeral HS256 secret
    // Loaded from token_key_file by the config validator; null when there is none.
    std::shared_ptr<const JoinTokenSigner> token_signer;
    bool tokens_required = false; // only with a key file
    std::chrono::seconds max_token_ttl{86400};
    std::string public_url; // empty: confd's own HTTP URL
};

// Live output of rooms' composites (StreamService).
struct StreamsSettings {
    std::uint32_t max_streams = 8; // 0: streaming is off
    std::uint32_t max_per_room = 2;
    std::uint32_t video_bitrate_kbps = 2500;
};

struct PluginSettings {
    bool load_installed = true;
    std::vector<std::filesystem::path> directories;
};

struct Settings {
    ListenAddress http;
    ListenAddress grpc;
    std::filesystem::path data_dir;
    LogLevel log_level = LogLevel::kInfo;
    std::chrono::milliseconds pipeline_stop_timeout{5000};
    std::chrono::milliseconds shutdown_timeout{10000};
    // WebRTC, recording and limits, as the media side takes them. recordings_dir is filled
    // from data_dir.
    RoomRegistryOptions rooms;
    AuthSettings auth;
    TlsSettings tls;
    std::uint32_t event_replay_buffer = 10000;
    StreamsSettings streams;
    PluginSettings plugins;
};

} // namespace conf::daemon
