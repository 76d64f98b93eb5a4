"""Replication, the replica's side: tessera-server following a tessera or a Debian redis-server
master (disk and diskless full syncs, the stream of every type), partial resync after a
dropped link, after a restart of either side and after a promotion, chained replicas,
read-only replicas, REPLICAOF NO ONE, ROLE and INFO replication."""
import pytest
import redis

from conftest import TARGET, ReferenceRedis
from helpers import dataset_digest, start_in, wait_until
from test_80_dump_restore import make_values
from test_90_replication import check_follows, fill_for_sync, in_sync, info, mixed_writes

pytestmark = pytest.mark.skipif(TARGET == "redis", reason="Tessera as the replica")


def node(start_server, tmp_path, name, *args):
    return start_in(start_server, tmp_path / name, "--repl-timeout", "10",
                    "--repl-diskless-sync-delay", "0", *args)


def follow(start_server, tmp_path, name, master_port, *args):
    return node(start_server, tmp_path, name, "--replicaof", "127.0.0.1", str(master_port), *args)


def test_follows_a_tessera_master(start_server, tmp_path):
    a = node(start_server, tmp_path, "a")
    ac = a.client()
    fill_for_sync(ac)
    b = follow(start_server, tmp_path, "b", a.port)
    bc = b.client()
    check_follows(ac, bc)
    r = info(bc)
    assert (r["role"], r["master_host"], r["master_port"]) == ("slave", "127.0.0.1", a.port)
    assert r["master_link_status"] == "up" and r["slave_read_only"] == 1
    assert r["master_replid"] == info(ac)["master_replid"]
    assert bc.execute_command("ROLE") == ["slave", "127.0.0.1", a.port, "connected",
                                          r["slave_repl_offset"]]
    with pytest.raises(redis.exceptions.ReadOnlyError):
        bc.set("x", "1")
    assert info(ac)["slave0"]["state"] == "online"


def test_replicaof_in_the_config_holds_with_the_aof_on(start_server, tmp_path):
    """`replicaof` given at start makes a replica with appendonly yes too (it was ignored when
    the AOF was the persistence)."""
    a = node(start_server, tmp_path, "a")
    ac = a.client()
    fill_for_sync(ac)
    b = follow(start_server, tmp_path, "b", a.port, "--appendonly", "yes")
    check_follows(ac, b.client())
    assert info(b.client())["role"] == "slave"


@pytest.mark.parametrize("diskless", ["yes", "no"])
def test_follows_a_redis_master(start_server, tmp_path, diskless):
    ref = ReferenceRedis(tmp_path / "redis", args=["--repl-diskless-sync", diskless,
                                                   "--repl-diskless-sync-delay", "0"])
    try:
        rc = ref.client()
        fill_for_sync(rc)
        b = follow(start_server, tmp_path, "b", ref.port)
        bc = b.client()
        check_follows(rc, bc)
        # A dropped link continues from Redis's backlog.
        rc.execute_command("CLIENT", "KILL", "TYPE", "replica")
        rc.set("while-down", "1")
        assert wait_until(lambda: in_sync(rc, bc), 30)
        st = rc.info("stats")
        assert st["sync_full"] == 1 and st["sync_partial_ok"] == 1
        assert bc.get("while-down") == "1"
        # Redis reads our acknowledged offset.
        assert wait_until(lambda: rc.info("replication")["slave0"]["offset"]
                          == rc.info("replication")["master_repl_offset"], 5)
    finally:
        ref.stop()


def test_partial_resync_after_the_link_drops(start_server, tmp_path):
    a = node(start_server, tmp_path, "a")
    ac = a.client()
    ac.set("k", "v")
    b = follow(start_server, tmp_path, "b", a.port)
    bc = b.client()
    assert wait_until(lambda: in_sync(ac, bc), 30)
    bc.execute_command("CLIENT", "KILL", "TYPE", "master")
    ac.set("while-down", "1")
    assert wait_until(lambda: in_sync(ac, bc), 30)
    st = info(ac, "stats")
    assert st["sync_full"] == 1 and st["sync_partial_ok"] == 1
    assert dataset_digest(bc) == dataset_digest(ac)


