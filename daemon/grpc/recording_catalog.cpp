#include "grpc/recording_catalog.hpp"

#include "recording/manifest_store.hpp"
#include "room/room_registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <system_error>

namespace conf::daemon {

namespace {

namespace fs = std::filesystem;

::conf::v1::Recording from_session(const std::string& room, const RoomSessionManifest& session,
                                   const fs::path& room_dir) {
    ::conf::v1::Recording out;
    out.set_id(session.id());
    out.set_room(room);
    out.mutable_source()->set_room(true);
    out.set_state(session.state());
    *out.mutable_start_time() = session.started_at();
    if (session.has_ended_at()) {
        *out.mutable_end_time() = session.ended_at();
    }
    out.set_manifest_path(fmt::format("{}/sessions/{}.json", room, session.id()));
    for (const auto& member : session.recordings()) {
        if (!is_safe_path_component(member.id())) {
            continue;
        }
        auto manifest = read_manifest(room_dir / member.id() / kManifestFileName);
        if (manifest) {
            *out.add_files() = std::move(manifest).value();
        }
    }
    return out;
}

::conf::v1::Recording from_manifest(const std::string& room, const RecordingManifest& manifest) {
    ::conf::v1::Recording out;
    out.set_id(manifest.id());
    out.set_room(room);
    if (manifest.composite()) {
        out.mutable_source()->set_composite(true);
    } else if (!manifest.source_track().empty()) {
        out.mutable_source()->set_track_id(manifest.source_track());
    } else {
        out.mutable_source()->set_participant_id(manifest.participant());
    }
    out.set_state(manifest.state());
    *out.mutable_start_time() = manifest.created_at();
    if (manifest.has_ended_at()) {
        *out.mutable_end_time() = manifest.ended_at();
    }
    out.set_manifest_path(fmt::format("{}/{}/{}", room, manifest.id(), kManifestFileName));
    *out.add_files() = manifest;
    return out;
}

bool newer(const ::conf::v1::Recording& a, const ::conf::v1::Recording& b) {
    if (a.start_time().seconds() != b.start_time().seconds()) {
        return a.start_time().seconds() > b.start_time().seconds();
    }
    if (a.start_time().nanos() != b.start_time().nanos()) {
        return a.start_time().nanos() > b.start_time().nanos();
    }
    return a.id() < b.id();
}

} // namespace

std::vector<std::string> RecordingCatalog::rooms() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(root_, ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (it->is_directory(ec) && is_valid_name(name)) {
            out.push_back(name);
        }
    }
    return out;
}

std::vector<::conf::v1::Recording>
RecordingCatalog::room_recordings(const std::string& room) const {
    std::vector<::conf::v1::Recording> out;
    const fs::path room_dir = root_ / room;
    std::set<std::string> in_sessions;
    std::error_code ec;
    for (fs::directory_iterator it(room_dir / "sessions", ec), end; !ec && it != end;
         it.increment(ec)) {
        if (it->path().extension() != ".json") {
            continue;
        }
        auto session = read_session_manifest(it->path());
        if (!session) {
            continue; // repair reports broken files at startup
        }
        for (const auto& member : session->recordings()) {
            in_sessions.insert(member.id());
        }
        out.push_back(from_session(room, *session, room_dir));
    }
    for (fs::directory_iterator it(room_dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string id = it->path().filename().string();
        if (id == "sessions" || in_sessions.count(id) != 0 || !it->is_directory(ec)) {
            continue;
        }
        auto manifest = read_manifest(it->path() / kManifestFileName);
        if (manifest && manifest->session().empty()) {
            out.push_back(from_manifest(room, *manifest));
        }
    }
    return out;
}

Result<::conf::v1::Recording> RecordingCatalog::get(const std::string& id,
                                                    const std::string& room) const {
    if (!is_safe_path_component(id)) {
        return invalid_argument(fmt::format("'{}' is not a recording id", id));
    }
    std::vector<std::string> candidates = room.empty() ? rooms() : std::vector<std::string>{room};
    for (const std::string& name : candidates) {
        const fs::path room_dir = root_ / name;
        std::error_code ec;
        if (fs::exists(room_dir / "sessions" / (id + ".json"), ec)) {
            auto session = read_session_manifest(room_dir / "sessions" / (id + ".json"));
            if (!session) {
                return session.status();
            }
            return from_session(name, *session, room_dir);
        }
        if (fs::exists(room_dir / id / kManifestFileName, ec)) {
            auto manifest = read_manifest(room_dir / id / kManifestFileName);
            if (!manifest) {
                return manifest.status();
            }
            return from_manifest(name, *manifest);
        }
    }
    return not_found(fmt::format("no recording '{}'", id));
}

std::vector<::conf::v1::Recording> RecordingCatalog::list(const std::string& room) const {
    std::vector<::conf::v1::Recording> out;
    for (const std::string& name : room.empty() ? rooms() : std::vector<std::string>{room}) {
        auto recordings = room_recordings(name);
        std::move(recordings.begin(), recordings.end(), std::back_inserter(out));
    }
    std::sort(out.begin(), out.end(), newer);
    return out;
}

} // namespace conf::daemon
