"""examples/operator/run_meeting.py run as an operator would run it, against a real confd, so
the example cannot rot: a three-second meeting with two invitees, recorded and cleaned up."""

import os
import subprocess
import sys
import unittest

import grpc

import api_stubs
from api_stubs import State
from api_stubs import recording_service_pb2 as recording_api
from api_stubs import room_service_pb2 as room_api
from confd_process import ConfdTestMixin
from rpc_checks import expect_error

EXAMPLE = os.environ.get("RUN_MEETING_PATH", "")
ROOM = "demo"


class RunMeetingExampleTest(ConfdTestMixin, unittest.TestCase):
    def run_example(self, *args, timeout=60):
        self.assertTrue(os.path.isfile(EXAMPLE), f"RUN_MEETING_PATH={EXAMPLE!r} is no file")
        # The key through the environment, as the example's README recommends.
        env = dict(os.environ, PYTHONPATH=api_stubs.STUB_DIR,
                   CONFD_OPERATOR_KEY=self.confd.keys["ops"])
        return subprocess.run([sys.executable, EXAMPLE, "--grpc", self.confd.grpc_address, *args],
                              env=env, capture_output=True, text=True, timeout=timeout,
                              check=False)

    def test_a_short_meeting_runs_and_cleans_up(self):
        run = self.run_example("--room", ROOM, "-p", "alice", "-p", "bob=Bob Jones",
                               "--ttl", "10m", "--duration", "3")
        output = f"exit {run.returncode}\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}"
        self.assertEqual(run.returncode, 0, output)
        self.assertIn(f"room {ROOM} created", run.stdout, output)
        self.assertIn("join link for alice", run.stdout, output)
        self.assertIn("join link for Bob Jones", run.stdout, output)
        self.assertEqual(run.stdout.count(f"/r/{ROOM}#token="), 2, output)
        self.assertIn("meeting running for 3 s", run.stdout, output)
        self.assertIn("FINALIZED", run.stdout, output)
        self.assertIn(f"room {ROOM} deleted", run.stdout, output)
        self.assertNotIn(self.confd.keys["ops"], run.stdout + run.stderr)

        # What it left behind: no room, one finalized recording.
        expect_error(self, grpc.StatusCode.NOT_FOUND, self.api.call, self.api.rooms.GetRoom,
                     room_api.GetRoomRequest(name=ROOM))
        listed = self.api.call(self.api.recordings.ListRecordings,
                               recording_api.ListRecordingsRequest(room=ROOM))
        self.assertEqual([r.state for r in listed.recordings], [State.FINALIZED], listed)

    def test_an_existing_room_is_an_error_and_is_left_alone(self):
        self.api.call(self.api.rooms.CreateRoom, room_api.CreateRoomRequest(
            room=api_stubs.room_pb2.Room(name="taken")))
        run = self.run_example("--room", "taken", "--duration", "1")
        self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
        self.assertIn("ALREADY_EXISTS", run.stderr)
        self.assertEqual(self.api.call(self.api.rooms.GetRoom,
                                       room_api.GetRoomRequest(name="taken")).name, "taken")

    def test_usage_errors_exit_2(self):
        for args in (["--duration", "1"], ["--room", "x", "--duration", "-1"],
                     ["--room", "x", "--ttl", "soon"]):
            with self.subTest(args=args):
                run = self.run_example(*args)
                self.assertEqual(run.returncode, 2, run.stdout + run.stderr)


if __name__ == "__main__":
    unittest.main()
