#include "events/event_log.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

namespace {

::conf::v1::Event joined(const std::string& room) {
    ::conf::v1::Event event;
    event.set_room(room);
    event.mutable_participant_joined()->mutable_participant()->set_id("p");
    return event;
}

} // namespace

TEST_CASE("events get increasing sequences, the run's epoch and a time", "[events]") {
    conf::daemon::EventLog log(100);
    CHECK(log.last_sequence() == 0);
    log.append(joined("a"));
    log.append(joined("b"));
    auto read = log.read_after(0, 10);
    REQUIRE(read.events.size() == 2);
    CHECK_FALSE(read.lost);
    CHECK(read.events[0]->sequence() == 1);
    CHECK(read.events[1]->sequence() == 2);
    CHECK(read.events[1]->room() == "b");
    CHECK(read.events[0]->epoch() == log.epoch());
    CHECK(read.events[0]->time().seconds() > 1700000000);
    CHECK(conf::daemon::EventLog(10).epoch() != log.epoch());
}

TEST_CASE("a reader resumes after its cursor with no gap and no repeat", "[events]") {
    conf::daemon::EventLog log(100);
    for (int i = 0; i < 10; ++i) {
        log.append(joined("a"));
    }
    auto read = log.read_after(4, 3);
    REQUIRE(read.events.size() == 3);
    CHECK(read.events[0]->sequence() == 5);
    CHECK(read.events[2]->sequence() == 7);
    CHECK(log.read_after(10, 5).events.empty());
}

TEST_CASE("a cursor older than the buffer has lost events", "[events]") {
    conf::daemon::EventLog log(5);
    for (int i = 0; i < 12; ++i) {
        log.append(joined("a"));
    }
    CHECK(log.oldest_sequence() == 8);
    CHECK(log.read_after(6, 10).lost);
    auto read = log.read_after(7, 10); // the next one, 8, is still kept
    CHECK_FALSE(read.lost);
    REQUIRE(read.events.size() == 5);
    CHECK(read.events[0]->sequence() == 8);
}

TEST_CASE("watchers are woken on every append until their handle goes", "[events]") {
    conf::daemon::EventLog log(10);
    std::atomic<int> wakeups{0};
    auto watch = log.watch([&] { ++wakeups; });
    log.append(joined("a"));
    log.append(joined("a"));
    CHECK(wakeups == 2);
    watch.reset();
    log.append(joined("a"));
    CHECK(wakeups == 2);
}

TEST_CASE("appends from several threads keep sequences unique and ordered", "[events]") {
    conf::daemon::EventLog log(10000);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 500; ++i) {
                log.append(joined("a"));
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    auto read = log.read_after(0, 5000);
    REQUIRE(read.events.size() == 2000);
    for (std::size_t i = 0; i < read.events.size(); ++i) {
        CHECK(read.events[i]->sequence() == i + 1);
    }
}
