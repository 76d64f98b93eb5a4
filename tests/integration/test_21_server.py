"""Server commands: INFO CONFIG TIME SHUTDOWN MONITOR SLOWLOG LATENCY DEBUG and COMMAND
introspection, including a side-by-side COMMAND INFO comparison with a real redis-server."""
import os
import re
import signal
import socket
import time

import pytest
import redis

from conftest import free_port
from resp import RawConnection, Verbatim
from helpers import error_text as err

DEFAULT_SECTIONS = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
                    "Modules", "Errorstats", "Cluster", "Keyspace"]
ALL_SECTIONS = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
                "Modules", "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace"]

DEBUG_DISABLED = ('ERR DEBUG command not allowed. If the enable-debug-command option is set to '
                  '"local", you can run it from a local connection, otherwise you need to set '
                  'this option in the configuration file, and then restart the server.')


def sections(text):
    return [line[2:].strip() for line in text.splitlines() if line.startswith("# ")]


def info_fields(text):
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and ":" in line:
            k, _, v = line.partition(":")
            out[k] = v
    return out


def info_raw(c, *args):
    reply = c.command("INFO", *args)
    if isinstance(reply, bytes):
        reply = reply.decode()
    return str(reply)


def info_text(r, *args):
    """INFO as text through a redis-py client (redis-py itself would parse it into a dict)."""
    conn = r.connection_pool.get_connection("INFO")
    try:
        conn.send_command("INFO", *args)
        reply = conn.read_response()
    finally:
        r.connection_pool.release(conn)
    return reply.decode() if isinstance(reply, bytes) else reply


def cmdstat(r, name):
    line = info_fields(info_text(r, "commandstats")).get(f"cmdstat_{name}")
    if line is None:
        return None
    return dict(kv.split("=") for kv in line.split(","))


def errorstat(r, name):
    line = info_fields(info_text(r, "errorstats")).get(f"errorstat_{name}")
    if line is None:
        return 0
    return int(line.split("=")[1])


def stat(r, field, section="stats"):
    return info_fields(info_text(r, section))[field]


# =========================================================================== INFO


def test_info_default_sections(server):
    with server.raw() as c:
        text = info_raw(c)
        assert text.endswith("\r\n")
        assert sections(text) == DEFAULT_SECTIONS
        assert sections(info_raw(c, "default")) == DEFAULT_SECTIONS
        # a blank line separates sections
        assert "\r\n\r\n# Clients\r\n" in text


def test_info_all_and_everything(server):
    with server.raw() as c:
        c.command("GET", "x")
        assert "cmdstat_get:" in info_raw(c, "all")
        assert "cmdstat_get:" in info_raw(c, "everything")
        assert "cmdstat_get:" not in info_raw(c)
        assert sections(info_raw(c, "all")) == ALL_SECTIONS
        assert sections(info_raw(c, "everything")) == ALL_SECTIONS


def test_info_latencystats_section(server):
    with server.raw() as c:
        c.command("SET", "x", "1")
        text = info_raw(c, "latencystats")
        assert sections(text) == ["Latencystats"]
        f = info_fields(text)
        line = f["latency_percentiles_usec_set"]
        assert re.fullmatch(r"p50=[\d.]+,p99=[\d.]+,p99\.9=[\d.]+", line), line


def test_info_single_and_multiple_sections(server):
    with server.raw() as c:
        for name in ("server", "clients", "memory", "persistence", "stats", "replication",
                     "cpu", "errorstats", "cluster", "keyspace", "commandstats"):
            text = info_raw(c, name)
            assert len(sections(text)) == 1, name
            assert sections(text)[0].lower() == name
        assert sections(info_raw(c, "SERVER")) == ["Server"]
        assert sections(info_raw(c, "server", "clients")) == ["Server", "Clients"]
        assert sections(info_raw(c, "clients", "server")) == ["Server", "Clients"]
        assert sections(info_raw(c, "server", "server")) == ["Server"]
        assert info_raw(c, "nosuchsection") == ""


def test_info_server_fields(server, r):
    with server.raw() as c:
        f = info_fields(info_raw(c, "server"))
    assert re.fullmatch(r"\d+\.\d+\.\d+", f["redis_version"])
    assert int(f["process_id"]) == server.pid
    assert int(f["tcp_port"]) == server.port
    assert f["redis_mode"] == "standalone"
    assert f["arch_bits"] == "64"
    assert f["multiplexing_api"] != ""
    assert re.fullmatch(r"[0-9a-f]{40}", f["run_id"])
    assert int(f["uptime_in_seconds"]) >= 0
    assert f["uptime_in_days"] == "0"
    assert f["hz"] == "10" and f["configured_hz"] == "10"
    assert abs(int(f["server_time_usec"]) / 1e6 - time.time()) < 5
    assert os.path.basename(f["executable"]).startswith(("redis-server", "tessera-server"))
    assert f["config_file"] == ""
    # the run id is stable for the life of the process
    assert info_fields(info_text(r, "server"))["run_id"] == f["run_id"]


def test_info_fields_present(server, r):
    f = info_fields(info_text(r, "everything"))
    for name in ("redis_version", "process_id", "tcp_port", "connected_clients",
                 "used_memory", "used_memory_human", "used_memory_peak", "mem_allocator",
                 "maxmemory", "maxmemory_policy", "rdb_changes_since_last_save",
                 "rdb_bgsave_in_progress", "aof_enabled", "loading",
                 "total_commands_processed", "total_connections_received", "keyspace_hits",
                 "keyspace_misses", "expired_keys", "evicted_keys", "total_error_replies",
                 "role", "connected_slaves", "master_replid", "master_repl_offset",
                 "used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "cluster_enabled",
                 "blocked_clients", "maxclients"):
        assert name in f, name
    assert f["role"] == "master"
    assert f["connected_slaves"] == "0"
    assert f["cluster_enabled"] == "0"
    assert f["aof_enabled"] == "0"
    assert f["loading"] == "0"
    assert f["maxmemory"] == "0"
    assert f["maxmemory_policy"] == "noeviction"
    assert f["maxclients"] == "10000"
    assert re.fullmatch(r"[0-9a-f]{40}", f["master_replid"])
    assert re.fullmatch(r"\d+\.\d{6}", f["used_cpu_sys"])
    assert re.fullmatch(r"\d+\.\d{6}", f["used_cpu_user"])
    assert int(f["used_memory"]) > 0
    assert re.fullmatch(r"\d+(\.\d+)?[BKMGT]", f["used_memory_human"])
    assert f["mem_allocator"] != ""


def test_info_memory_human_consistent(r):
    f = info_fields(info_text(r, "memory"))
    used = int(f["used_memory"])
    human = f["used_memory_human"]
    num, unit = float(human[:-1]), human[-1]
    scale = {"B": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}[unit]
    assert abs(num * scale - used) <= 0.01 * used + scale * 0.01
    # a 5 MB value makes used_memory grow accordingly
    r.set("bigmem", "x" * (5 * 1024 * 1024))
    grown = int(info_fields(info_text(r, "memory"))["used_memory"])
    assert grown - used >= 5 * 1024 * 1024
    r.delete("bigmem")
    shrunk = int(info_fields(info_text(r, "memory"))["used_memory"])
    assert shrunk < grown - 4 * 1024 * 1024


def test_info_connected_clients_and_connections_received(server, r):
    before = int(stat(r, "connected_clients", "clients"))
    total_before = int(stat(r, "total_connections_received"))
    conns = [server.raw() for _ in range(3)]
    for c in conns:
        c.command("PING")
    assert int(stat(r, "connected_clients", "clients")) == before + 3
    assert int(stat(r, "total_connections_received")) == total_before + 3
    for c in conns:
        c.close()
    deadline = time.time() + 3
    while time.time() < deadline and int(stat(r, "connected_clients", "clients")) != before:
        time.sleep(0.02)
    assert int(stat(r, "connected_clients", "clients")) == before
    assert int(stat(r, "total_connections_received")) == total_before + 3


