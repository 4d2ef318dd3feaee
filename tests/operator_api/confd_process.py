"""One confd child process for a test, configured with operator keys and a join-token secret.

Everything lives in a private temporary directory: the config file, the join-token secret,
data_dir, and confd's stdout and stderr (files, not pipes: a chatty child never blocks, and
the output stays readable after it exits). Both servers listen on 127.0.0.1 port 0; the ports
come from confd's one stdout line. stop() always ends the process, and the kernel ends it too
if this test process dies first (PR_SET_PDEATHSIG).
"""

import base64
import ctypes
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time

import grpc

import api_stubs

CONFD_PATH = os.environ.get("CONFD_PATH", "")
WHIP_CLIENT_PATH = os.environ.get("WHIP_CLIENT_PATH", "")

ALL_SCOPES = ("rooms", "recordings", "tokens", "events", "streams")

_LISTENING = re.compile(r"^confd listening on (http://\S+/) \(grpc (\S+)\)$", re.MULTILINE)
_PR_SET_PDEATHSIG = 1
# Looked up now: between fork and exec (gRPC's threads are running) the child must not dlopen.
_prctl = ctypes.CDLL(None, use_errno=True).prctl


def _die_with_parent():
    """Runs in the child between fork and exec: SIGKILL it when the parent thread ends."""
    _prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))


def spawn(argv, stdout, stderr, cwd=None):
    """Starts a helper process that cannot outlive the test. Call it on the main thread: the
    death signal follows the thread that forked."""
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                            cwd=cwd, preexec_fn=_die_with_parent)


def hash_key(key):
    """What `confd --hash-key` prints and auth.operator_keys[].hash holds."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def new_key():
    """A fresh operator key, shaped like `confd --generate-key` output."""
    return "confd_" + secrets.token_urlsafe(32)


def _tmp_root():
    root = os.environ.get("CONF_TEST_TMPDIR") or tempfile.gettempdir()
    os.makedirs(root, exist_ok=True)
    return root


class Confd:
    """confd with one operator key per entry of `keys` ({name: scopes}).

    `config` is merged over the test's base config (one level deep), e.g.
    {"rooms": {"max_rooms": 5}}.
    """

    def __init__(self, keys=None, config=None):
        if not CONFD_PATH or not os.access(CONFD_PATH, os.X_OK):
            raise RuntimeError(f"CONFD_PATH={CONFD_PATH!r} is not an executable confd")
        self.dir = tempfile.mkdtemp(prefix="operator-api-", dir=_tmp_root())
        self.data_dir = os.path.join(self.dir, "data")
        self.recordings_dir = os.path.join(self.data_dir, "recordings")
        scopes = keys or {"ops": ALL_SCOPES}
        self.keys = {name: new_key() for name in scopes}

        # What `openssl rand -base64 48 > FILE` makes: 64 characters, over HS256's 32 bytes.
        self.token_secret_file = os.path.join(self.dir, "join-token.secret")
        with open(self.token_secret_file, "w", encoding="ascii") as out:
            out.write(base64.b64encode(secrets.token_bytes(48)).decode() + "\n")
        os.chmod(self.token_secret_file, 0o600)

        settings = {
            "http": {"listen": "127.0.0.1:0"},
            "grpc": {"listen": "127.0.0.1:0"},
            "data_dir": self.data_dir,
            "recording": {"min_free_mb": 64},
            "auth": {
                "operator_keys": [
                    {"name": name, "hash": hash_key(self.keys[name]),
                     "scopes": list(scopes[name])}
                    for name in self.keys
                ],
                "join_tokens": {"algorithm": "HS256", "key_file": self.token_secret_file,
                                "required": True},
            },
        }
        for section, values in (config or {}).items():
            if isinstance(values, dict) and isinstance(settings.get(section), dict):
                settings[section].update(values)
            else:
                settings[section] = values
        self.config_file = os.path.join(self.dir, "confd.json")
        with open(self.config_file, "w", encoding="utf-8") as out:
            json.dump(settings, out, indent=2)

        self.http_url = ""       # "http://127.0.0.1:PORT/"
        self.grpc_address = ""   # "127.0.0.1:PORT"
        self._stdout_path = os.path.join(self.dir, "confd.stdout")
        self._stderr_path = os.path.join(self.dir, "confd.stderr")
        env_free_of_gst_debug = {k: v for k, v in os.environ.items() if k != "GST_DEBUG"}
        with open(self._stdout_path, "wb") as out, open(self._stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                [CONFD_PATH, "--config", self.config_file], stdin=subprocess.DEVNULL,
                stdout=out, stderr=err, cwd=self.dir, env=env_free_of_gst_debug,
                preexec_fn=_die_with_parent)

    def wait_listening(self, timeout=15.0):
        """Reads the ports from confd's listening line; raises with its stderr if it never
        comes."""
        deadline = time.monotonic() + timeout
        while True:
            match = _LISTENING.search(self.stdout_text())
            if match:
                self.http_url, self.grpc_address = match.group(1), match.group(2)
                return self
            if self.process.poll() is not None or time.monotonic() > deadline:
                state = (f"exited with {self.process.returncode}"
                         if self.process.poll() is not None else f"silent for {timeout} s")
                raise RuntimeError(f"confd {state} before its listening line.\nstdout:\n"
                                   f"{self.stdout_text()}\nstderr:\n{self.stderr_tail()}")
            time.sleep(0.05)

    def stop(self, grace=10.0):
        """SIGTERM, then SIGKILL after `grace` seconds; returns the exit code. Idempotent."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def remove_files(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def stdout_text(self):
        with open(self._stdout_path, encoding="utf-8", errors="replace") as text:
            return text.read()

    def stderr_tail(self, lines=60):
        with open(self._stderr_path, encoding="utf-8", errors="replace") as text:
            return "".join(text.readlines()[-lines:])

    def key_material(self):
        """Every secret a message must never repeat: the keys, their hashes, the token
        secret."""
        with open(self.token_secret_file, encoding="ascii") as secret:
            material = [secret.read().strip()]
        for key in self.keys.values():
            material += [key, hash_key(key).split(":", 1)[1]]
        return material


