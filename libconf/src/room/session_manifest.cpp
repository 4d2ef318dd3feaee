#include "room/session_manifest.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <glib.h>

namespace conf {

Result<std::unique_ptr<SessionManifest>>
SessionManifest::begin(const std::filesystem::path& recordings, const std::string& room) {
    if (!is_safe_path_component(room)) {
        return invalid_argument(fmt::format("room '{}' cannot name a directory", room));
    }
    auto now = std::chrono::system_clock::now();
    std::string id = fmt::format("{:%Y%m%dT%H%M%S}Z-{:08x}",
                                 std::chrono::floor<std::chrono::seconds>(now), g_random_int());
    std::filesystem::path dir = recordings / room / "sessions";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        return unavailable(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
    }
    RoomSessionManifest manifest;
    manifest.set_schema_version(kManifestSchemaVersion);
    manifest.set_id(id);
    manifest.set_room(room);
    manifest.set_state(RecordingManifest::RECORDING);
    *manifest.mutable_started_at() = to_timestamp(now);
    std::unique_ptr<SessionManifest> session(
        new SessionManifest(dir / (id + ".json"), std::move(manifest)));
    if (Status written = write_manifest(session->file_, session->manifest_); !written) {
        return written;
    }
    return session;
}

Status SessionManifest::add(const std::string& recording_id, const std::string& participant,
                            const std::string& name) {
    auto* recording = manifest_.add_recordings();
    recording->set_id(recording_id);
    recording->set_participant(participant);
    recording->set_name(name);
    recording->set_manifest(fmt::format("../{}/{}", recording_id, kManifestFileName));
    *recording->mutable_started_at() = to_timestamp(std::chrono::system_clock::now());
    return write_manifest(file_, manifest_);
}

Status SessionManifest::finish() {
    manifest_.set_state(RecordingManifest::FINALIZED);
    *manifest_.mutable_ended_at() = to_timestamp(std::chrono::system_clock::now());
    return write_manifest(file_, manifest_);
}

} // namespace conf
