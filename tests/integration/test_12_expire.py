"""Key expiry with a real client: EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT and their NX XX GT LT
options, TTL PTTL EXPIRETIME PEXPIRETIME PERSIST, which writes keep or clear a TTL, and real-time
expiry (passive on access, the active cycle, DEBUG SET-ACTIVE-EXPIRE, INFO counters)."""
import time

import pytest
import redis

from resp import ErrorReply
from helpers import command_error as err
from helpers import wait_until

NOT_INT = "value is not an integer or out of range"
LLONG_MAX = 9223372036854775807
LLONG_MIN = -9223372036854775808
INCOMPATIBLE_NX = "NX and XX, GT or LT options at the same time are not compatible"
INCOMPATIBLE_GT = "GT and LT options at the same time are not compatible"


def now_ms():
    return int(time.time() * 1000)


def expired_keys(client):
    return client.info("stats")["expired_keys"]


# The four commands, each with a function mapping "seconds from now" to its argument.
EXPIRE_COMMANDS = {
    "EXPIRE": lambda s: s,
    "PEXPIRE": lambda s: s * 1000,
    "EXPIREAT": lambda s: int(time.time()) + s,
    "PEXPIREAT": lambda s: now_ms() + s * 1000,
}


# ---------------------------------------------------------------- basic setting and reading


def test_expire_and_ttl(r):
    assert r.execute_command("EXPIRE", "missing", "100") == 0
    assert r.exists("missing") == 0
    r.set("k", "v")
    assert r.ttl("k") == -1
    assert r.pttl("k") == -1
    assert r.execute_command("EXPIRE", "k", "100") == 1
    assert r.ttl("k") == 100
    assert 99000 < r.pttl("k") <= 100000
    # A second EXPIRE replaces the TTL, also with a lower one.
    assert r.execute_command("EXPIRE", "k", "50") == 1
    assert r.ttl("k") == 50
    assert r.get("k") == "v"


def test_pexpire_expireat_pexpireat(r):
    r.mset({"a": "1", "b": "2", "c": "3"})
    assert r.execute_command("PEXPIRE", "a", "100500") == 1
    assert r.ttl("a") in (100, 101)  # TTL rounds to the nearest second
    assert 100000 < r.pttl("a") <= 100500
    at = int(time.time()) + 5000
    assert r.execute_command("EXPIREAT", "b", at) == 1
    assert r.execute_command("EXPIRETIME", "b") == at
    assert r.execute_command("PEXPIRETIME", "b") == at * 1000
    assert 4990 <= r.ttl("b") <= 5000
    at_ms = (int(time.time()) + 7000) * 1000 + 789  # EXPIRETIME rounds this one up
    assert r.execute_command("PEXPIREAT", "c", at_ms) == 1
    assert r.execute_command("PEXPIRETIME", "c") == at_ms
    assert r.execute_command("EXPIRETIME", "c") == (at_ms + 500) // 1000
    for cmd in ("PEXPIRE", "EXPIREAT", "PEXPIREAT"):
        assert r.execute_command(cmd, "missing", "100000000000000") == 0


def test_expiretime_rounding(r):
    r.set("a", "1")
    for ms, secs in ((4102444800600, 4102444801), (4102444800400, 4102444800),
                     (4102444800500, 4102444801), (4102444800000, 4102444800)):
        assert r.execute_command("PEXPIREAT", "a", ms) == 1
        assert r.execute_command("EXPIRETIME", "a") == secs
        assert r.execute_command("PEXPIRETIME", "a") == ms
    r.execute_command("PEXPIRE", "a", "100400")
    assert r.ttl("a") == 100


def test_ttl_family_missing_and_persistent(r):
    for cmd in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
        assert r.execute_command(cmd, "missing") == -2
    r.set("k", "v")
    for cmd in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
        assert r.execute_command(cmd, "k") == -1
    for cmd in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST"):
        assert err(r, cmd) == f"wrong number of arguments for '{cmd.lower()}' command"
        assert err(r, cmd, "a", "b") == f"wrong number of arguments for '{cmd.lower()}' command"


