// WHIP and WHEP against the real confd: a webrtcbin publisher (the kind of client OBS or a
// GStreamer app is) POSTs its offer over HTTP, confd records it, a WHEP viewer decodes it,
// and the recording is checked with ffprobe after confd stops. Bad requests get the status
// codes RFC 9725 names, and confd keeps serving.
#include "recording/manifest_store.hpp"

#include "support/confd_process.hpp"
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/tone.hpp"
#include "support/webrtc_publisher.hpp"
#include "support/whip_client.hpp"

#include <catch2/catch.hpp>
#include <openssl/evp.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <regex>
#include <thread>

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using conf::test::ConfdProcess;
using conf::test::http_request;
using conf::test::WhipClient;

namespace {

std::vector<std::string> server_args(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--http",      "127.0.0.1:0", "--grpc",
                                     "127.0.0.1:0", "--data-dir",  "data"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

std::string sha256_of(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
    std::string hex;
    for (unsigned int i = 0; i < size; ++i) {
        hex += fmt::format("{:02x}", digest[i]);
    }
    return hex;
}

// ffprobe's view of a media file: codecs, decodable video frames, duration.
struct Probe {
    std::vector<std::string> codecs;
    int video_frames = 0;
    double duration = 0;
};

Probe ffprobe(const std::filesystem::path& file) {
    std::string command = "ffprobe -v error -count_frames -show_entries "
                          "stream=codec_name,codec_type,nb_read_frames:format=duration "
                          "-of default=noprint_wrappers=1 '" +
                          file.string() + "' 2>&1";
    Probe probe;
    FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    char line[512];
    std::string type;
    while (fgets(line, sizeof(line), pipe) != nullptr) {
        std::string text(line);
        text.erase(text.find_last_not_of("\r\n") + 1);
        if (text.rfind("codec_name=", 0) == 0) {
            probe.codecs.push_back(text.substr(11));
        } else if (text.rfind("codec_type=", 0) == 0) {
            type = text.substr(11);
        } else if (text.rfind("nb_read_frames=", 0) == 0 && type == "video") {
            probe.video_frames = std::atoi(text.c_str() + 15);
        } else if (text.rfind("duration=", 0) == 0) {
            probe.duration = std::atof(text.c_str() + 9);
        }
    }
    pclose(pipe);
    return probe;
}

std::filesystem::path only_manifest(const std::filesystem::path& room_dir) {
    std::vector<std::filesystem::path> found;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(room_dir)) {
        if (entry.path().filename() == "manifest.json") {
            found.push_back(entry.path());
        }
    }
    REQUIRE(found.size() == 1);
    return found[0];
}

} // namespace

