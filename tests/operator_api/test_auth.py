"""Operator keys on the gRPC API: no key or a wrong one is UNAUTHENTICATED, a key without the
service's scope is PERMISSION_DENIED, and no answer repeats key material."""

import unittest

import grpc

import api_stubs
from api_stubs import event_service_pb2 as event_api
from api_stubs import recording_service_pb2 as recording_api
from api_stubs import room_pb2
from api_stubs import room_service_pb2 as room_api
from api_stubs import stream_service_pb2 as stream_api
from confd_process import ALL_SCOPES, ConfdTestMixin, hash_key, new_key
from rpc_checks import expect_error, first_message

UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
PERMISSION_DENIED = grpc.StatusCode.PERMISSION_DENIED


class OperatorAuthTest(ConfdTestMixin, unittest.TestCase):
    confd_keys = {
        "ops": ALL_SCOPES,
        "watcher": ["events"],
        "rooms-only": ["rooms"],
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api.call(cls.api.rooms.CreateRoom,
                     room_api.CreateRoomRequest(room=room_pb2.Room(name="lobby")))

    def stubs(self, key):
        return api_stubs.Stubs(self.channel, key)

    def expect(self, code, stubs, method, request, extra_secrets=()):
        return expect_error(self, code, stubs.call, method, request,
                            secrets=[*self.confd.key_material(), *extra_secrets])

    def expect_on_every_service(self, code, key, extra_secrets=()):
        api = self.stubs(key)
        self.expect(code, api, api.rooms.ListRooms, room_api.ListRoomsRequest(), extra_secrets)
        self.expect(code, api, api.rooms.CreateJoinToken,
                    room_api.CreateJoinTokenRequest(room="lobby", identity="mallory",
                                                    grants=room_pb2.Grants(publish=True)),
                    extra_secrets)
        self.expect(code, api, api.recordings.ListRecordings,
                    recording_api.ListRecordingsRequest(), extra_secrets)
        self.expect(code, api, api.streams.ListStreams, stream_api.ListStreamsRequest(),
                    extra_secrets)
        expect_error(self, code, lambda: first_message(api.events.WatchEvents(
            event_api.WatchEventsRequest(), metadata=api.metadata, timeout=5)),
            secrets=[*self.confd.key_material(), *extra_secrets])

    def test_a_call_without_a_key_is_unauthenticated(self):
        self.expect_on_every_service(UNAUTHENTICATED, None)

    def test_an_unknown_key_is_unauthenticated(self):
        wrong = new_key()
        self.expect_on_every_service(UNAUTHENTICATED, wrong, extra_secrets=[wrong])

    def test_the_hash_sent_as_the_key_is_unauthenticated(self):
        # Someone pasted the config's hash instead of the key.
        self.expect_on_every_service(UNAUTHENTICATED, hash_key(self.confd.keys["ops"]))

    def test_an_authorization_header_that_is_not_bearer_is_unauthenticated(self):
        api = self.stubs(None)
        for value in (self.confd.keys["ops"], f"Basic {self.confd.keys['ops']}", "Bearer "):
            with self.subTest(header=value.split(" ")[0] if " " in value else "bare key"):
                expect_error(self, UNAUTHENTICATED, api.rooms.ListRooms,
                             room_api.ListRoomsRequest(), metadata=(("authorization", value),),
                             timeout=10, secrets=self.confd.key_material())

    def test_an_events_key_cannot_create_rooms(self):
        watcher = self.stubs(self.confd.keys["watcher"])
        self.expect(PERMISSION_DENIED, watcher, watcher.rooms.CreateRoom,
                    room_api.CreateRoomRequest(room=room_pb2.Room(name="not-made")))
        self.expect(PERMISSION_DENIED, watcher, watcher.rooms.ListRooms,
                    room_api.ListRoomsRequest())
        self.expect(PERMISSION_DENIED, watcher, watcher.recordings.ListRecordings,
                    recording_api.ListRecordingsRequest())
        # Pushing a room's picture to any RTMP server is a scope of its own.
        rooms_only = self.stubs(self.confd.keys["rooms-only"])
        self.expect(PERMISSION_DENIED, rooms_only, rooms_only.streams.StartStream,
                    stream_api.StartStreamRequest(room="lobby", hls=stream_api.HlsTarget()))
        self.expect(grpc.StatusCode.NOT_FOUND, self.api, self.api.rooms.GetRoom,
                    room_api.GetRoomRequest(name="not-made"))

    def test_an_events_key_may_watch(self):
        watcher = self.stubs(self.confd.keys["watcher"])
        stream = watcher.events.WatchEvents(event_api.WatchEventsRequest(),
                                            metadata=watcher.metadata, timeout=2)
        try:
            first_message(stream)  # an event arriving also shows the key was taken
        except grpc.RpcError as error:
            # Nothing happened for 2 s: the stream was open, so the key was accepted.
            self.assertEqual(error.code(), grpc.StatusCode.DEADLINE_EXCEEDED, error.details())

    def test_join_tokens_need_the_tokens_scope(self):
        request = room_api.CreateJoinTokenRequest(
            room="lobby", identity="bob", grants=room_pb2.Grants(subscribe=True))
        for name in ("rooms-only", "watcher"):
            with self.subTest(key=name):
                api = self.stubs(self.confd.keys[name])
                self.expect(PERMISSION_DENIED, api, api.rooms.CreateJoinToken, request)
        response = self.api.call(self.api.rooms.CreateJoinToken, request)
        self.assertNotEqual(response.token, "")

    def test_a_rooms_key_cannot_record_or_watch(self):
        rooms_only = self.stubs(self.confd.keys["rooms-only"])
        self.assertEqual(rooms_only.call(rooms_only.rooms.GetRoom,
                                         room_api.GetRoomRequest(name="lobby")).name, "lobby")
        self.expect(PERMISSION_DENIED, rooms_only, rooms_only.recordings.StartRecording,
                    recording_api.StartRecordingRequest(room="lobby"))
        expect_error(self, PERMISSION_DENIED, lambda: first_message(rooms_only.events.WatchEvents(
            event_api.WatchEventsRequest(), metadata=rooms_only.metadata, timeout=5)),
            secrets=self.confd.key_material())


if __name__ == "__main__":
    unittest.main()