def test_persist(r):
    assert r.persist("missing") is False
    r.set("k", "v")
    assert r.execute_command("PERSIST", "k") == 0
    r.expire("k", 100)
    assert r.execute_command("PERSIST", "k") == 1
    assert r.ttl("k") == -1
    assert r.execute_command("PERSIST", "k") == 0
    assert r.get("k") == "v"


def test_pexpireat_far_future(r):
    r.set("k", "v")
    assert r.execute_command("PEXPIREAT", "k", LLONG_MAX) == 1
    assert r.execute_command("PEXPIRETIME", "k") == LLONG_MAX
    assert r.pttl("k") > LLONG_MAX - now_ms() - 10_000
    assert r.get("k") == "v"


def test_expire_via_redis_cli(server, r):
    r.set("k", "v")
    assert server.cli("EXPIRE", "k", "300").stdout.strip() == "1"
    assert server.cli("TTL", "k").stdout.strip() in ("300", "299")
    assert server.cli("PERSIST", "k").stdout.strip() == "1"
    assert server.cli("TTL", "k").stdout.strip() == "-1"
    assert server.cli("TTL", "nokey").stdout.strip() == "-2"
    out = server.cli("EXPIRE", "k", "10", "NX", "XX")
    assert f"ERR {INCOMPATIBLE_NX}" in out.stdout


# ---------------------------------------------------------------- NX XX GT LT


@pytest.mark.parametrize("cmd", list(EXPIRE_COMMANDS))
def test_expire_nx_xx(r, cmd):
    arg = EXPIRE_COMMANDS[cmd]
    r.set("k", "v")
    assert r.execute_command(cmd, "k", arg(100), "XX") == 0
    assert r.ttl("k") == -1
    assert r.execute_command(cmd, "k", arg(100), "NX") == 1
    assert 99 <= r.ttl("k") <= 100
    assert r.execute_command(cmd, "k", arg(200), "NX") == 0
    assert 99 <= r.ttl("k") <= 100
    assert r.execute_command(cmd, "k", arg(300), "XX") == 1
    assert 299 <= r.ttl("k") <= 300
    assert r.execute_command(cmd, "k", arg(50), "xx") == 1
    assert 49 <= r.ttl("k") <= 50
    assert r.execute_command(cmd, "missing", arg(50), "NX") == 0
    assert r.execute_command(cmd, "k", arg(60), "NX", "NX") == 0


@pytest.mark.parametrize("cmd", list(EXPIRE_COMMANDS))
def test_expire_gt_lt(r, cmd):
    arg = EXPIRE_COMMANDS[cmd]
    r.set("k", "v")
    # A key without TTL counts as an infinite TTL: GT never applies, LT always does.
    assert r.execute_command(cmd, "k", arg(100), "GT") == 0
    assert r.ttl("k") == -1
    assert r.execute_command(cmd, "k", arg(100), "LT") == 1
    assert 99 <= r.ttl("k") <= 100
    assert r.execute_command(cmd, "k", arg(50), "GT") == 0
    assert 99 <= r.ttl("k") <= 100
    assert r.execute_command(cmd, "k", arg(200), "GT") == 1
    assert 199 <= r.ttl("k") <= 200
    assert r.execute_command(cmd, "k", arg(300), "LT") == 0
    assert 199 <= r.ttl("k") <= 200
    assert r.execute_command(cmd, "k", arg(150), "lt") == 1
    assert 149 <= r.ttl("k") <= 150
    # XX combines with GT / LT.
    assert r.execute_command(cmd, "k", arg(400), "XX", "GT") == 1
    assert 399 <= r.ttl("k") <= 400
    assert r.execute_command(cmd, "k", arg(10), "LT", "XX") == 1
    assert 9 <= r.ttl("k") <= 10
    r.set("p", "v")
    assert r.execute_command(cmd, "p", arg(10), "XX", "LT") == 0
    assert r.ttl("p") == -1
    assert r.execute_command(cmd, "missing", arg(10), "LT") == 0


