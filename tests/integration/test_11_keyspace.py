"""Keyspace commands with a real client: DEL/UNLINK/EXISTS/TYPE, RENAME, MOVE, COPY, RANDOMKEY,
KEYS glob patterns (also compared with a real redis-server), SCAN, TOUCH, OBJECT, SELECT,
SWAPDB, DBSIZE, FLUSHDB/FLUSHALL, and DEBUG DIGEST equality with Redis."""
import os
import random
import signal
import socket
import subprocess
import time

import pytest
import redis

from conftest import free_port
from resp import ErrorReply
from helpers import command_error as err

SYNTAX = "syntax error"
NOT_INT = "value is not an integer or out of range"
ZERO_DIGEST = "0" * 40


def raw_err(server, *args):
    with server.raw() as c:
        reply = c.command(*args)
    assert isinstance(reply, ErrorReply), f"expected an error for {args!r}, got {reply!r}"
    return reply.message


@pytest.fixture
def reference(tmp_path):
    """A real redis-server (the reference implementation) on a free loopback port."""
    port = free_port()
    workdir = tmp_path / "reference"
    workdir.mkdir()
    log = open(workdir / "redis.log", "wb")
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--enable-debug-command", "yes", "--dir", str(workdir)],
        stdout=log, stderr=subprocess.STDOUT, cwd=workdir, start_new_session=True)
    try:
        deadline = time.time() + 10
        while True:
            assert proc.poll() is None, "reference redis-server exited"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            assert time.time() < deadline, "reference redis-server did not start"
            time.sleep(0.02)
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10,
                             decode_responses=False)
        yield client
        client.close()
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


# ---------------------------------------------------------------- DEL UNLINK EXISTS TYPE


@pytest.mark.parametrize("cmd", ["DEL", "UNLINK"])
def test_del_unlink(r, cmd):
    r.mset({"a": "1", "b": "2", "c": "3"})
    assert r.execute_command(cmd, "a") == 1
    assert r.exists("a") == 0
    assert r.execute_command(cmd, "a") == 0
    assert r.execute_command(cmd, "b", "c", "missing", "b") == 2
    assert r.dbsize() == 0
    assert err(r, cmd) == f"wrong number of arguments for '{cmd.lower()}' command"


def test_del_large_value_and_many_keys(r):
    r.set("big", "x" * 200000)
    with r.pipeline(transaction=False) as p:
        for i in range(500):
            p.set(f"k{i}", i)
        p.execute()
    assert r.execute_command("UNLINK", "big", *[f"k{i}" for i in range(250)]) == 251
    assert r.execute_command("DEL", *[f"k{i}" for i in range(500)]) == 250
    assert r.dbsize() == 0


def test_exists_counts_duplicates(r):
    r.set("a", "1")
    r.set("b", "2")
    assert r.exists("a") == 1
    assert r.exists("a", "a", "a") == 3
    assert r.exists("a", "b", "missing", "b") == 3
    assert r.exists("missing") == 0
    assert err(r, "EXISTS") == "wrong number of arguments for 'exists' command"


def test_type(r):
    r.set("s", "x")
    r.set("n", 5)
    assert r.type("s") == "string"
    assert r.type("n") == "string"
    assert r.type("missing") == "none"
    with pytest.raises(redis.ResponseError):
        r.execute_command("TYPE")


# ---------------------------------------------------------------- RENAME RENAMENX


def test_rename(r):
    r.set("a", "1")
    assert r.execute_command("RENAME", "a", "b") is True
    assert r.exists("a") == 0
    assert r.get("b") == "1"
    # Overwrites the destination, and the TTL follows the source.
    r.set("c", "3", ex=100)
    assert r.execute_command("RENAME", "b", "c") is True
    assert r.get("c") == "1"
    assert r.ttl("c") == -1
    r.set("d", "4", ex=100)
    assert r.execute_command("RENAME", "d", "c") is True
    assert r.get("c") == "4"
    assert 99 <= r.ttl("c") <= 100
    assert r.dbsize() == 1


def test_rename_same_key_and_missing(r):
    r.set("a", "1", ex=100)
    assert r.execute_command("RENAME", "a", "a") is True
    assert r.get("a") == "1"
    assert 99 <= r.ttl("a") <= 100
    assert err(r, "RENAME", "missing", "x") == "no such key"
    assert err(r, "RENAME", "missing", "missing") == "no such key"
    assert err(r, "RENAMENX", "missing", "x") == "no such key"
    assert err(r, "RENAMENX", "missing", "missing") == "no such key"
    assert r.exists("x") == 0
    assert err(r, "RENAME", "a") == "wrong number of arguments for 'rename' command"


