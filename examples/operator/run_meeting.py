#!/usr/bin/env python3
"""Runs one meeting on confd through its operator API (gRPC, conf.v1), start to finish:

  1. creates the room;
  2. mints a join token for each --participant and prints their join links;
  3. starts recording the whole room (unless --no-record);
  4. prints the room's events as they happen, until Ctrl-C, SIGTERM or --duration;
  5. stops the recording and prints its files;
  6. deletes the room, which ends every session still in it (unless --keep-room).

The Python stubs generated from confd's proto/ directory must be importable (PYTHONPATH);
README.md shows the one grpc_tools.protoc command that makes them.

Exit status: 0 when the meeting ran and was cleaned up, 1 when a call failed, 2 on a usage
error, 130 when interrupted before the meeting was running.
"""

import argparse
import os
import re
import signal
import sys
import threading
import time

try:
    import grpc
    from google.protobuf import duration_pb2

    from conf.v1 import event_service_pb2, event_service_pb2_grpc
    from conf.v1 import recording_manifest_pb2
    from conf.v1 import recording_service_pb2, recording_service_pb2_grpc
    from conf.v1 import room_pb2
    from conf.v1 import room_service_pb2, room_service_pb2_grpc
except ImportError as missing:
    sys.exit(f"run_meeting.py: {missing}. Install grpcio and generate the stubs first, e.g.\n"
             "  python3 -m grpc_tools.protoc -I proto --python_out=gen --grpc_python_out=gen "
             "proto/conf/v1/*.proto\n  PYTHONPATH=gen python3 run_meeting.py ...\n"
             "(see examples/operator/README.md)")

State = recording_manifest_pb2.RecordingManifest.State
CALL_TIMEOUT_S = 30  # StopRecording answers once the files are closed: allow for a slow disk


class MeetingError(Exception):
    """A call failed; the message says which and why."""


def parse_ttl(text):
    """"90", "90s", "30m", "2h", "1d" -> seconds."""
    match = re.fullmatch(r"(\d+)([smhd]?)", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"'{text}' is not a duration like 90s, 30m, 2h or 1d")
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def parse_participant(text):
    """"alice" or "alice=Alice Liddell" -> (identity, display name)."""
    identity, _, name = text.partition("=")
    if not identity:
        raise argparse.ArgumentTypeError(f"'{text}' has no identity before '='")
    return identity, name


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Run a meeting on confd: room, join links, recording, events, clean-up.")
    parser.add_argument("--grpc", default="127.0.0.1:50051", metavar="HOST:PORT",
                        help="confd's gRPC address (default %(default)s)")
    parser.add_argument("--key", default=os.environ.get("CONFD_OPERATOR_KEY"),
                        help="operator key (default: $CONFD_OPERATOR_KEY; prefer the variable, "
                             "a command line is visible to other users); needs the scopes "
                             "rooms, tokens, events, and recordings unless --no-record")
    parser.add_argument("--tls", action="store_true",
                        help="connect with TLS, checking confd's certificate against the "
                             "system's CAs")
    parser.add_argument("--tls-ca", metavar="PEM",
                        help="connect with TLS, checking confd's certificate against this CA")
    parser.add_argument("--room", required=True, help="the room to create (must not exist)")
    parser.add_argument("--participant", "-p", dest="participants", action="append",
                        type=parse_participant, default=[], metavar="IDENTITY[=NAME]",
                        help="someone to invite (publish + subscribe); repeat for each")
    parser.add_argument("--ttl", type=parse_ttl, metavar="DURATION",
                        help="how long the join links work: 90s, 30m, 2h, 1d (default: confd's "
                             "1 h)")
    parser.add_argument("--duration", type=float, default=0, metavar="SECONDS",
                        help="end the meeting after this long (default: at Ctrl-C)")
    parser.add_argument("--container", choices=["matroska", "mp4"],
                        help="recording container (default: confd's configured one)")
    parser.add_argument("--no-record", action="store_true", help="do not record")
    parser.add_argument("--keep-room", action="store_true",
                        help="leave the room (and anyone in it) when done")
    args = parser.parse_args(argv)
    if args.duration < 0:
        parser.error("--duration must be >= 0")
    return args


def open_channel(args):
    if args.tls or args.tls_ca:
        root = None
        if args.tls_ca:
            with open(args.tls_ca, "rb") as pem:
                root = pem.read()
        return grpc.secure_channel(args.grpc, grpc.ssl_channel_credentials(root_certificates=root))
    return grpc.insecure_channel(args.grpc)


