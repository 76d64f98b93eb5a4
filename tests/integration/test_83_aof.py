"""The append-only file: Redis 7's multi-part folder (manifest, RDB-preamble base, incremental
command files), appendfsync policies with real SIGKILL crash tests, CONFIG SET appendonly,
BGREWRITEAOF, truncated and corrupt files, and folders interchangeable with redis-server 7.0."""
import random
import shutil
import signal
import subprocess
import threading
import time

import pytest
import redis

from conftest import BIN_DIR, SANITIZED, SERVER_BIN, TARGET, ReferenceRedis, free_port
from helpers import (absent_keys, command_error, dataset_digest, start_in, wait_until,
                     writer_threads)


def aof_dir(folder):
    return folder / "appendonlydir"


def incr_file(folder):
    files = sorted(aof_dir(folder).glob("appendonly.aof.*.incr.aof"))
    return files[-1]


def test_folder_layout_and_restart(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data, "--appendonly", "yes")
    c = s.client()
    c.set("a", "1")
    c.select(2)
    c.hset("h", mapping={"f": "v"})
    manifest = (aof_dir(data) / "appendonly.aof.manifest").read_text()
    assert manifest == ("file appendonly.aof.1.base.rdb seq 1 type b\n"
                        "file appendonly.aof.1.incr.aof seq 1 type i\n")
    assert (aof_dir(data) / "appendonly.aof.1.base.rdb").read_bytes().startswith(b"REDIS")
    assert wait_until(lambda: b"hset" in incr_file(data).read_bytes().lower(), 5)
    text = incr_file(data).read_bytes()
    assert text.startswith(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n")
    info = c.info("persistence")
    assert info["aof_enabled"] == 1 and info["aof_last_write_status"] == "ok"
    assert info["aof_current_size"] > 0
    before = dataset_digest(c)
    s.stop()
    c2 = start_in(start_server, data, "--appendonly", "yes").client()
    assert dataset_digest(c2) == before
    # The RDB file is not what loads when the AOF is on.
    assert not (data / "dump.rdb").exists()


@pytest.mark.parametrize("policy", ["always", "everysec", "no"])
def test_policies_survive_a_clean_stop(start_server, tmp_path, policy):
    data = tmp_path / "data"
    s = start_in(start_server, data, "--appendonly", "yes", "--appendfsync", policy)
    c = s.client()
    for i in range(100):
        c.set(f"k{i}", i)
    s.stop()
    c2 = start_in(start_server, data, "--appendonly", "yes").client()
    assert c2.dbsize() == 100


def crash_round(start_server, data, policy, rnd):
    """Writes from 50 clients, SIGKILL at a random moment, restart; returns the acknowledged
    writes that are missing and their ages at the kill (seconds)."""
    shutil.rmtree(data, ignore_errors=True)
    s = start_in(start_server, data, "--appendonly", "yes", "--appendfsync", policy)
    stop = threading.Event()
    acked = []
    threads = writer_threads(s.port, stop, acked)
    time.sleep(rnd.uniform(0.2, 0.8))
    s.kill()
    killed_at = time.monotonic()
    stop.set()
    for t in threads:
        t.join(5)
    c = start_in(start_server, data, "--appendonly", "yes").client()
    gone = set(absent_keys(c, [k for k, _ in acked]))
    missing = [killed_at - t for k, t in acked if k in gone]
    c.close()
    return len(acked), missing


@pytest.mark.slow
def test_appendfsync_always_loses_no_acknowledged_write(start_server, tmp_path):
    rnd = random.Random(1234)
    rounds = 8 if SANITIZED else 20
    total = 0
    for r in range(rounds):
        n, missing = crash_round(start_server, tmp_path / f"data{r}", "always", rnd)
        total += n
        assert missing == [], f"round {r}: {len(missing)} of {n} acknowledged writes lost"
    assert total > 1000


@pytest.mark.slow
def test_appendfsync_everysec_loses_at_most_two_seconds(start_server, tmp_path):
    rnd = random.Random(99)
    for r in range(5):
        n, missing = crash_round(start_server, tmp_path / f"data{r}", "everysec", rnd)
        # A SIGKILL leaves the kernel's page cache intact, so in practice nothing is lost; the
        # promise is at most the last two seconds.
        assert all(age <= 2.0 for age in missing), (r, n, max(missing))


def test_config_set_appendonly_at_runtime(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data)
    c = s.client()
    c.execute_command("DEBUG", "POPULATE", "1000")
    assert c.config_set("appendonly", "yes") is True
    # (Redis writes the first base in the background; Tessera before CONFIG SET returns.)
    assert wait_until(lambda: (aof_dir(data) / "appendonly.aof.manifest").exists()
                      and c.info("persistence")["aof_rewrite_in_progress"] == 0, 20)
    assert c.info("persistence")["aof_enabled"] == 1
    c.set("after", "1")
    before = dataset_digest(c)
    s.stop()
    c2 = start_in(start_server, data, "--appendonly", "yes").client()
    assert dataset_digest(c2) == before
    assert c2.config_set("appendonly", "no") is True
    assert c2.info("persistence")["aof_enabled"] == 0


def test_bgrewriteaof_replaces_base_and_increments(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data, "--appendonly", "yes")
    c = s.client()
    for i in range(2000):
        c.incr("counter")
    c.set("x", "y")
    assert c.bgrewriteaof() is True
    assert wait_until(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0
                      and c.info("persistence")["aof_rewrites"] == 1, 20)
    c.set("after-rewrite", "1")
    manifest = (aof_dir(data) / "appendonly.aof.manifest").read_text()
    assert manifest == ("file appendonly.aof.2.base.rdb seq 2 type b\n"
                        "file appendonly.aof.2.incr.aof seq 2 type i\n")
    names = sorted(p.name for p in aof_dir(data).iterdir())
    assert names == ["appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof",
                     "appendonly.aof.manifest"]
    before = dataset_digest(c)
    s.stop()
    c2 = start_in(start_server, data, "--appendonly", "yes").client()
    assert dataset_digest(c2) == before
    assert c2.get("counter") == "2000"


def test_truncated_tail_is_cut_off_with_a_warning(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data, "--appendonly", "yes", "--appendfsync", "always")
    c = s.client()
    c.set("a", "1")
    c.set("b", "2")
    s.stop()
    path = incr_file(data)
    good = path.stat().st_size
    with open(path, "ab") as f:
        f.write(b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1")  # cut in the middle of a command
    s2 = start_in(start_server, data, "--appendonly", "yes")
    c2 = s2.client()
    assert c2.get("a") == "1" and c2.get("b") == "2" and c2.get("c") is None
    assert path.stat().st_size == good
    if TARGET != "redis":
        assert "short read while loading the AOF file" in s2.log_text()
    c2.set("d", "4")
    s2.stop()
    assert start_in(start_server, data, "--appendonly", "yes").client().get("d") == "4"


def run_to_exit(folder, *args):
    port = free_port()
    return subprocess.run([SERVER_BIN, "--dir", str(folder), "--port", str(port), "--bind",
                           "127.0.0.1", "--appendonly", "yes", *args],
                          capture_output=True, text=True, timeout=30)


def test_truncated_tail_refused_when_not_allowed(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data, "--appendonly", "yes")
    s.client().set("a", "1")
    s.stop()
    with open(incr_file(data), "ab") as f:
        f.write(b"*2\r\n$3\r\nGET")
    proc = run_to_exit(data, "--aof-load-truncated", "no")
    assert proc.returncode != 0
    if TARGET != "redis":
        assert "Unexpected end of file" in proc.stdout + proc.stderr
        assert "tessera-check-aof --fix" in proc.stdout + proc.stderr


def test_corruption_in_the_middle_stops_the_start(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data, "--appendonly", "yes")
    c = s.client()
    for i in range(20):
        c.set(f"k{i}", i)
    s.stop()
    path = incr_file(data)
    raw = bytearray(path.read_bytes())
    # Break the structure (a bulk length marker) near the middle, not just a value's bytes.
    at = raw.index(b"\r\n$", len(raw) // 2) + 2
    raw[at] = ord("!")
    path.write_bytes(bytes(raw))
    proc = run_to_exit(data)
    assert proc.returncode != 0
    if TARGET != "redis":
        out = proc.stdout + proc.stderr
        assert "Bad file format reading the append only file" in out
        assert "offset" in out


def test_incomplete_transaction_is_reverted(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data, "--appendonly", "yes")
    s.client().set("a", "1")
    s.stop()
    with open(incr_file(data), "ab") as f:
        f.write(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n")
    c = start_in(start_server, data, "--appendonly", "yes").client()
    assert c.get("a") == "1" and c.get("b") is None


def test_redis_loads_our_aof_and_we_load_its(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data, "--appendonly", "yes")
    c = s.client()
    c.mset({f"key:{i}": f"value:{i}" for i in range(500)})  # (DEBUG POPULATE is not logged)
    c.rpush("l", *range(100))
    c.zadd("z", {"a": 1.5})
    expected = dataset_digest(c)
    s.stop()
    ref_dir = tmp_path / "ref"
    shutil.copytree(aof_dir(data), ref_dir / "appendonlydir")
    ref = ReferenceRedis(ref_dir, args=["--appendonly", "yes"])
    try:
        rc = ref.client()
        assert dataset_digest(rc) == expected
        rc.set("from-redis", "1")
        rc.bgrewriteaof()
        assert wait_until(lambda: rc.info("persistence")["aof_rewrite_in_progress"] == 0, 20)
        rc.set("after", "2")
        expected2 = dataset_digest(rc)
    finally:
        ref.stop()
    back = tmp_path / "back"
    shutil.copytree(ref_dir / "appendonlydir", back / "appendonlydir")
    c2 = start_in(start_server, back, "--appendonly", "yes").client()
    assert dataset_digest(c2) == expected2


def test_bgrewriteaof_errors(start_server, tmp_path):
    s = start_in(start_server, tmp_path / "data", "--appendonly", "yes")
    c = s.client()
    c.execute_command("DEBUG", "POPULATE", "300000")
    assert c.bgrewriteaof() is True
    if c.info("persistence")["aof_rewrite_in_progress"]:
        assert command_error(c, "BGREWRITEAOF") == \
            "Background append only file rewriting already in progress"
    assert wait_until(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0, 30)


def test_bgrewriteaof_with_the_aof_off_writes_a_base(start_server, tmp_path):
    data = tmp_path / "data"
    c = start_in(start_server, data).client()
    c.set("a", "1")
    assert c.bgrewriteaof() is True
    assert wait_until(lambda: (aof_dir(data) / "appendonly.aof.manifest").exists()
                      and c.info("persistence")["aof_rewrite_in_progress"] == 0, 20)
    manifest = (aof_dir(data) / "appendonly.aof.manifest").read_text()
    assert manifest.startswith("file appendonly.aof.1.base.rdb seq 1 type b\n")
    assert c.info("persistence")["aof_enabled"] == 0


CHECK_AOF = str(BIN_DIR / "tools" / "tessera-check-aof")


def check_aof(*args, stdin=None):
    return subprocess.run([CHECK_AOF, *map(str, args)], capture_output=True, text=True,
                          input=stdin, timeout=60)


def test_check_aof_tool(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data, "--appendonly", "yes")
    c = s.client()
    for i in range(50):
        c.set(f"k{i}", i)
    s.stop()
    manifest = aof_dir(data) / "appendonly.aof.manifest"
    r = check_aof(manifest)
    assert r.returncode == 0 and "AOF is valid" in r.stdout, r.stdout
    path = incr_file(data)
    good = path.stat().st_size
    with open(path, "ab") as f:
        f.write(b"*2\r\n$3\r\nGET\r\n$1")
    r = check_aof(manifest)
    assert r.returncode == 1
    assert f"valid up to offset {good}" in r.stdout
    r = check_aof("--fix", manifest, stdin="n\n")  # asked, and declined
    assert r.returncode == 1 and "Continue? [y/N]" in r.stdout
    assert path.stat().st_size > good
    r = check_aof("--fix", "--yes", manifest)
    assert r.returncode == 0 and path.stat().st_size == good
    assert check_aof(path).returncode == 0  # a single file works too
    # Damage inside the base cannot be cut off.
    base = aof_dir(data) / "appendonly.aof.1.base.rdb"
    raw = bytearray(base.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    base.write_bytes(bytes(raw))
    r = check_aof("--fix", "--yes", manifest)
    assert r.returncode == 1 and "not at the end of the last file" in r.stdout


def test_bgsave_waits_for_a_running_rewrite(start_server, tmp_path):
    data = tmp_path / "data"
    c = start_in(start_server, data, "--appendonly", "yes").client()
    c.execute_command("DEBUG", "POPULATE", "400000", "key", "50")
    assert c.bgrewriteaof() is True
    if c.info("persistence")["aof_rewrite_in_progress"]:
        assert command_error(c, "BGSAVE").startswith(
            "Another child process is active (AOF?): can't BGSAVE right now")
        assert c.execute_command("BGSAVE", "SCHEDULE") is True  # "Background saving scheduled"
    else:
        assert c.bgsave() is True
    assert wait_until(lambda: (data / "dump.rdb").exists(), 30)
    assert wait_until(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0, 30)
    assert c.info("persistence")["rdb_last_bgsave_status"] == "ok"


def stream_state(c, key):
    """What a digest leaves out of a stream: counters, groups, PEL and consumers."""
    def text(v):
        if isinstance(v, bytes):
            return v.decode()
        return [text(x) for x in v] if isinstance(v, list) else v

    def pairs(flat):
        return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}
    info = pairs(text(c.execute_command("XINFO", "STREAM", key, "FULL")))
    groups = []
    for g in map(pairs, info["groups"]):
        pel = [(e[0], e[2], e[3]) for e in g["pending"]]  # id, consumer, delivery count
        consumers = sorted((x["name"], len(x["pending"])) for x in map(pairs, g["consumers"]))
        groups.append((g["name"], g["last-delivered-id"], g["entries-read"], pel, consumers))
    return (info["length"], info["last-generated-id"], info["max-deleted-entry-id"],
            info["entries-added"], groups)


def rewrite_and_wait(c, rewrites):
    assert c.bgrewriteaof() is True
    assert wait_until(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0
                      and c.info("persistence")["aof_rewrites"] == rewrites, 30)
    assert c.info("persistence")["aof_last_bgrewrite_status"] == "ok"


def test_rewrite_without_rdb_preamble_writes_commands(start_server, tmp_path):
    from test_80_dump_restore import make_values
    data = tmp_path / "data"
    s = start_in(start_server, data, "--appendonly", "yes", "--aof-use-rdb-preamble", "no")
    c = s.client()
    keys = make_values(c)
    c.xgroup_create("st:empty", "g", id="$")
    c.xgroup_create("st:new", "g", id="$", mkstream=True)
    c.set("ttl", "v", px=100_000)
    c.select(5)
    c.hset("db5", "f", "v")
    c.select(0)
    c.function_load("#!lua name=lib\nredis.register_function('f1', function() return 7 end)")
    rewrite_and_wait(c, 1)
    base = aof_dir(data) / "appendonly.aof.2.base.aof"
    text = base.read_bytes()
    assert text.startswith(b"*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n")
    assert b"REDIS" not in text[:5]
    manifest = (aof_dir(data) / "appendonly.aof.manifest").read_text()
    assert manifest == ("file appendonly.aof.2.base.aof seq 2 type b\n"
                        "file appendonly.aof.2.incr.aof seq 2 type i\n")
    c.set("after", "1")
    before = dataset_digest(c)
    streams = {k: stream_state(c, k) for k in ("st:full", "st:empty", "st:new")}
    s.stop()
    c2 = start_in(start_server, data, "--appendonly", "yes").client()
    assert dataset_digest(c2) == before
    assert {k: stream_state(c2, k) for k in streams} == streams
    assert 90_000 < c2.pttl("ttl") <= 100_000
    assert c2.fcall("f1", 0) == 7
    # Redis 7.0 loads the command-format base too.
    ref_dir = tmp_path / "ref"
    shutil.copytree(aof_dir(data), ref_dir / "appendonlydir")
    ref = ReferenceRedis(ref_dir, args=["--appendonly", "yes"])
    try:
        rc = ref.client()
        assert dataset_digest(rc) == before
        assert {k: stream_state(rc, k) for k in streams} == streams
    finally:
        ref.stop()
    assert keys


def test_aof_disable_auto_gc_keeps_history_files(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data, "--appendonly", "yes", "--aof-disable-auto-gc", "yes")
    c = s.client()
    c.set("a", "1")
    rewrite_and_wait(c, 1)
    c.set("b", "2")
    rewrite_and_wait(c, 2)
    manifest = (aof_dir(data) / "appendonly.aof.manifest").read_text()
    assert manifest == ("file appendonly.aof.3.base.rdb seq 3 type b\n"
                        "file appendonly.aof.2.incr.aof seq 2 type h\n"
                        "file appendonly.aof.2.base.rdb seq 2 type h\n"
                        "file appendonly.aof.1.incr.aof seq 1 type h\n"
                        "file appendonly.aof.1.base.rdb seq 1 type h\n"
                        "file appendonly.aof.3.incr.aof seq 3 type i\n")
    assert (aof_dir(data) / "appendonly.aof.1.incr.aof").exists()
    # History is not loaded: a restart sees the dataset once.
    c.incr("n")
    before = dataset_digest(c)
    s.stop()
    s = start_in(start_server, data, "--appendonly", "yes", "--aof-disable-auto-gc", "yes")
    c = s.client()
    assert dataset_digest(c) == before and c.get("n") == "1"
    # Turning the collection back on deletes the history.
    c.config_set("aof-disable-auto-gc", "no")
    assert sorted(p.name for p in aof_dir(data).iterdir()) == [
        "appendonly.aof.3.base.rdb", "appendonly.aof.3.incr.aof", "appendonly.aof.manifest"]
    assert "type h" not in (aof_dir(data) / "appendonly.aof.manifest").read_text()


def test_copy_on_write_is_reported(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_in(start_server, data, "--appendonly", "yes")
    c = s.client()
    c.execute_command("DEBUG", "POPULATE", "200000", "k", "100")
    rewrite_and_wait(c, 1)
    assert c.save() is True
    assert c.bgsave() is True
    assert wait_until(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0, 30)
    info = c.info("persistence")
    # The child's own buffers alone dirty some pages; a plausible size is well under the data.
    assert 0 < info["rdb_last_cow_size"] < 200 * 1024 * 1024
    assert 0 < info["aof_last_cow_size"] < 200 * 1024 * 1024


def test_a_crash_during_a_rewrite_keeps_every_write(start_server, tmp_path):
    """SIGKILL of the server and its rewriting child mid-rewrite: the old base and incremental
    files plus the new incremental file (listed in the manifest when the rewrite started) hold
    every acknowledged write; the half-written temp base is never loaded."""
    data = tmp_path / "data"
    s = start_in(start_server, data, "--appendonly", "yes", "--appendfsync", "always",
                 "--rdb-key-save-delay", "200")
    c = s.client()
    c.mset({f"before:{i}": i for i in range(5000)})
    assert c.bgrewriteaof() is True
    assert c.info("persistence")["aof_rewrite_in_progress"] == 1
    c.mset({f"during:{i}": i for i in range(500)})
    time.sleep(0.3)
    assert c.info("persistence")["aof_rewrite_in_progress"] == 1  # 5000 keys x 200 us
    expected = dataset_digest(c)
    assert list(aof_dir(data).glob("temp-*")) or list(data.glob("temp-*"))  # half-written base
    s.kill()
    c2 = start_in(start_server, data, "--appendonly", "yes").client()
    assert dataset_digest(c2) == expected
    assert c2.dbsize() == 5500


def test_appendfsync_always_syncs_before_each_reply(start_server, tmp_path):
    """What a power cut would keep is what reached fdatasync. Traces the server's system calls
    (strace) while a client writes: every +OK of a write must follow an fdatasync of the AOF
    file that came after the write of that command's record."""
    if shutil.which("strace") is None:
        pytest.fail("strace is missing (tools/dev/dev.sh setup test installs it)")
    data = tmp_path / "data"
    s = start_in(start_server, data, "--appendonly", "yes", "--appendfsync", "always")
    c = s.client()
    trace = tmp_path / "trace.txt"
    tracer = subprocess.Popen(["strace", "-f", "-qq", "-s", "40", "-o", str(trace),
                               "-e", "trace=write,writev,sendto,sendmsg,fdatasync,fsync",
                               "-p", str(s.pid)], stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: c.ping() and trace.exists() and "PONG" in trace.read_text(), 10)
        for i in range(200):
            assert c.set(f"key:{i}", i) is True
        # Let strace catch up (on a busy machine it lags) before it is stopped.
        assert wait_until(lambda: trace.read_text().count("+OK") >= 200, 20)
    finally:
        tracer.terminate()
        tracer.wait(10)
    aof_fd, dirty, oks = None, False, 0
    text = trace.read_text()
    for line in text.splitlines():
        call = line.split(" ", 1)[1].lstrip() if line[0].isdigit() else line
        if call.startswith("write(") and "SET" in call and call.split("(")[1].startswith(
                tuple(f"{fd}, \"*" for fd in range(3, 1000))):
            aof_fd = call.split("(")[1].split(",")[0]
            dirty = True
        elif aof_fd is not None and call.startswith((f"fdatasync({aof_fd}", f"fsync({aof_fd}")):
            dirty = False
        elif "+OK" in call:
            assert not dirty, "a write was acknowledged before its AOF record was synced"
            oks += 1
    assert aof_fd is not None and oks >= 200, text[:3000]