def test_renamenx(r):
    r.set("a", "1", px=100000)
    r.set("b", "2")
    assert r.execute_command("RENAMENX", "a", "b") == 0
    assert r.get("a") == "1" and r.get("b") == "2"
    assert r.execute_command("RENAMENX", "a", "a") == 0
    assert r.get("a") == "1"
    assert r.execute_command("RENAMENX", "a", "c") == 1
    assert r.exists("a") == 0
    assert r.get("c") == "1"
    assert 99000 <= r.pttl("c") <= 100000


def test_rename_error_full_line(server):
    assert raw_err(server, "RENAME", "nope", "x") == "ERR no such key"


# ---------------------------------------------------------------- MOVE


def test_move(server, r):
    r1 = server.client(db=1)
    r.set("k", "v", ex=100)
    assert r.move("k", 1) is True
    assert r.exists("k") == 0
    assert r1.get("k") == "v"
    assert 99 <= r1.ttl("k") <= 100
    # Missing key.
    assert r.move("k", 1) is False
    # Key exists in the target: nothing moves.
    r.set("k", "other")
    assert r.execute_command("MOVE", "k", "1") == 0
    assert r.get("k") == "other"
    assert r1.get("k") == "v"
    # Move back from db 1 to db 2.
    assert r1.execute_command("MOVE", "k", "2") == 1
    assert server.client(db=2).get("k") == "v"
    r1.close()


def test_move_errors(r):
    r.set("k", "v")
    assert err(r, "MOVE", "k", "0") == "source and destination objects are the same"
    assert err(r, "MOVE", "k", "16") == "DB index is out of range"
    assert err(r, "MOVE", "k", "-1") == "DB index is out of range"
    assert err(r, "MOVE", "k", "abc") == NOT_INT
    assert err(r, "MOVE", "k") == "wrong number of arguments for 'move' command"
    assert r.get("k") == "v"


# ---------------------------------------------------------------- COPY


def test_copy(server, r):
    r.set("src", "value", ex=100)
    assert r.execute_command("COPY", "src", "dst") == 1
    assert r.get("dst") == "value"
    assert 99 <= r.ttl("dst") <= 100
    assert r.get("src") == "value"
    # Destination exists.
    r.set("dst", "other")
    assert r.execute_command("COPY", "src", "dst") == 0
    assert r.get("dst") == "other"
    assert r.execute_command("COPY", "src", "dst", "REPLACE") == 1
    assert r.get("dst") == "value"
    assert 99 <= r.ttl("dst") <= 100
    # The copy is independent of the source.
    r.append("dst", "!")
    assert r.get("src") == "value"
    assert r.execute_command("COPY", "missing", "x") == 0
    assert r.execute_command("COPY", "missing", "dst", "REPLACE") == 0
    assert r.get("dst") == "value!"
    # Source without TTL replacing a destination with TTL.
    r.set("plain", "p")
    assert r.execute_command("COPY", "plain", "dst", "REPLACE") == 1
    assert r.ttl("dst") == -1
    assert r.get("dst") == "p"


def test_copy_between_dbs(server, r):
    r3 = server.client(db=3)
    r.set("k", "v")
    assert r.execute_command("COPY", "k", "k", "DB", "3") == 1
    assert r3.get("k") == "v"
    assert r.get("k") == "v"
    r3.set("k", "w")
    assert r.execute_command("COPY", "k", "k", "DB", "3") == 0
    assert r3.get("k") == "w"
    assert r.execute_command("COPY", "k", "k", "db", "3", "replace") == 1
    assert r3.get("k") == "v"
    assert r.execute_command("COPY", "k", "other", "REPLACE", "DB", "3") == 1
    assert r3.get("other") == "v"
    # DB equal to the current one and a different key name.
    assert r.execute_command("COPY", "k", "k2", "DB", "0") == 1
    assert r.get("k2") == "v"
    r3.close()


