// ListenAddress: a parsed "HOST:PORT" from the config (http.listen, grpc.listen).
#pragma once

#include <conf/status.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace conf::daemon {

struct ListenAddress {
    // An IP literal without brackets ("127.0.0.1", "::1"); "localhost" is stored as
    // "127.0.0.1" so both servers bind one well-defined address.
    std::string host;
    // 0 asks the operating system for a free port.
    std::uint16_t port = 0;

    // Accepts "IPv4:PORT", "[IPv6]:PORT" and "localhost:PORT". The error message says what is
    // wrong with `text` but not which key it came from; callers add that.
    static Result<ListenAddress> parse(std::string_view text);

    bool is_loopback() const;
    // "127.0.0.1:8080" or "[::1]:8080", the form gRPC and URLs use.
    std::string to_string() const;
    // The same with another port, for printing the port actually bound.
    std::string with_port(std::uint16_t bound_port) const;
};

} // namespace conf::daemon
