// repair_recordings: at start-up, finishes the manifests of recordings whose process died.
//
// Scans {root}/**/manifest.json. A manifest still in RECORDING belongs to a recorder that
// never finalized (crash, kill -9, power loss; or a recorder destroyed without stop()). Its
// file is read back to the last timestamp (scan_media_file), and the manifest becomes
// INTERRUPTED with the real duration, per-track durations and bytes, file size and sha256,
// and ended_at = the file's last modification. The media file itself is never rewritten.
//
// Blocking (reads every interrupted file twice: demux and checksum). Run it before any
// recorder starts: a live recorder's manifest is also in RECORDING.
#pragma once

#include "conf/status.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace conf {

struct RepairReport {
    enum class Outcome {
        kRepaired,           // now INTERRUPTED, measured from its file
        kManifestUnreadable, // not JSON, or not a RecordingManifest: left as it is
        kMediaUnreadable,    // now INTERRUPTED, but the file held nothing readable
        kWriteFailed,        // measured, but the new manifest could not be written
    };
    std::filesystem::path manifest;
    std::string recording_id; // empty when the manifest could not be read
    Outcome outcome = Outcome::kRepaired;
    Status status;                 // why, for every outcome but kRepaired
    std::uint64_t duration_ns = 0; // measured from the file
};
std::string_view to_string(RepairReport::Outcome outcome) noexcept;

// One report per manifest that was in RECORDING or could not be read; manifests in any other
// state are left alone and not reported. Never throws; a missing root gives an empty list.
std::vector<RepairReport> repair_recordings(const std::filesystem::path& root);

} // namespace conf