def test_chained_replicas_get_the_same_stream(start_server, tmp_path):
    a = node(start_server, tmp_path, "a")
    ac = a.client()
    make_values(ac)
    b = follow(start_server, tmp_path, "b", a.port)
    c = follow(start_server, tmp_path, "c", b.port)
    bc, cc = b.client(), c.client()
    assert wait_until(lambda: in_sync(ac, bc) and in_sync(bc, cc), 30)
    mixed_writes(ac)
    assert wait_until(lambda: in_sync(ac, bc) and in_sync(bc, cc), 10)
    assert dataset_digest(cc) == dataset_digest(ac)
    # The same history: the same ID and offsets down the chain.
    assert info(cc)["master_replid"] == info(ac)["master_replid"]
    assert info(cc)["slave_repl_offset"] == info(ac)["master_repl_offset"]


def test_promotion_lets_siblings_continue(start_server, tmp_path):
    a = node(start_server, tmp_path, "a")
    ac = a.client()
    mixed_writes(ac, 50)
    b = follow(start_server, tmp_path, "b", a.port)
    c = follow(start_server, tmp_path, "c", a.port)
    bc, cc = b.client(), c.client()
    assert wait_until(lambda: in_sync(ac, bc) and in_sync(ac, cc), 30)
    old_id = info(ac)["master_replid"]
    a.kill()
    assert bc.execute_command("REPLICAOF", "NO", "ONE") == "OK"
    r = info(bc)
    assert r["role"] == "master" and r["master_replid2"] == old_id
    bc.set("after-promotion", "1")
    assert cc.execute_command("REPLICAOF", "127.0.0.1", str(b.port)) == "OK"
    assert wait_until(lambda: in_sync(bc, cc), 30)
    st = info(bc, "stats")
    assert st["sync_full"] == 0 and st["sync_partial_ok"] == 1, st
    assert cc.get("after-promotion") == "1"
    assert dataset_digest(cc) == dataset_digest(bc)
    assert cc.execute_command("REPLICAOF", "127.0.0.1", str(b.port)) == \
        "OK Already connected to specified master"


def test_restarts_continue_partially(start_server, tmp_path):
    a = node(start_server, tmp_path, "a")
    ac = a.client()
    mixed_writes(ac, 50)
    b = follow(start_server, tmp_path, "b", a.port)
    bc = b.client()
    assert wait_until(lambda: in_sync(ac, bc), 30)
    # The replica restarts from its RDB (which records the replication ID and offset).
    try:
        bc.execute_command("SHUTDOWN", "SAVE")
    except redis.ConnectionError:
        pass
    b.proc.wait(10)
    b.stop()
    ac.set("while-replica-down", "1")
    b = follow(start_server, tmp_path, "b", a.port)
    bc = b.client()
    assert wait_until(lambda: in_sync(ac, bc), 30)
    st = info(ac, "stats")
    assert st["sync_full"] == 1 and st["sync_partial_ok"] == 1, st
    # The master restarts from its RDB: the replica continues under the master's second ID.
    try:
        ac.execute_command("SHUTDOWN", "SAVE")
    except redis.ConnectionError:
        pass
    a.proc.wait(10)
    a.stop()
    a = start_in(start_server, tmp_path / "a", "--repl-timeout", "10",
                 "--repl-diskless-sync-delay", "0", port=a.port)
    ac = a.client()
    assert wait_until(lambda: in_sync(ac, bc), 30)
    st = info(ac, "stats")
    assert st["sync_full"] == 0 and st["sync_partial_ok"] == 1, st
    assert dataset_digest(bc) == dataset_digest(ac)


