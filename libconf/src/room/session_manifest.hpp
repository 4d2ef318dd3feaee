// SessionManifest: the manifest of one recorded room session,
// {recordings}/{room}/sessions/{id}.json (conf.v1.RoomSessionManifest). It is written when the
// session's first recording starts, again as each member's recording starts, and a last
// time as FINALIZED when the room empties; a crash leaves it RECORDING for
// repair_recordings() to mark INTERRUPTED. Each write is atomic. Media thread only.
#pragma once

#include "recording/manifest_store.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace conf {

class SessionManifest {
  public:
    // Writes the first version; the id is the UTC start time plus a random suffix.
    static Result<std::unique_ptr<SessionManifest>> begin(const std::filesystem::path& recordings,
                                                          const std::string& room);

    // A member's recording (in {recordings}/{room}/{recording_id}/) has started.
    Status add(const std::string& recording_id, const std::string& participant,
               const std::string& name);
    // The room is empty and every recording finalized.
    Status finish();

    const std::string& id() const noexcept { return manifest_.id(); }
    const std::filesystem::path& file() const noexcept { return file_; }

  private:
    SessionManifest(std::filesystem::path file, RoomSessionManifest manifest)
        : file_(std::move(file)), manifest_(std::move(manifest)) {}

    std::filesystem::path file_;
    RoomSessionManifest manifest_;
};

} // namespace conf
