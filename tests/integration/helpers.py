"""Small helpers shared by the integration tests."""
import threading
import time

import pytest
import redis

from resp import ErrorReply


def command_error(client, *args):
    """The error message redis-py reports for a command (without the 'ERR ' prefix)."""
    with pytest.raises(redis.ResponseError) as ei:
        client.execute_command(*args)
    return str(ei.value)


def error_text(reply):
    """The text of a raw error reply; fails if the reply is not an error."""
    assert isinstance(reply, ErrorReply), f"expected an error reply, got {reply!r}"
    return reply.message


def wait_until(predicate, timeout, interval=0.02):
    """Polls predicate() until it is true or `timeout` seconds passed; returns its last value."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


ZERO_DIGEST = b"0" * 40


def assert_same_digests(tess, ref, keys):
    """DEBUG DIGEST-VALUE of keys (the last one missing) and DEBUG DIGEST of the whole dataset
    agree between Tessera and the reference server (bytes clients). Returns the dataset digest."""
    want = ref.execute_command("DEBUG", "DIGEST-VALUE", *keys)
    got = tess.execute_command("DEBUG", "DIGEST-VALUE", *keys)
    assert want[-1] == ZERO_DIGEST
    assert len(set(want)) == len(keys)
    assert dict(zip(keys, got)) == dict(zip(keys, want))
    want_all = ref.execute_command("DEBUG", "DIGEST")
    assert want_all != ZERO_DIGEST
    assert tess.execute_command("DEBUG", "DIGEST") == want_all
    return want_all


def same_reply(tess, ref, *args, shape=None):
    """Runs a command on Tessera and on the reference server; the replies (or error texts),
    optionally passed through shape(), must be equal. Returns Tessera's."""
    out = []
    for c in (tess, ref):
        try:
            reply = c.execute_command(*args)
        except redis.ResponseError as e:
            reply = ("error", str(e))
        out.append(shape(reply) if shape is not None else reply)
    assert out[0] == out[1], f"{args}:\n tessera {out[0]!r}\n redis   {out[1]!r}"
    return out[0]


def read_bytes(c, n, timeout=5):
    """The next n bytes a raw connection receives (exactly), without parsing them."""
    deadline = time.time() + timeout
    while len(c.buf) < n:
        assert time.time() < deadline, f"only {c.buf!r} arrived"
        c._fill()
    data, c.buf = c.buf[:n], c.buf[n:]
    return data


def expect_bytes(c, expected):
    assert read_bytes(c, len(expected)) == expected


def start_in(start_server, folder, *args, wait=True, port=None):
    """A server (DEBUG enabled) whose working folder is `folder`: persistence tests restart
    servers on the same files (and replication tests on the same port)."""
    folder.mkdir(parents=True, exist_ok=True)
    return start_server(["--dir", str(folder), "--enable-debug-command", "yes", *args], wait=wait,
                        port=port)


def dataset_digest(c):
    """DEBUG DIGEST as text, from a str or bytes client."""
    d = c.execute_command("DEBUG", "DIGEST")
    return d.decode() if isinstance(d, bytes) else d


def writer_threads(port, stop, acked, n=50):
    """n clients writing unique keys until `stop` is set; each acknowledged write goes into
    `acked` as (key, time.monotonic()). A client stops at its first failed write (a dropped
    connection, a timeout or a refusal: none of those is an acknowledgement)."""
    def run(tid):
        c = redis.Redis(port=port, socket_timeout=5)
        i = 0
        while not stop.is_set():
            key = f"t{tid}:{i}"
            try:
                c.set(key, "v")
            except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
                return
            acked.append((key, time.monotonic()))
            i += 1
    threads = [threading.Thread(target=run, args=(t,), daemon=True) for t in range(n)]
    for t in threads:
        t.start()
    return threads


def absent_keys(c, keys):
    """The keys that do not exist on c, checked in one pipeline."""
    pipe = c.pipeline(transaction=False)
    for k in keys:
        pipe.exists(k)
    return [k for k, there in zip(keys, pipe.execute()) if not there]
