#include "conf/engine.hpp"

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using conf::Engine;
using conf::StatusCode;

namespace {

std::unique_ptr<Engine> make_engine(const std::filesystem::path& dir) {
    auto engine = Engine::create({.name = "test", .data_dir = dir});
    REQUIRE(engine.is_ok());
    return std::move(engine).value();
}

} // namespace

TEST_CASE("posts from many threads all run once, in order per thread", "[engine]") {
    conf::test::TempDir dir;
    auto engine = make_engine(dir.path());
    constexpr int kThreads = 8;
    constexpr int kPerThread = 5000;

    // Touched only on the media thread, so no lock: the engine's serialisation is under test.
    std::vector<std::vector<int>> seen(kThreads);
    std::atomic<int> rejected{0};
    std::atomic<int> off_thread{0};
    std::vector<std::thread> posters;
    for (int t = 0; t < kThreads; ++t) {
        posters.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                auto status = engine->post([&, t, i] {
                    if (!engine->on_media_thread()) {
                        ++off_thread;
                    }
                    seen[t].push_back(i);
                });
                if (!status.is_ok()) {
                    ++rejected;
                }
            }
        });
    }
    for (auto& poster : posters) {
        poster.join();
    }
    REQUIRE(engine->stop().is_ok()); // runs everything already posted

    CHECK(rejected == 0);
    CHECK(off_thread == 0);
    for (int t = 0; t < kThreads; ++t) {
        INFO("poster thread " << t);
        REQUIRE(seen[t].size() == kPerThread);
        for (int i = 0; i < kPerThread; ++i) {
            REQUIRE(seen[t][i] == i);
        }
    }
}

TEST_CASE("post after stop fails with kUnavailable and never runs the task", "[engine]") {
    conf::test::TempDir dir;
    auto engine = make_engine(dir.path());
    REQUIRE(engine->stop().is_ok());
    CHECK_FALSE(engine->is_running());

    bool ran = false;
    auto status = engine->post([&] { ran = true; });
    CHECK(status.code() == StatusCode::kUnavailable);
    CHECK_THAT(status.message(), Catch::Contains("stopped"));
    CHECK_FALSE(ran);

    auto future = engine->submit([] { return 1; });
    REQUIRE(future.wait_for(0s) == std::future_status::ready);
    CHECK(future.get().status().code() == StatusCode::kUnavailable);
}

TEST_CASE("stop is idempotent and safe from several threads at once", "[engine]") {
    conf::test::TempDir dir;
    auto engine = make_engine(dir.path());
    std::vector<std::thread> stoppers;
    std::atomic<int> failures{0};
    for (int i = 0; i < 4; ++i) {
        stoppers.emplace_back([&] {
            if (!engine->stop().is_ok()) {
                ++failures;
            }
        });
    }
    for (auto& s : stoppers) {
        s.join();
    }
    CHECK(failures == 0);
    CHECK(engine->stop().is_ok());
}

TEST_CASE("stop called on the media thread is refused, not a deadlock", "[engine]") {
    conf::test::TempDir dir;
    auto engine = make_engine(dir.path());
    conf::Status inner = conf::Status::ok();
    REQUIRE(engine->submit([&] { inner = engine->stop(); }).get().is_ok());
    CHECK(inner.code() == StatusCode::kFailedPrecondition);
    CHECK(engine->is_running());
    CHECK(engine->stop().is_ok());
}

TEST_CASE("submit delivers the task's value, and tasks run on the media thread", "[engine]") {
    conf::test::TempDir dir;
    auto engine = make_engine(dir.path());
    CHECK_FALSE(engine->on_media_thread());
    auto on_thread = engine->submit([&] { return engine->on_media_thread(); }).get();
    REQUIRE(on_thread.is_ok());
    CHECK(*on_thread);

    auto doubled = engine->submit([] { return std::string("ab") + "ab"; }).get();
    REQUIRE(doubled.is_ok());
    CHECK(*doubled == "abab");

    auto void_status = engine->submit([] {}).get();
    CHECK(void_status.is_ok());
}

TEST_CASE("a throwing task is reported and the media thread keeps running", "[engine]") {
    conf::test::TempDir dir;
    auto engine = make_engine(dir.path());
    REQUIRE(engine->post([] { throw std::runtime_error("boom"); }).is_ok());
    auto thrown = engine->submit([]() -> int { throw std::runtime_error("boom"); }).get();
    CHECK(thrown.status().code() == StatusCode::kInternal);
    CHECK_THAT(thrown.status().message(), Catch::Contains("boom"));

    auto after = engine->submit([] { return 3; }).get();
    REQUIRE(after.is_ok());
    CHECK(*after == 3);
}

TEST_CASE("a task posted from the media thread runs after the task that posted it", "[engine]") {
    conf::test::TempDir dir;
    auto engine = make_engine(dir.path());
    std::vector<int> order;
    bool nested_posted = false;
    REQUIRE(engine
                ->post([&] {
                    nested_posted = engine->post([&] { order.push_back(2); }).is_ok();
                    order.push_back(1);
                })
                .is_ok());
    REQUIRE(engine->post([&] { order.push_back(3); }).is_ok());
    // The first barrier runs after A (so B is queued); the second runs after B.
    REQUIRE(engine->submit([] {}).get().is_ok());
    REQUIRE(engine->submit([] {}).get().is_ok());
    REQUIRE(engine->stop().is_ok());
    // 3 may run before or after 2 (it depends on whether A ran before 3 was posted), but the
    // nested post never runs inside the task that posted it.
    CHECK(nested_posted);
    REQUIRE(order.size() == 3);
    CHECK(order[0] == 1);
    CHECK(std::find(order.begin(), order.end(), 2) != order.end());
    CHECK(std::find(order.begin(), order.end(), 3) != order.end());
}

TEST_CASE("engine options are validated", "[engine]") {
    auto empty_name = Engine::create({.name = ""});
    CHECK(empty_name.status().code() == StatusCode::kInvalidArgument);
    auto zero_timeout = Engine::create({.name = "x", .pipeline_stop_timeout = 0ms});
    CHECK(zero_timeout.status().code() == StatusCode::kInvalidArgument);
}