def test_copy_errors(r):
    r.set("k", "v")
    assert err(r, "COPY", "k", "k") == "source and destination objects are the same"
    assert err(r, "COPY", "k", "k", "DB", "0") == "source and destination objects are the same"
    assert err(r, "COPY", "k", "x", "DB", "16") == "DB index is out of range"
    assert err(r, "COPY", "k", "x", "DB", "-1") == "DB index is out of range"
    assert err(r, "COPY", "k", "x", "DB", "abc") == NOT_INT
    assert err(r, "COPY", "k", "x", "DB") == SYNTAX
    assert err(r, "COPY", "k", "x", "FOO") == SYNTAX
    assert err(r, "COPY", "k") == "wrong number of arguments for 'copy' command"
    assert r.exists("x") == 0


def test_copy_keeps_encoding(r):
    r.set("i", "12345")
    r.set("e", "short")
    r.set("rw", "x" * 100)
    for k in ("i", "e", "rw"):
        r.execute_command("COPY", k, k + "2")
        assert r.object("encoding", k + "2") == r.object("encoding", k)
        assert r.get(k + "2") == r.get(k)


# ---------------------------------------------------------------- RANDOMKEY


def test_randomkey(r):
    assert r.randomkey() is None
    r.set("only", "1")
    assert r.randomkey() == "only"
    r.mset({"a": "1", "b": "2", "c": "3"})
    seen = set()
    for _ in range(300):
        seen.add(r.randomkey())
        if len(seen) == 4:
            break
    assert seen == {"only", "a", "b", "c"}
    r.flushdb()
    assert r.randomkey() is None


# ---------------------------------------------------------------- KEYS


KEYS_FIXTURE = [
    "hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h?llo", "h[llo", "h\\llo",
    "hbllo", "h^llo", "h-llo", "h]llo", "a", "ab", "abc", "", "key:1", "key:2", "key:10",
    "KEY:1",
]


@pytest.mark.parametrize("pattern, expected", [
    ("*", KEYS_FIXTURE),
    ("h?llo", ["hello", "hallo", "hxllo", "h*llo", "h?llo", "h[llo", "h\\llo", "hbllo",
               "h^llo", "h-llo", "h]llo"]),
    ("h*llo", ["hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h?llo", "h[llo",
               "h\\llo", "hbllo", "h^llo", "h-llo", "h]llo"]),
    ("h[ae]llo", ["hello", "hallo"]),
    ("h[^e]llo", ["hallo", "hxllo", "h*llo", "h?llo", "h[llo", "h\\llo", "hbllo", "h^llo",
                  "h-llo", "h]llo"]),
    ("h[a-b]llo", ["hallo", "hbllo"]),
    ("h[b-a]llo", ["hallo", "hbllo"]),
    ("h\\*llo", ["h*llo"]),
    ("h\\?llo", ["h?llo"]),
    ("h\\[llo", ["h[llo"]),
    ("h\\\\llo", ["h\\llo"]),
    ("h[\\]]llo", ["h]llo"]),
    ("h[\\^]llo", ["h^llo"]),
    ("h[-]llo", ["h-llo"]),
    ("key:?", ["key:1", "key:2"]),
    ("key:*", ["key:1", "key:2", "key:10"]),
    ("KEY:*", ["KEY:1"]),
    ("[ak]*", ["a", "ab", "abc", "key:1", "key:2", "key:10"]),
    ("a?", ["ab"]),
    ("a*", ["a", "ab", "abc"]),
    ("*c", ["abc"]),
    ("???", ["abc"]),
    ("nomatch*", []),
    ("", [""]),
    ("**b*", ["ab", "abc", "hbllo"]),
])
def test_keys_patterns(r, pattern, expected):
    r.mset({k: "v" for k in KEYS_FIXTURE})
    assert sorted(r.keys(pattern)) == sorted(expected)


def test_keys_via_redis_cli(server, r):
    r.mset({"user:1": "a", "user:2": "b", "item:1": "c"})
    out = server.cli("KEYS", "user:*")
    assert sorted(out.stdout.split()) == ["user:1", "user:2"]
    assert server.cli("KEYS", "none*").stdout.strip() == ""


def random_keys_and_patterns(rnd):
    alphabet = "abc-^[]\\*?x"
    keys = {""}
    while len(keys) < 300:
        keys.add("".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 6))))
    tokens = ["a", "b", "c", "x", "-", "^", "]", "*", "?", "**", "[abc]", "[^a]", "[a-c]",
              "[c-a]", "[^a-b]", "\\*", "\\?", "\\[", "\\\\", "\\]", "[\\]]", "[\\-]",
              "[]", "[^]", "[", "]", "\\", "[a", "[a-", "[-a]", "[\\"]
    patterns = set()
    while len(patterns) < 300:
        if rnd.random() < 0.7:
            p = "".join(rnd.choice(tokens) for _ in range(rnd.randint(1, 5)))
        else:
            p = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 8)))
        patterns.add(p)
    return sorted(keys), sorted(patterns)


