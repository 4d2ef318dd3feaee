// NginxRtmp: Debian's nginx with its RTMP module (libnginx-mod-rtmp), run by a test as a
// local RTMP server on 127.0.0.1. Everything it writes stays in the test's directory: its
// config, pid file and error log, and one FLV per published stream (`record all`), which the
// test then checks with ffprobe. It runs in the foreground as a single process (daemon off,
// master_process off), so killing the one child ends it; the destructor always does.
#pragma once

#include "recording/support/subprocess.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace conf::test {

class NginxRtmp {
  public:
    static constexpr const char* kBinary = "/usr/sbin/nginx";
    static constexpr const char* kModule = "/usr/lib/nginx/modules/ngx_rtmp_module.so";

    // Starts nginx listening on 127.0.0.1:`port` (0: a free port) with an application
    // "live" that records every stream into recordings(). Throws std::runtime_error, saying
    // what to install or what nginx logged, when it is missing or does not listen within 10 s.
    NginxRtmp(const std::filesystem::path& dir, int port = 0);
    ~NginxRtmp();
    NginxRtmp(const NginxRtmp&) = delete;
    NginxRtmp& operator=(const NginxRtmp&) = delete;

    int port() const { return port_; }
    // rtmp://127.0.0.1:<port>/live/<stream>
    std::string url(std::string_view stream) const;
    std::filesystem::path recordings() const { return dir_ / "recordings"; }
    // Where `stream`'s recording goes.
    std::filesystem::path recording(std::string_view stream) const;
    std::string error_log() const;
    // Kills nginx at once (SIGKILL): a server that goes away mid-stream.
    void kill();

  private:
    std::filesystem::path dir_;
    int port_ = 0;
    std::unique_ptr<ChildProcess> process_;
};

// A TCP port on 127.0.0.1 that nothing listened on a moment ago.
int free_local_port();

} // namespace conf::test