class ConfdTestMixin:
    """For unittest.TestCase classes that share one confd: setUpClass starts it and opens
    `channel` to its gRPC server, with `api`, the conf.v1 stubs that send the "ops" key (a
    class extends it with super().setUpClass()). A class cleanup stops confd whatever happens,
    and prints its stderr (and keeps its files) when a test of the class failed."""

    confd_keys = None    # {name: scopes}; None: one key "ops" with every scope
    confd_config = None  # merged over the base config
    _failed = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_confd()
        cls.channel = grpc.insecure_channel(cls.confd.grpc_address)
        cls.addClassCleanup(cls.channel.close)
        cls.api = api_stubs.Stubs(cls.channel, cls.confd.keys["ops"])

    @classmethod
    def start_confd(cls):
        cls.confd = Confd(keys=cls.confd_keys, config=cls.confd_config)
        cls.addClassCleanup(cls._stop_confd)
        cls.confd.wait_listening()
        return cls.confd

    @classmethod
    def _stop_confd(cls):
        exit_code = cls.confd.stop()
        if cls._failed:
            print(f"\n--- {cls.__name__}: confd exited with {exit_code}; its files are kept in "
                  f"{cls.confd.dir}; stderr (last lines):\n{cls.confd.stderr_tail()}---",
                  flush=True)
        else:
            cls.confd.remove_files()

    def run(self, result=None):
        before = len(result.failures) + len(result.errors) if result is not None else 0
        outcome = super().run(result)
        if result is not None and len(result.failures) + len(result.errors) > before:
            type(self)._failed = True
        return outcome