def test_keys_random_patterns_match_redis(server, reference):
    tess = server.client(decode_responses=False)
    keys, patterns = random_keys_and_patterns(random.Random(20240607))
    mapping = {k.encode(): b"1" for k in keys}
    tess.mset(mapping)
    reference.mset(mapping)
    assert tess.dbsize() == reference.dbsize() == len(keys)
    mismatches = []
    nonempty = 0
    tp = tess.pipeline(transaction=False)
    rp = reference.pipeline(transaction=False)
    for p in patterns:
        tp.keys(p.encode())
        rp.keys(p.encode())
    for p, got, want in zip(patterns, tp.execute(), rp.execute()):
        if set(got) != set(want) or len(got) != len(want):
            mismatches.append((p, sorted(want), sorted(got)))
        nonempty += bool(want)
    assert nonempty > 50  # the generator produces patterns that do match something
    assert not mismatches, f"{len(mismatches)} patterns differ, e.g. {mismatches[:5]}"
    tess.close()


# ---------------------------------------------------------------- SCAN


def fill(client, n, prefix="key:"):
    with client.pipeline(transaction=False) as p:
        for start in range(0, n, 500):
            p.mset({f"{prefix}{i}": i for i in range(start, min(n, start + 500))})
        p.execute()


def scan_all(client, *args):
    cursor = 0
    seen = []
    calls = 0
    while True:
        cursor, keys = client.execute_command("SCAN", cursor, *args)
        seen.extend(keys)
        calls += 1
        assert calls < 100000
        if int(cursor) == 0:
            return seen, calls


def test_scan_full_iteration(r):
    fill(r, 5000)
    seen, calls = scan_all(r)
    assert set(seen) == {f"key:{i}" for i in range(5000)}
    assert calls > 1
    seen, calls = scan_all(r, "COUNT", "1000")
    assert set(seen) == {f"key:{i}" for i in range(5000)}
    assert len(seen) >= 5000


def test_scan_count_is_a_hint(r):
    fill(r, 1000)
    cursor, keys = r.execute_command("SCAN", 0, "COUNT", "100")
    assert int(cursor) != 0
    assert 50 <= len(keys) <= 400
    seen, calls = scan_all(r, "COUNT", "100")
    assert calls < 60
    assert set(seen) == {f"key:{i}" for i in range(1000)}


def test_scan_match_and_type(r):
    fill(r, 1000, "a:")
    fill(r, 200, "b:")
    seen, _ = scan_all(r, "MATCH", "b:*", "COUNT", "50")
    assert set(seen) == {f"b:{i}" for i in range(200)}
    seen, _ = scan_all(r, "MATCH", "a:1?", "COUNT", "50")
    assert set(seen) == {f"a:{i}" for i in range(10, 20)}
    seen, _ = scan_all(r, "TYPE", "string", "COUNT", "200")
    assert len(set(seen)) == 1200
    seen, _ = scan_all(r, "TYPE", "STRING", "MATCH", "b:1*", "COUNT", "200")
    assert set(seen) == {k for k in (f"b:{i}" for i in range(200)) if k.startswith("b:1")}
    for t in ("none", "hash", "list", "foo"):
        seen, _ = scan_all(r, "TYPE", t, "COUNT", "500")
        assert seen == [], t
    assert r.scan(0, match="zzz*", count=10000) == (0, [])


def test_scan_with_changes_during_iteration(r):
    fill(r, 3000)
    cursor = 0
    seen = set()
    step = 0
    while True:
        cursor, keys = r.execute_command("SCAN", cursor, "COUNT", "50")
        seen.update(keys)
        step += 1
        # Keys added and removed during the scan; the untouched keys must all be returned.
        r.set(f"new:{step}", 1)
        r.delete(f"key:{2000 + step}")
        if int(cursor) == 0:
            break
    stable = {f"key:{i}" for i in range(2000)}
    assert stable <= seen
    assert all(k.startswith("key:") or k.startswith("new:") for k in seen)


