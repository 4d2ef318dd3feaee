"""The status codes the operator API's contract (proto/conf/v1/*.proto) promises for calls that
cannot succeed, each with a details() text a person can read."""

import unittest

import grpc
from google.protobuf import duration_pb2
from google.protobuf import field_mask_pb2

from api_stubs import event_service_pb2 as event_api
from api_stubs import recording_service_pb2 as recording_api
from api_stubs import room_pb2
from api_stubs import room_service_pb2 as room_api
from confd_process import ConfdTestMixin
from rpc_checks import expect_error, first_message

Code = grpc.StatusCode


def room_request(name, **fields):
    return room_api.CreateRoomRequest(room=room_pb2.Room(name=name, **fields))


class ErrorCodesTest(ConfdTestMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # So the event stream has a first event (#1) for the cursor tests.
        cls.api.call(cls.api.rooms.CreateRoom, room_request("first"))

    def expect(self, code, method, request):
        return expect_error(self, code, self.api.call, method, request,
                            secrets=self.confd.key_material())

    def expect_watch(self, code, request):
        # A deadline, so a server that wrongly keeps the stream open fails the test instead of
        # hanging it.
        return expect_error(self, code, lambda: first_message(self.api.events.WatchEvents(
            request, metadata=self.api.metadata, timeout=5)), secrets=self.confd.key_material())

    def test_unknown_rooms_are_not_found(self):
        rooms = self.api.rooms
        self.expect(Code.NOT_FOUND, rooms.GetRoom, room_api.GetRoomRequest(name="nowhere"))
        self.expect(Code.NOT_FOUND, rooms.DeleteRoom, room_api.DeleteRoomRequest(name="nowhere"))
        self.expect(Code.NOT_FOUND, rooms.RemoveParticipant,
                    room_api.RemoveParticipantRequest(room="nowhere", participant_id="p"))

    def test_unknown_participants_are_not_found(self):
        self.expect(Code.NOT_FOUND, self.api.rooms.RemoveParticipant,
                    room_api.RemoveParticipantRequest(room="first", participant_id="nobody"))

    def test_creating_a_room_twice_is_already_exists(self):
        self.api.call(self.api.rooms.CreateRoom, room_request("twice"))
        self.expect(Code.ALREADY_EXISTS, self.api.rooms.CreateRoom, room_request("twice"))

    def test_bad_room_names_are_invalid_argument(self):
        for name in ("../x", "", ".hidden", "a/b", "x" * 65, "sp ace"):
            with self.subTest(name=name):
                self.expect(Code.INVALID_ARGUMENT, self.api.rooms.CreateRoom, room_request(name))

    def test_limits_above_the_servers_are_invalid_argument(self):
        # The server's per-room default is 16 sessions (limits.max_sessions_per_room).
        self.expect(Code.INVALID_ARGUMENT, self.api.rooms.CreateRoom, room_request(
            "too-big", limits=room_pb2.RoomLimits(max_sessions=100000)))

    def test_bad_canvases_and_layouts_are_invalid_argument(self):
        rooms = self.api.rooms
        for canvas in (room_pb2.Canvas(width=1279, height=720), room_pb2.Canvas(width=8000),
                       room_pb2.Canvas(frame_rate=120)):
            with self.subTest(canvas=str(canvas)):
                self.expect(Code.INVALID_ARGUMENT, rooms.CreateRoom,
                            room_request("mixed", mode=room_pb2.ROOM_MODE_MIXED, canvas=canvas))
        outside = room_pb2.LayoutRegion(x=0.5, y=0.5, width=0.8, height=0.5)
        nameless = room_pb2.LayoutRegion(width=1, height=1,
                                         binding=room_pb2.LayoutRegion.PARTICIPANT)
        layouts = {
            "no name": room_pb2.Layout(),
            "custom without regions": room_pb2.Layout(name="mine"),
            "built-in with regions": room_pb2.Layout(
                name="grid", regions=[room_pb2.LayoutRegion(width=1, height=1)]),
            "region outside the canvas": room_pb2.Layout(name="mine", regions=[outside]),
            "participant region without an id": room_pb2.Layout(name="mine", regions=[nameless]),
        }
        rooms_made = self.api.call(rooms.CreateRoom, room_request(
            "hybrid", mode=room_pb2.ROOM_MODE_HYBRID))
        self.assertEqual(rooms_made.layout.name, "grid")
        for what, layout in layouts.items():
            with self.subTest(layout=what):
                self.expect(Code.INVALID_ARGUMENT, rooms.CreateRoom,
                            room_request("bad-layout", layout=layout))
                self.expect(Code.INVALID_ARGUMENT, rooms.SetLayout,
                            room_api.SetLayoutRequest(room="hybrid", layout=layout))
        self.expect(Code.NOT_FOUND, rooms.SetLayout, room_api.SetLayoutRequest(
            room="nowhere", layout=room_pb2.Layout(name="speaker")))
        self.expect(Code.INVALID_ARGUMENT, rooms.UpdateLayout, room_api.UpdateLayoutRequest(
            room="hybrid", layout=room_pb2.Layout(locked=True),
            update_mask=field_mask_pb2.FieldMask(paths=["canvas"])))

    def test_bad_join_token_requests_are_invalid_argument(self):
        rooms = self.api.rooms
        grants = room_pb2.Grants(subscribe=True)
        # No identity; a ttl beyond auth.join_tokens.max_ttl_s (default one day); a bad room.
        self.expect(Code.INVALID_ARGUMENT, rooms.CreateJoinToken, room_api.CreateJoinTokenRequest(
            room="first", identity="", grants=grants))
        self.expect(Code.INVALID_ARGUMENT, rooms.CreateJoinToken, room_api.CreateJoinTokenRequest(
            room="first", identity="alice", grants=grants,
            ttl=duration_pb2.Duration(seconds=10 * 86400)))
        self.expect(Code.INVALID_ARGUMENT, rooms.CreateJoinToken, room_api.CreateJoinTokenRequest(
            room="../x", identity="alice", grants=grants))

    def test_a_cursor_ahead_of_the_stream_is_out_of_range(self):
        self.expect_watch(Code.OUT_OF_RANGE,
                          event_api.WatchEventsRequest(after_sequence=1_000_000_000))

    def test_a_cursor_from_another_run_is_out_of_range(self):
        self.expect_watch(Code.OUT_OF_RANGE,
                          event_api.WatchEventsRequest(after_sequence=1, epoch="another-run"))

    def test_unknown_recordings_are_not_found(self):
        recordings = self.api.recordings
        self.expect(Code.NOT_FOUND, recordings.StopRecording,
                    recording_api.StopRecordingRequest(id="no-such-recording"))
        self.expect(Code.NOT_FOUND, recordings.GetRecording,
                    recording_api.GetRecordingRequest(id="no-such-recording"))
        self.expect(Code.NOT_FOUND, recordings.StartRecording,
                    recording_api.StartRecordingRequest(room="nowhere"))


class RoomsConfigTest(ConfdTestMixin, unittest.TestCase):
    """rooms.auto_create off and a two-room server."""

    confd_config = {"rooms": {"auto_create": False, "max_rooms": 2}}

    def test_rooms_past_max_rooms_are_resource_exhausted_and_tokens_need_a_room(self):
        api = self.api
        token_request = room_api.CreateJoinTokenRequest(
            room="later", identity="alice", grants=room_pb2.Grants(publish=True, subscribe=True))
        expect_error(self, Code.FAILED_PRECONDITION, api.call, api.rooms.CreateJoinToken,
                     token_request, secrets=self.confd.key_material())
        api.call(api.rooms.CreateRoom, room_request("one"))
        api.call(api.rooms.CreateRoom, room_request("two"))
        expect_error(self, Code.RESOURCE_EXHAUSTED, api.call, api.rooms.CreateRoom,
                     room_request("three"), secrets=self.confd.key_material())
        api.call(api.rooms.DeleteRoom, room_api.DeleteRoomRequest(name="two"))
        api.call(api.rooms.CreateRoom, room_request("later"))
        token = api.call(api.rooms.CreateJoinToken, token_request)
        self.assertNotEqual(token.token, "")


if __name__ == "__main__":
    unittest.main()
