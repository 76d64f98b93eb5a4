"""HyperLogLog: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST.

Tessera's HLL values are Redis's byte format, so most tests run the same commands on Tessera
and on a reference redis-server side by side and compare replies and the raw bytes (GET).
"""
import random

import pytest
import redis

from helpers import command_error as err

NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
CORRUPT = "INVALIDOBJ Corrupted HLL object detected"


def both(tess, ref, *args):
    a = tess.execute_command(*args)
    b = ref.execute_command(*args)
    assert a == b, f"{args}: tessera {a!r} != redis {b!r}"
    return a


def test_pfadd_and_pfcount_basics(r, rb):
    assert r.pfadd("h", "a", "b", "c") == 1
    assert r.pfadd("h", "a", "b") == 0
    assert r.pfcount("h") == 3
    assert r.pfadd("empty") == 1  # creates the key
    assert r.pfadd("empty") == 0
    assert r.pfcount("empty") == 0
    assert r.pfcount("missing") == 0
    assert r.type("h") == "string"
    assert rb.get("h").startswith(b"HYLL")


def test_counts_bytes_and_encodings_match_redis(server, reference):
    tess = server.client(decode_responses=False)
    rng = random.Random(7)
    for step in range(400):
        key = rng.choice([b"h1", b"h2", b"h3"])
        elements = [str(rng.randint(0, 10 ** rng.choice([2, 4, 6]))).encode()
                    for _ in range(rng.choice([1, 1, 3, 40]))]
        both(tess, reference, "PFADD", key, *elements)
        if step % 7 == 0:
            both(tess, reference, "PFCOUNT", key)
        if step % 31 == 0:
            both(tess, reference, "PFCOUNT", b"h1", b"h2", b"h3")
        if step % 53 == 0:
            both(tess, reference, "PFMERGE", b"m", b"h1", b"h2")
    for key in (b"h1", b"h2", b"h3", b"m"):
        both(tess, reference, "GET", key)  # the exact bytes: registers, encoding, cache
        both(tess, reference, "PFDEBUG", "ENCODING", key)
        both(tess, reference, "PFDEBUG", "GETREG", key)
    both(tess, reference, "DEBUG", "DIGEST")


def test_sparse_representation_matches_redis(server, reference):
    tess = server.client(decode_responses=False)
    for i in range(300):
        both(tess, reference, "PFADD", "s", f"element-{i}")
    assert both(tess, reference, "PFDEBUG", "ENCODING", "s") == b"sparse"
    both(tess, reference, "PFDEBUG", "DECODE", "s")
    both(tess, reference, "GET", "s")
    # A lower hll-sparse-max-bytes makes both convert to dense at the same element.
    for c in (tess, reference):
        c.config_set("hll-sparse-max-bytes", "600")
    for i in range(300, 400):
        both(tess, reference, "PFADD", "s", f"element-{i}")
        both(tess, reference, "PFDEBUG", "ENCODING", "s")
    both(tess, reference, "GET", "s")


def test_values_move_between_servers(server, reference):
    """An HLL built by Redis and copied with GET/SET counts the same on Tessera, and back."""
    tess = server.client(decode_responses=False)
    reference.pfadd("from_redis", *range(5000))
    tess.set("from_redis", reference.get("from_redis"))
    assert tess.pfcount("from_redis") == reference.pfcount("from_redis")
    tess.pfadd("from_tessera", *range(70))
    reference.set("from_tessera", tess.get("from_tessera"))
    assert reference.pfcount("from_tessera") == tess.pfcount("from_tessera")
    assert reference.pfadd("from_tessera", "new") == tess.pfadd("from_tessera", "new") == 1
    assert reference.get("from_tessera") == tess.get("from_tessera")


def test_cached_count_is_stored_and_invalidated(rb):
    rb.pfadd("h", *range(100))
    raw = rb.get("h")
    assert raw[15] & 0x80  # stale after PFADD
    count = rb.pfcount("h")
    raw = rb.get("h")
    assert not raw[15] & 0x80 and int.from_bytes(raw[8:16], "little") == count
    rb.pfadd("h", "another")
    assert rb.get("h")[15] & 0x80


