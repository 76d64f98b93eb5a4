"""MEMORY USAGE/STATS/DOCTOR/MALLOC-STATS/PURGE, DEBUG POPULATE, active defragmentation and
client eviction (maxmemory-clients, CLIENT NO-EVICT). Also run against Debian's redis-server
(TESSERA_TARGET=redis): its build cannot defragment, which the refusal test checks instead."""
import socket
import time

import pytest
import redis

from conftest import SANITIZED, TARGET
from helpers import command_error, wait_until

# Active defragmentation needs jemalloc: release builds of Tessera have it; ASan builds and
# Debian's redis-server (built against an unpatched jemalloc) refuse it.
CAN_DEFRAG = TARGET != "redis" and not SANITIZED


# ---------------------------------------------------------------- MEMORY


def test_memory_usage_errors_and_missing_key(r):
    r.set("a", "b")
    assert command_error(r, "MEMORY", "USAGE", "a", "SAMPLES") == "syntax error"
    assert command_error(r, "MEMORY", "USAGE", "a", "SAMPLES", "-1") == "syntax error"
    assert command_error(r, "MEMORY", "USAGE", "a", "SAMPLES", "x") == \
        "value is not an integer or out of range"
    assert command_error(r, "MEMORY", "USAGE", "a", "FOO") == "syntax error"
    assert command_error(r, "MEMORY", "USAGE", "a", "SAMPLES", "2", "extra") == "syntax error"
    assert command_error(r, "MEMORY", "USAGE") == \
        "wrong number of arguments for 'memory|usage' command"
    assert command_error(r, "MEMORY", "FOO") == \
        "unknown subcommand 'FOO'. Try MEMORY HELP."
    assert r.execute_command("MEMORY", "USAGE", "missing") is None
    # The last SAMPLES wins; 0 is allowed.
    assert r.execute_command("MEMORY", "USAGE", "a", "SAMPLES", "0") > 0
    assert r.execute_command("MEMORY", "USAGE", "a", "samples", "5", "samples", "3") > 0


def test_memory_usage_follows_the_value(r):
    r.set("small", "x" * 10)
    r.set("big", "x" * 10_000)
    small = r.memory_usage("small")
    big = r.memory_usage("big")
    assert 10 < small < 200
    assert 10_000 <= big < 12_000
    r.rpush("list", *[f"element-{i}" for i in range(10_000)])
    assert 100_000 < r.memory_usage("list", samples=0) < 400_000


def test_memory_usage_samples_extrapolate(r):
    r.hset("h", mapping={f"field:{i}": "v" * 20 for i in range(20_000)})
    exact = r.memory_usage("h", samples=0)
    sampled = r.memory_usage("h")  # 5 samples by default
    assert exact > 20_000 * 20
    assert abs(sampled - exact) / exact < 0.25, (sampled, exact)


def test_memory_stats_fields(r):
    r.set("a", "1")
    r.set("b", "2", ex=100)
    r.select(2)
    r.set("c", "3")
    r.select(0)
    s = r.memory_stats()
    for field in ("peak.allocated", "total.allocated", "startup.allocated",
                  "replication.backlog", "clients.slaves", "clients.normal", "aof.buffer",
                  "lua.caches", "overhead.total", "keys.count", "keys.bytes-per-key",
                  "dataset.bytes", "dataset.percentage", "peak.percentage",
                  "allocator.allocated", "allocator.active", "allocator.resident",
                  "allocator-fragmentation.ratio", "fragmentation", "fragmentation.bytes"):
        assert field in s, field
    assert s["keys.count"] == 3
    assert set(k for k in s if k.startswith("db.")) == {"db.0", "db.2"}
    assert s["db.0"]["overhead.hashtable.main"] > 0
    assert s["db.0"]["overhead.hashtable.expires"] > 0
    assert s["peak.allocated"] >= s["total.allocated"] > s["startup.allocated"] > 0
    assert s["dataset.bytes"] + s["overhead.total"] == s["total.allocated"]
    # INFO memory reports the same breakdown.
    info = r.info("memory")
    assert abs(info["used_memory"] - s["total.allocated"]) < 1_000_000
    assert info["used_memory_startup"] == s["startup.allocated"]