def test_info_keyspace_hits_misses(r):
    r.set("hit", "1")
    hits = int(stat(r, "keyspace_hits"))
    misses = int(stat(r, "keyspace_misses"))
    assert r.get("hit") == "1"
    assert int(stat(r, "keyspace_hits")) == hits + 1
    assert int(stat(r, "keyspace_misses")) == misses
    assert r.get("nohit") is None
    assert int(stat(r, "keyspace_misses")) == misses + 1
    assert r.mget("hit", "nohit", "hit") == ["1", None, "1"]
    assert int(stat(r, "keyspace_hits")) == hits + 3
    assert int(stat(r, "keyspace_misses")) == misses + 2


def test_info_expired_keys(r):
    before = int(stat(r, "expired_keys"))
    r.set("e1", "v", px=1)
    r.set("e2", "v", px=1)
    time.sleep(0.05)
    assert r.get("e1") is None  # lazily expired on access
    assert r.exists("e2") == 0
    assert int(stat(r, "expired_keys")) == before + 2


def test_info_total_commands_processed(r):
    start = int(stat(r, "total_commands_processed"))
    for i in range(10):
        r.set(f"c{i}", i)
    now = int(stat(r, "total_commands_processed"))
    # 10 SETs plus the first INFO
    assert now == start + 11


def test_info_rdb_changes_since_last_save(r):
    before = int(stat(r, "rdb_changes_since_last_save", "persistence"))
    r.set("a", 1)
    r.set("b", 2)
    r.incr("a")
    r.get("a")  # reads do not count
    r.delete("b", "nonexistent")
    after = int(stat(r, "rdb_changes_since_last_save", "persistence"))
    assert after == before + 4


def test_info_keyspace_line(server, r):
    assert info_text(r, "keyspace").strip() == "# Keyspace"
    r.set("k1", 1)
    r.set("k2", 2, ex=1000)
    r.set("k3", 3, ex=2000)
    text = info_text(r, "keyspace")
    m = re.search(r"^db0:keys=(\d+),expires=(\d+),avg_ttl=(\d+)\r?$", text, re.M)
    assert m, text
    assert int(m.group(1)) == 3
    assert int(m.group(2)) == 2
    # avg_ttl is an estimate in milliseconds (0 until the server samples it)
    assert int(m.group(3)) <= 2000 * 1000
    with server.raw() as c:
        c.command("SELECT", "7")
        c.command("SET", "x", "1")
    text = info_text(r, "keyspace")
    assert re.search(r"^db7:keys=1,expires=0,avg_ttl=0\r?$", text, re.M), text
    assert "db1:" not in text


def test_info_commandstats_counts_calls(r):
    r.execute_command("CONFIG", "RESETSTAT")
    for _ in range(5):
        r.get("x")
    r.set("x", "1")
    s = cmdstat(r, "get")
    assert s["calls"] == "5"
    assert s["rejected_calls"] == "0" and s["failed_calls"] == "0"
    assert float(s["usec_per_call"]) == pytest.approx(int(s["usec"]) / 5, abs=0.01)
    assert cmdstat(r, "set")["calls"] == "1"
    r.execute_command("CONFIG", "GET", "hz")
    assert cmdstat(r, "config|get")["calls"] == "1"
    assert cmdstat(r, "incr") is None


def test_info_errorstats_and_failed_rejected_calls(r):
    r.execute_command("CONFIG", "RESETSTAT")
    assert info_text(r, "errorstats").strip() == "# Errorstats"
    r.set("s", "abc")
    with pytest.raises(redis.ResponseError):
        r.execute_command("INCR", "s")  # fails while executing -> failed_calls
    with pytest.raises(redis.ResponseError):
        r.execute_command("GET")  # arity -> rejected_calls
    with pytest.raises(redis.ResponseError):
        r.execute_command("NOSUCHCMD")
    with pytest.raises(redis.ResponseError):
        r.execute_command("HELLO", "4")
    assert errorstat(r, "ERR") == 3
    assert errorstat(r, "NOPROTO") == 1
    incr = cmdstat(r, "incr")
    assert incr["calls"] == "1" and incr["failed_calls"] == "1" and incr["rejected_calls"] == "0"
    get = cmdstat(r, "get")
    assert get["calls"] == "0" and get["rejected_calls"] == "1"
    assert int(stat(r, "total_error_replies")) == 4


def test_config_resetstat(server, r):
    r.set("k", "v")
    r.get("k")
    r.get("missing")
    with pytest.raises(redis.ResponseError):
        r.execute_command("NOSUCHCMD")
    assert r.execute_command("CONFIG", "RESETSTAT") == "OK"
    f = info_fields(info_text(r, "everything"))
    assert f["keyspace_hits"] == "0"
    assert f["keyspace_misses"] == "0"
    assert f["total_error_replies"] == "0"
    assert not any(k.startswith("errorstat_") for k in f)
    assert not any(k.startswith("cmdstat_get") for k in f)
    # the data stays
    assert r.get("k") == "v"
    with server.raw() as c:
        assert err(c.command("CONFIG", "RESETSTAT", "x")) == \
            "ERR wrong number of arguments for 'config|resetstat' command"


# =========================================================================== CONFIG GET/SET


def test_config_get_patterns(r):
    assert r.config_get("hz") == {"hz": "10"}
    got = r.config_get("slowlog-*")
    assert got == {"slowlog-log-slower-than": "10000", "slowlog-max-len": "128"}
    lazy = r.config_get("lazyfree-lazy-*")
    assert set(lazy) == {"lazyfree-lazy-eviction", "lazyfree-lazy-expire",
                         "lazyfree-lazy-server-del", "lazyfree-lazy-user-del",
                         "lazyfree-lazy-user-flush"}
    assert all(v == "no" for v in lazy.values())
    assert set(r.config_get("tcp-*")) == {"tcp-backlog", "tcp-keepalive"}
    assert r.config_get("h?") == {"hz": "10"}
    assert r.config_get("[h]z") == {"hz": "10"}
    assert r.config_get("nosuchparam") == {}
    assert r.config_get("nosuch*") == {}
    everything = r.config_get("*")
    assert len(everything) > 30
    for name in ("hz", "port", "bind", "dir", "timeout", "databases", "maxclients",
                 "requirepass", "slowlog-max-len", "proto-max-bulk-len", "loglevel"):
        assert name in everything
    assert everything["port"] == str(r.connection_pool.connection_kwargs["port"])
    assert everything["databases"] == "16"


def test_config_get_multiple_patterns(server):
    with server.raw() as c:
        reply = c.command("CONFIG", "GET", "hz", "timeout")
        assert isinstance(reply, list) and len(reply) == 4
        assert dict(zip(reply[0::2], reply[1::2])) == {b"hz": b"10", b"timeout": b"0"}
        # overlapping patterns list each parameter once
        reply = c.command("CONFIG", "GET", "hz", "h?", "hz")
        assert reply == [b"hz", b"10"]
        reply = c.command("CONFIG", "GET", "slowlog-*", "slowlog-max-len")
        assert sorted(reply[0::2]) == [b"slowlog-log-slower-than", b"slowlog-max-len"]
        assert err(c.command("CONFIG", "GET")) == \
            "ERR wrong number of arguments for 'config|get' command"
        # RESP3: a map
        c.command("HELLO", "3")
        assert c.command("CONFIG", "GET", "hz", "timeout") == {b"hz": b"10", b"timeout": b"0"}


