// eventually(): polls `predicate` every 50 ms until it holds or `timeout` passes, for tests
// that wait on media flowing in other threads. Returns whether it held.
#pragma once

#include <chrono>
#include <thread>

namespace conf::test {

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!predicate()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

} // namespace conf::test