def test_pfmerge(r):
    r.pfadd("a", *range(0, 1000))
    r.pfadd("b", *range(500, 1500))
    assert r.pfmerge("u", "a", "b") is True
    union = r.pfcount("u")
    assert abs(union - 1500) < 1500 * 0.02
    assert r.pfcount("a", "b") == union
    assert r.pfmerge("u", "missing") is True  # the destination is merged too
    assert r.pfcount("u") == union
    assert r.pfmerge("fresh") is True
    assert r.pfcount("fresh") == 0
    r.set("str", "plain")
    assert err(r, "PFMERGE", "u", "str") == NOT_HLL
    assert err(r, "PFMERGE", "str", "a") == NOT_HLL


def test_accuracy_within_redis_bounds(r):
    # 0.81% standard error: a million distinct elements stay well within 3%.
    pipe = r.pipeline(transaction=False)
    for chunk in range(100):
        pipe.pfadd("big", *range(chunk * 10000, (chunk + 1) * 10000))
    pipe.execute()
    assert abs(r.pfcount("big") - 1_000_000) < 30_000


def test_wrong_values(r):
    r.set("str", "hello")
    r.set("num", "123")
    r.rpush("list", "x")
    for key in ("str", "num"):
        assert err(r, "PFADD", key, "x") == NOT_HLL
        assert err(r, "PFCOUNT", key) == NOT_HLL
    assert err(r, "PFADD", "list", "x").startswith("WRONGTYPE Operation against")
    assert err(r, "PFCOUNT", "a", "list").startswith("WRONGTYPE Operation against")
    # A dense header on a value of the wrong size is not an HLL either.
    r.set("short", "HYLL\x00" + "\x00" * 20)
    assert err(r, "PFCOUNT", "short") == NOT_HLL


def test_corrupt_sparse_values(rb):
    # A sparse value whose opcodes do not cover the 16384 registers.
    bad = b"HYLL\x01\x00\x00\x00" + b"\x00" * 7 + b"\x80" + b"\x7f"
    rb.set("bad", bad)
    with pytest.raises(redis.ResponseError, match="INVALIDOBJ"):
        rb.pfcount("bad")
    with pytest.raises(redis.ResponseError, match="INVALIDOBJ"):
        rb.pfadd("bad", "x")
    with pytest.raises(redis.ResponseError, match="INVALIDOBJ"):
        rb.pfcount("bad", "other")
    assert rb.get("bad") == bad  # nothing was changed


def test_pfdebug(r):
    assert err(r, "PFDEBUG", "ENCODING", "missing") == "The specified key does not exist"
    r.pfadd("h", "a")
    assert r.execute_command("PFDEBUG", "ENCODING", "h") == "sparse"
    assert r.execute_command("PFDEBUG", "DECODE", "h") == "Z:12711 v:2,1 Z:3672"
    regs = r.execute_command("PFDEBUG", "GETREG", "h")  # converts to dense
    assert len(regs) == 16384 and regs[12711] == 2 and sum(regs) == 2
    assert r.execute_command("PFDEBUG", "ENCODING", "h") == "dense"
    assert err(r, "PFDEBUG", "DECODE", "h") == "HLL encoding is not sparse"
    assert r.execute_command("PFDEBUG", "TODENSE", "h") == 0
    r.pfadd("s", "x")
    assert r.execute_command("PFDEBUG", "TODENSE", "s") == 1
    assert err(r, "PFDEBUG", "NOPE", "h") == "Unknown PFDEBUG subcommand 'NOPE'"


def test_pfselftest(r):
    assert r.execute_command("PFSELFTEST") == "OK"


def test_keeps_ttl(r):
    r.pfadd("h", "a")
    r.expire("h", 100)
    r.pfadd("h", "b", "c")
    r.pfcount("h")
    assert 0 < r.ttl("h") <= 100