def test_config_get_exact_name_echoes_argument(server):
    with server.raw() as c:
        # a glob pattern replies with the canonical names
        assert c.command("CONFIG", "GET", "H?") == [b"hz", b"10"]
        assert c.command("CONFIG", "GET", "HZ") == [b"HZ", b"10"]
        assert c.command("CONFIG", "GET", "Slowlog-Max-Len") == [b"Slowlog-Max-Len", b"128"]


def test_config_set_basic_and_effect(server, r):
    assert r.config_set("hz", 50) is True
    assert r.config_get("hz") == {"hz": "50"}
    assert info_fields(info_text(r, "server"))["hz"] == "50"
    assert r.config_set("timeout", 0) is True
    assert r.config_set("loglevel", "warning") is True
    assert r.config_get("loglevel") == {"loglevel": "warning"}
    assert r.config_set("protected-mode", "no") is True
    assert r.config_get("protected-mode") == {"protected-mode": "no"}
    assert r.config_set("maxclients", 500) is True
    assert stat(r, "maxclients", "clients") == "500"
    # parameter names are case-insensitive
    assert r.execute_command("CONFIG", "SET", "SLOWLOG-MAX-LEN", "77") == "OK"
    assert r.config_get("slowlog-max-len") == {"slowlog-max-len": "77"}


def test_config_set_multiple_atomic(server, r):
    with server.raw() as c:
        assert c.command("CONFIG", "SET", "hz", "12", "timeout", "7",
                         "slowlog-max-len", "33") == "OK"
        assert r.config_get("hz") == {"hz": "12"}
        assert r.config_get("timeout") == {"timeout": "7"}
        assert r.config_get("slowlog-max-len") == {"slowlog-max-len": "33"}
        # one bad value -> nothing changes
        msg = err(c.command("CONFIG", "SET", "hz", "20", "timeout", "8",
                            "slowlog-max-len", "foo"))
        assert msg == ("ERR CONFIG SET failed (possibly related to argument 'slowlog-max-len')"
                       " - argument couldn't be parsed into an integer")
        assert r.config_get("hz") == {"hz": "12"}
        assert r.config_get("timeout") == {"timeout": "7"}
        assert r.config_get("slowlog-max-len") == {"slowlog-max-len": "33"}
        # an immutable parameter among mutable ones -> nothing changes
        msg = err(c.command("CONFIG", "SET", "hz", "21", "daemonize", "yes"))
        assert msg == ("ERR CONFIG SET failed (possibly related to argument 'daemonize') - "
                       "can't set immutable config")
        assert r.config_get("hz") == {"hz": "12"}
        # an unknown parameter -> nothing changes
        msg = err(c.command("CONFIG", "SET", "hz", "22", "nosuchparam", "1"))
        assert msg == "ERR Unknown option or number of arguments for CONFIG SET - 'nosuchparam'"
        assert r.config_get("hz") == {"hz": "12"}
        # duplicate parameter
        assert err(c.command("CONFIG", "SET", "hz", "5", "hz", "6")) == \
            "ERR CONFIG SET failed (possibly related to argument 'hz') - duplicate parameter"
        assert err(c.command("CONFIG", "SET", "hz", "5", "HZ", "6")) == \
            "ERR CONFIG SET failed (possibly related to argument 'HZ') - duplicate parameter"
        assert r.config_get("hz") == {"hz": "12"}


def test_config_set_apply_failure_rolls_back(server, r):
    # the port is taken: applying fails and the other values go back too
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        busy_port = busy.getsockname()[1]
        with server.raw() as c:
            msg = err(c.command("CONFIG", "SET", "hz", "33", "port", str(busy_port)))
            assert msg.startswith("ERR CONFIG SET failed (possibly related to argument 'port')")
    assert r.config_get("hz") == {"hz": "10"}
    assert r.config_get("port") == {"port": str(server.port)}
    assert r.ping() is True


def test_config_set_busy_port_error_text(server):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        with server.raw() as c:
            assert err(c.command("CONFIG", "SET", "port", str(busy.getsockname()[1]))) == (
                "ERR CONFIG SET failed (possibly related to argument 'port') - "
                "Unable to listen on this port. Check server logs.")


def test_config_set_port_moves_listener(start_server):
    srv = start_server()
    new_port = free_port()
    c = srv.client()
    assert c.config_set("port", new_port) is True
    # the existing connection survives; new ones go to the new port
    assert c.ping() is True
    n = redis.Redis(host="127.0.0.1", port=new_port, socket_timeout=5)
    assert n.ping() is True
    n.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()
    c.close()


def test_config_set_error_texts(server):
    with server.raw() as c:
        cases = {
            ("hz", "-1"): "argument must be between 0 and 2147483647 inclusive",
            ("hz", "abc"): "argument couldn't be parsed into an integer",
            ("timeout", "-1"): "argument must be between 0 and 2147483647 inclusive",
            ("protected-mode", "maybe"): "argument must be 'yes' or 'no'",
            ("proto-max-bulk-len", "foo"): "argument must be a memory value",
            ("proto-max-bulk-len", "1kb"):
                "argument must be between 1048576 and 9223372036854775807 inclusive",
            ("databases", "5"): "can't set immutable config",
            ("daemonize", "yes"): "can't set immutable config",
            ("enable-debug-command", "no"): "can't set immutable config",
            ("dir", "/tmp"): "can't set protected config",
        }
        for (name, value), text in cases.items():
            assert err(c.command("CONFIG", "SET", name, value)) == \
                f"ERR CONFIG SET failed (possibly related to argument '{name}') - {text}"
        assert err(c.command("CONFIG", "SET", "nosuch", "1")) == \
            "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"
        assert err(c.command("CONFIG", "SET", "hz")) == \
            "ERR wrong number of arguments for 'config|set' command"
        assert err(c.command("CONFIG", "NOSUCH")) == \
            "ERR unknown subcommand 'NOSUCH'. Try CONFIG HELP."
        assert c.command("CONFIG", "GET", "hz") == [b"hz", b"10"]


def test_config_set_odd_argument_count(server):
    with server.raw() as c:
        assert err(c.command("CONFIG", "SET", "hz", "5", "timeout")) == "ERR syntax error"
        assert c.command("CONFIG", "GET", "hz") == [b"hz", b"10"]


def test_config_set_loglevel_choices_error(server):
    with server.raw() as c:
        assert err(c.command("CONFIG", "SET", "loglevel", "foo")) == (
            "ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) "
            "must be one of the following: debug, verbose, notice, warning")


def test_config_set_memory_value_error_text(server):
    # (maxmemory arrives with eviction; the memory-value rules are the same for every
    # memory directive.)
    with server.raw() as c:
        assert err(c.command("CONFIG", "SET", "client-query-buffer-limit", "foo")) == (
            "ERR CONFIG SET failed (possibly related to argument 'client-query-buffer-limit') - "
            "argument must be a memory value")
        assert c.command("CONFIG", "SET", "client-query-buffer-limit", "10mb") == "OK"
        assert c.command("CONFIG", "GET", "client-query-buffer-limit") == [
            b"client-query-buffer-limit", b"10485760"]
        assert c.command("CONFIG", "SET", "client-query-buffer-limit", "1gb") == "OK"


def test_config_set_hz_clamping(r):
    assert r.config_set("hz", 0) is True
    assert r.config_get("hz") == {"hz": "1"}
    assert r.config_set("hz", 1000) is True
    assert r.config_get("hz") == {"hz": "500"}
    assert r.config_set("hz", 500) is True
    assert r.config_get("hz") == {"hz": "500"}
    assert r.config_set("hz", 1) is True
    assert r.config_get("hz") == {"hz": "1"}


