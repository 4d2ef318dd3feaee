#include "recording/repair.hpp"

#include "core/log.hpp"
#include "recording/manifest_store.hpp"
#include "recording/media_scan.hpp"
#include "recording/sha256.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>
#include <system_error>

#include <sys/stat.h>

namespace conf {

namespace {

Logger repair_logger(const RecordingManifest& manifest) {
    return Logger("recorder")
        .with("room", manifest.room())
        .with("participant", manifest.participant())
        .with("recording", manifest.id());
}

// When the file was last written: the moment the recording process stopped writing it.
std::optional<std::chrono::system_clock::time_point>
modification_time(const std::filesystem::path& file) {
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0) {
        return std::nullopt;
    }
    auto since_epoch =
        std::chrono::seconds(info.st_mtim.tv_sec) + std::chrono::nanoseconds(info.st_mtim.tv_nsec);
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
}

// Fills the manifest's tracks from what the file holds: the n-th video (audio) stream in the
// file is the n-th video (audio) track, as the recorder requested the muxer pads in order.
void fill_tracks(RecordingManifest& manifest, const MediaScan& scan) {
    GstClockTime file_start = scan.start();
    for (RecordingManifest::Kind kind : {RecordingManifest::VIDEO, RecordingManifest::AUDIO}) {
        std::vector<const ScannedStream*> streams;
        for (const ScannedStream& stream : scan.streams) {
            if (stream.kind == kind) {
                streams.push_back(&stream);
            }
        }
        std::size_t next = 0;
        for (RecordingManifest::Track& track : *manifest.mutable_tracks()) {
            if (track.kind() != kind || next >= streams.size()) {
                continue;
            }
            const ScannedStream& stream = *streams[next++];
            if (!GST_CLOCK_TIME_IS_VALID(stream.first_pts)) {
                continue;
            }
            track.set_duration_ns(stream.end - stream.first_pts);
            track.set_bytes(stream.bytes);
            // The recorder wrote the start on the shared clock as the track began; if the
            // process died before that write, derive it from the file's time zero.
            if (track.start_ns() == 0 && manifest.start_ns() != 0) {
                track.set_start_ns(manifest.start_ns() + (stream.first_pts - file_start));
            }
        }
    }
}

std::optional<RepairReport> repair_one(const std::filesystem::path& manifest_path) {
    RepairReport report;
    report.manifest = manifest_path;
    auto read = read_manifest(manifest_path);
    if (!read) {
        Logger("recorder").warn("unreadable manifest left as it is: {}", read.status().message());
        report.outcome = RepairReport::Outcome::kManifestUnreadable;
        report.status = read.status();
        return report;
    }
    RecordingManifest manifest = std::move(read).value();
    if (manifest.state() != RecordingManifest::RECORDING) {
        return std::nullopt;
    }
    report.recording_id = manifest.id();
    Logger logger = repair_logger(manifest);
    const std::filesystem::path directory = manifest_path.parent_path();

    std::optional<std::chrono::system_clock::time_point> last_write;
    Status media_status = unavailable("the recording has no media file");
    for (RecordingManifest::File& file : *manifest.mutable_files()) {
        // A manifest may be damaged or planted: never follow a path out of its directory.
        if (!is_safe_path_component(file.path())) {
            media_status = invalid_argument(fmt::format("unsafe file path '{}'", file.path()));
            continue;
        }
        std::filesystem::path path = directory / file.path();
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec)) {
            media_status = unavailable(fmt::format("{} is missing", path.string()));
            continue;
        }
        file.set_bytes(std::filesystem::file_size(path, ec));
        last_write = modification_time(path);
        if (auto digest = sha256_file(path); digest) {
            file.set_sha256(*digest);
        } else {
            logger.warn("no checksum for {}: {}", path.string(), digest.status().message());
        }
        auto scan = scan_media_file(path, manifest.container());
        if (!scan) {
            media_status = scan.status();
            continue;
        }
        media_status = Status::ok();
        if (!scan->error.empty()) {
            logger.info("{} ends in a torn block ({}); measured up to it", path.string(),
                        scan->error);
        }
        manifest.set_duration_ns(scan->duration());
        fill_tracks(manifest, *scan);
    }
    if (!last_write) {
        last_write = modification_time(manifest_path);
    }

    manifest.set_state(RecordingManifest::INTERRUPTED);
    manifest.set_end_reason(RecordingManifest::PROCESS_ENDED);
    if (!media_status) {
        manifest.set_failure_reason(media_status.message());
    }
    if (last_write) {
        *manifest.mutable_ended_at() = to_timestamp(*last_write);
    }
    report.duration_ns = manifest.duration_ns();
    if (Status written = write_manifest(manifest_path, manifest); !written) {
        logger.error("interrupted recording measured, but its manifest was not written: {}",
                     written.message());
        report.outcome = RepairReport::Outcome::kWriteFailed;
        report.status = written;
        return report;
    }
    // Left behind by the dead recorder (ManifestStore's reserve and temp file).
    std::error_code ignored;
    std::filesystem::remove(directory / ".manifest.reserve", ignored);
    std::filesystem::remove(directory / ".manifest.json.tmp", ignored);
    if (!media_status) {
        logger.warn("marked interrupted; its media was unreadable: {}", media_status.message());
        report.outcome = RepairReport::Outcome::kMediaUnreadable;
        report.status = media_status;
        return report;
    }
    logger.info("marked interrupted: {:.3f} s recorded",
                static_cast<double>(manifest.duration_ns()) / 1e9);
    return report;
}

} // namespace

