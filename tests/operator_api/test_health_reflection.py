"""gRPC's standard services next to the operator API: health (what load balancers and
orchestrators probe, with no operator key) and server reflection (what grpcurl uses)."""

import unittest

from google.protobuf import descriptor_pb2

from api_stubs import health_pb2, health_pb2_grpc, reflection_pb2, reflection_pb2_grpc
from confd_process import ConfdTestMixin

CONF_SERVICES = ("conf.v1.RoomService", "conf.v1.RecordingService", "conf.v1.EventService")


class HealthAndReflectionTest(ConfdTestMixin, unittest.TestCase):
    def reflect(self, request, metadata=()):
        """One request on a reflection stream, as `grpcurl ... list` / `describe` send it."""
        stub = reflection_pb2_grpc.ServerReflectionStub(self.channel)
        responses = stub.ServerReflectionInfo(iter([request]), metadata=metadata, timeout=10)
        response = next(iter(responses))
        self.assertFalse(response.HasField("error_response"), response.error_response)
        return response

    def test_health_is_serving_without_a_key(self):
        health = health_pb2_grpc.HealthStub(self.channel)
        response = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
        self.assertEqual(response.status, health_pb2.HealthCheckResponse.SERVING)

    def test_reflection_lists_the_operator_services_with_or_without_a_key(self):
        # docs/api.md tells operators `grpcurl -plaintext HOST:PORT list` works without -H.
        for metadata in ((), self.api.metadata):
            with self.subTest(key=bool(metadata)):
                response = self.reflect(
                    reflection_pb2.ServerReflectionRequest(list_services=""), metadata)
                services = {s.name for s in response.list_services_response.service}
                for name in (*CONF_SERVICES, "grpc.health.v1.Health"):
                    self.assertIn(name, services)

    def test_reflection_describes_the_operator_services(self):
        for service, file in zip(CONF_SERVICES, ("conf/v1/room_service.proto",
                                                 "conf/v1/recording_service.proto",
                                                 "conf/v1/event_service.proto")):
            with self.subTest(service=service):
                response = self.reflect(
                    reflection_pb2.ServerReflectionRequest(file_containing_symbol=service))
                files = {}
                for blob in response.file_descriptor_response.file_descriptor_proto:
                    descriptor = descriptor_pb2.FileDescriptorProto.FromString(blob)
                    files[descriptor.name] = descriptor
                self.assertIn(file, files)
                self.assertIn(service.rsplit(".", 1)[1], [s.name for s in files[file].service])


if __name__ == "__main__":
    unittest.main()