def test_config_set_memory_units(r):
    cases = [("2mb", 2 * 1024 * 1024), ("1gb", 1024 ** 3), ("1GB", 1024 ** 3),
             ("3000kb", 3000 * 1024), ("1500k", 1500 * 1000), ("2m", 2000000),
             ("1g", 1000 ** 3), ("1048576", 1048576), ("4194304b", 4194304)]
    for text, value in cases:
        assert r.config_set("proto-max-bulk-len", text) is True, text
        assert r.config_get("proto-max-bulk-len") == {"proto-max-bulk-len": str(value)}, text
    assert r.config_set("client-query-buffer-limit", "64mb") is True
    assert r.config_get("client-query-buffer-limit") == \
        {"client-query-buffer-limit": str(64 * 1024 * 1024)}
    for bad in ("1xb", "1.5mb", "12x", "1 mb"):
        with pytest.raises(redis.ResponseError, match="argument must be a memory value"):
            r.config_set("client-query-buffer-limit", bad)
    assert r.config_get("client-query-buffer-limit") == \
        {"client-query-buffer-limit": str(64 * 1024 * 1024)}


def test_config_set_memory_value_edge_cases(server):
    prefix = "ERR CONFIG SET failed (possibly related to argument '%s') - "
    rng = "argument must be between 1048576 and 9223372036854775807 inclusive"
    expected = [
        # negative numbers are not memory values at all
        ("client-query-buffer-limit", "-1mb", "argument must be a memory value"),
        ("proto-max-bulk-len", "-5", "argument must be a memory value"),
        # an empty number reads as 0, which is then out of range
        ("client-query-buffer-limit", "", rng),
        ("client-query-buffer-limit", "mb", rng),
        ("client-query-buffer-limit", "0", rng),
    ]
    problems = []
    with server.raw() as c:
        for name, value, text in expected:
            got = err(c.command("CONFIG", "SET", name, value))
            if got != prefix % name + text:
                problems.append(f"CONFIG SET {name} {value!r}: got {got!r}, "
                                f"expected {prefix % name + text!r}")
    assert not problems, "\n".join(problems)


def test_config_set_proto_max_bulk_len_takes_effect(server, r):
    assert r.config_set("proto-max-bulk-len", "1mb") is True
    with server.raw() as c:
        c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % (2 * 1024 * 1024))
        reply = c.read()
        assert err(reply) == "ERR Protocol error: invalid bulk length"
        assert c.is_closed()
    assert r.set("k", "x" * 1000) is True


def test_config_help(server):
    with server.raw() as c:
        lines = c.command("CONFIG", "HELP")
        assert isinstance(lines, list) and lines[0].startswith("CONFIG <subcommand>")
        text = "\n".join(lines)
        for sub in ("GET", "SET", "RESETSTAT", "REWRITE", "HELP"):
            assert sub in text


# =========================================================================== CONFIG REWRITE

CONFIG_TEXT = """# Tessera test configuration
# (this comment must survive CONFIG REWRITE)

hz 15

# Timeouts
timeout 100
tcp-keepalive 200

# Logging
loglevel notice
slowlog-max-len 64
"""


def test_config_rewrite_without_file(server):
    with server.raw() as c:
        assert err(c.command("CONFIG", "REWRITE")) == \
            "ERR The server is running without a config file"


def test_config_rewrite_keeps_comments_and_order(start_server):
    srv = start_server(config_text=CONFIG_TEXT)
    c = srv.client()
    assert c.config_get("hz") == {"hz": "15"}
    assert c.config_get("timeout") == {"timeout": "100"}
    assert info_fields(info_text(c, "server"))["config_file"] == \
        str(srv.config_path)
    assert c.config_set("hz", 25) is True
    assert c.config_set("timeout", 250) is True
    assert c.config_set("slowlog-log-slower-than", 5000) is True
    assert c.config_set("loglevel", "warning") is True
    assert c.execute_command("CONFIG", "REWRITE") == "OK"
    text = srv.config_path.read_text()
    lines = text.splitlines()
    # the comments are still there, in order
    comments = [l for l in lines if l.startswith("#") and "Generated by CONFIG REWRITE" not in l]
    assert comments == ["# Tessera test configuration",
                        "# (this comment must survive CONFIG REWRITE)",
                        "# Timeouts", "# Logging"]
    # changed directives are rewritten in place
    assert "hz 25" in lines and "hz 15" not in lines
    assert "timeout 250" in lines and "timeout 100" not in lines
    assert "loglevel warning" in lines
    assert "tcp-keepalive 200" in lines
    assert "slowlog-max-len 64" in lines
    idx = {key: next(i for i, l in enumerate(lines) if l.split(" ")[0] == key)
           for key in ("hz", "timeout", "tcp-keepalive", "loglevel", "slowlog-max-len")}
    assert idx["hz"] < lines.index("# Timeouts") < idx["timeout"] < idx["tcp-keepalive"] \
        < lines.index("# Logging") < idx["loglevel"] < idx["slowlog-max-len"]
    # a directive not in the original file is appended after the original lines
    assert "slowlog-log-slower-than 5000" in lines
    assert lines.index("slowlog-log-slower-than 5000") > idx["slowlog-max-len"]
    # defaults that were never in the file are not added
    assert not any(l.startswith("maxclients ") for l in lines)
    assert not any(l.startswith("databases ") for l in lines)
    # each directive appears once
    keys = [l.split(" ")[0] for l in lines if l and not l.startswith("#")]
    assert len(keys) == len(set(keys)), keys

    params = ["hz", "timeout", "tcp-keepalive", "loglevel", "slowlog-max-len",
              "slowlog-log-slower-than", "maxclients", "databases"]
    before = {p: c.config_get(p)[p] for p in params}
    c.close()
    assert srv.stop() == 0
    srv2 = start_server(config_text=text)
    c2 = srv2.client()
    after = {p: c2.config_get(p)[p] for p in params}
    assert after == before
    c2.close()


def test_config_rewrite_idempotent_and_removes_reset_values(start_server):
    srv = start_server(config_text="# header\nhz 15\n")
    c = srv.client()
    assert c.execute_command("CONFIG", "REWRITE") == "OK"
    first = srv.config_path.read_text()
    assert c.execute_command("CONFIG", "REWRITE") == "OK"
    second = srv.config_path.read_text()
    assert [l for l in second.splitlines() if l] == [l for l in first.splitlines() if l]
    assert "hz 15" in first.splitlines()
    assert first.splitlines()[0] == "# header"
    # a value set back to its default stays in the file when it was there before
    assert c.config_set("hz", 10) is True
    assert c.execute_command("CONFIG", "REWRITE") == "OK"
    third = srv.config_path.read_text().splitlines()
    assert "hz 10" in third and "hz 15" not in third
    c.close()


# =========================================================================== TIME


def test_time(server):
    with server.raw() as c:
        reply = c.command("TIME")
        assert isinstance(reply, list) and len(reply) == 2
        assert all(isinstance(x, bytes) for x in reply)
        secs, usecs = int(reply[0]), int(reply[1])
        assert abs(secs + usecs / 1e6 - time.time()) < 2
        assert 0 <= usecs < 1_000_000
        later = c.command("TIME")
        assert (int(later[0]), int(later[1])) >= (secs, usecs)
        assert err(c.command("TIME", "x")) == "ERR wrong number of arguments for 'time' command"


# =========================================================================== SHUTDOWN / signals


def test_shutdown_nosave_exits_cleanly(start_server):
    srv = start_server()
    with srv.raw() as c:
        c.send_command("SHUTDOWN", "NOSAVE")
        assert c.is_closed(timeout=10)
        assert c.buf == b""
    srv.proc.wait(timeout=10)
    assert srv.stop() == 0


def test_shutdown_redis_py(start_server):
    srv = start_server()
    c = srv.client()
    c.shutdown(nosave=True)
    assert srv.proc.wait(timeout=10) == 0
    srv.stop()
    c.close()