namespace {

// A room session still RECORDING: its process died with the room open.
std::optional<RepairReport> repair_session(const std::filesystem::path& file) {
    auto session = read_session_manifest(file);
    if (!session) {
        return RepairReport{
            file, {}, RepairReport::Outcome::kManifestUnreadable, session.status(), 0};
    }
    if (session->state() != RecordingManifest::RECORDING) {
        return std::nullopt;
    }
    session->set_state(RecordingManifest::INTERRUPTED);
    if (auto ended = modification_time(file)) {
        *session->mutable_ended_at() = to_timestamp(*ended);
    }
    if (Status written = write_manifest(file, *session); !written) {
        return RepairReport{file, session->id(), RepairReport::Outcome::kWriteFailed, written, 0};
    }
    Logger("recorder")
        .with("room", session->room())
        .info("session {} marked interrupted", session->id());
    return RepairReport{file, session->id(), RepairReport::Outcome::kRepaired, Status::ok(), 0};
}

} // namespace

std::string_view to_string(RepairReport::Outcome outcome) noexcept {
    switch (outcome) {
    case RepairReport::Outcome::kRepaired:
        return "repaired";
    case RepairReport::Outcome::kManifestUnreadable:
        return "manifest_unreadable";
    case RepairReport::Outcome::kMediaUnreadable:
        return "media_unreadable";
    case RepairReport::Outcome::kWriteFailed:
        return "write_failed";
    }
    return "unknown";
}

std::vector<RepairReport> repair_recordings(const std::filesystem::path& root) {
    std::vector<RepairReport> reports;
    try {
        if (!gst_init_check(nullptr, nullptr, nullptr)) {
            Logger("recorder").error("repair: GStreamer failed to initialise");
            return reports;
        }
        std::vector<std::filesystem::path> manifests;
        std::vector<std::filesystem::path> sessions;
        std::error_code ec;
        if (!std::filesystem::is_directory(root, ec)) {
            return reports;
        }
        auto options = std::filesystem::directory_options::skip_permission_denied;
        for (std::filesystem::recursive_directory_iterator it(root, options, ec), end;
             !ec && it != end; it.increment(ec)) {
            if (it->path().filename() == kManifestFileName && it->is_regular_file(ec)) {
                manifests.push_back(it->path());
            } else if (it->path().parent_path().filename() == "sessions" &&
                       it->path().extension() == ".json" && it->is_regular_file(ec)) {
                sessions.push_back(it->path());
            }
        }
        if (ec) {
            Logger("recorder")
                .warn("repair: scanning {} stopped early: {}", root.string(), ec.message());
        }
        std::sort(manifests.begin(), manifests.end());
        for (const std::filesystem::path& manifest : manifests) {
            try {
                if (auto report = repair_one(manifest)) {
                    reports.push_back(std::move(*report));
                }
            } catch (const std::exception& e) {
                reports.push_back({manifest,
                                   {},
                                   RepairReport::Outcome::kWriteFailed,
                                   internal_error(e.what()),
                                   0});
            }
        }
        std::sort(sessions.begin(), sessions.end());
        for (const std::filesystem::path& session : sessions) {
            if (auto report = repair_session(session)) {
                reports.push_back(std::move(*report));
            }
        }
    } catch (const std::exception& e) {
        Logger("recorder").error("repair of {} stopped: {}", root.string(), e.what());
    }
    return reports;
}

} // namespace conf