def test_memory_doctor_malloc_stats_purge_help(r):
    report = r.execute_command("MEMORY", "DOCTOR")
    assert isinstance(report, str) and len(report) > 20
    assert len(r.execute_command("MEMORY", "MALLOC-STATS")) > 0
    assert r.execute_command("MEMORY", "PURGE") == "OK"
    help_lines = r.execute_command("MEMORY", "HELP")
    assert help_lines[0].startswith("MEMORY <subcommand>")
    assert any(line.startswith("USAGE <key> [SAMPLES <count>]") for line in help_lines)


@pytest.mark.tessera_only
@pytest.mark.skipif(SANITIZED, reason="ASan's shadow memory makes the RSS checks fire")
def test_memory_doctor_diagnoses(r):
    assert "less than 5 MB" in r.execute_command("MEMORY", "DOCTOR")
    r.execute_command("DEBUG", "POPULATE", "100000", "key", "100")
    assert r.execute_command("MEMORY", "DOCTOR").startswith("No memory issue found")
    r.flushall()
    r.execute_command("DEBUG", "POPULATE", "10000", "key", "1000")  # ~12 MB left after a peak
    r.execute_command("DEBUG", "POPULATE", "100000", "big", "1000")
    for start in range(0, 100_000, 10_000):
        r.delete(*[f"big:{i}" for i in range(start, start + 10_000)])
    report = r.execute_command("MEMORY", "DOCTOR")
    assert "Peak memory" in report, report


@pytest.mark.tessera_only
@pytest.mark.skipif(SANITIZED, reason="ASan builds use ASan's allocator; checked below")
def test_malloc_stats_is_jemallocs(r):
    assert "jemalloc statistics" in r.execute_command("MEMORY", "MALLOC-STATS")
    assert r.info("memory")["mem_allocator"].startswith("jemalloc-")


# ---------------------------------------------------------------- DEBUG POPULATE


@pytest.mark.parametrize("args", [["1000"], ["500", "user"], ["300", "k", "3"],
                                  ["300", "k", "100"]])
def test_debug_populate_matches_redis(r, reference, args):
    r.set("key:5", "mine")  # existing keys are left alone
    reference.set("key:5", "mine")
    assert r.execute_command("DEBUG", "POPULATE", *args) == "OK"
    assert reference.execute_command("DEBUG", "POPULATE", *args) == b"OK"
    assert r.dbsize() == reference.dbsize()
    assert r.execute_command("DEBUG", "DIGEST") == \
        reference.execute_command("DEBUG", "DIGEST").decode()


def test_debug_populate_errors(r):
    assert command_error(r, "DEBUG", "POPULATE", "-1") == \
        "value is out of range, must be positive"
    assert command_error(r, "DEBUG", "POPULATE", "10", "k", "x") == \
        "value is out of range, must be positive"


# ---------------------------------------------------------------- active defragmentation


@pytest.mark.skipif(CAN_DEFRAG, reason="this build defragments; tested below")
def test_activedefrag_refused_without_a_capable_allocator(r):
    msg = command_error(r, "CONFIG", "SET", "activedefrag", "yes")
    assert "Active defragmentation cannot be enabled" in msg
    assert r.config_get("activedefrag") == {"activedefrag": "no"}


def frag_ratio(r):
    m = r.info("memory")
    return m["allocator_active"] / m["allocator_allocated"]


def delete_every_other(r, prefix, count):
    # In one script per 200,000 keys: fast, and the server stays responsive in between.
    for start in range(0, count, 200_000):
        r.eval("for i = tonumber(ARGV[2]), tonumber(ARGV[3]) - 1, 2 do "
               "redis.call('DEL', ARGV[1] .. ':' .. i) end", 0, prefix, start,
               min(start + 200_000, count))