def test_shutdown_errors(server, r):
    with server.raw() as c:
        assert err(c.command("SHUTDOWN", "ABORT")) == "ERR No shutdown in progress."
        assert err(c.command("SHUTDOWN", "SAVE", "NOSAVE")) == "ERR syntax error"
        assert err(c.command("SHUTDOWN", "NOSAVE", "SAVE")) == "ERR syntax error"
        assert err(c.command("SHUTDOWN", "FOO")) == "ERR syntax error"
        assert err(c.command("SHUTDOWN", "ABORT", "NOSAVE")) == "ERR syntax error"
    assert server.alive()
    assert r.ping() is True


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_clean_exit(start_server, sig):
    srv = start_server()
    c = srv.client()
    c.set("k", "v")
    c.close()
    srv.signal(sig)
    assert srv.proc.wait(timeout=10) == 0
    assert srv.stop() == 0


# =========================================================================== MONITOR

MONITOR_LINE = re.compile(r'^(\d+)\.(\d{6}) \[(\d+) 127\.0\.0\.1:(\d+)\] (.*)$')


def read_monitor_lines(m, n, timeout=5):
    out = []
    m.sock.settimeout(timeout)
    while len(out) < n:
        reply = m.read()
        assert isinstance(reply, str), reply
        out.append(reply)
    return out


def test_monitor(server):
    with server.raw() as m, server.raw() as o:
        assert m.command("MONITOR") == "OK"
        port = o.sock.getsockname()[1]
        o.command("SET", "k", "v")
        o.command("SELECT", "2")
        o.command("GET", "k")
        o.command("ECHO", 'quote"back\\slash\nnl\x01\xff'.encode("latin-1"))
        o.send(b"PING\r\n")
        o.read()
        lines = read_monitor_lines(m, 5)
        parsed = [MONITOR_LINE.match(l) for l in lines]
        assert all(parsed), lines
        for p in parsed:
            assert abs(int(p.group(1)) - time.time()) < 10
            assert int(p.group(4)) == port
        assert parsed[0].group(3) == "0" and parsed[0].group(5) == '"SET" "k" "v"'
        assert parsed[1].group(5) == '"SELECT" "2"'
        assert parsed[2].group(3) == "2" and parsed[2].group(5) == '"GET" "k"'
        assert parsed[3].group(5) == '"ECHO" "quote\\"back\\\\slash\\nnl\\x01\\xff"'
        assert parsed[4].group(5) == '"PING"'
        stamps = [float(p.group(1) + "." + p.group(2)) for p in parsed]
        assert stamps == sorted(stamps)


def test_monitor_redacts_auth(server):
    with server.raw() as m, server.raw() as o:
        assert m.command("MONITOR") == "OK"
        o.command("AUTH", "default", "sekrit")
        o.command("AUTH", "sekrit2")
        o.command("HELLO", "2", "AUTH", "default", "sekrit3", "SETNAME", "nm")
        o.command("ECHO", "done")
        lines = read_monitor_lines(m, 4)
        assert lines[0].endswith('"AUTH" "(redacted)" "(redacted)"'), lines[0]
        assert lines[1].endswith('"AUTH" "(redacted)"'), lines[1]
        assert lines[2].endswith('"HELLO" "2" "AUTH" "(redacted)" "(redacted)" "SETNAME" "nm"')
        assert lines[3].endswith('"ECHO" "done"')
        assert "sekrit" not in "".join(lines)


def test_monitor_skips_admin_commands_and_errors(server):
    with server.raw() as m, server.raw() as o:
        assert m.command("MONITOR") == "OK"
        o.command("CONFIG", "SET", "hz", "11")
        o.command("GET")  # arity error: never executed
        o.command("NOSUCHCMD")
        o.command("ECHO", "after")
        lines = read_monitor_lines(m, 1)
        assert lines[0].endswith('"ECHO" "after"'), lines
        m.sock.settimeout(0.3)
        with pytest.raises(socket.timeout):
            m._fill()


def test_monitor_client_flag(server):
    with server.raw() as m, server.raw() as o:
        mid = m.command("CLIENT", "ID")
        m.command("MONITOR")
        line = o.command("CLIENT", "LIST", "ID", str(mid)).decode()
        flags = dict(kv.split("=", 1) for kv in line.split())["flags"]
        assert "O" in flags


# =========================================================================== SLOWLOG


def test_slowlog_basic(server):
    with server.raw() as c:
        assert c.command("SLOWLOG", "RESET") == "OK"
        assert c.command("CONFIG", "SET", "slowlog-log-slower-than", "0") == "OK"
        c.command("CLIENT", "SETNAME", "slowpoke")
        c.command("SET", "foo", "bar")
        entries = c.command("SLOWLOG", "GET", "2")
        assert len(entries) == 2
        newest = entries[0]
        assert len(newest) == 6
        sid, ts, dur, args, addr, name = newest
        assert isinstance(sid, int) and isinstance(ts, int) and isinstance(dur, int)
        assert abs(ts - time.time()) < 10
        assert dur >= 0
        assert args == [b"SET", b"foo", b"bar"]
        assert addr == b"127.0.0.1:%d" % c.sock.getsockname()[1]
        assert name == b"slowpoke"
        assert entries[1][3] == [b"CLIENT", b"SETNAME", b"slowpoke"]
        assert entries[1][0] == sid - 1
        # newest first, ids increasing; SLOWLOG GET itself is logged after it runs
        all_entries = c.command("SLOWLOG", "GET", "-1")
        ids = [e[0] for e in all_entries]
        assert ids == sorted(ids, reverse=True)
        assert ids == list(range(ids[0], ids[0] - len(ids), -1))
        assert c.command("SLOWLOG", "LEN") == len(all_entries) + 1
        # default count is 10
        for i in range(15):
            c.command("PING")
        assert len(c.command("SLOWLOG", "GET")) == 10
        assert c.command("SLOWLOG", "GET", "0") == []
        assert c.command("SLOWLOG", "RESET") == "OK"
        # ids continue after a reset
        c.command("ECHO", "x")
        after = c.command("SLOWLOG", "GET", "-1")
        assert after[-1][0] > sid
        assert c.command("CONFIG", "SET", "slowlog-log-slower-than", "10000") == "OK"


def test_slowlog_threshold_and_max_len(server):
    with server.raw() as c:
        c.command("CONFIG", "SET", "slowlog-log-slower-than", "-1")
        c.command("SLOWLOG", "RESET")
        for _ in range(5):
            c.command("SET", "a", "b")
        assert c.command("SLOWLOG", "LEN") == 0
        c.command("CONFIG", "SET", "slowlog-log-slower-than", "100000")
        c.command("GET", "a")
        assert c.command("SLOWLOG", "LEN") == 0
        c.command("DEBUG", "SLEEP", "0.15")
        entries = c.command("SLOWLOG", "GET")
        assert len(entries) == 1
        assert entries[0][3] == [b"DEBUG", b"SLEEP", b"0.15"]
        assert entries[0][2] >= 140000
        c.command("CONFIG", "SET", "slowlog-log-slower-than", "0")
        c.command("CONFIG", "SET", "slowlog-max-len", "3")
        for i in range(10):
            c.command("ECHO", str(i))
        assert c.command("SLOWLOG", "LEN") == 3
        got = [e[3] for e in c.command("SLOWLOG", "GET", "-1")]
        assert got == [[b"SLOWLOG", b"LEN"], [b"ECHO", b"9"], [b"ECHO", b"8"]]


