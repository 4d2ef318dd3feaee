"""Live streams of a room's mix through the operator API against a real confd: an HLS stream
served by confd over HTTP (played with ffprobe, its playlist advancing), an RTMP push to a port
where nothing listens (reported, its key never shown), the limits and the bad requests.
The RTMP push into a real server (nginx with Debian's libnginx-mod-rtmp) is tested in
tests/unit/streaming.
"""

import json
import os
import re
import socket
import subprocess
import time
import unittest
import urllib.error
import urllib.request

import grpc

from api_stubs import room_pb2
from api_stubs import room_service_pb2 as room_api
from api_stubs import stream_service_pb2 as stream_api
from confd_process import WHIP_CLIENT_PATH, ConfdTestMixin, spawn
from event_watcher import EventWatcher
from rpc_checks import eventually, expect_error

Code = grpc.StatusCode
Stream = stream_api.Stream
ROOM = "broadcast"
KEY = "live_sk_0123456789abcdef"  # an RTMP stream key: secret, never to be shown

PUBLISHER = ("videotestsrc is-live=true pattern=smpte "
             "! video/x-raw,width=320,height=180,framerate=15/1 "
             "! vp8enc deadline=1 cpu-used=8 ! rtpvp8pay pt=96 ! whip. "
             "audiotestsrc is-live=true wave=sine freq=600 ! audioconvert ! audioresample "
             "! opusenc ! rtpopuspay pt=111 ! whip.")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url):
    """(status, content type, body) of a GET; errors are answers too."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers.get("Content-Type"), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type"), error.read()


def media_sequence(playlist):
    match = re.search(rb"#EXT-X-MEDIA-SEQUENCE:(\d+)", playlist)
    return int(match.group(1)) if match else -1


class StreamsTest(ConfdTestMixin, unittest.TestCase):
    # A small canvas keeps the composite and the H.264 encode cheap beside the other tests.
    confd_config = {"mixing": {"width": 640, "height": 360, "frame_rate": 15}}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        api = cls.api
        api.call(api.rooms.CreateRoom, room_api.CreateRoomRequest(room=room_pb2.Room(name=ROOM)))
        token = api.call(api.rooms.CreateJoinToken, room_api.CreateJoinTokenRequest(
            room=ROOM, identity="host", grants=room_pb2.Grants(publish=True))).token
        cls.log = open(os.path.join(cls.confd.dir, "whip-client.log"), "wb")
        cls.addClassCleanup(cls.log.close)
        cls.publisher = spawn([WHIP_CLIENT_PATH, f"{cls.confd.http_url}whip/{ROOM}", "--token",
                               token, "--duration", "120", "--pipeline", PUBLISHER],
                              stdout=cls.log, stderr=subprocess.STDOUT)
        cls.addClassCleanup(cls.stop_publisher)

    @classmethod
    def stop_publisher(cls):
        if cls.publisher.poll() is None:
            cls.publisher.terminate()
            cls.publisher.wait(10)

    def expect(self, code, method, request, secrets=()):
        return expect_error(self, code, self.api.call, method, request, secrets=secrets)

    def test_hls_plays_from_confd_and_its_playlist_advances(self):
        api = self.api
        watch = EventWatcher(api, room=ROOM)
        self.addCleanup(watch.cancel)
        stream = api.call(api.streams.StartStream, stream_api.StartStreamRequest(
            room=ROOM, hls=stream_api.HlsTarget(segment_seconds=2, playlist_length=3)))
        self.assertEqual(stream.kind, Stream.HLS)
        self.assertEqual(stream.state, Stream.LIVE)
        self.assertRegex(stream.id, r"^[0-9a-f]{32}$")
        self.assertEqual(stream.playlist_path, f"/hls/{ROOM}/{stream.id}/index.m3u8")
        watch.wait_for_kind("stream_state_changed", where=lambda p: p.stream.id == stream.id
                            and p.stream.state == Stream.LIVE)
        self.assertIn(stream.id, [s.id for s in api.call(
            api.streams.ListStreams, stream_api.ListStreamsRequest(room=ROOM)).streams])

        url = self.confd.http_url + stream.playlist_path.lstrip("/")
        first = eventually(lambda: (lambda r: r if r[0] == 200 and r[2].count(b".ts") >= 2
                                    else None)(fetch(url)), 30, "a playlist with two segments")
        self.assertEqual(first[1], "application/vnd.apple.mpegurl")
        self.assertTrue(first[2].startswith(b"#EXTM3U"), first[2])
        segment = re.search(rb"^([^#\s][^\s]*\.ts)$", first[2], re.M).group(1).decode()
        status, content_type, body = fetch(url.rsplit("/", 1)[0] + "/" + segment)
        self.assertEqual((status, content_type), (200, "video/mp2t"))
        self.assertGreater(len(body), 1000)

        # ffprobe plays it over HTTP, as a player would: H.264 at the canvas size, and AAC.
        probed = json.loads(subprocess.run(
            ["ffprobe", "-v", "error", "-show_streams", "-of", "json", url],
            capture_output=True, text=True, timeout=60, check=True).stdout)
        streams = {s["codec_type"]: s for s in probed["streams"]}
        self.assertEqual(streams["video"]["codec_name"], "h264")
        self.assertEqual((streams["video"]["width"], streams["video"]["height"]), (640, 360))
        self.assertEqual(streams["audio"]["codec_name"], "aac")

        # Live: the playlist moves on, a segment every 2 s.
        sequence = media_sequence(first[2])
        eventually(lambda: media_sequence(fetch(url)[2]) >= sequence + 2, 20,
                   "the playlist's media sequence advancing by two")

        stopped = api.call(api.streams.StopStream, stream_api.StopStreamRequest(id=stream.id))
        self.assertEqual(stopped.state, Stream.ENDED)
        watch.wait_for_kind("stream_state_changed", where=lambda p: p.stream.id == stream.id
                            and p.stream.state == Stream.ENDED)
        # The playlist ends (players stop asking), and the stream is gone from the list.
        eventually(lambda: b"#EXT-X-ENDLIST" in fetch(url)[2], 10, "the playlist's end")
        self.assertNotIn(stream.id, [s.id for s in api.call(
            api.streams.ListStreams, stream_api.ListStreamsRequest()).streams])
        self.expect(Code.NOT_FOUND, api.streams.StopStream,
                    stream_api.StopStreamRequest(id=stream.id))

    def test_rtmp_to_nowhere_is_reported_without_its_key(self):
        api = self.api
        watch = EventWatcher(api, room=ROOM)
        self.addCleanup(watch.cancel)
        url = f"rtmp://127.0.0.1:{free_port()}/live/{KEY}"
        stream = api.call(api.streams.StartStream, stream_api.StartStreamRequest(
            room=ROOM, rtmp=stream_api.RtmpTarget(url=url)))
        self.assertEqual(stream.kind, Stream.RTMP)
        self.assertNotIn(KEY, str(stream))
        self.assertTrue(stream.rtmp_url.endswith("/live"), stream.rtmp_url)
        # Nothing listens: confd says so, and tries again.
        event = watch.wait_for_kind("stream_state_changed", timeout=20, where=lambda p:
                                    p.stream.id == stream.id and p.stream.state in (
                                        Stream.RECONNECTING, Stream.FAILED))
        self.assertNotEqual(event.stream_state_changed.stream.error, "")
        self.assertNotIn(KEY, str(event))
        api.call(api.streams.StopStream, stream_api.StopStreamRequest(id=stream.id))
        with open(self.confd._stderr_path, encoding="utf-8", errors="replace") as log:
            self.assertNotIn(KEY, log.read(), "the stream key is in confd's log")

    def test_bad_stream_requests(self):
        api = self.api
        bad = [
            (Code.INVALID_ARGUMENT, stream_api.StartStreamRequest(room=ROOM)),
            (Code.INVALID_ARGUMENT, stream_api.StartStreamRequest(
                room=ROOM, rtmp=stream_api.RtmpTarget(url=f"http://example.org/live/{KEY}"))),
            (Code.INVALID_ARGUMENT, stream_api.StartStreamRequest(
                room=ROOM, rtmp=stream_api.RtmpTarget(url="rtmp://"))),
            (Code.INVALID_ARGUMENT, stream_api.StartStreamRequest(
                room=ROOM, hls=stream_api.HlsTarget(segment_seconds=3))),
            (Code.INVALID_ARGUMENT, stream_api.StartStreamRequest(
                room=ROOM, hls=stream_api.HlsTarget(playlist_length=100))),
            (Code.INVALID_ARGUMENT, stream_api.StartStreamRequest(
                room="../x", hls=stream_api.HlsTarget())),
            (Code.NOT_FOUND, stream_api.StartStreamRequest(
                room="nowhere", hls=stream_api.HlsTarget())),
        ]
        for code, request in bad:
            with self.subTest(request=str(request).replace("\n", " ")):
                self.expect(code, api.streams.StartStream, request, secrets=[KEY])
        self.expect(Code.NOT_FOUND, api.streams.StopStream, stream_api.StopStreamRequest(id="x"))

        # streams.max_per_room (2 by default): the third is refused; stopping one frees it.
        first = api.call(api.streams.StartStream, stream_api.StartStreamRequest(
            room=ROOM, hls=stream_api.HlsTarget()))
        second = api.call(api.streams.StartStream, stream_api.StartStreamRequest(
            room=ROOM, hls=stream_api.HlsTarget()))
        self.expect(Code.RESOURCE_EXHAUSTED, api.streams.StartStream,
                    stream_api.StartStreamRequest(room=ROOM, hls=stream_api.HlsTarget()))
        for stream in (first, second):
            api.call(api.streams.StopStream, stream_api.StopStreamRequest(id=stream.id))

        # Only names a stream makes are served (libsoup itself refuses encoded slashes).
        for path in ("hls/../../etc/passwd", f"hls/{ROOM}/x/..%2f..%2fconfd.json",
                     f"hls/{ROOM}/{first.id}/index.txt", "hls/a/b/.hidden.ts"):
            with self.subTest(path=path):
                self.assertIn(fetch(self.confd.http_url + path)[0], (400, 404))


if __name__ == "__main__":
    unittest.main()
