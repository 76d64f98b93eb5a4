"""RDB snapshots: SAVE/BGSAVE/LASTSAVE, save points, SHUTDOWN and SIGTERM saves, loading at
start (expired keys dropped, corrupt files refused), and files interchangeable with Debian's
redis-server 7.0 in both directions (redis-check-rdb accepts ours, each loads the other's with
the same DEBUG DIGEST)."""
import os
import shutil
import signal
import subprocess
import time

import pytest
import redis

from conftest import SERVER_BIN, TARGET, ReferenceRedis, free_port
from helpers import command_error, dataset_digest, start_in, wait_until
from test_80_dump_restore import make_values


def shutdown(c, **kwargs):
    """SHUTDOWN (redis-py may or may not report the closed connection)."""
    try:
        c.shutdown(**kwargs)
    except redis.ConnectionError:
        pass


def exited(s):
    """Waits for a server that was told to exit, and marks it stopped."""
    s.proc.wait(timeout=10)
    assert s.stop() == 0


def raw(c, *args):
    """The reply as sent (redis-py turns BGSAVE's status into True)."""
    conn = c.connection_pool.get_connection("_")
    try:
        conn.send_command(*args)
        return conn.read_response()
    finally:
        c.connection_pool.release(conn)


def add_function(c):
    c.function_load("#!lua name=mylib\nredis.register_function('myfunc', function() return 1 end)")


def test_save_and_restart_keeps_everything(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data)
    c = s.client()
    make_values(c)
    c.set("ttl", "v", px=100_000)
    c.select(3)
    c.set("in-db-3", "x")
    c.select(0)
    add_function(c)
    before = dataset_digest(c)
    assert c.save() is True
    assert c.lastsave().timestamp() > time.time() - 10
    assert c.info("persistence")["rdb_changes_since_last_save"] == 0
    s.stop()
    s2 = start_in(start_server, data)
    c2 = s2.client()
    assert dataset_digest(c2) == before
    assert 90_000 < c2.pttl("ttl") <= 100_000
    assert c2.fcall("myfunc", 0) == 1
    assert c2.info("persistence")["rdb_last_load_keys_loaded"] > 0