def test_replicaof_errors_and_no_one(start_server, tmp_path):
    s = node(start_server, tmp_path, "a")
    c = s.client()
    with pytest.raises(redis.ResponseError, match="not an integer"):
        c.execute_command("REPLICAOF", "127.0.0.1", "port")
    assert c.execute_command("REPLICAOF", "NO", "ONE") == "OK"
    assert c.execute_command("ROLE")[0] == "master"
    # A master that does not answer: the replica keeps trying and says so.
    assert c.execute_command("SLAVEOF", "127.0.0.1", "1") in (True, "OK")  # redis-py parses it
    r = info(c)
    assert r["role"] == "slave" and r["master_link_status"] == "down"
    assert r["master_link_down_since_seconds"] == -1  # never up with this master
    assert c.get("anything") is None  # serves (stale) reads meanwhile
    assert c.execute_command("REPLICAOF", "NO", "ONE") == "OK"
    assert c.set("x", "1") is True


def test_min_replicas_to_write_fences_a_lonely_master(start_server, tmp_path):
    a = node(start_server, tmp_path, "a", "--min-replicas-to-write", "1",
             "--min-replicas-max-lag", "2")
    ac = a.client()
    with pytest.raises(redis.ResponseError, match="NOREPLICAS Not enough good replicas to write"):
        ac.set("k", "v")
    assert ac.get("k") is None  # reads go on
    b = follow(start_server, tmp_path, "b", a.port)
    assert wait_until(lambda: info(ac)["connected_slaves"] == 1
                      and info(ac).get("min_slaves_good_slaves") == 1, 30)
    assert ac.set("k", "v") is True
    b.kill()
    # Once the replica's last ACK is older than min-replicas-max-lag, writes stop again.
    assert wait_until(lambda: info(ac).get("min_slaves_good_slaves") == 0, 10)
    with pytest.raises(redis.ResponseError, match="NOREPLICAS"):
        ac.incr("n")
    p = ac.pipeline(transaction=True)
    p.set("a", 1)
    with pytest.raises(redis.ResponseError, match="NOREPLICAS"):
        p.execute()


def test_stale_data_and_announcements(start_server, tmp_path):
    a = node(start_server, tmp_path, "a")
    ac = a.client()
    ac.set("k", "v")
    b = follow(start_server, tmp_path, "b", a.port, "--replica-announce-ip", "10.1.2.3",
               "--replica-announce-port", "7777", "--replica-priority", "42",
               "--replica-serve-stale-data", "no")
    bc = b.client()
    assert wait_until(lambda: in_sync(ac, bc), 30)
    slave = info(ac)["slave0"]
    assert (slave["ip"], slave["port"]) == ("10.1.2.3", 7777)
    assert info(bc)["slave_priority"] == 42
    assert bc.get("k") == "v"
    a.kill()
    assert wait_until(lambda: info(bc)["master_link_status"] == "down", 20)
    assert 0 <= info(bc)["master_link_down_since_seconds"] < 20
    assert ":S " in b.log_text()  # log lines carry the replica role letter
    with pytest.raises(redis.ResponseError, match="MASTERDOWN Link with MASTER is down"):
        bc.get("k")
    assert info(bc)["role"] == "slave"  # commands flagged stale (INFO, REPLICAOF...) still work
    # Scripts: only those declaring allow-stale run, and then only stale-flagged commands.
    with pytest.raises(redis.ResponseError, match="MASTERDOWN Link with MASTER is down and"):
        bc.eval("return 1", 0)
    with pytest.raises(redis.ResponseError, match="'allow-stale' flag is not set"):
        bc.eval("#!lua flags=no-writes\nreturn 1", 0)
    assert bc.eval("#!lua flags=no-writes,allow-stale\nreturn 1", 0) == 1
    assert "role:slave" in bc.eval(
        "#!lua flags=no-writes,allow-stale\nreturn redis.call('info', 'replication')", 0)
    with pytest.raises(redis.ResponseError, match="Can not execute the command on a stale replica"):
        bc.eval("#!lua flags=no-writes,allow-stale\nreturn redis.call('get', 'k')", 0)


