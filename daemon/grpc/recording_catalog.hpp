// RecordingCatalog: the recordings on disk as conf.v1.Recording resources, read from their
// manifests, which are always current (written atomically at start, as members join, and at
// the end; repaired at startup). A room recording is its session manifest
// ({root}/{room}/sessions/{id}.json) with each member's manifest; a participant or track
// recording is one {root}/{room}/{id}/manifest.json that no session lists. Any thread.
#pragma once

#include "conf/v1/recording_service.pb.h"

#include <conf/status.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace conf::daemon {

class RecordingCatalog {
  public:
    explicit RecordingCatalog(std::filesystem::path root) : root_(std::move(root)) {}

    // kNotFound if no room (or `room`, when given) has a recording `id`.
    Result<::conf::v1::Recording> get(const std::string& id, const std::string& room = {}) const;
    // Every recording of `room` (empty: of every room), newest first.
    std::vector<::conf::v1::Recording> list(const std::string& room = {}) const;

  private:
    std::vector<::conf::v1::Recording> room_recordings(const std::string& room) const;
    std::vector<std::string> rooms() const;

    std::filesystem::path root_;
};

} // namespace conf::daemon