class Api:
    """confd's three operator services on one channel; every call carries the key."""

    def __init__(self, channel, key):
        self.rooms = room_service_pb2_grpc.RoomServiceStub(channel)
        self.recordings = recording_service_pb2_grpc.RecordingServiceStub(channel)
        self.events = event_service_pb2_grpc.EventServiceStub(channel)
        self.metadata = (("authorization", f"Bearer {key}"),) if key else ()

    def call(self, what, method, request):
        try:
            return method(request, metadata=self.metadata, timeout=CALL_TIMEOUT_S)
        except grpc.RpcError as error:
            raise MeetingError(f"{what}: {error.code().name}: {error.details()}") from None


def say(text):
    print(text, flush=True)


# --- events ------------------------------------------------------------------------------

def describe(event):
    """One line per event: time, sequence, room, kind and what matters about it."""
    kind = event.WhichOneof("payload") or "unknown"
    body = getattr(event, kind, None)
    detail = ""
    if kind == "room_created":
        detail = f"mode={room_pb2.RoomMode.Name(body.room.mode)}"
    elif kind == "room_deleted":
        detail = f"reason={body.reason}"
    elif kind == "participant_joined":
        who = body.participant
        detail = (f"{who.id} identity={who.identity or '-'} name={who.name or '-'} "
                  f"via {room_pb2.Participant.Kind.Name(who.kind)}")
    elif kind == "participant_left":
        detail = f"{body.participant_id} reason={body.reason}"
    elif kind == "track_published":
        detail = (f"{body.participant_id} {room_pb2.MediaKind.Name(body.track.kind)} "
                  f"track {body.track.id}")
    elif kind == "track_unpublished":
        detail = f"{body.participant_id} track {body.track_id}"
    elif kind == "track_muted":
        detail = f"{body.participant_id} track {body.track_id} muted={body.muted}"
    elif kind == "active_speaker_changed":
        detail = body.participant_id or "(nobody)"
    elif kind == "recording_started":
        detail = body.recording_id
    elif kind == "recording_ended":
        detail = f"{body.recording_id} {State.Name(body.state)} {body.failure_reason}".rstrip()
    when = event.time.ToDatetime().strftime("%H:%M:%S.%f")[:-3]
    return f"{when} #{event.sequence} [{event.room}] {kind} {detail}".rstrip()


class EventPrinter:
    """Prints one room's events on a thread of its own. A dropped stream is resumed after the
    last event printed, so nothing is missed or printed twice; if confd no longer has that
    event (OUT_OF_RANGE), it says so and watches from now."""

    def __init__(self, api, room):
        self._api = api
        self._room = room
        self._lock = threading.Lock()
        self._call = None
        self._stopping = False
        self.error = None  # a MeetingError that ended the watch
        self._thread = threading.Thread(target=self._run, name="events", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        with self._lock:
            self._stopping = True
            if self._call is not None:
                self._call.cancel()
        self._thread.join(timeout=10)

    def _run(self):
        after, epoch = 0, ""
        while True:
            request = event_service_pb2.WatchEventsRequest(room=self._room, after_sequence=after,
                                                           epoch=epoch)
            with self._lock:
                if self._stopping:
                    return
                self._call = self._api.events.WatchEvents(request, metadata=self._api.metadata)
            try:
                for event in self._call:
                    say("event " + describe(event))
                    after, epoch = event.sequence, event.epoch
                say("events: confd ended the stream")
                return
            except grpc.RpcError as error:
                code = error.code()
                if self._stopping and code == grpc.StatusCode.CANCELLED:
                    return
                if code == grpc.StatusCode.OUT_OF_RANGE:
                    say(f"events: cannot resume after #{after} ({error.details()}); "
                        "some were missed, watching from now")
                    after, epoch = 0, ""
                elif code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED):
                    say(f"events: {code.name} ({error.details()}); resuming after #{after}")
                    time.sleep(1)
                else:
                    self.error = MeetingError(f"WatchEvents: {code.name}: {error.details()}")
                    say(f"events: {self.error}")
                    return


# --- the meeting -------------------------------------------------------------------------

def create_room(api, name):
    room = api.call(f"CreateRoom {name}", api.rooms.CreateRoom, room_service_pb2.CreateRoomRequest(
        room=room_pb2.Room(name=name, mode=room_pb2.ROOM_MODE_SFU)))
    say(f"room {room.name} created ({room_pb2.RoomMode.Name(room.mode)})")
    return room