def test_slowlog_argument_truncation(server):
    with server.raw() as c:
        c.command("SLOWLOG", "RESET")
        c.command("CONFIG", "SET", "slowlog-log-slower-than", "0")
        c.command("DEL", *[f"k{i}" for i in range(40)])  # 41 arguments
        c.command("SET", "big", "x" * 200)
        c.command("SET", "edge", "y" * 128)
        c.command("CONFIG", "SET", "slowlog-log-slower-than", "-1")
        entries = c.command("SLOWLOG", "GET", "4")
        edge, big, dele = entries[0][3], entries[1][3], entries[2][3]
        assert len(dele) == 32
        assert dele[:31] == [b"DEL"] + [b"k%d" % i for i in range(30)]
        assert dele[31] == b"... (10 more arguments)"
        assert big == [b"SET", b"big", b"x" * 128 + b"... (72 more bytes)"]
        assert edge == [b"SET", b"edge", b"y" * 128]


def test_slowlog_errors(server):
    with server.raw() as c:
        for bad in ("-2", "x", "1.5"):
            assert err(c.command("SLOWLOG", "GET", bad)) == \
                "ERR count should be greater than or equal to -1"
        assert err(c.command("SLOWLOG", "LEN", "x")) == \
            "ERR wrong number of arguments for 'slowlog|len' command"
        assert err(c.command("SLOWLOG", "RESET", "x")) == \
            "ERR wrong number of arguments for 'slowlog|reset' command"
        assert err(c.command("SLOWLOG", "NOSUCH")) == \
            "ERR unknown subcommand 'NOSUCH'. Try SLOWLOG HELP."
        help_lines = c.command("SLOWLOG", "HELP")
        assert help_lines[0].startswith("SLOWLOG <subcommand>")


def test_slowlog_redis_py(r):
    r.slowlog_reset()
    r.config_set("slowlog-log-slower-than", 0)
    r.set("x", "y")
    log = r.slowlog_get(1)
    assert len(log) == 1
    assert log[0]["command"] in (b"SET x y", "SET x y")  # redis-py 4.3 leaves bytes here
    assert r.slowlog_len() >= 1
    r.config_set("slowlog-log-slower-than", 10000)


# =========================================================================== LATENCY


def test_latency_monitor(server):
    with server.raw() as c:
        assert c.command("LATENCY", "LATEST") == []
        assert c.command("LATENCY", "HISTORY", "command") == []
        c.command("DEBUG", "SLEEP", "0.05")  # threshold 0: disabled
        assert c.command("LATENCY", "LATEST") == []
        assert c.command("CONFIG", "SET", "latency-monitor-threshold", "1") == "OK"
        c.command("DEBUG", "SLEEP", "0.05")
        latest = c.command("LATENCY", "LATEST")
        assert len(latest) == 1
        event, ts, last_ms, max_ms = latest[0]
        assert event == b"command"
        assert abs(ts - time.time()) < 10
        assert 45 <= last_ms < 1000 and max_ms >= last_ms
        c.command("DEBUG", "SLEEP", "0.08")
        hist = c.command("LATENCY", "HISTORY", "command")
        assert len(hist) >= 1
        assert all(len(h) == 2 and abs(h[0] - time.time()) < 10 for h in hist)
        assert max(h[1] for h in hist) >= 75
        latest = c.command("LATENCY", "LATEST")
        assert latest[0][3] >= 75
        doctor = c.command("LATENCY", "DOCTOR")
        assert isinstance(doctor, bytes) and len(doctor) > 20
        assert b"command" in doctor
        graph = c.command("LATENCY", "GRAPH", "command")
        assert isinstance(graph, bytes) and graph.startswith(b"command - high")
        assert c.command("LATENCY", "RESET", "nosuchevent") == 0
        assert c.command("LATENCY", "RESET", "command") == 1
        assert c.command("LATENCY", "LATEST") == []
        c.command("DEBUG", "SLEEP", "0.02")
        assert c.command("LATENCY", "RESET") == 1
        assert c.command("LATENCY", "RESET") == 0
        assert err(c.command("LATENCY", "GRAPH", "command")) == \
            "ERR No samples available for event 'command'"
        assert err(c.command("LATENCY", "NOSUCH")) == \
            "ERR unknown subcommand 'NOSUCH'. Try LATENCY HELP."
        c.command("CONFIG", "SET", "latency-monitor-threshold", "0")


def test_latency_doctor_resp3_verbatim(server):
    with server.raw() as c:
        c.command("HELLO", "3")
        doctor = c.command("LATENCY", "DOCTOR")
        assert isinstance(doctor, Verbatim) and len(doctor) > 10


def test_latency_histogram(server):
    with server.raw() as c:
        c.command("SET", "a", "1")
        c.command("SET", "a", "2")
        reply = c.command("LATENCY", "HISTOGRAM", "set")
        assert isinstance(reply, list) and reply[0] == b"set"
        body = dict(zip(reply[1][0::2], reply[1][1::2]))
        assert body[b"calls"] == 2
        assert isinstance(body[b"histogram_usec"], list)


# =========================================================================== DEBUG


def test_debug_object(server, r):
    r.set("num", 12345)
    r.set("str", "hello")
    r.set("long", "z" * 100)
    out = r.execute_command("DEBUG", "OBJECT", "num")
    assert out.startswith("Value at:")
    fields = dict(tok.split(":", 1) for tok in out.split(" ")[1:] if ":" in tok)
    assert fields["encoding"] == "int"
    assert "refcount" in fields and "serializedlength" in fields
    assert "lru_seconds_idle" in fields and int(fields["lru_seconds_idle"]) >= 0
    assert "encoding:embstr" in r.execute_command("DEBUG", "OBJECT", "str")
    assert "encoding:raw" in r.execute_command("DEBUG", "OBJECT", "long")
    with pytest.raises(redis.ResponseError, match="no such key"):
        r.execute_command("DEBUG", "OBJECT", "missing")


def test_debug_protocol_resp2(server):
    expected = {
        "string": b"$11\r\nHello World\r\n",
        "integer": b":12345\r\n",
        "double": b"$5\r\n3.141\r\n",
        "bignum": b"$37\r\n1234567999999999999999999999999999999\r\n",
        "null": b"$-1\r\n",
        "array": b"*3\r\n:0\r\n:1\r\n:2\r\n",
        "set": b"*3\r\n:0\r\n:1\r\n:2\r\n",
        "map": b"*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n",
        "attrib": b"$39\r\nSome real reply following the attribute\r\n",
        "push": b"-ERR RESP2 is not supported by this command\r\n",
        "verbatim": b"$25\r\nThis is a verbatim\nstring\r\n",
        "true": b":1\r\n",
        "false": b":0\r\n",
    }
    with server.raw() as c:
        for name, wire in expected.items():
            c.send_command("DEBUG", "PROTOCOL", name)
            assert _read_exact(c, len(wire)) == wire, name


def test_debug_protocol_resp3(server):
    expected = {
        "string": b"$11\r\nHello World\r\n",
        "integer": b":12345\r\n",
        "double": b",3.141\r\n",
        "bignum": b"(1234567999999999999999999999999999999\r\n",
        "null": b"_\r\n",
        "array": b"*3\r\n:0\r\n:1\r\n:2\r\n",
        "set": b"~3\r\n:0\r\n:1\r\n:2\r\n",
        "map": b"%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n",
        "attrib": b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
                  b"$39\r\nSome real reply following the attribute\r\n",
        "push": b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n"
                b"$40\r\nSome real reply following the push reply\r\n",
        "verbatim": b"=29\r\ntxt:This is a verbatim\nstring\r\n",
        "true": b"#t\r\n",
        "false": b"#f\r\n",
    }
    with server.raw() as c:
        c.command("HELLO", "3")
        for name, wire in expected.items():
            c.send_command("DEBUG", "PROTOCOL", name)
            assert _read_exact(c, len(wire)) == wire, name
        assert err(c.command("DEBUG", "PROTOCOL", "foo")) == (
            "ERR Wrong protocol type name. Please use one of the following: "
            "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")


def _read_exact(c, n):
    while len(c.buf) < n:
        c._fill()
    data, c.buf = c.buf[:n], c.buf[n:]
    return data