def test_scan_empty_and_cursor_forms(r):
    assert r.execute_command("SCAN", "0") == (0, [])
    r.set("a", "1")
    assert r.execute_command("SCAN", "0") == (0, ["a"])
    # Cursors are unsigned 64-bit values.
    assert r.execute_command("SCAN", "18446744073709551615", "COUNT", "10")[0] == 0


@pytest.mark.parametrize("args, message", [
    (["abc"], "invalid cursor"),
    (["1.5"], "invalid cursor"),
    (["18446744073709551616"], "invalid cursor"),
    (["0", "COUNT", "0"], SYNTAX),
    (["0", "COUNT", "-1"], SYNTAX),
    (["0", "COUNT", "abc"], NOT_INT),
    (["0", "COUNT"], SYNTAX),
    (["0", "MATCH"], SYNTAX),
    (["0", "TYPE"], SYNTAX),
    (["0", "FOO", "bar"], SYNTAX),
    (["0", "FOO"], SYNTAX),
])
def test_scan_errors(r, args, message):
    r.set("a", "1")
    assert err(r, "SCAN", *args) == message


def test_scan_errors_full_line(server):
    assert raw_err(server, "SCAN", "x") == "ERR invalid cursor"
    assert raw_err(server, "SCAN", "0", "COUNT", "0") == "ERR syntax error"
    assert raw_err(server, "SCAN") == "ERR wrong number of arguments for 'scan' command"


# ---------------------------------------------------------------- TOUCH OBJECT


def test_touch(r):
    r.mset({"a": "1", "b": "2"})
    assert r.execute_command("TOUCH", "a") == 1
    assert r.execute_command("TOUCH", "a", "b", "missing") == 2
    assert r.execute_command("TOUCH", "a", "a") == 2
    assert r.execute_command("TOUCH", "missing") == 0
    assert err(r, "TOUCH") == "wrong number of arguments for 'touch' command"


def test_object_idletime_and_touch(r):
    # The LRU clock has a resolution of one second: a fresh access reads as 0 or 1.
    r.mset({"a": "1", "b": "2", "c": "3"})
    assert r.object("idletime", "a") <= 1
    time.sleep(2.2)
    assert r.object("idletime", "a") >= 2
    assert r.object("idletime", "b") >= 2
    # OBJECT itself does not reset the idle time; TOUCH and GET do.
    assert r.object("idletime", "c") >= 2
    assert r.execute_command("TOUCH", "a") == 1
    r.get("b")
    assert r.object("idletime", "a") <= 1
    assert r.object("idletime", "b") <= 1
    assert r.object("idletime", "c") >= 2
    assert r.object("idletime", "missing") is None


def test_object_refcount(r):
    r.set("small", "100")
    r.set("big", "123456")
    r.set("s", "hello")
    assert r.object("refcount", "small") == 2147483647
    assert r.object("refcount", "big") == 1
    assert r.object("refcount", "s") == 1
    assert r.object("refcount", "missing") is None


def test_object_freq_requires_lfu(r):
    r.set("k", "v")
    msg = ("An LFU maxmemory policy is not selected, access frequency not tracked. Please "
           "note that when switching between policies at runtime LRU and LFU data will take "
           "some time to adjust.")
    assert err(r, "OBJECT", "FREQ", "k") == msg
    assert r.object("freq", "missing") is None


def test_object_freq_with_lfu_policy(start_server):
    srv = start_server(["--maxmemory-policy", "allkeys-lfu"])
    c = srv.client()
    c.set("k", "v")
    c.set("cold", "v")
    initial = c.object("freq", "k")
    assert initial in (4, 5)
    for _ in range(50):
        c.get("k")
    assert c.object("freq", "k") > initial
    assert c.object("freq", "cold") <= 5
    assert c.object("freq", "missing") is None
    msg = ("An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
           "switching between policies at runtime LRU and LFU data will take some time to "
           "adjust.")
    assert err(c, "OBJECT", "IDLETIME", "k") == msg
    c.close()