TEST_CASE("a WHIP publish is recorded and SIGTERM finalizes it, and a WHEP viewer decodes it",
          "[whip][recording]") {
    ConfdProcess confd(server_args({"--profile", "recorder"}));
    REQUIRE(confd.wait_listening());
    std::string base = confd.http_url(); // "http://127.0.0.1:PORT/"

    auto publisher =
        std::make_unique<WhipClient>(conf::test::kTestPublisher, base + "whip/lecture");
    auto published = publisher->wait_response();
    INFO(published.body);
    REQUIRE(published.status == 201);
    CHECK(published.content_type == "application/sdp");
    CHECK_THAT(published.body, Contains("a=fingerprint:sha-256"));
    std::smatch location;
    REQUIRE(
        std::regex_match(published.location, location, std::regex("/whip/lecture/([0-9a-f]{32})")));
    std::string session = location[1];
    auto started = std::chrono::steady_clock::now();

    // A WHEP viewer of that publisher decodes its video.
    std::this_thread::sleep_for(1s); // the publisher's tracks must be flowing to be viewed
    WhipClient viewer(
        "webrtcbin name=peer", base + "whep/lecture/" + session,
        {.receivers = {
             "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=98"}});
    auto viewed = viewer.wait_response();
    INFO(viewed.body);
    REQUIRE(viewed.status == 201);
    CHECK_THAT(viewed.location, Contains("/whep/lecture/" + session + "/"));
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (viewer.peer().decoded_video_frames() < 30 &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
    }
    CHECK(viewer.peer().decoded_video_frames() >= 30);

    while (std::chrono::steady_clock::now() - started < 5s) {
        std::this_thread::sleep_for(50ms);
    }
    double published_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    confd.send_signal(SIGTERM);
    auto code = confd.wait_exit(5s);
    REQUIRE(code.has_value());
    CHECK(*code == 0);

    auto manifest_path = only_manifest(confd.work_dir() / "data" / "recordings" / "lecture");
    auto manifest = conf::read_manifest(manifest_path);
    REQUIRE(manifest.is_ok());
    CHECK(manifest->state() == conf::RecordingManifest::FINALIZED);
    CHECK(manifest->room() == "lecture");
    REQUIRE(manifest->files_size() == 1);
    auto media = manifest_path.parent_path() / manifest->files(0).path();
    CHECK(manifest->files(0).sha256() == sha256_of(media));

    Probe probe = ffprobe(media);
    CHECK(std::find(probe.codecs.begin(), probe.codecs.end(), "vp8") != probe.codecs.end());
    CHECK(std::find(probe.codecs.begin(), probe.codecs.end(), "opus") != probe.codecs.end());
    CHECK(probe.video_frames >= 100);
    // The recording starts with the first media, a moment after the 201.
    CHECK(probe.duration > published_seconds * 0.8);
    CHECK(probe.duration < published_seconds * 1.15);
}

TEST_CASE("WHEP viewers that take only H.264, or ask for a smaller picture, get a transcode",
          "[whep][transcode]") {
    ConfdProcess confd(server_args());
    REQUIRE(confd.wait_listening());
    std::string base = confd.http_url();
    WhipClient publisher(conf::test::kTestPublisher, base + "whip/clinic"); // VP8, 320x240
    auto published = publisher.wait_response();
    REQUIRE(published.status == 201);
    std::string whep =
        base + "whep/clinic/" + published.location.substr(published.location.rfind('/') + 1);

    // Viewed until its tracks are there (412 before that), each viewer with its one codec.
    auto view = [&](const std::string& url, const std::string& caps) {
        std::unique_ptr<WhipClient> viewer;
        REQUIRE(conf::test::eventually(
            [&] {
                viewer = std::make_unique<WhipClient>("webrtcbin name=peer", url,
                                                      conf::test::WhipOptions{.receivers = {caps}});
                return viewer->wait_response().status == 201;
            },
            15s));
        return viewer;
    };
    auto h264 = view(whep, "application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,"
                           "payload=102,packetization-mode=(string)1,"
                           "profile-level-id=(string)42e01f");
    auto small = view(whep + "?height=120",
                      "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,"
                      "payload=96");
    CHECK(conf::test::eventually([&] { return h264->peer().decoded_video_frames() >= 30; }, 20s));
    CHECK(h264->peer().decoded_video_height() == 240);
    CHECK(conf::test::eventually([&] { return small->peer().decoded_video_frames() >= 30; }, 20s));
    CHECK(small->peer().decoded_video_height() == 120);
    CHECK_THAT(confd.stderr_text(), Contains("VP8 -> H264 with x264enc") &&
                                        Contains("VP8 -> VP8 with vp8enc at height 120"));
}

