"""Replication, the master's side: Debian's redis-server 7.0 replicates from tessera-server
(full sync from an RDB snapshot, the command stream after it, partial resync from the backlog
after a dropped link and after the replica restarts), WAIT, ROLE and INFO replication."""
import time

import pytest
import redis

from conftest import TARGET, ReferenceRedis
from helpers import dataset_digest, wait_until
from test_80_dump_restore import make_values

pytestmark = pytest.mark.skipif(TARGET == "redis", reason="Tessera as the master of a redis "
                                "replica; the reference has its own replication tests")


def info(c, section="replication"):
    return c.info(section)


def in_sync(master, replica):
    m = info(master)
    r = info(replica)
    return (r.get("master_link_status") == "up"
            and r.get("slave_repl_offset") == m["master_repl_offset"])


def master(start_server, *args):
    return start_server(["--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0", *args])


def replica_of(tmp_path, master_port, name="replica", extra=()):
    return ReferenceRedis(tmp_path / name,
                          args=["--replicaof", "127.0.0.1", str(master_port), *extra])


def mixed_writes(c, n=200):
    for i in range(n):
        c.set(f"s:{i}", i)
        c.hset(f"h:{i % 10}", f"f{i}", i)
        c.rpush("list", i)
        c.zadd("zset", {f"m{i}": i / 7})
        c.sadd("set", i)
    c.expire("s:1", 1000)
    c.xadd("stream", {"a": "1"})
    c.eval("redis.call('set', 'from-lua', ARGV[1]); redis.call('incr', 'counter')", 0, "x")
    p = c.pipeline(transaction=True)
    p.incr("counter")
    p.lpush("list", "tx")
    p.execute()
    c.select(3)
    c.set("in-db-3", "y")
    c.select(0)
    c.delete("s:5")


def fill_for_sync(c):
    """Every encoding, and enough keys that the snapshot is not trivial."""
    make_values(c)
    c.execute_command("DEBUG", "POPULATE", "20000")


def check_follows(master_c, replica_c):
    """The replica gets the snapshot, then the stream of every type, with equal digests."""
    assert wait_until(lambda: in_sync(master_c, replica_c), 30)
    assert dataset_digest(replica_c) == dataset_digest(master_c)
    mixed_writes(master_c)
    assert wait_until(lambda: in_sync(master_c, replica_c), 10)
    assert dataset_digest(replica_c) == dataset_digest(master_c)


@pytest.mark.parametrize("diskless", ["yes", "no"])
def test_redis_replica_full_sync_and_stream(start_server, tmp_path, diskless):
    s = master(start_server, "--repl-diskless-sync", diskless)
    c = s.client()
    fill_for_sync(c)
    rep = replica_of(tmp_path, s.port)
    try:
        rc = rep.client()
        check_follows(c, rc)
        # The replica acknowledges its offset every second.
        assert wait_until(lambda: info(c)["slave0"]["offset"] == info(c)["master_repl_offset"], 5)
        m = info(c)
        assert m["role"] == "master" and m["connected_slaves"] == 1
        slave = m["slave0"]
        assert (slave["ip"], slave["port"], slave["state"]) == ("127.0.0.1", rep.port, "online")
        assert slave["offset"] == m["master_repl_offset"]
        assert m["repl_backlog_active"] == 1 and m["repl_backlog_histlen"] > 0
        assert info(c, "stats")["sync_full"] == 1
        role = c.execute_command("ROLE")
        assert role[0] == "master" and role[1] == m["master_repl_offset"]
        assert role[2] == [["127.0.0.1", str(rep.port), role[2][0][2]]]
    finally:
        rep.stop()


def test_partial_resync_after_the_link_drops(start_server, tmp_path):
    s = master(start_server)
    c = s.client()
    c.set("before", "1")
    rep = replica_of(tmp_path, s.port)
    try:
        rc = rep.client()
        assert wait_until(lambda: in_sync(c, rc), 30)
        c.execute_command("CLIENT", "KILL", "TYPE", "replica")
        c.set("while-down", "2")
        assert wait_until(lambda: in_sync(c, rc), 30)
        c.set("after", "3")
        assert wait_until(lambda: in_sync(c, rc), 10)
        st = info(c, "stats")
        assert st["sync_full"] == 1 and st["sync_partial_ok"] == 1
        assert dataset_digest(rc) == dataset_digest(c)
    finally:
        rep.stop()


def test_restarted_replica_continues_from_its_rdb(start_server, tmp_path):
    s = master(start_server)
    c = s.client()
    mixed_writes(c, 50)
    rep = replica_of(tmp_path, s.port)
    rc = rep.client()
    assert wait_until(lambda: in_sync(c, rc), 30)
    try:
        rc.shutdown(save=True)
    except redis.ConnectionError:
        pass
    rep.stop()
    c.set("while-restarting", "1")
    rep = replica_of(tmp_path, s.port)
    try:
        rc = rep.client()
        assert wait_until(lambda: in_sync(c, rc), 30)
        st = info(c, "stats")
        assert st["sync_full"] == 1 and st["sync_partial_ok"] == 1, st
        assert rc.get("while-restarting") == b"1"
        assert dataset_digest(rc) == dataset_digest(c)
    finally:
        rep.stop()