def test_object_help_and_errors(server, r):
    with server.raw() as c:
        lines = c.command("OBJECT", "HELP")
        assert isinstance(lines, list) and lines
        assert all(isinstance(line, (bytes, str)) for line in lines)
        first = lines[0].decode() if isinstance(lines[0], bytes) else lines[0]
        assert first.startswith("OBJECT <subcommand>")
        assert c.command("OBJECT", "help") == lines
    r.set("k", "v")
    assert err(r, "OBJECT", "FOO", "k") == "unknown subcommand 'FOO'. Try OBJECT HELP."
    assert err(r, "OBJECT", "ENCODING") == \
        "wrong number of arguments for 'object|encoding' command"
    assert err(r, "OBJECT", "ENCODING", "k", "extra") == \
        "wrong number of arguments for 'object|encoding' command"
    assert r.object("encoding", "missing") is None


# ---------------------------------------------------------------- SELECT DBSIZE SWAPDB


def test_select_and_dbsize(server):
    with server.raw() as c:
        assert c.command("SET", "k", "db0") == "OK"
        assert c.command("SELECT", "5") == "OK"
        assert c.command("GET", "k") is None
        assert c.command("DBSIZE") == 0
        assert c.command("SET", "k", "db5") == "OK"
        assert c.command("SET", "k2", "x") == "OK"
        assert c.command("DBSIZE") == 2
        assert c.command("SELECT", "15") == "OK"
        assert c.command("DBSIZE") == 0
        assert c.command("SELECT", "0") == "OK"
        assert c.command("GET", "k") == b"db0"
        assert c.command("DBSIZE") == 1
        for bad, msg in (("16", "ERR DB index is out of range"),
                         ("-1", "ERR DB index is out of range"),
                         ("abc", "ERR value is not an integer or out of range")):
            reply = c.command("SELECT", bad)
            assert isinstance(reply, ErrorReply) and reply.message == msg
        # A failed SELECT keeps the current database.
        assert c.command("GET", "k") == b"db0"
    r5 = server.client(db=5)
    assert r5.get("k") == "db5"
    assert r5.dbsize() == 2
    r5.close()


def test_swapdb(server, r):
    r1 = server.client(db=1)
    r.mset({"a": "0", "only0": "x"})
    r1.set("a", "1", ex=100)
    assert r.execute_command("SWAPDB", "0", "1") is True
    assert r.get("a") == "1"
    assert 99 <= r.ttl("a") <= 100
    assert r.get("only0") is None
    assert r1.get("a") == "0"
    assert r1.get("only0") == "x"
    assert r.dbsize() == 1 and r1.dbsize() == 2
    assert r.execute_command("SWAPDB", "0", "0") is True
    assert r.get("a") == "1"
    assert r.execute_command("SWAPDB", "1", "9") is True
    assert r1.dbsize() == 0
    assert server.client(db=9).get("only0") == "x"
    r1.close()


def test_swapdb_errors(r):
    assert err(r, "SWAPDB", "a", "1") == "invalid first DB index"
    assert err(r, "SWAPDB", "1", "a") == "invalid second DB index"
    assert err(r, "SWAPDB", "a", "b") == "invalid first DB index"
    assert err(r, "SWAPDB", "0", "16") == "DB index is out of range"
    assert err(r, "SWAPDB", "16", "0") == "DB index is out of range"
    assert err(r, "SWAPDB", "-1", "0") == "DB index is out of range"
    assert err(r, "SWAPDB", "0") == "wrong number of arguments for 'swapdb' command"


# ---------------------------------------------------------------- FLUSHDB FLUSHALL


@pytest.mark.parametrize("mode", [[], ["SYNC"], ["ASYNC"], ["async"], ["sync"]])
def test_flushdb(server, r, mode):
    r1 = server.client(db=1)
    fill(r, 300)
    r1.set("keep", "1")
    assert r.execute_command("FLUSHDB", *mode) is True
    assert r.dbsize() == 0
    assert r.get("key:1") is None
    assert r1.get("keep") == "1"
    r.set("after", "1")
    assert r.get("after") == "1"
    r1.close()


@pytest.mark.parametrize("mode", [[], ["SYNC"], ["ASYNC"]])
def test_flushall(server, r, mode):
    r1 = server.client(db=1)
    fill(r, 300)
    r1.set("gone", "1", ex=100)
    assert r.execute_command("FLUSHALL", *mode) is True
    assert r.dbsize() == 0
    assert r1.dbsize() == 0
    assert r.keys("*") == []
    assert r1.info("keyspace") == {}
    r1.close()