def invite(api, room, participants, ttl_s):
    """Mints a token per participant and prints its join link."""
    whip_base = None
    for identity, name in participants:
        request = room_service_pb2.CreateJoinTokenRequest(
            room=room, identity=identity, name=name,
            grants=room_pb2.Grants(publish=True, subscribe=True))
        if ttl_s:
            request.ttl.CopyFrom(duration_pb2.Duration(seconds=ttl_s))
        response = api.call(f"CreateJoinToken {identity}", api.rooms.CreateJoinToken, request)
        expires = response.expire_time.ToDatetime().strftime("%Y-%m-%d %H:%M:%S UTC")
        say(f"join link for {name or identity} (until {expires}):\n  {response.join_url}")
        whip_base = response.join_url.split("/r/", 1)[0]
    if whip_base:
        say(f"WHIP publishers (OBS, whip-client) use {whip_base}/whip/{room} with the token "
            "from their link as 'Authorization: Bearer <token>'")


def start_recording(api, room, container):
    request = recording_service_pb2.StartRecordingRequest(
        room=room, source=recording_service_pb2.RecordingSource(room=True))
    if container:
        request.container = {"matroska": room_pb2.CONTAINER_MATROSKA,
                             "mp4": room_pb2.CONTAINER_MP4}[container]
    recording = api.call(f"StartRecording {room}", api.recordings.StartRecording, request)
    say(f"recording {recording.id} started")
    return recording


def stop_recording(api, recording_id):
    recording = api.call(f"StopRecording {recording_id}", api.recordings.StopRecording,
                         recording_service_pb2.StopRecordingRequest(id=recording_id))
    seconds = (recording.end_time.ToNanoseconds() - recording.start_time.ToNanoseconds()) / 1e9
    say(f"recording {recording.id} {State.Name(recording.state)} after {seconds:.1f} s; "
        f"manifest {recording.manifest_path} (in confd's data_dir/recordings/)")
    if not recording.files:
        say("  no files: nobody published while it recorded")
    for manifest in recording.files:
        codecs = "+".join(track.codec for track in manifest.tracks) or "no tracks"
        state = State.Name(manifest.state)
        reason = f" ({manifest.failure_reason})" if manifest.failure_reason else ""
        for media in manifest.files:
            say(f"  {manifest.participant}: {recording.room}/{manifest.id}/{media.path} "
                f"{media.bytes} bytes, {codecs}, {manifest.duration_ns / 1e9:.1f} s, "
                f"{state}{reason}")
        if not manifest.files:
            say(f"  {manifest.participant}: no file, {state}{reason}")
    return recording


def wait_for_end(duration_s):
    """Returns after duration_s seconds (0: never) or at SIGINT/SIGTERM."""
    stop = threading.Event()

    def on_signal(signum, _frame):
        say(f"{signal.Signals(signum).name}: ending the meeting")
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        deadline = time.monotonic() + duration_s if duration_s else None
        say(f"meeting running for {duration_s:g} s" if duration_s
            else "meeting running; Ctrl-C ends it")
        # Short waits, so a signal is seen promptly.
        while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
            stop.wait(0.2)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run(args):
    api = Api(open_channel(args), args.key)
    create_room(api, args.room)
    failure = None
    events = recording = None
    try:
        events = EventPrinter(api, args.room).start()
        invite(api, args.room, args.participants, args.ttl)
        if not args.no_record:
            recording = start_recording(api, args.room, args.container)
        wait_for_end(args.duration)
    except MeetingError as error:
        failure = error
    finally:
        # Clean up whatever happened: a recording left running would go on filling the disk.
        if recording is not None:
            try:
                stop_recording(api, recording.id)
            except MeetingError as error:
                failure = failure or error
        if not args.keep_room:
            try:
                api.call(f"DeleteRoom {args.room}", api.rooms.DeleteRoom,
                         room_service_pb2.DeleteRoomRequest(name=args.room))
                say(f"room {args.room} deleted")
            except MeetingError as error:
                failure = failure or error
        if events is not None:
            time.sleep(0.5)  # the events of the stop and the delete are on their way
            events.stop()
            failure = failure or events.error
    if failure:
        raise failure


def main(argv=None):
    args = parse_args(argv)
    try:
        run(args)
    except MeetingError as error:
        print(f"run_meeting.py: {error}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        # Ctrl-C before the meeting was running; run() has cleaned up what it made.
        print("run_meeting.py: interrupted", file=sys.stderr, flush=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
