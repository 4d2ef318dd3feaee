"""Checks on failed calls: the status code, and a details() text an operator can act on that
gives away no secret."""

import time

import grpc


def expect_error(test, code, call, *args, secrets=(), **kwargs):
    """Runs call(*args, **kwargs), which must fail with `code`; checks the details text and
    returns the grpc.RpcError. For a server-streaming call, pass a function that reads the
    first message."""
    try:
        result = call(*args, **kwargs)
    except grpc.RpcError as error:
        test.assertEqual(error.code(), code,
                         f"expected {code.name}, got {error.code().name}: {error.details()!r}")
        check_details(test, error, secrets)
        return error
    test.fail(f"expected {code.name}, but the call succeeded with {result!r}")


def check_details(test, error, secrets=()):
    """details() is a sentence for a person: words, not empty, not just the code's name, one
    line, and none of `secrets` (keys, key hashes, token secrets) in it."""
    details = error.details() or ""
    test.assertGreaterEqual(len(details.strip()), 10, f"details too short: {details!r}")
    test.assertIn(" ", details.strip(), f"details is not a sentence: {details!r}")
    test.assertNotEqual(details.strip().upper().replace(" ", "_"), error.code().name)
    test.assertNotIn("\n", details.strip(), f"details spans lines: {details!r}")
    for secret in secrets:
        if secret:
            test.assertNotIn(secret, details, "details contains key material")


def first_message(stream):
    """The first message of a server stream (raises its grpc.RpcError)."""
    return next(iter(stream))


def eventually(probe, timeout, what, interval=0.25):
    """Polls probe() until it returns something truthy; fails naming `what` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s (last: {value!r})")
        time.sleep(interval)
