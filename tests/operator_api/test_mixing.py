"""A room's mix driven through the operator API against a real confd: a hybrid room with a
small canvas, two WHIP publishers (whip-client), a composite recording checked with ffprobe,
layouts set and locked with SetLayout/UpdateLayout, and the events those cause. Also
recordings transcoded on request (H.264 + AAC in MP4 from a VP8 + Opus publisher).
"""

import json
import os
import subprocess
import time
import unittest

import grpc
from google.protobuf import field_mask_pb2

from api_stubs import State
from api_stubs import recording_service_pb2 as recording_api
from api_stubs import room_pb2
from api_stubs import room_service_pb2 as room_api
from confd_process import WHIP_CLIENT_PATH, ConfdTestMixin, spawn
from event_watcher import EventWatcher
from rpc_checks import eventually, expect_error

ROOM = "town-hall"
CANVAS = room_pb2.Canvas(width=640, height=360, frame_rate=15)
RECORD_SECONDS = 4

# Small, cheap publishers: whip-client's default is 720p30.
PUBLISHER = ("videotestsrc is-live=true pattern={pattern} "
             "! video/x-raw,width=320,height=180,framerate=15/1 "
             "! vp8enc deadline=1 cpu-used=8 ! rtpvp8pay pt=96 ! whip. "
             "audiotestsrc is-live=true wave=sine freq={frequency} ! audioconvert ! audioresample "
             "! opusenc ! rtpopuspay pt=111 ! whip.")


def ffprobe(path):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_streams", "-show_format", "-of", "json",
         path], capture_output=True, text=True, timeout=60, check=True).stdout
    return json.loads(out)


