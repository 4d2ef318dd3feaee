// ManifestStore: the manifest.json of one recording directory ({root}/{room}/{recording-id}/).
//
// Writes are atomic (temp file, fsync, rename, fsync of the directory), so a crash at any
// moment leaves the old or the new manifest, never a torn one. A recording usually fails
// because its disk filled up, which is exactly when the final manifest must still be written:
// the store can set a little disk aside beforehand (reserve()) and gives it up to retry a
// write that hit ENOSPC.
//
// The schema is conf.v1.RecordingManifest (proto/conf/v1/recording_manifest.proto), in
// protobuf's JSON mapping with the proto field names (snake_case) kept.
#pragma once

#include "conf/status.hpp"
#include "conf/v1/recording_manifest.pb.h"

#include <google/protobuf/timestamp.pb.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace conf {

using RecordingManifest = v1::RecordingManifest;
using RoomSessionManifest = v1::RoomSessionManifest;

inline constexpr std::string_view kManifestFileName = "manifest.json";
inline constexpr std::uint32_t kManifestSchemaVersion = 1;

// Ids that name directories and files (room, recording, participant, track): 1-128 of
// [A-Za-z0-9._-], not starting with '.', so no id can climb out of the recordings root.
bool is_safe_path_component(std::string_view text) noexcept;

// Any manifest message (RecordingManifest, RoomSessionManifest) as JSON.
Result<std::string> manifest_to_json(const google::protobuf::Message& manifest);
// Unknown fields are ignored, so older readers accept newer manifests.
Result<RecordingManifest> manifest_from_json(std::string_view json);

Result<RecordingManifest> read_manifest(const std::filesystem::path& file);
Result<RoomSessionManifest> read_session_manifest(const std::filesystem::path& file);
// Atomic replace. A full disk gives kResourceExhausted.
Status write_manifest(const std::filesystem::path& file, const google::protobuf::Message& manifest);

google::protobuf::Timestamp to_timestamp(std::chrono::system_clock::time_point time);

class ManifestStore {
  public:
    explicit ManifestStore(std::filesystem::path directory);
    ~ManifestStore();
    ManifestStore(const ManifestStore&) = delete;
    ManifestStore& operator=(const ManifestStore&) = delete;

    const std::filesystem::path& directory() const noexcept { return directory_; }
    std::filesystem::path manifest_path() const { return directory_ / kManifestFileName; }

    // Sets `bytes` of disk aside in a hidden file next to the manifest.
    Status reserve(std::uint64_t bytes);
    // Gives the reserve back (at the end of the recording; also done by the destructor).
    void release_reserve() noexcept;

    // Atomic write; on a full disk, releases the reserve and tries once more.
    Status write(const RecordingManifest& manifest);

  private:
    std::filesystem::path reserve_path() const;

    std::filesystem::path directory_;
    bool reserved_ = false;
};

} // namespace conf
