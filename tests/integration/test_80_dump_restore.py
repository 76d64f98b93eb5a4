"""DUMP and RESTORE: payloads move between Tessera and Debian's redis-server in both directions
for every encoding (compared with DEBUG DIGEST-VALUE), and RESTORE's options and errors are
Redis's. Also run against redis-server itself (TESSERA_TARGET=redis)."""
import time

import pytest
import redis

from helpers import command_error


def crc64(data):
    """Redis's CRC-64/Jones (reflected), as in DUMP payload footers."""
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x95AC9329AC4BC9B5 if crc & 1 else 0)
    return crc


def with_footer(body):
    body = body + (10).to_bytes(2, "little")
    return body + crc64(body).to_bytes(8, "little")


def make_values(c):
    """One key per encoding (on whatever server c is)."""
    c.config_set("list-compress-depth", "1")
    c.set("s:int", "12345")
    c.set("s:neg", "-70000")
    c.set("s:big", "123456789012345")
    c.set("s:emb", "hello")
    c.set("s:raw", "abc" * 100)  # compressible
    c.set("s:bin", bytes(range(256)))
    c.hset("h:small", mapping={"a": "1", "b": "two"})
    c.hset("h:big", mapping={f"f{i}": f"v{i}" * 3 for i in range(600)})
    c.sadd("set:int", 1, 2, 3, -5)
    c.sadd("set:small", "a", "b", "c")
    c.sadd("set:big", *[f"m{i}" for i in range(300)])
    c.sadd("set:bigint", *range(1000))
    c.zadd("z:small", {"a": 1, "b": 2.5, "c": float("inf"), "d": float("-inf")})
    c.zadd("z:big", {f"m{i}": i / 3 for i in range(300)})
    c.rpush("l:small", "a", "b", 1, 2)
    c.rpush("l:big", *[f"element-{i}" for i in range(5000)])
    c.rpush("l:huge-elements", "x" * 10000, "y" * 10000, "z")
    # Streams: several nodes, deleted entries, groups with pending entries and consumers.
    c.config_set("stream-node-max-entries", "10")
    for i in range(55):
        c.xadd("st:full", {"f": i, "g": "x" * (i % 7)}, id=f"{1000 + i}-{i % 3}")
    c.xadd("st:full", {"other": "fields", "n": 1}, id="2000-0")
    c.xdel("st:full", "1003-0", "1010-1")
    c.xgroup_create("st:full", "g1", id="0")
    c.xgroup_create("st:full", "g2", id="$")
    c.xreadgroup("g1", "alice", {"st:full": ">"}, count=5)
    c.xreadgroup("g1", "bob", {"st:full": ">"}, count=3)
    c.xack("st:full", "g1", "1001-1")
    c.xgroup_createconsumer("st:full", "g2", "idle")
    c.xadd("st:empty", {"a": 1}, id="5-5")
    c.xdel("st:empty", "5-5")
    return ["st:full", "st:empty","s:int", "s:neg", "s:big", "s:emb", "s:raw", "s:bin", "h:small", "h:big",
            "set:int", "set:small", "set:big", "set:bigint", "z:small", "z:big", "l:small",
            "l:big", "l:huge-elements"]


def digest(c, key):
    v = c.execute_command("DEBUG", "DIGEST-VALUE", key)[0]
    return v.decode() if isinstance(v, bytes) else v


def test_payloads_move_to_redis_and_back(rb, reference):
    for key in make_values(rb):
        payload = rb.dump(key)
        assert payload is not None
        reference.restore(key, 0, payload)
        assert digest(reference, key) == digest(rb, key), key
        # And back, from Redis's own payload.
        theirs = reference.dump(key)
        rb.restore(key + ":back", 0, theirs)
        assert digest(rb, key + ":back") == digest(rb, key), key


def test_payloads_from_redis_restore_with_the_same_encodings(rb, reference):
    keys = make_values(reference)
    for key in keys:
        rb.restore(key, 0, reference.dump(key))
        assert digest(rb, key) == digest(reference, key), key
        if key != "set:small":  # small non-integer sets: listpack here, hashtable in 7.0
            assert rb.object("encoding", key) == reference.object("encoding", key), key