def test_expire_gt_lt_with_past_time(r):
    r.set("k", "v", ex=100)
    # GT with a time in the past does not apply: the key stays.
    assert r.execute_command("EXPIRE", "k", "-1", "GT") == 0
    assert r.get("k") == "v"
    assert r.execute_command("EXPIRE", "k", "-1", "NX") == 0
    assert r.get("k") == "v"
    # LT (and XX) with a time in the past deletes it.
    assert r.execute_command("EXPIRE", "k", "-1", "LT") == 1
    assert r.exists("k") == 0
    r.set("k", "v", ex=100)
    assert r.execute_command("PEXPIREAT", "k", "1", "XX") == 1
    assert r.exists("k") == 0


@pytest.mark.parametrize("cmd", list(EXPIRE_COMMANDS))
@pytest.mark.parametrize("options, message", [
    (["NX", "XX"], INCOMPATIBLE_NX),
    (["XX", "NX"], INCOMPATIBLE_NX),
    (["NX", "GT"], INCOMPATIBLE_NX),
    (["LT", "NX"], INCOMPATIBLE_NX),
    (["GT", "LT"], INCOMPATIBLE_GT),
    (["lt", "gt"], INCOMPATIBLE_GT),
    (["XX", "GT", "LT"], INCOMPATIBLE_GT),
    (["FOO"], "Unsupported option FOO"),
    (["NX", "bar"], "Unsupported option bar"),
])
def test_expire_option_errors(r, cmd, options, message):
    arg = EXPIRE_COMMANDS[cmd]
    r.set("k", "v")
    assert err(r, cmd, "k", arg(100), *options) == message
    assert r.ttl("k") == -1
    # Options are checked even when the key does not exist.
    assert err(r, cmd, "missing", arg(100), *options) == message


def test_expire_option_error_full_line(server):
    with server.raw() as c:
        c.command("SET", "k", "v")
        reply = c.command("EXPIRE", "k", "10", "FOO")
        assert isinstance(reply, ErrorReply)
        assert reply.message == "ERR Unsupported option FOO"
        reply = c.command("EXPIRE", "k", "10", "GT", "LT")
        assert reply.message == f"ERR {INCOMPATIBLE_GT}"


# ---------------------------------------------------------------- invalid values


@pytest.mark.parametrize("cmd, value", [
    ("EXPIRE", LLONG_MAX), ("EXPIRE", LLONG_MIN), ("EXPIRE", 9223372036854775),
    ("EXPIRE", -9223372036854776), ("PEXPIRE", LLONG_MAX), ("EXPIREAT", LLONG_MAX),
    ("EXPIREAT", LLONG_MIN), ("EXPIREAT", 9223372036854776),
])
def test_expire_overflow(r, cmd, value):
    r.set("k", "v")
    assert err(r, cmd, "k", value) == f"invalid expire time in '{cmd.lower()}' command"
    assert err(r, cmd, "missing", value) == f"invalid expire time in '{cmd.lower()}' command"
    assert r.ttl("k") == -1
    assert r.get("k") == "v"


@pytest.mark.parametrize("cmd", list(EXPIRE_COMMANDS))
def test_expire_non_integer(r, cmd):
    r.set("k", "v")
    for bad in ("abc", "1.5", "", "10s", "99999999999999999999"):
        assert err(r, cmd, "k", bad) == NOT_INT
    assert err(r, cmd, "k") == f"wrong number of arguments for '{cmd.lower()}' command"
    assert r.ttl("k") == -1


# ---------------------------------------------------------------- past times delete


@pytest.mark.parametrize("cmd, value", [
    ("EXPIRE", 0), ("EXPIRE", -1), ("EXPIRE", -9223372036854775), ("PEXPIRE", 0),
    ("PEXPIRE", -100), ("PEXPIRE", LLONG_MIN), ("EXPIREAT", 1), ("EXPIREAT", 0),
    ("EXPIREAT", -5), ("PEXPIREAT", 1), ("PEXPIREAT", LLONG_MIN),
])
def test_past_expire_deletes_key(r, cmd, value):
    r.set("k", "v")
    r.set("other", "o")
    assert r.execute_command(cmd, "k", value) == 1
    assert r.exists("k") == 0
    assert r.get("k") is None
    assert r.ttl("k") == -2
    assert r.dbsize() == 1
    assert r.execute_command(cmd, "missing", value) == 0


