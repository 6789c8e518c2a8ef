"""The AWS emulator: moto_server on a free loopback port, started and stopped by PID.

- ``Emulator.start()`` launches ``python -m tests.harness.moto_server`` (moto plus our
  documented patch layer) with ``MOTO_IAM_LOAD_MANAGED_POLICIES=true`` and the request
  recorder on, waits until it answers, and writes its PID file.
- ``reset()`` wipes every backend (``/moto-api/reset``) and the recording.
- ``calls()`` reads moto's recorder and classifies each AWS API call as a read or a write,
  so a test can assert that an idempotent re-run made zero write calls.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from tests.harness.paths import REPO_ROOT

READ_PREFIXES = (
    "Describe", "List", "Get", "Head", "Lookup", "Search", "Check", "Scan",
    "Query", "BatchGet", "Select", "Validate", "Simulate", "Estimate", "Preview",
)
# Account-level constants used by the test bed.
ACCOUNT_ID = "123456789012"
DUMMY_KEY_ID = "AKIALIFTOFFSANDBOX01"
ROOT_KEY_ID = "AKIALIFTOFFROOTKEY01"
DUMMY_SECRET = "liftoff-sandbox-not-a-secret"

_AUTH_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    method: str
    path: str

    @property
    def is_read(self) -> bool:
        if self.operation.startswith(READ_PREFIXES):
            return True
        # REST APIs (S3, Route 53, CloudFront, Lambda): the HTTP verb says it.
        return self.operation.startswith(("GET ", "HEAD "))

    @property
    def is_write(self) -> bool:
        return not self.is_read

    def __str__(self) -> str:
        return f"{self.service}:{self.operation}"


def _header(headers: dict, name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""


def classify(entry: dict) -> Call | None:
    """Turn one recorder entry into a Call (None for the emulator's own /moto-api)."""
    url = urlparse(entry.get("url", ""))
    if url.path.startswith("/moto-api"):
        return None
    headers = entry.get("headers") or {}
    method = entry.get("method", "GET").upper()
    scope = _AUTH_SCOPE.search(_header(headers, "Authorization"))
    service = scope.group(2) if scope else "unknown"

    target = _header(headers, "X-Amz-Target")
    if target:
        return Call(service, target.split(".")[-1], method, url.path)

    params = parse_qs(url.query)
    body = entry.get("body") or ""
    if entry.get("body_encoded"):
        try:
            body = base64.b64decode(body).decode("utf-8", "replace")
        except ValueError:
            body = ""
    if "Action" not in params and "form-urlencoded" in _header(headers, "Content-Type"):
        params = parse_qs(body)
    if "Action" in params:
        return Call(service, params["Action"][0], method, url.path)
    return Call(service, f"{method} {url.path}", method, url.path)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _terminate_pid(pid: int, timeout: float = 10.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class Emulator:
    def __init__(self, state_dir: Path, host: str = "127.0.0.1", port: int | None = None):
        self.state_dir = Path(state_dir)
        self.host = host
        self.port = port
        self.proc: subprocess.Popen | None = None
        self.pid: int | None = None
        self.pid_file = self.state_dir / "moto.pid"
        self.recording = self.state_dir / "moto-recording.jsonl"
        self.log_file = self.state_dir / "moto.log"

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- lifecycle ---------------------------------------------------------
    def start(self, timeout: float = 30.0) -> "Emulator":
        self.state_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update({
            "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
            "MOTO_ENABLE_RECORDING": "true",
            "MOTO_RECORDER_FILEPATH": str(self.recording),
            "LIFTOFF_MOTO_ROOT_ACCESS_KEYS": ROOT_KEY_ID,
            # ACM issues a requested certificate this many seconds after the request (moto's default is 60): the
            # cdn role's wait is exercised - pending first, then issued - without a minute of idling. 3 s was too
            # short on a loaded 2-core machine: the tasks between the request and the wait took longer, and the
            # certificate was issued before the first poll.
            "MOTO_ACM_VALIDATION_WAIT": "10",
            "PYTHONPATH": str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        })
        self.recording.write_text("")
        for _attempt in range(5):
            if self.port is None:
                self.port = free_port(self.host)
            log = open(self.log_file, "ab")
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.harness.moto_server", "-H", self.host, "-p", str(self.port)],
                cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
            log.close()
            if self._wait_ready(timeout):
                self.pid = self.proc.pid
                self.pid_file.write_text(f"{self.pid}\n")
                (self.state_dir / "endpoint").write_text(self.endpoint + "\n")
                return self
            self.stop()
            self.port = None  # port taken in the meantime: pick another
        raise RuntimeError(f"moto_server did not start; see {self.log_file}")

    @classmethod
    def attach(cls, state_dir: Path) -> "Emulator | None":
        """The emulator a previous ``start()`` left running in state_dir (by PID file), or None."""
        state_dir = Path(state_dir)
        try:
            pid = int((state_dir / "moto.pid").read_text().strip())
            endpoint = (state_dir / "endpoint").read_text().strip()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except (OSError, ValueError):
            return None
        if "tests.harness.moto_server" not in cmdline:
            return None  # stale PID file: that PID is someone else's now
        url = urlparse(endpoint)
        emu = cls(state_dir, host=url.hostname or "127.0.0.1", port=url.port)
        emu.pid = pid
        return emu

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """True once the server answers (a busy machine can make a running server slow to)."""
        return self._wait_ready(timeout)

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=5):
                return True
        except OSError:
            return False

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                return False
            if self._answers():
                return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        """Stop the server we started (by its PID) and forget it."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=10)
        elif self.pid is not None:  # attached from a PID file
            _terminate_pid(self.pid)
        self.proc = None
        self.pid = None
        self.pid_file.unlink(missing_ok=True)

    # -- state -------------------------------------------------------------
    def _post(self, path: str) -> None:
        req = urllib.request.Request(f"{self.endpoint}{path}", data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=30):
            pass

    def reset(self) -> None:
        """Wipe every emulated resource and the call recording."""
        self._post("/moto-api/reset")
        self.reset_calls()

    def reset_calls(self) -> None:
        self._post("/moto-api/recorder/reset-recording")

    def calls(self) -> list[Call]:
        with urllib.request.urlopen(f"{self.endpoint}/moto-api/recorder/download-recording", timeout=30) as resp:
            text = resp.read().decode("utf-8")
        calls = []
        for line in text.splitlines():
            if line.strip():
                call = classify(json.loads(line))
                if call is not None:
                    calls.append(call)
        return calls

    def reads(self) -> list[Call]:
        return [c for c in self.calls() if c.is_read]

    def writes(self) -> list[Call]:
        return [c for c in self.calls() if c.is_write]

    # -- clients -----------------------------------------------------------
    def client_env(self, region: str = "eu-west-1", root: bool = False) -> dict[str, str]:
        """Environment for boto3/ansible pointing at this emulator with dummy credentials."""
        return {
            "AWS_ACCESS_KEY_ID": ROOT_KEY_ID if root else DUMMY_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ENDPOINT_URL": self.endpoint,
        }

    def client(self, service: str, region: str = "eu-west-1", root: bool = False):
        import boto3

        env = self.client_env(region, root)
        client = boto3.client(
            service, region_name=region, endpoint_url=self.endpoint,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        if service == "s3control":  # <account>.127.0.0.1 does not resolve: the module does the same
            from ansible_collections.liftoff.aws.plugins.modules.account_defaults import strip_account_host_prefix

            client.meta.events.register("before-sign.s3-control.*", strip_account_host_prefix)
        return client
