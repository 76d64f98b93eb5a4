"""Set commands with real clients: SADD/SREM/SCARD/SISMEMBER/SMISMEMBER/SMEMBERS (RESP2 and
RESP3), SRANDMEMBER and SPOP with every kind of count, SMOVE, the SINTER/SUNION/SDIFF family and
their *STORE forms, SINTERCARD, SSCAN, WRONGTYPE, the intset/listpack/hashtable encodings and
their thresholds, exact round trips of integer-looking and binary members, keyspace commands on
set keys, and DEBUG DIGEST equality with a real redis-server."""
import collections
import time

import pytest
import redis

from helpers import (ZERO_DIGEST, assert_same_digests, command_error as err, error_text,
                     wait_until)

SYNTAX = "syntax error"
NOT_INT = "value is not an integer or out of range"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
RANGE_MIN = ("value is out of range, value must between -9223372036854775807 and "
             "9223372036854775807")
MUST_BE_POSITIVE = "value is out of range, must be positive"
NUMKEYS_ZERO = "numkeys should be greater than 0"
NUMKEYS_BIG = "Number of keys can't be greater than number of args"
LIMIT_NEG = "LIMIT can't be negative"
INT_LOOKING = ["007", "-0", " 1", "1 ", "+1", "0x10", "1e3", "12345678901234567890",
               "-9223372036854775808", "9223372036854775807", "9223372036854775808",
               "-9223372036854775809", "0", "-1", "00", ""]


def one(server, *args):
    """The exact reply of one command over a fresh raw RESP2 connection."""
    with server.raw() as c:
        return c.command(*args)


def full_err(server, *args):
    """The complete error line (code included) the server sends for a command."""
    return error_text(one(server, *args))


def resp3(server):
    """A raw connection switched to RESP3 with HELLO."""
    c = server.raw()
    hello = c.command("HELLO", "3")
    assert isinstance(hello, dict) and hello[b"proto"] == 3, hello
    return c


def encoding(client, key):
    return client.object("encoding", key)


# ---------------------------------------------------------------- SADD SREM SCARD


def test_sadd_counts_only_new_members(r):
    assert r.sadd("s", "a") == 1
    assert r.sadd("s", "a") == 0
    assert r.sadd("s", "a", "b", "c") == 2
    # Duplicates inside one call count once.
    assert r.sadd("s", "d", "d", "d", "b") == 1
    assert r.scard("s") == 4
    assert r.smembers("s") == {"a", "b", "c", "d"}
    # The empty string is an ordinary member.
    assert r.sadd("s", "") == 1
    assert r.sismember("s", "") is True
    assert r.scard("s") == 5
    assert r.type("s") == "set"


def test_sadd_integers_counts_and_duplicates(r):
    assert r.sadd("i", 1, 2, 3, 2, 1) == 3
    assert r.sadd("i", "3", "4") == 1
    assert r.scard("i") == 4
    assert encoding(r, "i") == "intset"
    assert r.smembers("i") == {"1", "2", "3", "4"}


def test_srem(r):
    r.sadd("s", "a", "b", "c", "d")
    assert r.srem("s", "x") == 0
    assert r.srem("s", "a") == 1
    assert r.srem("s", "a") == 0
    # Several at once, with duplicates and absent members.
    assert r.srem("s", "b", "b", "zz", "c") == 2
    assert r.smembers("s") == {"d"}
    assert r.srem("missing", "a") == 0
    assert r.exists("missing") == 0


@pytest.mark.parametrize("kind", ["intset", "strings", "big"])
def test_srem_last_member_deletes_key(r, kind):
    if kind == "intset":
        items = [str(i) for i in range(5)]
    elif kind == "strings":
        items = ["a", "b", "c"]
    else:
        items = [f"member:{i}" for i in range(600)]
    r.sadd("s", *items)
    r.expire("s", 1000)
    assert r.srem("s", *items[1:]) == len(items) - 1
    assert r.exists("s") == 1
    assert r.srem("s", items[0]) == 1
    assert r.exists("s") == 0
    assert r.type("s") == "none"
    assert r.scard("s") == 0
    # Recreated without the old TTL.
    r.sadd("s", "new")
    assert r.ttl("s") == -1


def test_scard(r):
    assert r.scard("missing") == 0
    r.sadd("s", *range(1000))
    assert r.scard("s") == 1000
    r.sadd("t", *[f"m{i}" for i in range(300)])
    assert r.scard("t") == 300


@pytest.mark.parametrize("args, name", [
    (["SADD"], "sadd"),
    (["SADD", "s"], "sadd"),
    (["SREM", "s"], "srem"),
    (["SCARD"], "scard"),
    (["SCARD", "s", "t"], "scard"),
    (["SISMEMBER", "s"], "sismember"),
    (["SISMEMBER", "s", "a", "b"], "sismember"),
    (["SMISMEMBER", "s"], "smismember"),
    (["SMEMBERS"], "smembers"),
    (["SMEMBERS", "s", "t"], "smembers"),
    (["SRANDMEMBER"], "srandmember"),
    (["SPOP"], "spop"),
    (["SMOVE", "a", "b"], "smove"),
    (["SMOVE", "a", "b", "c", "d"], "smove"),
    (["SINTER"], "sinter"),
    (["SUNION"], "sunion"),
    (["SDIFF"], "sdiff"),
    (["SINTERSTORE", "d"], "sinterstore"),
    (["SUNIONSTORE", "d"], "sunionstore"),
    (["SDIFFSTORE", "d"], "sdiffstore"),
    (["SINTERCARD", "1"], "sintercard"),
    (["SSCAN", "s"], "sscan"),
])
def test_set_commands_arity(server, r, args, name):
    r.sadd("s", "keep")
    assert full_err(server, *args) == f"ERR wrong number of arguments for '{name}' command"
    assert r.smembers("s") == {"keep"}


def test_spop_srandmember_extra_arguments_are_syntax_errors(r):
    r.sadd("s", "a", "b")
    assert err(r, "SPOP", "s", "1", "2") == SYNTAX
    assert err(r, "SRANDMEMBER", "s", "1", "2") == SYNTAX
    assert r.scard("s") == 2


# ---------------------------------------------------------------- SISMEMBER SMISMEMBER SMEMBERS


@pytest.mark.parametrize("items", [
    ["1", "2", "3"],                       # intset
    ["a", "b", "c"],                       # small strings
    [f"m{i}" for i in range(300)],         # big
])
def test_sismember_smismember(r, items):
    r.sadd("s", *items)
    for m in items[:20]:
        assert r.sismember("s", m) is True
    assert r.sismember("s", "nope") is False
    assert r.sismember("s", "99999") is False
    assert r.sismember("missing", items[0]) is False
    got = r.execute_command("SMISMEMBER", "s", items[0], "nope", items[-1], items[0])
    assert got == [1, 0, 1, 1]
    assert r.execute_command("SMISMEMBER", "missing", "a", "b") == [0, 0]


def test_sismember_intset_exact_representation(r):
    r.sadd("s", 7, -3, 0)
    assert encoding(r, "s") == "intset"
    for other in ["07", "+7", " 7", "7 ", "7.0", "-03", "-0", "0x7"]:
        assert r.sismember("s", other) is False, other
    assert r.execute_command("SMISMEMBER", "s", "7", "-3", "0", "07") == [1, 1, 1, 0]