def test_expireat_just_past_deletes(r):
    r.set("a", "v")
    r.set("b", "v")
    assert r.execute_command("EXPIREAT", "a", int(time.time()) - 10) == 1
    assert r.execute_command("PEXPIREAT", "b", now_ms() - 1) == 1
    assert r.dbsize() == 0


# ---------------------------------------------------------------- writes that keep or clear a TTL


def test_set_keepttl_and_set_clears(r):
    r.set("k", "v", ex=100)
    assert r.set("k", "v2", keepttl=True) is True
    assert 99 <= r.ttl("k") <= 100
    r.set("k", "v3")
    assert r.ttl("k") == -1
    r.set("k", "v4", px=50000)
    r.execute_command("SET", "k", "v5", "XX", "KEEPTTL")
    assert 49000 <= r.pttl("k") <= 50000
    r.execute_command("SET", "k", "v6", "XX")
    assert r.pttl("k") == -1


def test_writes_keep_or_clear_ttl(server, r):
    def with_ttl(key, value="10"):
        r.set(key, value, ex=100)

    with_ttl("incr")
    r.incr("incr")
    with_ttl("incrbyfloat")
    r.incrbyfloat("incrbyfloat", 1.5)
    with_ttl("append")
    r.append("append", "x")
    with_ttl("setrange")
    r.setrange("setrange", 0, "9")
    with_ttl("getex")
    r.execute_command("GETEX", "getex")
    for key in ("incr", "incrbyfloat", "append", "setrange", "getex"):
        assert 99 <= r.ttl(key) <= 100, key
    with_ttl("getset")
    r.getset("getset", "new")
    with_ttl("mset")
    r.mset({"mset": "new"})
    with_ttl("setex")
    r.setex("setex", 500, "new")
    with_ttl("deleted")
    r.delete("deleted")
    r.set("deleted", "again")
    assert r.ttl("getset") == -1
    assert r.ttl("mset") == -1
    assert 499 <= r.ttl("setex") <= 500
    assert r.ttl("deleted") == -1
    # RENAME carries the TTL to the new name.
    with_ttl("src")
    r.rename("src", "dst")
    assert 99 <= r.ttl("dst") <= 100


# ---------------------------------------------------------------- real-time expiry


def test_keys_expire_in_real_time(r):
    r.set("px", "v", px=150)
    r.execute_command("SET", "pxat", "v", "PXAT", now_ms() + 200)
    r.execute_command("PSETEX", "psetex", 250, "v")
    r.set("keep", "v")
    assert r.get("px") == "v"
    pttl = r.pttl("px")
    assert 0 < pttl <= 150
    time.sleep(0.08)
    assert r.pttl("px") < pttl
    assert wait_until(lambda: r.get("px") is None, 1.5)
    assert wait_until(lambda: r.exists("pxat", "psetex") == 0, 1.5)
    assert r.ttl("px") == -2
    assert r.keys("*") == ["keep"]
    assert r.get("keep") == "v"


def test_passive_expiry_on_access(r):
    assert r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0") == "OK"
    r.set("a", "v", px=100)
    r.set("b", "v", px=100)
    r.set("c", "v", px=100)
    r.set("keep", "v")
    base = expired_keys(r)
    time.sleep(0.25)
    # Nothing touched the keys and the active cycle is off: they are still stored...
    assert r.dbsize() == 4
    # ...but reading one sees nothing and removes it.
    assert r.get("a") is None
    assert r.dbsize() == 3
    assert expired_keys(r) == base + 1
    assert r.exists("b") == 0
    assert r.ttl("c") == -2
    assert r.dbsize() == 1
    assert expired_keys(r) == base + 3
    assert r.get("keep") == "v"