TEST_CASE("POST /whep/{room} views the room's mix: one composite picture and every voice",
          "[whep][mix]") {
    ConfdProcess confd(server_args());
    REQUIRE(confd.wait_listening());
    std::string base = confd.http_url();

    CHECK(http_request("POST", base + "whep/nowhere", "v=0\r\n", "application/sdp").status == 404);
    WhipClient alice(conf::test::test_publisher("pattern=red", 500), base + "whip/panel");
    REQUIRE(alice.wait_response().status == 201);
    WhipClient bob(conf::test::test_publisher("pattern=blue", 900), base + "whip/panel");
    REQUIRE(bob.wait_response().status == 201);

    WhipClient viewer(
        "webrtcbin name=peer", base + "whep/panel",
        {.receivers = {"application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,"
                       "payload=98",
                       "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,"
                       "encoding-params=(string)2,payload=111"}});
    auto viewed = viewer.wait_response();
    INFO(viewed.body);
    REQUIRE(viewed.status == 201);
    std::smatch location;
    REQUIRE(
        std::regex_match(viewed.location, location, std::regex("/whep/panel/mix/([0-9a-f]{32})")));
    // One picture (the composite) and one sound with both voices in it.
    REQUIRE(
        conf::test::eventually([&] { return viewer.peer().video_streams_decoding(30) == 1; }, 30s));
    REQUIRE(conf::test::eventually(
        [&] {
            auto heard = viewer.peer().received_audio();
            return heard.size() == 1 && heard[0].size() >= 48000 * 2;
        },
        20s));
    auto heard = viewer.peer().received_audio()[0];
    std::vector<float> recent(heard.end() - 48000, heard.end());
    CHECK(conf::test::tone_db(recent, 500) > -40.0);
    CHECK(conf::test::tone_db(recent, 900) > -40.0);

    auto ended = http_request("DELETE", base + viewed.location.substr(1));
    CHECK(ended.status == 200);
    CHECK(http_request("DELETE", base + viewed.location.substr(1)).status == 404);
}