def test_redis_check_rdb_accepts_our_file_and_redis_loads_it(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data)
    c = s.client()
    make_values(c)
    c.set("ttl", "v", px=100_000)
    add_function(c)
    before = dataset_digest(c)
    c.save()
    check = subprocess.run(["redis-check-rdb", str(data / "dump.rdb")], capture_output=True,
                           text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "RDB looks OK" in check.stdout
    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    shutil.copy(data / "dump.rdb", ref_dir / "dump.rdb")
    ref = ReferenceRedis(ref_dir)
    try:
        rc = ref.client()
        assert dataset_digest(rc) == before
        assert rc.fcall("myfunc", 0) == 1
    finally:
        ref.stop()


def test_we_load_a_file_written_by_redis(start_server, tmp_path):
    ref_dir = tmp_path / "ref"
    ref = ReferenceRedis(ref_dir)
    try:
        rc = ref.client()
        make_values(rc)
        rc.set("ttl", "v", px=100_000)
        add_function(rc)
        expected = dataset_digest(rc)
        rc.save()
    finally:
        ref.stop()
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(ref_dir / "dump.rdb", data / "dump.rdb")
    s = start_in(start_server, data)
    c = s.client()
    assert dataset_digest(c) == expected
    assert c.fcall("myfunc", 0) == 1


def test_bgsave(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data)
    c = s.client()
    c.execute_command("DEBUG", "POPULATE", "200000", "key", "100")
    before = dataset_digest(c)
    first = c.lastsave()
    time.sleep(1.1)  # LASTSAVE has a one-second resolution
    assert raw(c, "BGSAVE") == "Background saving started"
    # A second request while the child runs is refused, with SCHEDULE too (it only waits for
    # other kinds of child).
    if c.info("persistence")["rdb_bgsave_in_progress"]:
        assert command_error(c, "BGSAVE") == "Background save already in progress"
        assert command_error(c, "BGSAVE", "SCHEDULE") == "Background save already in progress"
    assert wait_until(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0
                      and c.lastsave() > first, 30)
    assert wait_until(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0, 30)
    info = c.info("persistence")
    assert info["rdb_last_bgsave_status"] == "ok"
    assert c.info("stats")["total_forks"] >= 1
    assert command_error(c, "BGSAVE", "FOO") == "syntax error"
    s.stop()
    c2 = start_in(start_server, data).client()
    assert dataset_digest(c2) == before


def test_save_points_trigger_a_background_save(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data, "--save", "1 3")
    c = s.client()
    assert c.config_get("save") == {"save": "1 3"}
    for i in range(3):
        c.set(f"k{i}", i)
    assert wait_until(lambda: (data / "dump.rdb").exists()
                      and c.info("persistence")["rdb_changes_since_last_save"] == 0, 10)


def test_shutdown_saves_when_save_points_are_set(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data, "--save", "3600 1")
    c = s.client()
    c.set("a", "1")
    shutdown(c)
    exited(s)
    s2 = start_in(start_server, data)
    c2 = s2.client()
    assert c2.get("a") == "1"
    c2.set("b", "2")
    shutdown(c2, nosave=True)
    exited(s2)
    c3 = start_in(start_server, data).client()
    assert c3.get("b") is None


def test_sigterm_saves(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data, "--save", "3600 1")
    s.client().set("a", "1")
    s.signal(signal.SIGTERM)
    exited(s)
    assert start_in(start_server, data).client().get("a") == "1"


def test_shutdown_save_without_save_points(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data)
    s.client().set("a", "1")
    shutdown(s.client(), save=True)
    exited(s)
    assert start_in(start_server, data).client().get("a") == "1"


def test_expired_keys_are_dropped_at_load(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data)
    c = s.client()
    c.set("short", "v", px=300)
    c.set("long", "v", ex=1000)
    c.save()
    s.stop()
    time.sleep(0.5)
    c2 = start_in(start_server, data).client()
    assert c2.exists("short") == 0 and c2.exists("long") == 1
    info = c2.info("persistence")
    assert info["rdb_last_load_keys_expired"] == 1
    assert info["rdb_last_load_keys_loaded"] == 1


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_a_damaged_file_stops_the_start(start_server, tmp_path, damage):
    data = tmp_path / "data"
    s = start_in(start_server, data)
    c = s.client()
    c.execute_command("DEBUG", "POPULATE", "1000")
    c.save()
    s.stop()
    path = data / "dump.rdb"
    raw = bytearray(path.read_bytes())
    if damage == "truncate":
        raw = raw[:len(raw) // 2]
    elif damage == "flip":
        raw[len(raw) // 2] ^= 0x01
    else:
        raw = bytearray(b"not an rdb file at all")
    path.write_bytes(bytes(raw))
    proc = subprocess.run([SERVER_BIN, "--dir", str(data), "--port", str(free_port()),
                           "--bind", "127.0.0.1", "--save", ""],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    if TARGET != "redis":  # Redis words it differently per case
        assert "Fatal error loading the DB" in proc.stdout + proc.stderr


def test_failed_bgsave_stops_writes(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data, "--save", "3600 1")
    c = s.client()
    (data / "dump.rdb").mkdir()  # the final rename cannot replace a directory
    assert raw(c, "BGSAVE") == "Background saving started"
    assert wait_until(lambda: c.info("persistence")["rdb_last_bgsave_status"] == "err", 10)
    msg = command_error(c, "SET", "k", "v")
    assert msg.startswith("MISCONF Redis is configured to save RDB snapshots")
    assert c.get("k") is None  # reads still work
    (data / "dump.rdb").rmdir()
    assert raw(c, "BGSAVE") == "Background saving started"
    assert wait_until(lambda: c.info("persistence")["rdb_last_bgsave_status"] == "ok", 10)
    assert c.set("k", "v") is True


def test_clients_get_loading_while_the_file_loads(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data)
    c = s.client()
    c.execute_command("DEBUG", "POPULATE", "20000", "key", "10")
    c.save()
    s.stop()
    # 20,000 keys at 100 us each: about two seconds of loading, served every 1 KB.
    s2 = start_in(start_server, data, "--key-load-delay", "100",
                  "--loading-process-events-interval-bytes", "1024", wait=False)
    c2 = s2.client(socket_timeout=5)

    def answering():
        try:
            c2.ping()
            return True
        except redis.BusyLoadingError:
            return True
        except redis.ConnectionError:
            return False

    assert wait_until(answering, 10)
    with pytest.raises(redis.BusyLoadingError) as e:
        c2.ping()
    assert str(e.value) == "Redis is loading the dataset in memory"
    info = c2.info("persistence")  # INFO may run while loading
    assert info["loading"] == 1
    assert 0 <= info["loading_loaded_perc"] <= 100
    assert info["loading_total_bytes"] > 0
    assert wait_until(lambda: c2.info("persistence")["loading"] == 0, 30)
    assert c2.dbsize() == 20000


def test_a_crash_during_bgsave_leaves_the_previous_file(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data, "--rdb-key-save-delay", "200")
    c = s.client()
    c.mset({f"old:{i}": i for i in range(100)})
    c.config_set("rdb-key-save-delay", "0")
    assert c.save() is True
    saved = dataset_digest(c)
    c.mset({f"new:{i}": i for i in range(5000)})
    c.config_set("rdb-key-save-delay", "200")
    assert c.bgsave() is True
    time.sleep(0.3)
    assert c.info("persistence")["rdb_bgsave_in_progress"] == 1  # 5100 keys x 200 us
    assert list(data.glob("temp-*.rdb"))
    s.kill()  # the server and its saving child
    c2 = start_in(start_server, data).client()
    assert dataset_digest(c2) == saved


@pytest.mark.parametrize("name,value,kind", [("dbfilename", "/tmp/x.rdb", "filename"),
                                             ("appendfilename", "a/b.aof", "filename"),
                                             ("appenddirname", "sub/dir", "dirname")])
def test_file_names_cannot_be_paths(start_server, name, value, kind):
    s = start_server([f"--{name}", value], wait=False)
    assert s.proc.wait(timeout=10) != 0
    s.stop()
    assert f"{name} can't be a path, just a {kind}" in s.log_text()


def test_rdb_del_sync_files_is_a_known_setting(r):
    assert r.config_get("rdb-del-sync-files") == {"rdb-del-sync-files": "no"}
    assert r.config_set("rdb-del-sync-files", "yes") is True
