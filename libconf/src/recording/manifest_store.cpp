#include "recording/manifest_store.hpp"

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

namespace conf {

namespace {

StatusCode code_from_errno(int error) {
    switch (error) {
    case ENOSPC:
    case EDQUOT:
        return StatusCode::kResourceExhausted;
    case EACCES:
    case EPERM:
    case EROFS:
        return StatusCode::kPermissionDenied;
    case ENOENT:
        return StatusCode::kNotFound;
    default:
        return StatusCode::kUnavailable;
    }
}

Status errno_status(int error, std::string_view what, const std::filesystem::path& path) {
    return {code_from_errno(error),
            fmt::format("{} {}: {}", what, path.string(), std::strerror(error))};
}

// Closes on scope exit unless released; close() errors matter for writes, so the write path
// closes explicitly and checks.
class FileDescriptor {
  public:
    explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
    ~FileDescriptor() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;

    int get() const noexcept { return fd_; }
    int close() noexcept { return ::close(std::exchange(fd_, -1)); }

  private:
    int fd_;
};

Status write_all(int fd, std::string_view data, const std::filesystem::path& path) {
    while (!data.empty()) {
        ssize_t written = ::write(fd, data.data(), data.size());
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno_status(errno, "writing", path);
        }
        data.remove_prefix(static_cast<std::size_t>(written));
    }
    return Status::ok();
}

// A rename is only durable once the directory entry itself is on disk.
void fsync_directory(const std::filesystem::path& directory) {
    int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

} // namespace

bool is_safe_path_component(std::string_view text) noexcept {
    if (text.empty() || text.size() > 128 || text.front() == '.') {
        return false;
    }
    for (char c : text) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

Result<std::string> manifest_to_json(const google::protobuf::Message& manifest) {
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    // Every field present, even when empty or zero: shell scripts (jq) see a stable shape.
    options.always_print_primitive_fields = true;
    options.preserve_proto_field_names = true;
    std::string json;
    auto status = google::protobuf::util::MessageToJsonString(manifest, &json, options);
    if (!status.ok()) {
        return internal_error(fmt::format("manifest to JSON: {}", status.ToString()));
    }
    return json;
}

Result<RecordingManifest> manifest_from_json(std::string_view json) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    RecordingManifest manifest;
    auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(json.data(), json.size()), &manifest, options);
    if (!status.ok()) {
        return invalid_argument(fmt::format("not a recording manifest: {}", status.ToString()));
    }
    return manifest;
}

namespace {

template <typename Manifest>
Result<Manifest> read_json_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        return errno_status(errno, "opening", file);
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) {
        return unavailable(fmt::format("reading {} failed", file.string()));
    }
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    Manifest manifest;
    auto status = google::protobuf::util::JsonStringToMessage(text, &manifest, options);
    if (!status.ok()) {
        return invalid_argument(fmt::format("{}: not a {}: {}", file.string(),
                                            Manifest::descriptor()->name(), status.ToString()));
    }
    return manifest;
}

} // namespace

Result<RecordingManifest> read_manifest(const std::filesystem::path& file) {
    return read_json_file<RecordingManifest>(file);
}

Result<RoomSessionManifest> read_session_manifest(const std::filesystem::path& file) {
    return read_json_file<RoomSessionManifest>(file);
}

Status write_manifest(const std::filesystem::path& file,
                      const google::protobuf::Message& manifest) {
    auto json = manifest_to_json(manifest);
    if (!json) {
        return json.status();
    }
    std::filesystem::path temp = file.parent_path() / ("." + file.filename().string() + ".tmp");
    FileDescriptor fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) {
        return errno_status(errno, "creating", temp);
    }
    auto fail = [&](Status status) {
        ::unlink(temp.c_str());
        return status;
    };
    if (Status written = write_all(fd.get(), *json, temp); !written) {
        return fail(std::move(written));
    }
    if (::fsync(fd.get()) != 0) {
        return fail(errno_status(errno, "syncing", temp));
    }
    if (fd.close() != 0) {
        return fail(errno_status(errno, "closing", temp));
    }
    if (::rename(temp.c_str(), file.c_str()) != 0) {
        return fail(errno_status(errno, "renaming to", file));
    }
    fsync_directory(file.parent_path());
    return Status::ok();
}

google::protobuf::Timestamp to_timestamp(std::chrono::system_clock::time_point time) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch());
    return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(ns.count());
}

ManifestStore::ManifestStore(std::filesystem::path directory) : directory_(std::move(directory)) {}

ManifestStore::~ManifestStore() {
    release_reserve();
}

std::filesystem::path ManifestStore::reserve_path() const {
    return directory_ / ".manifest.reserve";
}

Status ManifestStore::reserve(std::uint64_t bytes) {
    std::filesystem::path path = reserve_path();
    FileDescriptor fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (fd.get() < 0) {
        return errno_status(errno, "creating", path);
    }
    // posix_fallocate really allocates (a sparse file would reserve nothing).
    int error = ::posix_fallocate(fd.get(), 0, static_cast<off_t>(bytes));
    if (error != 0) {
        ::unlink(path.c_str());
        return errno_status(error, "reserving space in", path);
    }
    reserved_ = true;
    return Status::ok();
}

void ManifestStore::release_reserve() noexcept {
    if (reserved_) {
        ::unlink(reserve_path().c_str());
        reserved_ = false;
    }
}

Status ManifestStore::write(const RecordingManifest& manifest) {
    Status status = write_manifest(manifest_path(), manifest);
    if (status.code() == StatusCode::kResourceExhausted && reserved_) {
        release_reserve();
        status = write_manifest(manifest_path(), manifest);
    }
    return status;
}

} // namespace conf