TEST_CASE("bad WHIP requests get RFC 9725 status codes and confd keeps serving", "[whip]") {
    ConfdProcess confd(server_args());
    REQUIRE(confd.wait_listening());
    std::string whip = confd.http_url() + "whip/room1";

    auto garbage = http_request("POST", whip, "this is not SDP", "application/sdp");
    CHECK(garbage.status == 400);
    CHECK_THAT(garbage.body, Contains("v=0"));

    auto no_media = http_request(
        "POST", whip, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", "application/sdp");
    CHECK(no_media.status == 400);
    CHECK_THAT(no_media.body, Contains("no media"));

    std::string h265_only = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                            "m=video 9 UDP/TLS/RTP/SAVPF 100\r\nc=IN IP4 0.0.0.0\r\n"
                            "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
                            "a=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\na=mid:0\r\n"
                            "a=sendonly\r\na=rtcp-mux\r\na=rtpmap:100 H265/90000\r\n";
    auto unsupported = http_request("POST", whip, h265_only, "application/sdp");
    CHECK(unsupported.status == 400);
    CHECK_THAT(unsupported.body, Contains("no supported codec") && Contains("H265"));

    auto wrong_type = http_request("POST", whip, "v=0\r\n", "text/plain");
    CHECK(wrong_type.status == 415);

    auto huge = http_request("POST", whip, std::string(2 * 1024 * 1024, 'a'), "application/sdp");
    CHECK(huge.status == 413);

    auto unknown_delete = http_request("DELETE", whip + "/0123456789abcdef0123456789abcdef");
    CHECK(unknown_delete.status == 404);
    auto unknown_patch =
        http_request("PATCH", whip + "/nope", "a=candidate:1 1 UDP 1 1.2.3.4 5 typ host\r\n",
                     "application/trickle-ice-sdpfrag");
    CHECK(unknown_patch.status == 404);
    auto wrong_method = http_request("GET", whip);
    CHECK(wrong_method.status == 405);
    auto unknown_publisher =
        http_request("POST", confd.http_url() + "whep/room1/nope", h265_only, "application/sdp");
    CHECK(unknown_publisher.status == 404);
    for (const char* height : {"abc", "5", "99999", "120x"}) {
        auto bad_height =
            http_request("POST", confd.http_url() + "whep/room1/nope?height=" + height, h265_only,
                         "application/sdp");
        CHECK(bad_height.status == 400);
        CHECK_THAT(bad_height.body, Contains("height must be an integer 90-2160"));
    }
    auto bad_room =
        http_request("POST", confd.http_url() + "whip/.hidden", h265_only, "application/sdp");
    CHECK(bad_room.status == 400);
    // libsoup resolves "/whip/.." to "/", the web client's page: never a publish.
    auto dot_dot = http_request("POST", confd.http_url() + "whip/..", h265_only, "application/sdp");
    CHECK(dot_dot.status == 405);

    // Still serving, and nothing half-created lingers.
    CHECK(http_request("GET", confd.http_url() + "healthz").status == 200);
    confd.send_signal(SIGTERM);
    CHECK(confd.wait_exit(5s) == std::optional<int>(0));
    CHECK_FALSE(std::filesystem::exists(confd.work_dir() / "data" / "recordings" / "room1"));
}

TEST_CASE("the session limit answers 429 and DELETE ends a session", "[whip][limits]") {
    std::filesystem::path config =
        std::filesystem::temp_directory_path() / fmt::format("confd-limit-{}.json", ::getpid());
    {
        std::ofstream out(config);
        out << R"({"limits": {"max_sessions": 1}})";
    }
    ConfdProcess confd(server_args({"--config", config.string()}));
    REQUIRE(confd.wait_listening());
    std::string whip = confd.http_url() + "whip/room1";

    auto first = std::make_unique<WhipClient>(conf::test::kTestPublisher, whip);
    auto accepted = first->wait_response();
    REQUIRE(accepted.status == 201);
    auto second = std::make_unique<WhipClient>(conf::test::kTestPublisher, whip);
    auto refused = second->wait_response();
    CHECK(refused.status == 429);
    CHECK_THAT(refused.body, Contains("max_sessions"));

    auto ended = http_request("DELETE", confd.http_url() + accepted.location.substr(1));
    CHECK(ended.status == 200);
    auto again = http_request("DELETE", confd.http_url() + accepted.location.substr(1));
    CHECK(again.status == 404);

    // The slot is free again.
    second.reset();
    auto third = std::make_unique<WhipClient>(conf::test::kTestPublisher, whip);
    CHECK(third->wait_response().status == 201);
    std::filesystem::remove(config);
}

TEST_CASE("kill -9 mid-recording: after restart the manifest is interrupted and the file plays",
          "[whip][recording][crash]") {
    conf::test::TempDir data;
    std::vector<std::string> args = {"--http",     "127.0.0.1:0",        "--grpc",    "127.0.0.1:0",
                                     "--data-dir", data.path().string(), "--profile", "recorder"};
    double recorded_seconds = 0;
    {
        ConfdProcess confd(args);
        REQUIRE(confd.wait_listening());
        auto publisher = std::make_unique<WhipClient>(conf::test::kTestPublisher,
                                                      confd.http_url() + "whip/crash");
        REQUIRE(publisher->wait_response().status == 201);
        // Wait for the recording to exist, then let it run.
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!std::filesystem::exists(data.path() / "recordings" / "crash") &&
               std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(20ms);
        }
        auto started = std::chrono::steady_clock::now();
        std::this_thread::sleep_for(4s);
        recorded_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        confd.send_signal(SIGKILL);
        REQUIRE(confd.wait_exit(5s).has_value());
    }
    auto manifest_path = only_manifest(data.path() / "recordings" / "crash");
    REQUIRE(conf::read_manifest(manifest_path)->state() == conf::RecordingManifest::RECORDING);

    ConfdProcess restarted(args);
    REQUIRE(restarted.wait_listening());
    auto manifest = conf::read_manifest(manifest_path);
    REQUIRE(manifest.is_ok());
    CHECK(manifest->state() == conf::RecordingManifest::INTERRUPTED);
    REQUIRE(manifest->files_size() == 1);
    auto media = manifest_path.parent_path() / manifest->files(0).path();
    CHECK(manifest->files(0).sha256() == sha256_of(media));
    Probe probe = ffprobe(media);
    INFO("recorded about " << recorded_seconds << " s; ffprobe says " << probe.duration);
    CHECK(probe.video_frames >= 60);
    double measured = static_cast<double>(manifest->duration_ns()) / 1e9;
    CHECK(measured > recorded_seconds - 1.0);
    CHECK(measured < recorded_seconds + 1.5);
    restarted.send_signal(SIGTERM);
    CHECK(restarted.wait_exit(5s) == std::optional<int>(0));
}
