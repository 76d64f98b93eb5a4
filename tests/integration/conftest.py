"""Fixtures that start real tessera-server processes on free loopback ports.

TESSERA_BIN_DIR points at a build folder (default: build/release). With TESSERA_TARGET=redis
the same tests run against Debian's redis-server, which is how the tests themselves are
checked against the reference behaviour; tests of Tessera-only behaviour are marked
`tessera_only` and skipped there.
"""
import os
import pathlib
import signal
import socket
import subprocess
import time

import pytest
import redis

from resp import RawConnection

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN_DIR = pathlib.Path(os.environ.get("TESSERA_BIN_DIR", ROOT / "build" / "release"))
TARGET = os.environ.get("TESSERA_TARGET", "tessera")
SERVER_BIN = (
    "redis-server" if TARGET == "redis" else str(BIN_DIR / "server" / "tessera-server")
)
SANITIZED = "sanitize" in str(BIN_DIR)


def pytest_configure(config):
    config.addinivalue_line("markers", "tessera_only: behaviour Redis does not have")
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


def pytest_collection_modifyitems(config, items):
    if TARGET != "redis":
        return
    skip = pytest.mark.skip(reason="Tessera-only behaviour (TESSERA_TARGET=redis)")
    for item in items:
        if "tessera_only" in item.keywords:
            item.add_marker(skip)