@pytest.mark.slow
@pytest.mark.skipif(not CAN_DEFRAG, reason="needs jemalloc (release build of Tessera)")
def test_active_defrag_brings_fragmentation_under_the_lower_threshold(server, r):
    r.execute_command("DEBUG", "POPULATE", "2000000", "key", "20")
    delete_every_other(r, "key", 2_000_000)
    assert r.dbsize() == 1_000_000
    assert frag_ratio(r) > 1.4  # half of every page is empty
    digest = r.execute_command("DEBUG", "DIGEST")
    r.config_set("active-defrag-ignore-bytes", "1mb")
    r.config_set("activedefrag", "yes")
    assert wait_until(lambda: r.info("memory")["active_defrag_running"] > 0, 5)
    # Default thresholds: lower is 10%, so the goal is active/allocated under 1.10.
    assert wait_until(lambda: frag_ratio(r) < 1.10, 60), frag_ratio(r)
    assert wait_until(lambda: r.info("memory")["active_defrag_running"] == 0, 30)
    stats = r.info("stats")
    assert stats["active_defrag_hits"] > 100_000
    assert stats["active_defrag_key_hits"] > 100_000
    assert stats["total_active_defrag_time"] > 0
    assert r.execute_command("DEBUG", "DIGEST") == digest
    assert r.get("key:1") == "value:1" + "\0" * 13 and r.get("key:0") is None


@pytest.mark.slow
@pytest.mark.skipif(not CAN_DEFRAG, reason="needs jemalloc (release build of Tessera)")
def test_active_defrag_moves_every_value_type_safely(r):
    r.config_set("hash-max-listpack-entries", "4")
    r.config_set("set-max-listpack-entries", "4")
    r.config_set("set-max-intset-entries", "4")
    r.config_set("list-max-listpack-size", "4")
    # 60,000 keys of each kind, a third with a TTL, then half of them deleted.
    r.eval("""
        for i = 0, 59999 do
          local n = tostring(i)
          redis.call('SET', 'raw:' .. n, string.rep('x', 60) .. n)
          redis.call('HSET', 'hs:' .. n, 'a', n)
          redis.call('HSET', 'hb:' .. n, 'a', 1, 'b', 2, 'c', 3, 'd', 4, 'e', n)
          redis.call('SADD', 'ss:' .. n, 1, 2, i)
          redis.call('SADD', 'sb:' .. n, 'a', 'b', 'c', 'd', 'e', n)
          redis.call('RPUSH', 'l:' .. n, 'a', 'b', 'c', 'd', 'e', 'f', 'g', n)
          redis.call('ZADD', 'z:' .. n, 1, 'a', 2, n)
          if i % 3 == 0 then
            redis.call('EXPIRE', 'raw:' .. n, 100000)
            redis.call('EXPIRE', 'hb:' .. n, 100000)
          end
        end""", 0)
    for prefix in ("raw", "hs", "hb", "ss", "sb", "l", "z"):
        delete_every_other(r, prefix, 60_000)
    keys = r.dbsize()
    expires = r.info("keyspace")["db0"]["expires"]
    digest = r.execute_command("DEBUG", "DIGEST")
    assert frag_ratio(r) > 1.2
    r.config_set("active-defrag-ignore-bytes", "1mb")
    r.config_set("active-defrag-cycle-max", "50")
    r.config_set("activedefrag", "yes")
    assert wait_until(lambda: r.info("stats")["active_defrag_hits"] > 0, 10)
    assert wait_until(lambda: frag_ratio(r) < 1.10, 60), frag_ratio(r)
    assert r.execute_command("DEBUG", "DIGEST") == digest
    assert r.dbsize() == keys
    assert r.info("keyspace")["db0"]["expires"] == expires
    # Moved objects still take writes, TTL changes and expiry.
    assert r.hset("hb:3", "new", "1") == 1
    assert r.rpush("l:5", "z") == 9 and r.lindex("l:5", 3) == "d"
    assert r.pexpire("raw:3", 1)
    assert wait_until(lambda: r.exists("raw:3") == 0, 5)
    assert r.ttl("hb:3") > 0


# ---------------------------------------------------------------- client eviction