def test_smembers_resp2_and_resp3(server, r):
    r.sadd("s", "x", "y", "z")
    r.sadd("i", 3, 1, 2)
    assert r.smembers("missing") == set()
    with server.raw() as c:
        reply = c.command("SMEMBERS", "s")
        assert isinstance(reply, list)
        assert sorted(reply) == [b"x", b"y", b"z"]
        assert c.command("SMEMBERS", "missing") == []
    with resp3(server) as c:
        assert c.command("SMEMBERS", "s") == {b"x", b"y", b"z"}
        assert c.command("SMEMBERS", "i") == {b"1", b"2", b"3"}
        assert c.command("SMEMBERS", "missing") == set()
        assert c.command("SISMEMBER", "s", "x") == 1
        assert c.command("SMISMEMBER", "s", "x", "q") == [1, 0]
        assert c.command("SCARD", "s") == 3


def test_resp3_exact_bytes_of_empty_set(server):
    with resp3(server) as c:
        c.send_command("SMEMBERS", "missing")
        while b"\r\n" not in c.buf:
            c._fill()
        assert c.buf.startswith(b"~0\r\n")
        c.buf = b""
        c.send_command("SMEMBERS", "missing")
        assert c.read() == set()


# ---------------------------------------------------------------- SRANDMEMBER


def test_srandmember_no_count(server, r):
    assert r.srandmember("missing") is None
    assert one(server, "SRANDMEMBER", "missing") is None
    r.sadd("s", "a", "b", "c")
    for _ in range(20):
        assert r.srandmember("s") in {"a", "b", "c"}
    assert r.scard("s") == 3
    with resp3(server) as c:
        assert c.command("SRANDMEMBER", "missing") is None
        assert c.command("SRANDMEMBER", "s") in {b"a", b"b", b"c"}


def test_srandmember_count_zero_and_missing_key(server, r):
    r.sadd("s", "a", "b")
    assert r.srandmember("s", 0) == []
    assert r.srandmember("missing", 5) == []
    assert r.srandmember("missing", -5) == []
    assert r.srandmember("missing", 0) == []
    with resp3(server) as c:
        assert c.command("SRANDMEMBER", "s", "0") == []
        assert c.command("SRANDMEMBER", "missing", "3") == []