def test_our_crc_matches_the_footer(rb):
    rb.set("k", "v")
    p = rb.dump("k")
    assert crc64(p[:-8]).to_bytes(8, "little") == p[-8:]
    assert p[-10:-8] == (10).to_bytes(2, "little")


def test_restore_errors(r, rb):
    r.set("k", "v")
    payload = rb.dump("k")
    assert command_error(rb, "RESTORE", "k", 0, payload) == "BUSYKEY Target key name already exists."
    assert command_error(rb, "RESTORE", "n", -1, payload) == "Invalid TTL value, must be >= 0"
    assert command_error(rb, "RESTORE", "n", "x", payload) == \
        "value is not an integer or out of range"
    bad = payload[:-1] + bytes([payload[-1] ^ 1])
    assert command_error(rb, "RESTORE", "n", 0, bad) == \
        "DUMP payload version or checksum are wrong"
    newer = with_footer(payload[:-10])[:-10] + (11).to_bytes(2, "little")
    newer += crc64(newer).to_bytes(8, "little")
    assert command_error(rb, "RESTORE", "n", 0, newer) == \
        "DUMP payload version or checksum are wrong"
    assert command_error(rb, "RESTORE", "n", 0, b"short") == \
        "DUMP payload version or checksum are wrong"
    # A valid footer around a broken body.
    for body in (b"\x00\x0fab", b"\x63abc", b"\x04\x01\x01a", b"\x10\x03abc", b""):
        assert command_error(rb, "RESTORE", "n", 0, with_footer(body)) == "Bad data format", body
    assert command_error(rb, "RESTORE", "n", 0, payload, "FOO") == "syntax error"
    assert command_error(rb, "RESTORE", "n", 0, payload, "IDLETIME", -1) == \
        "Invalid IDLETIME value, must be >= 0"
    assert command_error(rb, "RESTORE", "n", 0, payload, "FREQ", 256) == \
        "Invalid FREQ value, must be >= 0 and <= 255"
    assert command_error(rb, "RESTORE", "n", 0, payload, "IDLETIME", 5, "FREQ", 5) == \
        "syntax error"
    assert r.exists("n") == 0
    assert r.dump("missing") is None


def test_restore_options(r, rb):
    rb.set("src", "value")
    payload = rb.dump("src")
    assert rb.restore("a", 0, payload) == b"OK"
    assert r.ttl("a") == -1
    assert rb.restore("a", 5000, payload, replace=True) == b"OK"
    assert 4000 < r.pttl("a") <= 5000
    when = int(time.time() * 1000) + 60_000
    assert rb.restore("b", when, payload, absttl=True) == b"OK"
    assert 55_000 < r.pttl("b") <= 60_000
    # Already expired: OK, nothing stored, and REPLACE removes the old key.
    assert rb.restore("b", 1, payload, replace=True, absttl=True) == b"OK"
    assert r.exists("b") == 0
    assert rb.restore("c", 0, payload, idletime=1000) == b"OK"
    assert r.object("idletime", "c") >= 1000
    r.config_set("maxmemory-policy", "allkeys-lfu")
    assert rb.restore("d", 0, payload, frequency=100) == b"OK"
    assert r.object("freq", "d") == 100
    assert r.get("d") == "value"


# ---------------------------------------------------------------- Redis 6 and older encodings


def rdb_len(n):
    if n < 64:
        return bytes([n])
    if n < 16384:
        return bytes([0x40 | (n >> 8), n & 0xFF])
    return b"\x80" + n.to_bytes(4, "big")


def rdb_str(b):
    return rdb_len(len(b)) + b