def big_partial_query(port, size=2_000_000):
    """A connection that sent `size` bytes of a bigger bulk argument and waits."""
    s = socket.create_connection(("127.0.0.1", port))
    try:
        s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + str(size * 2).encode() + b"\r\n" +
                  b"x" * size)
    except (ConnectionResetError, BrokenPipeError):
        pass  # evicted while still sending
    return s


def is_closed(s, timeout=3):
    s.settimeout(timeout)
    try:
        return s.recv(100) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_maxmemory_clients_config_values(r):
    assert r.config_get("maxmemory-clients") == {"maxmemory-clients": "0"}
    r.config_set("maxmemory-clients", "10%")
    assert r.config_get("maxmemory-clients") == {"maxmemory-clients": "10%"}
    r.config_set("maxmemory-clients", "1mb")
    assert r.config_get("maxmemory-clients") == {"maxmemory-clients": "1048576"}
    assert command_error(r, "CONFIG", "SET", "maxmemory-clients", "101%") == (
        "CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage "
        "argument must be less or equal to 100")
    assert command_error(r, "CONFIG", "SET", "maxmemory-clients", "-1") == (
        "CONFIG SET failed (possibly related to argument 'maxmemory-clients') - argument must "
        "be a memory or percent value")


def test_client_with_a_big_query_buffer_is_evicted(server, r):
    my_id = r.client_id()
    r.config_set("maxmemory-clients", "1mb")
    s = big_partial_query(server.port)
    assert is_closed(s)
    assert r.info("stats")["evicted_clients"] == 1
    assert r.client_id() == my_id  # small clients stay connected
    assert r.exists("k") == 0


def big_no_evict_client(server, r):
    r.config_set("maxmemory-clients", "1mb")
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall(b"CLIENT NO-EVICT on\r\n")
    assert s.recv(100) == b"+OK\r\n"
    s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4000000\r\n" + b"x" * 2_000_000)
    assert not is_closed(s, timeout=1)
    return s


def test_no_evict_client_is_spared(server, r):
    s = big_no_evict_client(server, r)
    s.sendall(b"x" * 2_000_000 + b"\r\n")
    s.settimeout(5)
    assert s.recv(100) == b"+OK\r\n"
    assert r.strlen("k") == 4_000_000
    s.close()


@pytest.mark.tessera_only
def test_no_evict_client_memory_does_not_evict_others(server, r):
    # Redis 7.0 counts NO-EVICT clients toward maxmemory-clients although it cannot evict
    # them, so one big protected client makes it evict every other client. Tessera counts only
    # evictable clients: the small ones stay.
    my_id = r.client_id()
    s = big_no_evict_client(server, r)
    time.sleep(0.3)
    assert r.info("stats")["evicted_clients"] == 0
    assert r.client_id() == my_id
    s.close()


def test_lowering_the_limit_evicts_at_once(server, r):
    s = big_partial_query(server.port)
    time.sleep(0.3)
    assert not is_closed(s, timeout=0.5)
    r.config_set("maxmemory-clients", "1mb")
    assert is_closed(s)
    assert r.info("stats")["evicted_clients"] == 1


def test_percent_of_maxmemory(server, r):
    r.config_set("maxmemory", "20mb")
    r.config_set("maxmemory-clients", "5%")  # 1 MB
    s = big_partial_query(server.port)
    assert is_closed(s)
    assert r.info("stats")["evicted_clients"] == 1


def test_subscriber_that_never_reads_is_evicted(server, r):
    # Output buffer limits off: only client eviction can stop this subscriber.
    r.config_set("client-output-buffer-limit", "pubsub 0 0 0")
    r.config_set("maxmemory-clients", "2mb")
    s = socket.create_connection(("127.0.0.1", server.port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b"SUBSCRIBE news\r\n")
    time.sleep(0.2)
    payload = "x" * 10_000
    for _ in range(1000):  # 10 MB the subscriber never reads
        r.publish("news", payload)
        if r.info("stats")["evicted_clients"] > 0:
            break
    assert r.info("stats")["evicted_clients"] == 1
    assert r.info("stats").get("client_output_buffer_limit_disconnections", 0) == 0
    assert r.pubsub_numsub("news") == [("news", 0)]
    s.close()
