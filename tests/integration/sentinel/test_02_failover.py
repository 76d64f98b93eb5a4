"""Automatic failover with real processes on loopback: a killed master is replaced by a
replica, every sentinel and its state file learn the new configuration, the other replicas and
the old master (when it returns) follow the new master, and clients find it."""
import threading
import time

import redis
import redis.sentinel

from helpers import absent_keys, writer_threads
from sentinel_support import MASTER, SLOW, EventListener, ha, wait_for  # noqa: F401


def role(server):
    return server.client().execute_command("ROLE")


def test_killed_master_is_replaced(ha):
    h = ha(replicas=2, sentinels=3)
    events = EventListener(h.sentinels[1])
    mc = h.master.client()
    for i in range(100):
        mc.set(f"k{i}", i)
    assert mc.execute_command("WAIT", 2, 5000) == 2
    old = h.master
    t0 = time.monotonic()
    old.kill()
    new_addr = h.wait_moved(old.port, 10 * SLOW)
    elapsed = time.monotonic() - t0
    assert elapsed < 3.0 * SLOW, f"failover took {elapsed:.2f} s with down-after 1000 ms"
    new = h.by_port(new_addr[1])
    nc = new.client()
    assert nc.set("after", "1")
    assert nc.get("k99") == "99"
    # The events, in Redis's formats.
    switch = events.wait("+switch-master")
    assert switch == [f"{MASTER} 127.0.0.1 {old.port} 127.0.0.1 {new.port}"]
    events.poll()
    assert ("+new-epoch", "1") in events.events, events.events
    events.close()
    # A quorum (2) saw it down; the third may learn the new master before its own verdict.
    sdown = f"+sdown master {MASTER} 127.0.0.1 {old.port}"
    assert sum(1 for s in h.sentinels if sdown in s.log_text()) >= 2
    assert sum(1 for s in h.sentinels if "+odown master" in s.log_text()) >= 1
    # The other replica follows the new master.
    other = next(r for r in h.replicas if r.port != new.port)
    wait_for(lambda: role(other)[:3] == ["slave", "127.0.0.1", new.port], 10 * SLOW,
             what="the other replica to follow the new master")
    # One leader did it, in epoch 1, and every sentinel wrote it down.
    for s in h.sentinels:
        m = s.master_info()
        assert m["config-epoch"] == 1
        state = s.state_path.read_text()
        assert f"sentinel monitor \"{MASTER}\" 127.0.0.1 {new.port} 2" in state
        assert "sentinel current-epoch 1" in state
    leaders = sum(s.log_text().count("+elected-leader") for s in h.sentinels)
    assert leaders == 1


def test_old_master_returns_as_a_replica(ha, start_server):
    h = ha(replicas=1, sentinels=3)
    old_port = h.master.port
    h.master.kill()
    h.wait_master(h.replicas[0].port, timeout=10 * SLOW)
    new = h.replicas[0]
    new.client().set("written-after", "yes")
    # The old master comes back (empty, no persistence) on its port: it must not stay a
    # master; the sentinels make it a replica of the new one and it gets the data.
    back = start_server(port=old_port)
    wait_for(lambda: role(back)[:3] == ["slave", "127.0.0.1", new.port], 10 * SLOW,
             what="the old master to be converted")
    wait_for(lambda: back.client().get("written-after") == "yes", 10 * SLOW,
             what="the converted master to sync")
    assert any("+convert-to-slave" in s.log_text() for s in h.sentinels)


def test_replica_priority(ha):
    # The best-placed replica by offset ties; priority decides: 0 never, then the lowest.
    h = ha(replicas=3, sentinels=3, replica_args=[["--replica-priority", "0"],
                                                    ["--replica-priority", "50"],
                                                    ["--replica-priority", "10"]])
    for s in h.sentinels:
        prios = sorted(r["slave-priority"] for r in s.client().sentinel_slaves(MASTER))
        assert prios == [0, 10, 50]
    h.master.kill()
    h.wait_master(h.replicas[2].port, timeout=10 * SLOW)
    assert role(h.replicas[2])[0] == "master"
    assert role(h.replicas[0])[0] == "slave"


def test_redis_py_sentinel_client_follows_the_failover(ha):
    h = ha(replicas=2, sentinels=3)
    sentinel = redis.sentinel.Sentinel([("127.0.0.1", s.port) for s in h.sentinels],
                                       socket_timeout=2)
    assert sentinel.discover_master(MASTER) == ("127.0.0.1", h.master.port)
    assert sorted(sentinel.discover_slaves(MASTER)) == sorted(("127.0.0.1", r.port)
                                                             for r in h.replicas)
    master = sentinel.master_for(MASTER, socket_timeout=2)
    stop = threading.Event()
    errors, acked = [], []

    def writer():
        i = 0
        while not stop.is_set():
            try:
                master.set(f"w{i}", i)
                acked.append(i)
                i += 1
            except (redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError) as e:
                errors.append(type(e).__name__)
                time.sleep(0.05)
    t = threading.Thread(target=writer, daemon=True)
    t.start()
    wait_for(lambda: len(acked) > 100, 10, what="writes before the failover")
    h.master.kill()

    def moved():
        try:
            addr = sentinel.discover_master(MASTER)
        except redis.sentinel.MasterNotFoundError:  # down, not yet replaced
            return None
        return addr if addr[1] != h.master.port else None
    new_addr = wait_for(moved, 10 * SLOW, interval=0.1, what="redis-py to see the new master")
    count = len(acked)
    wait_for(lambda: len(acked) > count + 100, 10 * SLOW, what="writes on the new master")
    stop.set()
    t.join(5)
    assert master.connection_pool.get_master_address() == new_addr
    assert errors, "the writer should have seen the old master go"


def test_synchronous_replication_loses_no_acknowledged_write(ha):
    """min-sync-replicas 1 on the master: a write is acknowledged only once a replica has it,
    and the sentinels promote the most advanced replica (fresh INFO at selection), so a
    SIGKILL of the master under 50 writers loses nothing that was acknowledged."""
    h = ha(replicas=2, sentinels=3, server_args=["--min-sync-replicas", "1"])
    stop = threading.Event()
    acked = []
    threads = writer_threads(h.master.port, stop, acked, n=20)
    wait_for(lambda: len(acked) > 2000, 20 * SLOW, what="acknowledged writes")
    h.master.kill()
    stop.set()
    for t in threads:
        t.join(10)
    new_addr = h.wait_moved(h.master.port, 10 * SLOW)
    new = h.by_port(new_addr[1]).client()
    keys = [k for k, _ in acked]
    assert absent_keys(new, keys) == [], "acknowledged writes were lost"


def test_master_restart_within_down_after_changes_nothing(ha, start_server):
    h = ha(replicas=1, sentinels=3, down_after=3000,
           server_args=["--appendonly", "yes", "--appendfsync", "always"])
    mc = h.master.client()
    for i in range(50):
        mc.set(f"k{i}", i)
    port, folder = h.master.port, h.master.workdir
    h.master.stop()
    h.master = start_server(["--dir", str(folder), "--appendonly", "yes"], port=port)
    time.sleep(4)  # past down-after
    assert h.agreed_master() == ("127.0.0.1", port)
    assert h.master.client().get("k49") == "49"
    for s in h.sentinels:
        assert "+try-failover" not in s.log_text()
        assert "+sdown master" not in s.log_text()
    assert any("+reboot" in s.log_text() for s in h.sentinels)