def test_debug_sleep(server):
    with server.raw() as c, server.raw() as other:
        t0 = time.monotonic()
        assert c.command("DEBUG", "SLEEP", "0.3") == "OK"
        assert time.monotonic() - t0 >= 0.28
        # the whole server is blocked while sleeping
        c.send_command("DEBUG", "SLEEP", "0.3")
        time.sleep(0.05)
        t0 = time.monotonic()
        assert other.command("PING") == "PONG"
        assert time.monotonic() - t0 >= 0.15
        assert c.read() == "OK"
        assert c.command("DEBUG", "SLEEP", "0") == "OK"


def test_debug_errors(server):
    with server.raw() as c:
        assert err(c.command("DEBUG", "NOSUCH")) == \
            "ERR unknown subcommand or wrong number of arguments for 'NOSUCH'. Try DEBUG HELP."
        assert err(c.command("DEBUG")) == "ERR wrong number of arguments for 'debug' command"
        assert err(c.command("DEBUG", "OBJECT", "nokey")) == "ERR no such key"


def test_debug_disabled_by_default(start_server):
    srv = start_server()
    with srv.raw() as c:
        for args in (("SLEEP", "0"), ("OBJECT", "x"), ("PROTOCOL", "string")):
            assert err(c.command("DEBUG", *args)) == DEBUG_DISABLED
        assert c.command("CONFIG", "GET", "enable-debug-command") == \
            [b"enable-debug-command", b"no"]


# =========================================================================== COMMAND


GET_INFO = [b"get", 2, ["readonly", "fast"], 1, 1, 1, ["@read", "@string", "@fast"], [],
            [[b"flags", ["RO", "access"],
              b"begin_search", [b"type", b"index", b"spec", [b"index", 1]],
              b"find_keys", [b"type", b"range", b"spec",
                             [b"lastkey", 0, b"keystep", 1, b"limit", 0]]]], []]


def test_command_info_known_commands(server):
    with server.raw() as c:
        info = c.command("COMMAND", "INFO", "get")
        assert info == [GET_INFO]
        # case-insensitive, several names, unknown names are nil
        info = c.command("COMMAND", "INFO", "GET", "nosuchcommand", "mset", "ping")
        assert len(info) == 4
        assert info[0] == GET_INFO
        assert info[1] is None
        mset = info[2]
        assert mset[:7] == [b"mset", -3, ["write", "denyoom"], 1, -1, 2,
                            ["@write", "@string", "@slow"]]
        ping = info[3]
        assert ping[:7] == [b"ping", -1, ["fast"], 0, 0, 0, ["@fast", "@connection"]]
        assert ping[8] == []
        setinfo = c.command("COMMAND", "INFO", "set")[0]
        assert setinfo[:7] == [b"set", -3, ["write", "denyoom"], 1, 1, 1,
                               ["@write", "@string", "@slow"]]
        spec = dict(zip(setinfo[8][0][0::2], setinfo[8][0][1::2]))
        assert spec[b"flags"] == ["RW", "access", "update", "variable_flags"]
        # container command lists its subcommands
        cfg = c.command("COMMAND", "INFO", "config")[0]
        assert cfg[1] == -2
        subnames = {s[0] for s in cfg[9]}
        assert {b"config|get", b"config|set", b"config|rewrite", b"config|resetstat",
                b"config|help"} <= subnames
        cget = c.command("COMMAND", "INFO", "config|get")[0]
        assert cget[:6] == [b"config|get", -3, ["admin", "noscript", "loading", "stale"],
                            0, 0, 0]


def test_command_count_and_full_list(server):
    with server.raw() as c:
        count = c.command("COMMAND", "COUNT")
        everything = c.command("COMMAND")
        assert len(everything) == count
        names = c.command("COMMAND", "LIST")
        top = [n for n in names if b"|" not in n]
        assert len(top) == count
        assert len(set(names)) == len(names)
        for n in (b"get", b"set", b"ping", b"config|get", b"client|list", b"command|info"):
            assert n in names
        assert sorted(e[0] for e in everything) == sorted(top)
        assert err(c.command("COMMAND", "COUNT", "x")) == \
            "ERR wrong number of arguments for 'command|count' command"


def test_command_list_filters(server):
    with server.raw() as c:
        conn = c.command("COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection")
        for n in (b"ping", b"echo", b"select", b"hello", b"auth", b"client|id", b"reset",
                  b"quit"):
            assert n in conn
        assert b"get" not in conn and b"set" not in conn
        assert sorted(c.command("COMMAND", "LIST", "FILTERBY", "aclcat", "CONNECTION")) == \
            sorted(conn)
        strings = c.command("COMMAND", "LIST", "FILTERBY", "ACLCAT", "string")
        assert b"get" in strings and b"append" in strings and b"ping" not in strings
        assert c.command("COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuchcat") == []
        pat = c.command("COMMAND", "LIST", "FILTERBY", "PATTERN", "client*")
        assert b"client" in pat and b"client|list" in pat
        assert all(n.startswith(b"client") for n in pat)
        assert sorted(c.command("COMMAND", "LIST", "FILTERBY", "PATTERN", "?et")) == \
            [b"get", b"set"]
        assert sorted(c.command("COMMAND", "LIST", "FILTERBY", "PATTERN", "config|[gs]et")) \
            == [b"config|get", b"config|set"]
        assert c.command("COMMAND", "LIST", "FILTERBY", "MODULE", "nosuchmodule") == []
        assert err(c.command("COMMAND", "LIST", "FILTERBY", "FOO", "x")) == "ERR syntax error"
        assert err(c.command("COMMAND", "LIST", "FILTERBY", "PATTERN")) == "ERR syntax error"
        assert err(c.command("COMMAND", "LIST", "foo")) == "ERR syntax error"


def test_command_docs(server):
    with server.raw() as c:
        docs = c.command("COMMAND", "DOCS", "get", "client|list", "nosuchcmd")
        assert isinstance(docs, list) and len(docs) == 4  # flat name/doc pairs
        as_map = dict(zip(docs[0::2], docs[1::2]))
        assert set(as_map) == {b"get", b"client|list"}
        get = dict(zip(as_map[b"get"][0::2], as_map[b"get"][1::2]))
        for field in (b"summary", b"since", b"group", b"complexity", b"arguments"):
            assert field in get, field
        assert isinstance(get[b"summary"], bytes) and len(get[b"summary"]) > 5
        assert re.fullmatch(rb"\d+\.\d+\.\d+", get[b"since"])
        assert get[b"group"] == b"string"
        assert len(get[b"complexity"]) > 0
        args = [dict(zip(a[0::2], a[1::2])) for a in get[b"arguments"]]
        assert len(args) == 1
        assert args[0][b"name"] == b"key" and args[0][b"type"] == b"key"
        assert args[0][b"key_spec_index"] == 0
        cl = dict(zip(as_map[b"client|list"][0::2], as_map[b"client|list"][1::2]))
        assert cl[b"group"] == b"connection"
        setdoc = c.command("COMMAND", "DOCS", "set")
        setdoc = dict(zip(setdoc[1][0::2], setdoc[1][1::2]))
        names = [dict(zip(a[0::2], a[1::2]))[b"name"] for a in setdoc[b"arguments"]]
        assert names[:2] == [b"key", b"value"]
        assert c.command("COMMAND", "DOCS", "nosuchcmd") == []
        # without arguments: every command
        alldocs = c.command("COMMAND", "DOCS")
        assert len(alldocs) // 2 == c.command("COMMAND", "COUNT")
        # RESP3: maps
        c.command("HELLO", "3")
        docs3 = c.command("COMMAND", "DOCS", "get")
        assert isinstance(docs3, dict) and isinstance(docs3[b"get"], dict)
        assert docs3[b"get"][b"group"] == b"string"
        assert isinstance(docs3[b"get"][b"arguments"][0], dict)