def test_flush_syntax_errors(r):
    r.set("k", "v")
    assert err(r, "FLUSHDB", "FOO") == SYNTAX
    assert err(r, "FLUSHDB", "SYNC", "ASYNC") == SYNTAX
    assert err(r, "FLUSHALL", "FOO") == SYNTAX
    assert err(r, "FLUSHALL", "ASYNC", "ASYNC") == SYNTAX
    assert r.get("k") == "v"


# ---------------------------------------------------------------- DEBUG DIGEST vs Redis


def load_digest_data(client):
    rnd = random.Random(99)
    data = {b"plain": b"value", b"int": b"12345", b"neg": b"-42", b"shared": b"7",
            b"empty": b"", b"bin\x00\r\n": b"\x00\xff\r\n", b"long": b"L" * 1000,
            b"float": b"3.25", b"leading0": b"007"}
    for i in range(200):
        data[b"r:%d" % i] = bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 60)))
    client.mset(data)
    client.execute_command("EXPIREAT", "plain", 4102444800)
    client.execute_command("PEXPIREAT", "r:5", 4102444800123)
    client.append("long", "tail")
    client.incr("int")
    client.execute_command("SELECT", 3)
    client.set("in-db3", "x")
    client.execute_command("SELECT", 0)
    return sorted(data) + [b"missing"]


def test_debug_digest_matches_redis(server, reference):
    tess = server.client(decode_responses=False, single_connection_client=True)
    ref = reference
    ref_single = redis.Redis(connection_pool=ref.connection_pool, single_connection_client=True)
    assert tess.execute_command("DEBUG", "DIGEST") == ZERO_DIGEST.encode()
    assert ref_single.execute_command("DEBUG", "DIGEST") == ZERO_DIGEST.encode()
    keys = load_digest_data(tess)
    load_digest_data(ref_single)
    want = ref_single.execute_command("DEBUG", "DIGEST")
    assert want != ZERO_DIGEST.encode()
    assert tess.execute_command("DEBUG", "DIGEST") == want
    want_values = ref_single.execute_command("DEBUG", "DIGEST-VALUE", *keys)
    got_values = tess.execute_command("DEBUG", "DIGEST-VALUE", *keys)
    assert len(want_values) == len(keys)
    assert want_values[-1] == ZERO_DIGEST.encode()
    assert dict(zip(keys, got_values)) == dict(zip(keys, want_values))
    # The digest changes with the data, in the same way on both servers.
    for c in (tess, ref_single):
        c.execute_command("PERSIST", "plain")
        c.delete("r:7")
    assert tess.execute_command("DEBUG", "DIGEST") == \
        ref_single.execute_command("DEBUG", "DIGEST") != want
    assert tess.execute_command("DEBUG", "DIGEST-VALUE") == []
    tess.close()
    ref_single.close()


def test_debug_digest_tracks_changes(r):
    assert r.execute_command("DEBUG", "DIGEST") == ZERO_DIGEST
    r.set("a", "1")
    d1 = r.execute_command("DEBUG", "DIGEST")
    assert d1 != ZERO_DIGEST and len(d1) == 40
    v1 = r.execute_command("DEBUG", "DIGEST-VALUE", "a")
    r.set("a", "2")
    assert r.execute_command("DEBUG", "DIGEST") != d1
    assert r.execute_command("DEBUG", "DIGEST-VALUE", "a") != v1
    r.set("a", "1")
    assert r.execute_command("DEBUG", "DIGEST") == d1
    assert r.execute_command("DEBUG", "DIGEST-VALUE", "a") == v1
    # An expire is part of both digests (but not the expire time itself).
    r.expire("a", 1000)
    assert r.execute_command("DEBUG", "DIGEST") != d1
    v_exp = r.execute_command("DEBUG", "DIGEST-VALUE", "a")
    assert v_exp != v1
    r.expire("a", 5000)
    assert r.execute_command("DEBUG", "DIGEST-VALUE", "a") == v_exp
    r.persist("a")
    assert r.execute_command("DEBUG", "DIGEST") == d1
    assert r.execute_command("DEBUG", "DIGEST-VALUE", "a") == v1
    # Same value stored as int or as a string digests the same.
    r.set("i", "12")
    r.set("s", "1")
    r.append("s", "2")
    assert r.object("encoding", "i") != r.object("encoding", "s")
    assert r.execute_command("DEBUG", "DIGEST-VALUE", "i") == \
        r.execute_command("DEBUG", "DIGEST-VALUE", "s")
    r.flushall()
    assert r.execute_command("DEBUG", "DIGEST") == ZERO_DIGEST