def test_an_empty_restarted_master_does_not_wipe_its_replica(start_server, tmp_path):
    a = node(start_server, tmp_path, "a")
    ac = a.client()
    ac.mset({f"k{i}": i for i in range(100)})
    b = follow(start_server, tmp_path, "b", a.port)
    bc = b.client()
    assert wait_until(lambda: in_sync(ac, bc), 30)
    port = a.port
    a.kill()
    for f in (tmp_path / "a").glob("*.rdb"):
        f.unlink()
    a = start_in(start_server, tmp_path / "a", port=port)  # no persistence: back empty
    ac = a.client()
    assert wait_until(lambda: "Refusing the empty dataset" in b.log_text(), 20)
    assert bc.dbsize() == 100 and info(bc)["master_link_status"] == "down"
    # The operator decides: an explicit REPLICAOF accepts the empty master.
    bc.execute_command("REPLICAOF", "127.0.0.1", str(port))
    assert wait_until(lambda: in_sync(ac, bc), 30)
    assert bc.dbsize() == 0


def test_one_diskless_transfer_serves_several_replicas(start_server, tmp_path):
    a = node(start_server, tmp_path, "a", "--repl-diskless-sync-delay", "30",
             "--repl-diskless-sync-max-replicas", "2")
    ac = a.client()
    ac.execute_command("DEBUG", "POPULATE", "50000")
    b = follow(start_server, tmp_path, "b", a.port)
    c = follow(start_server, tmp_path, "c", a.port)
    bc, cc = b.client(), c.client()
    # Well before the 30 s delay: the second replica completes the set.
    assert wait_until(lambda: in_sync(ac, bc) and in_sync(ac, cc), 20)
    assert "target: replicas sockets (2 replicas)" in a.log_text()
    assert not list((tmp_path / "a").glob("*.rdb"))  # nothing written to disk
    ac.set("after", "1")
    assert wait_until(lambda: in_sync(ac, bc) and in_sync(ac, cc), 10)
    assert dataset_digest(bc) == dataset_digest(ac) == dataset_digest(cc)


def test_replica_hides_expired_keys_but_waits_for_the_masters_del(start_server, tmp_path):
    a = node(start_server, tmp_path, "a")
    ac = a.client()
    ac.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")  # the master will not expire it yet
    b = follow(start_server, tmp_path, "b", a.port)
    bc = b.client()
    # In sync first, so the key's short life is not spent in a (sanitizer-slow) full sync; the
    # stream must then flow at once (no wait for the replica's next periodic ACK).
    assert wait_until(lambda: in_sync(ac, bc), 30)
    ac.set("k", "v", px=500)
    assert wait_until(lambda: in_sync(ac, bc), 10)
    assert bc.get("k") == "v"
    assert wait_until(lambda: bc.get("k") is None, 5)  # logically expired: hidden
    assert bc.dbsize() == 1  # but not deleted by the replica itself
    assert ac.get("k") is None  # the master expires it on access and propagates the DEL
    assert wait_until(lambda: bc.dbsize() == 0, 5)


def test_failover_hands_over_without_losing_writes(start_server, tmp_path):
    a = node(start_server, tmp_path, "a")
    ac = a.client()
    with pytest.raises(redis.ResponseError, match="FAILOVER requires connected replicas"):
        ac.execute_command("FAILOVER")
    mixed_writes(ac, 30)
    b = follow(start_server, tmp_path, "b", a.port)
    c = follow(start_server, tmp_path, "c", a.port)
    bc, cc = b.client(), c.client()
    assert wait_until(lambda: in_sync(ac, bc) and in_sync(ac, cc)
                      and [v["state"] for k, v in info(ac).items() if k.startswith("slave")]
                      == ["online", "online"], 30)
    with pytest.raises(redis.ResponseError, match="not a replica"):
        ac.execute_command("FAILOVER", "TO", "127.0.0.1", "1")
    with pytest.raises(redis.ResponseError, match="requires both a timeout and target"):
        ac.execute_command("FAILOVER", "FORCE")
    with pytest.raises(redis.ResponseError, match="No failover in progress"):
        ac.execute_command("FAILOVER", "ABORT")
    with pytest.raises(redis.ResponseError, match="not valid when server is a replica"):
        bc.execute_command("FAILOVER")
    ac.set("last-before", "1")
    assert ac.execute_command("FAILOVER", "TO", "127.0.0.1", str(b.port), "TIMEOUT", "10000") \
        in (True, "OK")
    assert wait_until(lambda: info(bc)["role"] == "master" and info(ac)["role"] == "slave"
                      and info(ac)["master_link_status"] == "up", 20)
    assert info(ac)["master_port"] == b.port
    assert info(ac)["master_failover_state"] == "no-failover"
    assert bc.get("last-before") == "1"
    st = info(bc, "stats")
    assert st["sync_full"] == 0 and st["sync_partial_ok"] >= 1  # the old master continued
    bc.set("after", "1")
    assert wait_until(lambda: in_sync(bc, ac) and ac.get("after") == "1", 10)
    # The other replica follows the old master, now a replica itself: it gets the writes too.
    assert wait_until(lambda: cc.get("after") == "1", 20)
    assert dataset_digest(cc) == dataset_digest(bc) == dataset_digest(ac)
    with pytest.raises(redis.exceptions.ReadOnlyError):
        ac.set("x", "1")


