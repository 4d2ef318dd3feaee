// EventService through a real gRPC channel to a real confd: a watcher that stops reading is
// cut off with RESOURCE_EXHAUSTED once it is a whole replay buffer behind, and meanwhile
// every other call goes on at full speed (the media thread never waits for a watcher).
#include "support/confd_process.hpp"

#include "conf/v1/event_service.grpc.pb.h"
#include "conf/v1/room_service.grpc.pb.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <fstream>

using namespace std::chrono_literals;
using conf::test::ConfdProcess;

namespace {

std::filesystem::path write_config(const std::filesystem::path& dir, const std::string& json) {
    std::filesystem::create_directories(dir);
    auto file = dir / "confd.json";
    std::ofstream(file) << json;
    return file;
}

grpc::Status create_and_delete(conf::v1::RoomService::Stub& rooms, const std::string& name) {
    grpc::ClientContext create;
    create.set_deadline(std::chrono::system_clock::now() + 5s);
    conf::v1::CreateRoomRequest request;
    request.mutable_room()->set_name(name);
    conf::v1::Room room;
    grpc::Status status = rooms.CreateRoom(&create, request, &room);
    if (!status.ok()) {
        return status;
    }
    grpc::ClientContext remove;
    remove.set_deadline(std::chrono::system_clock::now() + 5s);
    conf::v1::DeleteRoomRequest deletion;
    deletion.set_name(name);
    conf::v1::DeleteRoomResponse deleted;
    return rooms.DeleteRoom(&remove, deletion, &deleted);
}

} // namespace

TEST_CASE("a watcher that stops reading is cut off and blocks nobody", "[grpc][events]") {
    // Far more events than gRPC's transport buffers hold for a stream that is not read.
    constexpr int kPairs = 4000;
    auto dir = std::filesystem::temp_directory_path() / fmt::format("confd-events-{}", ::getpid());
    auto config = write_config(dir, R"({"events": {"replay_buffer": 100}})");
    ConfdProcess confd({"--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0", "--data-dir", "data",
                        "--config", config.string()});
    REQUIRE(confd.wait_listening());
    // Small windows, so a watcher that does not read stalls after a few events rather than
    // after the 64 KiB HTTP/2 default.
    grpc::ChannelArguments arguments;
    arguments.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
    arguments.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    arguments.SetInt(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, 1 << 20);
    auto channel = grpc::CreateCustomChannel(confd.grpc_address(),
                                             grpc::InsecureChannelCredentials(), arguments);
    auto events = conf::v1::EventService::NewStub(channel);
    auto rooms = conf::v1::RoomService::NewStub(
        grpc::CreateChannel(confd.grpc_address(), grpc::InsecureChannelCredentials()));

    grpc::ClientContext watch_context;
    watch_context.set_deadline(std::chrono::system_clock::now() + 50s); // a failure, not a hang
    conf::v1::WatchEventsRequest from_now;
    auto watch = events->WatchEvents(&watch_context, from_now);
    watch->WaitForInitialMetadata(); // registered: it sees everything from here on
    // It reads the first event, then nothing.
    REQUIRE(create_and_delete(*rooms, "first").ok());
    conf::v1::Event first;
    REQUIRE(watch->Read(&first));
    CHECK(first.has_room_created());

    // 2 x kPairs events while it does not read: every call still answers promptly.
    auto started = std::chrono::steady_clock::now();
    auto slowest = std::chrono::steady_clock::duration::zero();
    for (int i = 0; i < kPairs; ++i) {
        auto before = std::chrono::steady_clock::now();
        grpc::Status status = create_and_delete(*rooms, fmt::format("room-{}", i));
        REQUIRE(status.ok());
        slowest = std::max(slowest, std::chrono::steady_clock::now() - before);
    }
    INFO("calls: " << 2 * kPairs << ", took "
                   << std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count()
                   << " ms; slowest pair "
                   << std::chrono::duration_cast<std::chrono::milliseconds>(slowest).count()
                   << " ms");
    // A call that waited on the stalled watcher would hit the 5 s deadline above; this is
    // far below it.
    CHECK(slowest < 2s);

    // Reading again: what it had in flight, then the end of the stream with a clear status.
    conf::v1::Event event;
    std::uint64_t last = first.sequence();
    int read = 0;
    while (watch->Read(&event)) {
        CHECK(event.sequence() > last);
        last = event.sequence();
        ++read;
    }
    grpc::Status ended = watch->Finish();
    INFO("read " << read << " more events; status: " << ended.error_message());
    CHECK(ended.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    CHECK_THAT(ended.error_message(), Catch::Matchers::Contains("replay_buffer"));
    CHECK(read < 2 * kPairs);

    // Resuming from that cursor: it is too old now, and confd says so.
    grpc::ClientContext resume_context;
    conf::v1::WatchEventsRequest resume;
    resume.set_after_sequence(last);
    resume.set_epoch(first.epoch());
    auto resumed = events->WatchEvents(&resume_context, resume);
    conf::v1::Event none;
    CHECK_FALSE(resumed->Read(&none));
    grpc::Status too_old = resumed->Finish();
    CHECK(too_old.error_code() == grpc::StatusCode::OUT_OF_RANGE);
    CHECK_THAT(too_old.error_message(), Catch::Matchers::Contains("older than the replay buffer"));

    confd.send_signal(SIGTERM);
    CHECK(confd.wait_exit(10s) == std::optional<int>(0));
    std::filesystem::remove_all(dir);
}

TEST_CASE("an open watch ends with UNAVAILABLE when confd stops", "[grpc][events]") {
    ConfdProcess confd({"--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0", "--data-dir", "data"});
    REQUIRE(confd.wait_listening());
    auto events = conf::v1::EventService::NewStub(
        grpc::CreateChannel(confd.grpc_address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    auto watch = events->WatchEvents(&context, conf::v1::WatchEventsRequest());
    watch->WaitForInitialMetadata(); // confd sends it once the watch is registered
    confd.send_signal(SIGTERM);
    conf::v1::Event event;
    while (watch->Read(&event)) {
    }
    grpc::Status status = watch->Finish();
    // confd ended it itself, rather than gRPC cancelling it after its grace period.
    CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
    CHECK(status.error_message() == "confd is stopping");
    CHECK(confd.wait_exit(10s) == std::optional<int>(0));
}
