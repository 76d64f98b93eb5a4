"""Side-by-side runs against the server under test and a reference redis-server: raw
connections that keep each reply's exact bytes, a pair of them that asserts both servers
answer alike, and a thread that runs a long command (used by the scripting and functions
suites)."""
import threading

import pytest

from resp import ErrorReply, RawConnection


def err_bytes(text):
    return b"-" + text.encode() + b"\r\n"


class Recording(RawConnection):
    """A raw connection that also returns the exact bytes of each reply."""

    def __init__(self, host, port, timeout=10):
        super().__init__(host, port, timeout=timeout)
        self.received = b""

    def _fill(self):
        before = len(self.buf)
        super()._fill()
        self.received += self.buf[before:]

    def exchange(self, *args):
        """Sends one command; returns (parsed reply, the reply's exact bytes)."""
        pending = self.buf
        self.received = b""
        value = self.command(*args)
        data = pending + self.received
        return value, data[:len(data) - len(self.buf)]


def norm(v):
    """A comparable form of a parsed reply (ErrorReply instances compare by identity)."""
    if isinstance(v, ErrorReply):
        return ("error", v.message)
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    return v


class Pair:
    """One raw connection to the server under test and one to the reference redis-server."""

    def __init__(self, tess_host, tess_port, ref_port):
        self.tess = Recording(tess_host, tess_port)
        self.ref = Recording("127.0.0.1", ref_port)

    def close(self):
        self.tess.close()
        self.ref.close()

    def hello3(self):
        for c in (self.tess, self.ref):
            reply = c.command("HELLO", "3")
            assert isinstance(reply, dict), reply

    def run(self, *args):
        return self.tess.exchange(*args), self.ref.exchange(*args)

    def same(self, *args, shape=None):
        """Runs a command on both; the parsed replies (optionally passed through shape()) must
        be equal. Returns the reference's, with errors as ("error", text)."""
        (tv, _), (rv, _) = self.run(*args)
        tv, rv = norm(tv), norm(rv)
        if shape is not None:
            tv, rv = shape(tv), shape(rv)
        assert tv == rv, f"{args}:\n tessera {tv!r}\n redis   {rv!r}"
        return rv

    def same_bytes(self, *args):
        """Runs a command on both; the reply bytes must be equal. Returns them."""
        (_, tb), (_, rb_) = self.run(*args)
        assert tb == rb_, f"{args}:\n tessera {tb!r}\n redis   {rb_!r}"
        return rb_

    def mismatches(self, commands):
        """Runs every command on both servers; returns the ones whose reply bytes differ."""
        out = []
        for args in commands:
            (_, tb), (_, rb_) = self.run(*args)
            if tb != rb_:
                out.append(f"{args!r}:\n   tessera {tb!r}\n   redis   {rb_!r}")
        return out

    def all_same(self, commands):
        bad = self.mismatches(commands)
        assert not bad, "replies differ:\n" + "\n".join(bad)

    all_same_bytes = all_same


@pytest.fixture
def pair(server, reference_redis):
    p = Pair(server.host, server.port, reference_redis.port)
    yield p
    p.close()


class CallThread:
    """Runs one command on its own connection in a thread; .result is its reply or exception
    (for commands that keep the server busy, such as a looping script)."""

    def __init__(self, host, port, *args):
        self.conn = RawConnection(host, port, timeout=30)
        self.result = None
        self.thread = threading.Thread(target=self._run, args=args, daemon=True)
        self.thread.start()

    def _run(self, *args):
        try:
            self.result = self.conn.command(*args)
        except Exception as e:  # noqa: BLE001 - reported to the test
            self.result = e

    def join(self, timeout=15):
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def close(self):
        self.conn.close()
