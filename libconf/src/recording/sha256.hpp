// SHA-256 of a file with OpenSSL EVP, for the checksums in recording manifests. Reads the
// whole file, so it runs off the media thread; it can be told to stop between chunks.
#pragma once

#include "conf/status.hpp"

#include <filesystem>
#include <stop_token>
#include <string>

namespace conf {

// Lower-case hex digest. kCancelled when `stop` was requested before the end of the file.
Result<std::string> sha256_file(const std::filesystem::path& file,
                                const std::stop_token& stop = {});

} // namespace conf