class MixingTest(ConfdTestMixin, unittest.TestCase):
    def setUp(self):
        self.publishers = []
        self.addCleanup(self.stop_publishers)

    def stop_publishers(self):
        for process in self.publishers:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def publish(self, name, pattern, frequency, room=ROOM):
        token = self.api.call(self.api.rooms.CreateJoinToken, room_api.CreateJoinTokenRequest(
            room=room, identity=name, name=name,
            grants=room_pb2.Grants(publish=True))).token
        log = open(os.path.join(self.confd.dir, f"whip-{name}.log"), "wb")
        self.addCleanup(log.close)
        self.publishers.append(spawn(
            [WHIP_CLIENT_PATH, f"{self.confd.http_url}whip/{room}", "--token", token,
             "--duration", "120", "--pipeline", PUBLISHER.format(pattern=pattern,
                                                                  frequency=frequency)],
            stdout=log, stderr=subprocess.STDOUT))

    def room(self):
        return self.api.call(self.api.rooms.GetRoom, room_api.GetRoomRequest(name=ROOM))

    def test_composite_recording_layouts_and_events(self):
        api = self.api
        created = api.call(api.rooms.CreateRoom, room_api.CreateRoomRequest(room=room_pb2.Room(
            name=ROOM, mode=room_pb2.ROOM_MODE_HYBRID, canvas=CANVAS)))
        self.assertEqual(created.mode, room_pb2.ROOM_MODE_HYBRID)
        self.assertEqual(created.canvas, CANVAS)
        self.assertEqual(created.layout.name, "grid")
        self.assertFalse(created.mix_running, "nothing uses the mix yet")
        watch = EventWatcher(api, room=ROOM)
        self.addCleanup(watch.cancel)

        self.publish("alice", "red", 500)
        self.publish("bob", "blue", 900)
        listed = eventually(lambda: (lambda p: p if len(p) == 2 and all(
            len(x.tracks) == 2 for x in p) else None)(api.call(
                api.rooms.ListParticipants,
                room_api.ListParticipantsRequest(room=ROOM)).participants),
            30, "two publishers with two tracks each")
        ids = sorted(p.id for p in listed)

        # The composite recording starts the mix; both publishers get a tile.
        started = api.call(api.recordings.StartRecording, recording_api.StartRecordingRequest(
            room=ROOM, source=recording_api.RecordingSource(composite=True)))
        self.assertTrue(started.source.composite)
        self.assertEqual(started.state, State.RECORDING)
        watch.wait_for_kind("mix_state_changed", where=lambda p: p.running)
        watch.wait_for_kind("recording_started", where=lambda p: p.recording_id == started.id
                            and p.source.composite)
        room = eventually(lambda: (lambda r: r if len(r.tiles) == 2 else None)(self.room()), 15,
                          "two tiles in the composite")
        self.assertTrue(room.mix_running)
        self.assertEqual(sorted(t.participant_id for t in room.tiles), ids)
        for tile in room.tiles:  # two side by side on the 640x360 canvas
            self.assertEqual((tile.width, tile.height), (320, 360), tile)
        expect_error(self, grpc.StatusCode.FAILED_PRECONDITION, api.recordings.StartRecording,
                     recording_api.StartRecordingRequest(
                         room=ROOM, source=recording_api.RecordingSource(composite=True)),
                     metadata=api.metadata, timeout=api.timeout)

        # SetLayout: the speaker layout; the event carries it and who is where.
        changed = api.call(api.rooms.SetLayout, room_api.SetLayoutRequest(
            room=ROOM, layout=room_pb2.Layout(name="speaker")))
        self.assertEqual(changed.layout.name, "speaker")
        self.assertFalse(changed.layout.locked)
        event = watch.wait_for_kind("layout_changed", where=lambda p: p.layout.name == "speaker")
        self.assertEqual(len(event.layout_changed.tiles), 2)
        big = max(event.layout_changed.tiles, key=lambda t: t.width * t.height)
        self.assertGreater(big.width, 320, "the speaker's tile is the large one")

        # UpdateLayout with a mask: only `locked` changes, the name stays.
        locked = api.call(api.rooms.UpdateLayout, room_api.UpdateLayoutRequest(
            room=ROOM, layout=room_pb2.Layout(name="ignored", locked=True),
            update_mask=field_mask_pb2.FieldMask(paths=["locked"])))
        self.assertEqual(locked.layout.name, "speaker")
        self.assertTrue(locked.layout.locked)
        watch.wait_for_kind("layout_changed", where=lambda p: p.layout.locked)

        # A custom layout: alice's own region on the left half, the next free one on the right.
        custom = room_pb2.Layout(name="side-by-side", regions=[
            room_pb2.LayoutRegion(width=0.5, height=1, binding=room_pb2.LayoutRegion.PARTICIPANT,
                                  participant_id=next(p.id for p in listed if p.name == "alice")),
            room_pb2.LayoutRegion(x=0.5, width=0.5, height=1)])
        after = api.call(api.rooms.SetLayout, room_api.SetLayoutRequest(room=ROOM, layout=custom))
        self.assertEqual(after.layout.name, "side-by-side")
        self.assertEqual(len(after.layout.regions), 2)
        eventually(lambda: any(t.x == 0 and t.width == 320 for t in self.room().tiles), 10,
                   "alice's tile on the left half")

        # Stop: the composite file holds VP8 at the canvas's size, Opus, and frames all along.
        eventually(lambda: self.room().mix_running, 5, "the mix running")
        time.sleep(RECORD_SECONDS)  # media time in the file
        stopped = api.call(api.recordings.StopRecording,
                           recording_api.StopRecordingRequest(id=started.id))
        self.assertEqual(stopped.state, State.FINALIZED)
        self.assertTrue(stopped.source.composite)
        self.assertEqual(len(stopped.files), 1)
        manifest = stopped.files[0]
        self.assertTrue(manifest.composite)
        self.assertEqual(manifest.participant, "composite")
        path = os.path.join(self.confd.recordings_dir, ROOM, started.id, manifest.files[0].path)
        probed = ffprobe(path)
        streams = {s["codec_type"]: s for s in probed["streams"]}
        self.assertEqual(streams["video"]["codec_name"], "vp8")
        self.assertEqual((streams["video"]["width"], streams["video"]["height"]), (640, 360))
        self.assertEqual(streams["audio"]["codec_name"], "opus")
        duration = float(probed["format"]["duration"])
        self.assertGreater(duration, RECORD_SECONDS - 0.5)
        frames = int(streams["video"]["nb_read_frames"])
        self.assertGreater(frames, 15 * (duration - 1), f"{frames} frames in {duration} s")
        got = api.call(api.recordings.GetRecording, recording_api.GetRecordingRequest(
            id=started.id))
        self.assertTrue(got.source.composite)

        # Nothing uses the mix any more: it stops, and says so.
        watch.wait_for_kind("mix_state_changed", where=lambda p: not p.running)
        self.assertFalse(self.room().mix_running)
        self.assertEqual(len(self.room().tiles), 0)

    def test_recording_transcoded_to_h264_and_aac_in_mp4(self):
        api = self.api
        room = "clinic"
        api.call(api.rooms.CreateRoom, room_api.CreateRoomRequest(room=room_pb2.Room(name=room)))
        self.publish("alice", "red", 500, room)
        alice = eventually(lambda: (lambda p: p[0] if len(p) == 1 and len(p[0].tracks) == 2
                                    else None)(api.call(
                                        api.rooms.ListParticipants,
                                        room_api.ListParticipantsRequest(room=room)).participants),
                           30, "alice publishing two tracks")
        source = recording_api.RecordingSource(participant_id=alice.id)

        # Targets confd cannot honour are refused before anything starts.
        for request, words in [
                (dict(video_codec="H265"), "video_codec 'H265' is not a codec confd records"),
                (dict(video_codec="OPUS"), "OPUS is not a video codec"),
                (dict(audio_codec="VP8"), "VP8 is not an audio codec"),
                (dict(video_codec="VP8", container=room_pb2.CONTAINER_MP4),
                 "VP8 cannot be recorded into mp4")]:
            error = expect_error(self, grpc.StatusCode.INVALID_ARGUMENT,
                                 api.recordings.StartRecording,
                                 recording_api.StartRecordingRequest(room=room, source=source,
                                                                     **request),
                                 metadata=api.metadata, timeout=api.timeout)
            self.assertIn(words, error.details())

        started = api.call(api.recordings.StartRecording, recording_api.StartRecordingRequest(
            room=room, source=source, container=room_pb2.CONTAINER_MP4,
            video_codec="H264", audio_codec="AAC"))
        self.assertEqual(started.state, State.RECORDING)
        time.sleep(RECORD_SECONDS)  # media time in the file
        stopped = api.call(api.recordings.StopRecording,
                           recording_api.StopRecordingRequest(id=started.id))
        self.assertEqual(stopped.state, State.FINALIZED)
        manifest = stopped.files[0]
        self.assertEqual(sorted(t.codec for t in manifest.tracks), ["aac", "h264"])
        path = os.path.join(self.confd.recordings_dir, room, started.id, manifest.files[0].path)
        self.assertTrue(path.endswith(".mp4"), path)
        probed = ffprobe(path)
        streams = {s["codec_type"]: s for s in probed["streams"]}
        self.assertEqual(streams["video"]["codec_name"], "h264")
        self.assertEqual((streams["video"]["width"], streams["video"]["height"]), (320, 180))
        self.assertEqual(streams["audio"]["codec_name"], "aac")
        duration = float(probed["format"]["duration"])
        self.assertGreater(duration, RECORD_SECONDS - 1.5)
        frames = int(streams["video"]["nb_read_frames"])
        self.assertGreater(frames, 15 * (duration - 1), f"{frames} frames in {duration} s")


if __name__ == "__main__":
    unittest.main()