def test_command_getkeys(server):
    with server.raw() as c:
        assert c.command("COMMAND", "GETKEYS", "get", "k") == [b"k"]
        assert c.command("COMMAND", "GETKEYS", "SET", "a", "b", "EX", "10") == [b"a"]
        assert c.command("COMMAND", "GETKEYS", "mset", "a", "1", "b", "2") == [b"a", b"b"]
        assert c.command("COMMAND", "GETKEYS", "del", "a", "b", "c") == [b"a", b"b", b"c"]
        assert c.command("COMMAND", "GETKEYS", "rename", "a", "b") == [b"a", b"b"]
        assert c.command("COMMAND", "GETKEYS", "object", "encoding", "k") == [b"k"]
        assert err(c.command("COMMAND", "GETKEYS", "nosuch", "a")) == \
            "ERR Invalid command specified"
        assert err(c.command("COMMAND", "GETKEYS", "get", "a", "b")) == \
            "ERR Invalid number of arguments specified for command"
        assert err(c.command("COMMAND", "GETKEYS", "mset", "a")) == \
            "ERR Invalid number of arguments specified for command"
        assert err(c.command("COMMAND", "GETKEYS", "client", "list")) == \
            "ERR The command has no key arguments"
        assert err(c.command("COMMAND", "GETKEYS", "echo", "x")) == \
            "ERR The command has no key arguments"
        assert err(c.command("COMMAND", "GETKEYS", "get")) == \
            "ERR wrong number of arguments for 'command|getkeys' command"
        assert err(c.command("COMMAND", "GETKEYS")) == \
            "ERR wrong number of arguments for 'command|getkeys' command"


def test_command_getkeysandflags(server):
    with server.raw() as c:
        assert c.command("COMMAND", "GETKEYSANDFLAGS", "get", "k") == [[b"k", ["RO", "access"]]]
        assert c.command("COMMAND", "GETKEYSANDFLAGS", "rename", "a", "b") == \
            [[b"a", ["RW", "access", "delete"]], [b"b", ["OW", "update"]]]
        assert c.command("COMMAND", "GETKEYSANDFLAGS", "mset", "a", "1", "b", "2") == \
            [[b"a", ["OW", "update"]], [b"b", ["OW", "update"]]]
        assert c.command("COMMAND", "GETKEYSANDFLAGS", "copy", "a", "b") == \
            [[b"a", ["RO", "access"]], [b"b", ["OW", "update"]]]
        assert err(c.command("COMMAND", "GETKEYSANDFLAGS", "nosuch", "a")) == \
            "ERR Invalid command specified"
        assert err(c.command("COMMAND", "GETKEYSANDFLAGS", "ping", "x")) == \
            "ERR The command has no key arguments"


def test_command_getkeysandflags_variable_flags(server):
    # SET without GET only overwrites; with GET it also reads.
    with server.raw() as c:
        assert c.command("COMMAND", "GETKEYSANDFLAGS", "set", "a", "b") == \
            [[b"a", ["OW", "update"]]]
        assert c.command("COMMAND", "GETKEYSANDFLAGS", "set", "a", "b", "GET") == \
            [[b"a", ["RW", "access", "update"]]]


def test_command_help_and_errors(server):
    with server.raw() as c:
        lines = c.command("COMMAND", "HELP")
        assert lines[0].startswith("COMMAND <subcommand>")
        assert err(c.command("COMMAND", "NOSUCH")) == \
            "ERR unknown subcommand 'NOSUCH'. Try COMMAND HELP."
        assert c.command("COMMAND", "INFO", "nosuch") == [None]


# ------------------------------------------------------------- side-by-side with redis-server


def _norm(v):
    """Decodes bytes so status strings and bulk strings compare as text."""
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, list):
        return [_norm(x) for x in v]
    return v


def _command_infos(port, names):
    with RawConnection("127.0.0.1", port) as c:
        out = {}
        for n in names:
            out[n] = c.command("COMMAND", "INFO", n)[0]
        return out


def _tessera_names(server):
    with server.raw() as c:
        return sorted(n.decode() for n in c.command("COMMAND", "LIST"))


def test_command_info_matches_redis(server, reference_redis):
    names = _tessera_names(server)
    assert len(names) > 50
    ours = _command_infos(server.port, names)
    theirs = _command_infos(reference_redis.port, names)
    problems = []
    for n in names:
        a, b = ours[n], theirs[n]
        if a is None:
            problems.append(f"{n}: listed by COMMAND LIST but COMMAND INFO is nil")
            continue
        if b is None:
            problems.append(f"{n}: not a Redis 7.0 command")
            continue
        assert len(a) == 10, (n, a)
        if a[0] != b[0]:
            problems.append(f"{n}: name {a[0]!r} != {b[0]!r}")
        if a[1] != b[1]:
            problems.append(f"{n}: arity {a[1]} != redis {b[1]}")
        if sorted(a[2]) != sorted(b[2]) or a[2] != b[2]:
            problems.append(f"{n}: flags {a[2]} != redis {b[2]}")
        if a[3:6] != b[3:6]:
            problems.append(f"{n}: first/last/step {a[3:6]} != redis {b[3:6]}")
        if sorted(a[6]) != sorted(b[6]):
            problems.append(f"{n}: acl categories {a[6]} != redis {b[6]}")
        if a[8] != b[8]:
            problems.append(f"{n}: key specs {a[8]} != redis {b[8]}")
        # every subcommand we have, Redis has too
        if a[9]:
            missing = {s[0] for s in a[9]} - {s[0] for s in b[9]}
            if missing:
                problems.append(f"{n}: subcommands unknown to redis: {sorted(missing)}")
    assert not problems, "\n".join(problems)


def test_command_info_tips_match_redis(server, reference_redis):
    names = _tessera_names(server)
    ours = _command_infos(server.port, names)
    theirs = _command_infos(reference_redis.port, names)
    problems = []
    for n in names:
        a, b = ours[n], theirs[n]
        if a is None or b is None:
            continue
        if _norm(a[7]) != _norm(b[7]):
            problems.append(f"{n}: tips {_norm(a[7])} != redis {_norm(b[7])}")
    assert not problems, "\n".join(problems)


def test_command_info_tips_are_bulk_strings(server):
    """Redis sends tips as bulk strings (flags and ACL categories as status strings)."""
    with server.raw() as c:
        for name in ("keys", "info", "time", "mget"):
            c.send_command("COMMAND", "INFO", name)
            info = c.read()[0]
            assert info[7], name
            assert all(isinstance(t, bytes) for t in info[7]), (name, info[7])
            assert all(isinstance(f, str) for f in info[2]), (name, info[2])
            assert all(isinstance(f, str) for f in info[6]), (name, info[6])


def test_command_docs_groups_match_redis(server, reference_redis):
    """Docs texts (summary, complexity, argument names) are Tessera's own words and are not
    compared; every command has docs and the command group is the same as in Redis."""
    names = _tessera_names(server)
    problems = []
    with server.raw() as a, RawConnection("127.0.0.1", reference_redis.port) as b:
        a.command("HELLO", "3")
        b.command("HELLO", "3")
        for n in names:
            da = a.command("COMMAND", "DOCS", n).get(n.encode())
            db = b.command("COMMAND", "DOCS", n).get(n.encode())
            if da is None or db is None:
                problems.append(f"{n}: docs missing (tessera={da is not None}, "
                                f"redis={db is not None})")
                continue
            for field in (b"summary", b"since", b"group", b"complexity"):
                if field in db and field not in da:
                    problems.append(f"{n}: no {field.decode()} in docs")
            if da.get(b"group") != db.get(b"group"):
                problems.append(f"{n}: group {da.get(b'group')} != redis {db.get(b'group')}")
    assert not problems, "\n".join(problems)
