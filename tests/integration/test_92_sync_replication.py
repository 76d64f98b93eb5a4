"""The synchronous mode (min-sync-replicas N): a write's reply leaves only after N replicas
acknowledged it, other clients are not held up, a master without N replicas refuses writes,
a hold that outlives repl-timeout closes its client and stops writes until the replicas catch
up, and no acknowledged write is lost when the master is killed and the most up-to-date replica
is promoted."""
import os
import random
import signal
import threading
import time

import pytest
import redis

from conftest import SANITIZED, TARGET
from helpers import absent_keys, dataset_digest, start_in, wait_until, writer_threads
from test_90_replication import in_sync, info

pytestmark = pytest.mark.skipif(TARGET == "redis", reason="a Tessera extension")


def node(start_server, tmp_path, name, *args):
    return start_in(start_server, tmp_path / name, "--repl-diskless-sync-delay", "0", *args)


def follow(start_server, tmp_path, name, port, *args):
    return node(start_server, tmp_path, name, "--replicaof", "127.0.0.1", str(port), *args)


def online(c, n=1):
    """The master counts n replicas online (after a diskless sync: once they ACKed)."""
    r = info(c)
    states = [v["state"] for k, v in r.items() if k.startswith("slave") and isinstance(v, dict)]
    return states.count("online") >= n


def test_writes_need_enough_replicas(start_server, tmp_path):
    a = node(start_server, tmp_path, "a", "--min-sync-replicas", "1")
    ac = a.client()
    with pytest.raises(redis.ResponseError, match="NOREPLICAS Not enough replicas"):
        ac.set("k", "v")
    assert ac.get("k") is None  # reads are fine
    b = follow(start_server, tmp_path, "b", a.port)
    bc = b.client()
    assert wait_until(lambda: online(ac), 30)
    t = time.monotonic()
    for i in range(100):
        assert ac.set(f"k{i}", i) is True
    assert time.monotonic() - t < 5  # GETACK answers at once, not once a second
    # Acknowledged means on the replica already.
    assert bc.get("k99") == "99"


def test_held_replies_do_not_block_others(start_server, tmp_path):
    a = node(start_server, tmp_path, "a", "--min-sync-replicas", "1", "--repl-timeout", "30")
    ac = a.client()
    b = follow(start_server, tmp_path, "b", a.port)
    assert wait_until(lambda: in_sync(ac, b.client()) and online(ac), 30)
    os.kill(b.pid, signal.SIGSTOP)
    try:
        result = {}

        def writer():
            result["reply"] = a.client().set("held", "1")
            result["at"] = time.monotonic()

        th = threading.Thread(target=writer)
        th.start()
        time.sleep(0.5)
        assert "reply" not in result  # its reply waits for the stopped replica
        assert ac.get("held") == "1"  # applied here, and other clients go on
        assert ac.ping() is True
        resumed = time.monotonic()
        os.kill(b.pid, signal.SIGCONT)
        th.join(10)
        assert result["reply"] is True and result["at"] >= resumed
    finally:
        os.kill(b.pid, signal.SIGCONT)


def test_a_hold_past_repl_timeout_stops_writes_until_replicas_catch_up(start_server, tmp_path):
    a = node(start_server, tmp_path, "a", "--min-sync-replicas", "1", "--repl-timeout", "2")
    ac = a.client()
    b = follow(start_server, tmp_path, "b", a.port, "--repl-timeout", "2")
    assert wait_until(lambda: in_sync(ac, b.client()) and online(ac), 30)
    os.kill(b.pid, signal.SIGSTOP)
    try:
        w = a.client(socket_timeout=20)
        with pytest.raises(redis.ConnectionError):
            w.set("unsure", "1")  # neither OK nor an error: its fate is not known to it
        with pytest.raises(redis.ResponseError, match="NOREPLICAS"):
            ac.set("refused", "1")
    finally:
        os.kill(b.pid, signal.SIGCONT)
    assert wait_until(lambda: _writes_work(ac), 30)
    assert wait_until(lambda: in_sync(ac, b.client()), 30)
    assert dataset_digest(b.client()) == dataset_digest(ac)


def _writes_work(c):
    try:
        return c.set("back", "1") is True
    except redis.ResponseError:
        return False


def kill_round(start_server, tmp_path, rnd, r):
    a = node(start_server, tmp_path, f"a{r}", "--min-sync-replicas", "1")
    ac = a.client()
    replicas = [follow(start_server, tmp_path, f"r{r}-{i}", a.port) for i in range(2)]
    assert wait_until(lambda: online(ac, 2), 30)
    stop = threading.Event()
    acked = []
    threads = writer_threads(a.port, stop, acked, n=10)
    time.sleep(rnd.uniform(0.2, 0.8))
    a.kill()
    stop.set()
    for t in threads:
        t.join(5)
    # Promote the replica that got furthest.
    best = max(replicas, key=lambda s: info(s.client())["slave_repl_offset"])
    bc = best.client()
    bc.execute_command("REPLICAOF", "NO", "ONE")
    missing = absent_keys(bc, [k for k, _ in acked])
    for s in replicas:
        s.stop()
    return len(acked), missing


@pytest.mark.slow
def test_no_acknowledged_write_is_lost_when_the_master_dies(start_server, tmp_path):
    rnd = random.Random(4321)
    rounds = 6 if SANITIZED else 20
    total = 0
    for r in range(rounds):
        n, missing = kill_round(start_server, tmp_path, rnd, r)
        total += n
        assert missing == [], f"round {r}: {len(missing)} of {n} acknowledged writes lost"
    assert total > 500
