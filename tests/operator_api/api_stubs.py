"""confd's operator API (conf.v1) and gRPC's health and reflection services as Python modules.

The ctest fixture operator_api_stubs generates them into $OPERATOR_API_STUBS with
`python3 -m grpc_tools.protoc -I proto -I /usr/share/grpc-proto --python_out --grpc_python_out`,
exactly as an operator would (see examples/operator/README.md). Import this module before any
stub.
"""

import os
import sys

STUB_DIR = os.environ.get("OPERATOR_API_STUBS", "")
if not STUB_DIR or not os.path.isdir(os.path.join(STUB_DIR, "conf", "v1")):
    raise RuntimeError(
        f"OPERATOR_API_STUBS={STUB_DIR!r} holds no generated stubs: run the tests through ctest "
        "(the operator_api_stubs fixture makes them) or set it to a grpc_tools.protoc output dir")
sys.path.insert(0, STUB_DIR)

import grpc  # noqa: E402  (after the path is set)

# grpc.health.v1 and grpc.reflection.v1alpha land in STUB_DIR/grpc/, but `grpc` is already the
# installed grpcio package: tell it about the generated subpackages too.
grpc.__path__.append(os.path.join(STUB_DIR, "grpc"))

from conf.v1 import event_service_pb2  # noqa: E402
from conf.v1 import event_service_pb2_grpc  # noqa: E402
from conf.v1 import recording_manifest_pb2  # noqa: E402
from conf.v1 import recording_service_pb2  # noqa: E402
from conf.v1 import recording_service_pb2_grpc  # noqa: E402
from conf.v1 import room_pb2  # noqa: E402
from conf.v1 import room_service_pb2  # noqa: E402
from conf.v1 import room_service_pb2_grpc  # noqa: E402
from conf.v1 import stream_service_pb2  # noqa: E402
from conf.v1 import stream_service_pb2_grpc  # noqa: E402
from grpc.health.v1 import health_pb2  # noqa: E402
from grpc.health.v1 import health_pb2_grpc  # noqa: E402
from grpc.reflection.v1alpha import reflection_pb2  # noqa: E402
from grpc.reflection.v1alpha import reflection_pb2_grpc  # noqa: E402

__all__ = [
    "STUB_DIR", "State", "Stubs", "bearer",
    "event_service_pb2", "event_service_pb2_grpc", "recording_manifest_pb2",
    "recording_service_pb2", "recording_service_pb2_grpc", "room_pb2", "room_service_pb2",
    "room_service_pb2_grpc", "stream_service_pb2", "stream_service_pb2_grpc", "health_pb2", "health_pb2_grpc", "reflection_pb2",
    "reflection_pb2_grpc",
]

State = recording_manifest_pb2.RecordingManifest.State


class Stubs:
    """The conf.v1 services on one channel, every call sent with one operator key."""

    def __init__(self, channel, key=None, timeout=10.0):
        self.rooms = room_service_pb2_grpc.RoomServiceStub(channel)
        self.recordings = recording_service_pb2_grpc.RecordingServiceStub(channel)
        self.events = event_service_pb2_grpc.EventServiceStub(channel)
        self.streams = stream_service_pb2_grpc.StreamServiceStub(channel)
        self.metadata = bearer(key)
        self.timeout = timeout

    def call(self, method, request):
        """A unary call with this key and the default deadline."""
        return method(request, metadata=self.metadata, timeout=self.timeout)


def bearer(key):
    """The call metadata that carries an operator key (none for None)."""
    return () if key is None else (("authorization", f"Bearer {key}"),)
