#include "recording/manifest_store.hpp"

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

using conf::RecordingManifest;
using conf::StatusCode;

namespace {

RecordingManifest sample_manifest() {
    RecordingManifest m;
    m.set_schema_version(conf::kManifestSchemaVersion);
    m.set_id("rec-1");
    m.set_room("room-1");
    m.set_participant("alice");
    m.set_state(RecordingManifest::RECORDING);
    m.set_container(RecordingManifest::WEBM);
    // 2024-05-01T12:00:00.250Z
    *m.mutable_created_at() = conf::to_timestamp(std::chrono::system_clock::time_point(
        std::chrono::seconds(1714564800) + std::chrono::milliseconds(250)));
    m.set_start_ns(123456789012345);
    auto* file = m.add_files();
    file->set_path("alice.webm");
    auto* track = m.add_tracks();
    track->set_id("video");
    track->set_kind(RecordingManifest::VIDEO);
    track->set_codec("vp8");
    track->set_clock_rate(90000);
    return m;
}

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

TEST_CASE("manifest JSON keeps proto field names and enum names and RFC 3339 times", "[manifest]") {
    auto json = conf::manifest_to_json(sample_manifest());
    REQUIRE(json.is_ok());
    CHECK_THAT(*json, Catch::Contains("\"schema_version\": 1"));
    CHECK_THAT(*json, Catch::Contains("\"state\": \"RECORDING\""));
    CHECK_THAT(*json, Catch::Contains("\"container\": \"WEBM\""));
    CHECK_THAT(*json, Catch::Contains("\"created_at\": \"2024-05-01T12:00:00.250Z\""));
    CHECK_THAT(*json, Catch::Contains("\"clock_rate\": 90000"));
    CHECK_THAT(*json, Catch::Contains("\"kind\": \"VIDEO\""));
    // Zero and empty fields are written too, so readers see a stable shape.
    CHECK_THAT(*json, Catch::Contains("\"failure_reason\": \"\""));
    CHECK_THAT(*json, Catch::Contains("\"end_reason\": \"END_REASON_UNSPECIFIED\""));
    // 64-bit integers are strings in protobuf's JSON mapping.
    CHECK_THAT(*json, Catch::Contains("\"start_ns\": \"123456789012345\""));

    auto back = conf::manifest_from_json(*json);
    REQUIRE(back.is_ok());
    CHECK(back->SerializeAsString() == sample_manifest().SerializeAsString());
}

TEST_CASE("manifest JSON from a newer writer is read but garbage is refused", "[manifest]") {
    auto newer = conf::manifest_from_json(
        R"({"id": "rec-9", "state": "FINALIZED", "added_later": {"x": 1}, "start_ns": 42})");
    REQUIRE(newer.is_ok());
    CHECK(newer->id() == "rec-9");
    CHECK(newer->state() == RecordingManifest::FINALIZED);
    CHECK(newer->start_ns() == 42);

    // A state this reader does not know reads as unspecified: repair leaves it alone.
    auto future_state = conf::manifest_from_json(R"({"state": "ARCHIVED"})");
    REQUIRE(future_state.is_ok());
    CHECK(future_state->state() == RecordingManifest::STATE_UNSPECIFIED);

    CHECK(conf::manifest_from_json("{not json").status().code() == StatusCode::kInvalidArgument);
    CHECK(conf::manifest_from_json("[1, 2]").status().code() == StatusCode::kInvalidArgument);
    CHECK(conf::manifest_from_json(R"({"tracks": "video"})").status().code() ==
          StatusCode::kInvalidArgument);
}

TEST_CASE("the store writes atomically and leaves no temp file", "[manifest]") {
    conf::test::TempDir dir;
    conf::ManifestStore store(dir.path());
    RecordingManifest m = sample_manifest();
    REQUIRE(store.write(m).is_ok());
    m.set_state(RecordingManifest::FINALIZED);
    REQUIRE(store.write(m).is_ok());

    auto read = conf::read_manifest(store.manifest_path());
    REQUIRE(read.is_ok());
    CHECK(read->state() == RecordingManifest::FINALIZED);
    CHECK_FALSE(std::filesystem::exists(dir.path() / ".manifest.json.tmp"));
    CHECK_THAT(read_text(store.manifest_path()), Catch::Contains("\"FINALIZED\""));

    CHECK(conf::read_manifest(dir.path() / "missing.json").status().code() ==
          StatusCode::kNotFound);
    CHECK(conf::write_manifest(dir.path() / "no-such-dir" / "manifest.json", m).code() ==
          StatusCode::kNotFound);
}

TEST_CASE("the store's reserve is real disk and goes away when released", "[manifest]") {
    conf::test::TempDir dir;
    {
        conf::ManifestStore store(dir.path());
        REQUIRE(store.reserve(std::uint64_t{32} * 1024).is_ok());
        auto reserve = dir.path() / ".manifest.reserve";
        REQUIRE(std::filesystem::exists(reserve));
        CHECK(std::filesystem::file_size(reserve) == std::uint64_t{32} * 1024);
        store.release_reserve();
        CHECK_FALSE(std::filesystem::exists(reserve));
        REQUIRE(store.reserve(4096).is_ok());
    }
    // The destructor gives it back too.
    CHECK_FALSE(std::filesystem::exists(dir.path() / ".manifest.reserve"));
}

TEST_CASE("only plain identifiers are safe path components", "[manifest]") {
    for (const char* ok : {"rec-1", "room_2", "alice.smith", "A9", "x"}) {
        CHECK(conf::is_safe_path_component(ok));
    }
    for (const char* bad : {"", ".", "..", ".hidden", "a/b", "../x", "a b", "ä", "a\\b", "a\n"}) {
        CHECK_FALSE(conf::is_safe_path_component(bad));
    }
    CHECK_FALSE(conf::is_safe_path_component(std::string(129, 'a')));
    CHECK(conf::is_safe_path_component(std::string(128, 'a')));
}