def test_wait(start_server, tmp_path):
    s = master(start_server)
    c = s.client()
    assert c.execute_command("WAIT", 0, 0) == 0
    rep = replica_of(tmp_path, s.port)
    try:
        rc = rep.client()
        assert wait_until(lambda: in_sync(c, rc), 30)
        c.set("k", "v")
        assert c.execute_command("WAIT", 1, 5000) == 1
        t = time.monotonic()
        c.set("k2", "v")
        assert c.execute_command("WAIT", 2, 300) == 1  # only one replica: times out
        assert 0.25 <= time.monotonic() - t < 3
        with pytest.raises(redis.ResponseError, match="timeout is negative"):
            c.execute_command("WAIT", 1, -1)
    finally:
        rep.stop()


def test_sync_waits_for_a_running_bgsave(start_server, tmp_path):
    s = master(start_server, "--rdb-key-save-delay", "100")
    c = s.client()
    c.execute_command("DEBUG", "POPULATE", "5000")
    assert c.bgsave() is True
    rep = replica_of(tmp_path, s.port)
    try:
        rc = rep.client()
        c.set("during", "1")
        assert wait_until(lambda: in_sync(c, rc), 60)
        assert rc.get("during") == b"1" and rc.dbsize() == 5001
    finally:
        rep.stop()


def test_replconf_errors(start_server):
    c = start_server().client()
    with pytest.raises(redis.ResponseError, match="Unrecognized REPLCONF option: foo"):
        c.execute_command("REPLCONF", "foo", "bar")
    with pytest.raises(redis.ResponseError, match="syntax error"):
        c.execute_command("REPLCONF", "listening-port")
    assert c.execute_command("REPLCONF", "listening-port", "7000", "capa", "eof") == "OK"


@pytest.mark.parametrize("delete", ["yes", "no"])
def test_rdb_del_sync_files(start_server, tmp_path, delete):
    s = master(start_server, "--rdb-del-sync-files", delete, "--repl-diskless-sync", "no")
    c = s.client()
    c.set("k", "v")
    rep = replica_of(tmp_path, s.port)
    try:
        assert wait_until(lambda: in_sync(c, rep.client()), 30)
        assert (s.workdir / "dump.rdb").exists() == (delete == "no")
    finally:
        rep.stop()


def test_backlog_ttl_frees_the_backlog(start_server, tmp_path):
    s = master(start_server, "--repl-backlog-ttl", "1")
    c = s.client()
    rep = replica_of(tmp_path, s.port)
    try:
        assert wait_until(lambda: in_sync(c, rep.client()), 30)
    finally:
        rep.stop()
    old = info(c)["master_replid"]
    assert wait_until(lambda: info(c)["repl_backlog_active"] == 0, 10)
    assert info(c)["master_replid"] != old
    c.set("k", "v")  # writes go on without a backlog


def test_sync_for_old_clients(start_server):
    """SYNC (pre-PSYNC replicas, redis-cli --rdb): the RDB as a bulk, then the stream."""
    import socket
    s = master(start_server)
    c = s.client()
    c.set("k", "v")
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    sock.sendall(b"SYNC\r\n")
    buf = b""
    while b"\r\n" not in buf.lstrip(b"\n"):
        buf += sock.recv(65536)
    buf = buf.lstrip(b"\n")
    header, rest = buf.split(b"\r\n", 1)
    assert header.startswith(b"$")
    size = int(header[1:])
    while len(rest) < size:
        rest += sock.recv(65536)
    assert rest.startswith(b"REDIS0010")
    stream = rest[size:]
    c.set("after", "1")
    while b"after" not in stream:
        stream += sock.recv(65536)
    assert b"$3\r\nSET\r\n$5\r\nafter\r\n" in stream
    sock.close()


def test_warns_when_the_backlog_is_smaller_than_a_timeout_of_writes(start_server, tmp_path):
    s = master(start_server, "--repl-backlog-size", "16384", "--repl-timeout", "10")
    c = s.client()
    rep = replica_of(tmp_path, s.port)
    try:
        assert wait_until(lambda: in_sync(c, rep.client()), 30)
        assert info(c)["repl_backlog_too_small"] == 0
        payload = "x" * 1000
        deadline = time.time() + 10
        while time.time() < deadline and info(c)["repl_backlog_too_small"] == 0:
            c.mset({f"k{i}": payload for i in range(200)})  # ~200 KB per round
        assert info(c)["repl_backlog_too_small"] == 1
        assert "holds less than repl-timeout" in s.log_text()
    finally:
        rep.stop()
