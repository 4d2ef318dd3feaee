#include "recording/sha256.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace conf {

namespace {

struct EvpContextFree {
    void operator()(EVP_MD_CTX* context) const noexcept { EVP_MD_CTX_free(context); }
};

struct ScopedFd {
    explicit ScopedFd(int value) noexcept : fd(value) {}
    ~ScopedFd() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
    ScopedFd(const ScopedFd&) = delete;
    ScopedFd& operator=(const ScopedFd&) = delete;
    int fd;
};

} // namespace

Result<std::string> sha256_file(const std::filesystem::path& file, const std::stop_token& stop) {
    ScopedFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.fd < 0) {
        return unavailable(fmt::format("opening {}: {}", file.string(), std::strerror(errno)));
    }
    std::unique_ptr<EVP_MD_CTX, EvpContextFree> context(EVP_MD_CTX_new());
    if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
        return internal_error("OpenSSL: cannot initialise SHA-256");
    }
    // 1 MiB: large enough for sequential reads to run at disk speed, small enough that a stop
    // request is honoured within milliseconds.
    std::vector<unsigned char> chunk(1 << 20);
    for (;;) {
        if (stop.stop_requested()) {
            return Status(StatusCode::kCancelled, "checksum cancelled");
        }
        ssize_t got = ::read(fd.fd, chunk.data(), chunk.size());
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            return unavailable(fmt::format("reading {}: {}", file.string(), std::strerror(errno)));
        }
        if (got == 0) {
            break;
        }
        if (EVP_DigestUpdate(context.get(), chunk.data(), static_cast<std::size_t>(got)) != 1) {
            return internal_error("OpenSSL: SHA-256 update failed");
        }
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(context.get(), digest.data(), &length) != 1) {
        return internal_error("OpenSSL: SHA-256 final failed");
    }
    std::string hex;
    hex.reserve(static_cast<std::size_t>(length) * 2);
    for (unsigned int i = 0; i < length; ++i) {
        hex += fmt::format("{:02x}", digest[i]);
    }
    return hex;
}

} // namespace conf
