"""Join tokens from CreateJoinToken where WHIP checks them (docs/api.md, "Where each client puts
the token"): no token or a bad one is 401 with a Bearer challenge, a token for another room or
without the publish grant is 403. The checks come before the offer is read, so a placeholder
body does."""

import unittest
import urllib.error
import urllib.request

from api_stubs import room_pb2
from api_stubs import room_service_pb2 as room_api
from confd_process import ConfdTestMixin

OFFER = b"v=0\r\n"  # never read: the token is refused first


class WhipJoinTokenTest(ConfdTestMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for name in ("stage", "backstage"):
            cls.api.call(cls.api.rooms.CreateRoom,
                         room_api.CreateRoomRequest(room=room_pb2.Room(name=name)))

    def token(self, room, **grants):
        return self.api.call(self.api.rooms.CreateJoinToken, room_api.CreateJoinTokenRequest(
            room=room, identity="carol", grants=room_pb2.Grants(**grants))).token

    def publish(self, room, authorization=None):
        """POSTs to /whip/{room}; returns (status, WWW-Authenticate, body)."""
        request = urllib.request.Request(f"{self.confd.http_url}whip/{room}", data=OFFER,
                                         method="POST",
                                         headers={"Content-Type": "application/sdp"})
        if authorization is not None:
            request.add_header("Authorization", authorization)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.headers.get("WWW-Authenticate"), b""
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("WWW-Authenticate"), error.read()

    def expect_refused(self, status, room, authorization, secret=""):
        got, challenge, body = self.publish(room, authorization)
        self.assertEqual(got, status, body)
        self.assertIn(b'"error"', body)
        if secret:
            self.assertNotIn(secret.encode(), body, "the answer repeats the token")
        if status == 401:
            # RFC 6750: a token that came and failed is an invalid_token.
            expected = 'Bearer realm="confd"'
            if authorization and authorization.startswith("Bearer "):
                expected += ', error="invalid_token"'
            self.assertEqual(challenge, expected)

    def test_whip_without_a_token_is_401(self):
        self.expect_refused(401, "stage", None)

    def test_whip_with_a_token_that_does_not_verify_is_401(self):
        token = self.token("stage", publish=True)
        header, claims, signature = token.split(".")
        forged = f"{header}.{claims}.{signature[::-1]}"
        self.expect_refused(401, "stage", f"Bearer {forged}", secret=forged)
        self.expect_refused(401, "stage", "Bearer not-a-jwt")

    def test_whip_with_a_token_for_another_room_is_403(self):
        token = self.token("backstage", publish=True, subscribe=True)
        self.expect_refused(403, "stage", f"Bearer {token}", secret=token)

    def test_whip_with_a_watch_only_token_is_403(self):
        token = self.token("stage", subscribe=True)
        self.expect_refused(403, "stage", f"Bearer {token}", secret=token)


if __name__ == "__main__":
    unittest.main()
