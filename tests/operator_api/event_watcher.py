"""One EventService.WatchEvents call read on a thread of its own, so a test can act and then
wait for the events its actions cause."""

import threading
import time

import grpc

from api_stubs import event_service_pb2


def payload(event):
    """The event's kind: "room_created", "participant_joined", ... ("" for none)."""
    return event.WhichOneof("payload") or ""


class EventWatcher:
    def __init__(self, stubs, room="", after_sequence=0, epoch=""):
        request = event_service_pb2.WatchEventsRequest(room=room, after_sequence=after_sequence,
                                                       epoch=epoch)
        # No deadline: the stream lasts until cancel(); every wait below has its own timeout.
        self._call = stubs.events.WatchEvents(request, metadata=stubs.metadata)
        # confd sends the headers once the watch is registered: from here on nothing is missed
        # (a refused call returns at once, its status then ends the stream).
        self._call.initial_metadata()
        self._changed = threading.Condition()
        self.events = []
        self.error = None  # the grpc.RpcError that ended the stream, if one did
        self.ended = False
        self._thread = threading.Thread(target=self._read, name="watch-events", daemon=True)
        self._thread.start()

    def _read(self):
        try:
            for event in self._call:
                with self._changed:
                    self.events.append(event)
                    self._changed.notify_all()
        except grpc.RpcError as error:
            with self._changed:
                self.error = error
        finally:
            with self._changed:
                self.ended = True
                self._changed.notify_all()

    def wait_for(self, predicate, timeout, what):
        """Waits until predicate(event) holds for an event; returns that event. Raises
        AssertionError naming `what` and the kinds seen when it does not come in time or the
        stream ends first."""
        deadline = time.monotonic() + timeout
        with self._changed:
            checked = 0
            while True:
                for event in self.events[checked:]:
                    if predicate(event):
                        return event
                checked = len(self.events)
                left = deadline - time.monotonic()
                if self.ended or left <= 0:
                    why = (f"the stream ended ({self._describe_error()})" if self.ended
                           else f"not within {timeout} s")
                    raise AssertionError(f"no event {what}: {why}; seen: {self.summary()}")
                self._changed.wait(left)

    def wait_for_kind(self, kind, timeout=15.0, where=lambda payload_message: True):
        """The first event of `kind` whose payload message satisfies `where`."""
        return self.wait_for(
            lambda event: payload(event) == kind and where(getattr(event, kind)), timeout, kind)

    def wait_ended(self, timeout):
        """Waits for the stream to end; returns the error that ended it (None for a clean
        end)."""
        with self._changed:
            self._changed.wait_for(lambda: self.ended, timeout)
            if not self.ended:
                raise AssertionError(f"the stream did not end within {timeout} s")
            return self.error

    def cancel(self):
        """Cancels the call and waits for the reading thread; the events stay."""
        self._call.cancel()
        self._thread.join(timeout=10)
        if self._thread.is_alive():
            raise AssertionError("the watch thread did not end after cancel()")

    def snapshot(self):
        with self._changed:
            return list(self.events)

    def summary(self):
        return ", ".join(f"#{event.sequence} {payload(event)}" for event in self.snapshot())

    def _describe_error(self):
        if self.error is None:
            return "cleanly"
        return f"{self.error.code().name}: {self.error.details()}"
