#include "streaming/support/nginx_rtmp.hpp"

#include <fmt/format.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace conf::test {

namespace {

using namespace std::chrono_literals;

// A socket closed on scope exit.
class Socket {
  public:
    Socket() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {}
    ~Socket() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    int fd() const { return fd_; }

  private:
    int fd_;
};

sockaddr_in loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

bool accepts_connections(int port) {
    Socket socket;
    sockaddr_in address = loopback(port);
    return ::connect(socket.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

} // namespace

int free_local_port() {
    Socket socket;
    sockaddr_in address = loopback(0);
    socklen_t length = sizeof address;
    if (::bind(socket.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(socket.fd(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        throw std::runtime_error("cannot find a free port on 127.0.0.1");
    }
    return ntohs(address.sin_port);
}

NginxRtmp::NginxRtmp(const std::filesystem::path& dir, int port)
    : dir_(dir), port_(port != 0 ? port : free_local_port()) {
    for (const char* needed : {kBinary, kModule}) {
        if (!std::filesystem::exists(needed)) {
            throw std::runtime_error(fmt::format(
                "{} is missing: the RTMP tests need Debian's nginx with its RTMP module "
                "(apt-get install libnginx-mod-rtmp, or bash cmake/scripts/install-deps.sh)",
                needed));
        }
    }
    std::filesystem::create_directories(recordings());
    std::filesystem::path config = dir_ / "nginx.conf";
    {
        std::ofstream out(config);
        out << fmt::format(R"(load_module {module};
daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{
    worker_connections 64;
}}
rtmp {{
    server {{
        listen 127.0.0.1:{port};
        application live {{
            live on;
            record all;
            record_path {dir}/recordings;
        }}
    }}
}}
)",
                           fmt::arg("module", kModule), fmt::arg("dir", dir_.string()),
                           fmt::arg("port", port_));
    }
    // -e: the error log nginx writes before it has read the config (else /var/log/nginx).
    process_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        kBinary, "-p", dir_.string(), "-c", config.string(), "-e", (dir_ / "error.log").string()});
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!accepts_connections(port_)) {
        if (process_->wait(0ms) || std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error(fmt::format(
                "nginx did not listen on 127.0.0.1:{}; its log:\n{}", port_, error_log()));
        }
        std::this_thread::sleep_for(50ms);
    }
}

NginxRtmp::~NginxRtmp() {
    // Fast shutdown (closes open recordings); ChildProcess's destructor kills what remains.
    process_->kill(SIGTERM);
    (void)process_->wait(5s);
}

void NginxRtmp::kill() {
    process_->kill(SIGKILL);
    (void)process_->wait(5s);
}

std::string NginxRtmp::url(std::string_view stream) const {
    return fmt::format("rtmp://127.0.0.1:{}/live/{}", port_, stream);
}

std::filesystem::path NginxRtmp::recording(std::string_view stream) const {
    return recordings() / fmt::format("{}.flv", stream);
}

std::string NginxRtmp::error_log() const {
    std::ifstream in(dir_ / "error.log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace conf::test
