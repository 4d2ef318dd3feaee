"""A meeting run through the operator API against a real confd, checked from outside.

Rooms are created, listed a page at a time and deleted; a join token is minted and used by a
real WHIP publisher (whip-client); the room is recorded and the file is checked with ffprobe
and against its manifest; the event stream is watched, cancelled and resumed with no gap and
no repeat.
"""

import base64
import hashlib
import json
import os
import subprocess
import time
import unittest

import grpc
from google.protobuf import duration_pb2
from google.protobuf import json_format

from api_stubs import State
from api_stubs import recording_manifest_pb2 as manifest_pb2
from api_stubs import recording_service_pb2 as recording_api
from api_stubs import room_pb2
from api_stubs import room_service_pb2 as room_api
from confd_process import WHIP_CLIENT_PATH, ConfdTestMixin, spawn
from event_watcher import EventWatcher, payload
from rpc_checks import eventually, expect_error

ROOM = "standup"
OTHER_ROOM = "retro"  # created first; only there to page over two rooms
TOKEN_TTL_S = 600
# How long the room is recorded: the member recording starts once its tracks have arrived.
RECORD_SECONDS = 5

Kind = room_pb2.MediaKind


def jwt_parts(token):
    """The header and claims of a compact JWS, decoded without checking the signature."""
    def decode(part):
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    header, claims, _signature = token.split(".")
    return decode(header), decode(claims)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as media:
        for block in iter(lambda: media.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class MeetingScenarioTest(ConfdTestMixin, unittest.TestCase):
    def setUp(self):
        self.whip_client = None
        self.addCleanup(self.stop_whip_client)

    def test_meeting_end_to_end(self):
        api = self.api
        api.call(api.rooms.CreateRoom,
                 room_api.CreateRoomRequest(room=room_pb2.Room(name=OTHER_ROOM)))
        # Event #1 is that room's room_created. Resuming after it, rather than watching "from
        # now", makes the stream start with the next event whenever the server registers the
        # watch: no race with the calls below.
        watch = EventWatcher(api, after_sequence=1)
        self.addCleanup(watch.cancel)

        self.check_rooms()
        token = self.check_join_token()
        participant = self.join_with_whip_client(token, watch)
        recording = self.check_recording(participant, watch)
        self.check_recording_lookups(recording)
        seen = self.check_events(watch, participant, recording)

        # Cancel the watch, act while nobody watches, then resume from the last event seen.
        watch.cancel()
        last = seen[-1]
        video = next(track for track in participant.tracks if track.kind == Kind.MEDIA_KIND_VIDEO)
        self.check_mute(participant, video)
        self.check_remove(participant)
        resumed = EventWatcher(api, after_sequence=last.sequence, epoch=last.epoch)
        self.addCleanup(resumed.cancel)
        self.check_resumed_events(resumed, last, participant, video)

        self.check_delete(resumed)

    # --- steps -----------------------------------------------------------------------------

    def check_rooms(self):
        api = self.api
        before = time.time()
        room = api.call(api.rooms.CreateRoom, room_api.CreateRoomRequest(room=room_pb2.Room(
            name=ROOM, mode=room_pb2.ROOM_MODE_SFU,
            recording_policy=room_pb2.RecordingPolicy(mode=room_pb2.RecordingPolicy.MANUAL))))
        self.assertEqual(room.name, ROOM)
        self.assertEqual(room.mode, room_pb2.ROOM_MODE_SFU)
        self.assertTrue(room.managed, "a room CreateRoom made is managed")
        self.assertEqual(room.participant_count, 0)
        self.assertEqual(room.active_recording_id, "")
        self.assertTrue(room.HasField("create_time"))
        self.assertLess(abs(room.create_time.seconds - before), 60, room.create_time)

        got = api.call(api.rooms.GetRoom, room_api.GetRoomRequest(name=ROOM))
        self.assertEqual(got.name, ROOM)
        self.assertTrue(got.managed)
        self.assertEqual(got.create_time, room.create_time)

        # Two rooms, one per page, in name order; the last page has no next token.
        first = api.call(api.rooms.ListRooms, room_api.ListRoomsRequest(page_size=1))
        self.assertEqual([r.name for r in first.rooms], [OTHER_ROOM])
        self.assertNotEqual(first.next_page_token, "", "a second page should follow")
        second = api.call(api.rooms.ListRooms, room_api.ListRoomsRequest(
            page_size=1, page_token=first.next_page_token))
        self.assertEqual([r.name for r in second.rooms], [ROOM])
        self.assertEqual(second.next_page_token, "", "the second page is the last")
        everything = api.call(api.rooms.ListRooms, room_api.ListRoomsRequest())
        self.assertEqual([r.name for r in everything.rooms], [OTHER_ROOM, ROOM])
        self.assertEqual(everything.next_page_token, "")

    def check_join_token(self):
        api = self.api
        before = int(time.time())
        response = api.call(api.rooms.CreateJoinToken, room_api.CreateJoinTokenRequest(
            room=ROOM, identity="alice", name="Alice",
            grants=room_pb2.Grants(publish=True, subscribe=True),
            ttl=duration_pb2.Duration(seconds=TOKEN_TTL_S)))
        token = response.token
        self.assertEqual(token.count("."), 2, "a compact JWS has three parts")
        # {public_url}/r/{room}#token=..., public_url defaulting to confd's own HTTP address.
        self.assertIn(f"/r/{ROOM}", response.join_url)
        self.assertTrue(response.join_url.startswith(self.confd.http_url.rstrip("/") + "/r/"),
                        response.join_url)
        self.assertEqual(response.join_url.split("#token=", 1)[-1], token)
        expires = response.expire_time.seconds
        self.assertGreater(expires, time.time(), "expire_time must be in the future")
        self.assertGreaterEqual(expires, before + TOKEN_TTL_S - 1)
        self.assertLessEqual(expires, int(time.time()) + TOKEN_TTL_S + 1)

        header, claims = jwt_parts(token)
        self.assertEqual(header.get("alg"), "HS256")
        self.assertEqual(claims.get("room"), ROOM)
        self.assertEqual(claims.get("sub"), "alice")
        self.assertEqual(claims.get("name"), "Alice")
        self.assertEqual(claims.get("exp"), expires)
        grants = claims.get("grants", {})
        self.assertTrue(grants.get("publish") and grants.get("subscribe"), claims)
        self.assertFalse(grants.get("record") or grants.get("admin"), claims)
        return token

    def join_with_whip_client(self, token, watch):
        """Publishes whip-client's VP8 + Opus test pattern with the token; returns the
        participant once ListParticipants shows both its tracks."""
        self.assertTrue(WHIP_CLIENT_PATH and os.access(WHIP_CLIENT_PATH, os.X_OK),
                        f"WHIP_CLIENT_PATH={WHIP_CLIENT_PATH!r} is not an executable")
        self.whip_log = os.path.join(self.confd.dir, "whip-client.log")
        with open(self.whip_log, "wb") as log:
            self.whip_client = spawn(
                [WHIP_CLIENT_PATH, f"{self.confd.http_url}whip/{ROOM}", "--token", token,
                 "--duration", "120"], stdout=log, stderr=subprocess.STDOUT)

        def joined():
            if self.whip_client.poll() is not None:
                return "exited"
            listed = self.api.call(self.api.rooms.ListParticipants,
                                   room_api.ListParticipantsRequest(room=ROOM))
            for candidate in listed.participants:
                if candidate.identity == "alice" and len(candidate.tracks) == 2:
                    return candidate
            return None

        try:
            participant = eventually(joined, 20, "alice with two tracks in ListParticipants")
        except AssertionError as error:
            raise AssertionError(f"{error}\nwhip-client:\n{self.whip_client_output()}") from None
        if participant == "exited":
            self.fail(f"whip-client exited with {self.whip_client.returncode}:\n"
                      f"{self.whip_client_output()}")
        self.assertEqual(participant.kind, room_pb2.Participant.WHIP)
        self.assertNotEqual(participant.id, "")
        self.assertEqual(sorted(track.kind for track in participant.tracks),
                         [Kind.MEDIA_KIND_AUDIO, Kind.MEDIA_KIND_VIDEO])
        self.assertEqual(len({track.id for track in participant.tracks}), 2)
        self.assertFalse(any(track.muted for track in participant.tracks))

        room = self.api.call(self.api.rooms.GetRoom, room_api.GetRoomRequest(name=ROOM))
        self.assertEqual(room.participant_count, 1)

        joined_event = watch.wait_for_kind(
            "participant_joined", where=lambda p: p.participant.id == participant.id)
        self.assertEqual(joined_event.room, ROOM)
        self.assertEqual(joined_event.participant_joined.participant.identity, "alice")
        for track in participant.tracks:
            watch.wait_for_kind("track_published", where=lambda p, track=track: (
                p.participant_id == participant.id and p.track.id == track.id))
        return participant

    def check_recording(self, participant, watch):
        api = self.api
        started = api.call(api.recordings.StartRecording, recording_api.StartRecordingRequest(
            room=ROOM, source=recording_api.RecordingSource(room=True)))
        self.assertNotEqual(started.id, "")
        self.assertEqual(started.room, ROOM)
        self.assertEqual(started.state, State.RECORDING)
        self.assertEqual(started.source.WhichOneof("source"), "room")
        self.assertTrue(started.HasField("start_time"))
        self.assertFalse(started.HasField("end_time"), "end_time is unset while recording")
        room = api.call(api.rooms.GetRoom, room_api.GetRoomRequest(name=ROOM))
        self.assertEqual(room.active_recording_id, started.id)
        watch.wait_for_kind("recording_started", where=lambda p: p.recording_id == started.id)

        time.sleep(RECORD_SECONDS)
        stopped = api.call(api.recordings.StopRecording,
                           recording_api.StopRecordingRequest(id=started.id))
        self.assertEqual(stopped.id, started.id)
        self.assertEqual(stopped.state, State.FINALIZED, stopped)
        self.assertTrue(stopped.HasField("end_time"))
        self.assertGreaterEqual(stopped.end_time.ToNanoseconds(),
                                stopped.start_time.ToNanoseconds())
        self.assertNotEqual(stopped.manifest_path, "")
        self.assertEqual(len(stopped.files), 1, "one manifest per member recorded")

        manifest = stopped.files[0]
        self.assertEqual(manifest.state, State.FINALIZED)
        self.assertEqual(manifest.room, ROOM)
        self.assertEqual(manifest.participant, participant.id)
        self.assertEqual(sorted(track.codec for track in manifest.tracks), ["opus", "vp8"])
        self.assertEqual(len(manifest.files), 1)
        media = manifest.files[0]
        self.assertGreater(media.bytes, 0)

        directory = self.member_directory(stopped, manifest)
        on_disk = manifest_pb2.RecordingManifest()
        with open(os.path.join(directory, "manifest.json"), encoding="utf-8") as text:
            json_format.Parse(text.read(), on_disk, ignore_unknown_fields=True)
        self.assertEqual(on_disk, manifest, "the API returns the manifest as written")

        path = os.path.join(directory, media.path)
        self.assertEqual(os.path.getsize(path), media.bytes)
        self.assertEqual(sha256_of(path), media.sha256)
        self.check_media_file(path)

        with open(os.path.join(self.confd.recordings_dir, stopped.manifest_path),
                  encoding="utf-8") as text:
            session = json.load(text)
        self.assertEqual(session.get("state"), "FINALIZED", session)
        self.assertIn(manifest.id, [entry.get("id") for entry in session.get("recordings", [])])
        return stopped

    def member_directory(self, recording, manifest):
        """{recordings}/{room}/{member recording dir}/: found through the session manifest
        (docs/recording.md), with {room}/{manifest id}/ as the layout's plain reading."""
        recordings = self.confd.recordings_dir
        candidates = []
        session_file = os.path.join(recordings, recording.manifest_path)
        if os.path.isfile(session_file):
            with open(session_file, encoding="utf-8") as text:
                for entry in json.load(text).get("recordings", []):
                    if entry.get("id") == manifest.id and entry.get("manifest"):
                        candidates.append(os.path.normpath(os.path.join(
                            os.path.dirname(session_file), os.path.dirname(entry["manifest"]))))
        candidates.append(os.path.join(recordings, recording.room, manifest.id))
        for directory in candidates:
            if os.path.isfile(os.path.join(directory, "manifest.json")):
                return directory
        self.fail(f"no manifest.json in {candidates}; manifest_path={recording.manifest_path!r}")

    def check_media_file(self, path):
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries",
             "format=duration:stream=codec_type,codec_name", "-of", "json", path],
            capture_output=True, text=True, timeout=60, check=False)
        self.assertEqual(probe.returncode, 0, f"ffprobe {path}: {probe.stderr}")
        info = json.loads(probe.stdout)
        streams = {(s.get("codec_type"), s.get("codec_name")) for s in info.get("streams", [])}
        self.assertIn(("video", "vp8"), streams, info)
        self.assertIn(("audio", "opus"), streams, info)
        self.assertGreaterEqual(float(info["format"]["duration"]), 1.0, info)

    def check_recording_lookups(self, recording):
        api = self.api
        got = api.call(api.recordings.GetRecording,
                       recording_api.GetRecordingRequest(id=recording.id))
        self.assertEqual(got.id, recording.id)
        self.assertEqual(got.state, State.FINALIZED)
        self.assertEqual(len(got.files), len(recording.files))
        listed = api.call(api.recordings.ListRecordings,
                          recording_api.ListRecordingsRequest(room=ROOM))
        self.assertIn(recording.id, [r.id for r in listed.recordings])
        self.assertTrue(all(r.room == ROOM for r in listed.recordings), listed)
        finalized = api.call(api.recordings.ListRecordings, recording_api.ListRecordingsRequest(
            room=ROOM, state=State.FINALIZED))
        self.assertIn(recording.id, [r.id for r in finalized.recordings])
        elsewhere = api.call(api.recordings.ListRecordings,
                             recording_api.ListRecordingsRequest(room=OTHER_ROOM))
        self.assertNotIn(recording.id, [r.id for r in elsewhere.recordings])

    def check_events(self, watch, participant, recording):
        ended = watch.wait_for_kind("recording_ended",
                                    where=lambda p: p.recording_id == recording.id)
        self.assertEqual(ended.recording_ended.state, State.FINALIZED)
        events = watch.snapshot()
        self.check_sequence(events, first=2)
        kinds = {payload(event) for event in events}
        for kind in ("room_created", "participant_joined", "track_published",
                     "recording_started", "recording_ended"):
            self.assertIn(kind, kinds, watch.summary())
        created = [e for e in events if payload(e) == "room_created"]
        self.assertEqual([(e.room, e.room_created.room.name) for e in created], [(ROOM, ROOM)])
        self.assertTrue(all(event.HasField("time") for event in events))
        return events

    def check_sequence(self, events, first):
        """An unfiltered stream: sequences start at `first` and go up by one (no gap, no
        repeat), all from one epoch."""
        self.assertTrue(events, "no events")
        sequences = [event.sequence for event in events]
        self.assertEqual(sequences, list(range(first, first + len(events))), sequences)
        epochs = {event.epoch for event in events}
        self.assertEqual(len(epochs), 1, epochs)
        self.assertNotEqual(epochs.pop(), "")

    def check_mute(self, participant, video):
        api = self.api
        track = api.call(api.rooms.MuteTrack, room_api.MuteTrackRequest(
            room=ROOM, participant_id=participant.id, track_id=video.id, muted=True))
        self.assertEqual(track.id, video.id)
        self.assertEqual(track.kind, Kind.MEDIA_KIND_VIDEO)
        self.assertTrue(track.muted)
        listed = api.call(api.rooms.ListParticipants, room_api.ListParticipantsRequest(room=ROOM))
        tracks = {t.id: t.muted for p in listed.participants for t in p.tracks}
        self.assertEqual(tracks.get(video.id), True, listed)

    def check_remove(self, participant):
        api = self.api
        api.call(api.rooms.RemoveParticipant, room_api.RemoveParticipantRequest(
            room=ROOM, participant_id=participant.id))

        def gone():
            listed = api.call(api.rooms.ListParticipants,
                              room_api.ListParticipantsRequest(room=ROOM))
            return participant.id not in [p.id for p in listed.participants]
        eventually(gone, 5, "the removed participant gone from ListParticipants")

    def check_resumed_events(self, resumed, last, participant, video):
        left = resumed.wait_for_kind("participant_left",
                                     where=lambda p: p.participant_id == participant.id)
        self.assertEqual(left.participant_left.reason, "removed")
        events = resumed.snapshot()
        self.assertEqual(events[0].sequence, last.sequence + 1,
                         f"resumed after #{last.sequence}: {resumed.summary()}")
        self.check_sequence(events, first=last.sequence + 1)
        self.assertEqual(events[0].epoch, last.epoch)
        muted = [e.track_muted for e in events if payload(e) == "track_muted"]
        self.assertIn((participant.id, video.id, True),
                      [(m.participant_id, m.track_id, m.muted) for m in muted],
                      resumed.summary())

    def check_delete(self, resumed):
        api = self.api
        api.call(api.rooms.DeleteRoom, room_api.DeleteRoomRequest(name=ROOM))
        expect_error(self, grpc.StatusCode.NOT_FOUND, api.call, api.rooms.GetRoom,
                     room_api.GetRoomRequest(name=ROOM), secrets=self.confd.key_material())
        deleted = resumed.wait_for(
            lambda e: payload(e) == "room_deleted" and e.room == ROOM, 10, "room_deleted")
        self.assertEqual(deleted.room_deleted.reason, "deleted")
        remaining = api.call(api.rooms.ListRooms, room_api.ListRoomsRequest())
        self.assertEqual([r.name for r in remaining.rooms], [OTHER_ROOM])

    # --- whip-client -----------------------------------------------------------------------

    def whip_client_output(self):
        with open(self.whip_log, encoding="utf-8", errors="replace") as text:
            return text.read()[-4000:]

    def stop_whip_client(self):
        if self.whip_client is None or self.whip_client.poll() is not None:
            return
        self.whip_client.terminate()  # it DELETEs its session, then exits
        try:
            self.whip_client.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.whip_client.kill()
            self.whip_client.wait()


if __name__ == "__main__":
    unittest.main()