@pytest.mark.parametrize("mode,in_memory", [("disabled", False), ("on-empty-db", True),
                                            ("swapdb", True)])
def test_repl_diskless_load(start_server, tmp_path, mode, in_memory):
    a = node(start_server, tmp_path, "a")
    ac = a.client()
    fill_for_sync(ac)
    b = follow(start_server, tmp_path, "b", a.port, "--repl-diskless-load", mode)
    bc = b.client()
    check_follows(ac, bc)
    assert ("into memory" in b.log_text()) == in_memory
    assert (tmp_path / "b" / "dump.rdb").exists() == (not in_memory)
    # A second full sync (the replica now holds data): on-empty-db goes through the disk.
    ac.config_set("repl-backlog-size", "16384")
    bc.execute_command("REPLICAOF", "NO", "ONE")
    bc.set("diverged", "1")
    ac.mset({f"more{i}": "x" * 100 for i in range(500)})  # beyond the old history's backlog
    bc.execute_command("REPLICAOF", "127.0.0.1", str(a.port))
    assert wait_until(lambda: in_sync(ac, bc), 30)
    assert bc.get("diverged") is None
    assert dataset_digest(bc) == dataset_digest(ac)
    assert b.log_text().count("into memory") == (2 if mode == "swapdb" else 1 if in_memory else 0)


def test_swapdb_serves_the_old_data_while_loading(start_server, tmp_path):
    a = node(start_server, tmp_path, "a")
    ac = a.client()
    ac.execute_command("DEBUG", "POPULATE", 3000, "new")
    ac.set("shared", "new")
    ac.function_load("#!lua name=newlib\nredis.register_function('f', function() return 2 end)")
    # b holds its own data and a library of its own; each key loads slowly (key-load-delay).
    b = node(start_server, tmp_path, "b", "--repl-diskless-load", "swapdb",
             "--key-load-delay", "1000", "--loading-process-events-interval-bytes", "1024")
    bc = b.client()
    bc.set("old", "1")
    bc.set("shared", "old")
    bc.function_load("#!lua name=oldlib\nredis.register_function('g', function() return 1 end)")
    bc.execute_command("REPLICAOF", "127.0.0.1", str(a.port))
    assert wait_until(lambda: bc.info("persistence")["async_loading"] == 1, 30)
    # While the master's dataset loads beside ours: reads see ours, the loading state shows,
    # and what would disturb the load waits.
    assert bc.get("old") == "1" and bc.get("shared") == "old"
    assert bc.info("persistence")["loading"] == 0
    assert bc.dbsize() == 2
    with pytest.raises(redis.exceptions.BusyLoadingError):  # redis-py's name for -LOADING
        bc.execute_command("REPLICAOF", "NO", "ONE")
    assert wait_until(lambda: in_sync(ac, bc), 60)
    assert bc.info("persistence")["async_loading"] == 0
    assert bc.get("old") is None and bc.get("shared") == "new"
    assert dataset_digest(bc) == dataset_digest(ac)
    # The libraries are the master's now.
    libs = bc.function_list()
    assert len(libs) == 1 and libs[0][1] == "newlib", libs  # [library_name, "newlib", ...]