def free_port():
    """A TCP port that is free on 127.0.0.1 now (and whose bus port +10000 is free too)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as s2:
            try:
                s2.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


class ManagedProcess:
    """What every process a test starts shares: its log, signals, a clean stop (SIGTERM, and
    SIGKILL of its group if it hangs), a kill, and the check that no sanitizer complained.
    Subclasses set self.proc, self.log, self.log_path and self.stopped."""

    kind = "process"
    # What an answer to PING starts with once the process serves (also when it asks for AUTH).
    ready_replies = (b"+PONG", b"-NOAUTH", b"-DENIED")

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.proc.returncode}:\n"
                                   f"{self.log_text()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(self.ready_replies):
                        return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"{self.kind} did not start:\n{self.log_text()}")

    def log_text(self):
        if not self.log.closed:
            self.log.flush()
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def alive(self):
        return self.proc.poll() is None

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def stop(self, timeout=15):
        """SIGTERM (after SIGCONT, in case a test paused it), wait; returns the exit code.
        Kills the process group on timeout."""
        if self.stopped:
            return self.proc.returncode
        self.stopped = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                self.log.close()
                raise AssertionError(f"{self.kind} did not exit on SIGTERM:\n{self.log_text()}")
        self.log.close()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.stopped = True
        self.log.close()

    def finish(self):
        """Stops it at the end of a test. Returns what went wrong ("" if nothing): it died, or
        exited non-zero; fails at once if a sanitizer reported anything."""
        if self.stopped:
            self.check_clean()
            return ""
        if not self.alive():
            return (f"{self.kind} on port {self.port} died (exit {self.proc.returncode}):\n"
                    f"{self.log_text()[-4000:]}")
        code = self.stop()
        self.check_clean()
        if code != 0:
            return f"{self.kind} on port {self.port} exited with {code}:\n{self.log_text()[-4000:]}"
        return ""

    def check_clean(self):
        """Fails if sanitizers reported anything."""
        text = self.log_text()
        for marker in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
            assert marker not in text, f"sanitizer report in {self.kind} log:\n{text[-4000:]}"


class ServerProcess(ManagedProcess):
    """One server process. Starts in the foreground; stop() checks it exited cleanly."""

    kind = "server"

    def __init__(self, workdir, args=(), config_text=None, port=None, wait=True, env=None,
                 netns=None, bind="127.0.0.1", host=None):
        self.workdir = pathlib.Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.host = host or bind.split()[0]
        self.log_path = self.workdir / f"server-{self.port}.log"
        cmd = []
        if netns:
            cmd += ["ip", "netns", "exec", netns]
        cmd.append(SERVER_BIN)
        if config_text is not None:
            self.config_path = self.workdir / f"server-{self.port}.conf"
            self.config_path.write_text(config_text)
            cmd.append(str(self.config_path))
        else:
            self.config_path = None
        cmd += ["--port", str(self.port), "--bind", *bind.split(), "--dir", str(self.workdir)]
        # No save points unless a test asks (both servers default to Redis 7's three).
        cmd += ["--save", "", "--appendonly", "no"]
        cmd += [str(a) for a in args]
        self.cmd = cmd
        self.log = open(self.log_path, "ab")
        full_env = dict(os.environ)
        full_env.setdefault("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1")
        if env:
            full_env.update(env)
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=self.workdir, env=full_env, start_new_session=True)
        self.stopped = False
        if wait:
            self.wait_ready()


    @property
    def pid(self):
        return self.proc.pid

    def client(self, **kwargs):
        kwargs.setdefault("decode_responses", True)
        kwargs.setdefault("socket_timeout", 10)
        return redis.Redis(host=self.host, port=self.port, **kwargs)

    def raw(self, timeout=5):
        return RawConnection(self.host, self.port, timeout=timeout)

    def cli(self, *args, resp3=False, stdin=None, timeout=20, check=False):
        """Runs redis-cli against this server; returns the CompletedProcess (text)."""
        cmd = ["redis-cli", "-h", self.host, "-p", str(self.port)]
        if resp3:
            cmd.append("-3")
        cmd += [str(a) for a in args]
        return subprocess.run(cmd, input=stdin, capture_output=True, text=True,
                              timeout=timeout, check=check)


@pytest.fixture
def start_server(tmp_path):
    """Factory: start_server(args=[...], config_text=None) -> ServerProcess, stopped afterwards
    with a check that each server was alive, exits cleanly and logged no sanitizer report."""
    servers = []

    def start(args=(), wait=True, **kwargs):
        s = ServerProcess(tmp_path / f"srv{len(servers)}", args=args, wait=False, **kwargs)
        servers.append(s)  # before waiting: a server that fails to start is still stopped
        if wait:
            try:
                s.wait_ready()
            except Exception:
                s.kill()
                raise
        return s

    yield start
    problems = [p for p in (s.finish() for s in servers) if p]
    assert not problems, "\n".join(problems)


@pytest.fixture
def server(start_server):
    """A server with the default configuration (plus DEBUG enabled)."""
    return start_server(["--enable-debug-command", "yes"])


@pytest.fixture
def r(server):
    """A redis-py client (RESP2, decoded strings) of the default server."""
    c = server.client()
    yield c
    c.close()


@pytest.fixture
def rb(server):
    """A redis-py client returning bytes."""
    c = server.client(decode_responses=False)
    yield c
    c.close()


# ------------------------------------------------------------- the reference redis-server


class ReferenceRedis:
    """Debian's redis-server on a free loopback port: the behaviour oracle that tests compare
    Tessera with side by side (replies, DEBUG DIGEST, encodings). Stopped by its PID."""

    def __init__(self, workdir, args=()):
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.log_path = workdir / f"redis-{self.port}.log"
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--enable-debug-command", "yes", "--dir", str(workdir),
             *args],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=workdir, start_new_session=True)
        deadline = time.time() + 30  # generous: the machine may be busy with a build
        while True:
            if self.proc.poll() is not None:
                self.log.close()
                raise RuntimeError(f"redis-server exited with {self.proc.returncode}:\n"
                                   f"{self.log_path.read_text(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if time.time() > deadline:
                self.stop()
                raise RuntimeError("redis-server did not answer PING within 30 s:\n"
                                   f"{self.log_path.read_text(errors='replace')}")
            time.sleep(0.02)

    def client(self, **kwargs):
        kwargs.setdefault("socket_timeout", 10)
        kwargs.setdefault("decode_responses", False)
        return redis.Redis(host="127.0.0.1", port=self.port, **kwargs)

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if not self.log.closed:
            self.log.close()


@pytest.fixture
def reference_redis(tmp_path):
    """A fresh, empty reference redis-server for one test."""
    ref = ReferenceRedis(tmp_path / "reference-redis")
    yield ref
    ref.stop()


@pytest.fixture
def reference(reference_redis):
    """A bytes redis-py client (one connection) of the reference redis-server."""
    c = reference_redis.client(single_connection_client=True)
    yield c
    c.close()