def test_expired_keys_hidden_without_active_expiry(r):
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    r.mset({"live1": "1", "live2": "2"})
    for i in range(20):
        r.set(f"dead:{i}", "x", px=100)
    time.sleep(0.25)
    assert r.dbsize() == 22
    assert sorted(r.keys("*")) == ["live1", "live2"]
    cursor, seen = 0, []
    while True:
        cursor, keys = r.scan(cursor, count=100)
        seen += keys
        if cursor == 0:
            break
    assert sorted(set(seen)) == ["live1", "live2"]
    assert r.mget("dead:1", "live1") == [None, "1"]
    assert r.execute_command("SET", "dead:2", "new", "NX") is True
    assert r.get("dead:2") == "new"
    assert r.execute_command("EXPIRE", "dead:3", 100) == 0
    assert r.execute_command("PERSIST", "dead:4") == 0
    assert r.append("dead:5", "z") == 1
    assert r.incr("dead:6") == 1


def test_active_expiry_without_access(r):
    base = expired_keys(r)
    with r.pipeline(transaction=False) as p:
        for i in range(1000):
            p.set(f"t:{i}", "v", px=100)
        p.execute()
    r.set("keep", "v")
    # Nothing reads the keys: only the active expire cycle can remove them.
    assert wait_until(lambda: r.dbsize() == 1, 2.5, interval=0.05), r.dbsize()
    assert expired_keys(r) == base + 1000
    assert r.keys("*") == ["keep"]
    assert r.info("keyspace")["db0"]["keys"] == 1
    assert r.info("keyspace")["db0"]["expires"] == 0


def test_active_expiry_in_other_db(server):
    c = server.client(db=7)
    with c.pipeline(transaction=False) as p:
        for i in range(200):
            p.set(f"t:{i}", "v", px=100)
        p.execute()
    assert wait_until(lambda: c.dbsize() == 0, 3.0, interval=0.05), c.dbsize()
    assert "db7" not in c.info("keyspace")
    c.close()


def test_debug_set_active_expire(r):
    assert r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0") == "OK"
    base = expired_keys(r)
    with r.pipeline(transaction=False) as p:
        for i in range(1000):
            p.set(f"t:{i}", "v", px=100)
        p.execute()
    time.sleep(0.6)
    assert r.dbsize() == 1000
    assert r.info("keyspace")["db0"]["keys"] == 1000
    assert expired_keys(r) == base
    assert r.get("t:17") is None
    assert r.dbsize() == 999
    assert expired_keys(r) == base + 1
    # Switching it back on lets the active cycle remove the rest.
    assert r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1") == "OK"
    assert wait_until(lambda: r.dbsize() == 0, 3.0, interval=0.05), r.dbsize()
    assert expired_keys(r) == base + 1000


# ---------------------------------------------------------------- INFO keyspace


def test_info_keyspace_counts(server, r):
    assert r.info("keyspace") == {}
    r.mset({"a": "1", "b": "2", "c": "3"})
    r.expire("a", 1000)
    r.pexpire("b", 2000000)
    db0 = r.info("keyspace")["db0"]
    assert db0["keys"] == 3
    assert db0["expires"] == 2
    r.persist("a")
    assert r.info("keyspace")["db0"]["expires"] == 1
    r.set("b", "new")
    assert r.info("keyspace")["db0"]["expires"] == 0
    r.set("c", "x", ex=100)
    r.delete("c")
    assert r.info("keyspace")["db0"] == {"keys": 2, "expires": 0, "avg_ttl": 0}
    c2 = server.client(db=2)
    c2.set("x", "1", ex=100)
    c2.set("y", "1")
    info = r.info("keyspace")
    assert info["db2"]["keys"] == 2
    assert info["db2"]["expires"] == 1
    assert set(info) == {"db0", "db2"}
    text = server.cli("INFO", "keyspace").stdout
    assert "db0:keys=2,expires=0,avg_ttl=0" in text
    assert "db2:keys=2,expires=1,avg_ttl=" in text
    c2.close()


def test_info_keyspace_expires_after_expiry(r):
    r.set("a", "1", px=100)
    r.set("b", "1", ex=1000)
    r.set("c", "1")
    assert r.info("keyspace")["db0"]["expires"] == 2
    assert wait_until(lambda: r.info("keyspace")["db0"]["keys"] == 2, 3.0, interval=0.05)
    assert r.info("keyspace")["db0"]["expires"] == 1