def ziplist(items):
    """A ziplist as Redis 6 wrote it, with every integer and string encoding."""
    body = b""
    prevlen = 0
    for it in items:
        pl = bytes([prevlen]) if prevlen < 254 else b"\xfe" + prevlen.to_bytes(4, "little")
        if isinstance(it, int):
            if 0 <= it <= 12:
                enc = bytes([0xF1 + it])
            elif -128 <= it <= 127:
                enc = b"\xfe" + it.to_bytes(1, "little", signed=True)
            elif -2**15 <= it < 2**15:
                enc = b"\xc0" + it.to_bytes(2, "little", signed=True)
            elif -2**23 <= it < 2**23:
                enc = b"\xf0" + it.to_bytes(3, "little", signed=True)
            elif -2**31 <= it < 2**31:
                enc = b"\xd0" + it.to_bytes(4, "little", signed=True)
            else:
                enc = b"\xe0" + it.to_bytes(8, "little", signed=True)
        else:
            n = len(it)
            if n < 64:
                enc = bytes([n]) + it
            elif n < 16384:
                enc = bytes([0x40 | (n >> 8), n & 0xFF]) + it
            else:
                enc = b"\x80" + n.to_bytes(4, "big") + it
        entry = pl + enc
        body += entry
        prevlen = len(entry)
    total = 10 + len(body) + 1
    tail = total - 1 - prevlen if items else 10
    return (total.to_bytes(4, "little") + tail.to_bytes(4, "little") +
            min(len(items), 65535).to_bytes(2, "little") + body + b"\xff")


def zipmap(pairs):
    out = bytes([min(len(pairs), 254)])
    for f, v in pairs:
        out += bytes([len(f)]) + f + bytes([len(v)]) + b"\x00" + v
    return out + b"\xff"


INTS = [0, 7, 12, 13, -1, 127, -128, 300, -30000, 70000, -8000000, 2**31 - 1, -2**31,
        2**40, -2**63, 2**63 - 1]
OLD_PAYLOADS = {
    "list-ziplist": bytes([10]) + rdb_str(ziplist([b"a", b"b" * 100] + INTS)),
    "list-quicklist": bytes([14]) + rdb_len(2) + rdb_str(ziplist([b"x", 5])) +
                      rdb_str(ziplist([b"y" * 70, -5, b""])),
    "hash-ziplist": bytes([13]) + rdb_str(ziplist([b"f1", b"v1", b"f2", 42, 7, b"seven"])),
    "zset-ziplist": bytes([12]) + rdb_str(ziplist([b"a", b"1.5", b"b", 2, b"c", b"-inf"])),
    "hash-zipmap": bytes([9]) + rdb_str(zipmap([(b"name", b"tessera"), (b"n", b"1")])),
    # A score that is not a number loads as 0 (Redis reads it with strtod).
    "zset-bad-score": bytes([12]) + rdb_str(ziplist([b"a", b"x", b"b", b"2abc"])),
}


@pytest.mark.parametrize("kind", sorted(OLD_PAYLOADS))
def test_ziplist_era_payloads_restore_as_redis_does(rb, reference, kind):
    payload = with_footer(OLD_PAYLOADS[kind])
    assert reference.restore("k", 0, payload) == b"OK"
    assert rb.restore("k", 0, payload) == b"OK"
    assert digest(rb, "k") == digest(reference, "k")
    assert rb.type("k") == reference.type("k")


@pytest.mark.parametrize("bad", [
    bytes([10]) + rdb_str(ziplist([b"a"])[:-1] + b"\x00"),    # no end marker
    bytes([10]) + rdb_str(b"\x20\x00\x00\x00" + ziplist([b"a"])[4:]),  # wrong zlbytes
    bytes([13]) + rdb_str(ziplist([b"f1", b"v1", b"f1", b"v2"])),       # duplicate field
    bytes([13]) + rdb_str(ziplist([b"f1"])),                             # odd count
    bytes([9]) + rdb_str(b"\x01\x05ab"),                                 # truncated zipmap
])
def test_broken_ziplist_payloads_are_refused(rb, bad):
    assert command_error(rb, "RESTORE", "k", 0, with_footer(bad)) == "Bad data format"