@pytest.mark.parametrize("size", [5, 40, 300, 1000])
@pytest.mark.parametrize("ints", [True, False])
def test_srandmember_positive_count(r, size, ints):
    items = {str(i * 3) if ints else f"e{i}" for i in range(size)}
    r.sadd("s", *items)
    for count in [1, 2, size // 3 or 1, size // 2, size - 1, size, size + 1, size * 3]:
        got = r.srandmember("s", count)
        assert len(got) == min(count, size), count
        assert len(set(got)) == len(got), "positive count must give distinct members"
        assert set(got) <= items
    assert set(r.srandmember("s", size)) == items
    assert set(r.srandmember("s", size * 10)) == items
    assert r.scard("s") == size


@pytest.mark.parametrize("size", [1, 5, 200, 800])
def test_srandmember_negative_count(r, size):
    items = {f"n{i}" for i in range(size)}
    r.sadd("s", *items)
    for count in [1, 3, size, size * 2 + 1]:
        got = r.srandmember("s", -count)
        assert len(got) == count
        assert set(got) <= items
    got = r.srandmember("s", -(size * 20))
    assert len(got) == size * 20
    assert set(got) == items
    if size > 1:
        assert len(set(got)) < len(got)
    assert r.scard("s") == size


def test_srandmember_negative_count_repeats_in_intset(r):
    r.sadd("s", 1, 2)
    got = r.srandmember("s", -100)
    assert len(got) == 100
    assert set(got) == {"1", "2"}
    counts = collections.Counter(got)
    assert counts["1"] > 10 and counts["2"] > 10


def test_srandmember_count_errors(server, r):
    r.sadd("s", "a", "b", "c")
    assert err(r, "SRANDMEMBER", "s", "-9223372036854775808") == RANGE_MIN
    assert full_err(server, "SRANDMEMBER", "s", "-9223372036854775808") == "ERR " + RANGE_MIN
    for bad in ["abc", "1.5", "", "9223372036854775808", "-9223372036854775809", " 1", "+1"]:
        assert err(r, "SRANDMEMBER", "s", bad) == NOT_INT, bad
    # The extreme positive count is fine.
    assert sorted(r.srandmember("s", "9223372036854775807")) == ["a", "b", "c"]
    assert r.scard("s") == 3


def test_srandmember_every_member_shows_up(r):
    items = {f"m{i}" for i in range(8)}
    r.sadd("s", *items)
    seen = {r.srandmember("s") for _ in range(300)}
    assert seen == items
    r.sadd("i", *range(8))
    seen = set()
    for _ in range(300):
        seen.update(r.srandmember("i", 2))
    assert seen == {str(i) for i in range(8)}
    big = {f"b{i}" for i in range(700)}
    r.sadd("big", *big)
    seen = set()
    for _ in range(150):
        seen.update(r.srandmember("big", 100))
    assert seen == big


def test_srandmember_resp3_is_array(server, r):
    r.sadd("s", "a", "b", "c")
    with resp3(server) as c:
        got = c.command("SRANDMEMBER", "s", "2")
        assert isinstance(got, list) and len(got) == 2 and len(set(got)) == 2
        got = c.command("SRANDMEMBER", "s", "-7")
        assert isinstance(got, list) and len(got) == 7
        assert set(got) <= {b"a", b"b", b"c"}


# ---------------------------------------------------------------- SPOP


def test_spop_no_count(server, r):
    assert r.spop("missing") is None
    r.sadd("s", "a", "b", "c")
    popped = {r.spop("s") for _ in range(3)}
    assert popped == {"a", "b", "c"}
    assert r.exists("s") == 0
    assert r.spop("s") is None
    with resp3(server) as c:
        assert c.command("SPOP", "missing") is None
        c.command("SADD", "t", "only")
        assert c.command("SPOP", "t") == b"only"
        assert c.command("EXISTS", "t") == 0


def test_spop_last_member_of_intset_deletes_key(r):
    r.sadd("s", 42)
    r.expire("s", 100)
    assert r.spop("s") == "42"
    assert r.exists("s") == 0
    r.sadd("s", 1)
    assert r.ttl("s") == -1


@pytest.mark.parametrize("size", [3, 20, 200, 1500])
@pytest.mark.parametrize("ints", [True, False])
def test_spop_count_removes_distinct_members(r, size, ints):
    items = {str(i * 7 - 50) if ints else f"p{i}" for i in range(size)}
    r.sadd("s", *items)
    remaining = set(items)
    for count in [1, size // 10, size // 4]:
        if count == 0 or count >= len(remaining):
            continue
        got = r.spop("s", count)
        assert isinstance(got, list)
        assert len(got) == count
        assert len(set(got)) == count
        assert set(got) <= remaining
        remaining -= set(got)
        assert r.smembers("s") == remaining
        assert r.scard("s") == len(remaining)
    # A count of most of the set (Redis uses a different strategy for it).
    count = len(remaining) - 2
    got = r.spop("s", count)
    assert len(got) == count == len(set(got))
    assert set(got) <= remaining
    remaining -= set(got)
    assert r.smembers("s") == remaining and len(remaining) == 2
    # A count at least the size takes everything and deletes the key.
    got = r.spop("s", 5)
    assert set(got) == remaining and len(got) == 2
    assert r.exists("s") == 0


@pytest.mark.parametrize("extra", [0, 1, 100])
def test_spop_count_at_least_size_deletes_key(r, extra):
    items = {f"x{i}" for i in range(10)} | {"1", "2"}
    r.sadd("s", *items)
    r.expire("s", 100)
    got = r.spop("s", len(items) + extra)
    assert sorted(got) == sorted(items)
    assert r.exists("s") == 0
    assert r.spop("s", 3) == []


def test_spop_count_zero_and_missing(server, r):
    r.sadd("s", "a", "b")
    assert r.spop("s", 0) == []
    assert r.scard("s") == 2
    assert r.spop("missing", 3) == []
    assert r.spop("missing", 0) == []
    assert r.exists("missing") == 0


def test_spop_count_errors(server, r):
    r.sadd("s", "a", "b", "c")
    for bad in ["-1", "-9223372036854775808", "abc", "1.5", "9223372036854775808", "",
                "+1", "01"]:
        assert err(r, "SPOP", "s", bad) == MUST_BE_POSITIVE, bad
    assert err(r, "SPOP", "missing", "abc") == MUST_BE_POSITIVE
    assert err(r, "SPOP", "missing", "-1") == MUST_BE_POSITIVE
    assert full_err(server, "SPOP", "s", "-1") == "ERR " + MUST_BE_POSITIVE
    assert r.scard("s") == 3


def test_spop_resp3_reply_is_a_set(server, r):
    r.sadd("s", "a", "b", "c", "d")
    r.sadd("i", 1, 2, 3)
    with resp3(server) as c:
        got = c.command("SPOP", "s", "2")
        assert isinstance(got, set) and len(got) == 2
        assert got <= {b"a", b"b", b"c", b"d"}
        assert c.command("SPOP", "i", "10") == {b"1", b"2", b"3"}
        assert c.command("SPOP", "missing", "2") == set()
        assert c.command("SPOP", "s", "0") == set()
        got2 = c.command("SPOP", "s", "2")
        assert got | got2 == {b"a", b"b", b"c", b"d"}
        assert c.command("EXISTS", "s") == 0
    with server.raw() as c:
        c.command("SADD", "t", "a", "b")
        got = c.command("SPOP", "t", "1")
        assert isinstance(got, list) and len(got) == 1


def test_spop_with_count_from_intset_keeps_remaining_valid(r):
    r.sadd("s", *range(100))
    got = r.spop("s", 30)
    rest = r.smembers("s")
    assert len(rest) == 70
    assert set(got) | rest == {str(i) for i in range(100)}
    assert set(got) & rest == set()
    assert encoding(r, "s") == "intset"
    assert r.sadd("s", *got) == 30


# ---------------------------------------------------------------- SMOVE


def test_smove_basic(r):
    r.sadd("src", "a", "b")
    r.sadd("dst", "c")
    assert r.smove("src", "dst", "a") is True
    assert r.smembers("src") == {"b"}
    assert r.smembers("dst") == {"a", "c"}
    # Member already in the destination: removed from the source only.
    r.sadd("dst", "b")
    assert r.smove("src", "dst", "b") is True
    assert r.exists("src") == 0
    assert r.smembers("dst") == {"a", "b", "c"}


def test_smove_missing_source_or_member(r):
    assert r.smove("nosrc", "dst", "a") is False
    assert r.exists("dst") == 0
    r.sadd("src", "a")
    assert r.smove("src", "dst", "zz") is False
    assert r.exists("dst") == 0
    assert r.smembers("src") == {"a"}
    # A missing source is 0 even when the destination has the wrong type.
    r.set("str", "v")
    assert r.smove("nosrc", "str", "a") is False
    assert r.get("str") == "v"


def test_smove_same_source_and_destination(r):
    r.sadd("s", "a", "b")
    assert r.smove("s", "s", "a") is True
    assert r.smove("s", "s", "zz") is False
    assert r.smembers("s") == {"a", "b"}
    r.sadd("one", "x")
    assert r.smove("one", "one", "x") is True
    assert r.smembers("one") == {"x"}


def test_smove_creates_destination_and_deletes_emptied_source(r):
    r.sadd("src", "only")
    r.expire("src", 100)
    assert r.smove("src", "dst", "only") is True
    assert r.exists("src") == 0
    assert r.smembers("dst") == {"only"}
    assert r.type("dst") == "set"
    assert r.ttl("dst") == -1


def test_smove_between_encodings(r):
    r.sadd("ints", 1, 2, 3)
    r.sadd("strs", "a", "b")
    assert r.smove("strs", "ints", "a") is True
    assert r.smembers("ints") == {"1", "2", "3", "a"}
    assert encoding(r, "ints") != "intset"
    assert r.smove("ints", "strs", "2") is True
    assert r.smembers("strs") == {"b", "2"}
    r.sadd("i2", 10)
    assert r.smove("ints", "i2", "3") is True
    assert r.smembers("i2") == {"3", "10"}
    assert encoding(r, "i2") == "intset"
    assert r.smove("ints", "new", "1") is True
    assert encoding(r, "new") == "intset"


def test_smove_wrongtype(server, r):
    r.sadd("src", "a", "b")
    r.set("str", "v")
    r.hset("h", "f", "v")
    assert err(r, "SMOVE", "src", "str", "a") == WRONGTYPE
    assert err(r, "SMOVE", "src", "h", "a") == WRONGTYPE
    assert full_err(server, "SMOVE", "src", "str", "a") == WRONGTYPE
    # Also when the member is absent from the source.
    assert err(r, "SMOVE", "src", "str", "zz") == WRONGTYPE
    assert err(r, "SMOVE", "str", "src", "a") == WRONGTYPE
    assert r.smembers("src") == {"a", "b"}
    assert r.get("str") == "v"
    assert r.hgetall("h") == {"f": "v"}


# ---------------------------------------------------------------- SINTER SUNION SDIFF


@pytest.fixture
def abc(r):
    r.sadd("A", "1", "2", "3", "4", "x")
    r.sadd("B", "3", "4", "5", "x", "y")
    r.sadd("C", "4", "x", "z")
    r.sadd("I1", *range(0, 100, 2))
    r.sadd("I2", *range(0, 100, 3))
    return r


def test_sinter(abc):
    r = abc
    assert r.sinter("A") == {"1", "2", "3", "4", "x"}
    assert r.sinter("A", "B") == {"3", "4", "x"}
    assert r.sinter("A", "B", "C") == {"4", "x"}
    assert r.sinter("C", "B", "A") == {"4", "x"}
    assert r.sinter("I1", "I2") == {str(i) for i in range(0, 100, 6)}
    assert r.sinter("A", "I1") == {"2", "4"}
    assert r.sinter("A", "A") == r.smembers("A")


def test_sunion(abc):
    r = abc
    assert r.sunion("A") == {"1", "2", "3", "4", "x"}
    assert r.sunion("A", "B", "C") == {"1", "2", "3", "4", "5", "x", "y", "z"}
    assert r.sunion("I1", "I2") == {str(i) for i in range(100) if i % 2 == 0 or i % 3 == 0}
    assert r.sunion("A", "A") == r.smembers("A")


def test_sdiff(abc):
    r = abc
    assert r.sdiff("A") == {"1", "2", "3", "4", "x"}
    assert r.sdiff("A", "B") == {"1", "2"}
    assert r.sdiff("B", "A") == {"5", "y"}
    assert r.sdiff("A", "B", "C") == {"1", "2"}
    assert r.sdiff("B", "C", "A") == {"5", "y"}
    assert r.sdiff("A", "A") == set()
    assert r.sdiff("I1", "I2") == {str(i) for i in range(0, 100, 2) if i % 3}
    # Many sets subtracted (Redis picks another algorithm for these).
    r.sadd("big", *range(2000))
    for i in range(10):
        r.sadd(f"d{i}", *range(i, 2000, 10))
    keys = [f"d{i}" for i in range(9)]
    assert r.sdiff("big", *keys) == {str(i) for i in range(9, 2000, 10)}


def test_missing_keys_are_empty_sets(abc):
    r = abc
    assert r.sinter("A", "missing") == set()
    assert r.sinter("missing", "A") == set()
    assert r.sinter("missing") == set()
    assert r.sunion("missing", "A", "missing2") == r.smembers("A")
    assert r.sunion("missing") == set()
    assert r.sdiff("missing", "A") == set()
    assert r.sdiff("A", "missing") == r.smembers("A")
    assert r.sdiff("missing") == set()
    assert r.execute_command("SINTERCARD", 2, "A", "missing") == 0


def test_set_algebra_resp3_sets(server, abc):
    with resp3(server) as c:
        assert c.command("SINTER", "A", "B") == {b"3", b"4", b"x"}
        assert c.command("SUNION", "C", "missing") == {b"4", b"x", b"z"}
        assert c.command("SDIFF", "B", "A") == {b"5", b"y"}
        assert c.command("SINTER", "A", "missing") == set()
        assert c.command("SDIFF", "missing", "A") == set()
        assert c.command("SUNION", "missing") == set()
        assert c.command("SINTERSTORE", "dst", "A", "B") == 3


@pytest.mark.parametrize("cmd", ["SINTER", "SUNION", "SDIFF"])
def test_set_algebra_wrongtype_on_any_key(abc, cmd):
    r = abc
    r.set("str", "v")
    r.hset("h", "f", "v")
    for keys in [("str",), ("A", "str"), ("str", "A"), ("A", "B", "h"),
                 ("missing", "str"), ("A", "missing", "h")]:
        assert err(r, cmd, *keys) == WRONGTYPE, keys
    assert err(r, cmd + "STORE", "dst", "A", "str") == WRONGTYPE
    assert err(r, cmd + "STORE", "dst", "missing", "str") == WRONGTYPE
    assert r.exists("dst") == 0
    # A failing *STORE leaves an existing destination alone.
    r.sadd("dst", "keep")
    assert err(r, cmd + "STORE", "dst", "h", "A") == WRONGTYPE
    assert r.smembers("dst") == {"keep"}


# ---------------------------------------------------------------- *STORE


@pytest.mark.parametrize("cmd, expected", [
    ("SINTERSTORE", {"3", "4", "x"}),
    ("SUNIONSTORE", {"1", "2", "3", "4", "5", "x", "y"}),
    ("SDIFFSTORE", {"1", "2"}),
])
def test_store_commands_return_cardinality(abc, cmd, expected):
    r = abc
    assert r.execute_command(cmd, "dst", "A", "B") == len(expected)
    assert r.smembers("dst") == expected
    assert r.type("dst") == "set"
    # Sources are untouched.
    assert r.scard("A") == 5 and r.scard("B") == 5


@pytest.mark.parametrize("cmd", ["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"])
@pytest.mark.parametrize("old", ["string", "hash", "set", "intset"])
def test_store_overwrites_destination_of_any_type(abc, cmd, old):
    r = abc
    if old == "string":
        r.set("dst", "old")
    elif old == "hash":
        r.hset("dst", "f", "v")
    elif old == "set":
        r.sadd("dst", "old", "members")
    else:
        r.sadd("dst", 100, 200)
    r.expire("dst", 1000)
    n = r.execute_command(cmd, "dst", "A", "C")
    want = {"SINTERSTORE": {"4", "x"}, "SUNIONSTORE": {"1", "2", "3", "4", "x", "z"},
            "SDIFFSTORE": {"1", "2", "3"}}[cmd]
    assert n == len(want)
    assert r.type("dst") == "set"
    assert r.smembers("dst") == want
    assert r.ttl("dst") == -1


@pytest.mark.parametrize("cmd, args", [
    ("SINTERSTORE", ["A", "missing"]),
    ("SINTERSTORE", ["A", "I2"]),
    ("SUNIONSTORE", ["missing", "missing2"]),
    ("SDIFFSTORE", ["A", "A"]),
    ("SDIFFSTORE", ["missing", "A"]),
])
@pytest.mark.parametrize("old", ["none", "string", "set"])
def test_store_empty_result_deletes_destination(abc, cmd, args, old):
    r = abc
    r.srem("I2", "3")
    if old == "string":
        r.set("dst", "old")
    elif old == "set":
        r.sadd("dst", "q")
    assert r.execute_command(cmd, "dst", *args) == 0
    assert r.exists("dst") == 0


@pytest.mark.parametrize("cmd", ["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"])
def test_store_destination_among_sources(abc, cmd):
    r = abc
    want = {"SINTERSTORE": {"3", "4", "x"}, "SUNIONSTORE": {"1", "2", "3", "4", "5", "x", "y"},
            "SDIFFSTORE": {"1", "2"}}[cmd]
    assert r.execute_command(cmd, "A", "A", "B") == len(want)
    assert r.smembers("A") == want
    assert r.scard("B") == 5


def test_store_of_integer_sets_is_intset(abc):
    r = abc
    assert r.sinterstore("d1", "I1", "I2") == 17
    assert encoding(r, "d1") == "intset"
    assert r.sunionstore("d2", "I1", "I2") == 67
    assert encoding(r, "d2") == "intset"
    assert r.sdiffstore("d3", "I1", "I2") == 33
    assert encoding(r, "d3") == "intset"
    assert r.sunionstore("d4", "I1", "A") == 53
    assert encoding(r, "d4") != "intset"


def test_store_copy_is_independent(abc):
    r = abc
    r.sunionstore("copy", "A")
    r.sadd("copy", "new")
    r.srem("A", "1")
    assert r.smembers("copy") == {"1", "2", "3", "4", "x", "new"}
    assert r.smembers("A") == {"2", "3", "4", "x"}


# ---------------------------------------------------------------- SINTERCARD


def test_sintercard(abc):
    r = abc
    assert r.execute_command("SINTERCARD", 1, "A") == 5
    assert r.execute_command("SINTERCARD", 2, "A", "B") == 3
    assert r.execute_command("SINTERCARD", 3, "A", "B", "C") == 2
    assert r.execute_command("SINTERCARD", 2, "I1", "I2") == 17
    assert r.execute_command("SINTERCARD", 1, "missing") == 0
    assert r.execute_command("SINTERCARD", 2, "missing", "A") == 0


def test_sintercard_limit(abc):
    r = abc
    assert r.execute_command("SINTERCARD", 2, "A", "B", "LIMIT", 1) == 1
    assert r.execute_command("SINTERCARD", 2, "A", "B", "LIMIT", 2) == 2
    assert r.execute_command("SINTERCARD", 2, "A", "B", "LIMIT", 3) == 3
    assert r.execute_command("SINTERCARD", 2, "A", "B", "LIMIT", 100) == 3
    assert r.execute_command("SINTERCARD", 2, "A", "B", "LIMIT", 0) == 3
    assert r.execute_command("SINTERCARD", 2, "A", "B", "limit", 2) == 2
    assert r.execute_command("SINTERCARD", 2, "I1", "I2", "LIMIT", 5) == 5
    assert r.execute_command("SINTERCARD", 1, "I1", "LIMIT", 10) == 10
    # The last LIMIT wins.
    assert r.execute_command("SINTERCARD", 2, "A", "B", "LIMIT", 1, "LIMIT", 2) == 2


@pytest.mark.parametrize("args, message", [
    (["0", "A"], NUMKEYS_ZERO),
    (["-1", "A"], NUMKEYS_ZERO),
    (["abc", "A"], NUMKEYS_ZERO),
    (["1.5", "A"], NUMKEYS_ZERO),
    (["+1", "A"], NUMKEYS_ZERO),
    (["99999999999999999999", "A"], NUMKEYS_ZERO),
    (["2", "A"], NUMKEYS_BIG),
    (["5", "A", "B"], NUMKEYS_BIG),
    (["9223372036854775807", "A"], NUMKEYS_BIG),
    (["1", "A", "LIMIT", "-1"], LIMIT_NEG),
    (["1", "A", "LIMIT", "abc"], LIMIT_NEG),
    (["1", "A", "LIMIT", "1.5"], LIMIT_NEG),
    (["1", "A", "LIMIT", "9223372036854775808"], LIMIT_NEG),
    (["1", "A", "LIMIT"], SYNTAX),
    (["1", "A", "B"], SYNTAX),
    (["1", "A", "FOO", "1"], SYNTAX),
    (["2", "A", "LIMIT", "5"], SYNTAX),
], ids=lambda v: " ".join(v) if isinstance(v, list) else v.split()[0])
def test_sintercard_errors(server, abc, args, message):
    assert err(abc, "SINTERCARD", *args) == message
    assert full_err(server, "SINTERCARD", *args) == "ERR " + message


def test_sintercard_wrongtype(abc):
    r = abc
    r.set("str", "v")
    assert err(r, "SINTERCARD", 1, "str") == WRONGTYPE
    assert err(r, "SINTERCARD", 2, "A", "str") == WRONGTYPE
    assert err(r, "SINTERCARD", 2, "missing", "str") == WRONGTYPE


# ---------------------------------------------------------------- SSCAN


def sscan_all(r, key, **kwargs):
    cursor = 0
    seen = []
    calls = 0
    while True:
        cursor, batch = r.sscan(key, cursor, **kwargs)
        seen.extend(batch)
        calls += 1
        assert calls < 10000
        if cursor == 0:
            return seen, calls


@pytest.mark.parametrize("items", [
    [str(i) for i in range(50)],            # intset
    ["a", "b", "c", "d", "e"],              # small strings
])
def test_sscan_small_set_in_one_call(server, r, items):
    r.sadd("s", *items)
    cursor, batch = r.sscan("s", 0)
    assert cursor == 0
    assert sorted(batch) == sorted(items)
    if items[0].isdigit():
        # An intset is returned whole whatever COUNT says.
        with server.raw() as c:
            reply = c.command("SSCAN", "s", "0", "COUNT", "2")
            assert reply[0] == b"0"
            assert sorted(reply[1]) == sorted(x.encode() for x in items)
    with resp3(server) as c:
        reply = c.command("SSCAN", "s", "0")
        assert isinstance(reply, list) and reply[0] == b"0"
        assert sorted(reply[1]) == sorted(x.encode() for x in items)


def test_sscan_missing_key(server, r):
    assert r.sscan("missing", 0) == (0, [])
    assert one(server, "SSCAN", "missing", "0") == [b"0", []]


def test_sscan_large_set_iterates_everything(r):
    items = {f"member:{i}" for i in range(3000)}
    r.sadd("s", *items)
    seen, calls = sscan_all(r, "s", count=100)
    assert set(seen) == items
    assert calls > 1
    seen, calls = sscan_all(r, "s")
    assert set(seen) == items
    assert calls > 10
    r.sadd("i", *range(3000))
    seen, _ = sscan_all(r, "i", count=250)
    assert set(seen) == {str(i) for i in range(3000)}


def test_sscan_match(r):
    r.sadd("s", *[f"user:{i}" for i in range(1000)], *[f"item:{i}" for i in range(1000)])
    seen, _ = sscan_all(r, "s", match="user:1*", count=200)
    want = {f"user:{i}" for i in range(1000) if str(i).startswith("1")}
    assert set(seen) == want
    seen, _ = sscan_all(r, "s", match="*:99?", count=50)
    assert set(seen) == {f"user:99{i}" for i in range(10)} | {f"item:99{i}" for i in range(10)}
    r.sadd("small", "apple", "banana", "avocado", "cherry")
    cursor, batch = r.sscan("small", 0, match="a*")
    assert cursor == 0
    assert sorted(batch) == ["apple", "avocado"]
    cursor, batch = r.sscan("small", 0, match="nothing*")
    assert (cursor, batch) == (0, [])
    r.sadd("ints", *range(30))
    cursor, batch = r.sscan("ints", 0, match="2?")
    assert cursor == 0 and sorted(batch) == [str(i) for i in range(20, 30)]


def test_sscan_errors(server, r):
    r.sadd("s", "a", "b")
    assert err(r, "SSCAN", "s", "abc") == "invalid cursor"
    assert err(r, "SSCAN", "s", "1.5") == "invalid cursor"
    assert err(r, "SSCAN", "s", "18446744073709551616") == "invalid cursor"
    assert full_err(server, "SSCAN", "s", "x") == "ERR invalid cursor"
    assert err(r, "SSCAN", "s", "0", "TYPE", "set") == SYNTAX
    assert err(r, "SSCAN", "s", "0", "COUNT", "0") == SYNTAX
    assert err(r, "SSCAN", "s", "0", "COUNT", "-1") == SYNTAX
    assert err(r, "SSCAN", "s", "0", "COUNT", "abc") == NOT_INT
    assert err(r, "SSCAN", "s", "0", "COUNT") == SYNTAX
    assert err(r, "SSCAN", "s", "0", "MATCH") == SYNTAX
    assert err(r, "SSCAN", "s", "0", "FOO", "bar") == SYNTAX
    assert err(r, "SSCAN", "s", "0", "NOVALUES") == SYNTAX
    r.set("str", "v")
    assert err(r, "SSCAN", "str", "0") == WRONGTYPE


def test_sscan_looks_up_the_key_before_parsing_options(server, r):
    # A missing key answers an empty scan whatever options follow the cursor...
    assert one(server, "SSCAN", "missing", "0", "COUNT", "0") == [b"0", []]
    assert one(server, "SSCAN", "missing", "0", "TYPE", "set") == [b"0", []]
    assert one(server, "SSCAN", "missing", "0", "FOO") == [b"0", []]
    # ...and a key of another type is WRONGTYPE before any option error.
    r.set("str", "v")
    assert full_err(server, "SSCAN", "str", "0", "COUNT", "0") == WRONGTYPE
    assert full_err(server, "SSCAN", "str", "0", "TYPE", "set") == WRONGTYPE
    # The cursor itself is parsed first.
    assert full_err(server, "SSCAN", "missing", "abc") == "ERR invalid cursor"
    assert full_err(server, "SSCAN", "str", "abc") == "ERR invalid cursor"


def test_sscan_while_the_set_changes(r):
    """Members present for the whole iteration are returned at least once, even while the
    set grows (and its table is resized) and other members are removed."""
    stable = {f"stable:{i}" for i in range(2000)}
    doomed = [f"doomed:{i}" for i in range(1000)]
    r.sadd("s", *stable, *doomed)
    cursor, seen, step = 0, set(), 0
    while True:
        cursor, batch = r.sscan("s", cursor, count=40)
        seen.update(batch)
        step += 1
        r.sadd("s", *[f"added:{step}:{j}" for j in range(40)])
        if doomed:
            r.srem("s", *doomed[:30])
            del doomed[:30]
        if cursor == 0:
            break
        assert step < 5000
    assert stable <= seen
    assert all(m.startswith(("stable:", "doomed:", "added:")) for m in seen)


# ---------------------------------------------------------------- WRONGTYPE


SET_COMMANDS_ON_OTHER = [
    ["SADD", "k", "a"], ["SREM", "k", "a"], ["SCARD", "k"], ["SISMEMBER", "k", "a"],
    ["SMISMEMBER", "k", "a", "b"], ["SMEMBERS", "k"], ["SRANDMEMBER", "k"],
    ["SRANDMEMBER", "k", "2"], ["SRANDMEMBER", "k", "-2"], ["SPOP", "k"], ["SPOP", "k", "2"],
    ["SMOVE", "k", "other", "a"], ["SINTER", "k"], ["SUNION", "k"], ["SDIFF", "k"],
    ["SINTERSTORE", "d", "k"], ["SUNIONSTORE", "d", "k"], ["SDIFFSTORE", "d", "k"],
    ["SINTERCARD", "1", "k"], ["SSCAN", "k", "0"],
]


@pytest.mark.parametrize("args", SET_COMMANDS_ON_OTHER, ids=lambda a: " ".join(a))
@pytest.mark.parametrize("kind", ["string", "hash"])
def test_set_commands_on_other_types(server, r, args, kind):
    if kind == "string":
        r.set("k", "12")
    else:
        r.hset("k", "a", "1")
    assert full_err(server, *args) == WRONGTYPE
    assert r.type("k") == kind
    assert r.exists("d") == 0 and r.exists("other") == 0


@pytest.mark.parametrize("args", [
    ["GET", "s"], ["APPEND", "s", "x"], ["INCR", "s"], ["STRLEN", "s"], ["GETRANGE", "s", 0, 1],
    ["SETRANGE", "s", 0, "x"], ["GETSET", "s", "x"], ["GETDEL", "s"], ["DECRBY", "s", 2],
    ["INCRBYFLOAT", "s", "1.5"], ["HSET", "s", "a", "1"],
    ["HGET", "s", "a"], ["HLEN", "s"],
], ids=lambda a: " ".join(map(str, a)))
def test_other_commands_on_set_key(server, r, args):
    r.sadd("s", "a", "1")
    assert full_err(server, *args) == WRONGTYPE
    assert r.smembers("s") == {"a", "1"}


def test_set_overwrites_set_and_sadd_after_del(r):
    r.sadd("s", "a")
    assert r.set("s", "str") is True
    assert r.type("s") == "string"
    assert err(r, "SADD", "s", "b") == WRONGTYPE
    r.delete("s")
    assert r.sadd("s", "b") == 1
    assert r.smembers("s") == {"b"}


# ---------------------------------------------------------------- encodings


def test_intset_encoding_and_conversion_past_512(r):
    assert r.config_get("set-max-intset-entries") == {"set-max-intset-entries": "512"}
    r.sadd("s", *range(512))
    assert encoding(r, "s") == "intset"
    assert r.scard("s") == 512
    r.sadd("s", 511)
    assert encoding(r, "s") == "intset"
    r.sadd("s", 512)
    assert encoding(r, "s") == "hashtable"
    assert r.scard("s") == 513
    assert r.smembers("s") == {str(i) for i in range(513)}
    # Shrinking does not convert back.
    r.srem("s", *range(500))
    assert encoding(r, "s") == "hashtable"
    assert r.smembers("s") == {str(i) for i in range(500, 513)}
    # One command with more than 512 integers.
    r.sadd("t", *range(-300, 300))
    assert encoding(r, "t") == "hashtable"
    assert r.scard("t") == 600


def test_intset_with_extreme_values(r):
    vals = ["-9223372036854775808", "9223372036854775807", "0", "-1", "1", "32767",
            "-32768", "32768", "2147483647", "-2147483648", "2147483648"]
    # Adding values of growing width upgrades the intset in place.
    for v in vals:
        assert r.sadd("s", v) == 1
        assert encoding(r, "s") == "intset"
    assert r.smembers("s") == set(vals)
    for v in vals:
        assert r.sismember("s", v) is True
    assert r.sismember("s", "9223372036854775808") is False
    assert r.srem("s", "9223372036854775807", "-9223372036854775808") == 2
    assert r.smembers("s") == set(vals[2:])


@pytest.mark.parametrize("member", ["a", "007", "-0", " 1", "12345678901234567890", "1.0", "+1"])
def test_non_integer_member_leaves_intset(r, member):
    r.sadd("s", 1, 2, 3)
    assert encoding(r, "s") == "intset"
    assert r.sadd("s", member) == 1
    assert encoding(r, "s") != "intset"
    assert r.smembers("s") == {"1", "2", "3", member}
    # Removing it does not convert back.
    r.srem("s", member)
    assert encoding(r, "s") != "intset"
    assert r.smembers("s") == {"1", "2", "3"}


def test_config_set_max_intset_entries(r):
    assert r.config_set("set-max-intset-entries", 4) is True
    assert r.config_get("set-max-intset-entries") == {"set-max-intset-entries": "4"}
    r.sadd("s", 1, 2, 3, 4)
    assert encoding(r, "s") == "intset"
    r.sadd("s", 5)
    assert encoding(r, "s") == "hashtable"
    assert r.smembers("s") == {"1", "2", "3", "4", "5"}
    # Existing intsets are not converted by the change alone.
    r.config_set("set-max-intset-entries", 512)
    r.sadd("small", 1, 2)
    r.config_set("set-max-intset-entries", 1)
    assert encoding(r, "small") == "intset"
    assert r.smembers("small") == {"1", "2"}
    r.config_set("set-max-intset-entries", 512)
    r.sadd("big", *range(600))
    r.srem("big", *range(10, 600))
    assert encoding(r, "big") == "hashtable"


def test_config_set_max_intset_entries_invalid(r):
    for bad in ["abc", "-1", "1.5"]:
        with pytest.raises(redis.ResponseError):
            r.config_set("set-max-intset-entries", bad)
    assert r.config_get("set-max-intset-entries") == {"set-max-intset-entries": "512"}


@pytest.mark.tessera_only
def test_small_string_set_is_listpack(r):
    r.sadd("s", "a", "b", "c")
    assert encoding(r, "s") == "listpack"
    r.sadd("mixed", 1, "two", 3)
    assert encoding(r, "mixed") == "listpack"
    r.sadd("i", 1, 2)
    r.sadd("i", "x")
    assert encoding(r, "i") == "listpack"
    assert r.smembers("i") == {"1", "2", "x"}


@pytest.mark.tessera_only
def test_listpack_to_hashtable_by_entries(r):
    assert r.config_get("set-max-listpack-entries") == {"set-max-listpack-entries": "128"}
    items = [f"m{i}" for i in range(128)]
    r.sadd("s", *items)
    assert encoding(r, "s") == "listpack"
    r.sadd("s", "m0")
    assert encoding(r, "s") == "listpack"
    r.sadd("s", "m128")
    assert encoding(r, "s") == "hashtable"
    assert r.scard("s") == 129
    r.srem("s", *items)
    assert encoding(r, "s") == "hashtable"
    assert r.smembers("s") == {"m128"}
    # An intset with 128 members and a string member added: too big for a listpack.
    r.sadd("i", *range(128))
    assert encoding(r, "i") == "intset"
    r.sadd("i", "x")
    assert encoding(r, "i") == "hashtable"
    r.sadd("j", *range(100))
    r.sadd("j", "x")
    assert encoding(r, "j") == "listpack"


@pytest.mark.tessera_only
def test_listpack_to_hashtable_by_value_length(r):
    assert r.config_get("set-max-listpack-value") == {"set-max-listpack-value": "64"}
    r.sadd("s", "a", "b" * 64)
    assert encoding(r, "s") == "listpack"
    r.sadd("s", "c" * 65)
    assert encoding(r, "s") == "hashtable"
    assert r.smembers("s") == {"a", "b" * 64, "c" * 65}
    r.sadd("new", "d" * 65)
    assert encoding(r, "new") == "hashtable"
    r.sadd("i", 1, 2)
    r.sadd("i", "e" * 65)
    assert encoding(r, "i") == "hashtable"


@pytest.mark.tessera_only
def test_config_set_listpack_thresholds(r):
    assert r.config_set("set-max-listpack-entries", 3) is True
    assert r.config_get("set-max-listpack-entries") == {"set-max-listpack-entries": "3"}
    r.sadd("s", "a", "b", "c")
    assert encoding(r, "s") == "listpack"
    r.sadd("s", "d")
    assert encoding(r, "s") == "hashtable"
    assert r.config_set("set-max-listpack-value", 5) is True
    assert r.config_get("set-max-listpack-value") == {"set-max-listpack-value": "5"}
    r.sadd("t", "abcde")
    assert encoding(r, "t") == "listpack"
    r.sadd("t", "abcdef")
    assert encoding(r, "t") == "hashtable"
    assert r.smembers("t") == {"abcde", "abcdef"}
    for name in ["set-max-listpack-entries", "set-max-listpack-value"]:
        with pytest.raises(redis.ResponseError):
            r.config_set(name, "abc")


# ---------------------------------------------------------------- exact round trips


def test_integer_looking_members_round_trip(rb):
    members_ = [m.encode() for m in INT_LOOKING]
    assert rb.sadd("s", *members_) == len(members_)
    assert rb.smembers("s") == set(members_)
    for m in members_:
        assert rb.sismember("s", m) is True, m
    # Each stays distinct from its canonical integer form.
    assert rb.sismember("s", b"7") is False
    assert rb.sismember("s", b"1") is False
    assert rb.sadd("s", b"7", b"1") == 2
    assert rb.scard("s") == len(members_) + 2
    assert rb.srem("s", b"007", b"-0") == 2
    assert rb.sismember("s", b"7") is True and rb.sismember("s", b"0") is True


@pytest.mark.parametrize("member", ["007", "-0", " 1", "12345678901234567890",
                                    "-9223372036854775808"])
def test_each_integer_looking_member_through_every_command(rb, member):
    m = member.encode()
    rb.sadd("s", m)
    assert rb.smembers("s") == {m}
    assert rb.srandmember("s") == m
    assert rb.srandmember("s", -2) == [m, m]
    assert rb.sscan("s", 0) == (0, [m])
    assert rb.sunion("s") == {m}
    rb.sunionstore("u", "s")
    assert rb.smembers("u") == {m}
    rb.sadd("ints", 5, 6)
    assert rb.smove("s", "ints", m) is True
    assert rb.sismember("ints", m) is True
    assert rb.smembers("ints") == {b"5", b"6", m}
    assert rb.sinter("ints", "u") == {m}
    assert rb.spop("u") == m
    assert rb.exists("u") == 0


def test_binary_members(server, rb):
    bins = [b"\x00", b"\x00\x00\x01", b"\r\n", b"\xff\xfe", bytes(range(256)), b"", b" ",
            b"a\x00b", b"\x80" * 70, "üñí".encode()]
    assert rb.sadd("b", *bins) == len(bins)
    assert rb.smembers("b") == set(bins)
    for m in bins:
        assert rb.sismember("b", m) is True
    assert rb.sismember("b", b"a") is False
    assert rb.execute_command("SMISMEMBER", "b", b"\x00", b"\x00\x00") == [1, 0]
    assert set(rb.srandmember("b", 100)) == set(bins)
    cursor, batch = rb.sscan("b", 0, count=1000)
    assert cursor == 0 and set(batch) == set(bins)
    assert rb.srem("b", b"\x00", b"\r\n") == 2
    assert rb.smove("b", "c", bytes(range(256))) is True
    assert rb.smembers("c") == {bytes(range(256))}
    with resp3(server) as c:
        assert c.command("SMEMBERS", "c") == {bytes(range(256))}
    assert rb.scard("b") == len(bins) - 3
    rb.sadd("small", b"\x00\xff", b"x")
    assert rb.sinter("b", "small") == set()
    rb.sadd("small", b"a\x00b")
    assert rb.sinter("b", "small") == {b"a\x00b"}
    assert rb.sdiff("small", "b") == {b"\x00\xff", b"x"}
    got = set(rb.spop("b", 100))
    assert got == set(bins) - {b"\x00", b"\r\n", bytes(range(256))}
    assert rb.exists("b") == 0


def test_large_members(rb):
    big = b"x" * 100_000
    bigger = bytes(range(256)) * 2000
    assert rb.sadd("s", big, bigger, b"small") == 3
    assert rb.smembers("s") == {big, bigger, b"small"}
    assert rb.sismember("s", big) is True
    assert rb.sismember("s", big + b"x") is False
    assert rb.srem("s", big) == 1
    assert rb.smembers("s") == {bigger, b"small"}


# ---------------------------------------------------------------- keyspace interplay


def test_type_exists_del_unlink(r):
    r.sadd("s", "a")
    r.sadd("i", 1)
    assert r.type("s") == "set"
    assert r.type("i") == "set"
    assert r.exists("s", "i") == 2
    assert r.delete("s") == 1
    assert r.unlink("i") == 1
    assert r.exists("s", "i") == 0
    assert r.type("s") == "none"


@pytest.mark.parametrize("items", [["1", "2", "3"], ["a", "b"], [f"m{i}" for i in range(600)]])
def test_copy_is_independent(r, items):
    r.sadd("s", *items)
    enc = encoding(r, "s")
    assert r.copy("s", "c") is True
    assert encoding(r, "c") == enc
    assert r.smembers("c") == set(items)
    r.sadd("c", "new")
    r.srem("s", items[0])
    assert r.smembers("c") == set(items) | {"new"}
    assert r.smembers("s") == set(items[1:])
    # COPY refuses an existing destination unless REPLACE.
    assert r.copy("s", "c") is False
    assert r.copy("s", "c", replace=True) is True
    assert r.smembers("c") == set(items[1:])


def test_copy_to_another_db_and_move(server, r):
    r.sadd("s", "a", "b", 1)
    r.expire("s", 1000)
    assert r.copy("s", "s", destination_db=1) is True
    other = server.client(db=1)
    try:
        assert other.smembers("s") == {"a", "b", "1"}
        assert 990 <= other.ttl("s") <= 1000
        other.sadd("s", "only-in-1")
        assert r.smembers("s") == {"a", "b", "1"}
        r.sadd("m", *range(10))
        assert r.move("m", 1) is True
        assert r.exists("m") == 0
        assert other.smembers("m") == {str(i) for i in range(10)}
        assert encoding(other, "m") == "intset"
        # MOVE refuses when the key exists in the target db.
        r.sadd("s", "z")
        assert r.move("s", 1) is False
        assert r.sismember("s", "z") is True
    finally:
        other.close()


def test_rename(r):
    r.sadd("s", "a", "b")
    r.expire("s", 500)
    assert r.rename("s", "t") is True
    assert r.exists("s") == 0
    assert r.smembers("t") == {"a", "b"}
    assert 490 <= r.ttl("t") <= 500
    r.set("str", "v")
    assert r.rename("t", "str") is True
    assert r.type("str") == "set"
    r.sadd("x", "1")
    assert r.renamenx("str", "x") is False
    assert r.renamenx("str", "y") is True
    assert r.smembers("y") == {"a", "b"}
    assert r.smembers("x") == {"1"}


def test_expire_on_set(r):
    r.sadd("s", "a", "b")
    assert r.expire("s", 100) is True
    assert 99 <= r.ttl("s") <= 100
    # Writes keep the TTL.
    r.sadd("s", "c")
    r.srem("s", "a")
    r.spop("s")
    assert 98 <= r.ttl("s") <= 100
    assert r.persist("s") is True
    assert r.ttl("s") == -1
    r.pexpire("s", 50)
    assert wait_until(lambda: r.exists("s") == 0, 3)
    assert r.smembers("s") == set()
    assert r.scard("s") == 0
    assert r.sadd("s", "fresh") == 1
    assert r.ttl("s") == -1


def test_expired_set_seen_as_missing_by_set_commands(r):
    r.sadd("gone", "a", "b")
    r.sadd("live", "b", "c")
    r.pexpire("gone", 20)
    time.sleep(0.1)
    assert r.sinter("gone", "live") == set()
    assert r.sunion("gone", "live") == {"b", "c"}
    assert r.smove("gone", "live", "a") is False
    assert r.srandmember("gone") is None
    assert r.sismember("gone", "a") is False
    assert r.exists("gone") == 0


def test_scan_type_set(r):
    r.sadd("s1", "a")
    r.sadd("s2", 1, 2)
    r.sadd("s3", *[f"m{i}" for i in range(300)])
    r.set("str", "v")
    r.hset("h", "f", "v")
    keys = set()
    cursor = 0
    while True:
        cursor, batch = r.execute_command("SCAN", cursor, "TYPE", "set", "COUNT", 100)
        keys.update(batch)
        if int(cursor) == 0:
            break
    assert keys == {"s1", "s2", "s3"}
    assert set(r.scan_iter(_type="SET")) == {"s1", "s2", "s3"}
    assert set(r.scan_iter(match="s*", _type="string")) == {"str"}


def test_flushdb_and_swapdb(server, r):
    r.sadd("s", "a")
    r.execute_command("SWAPDB", 0, 1)
    assert r.exists("s") == 0
    other = server.client(db=1)
    try:
        assert other.smembers("s") == {"a"}
        other.flushdb()
        assert other.exists("s") == 0
    finally:
        other.close()


def test_pipelined_set_commands(r):
    p = r.pipeline(transaction=False)
    p.sadd("s", "a", "b", "c")
    p.srem("s", "a")
    p.scard("s")
    p.smembers("s")
    p.sinterstore("d", "s", "s")
    assert p.execute() == [3, 1, 2, {"b", "c"}, 2]


def test_redis_cli(server, r):
    out = server.cli("SADD", "s", "a", "b", "c")
    assert out.stdout.strip() == "3"
    out = server.cli("SCARD", "s")
    assert out.stdout.strip() == "3"
    out = server.cli("SMEMBERS", "s")
    assert sorted(out.stdout.split()) == ["a", "b", "c"]
    out = server.cli("SPOP", "s", "-1")
    assert "ERR value is out of range, must be positive" in out.stdout
    out = server.cli("SMEMBERS", "s", resp3=True)
    assert sorted(out.stdout.split()) == ["a", "b", "c"]
    assert r.scard("s") == 3


# ---------------------------------------------------------------- DEBUG DIGEST vs Redis


LONG = "L" * 80


def fill_sets(c):
    """Sets in every encoding; the same commands run on both servers."""
    c.sadd("intset16", 1, 2, 3, -5, 100)
    c.sadd("intset64", "-9223372036854775808", "9223372036854775807", 0, 70000, -2)
    c.sadd("strings", "a", "b", "hello", "", "007", "-0", " 1")
    c.sadd("mixed", 1, 2, "three", "12345678901234567890")
    c.sadd("big_ints", *range(-200, 600))
    c.sadd("big_strings", *[f"member:{i}" for i in range(1000)])
    c.sadd("long_member", "short", "v" * 100)
    c.sadd("binary", b"\x00", b"\xff\xfe", b"\r\n", bytes(range(256)))
    c.sadd("single", "one")
    c.sadd("single_int", 42)
    # Converted sets that shrank afterwards.
    c.sadd("shrunk", *range(600), LONG)
    c.srem("shrunk", *range(3, 600), LONG)
    c.sunionstore("stored", "intset16", "strings")
    c.sinterstore("inter", "big_ints", "intset64")
    c.sdiffstore("diff", "big_strings", "strings")
    c.spop("diff", 10)
    c.execute_command("EXPIREAT", "single", 4102444800)
    return [b"intset16", b"intset64", b"strings", b"mixed", b"big_ints", b"big_strings",
            b"long_member", b"binary", b"single", b"single_int", b"shrunk", b"stored",
            b"inter", b"diff", b"missing"]


def test_debug_digest_of_sets_matches_redis(server, reference):
    tess = server.client(decode_responses=False, single_connection_client=True)
    ref = reference
    try:
        keys = fill_sets(tess)
        fill_sets(ref)
        # The reference agrees with Redis on intset/hashtable for these.
        for c in (tess, ref):
            assert encoding(c, "intset16") == b"intset"
            assert encoding(c, "intset64") == b"intset"
            assert encoding(c, "big_ints") == b"hashtable"
            assert encoding(c, "big_strings") == b"hashtable"
            assert encoding(c, "long_member") == b"hashtable"
            assert encoding(c, "shrunk") == b"hashtable"
            assert encoding(c, "inter") == b"intset"
        # SPOP removed random members: make "diff" identical on both sides.
        left = tess.smembers("diff")
        ref.delete("diff")
        ref.sadd("diff", *left)
        assert ref.smembers("diff") == left
        want_all = assert_same_digests(tess, ref, keys)
        # The same changes move both digests the same way.
        for c in (tess, ref):
            c.sadd("intset16", "not-an-int")
            c.srem("big_strings", "member:5")
            c.persist("single")
        assert tess.execute_command("DEBUG", "DIGEST") == \
            ref.execute_command("DEBUG", "DIGEST") != want_all
        assert tess.execute_command("DEBUG", "DIGEST-VALUE", "intset16", "big_strings") == \
            ref.execute_command("DEBUG", "DIGEST-VALUE", "intset16", "big_strings")
    finally:
        tess.close()


def test_debug_digest_independent_of_encoding(server, reference):
    tess = server.client(decode_responses=False, single_connection_client=True)
    try:
        for c in (tess, reference):
            # The same integers as an intset and as a hashtable.
            c.sadd("ints_a", 3, 1, 2, -7)
            c.sadd("ints_b", -7, 2, 1, 3, LONG)
            c.srem("ints_b", LONG)
            assert encoding(c, "ints_a") == b"intset"
            assert encoding(c, "ints_b") == b"hashtable"
            # The same strings in a small set and in a converted one.
            c.sadd("str_a", "x", "y", "z")
            c.sadd("str_b", "z", LONG, "y", "x")
            c.srem("str_b", LONG)
            assert encoding(c, "str_b") == b"hashtable"
            a, b, sa, sb = c.execute_command("DEBUG", "DIGEST-VALUE", "ints_a", "ints_b",
                                             "str_a", "str_b")
            assert a == b != ZERO_DIGEST
            assert sa == sb != ZERO_DIGEST
            assert a != sa
        assert tess.execute_command("DEBUG", "DIGEST-VALUE", "ints_a", "str_a") == \
            reference.execute_command("DEBUG", "DIGEST-VALUE", "ints_a", "str_a")
        assert tess.execute_command("DEBUG", "DIGEST") == \
            reference.execute_command("DEBUG", "DIGEST")
    finally:
        tess.close()


def test_debug_digest_value_tracks_set_changes(r):
    r.sadd("s", "a", "b", "c")
    d1 = r.execute_command("DEBUG", "DIGEST-VALUE", "s")[0]
    r.sadd("s", "a")
    assert r.execute_command("DEBUG", "DIGEST-VALUE", "s")[0] == d1
    r.sadd("s", "d")
    d2 = r.execute_command("DEBUG", "DIGEST-VALUE", "s")[0]
    assert d2 != d1
    r.srem("s", "d")
    assert r.execute_command("DEBUG", "DIGEST-VALUE", "s")[0] == d1
    # Insertion order does not matter.
    r.sadd("t", "c", "b", "a")
    assert r.execute_command("DEBUG", "DIGEST-VALUE", "t")[0] == d1
    # "1" as an intset member and "1" as a string member digest the same way.
    r.sadd("i", 1)
    r.sadd("j", "1", LONG)
    r.srem("j", LONG)
    di, dj = r.execute_command("DEBUG", "DIGEST-VALUE", "i", "j")
    assert di == dj
