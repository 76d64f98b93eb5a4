"""Sorted-set commands with real clients: ZADD and every option (and their conflicts), ZINCRBY,
ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK/ZREVRANK, ZCOUNT/ZLEXCOUNT, the whole ZRANGE family (rank,
score and lex ranges, REV, LIMIT, WITHSCORES) and ZRANGESTORE, ZREMRANGEBY*, ZUNION/ZINTER/ZDIFF
and their STORE forms, ZINTERCARD, ZPOPMIN/ZPOPMAX, ZMPOP, ZRANDMEMBER, ZSCAN; the exact score
formatting of RESP2 and RESP3 replies, the listpack/skiplist encodings and their thresholds,
WRONGTYPE, keyspace commands on zset keys, DEBUG DIGEST equality with a real redis-server, and a
10,000-member leaderboard checked against a side-by-side redis-server."""
import collections
import math
import random

import pytest
import redis

from helpers import (ZERO_DIGEST, assert_same_digests, command_error as err, error_text,
                     wait_until)

SYNTAX = "ERR syntax error"
NOT_INT = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
NOT_FLOAT_RANGE = "ERR min or max is not a float"
NOT_LEX_RANGE = "ERR min or max not valid string range item"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
XX_NX = "ERR XX and NX options at the same time are not compatible"
GT_LT_NX = "ERR GT, LT, and/or NX options at the same time are not compatible"
INCR_PAIR = "ERR INCR option supports a single increment-element pair"
NAN_RESULT = "ERR resulting score is not a number (NaN)"
LIMIT_ONLY = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
WITHSCORES_BYLEX = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
MUST_BE_POSITIVE = "ERR value is out of range, must be positive"
RANGE_MIN = ("ERR value is out of range, value must between -9223372036854775807 and "
             "9223372036854775807")
WEIGHT = "ERR weight value is not a float"


def dec(v):
    """Decodes the bytes of a raw reply (recursively); errors and numbers stay as they are."""
    if isinstance(v, bytes):
        return v.decode("utf-8", "surrogateescape")
    if isinstance(v, list):
        return [dec(x) for x in v]
    if isinstance(v, dict):
        return {dec(k): dec(x) for k, x in v.items()}
    if isinstance(v, tuple):
        return tuple(dec(x) for x in v)
    return v


class Raw:
    """Exact replies over one raw RESP connection, decoded to str."""

    def __init__(self, conn):
        self.conn = conn

    def __call__(self, *args):
        return dec(self.conn.command(*args))

    def err(self, *args):
        """The complete error line (code included) the server replies to a command."""
        return error_text(self.conn.command(*args))


@pytest.fixture
def c(server):
    conn = server.raw()
    yield Raw(conn)
    conn.close()


@pytest.fixture
def c3(server):
    conn = server.raw()
    hello = conn.command("HELLO", "3")
    assert isinstance(hello, dict) and hello[b"proto"] == 3, hello
    yield Raw(conn)
    conn.close()


@pytest.fixture(params=["listpack", "skiplist"])
def enc(request, r):
    """Runs a test with small sets in either encoding (skiplist: zset-max-listpack-entries 0)."""
    if request.param == "skiplist":
        assert r.config_set("zset-max-listpack-entries", 0) is True
    return request.param


def encoding(r, key):
    return r.object("encoding", key)


def pairs(flat):
    return list(zip(flat[0::2], flat[1::2]))


# ---------------------------------------------------------------- ZADD


def test_zadd_counts_new_members(c, r, enc):
    assert c("ZADD", "z", "1", "a") == 1
    assert c("ZADD", "z", "1", "a") == 0
    assert c("ZADD", "z", "2", "a", "3", "b", "4", "c") == 2
    assert encoding(r, "z") == enc
    # A member repeated inside one call counts once; the last score wins.
    assert c("ZADD", "z", "5", "d", "6", "d", "7", "d") == 1
    assert c("ZSCORE", "z", "d") == "7"
    assert c("ZCARD", "z") == 4
    assert c("ZRANGE", "z", "0", "-1", "WITHSCORES") == \
        ["a", "2", "b", "3", "c", "4", "d", "7"]
    # The empty string is an ordinary member.
    assert c("ZADD", "z", "0", "") == 1
    assert c("ZRANGE", "z", "0", "0") == [""]
    assert r.type("z") == "zset"


def test_zadd_ch_counts_changed_members(c, enc):
    assert c("ZADD", "z", "CH", "1", "a", "2", "b") == 2
    # Same score: not changed; new score: changed; new member: changed.
    assert c("ZADD", "z", "CH", "1", "a", "5", "b", "3", "c") == 2
    assert c("ZADD", "z", "ch", "1", "a", "5", "b", "3", "c") == 0
    assert c("ZADD", "z", "1", "a", "6", "b") == 0
    assert c("ZRANGE", "z", "0", "-1", "WITHSCORES") == ["a", "1", "c", "3", "b", "6"]


def test_zadd_nx_xx(c, r, enc):
    assert c("ZADD", "z", "NX", "1", "a", "2", "b") == 2
    assert c("ZADD", "z", "NX", "10", "a", "3", "c") == 1
    assert c("ZSCORE", "z", "a") == "1"
    assert c("ZADD", "z", "XX", "10", "a", "4", "d") == 0
    assert c("ZADD", "z", "XX", "CH", "11", "a", "4", "d") == 1
    assert c("ZRANGE", "z", "0", "-1", "WITHSCORES") == ["b", "2", "c", "3", "a", "11"]
    assert c("ZSCORE", "z", "d") is None
    # XX on a missing key creates nothing.
    assert c("ZADD", "missing", "XX", "1", "a") == 0
    assert c("ZADD", "missing", "XX", "CH", "1", "a", "2", "b") == 0
    assert c("EXISTS", "missing") == 0
    assert r.keys("*") == ["z"]


def test_zadd_gt_lt(c, enc):
    c("ZADD", "z", "5", "a", "5", "b")
    assert c("ZADD", "z", "GT", "CH", "4", "a", "6", "b", "1", "new") == 2
    assert c("ZRANGE", "z", "0", "-1", "WITHSCORES") == ["new", "1", "a", "5", "b", "6"]
    assert c("ZADD", "z", "LT", "CH", "4", "a", "7", "b", "2", "new2") == 2
    assert c("ZRANGE", "z", "0", "-1", "WITHSCORES") == \
        ["new", "1", "new2", "2", "a", "4", "b", "6"]
    # Equal scores are neither greater nor less.
    assert c("ZADD", "z", "GT", "CH", "4", "a") == 0
    assert c("ZADD", "z", "LT", "CH", "4", "a") == 0
    # GT/LT combined with XX: no new members.
    assert c("ZADD", "z", "XX", "GT", "CH", "100", "a", "100", "nope") == 1
    assert c("ZSCORE", "z", "a") == "100"
    assert c("ZSCORE", "z", "nope") is None
    assert c("ZADD", "z", "gt", "-inf", "a") == 0
    assert c("ZADD", "z", "lt", "-inf", "a") == 0
    assert c("ZSCORE", "z", "a") == "-inf"


def test_zadd_incr(c, r, enc):
    assert c("ZADD", "z", "INCR", "2.5", "a") == "2.5"
    assert c("ZADD", "z", "INCR", "1", "a") == "3.5"
    assert c("ZADD", "z", "incr", "-3.5", "a") == "0"
    assert c("ZADD", "z", "CH", "INCR", "1", "a") == "1"
    assert encoding(r, "z") == enc
    # INCR with a condition that stops the update replies nil.
    assert c("ZADD", "z", "NX", "INCR", "1", "a") is None
    assert c("ZADD", "z", "XX", "INCR", "1", "b") is None
    assert c("ZADD", "z", "GT", "INCR", "-1", "a") is None
    assert c("ZADD", "z", "GT", "INCR", "0", "a") is None
    assert c("ZADD", "z", "LT", "INCR", "1", "a") is None
    assert c("ZADD", "z", "LT", "INCR", "-2", "a") == "-1"
    assert c("ZADD", "z", "GT", "INCR", "5", "a") == "4"
    assert c("ZADD", "z", "NX", "INCR", "7", "b") == "7"
    assert c("ZSCORE", "z", "b") == "7"
    assert c("ZADD", "missing", "XX", "INCR", "1", "a") is None
    assert c("EXISTS", "missing") == 0


def test_zadd_incr_resp3(c3):
    assert c3("ZADD", "z", "INCR", "2.5", "a") == 2.5
    assert c3("ZADD", "z", "INCR", "1", "a") == 3.5
    assert c3("ZADD", "z", "NX", "INCR", "1", "a") is None


def test_zadd_incr_infinity_then_nan(c, enc):
    assert c("ZADD", "z", "INCR", "inf", "a") == "inf"
    assert c("ZADD", "z", "INCR", "inf", "a") == "inf"
    assert c.err("ZADD", "z", "INCR", "-inf", "a") == NAN_RESULT
    assert c("ZSCORE", "z", "a") == "inf"
    assert c.err("ZINCRBY", "z", "-inf", "a") == NAN_RESULT
    assert c("ZSCORE", "z", "a") == "inf"
    assert c("ZINCRBY", "z", "1", "a") == "inf"


@pytest.mark.parametrize("args, message", [
    (["NX", "XX", "1", "a"], XX_NX),
    (["XX", "NX", "1", "a"], XX_NX),
    (["GT", "LT", "1", "a"], GT_LT_NX),
    (["NX", "GT", "1", "a"], GT_LT_NX),
    (["LT", "NX", "1", "a"], GT_LT_NX),
    (["NX", "GT", "LT", "1", "a"], GT_LT_NX),
    (["INCR", "1", "a", "2", "b"], INCR_PAIR),
    (["NX", "XX", "CH"], SYNTAX),
    (["XX", "1"], SYNTAX),
    (["1", "a", "2"], SYNTAX),
    (["1", "a", "b"], SYNTAX),
    (["FOO", "1", "a"], SYNTAX),
    (["FOO", "a"], NOT_FLOAT),
    (["nan", "a"], NOT_FLOAT),
    (["NaN", "a"], NOT_FLOAT),
    (["abc", "a"], NOT_FLOAT),
    (["", "a"], NOT_FLOAT),
    ([" 1", "a"], NOT_FLOAT),
    (["1 ", "a"], NOT_FLOAT),
    (["1e309", "a"], NOT_FLOAT),
    (["1", "a", "x", "b"], NOT_FLOAT),
    (["INCR", "nan", "a"], NOT_FLOAT),
    (["INCR", "1.2.3", "a"], NOT_FLOAT),
])
def test_zadd_errors(c, args, message):
    c("ZADD", "z", "1", "keep")
    assert c.err("ZADD", "z", *args) == message
    assert c("ZRANGE", "z", "0", "-1", "WITHSCORES") == ["keep", "1"]
    assert c.err("ZADD", "new", *args) == message
    assert c("EXISTS", "new") == 0


@pytest.mark.parametrize("args", [["z"], ["z", "1"], ["z", "CH"], ["z", "XX"]])
def test_zadd_arity(c, args):
    assert c.err("ZADD", *args) == "ERR wrong number of arguments for 'zadd' command"


@pytest.mark.parametrize("text, value", [
    ("1.0", "1"), ("01", "1"), ("1e0", "1"), ("0x10", "16"), ("+inf", "inf"),
    ("-INF", "-inf"), ("infinity", "inf"), ("+5", "5"), (".5", "0.5"), ("-1e-3", "-0.001"),
])
def test_zadd_accepted_score_spellings(c, text, value):
    assert c("ZADD", "z", text, "m") == 1
    assert c("ZSCORE", "z", "m") == value


# ---------------------------------------------------------------- score formatting


SCORES = [
    ("1", "1"),
    ("2.5", "2.5"),
    ("-1.5", "-1.5"),
    ("0.1", "0.10000000000000001"),
    ("1e300", "1.0000000000000001e+300"),
    ("-1e-300", "-1e-300"),
    ("1e15", "1000000000000000"),
    ("123456789012345678", "1.2345678901234568e+17"),
    ("9007199254740993", "9007199254740992"),
    ("3.14159265358979323846", "3.1415926535897931"),
    ("inf", "inf"),
    ("-inf", "-inf"),
    ("0", "0"),
    ("-17", "-17"),
]


def load_scores(c):
    args = []
    for i, (text, _) in enumerate(SCORES):
        args += [text, f"m{i}"]
    assert c("ZADD", "z", *args) == len(SCORES)


def test_score_formatting_resp2(c, r, enc):
    load_scores(c)
    assert encoding(r, "z") == enc
    for i, (_, want) in enumerate(SCORES):
        assert c("ZSCORE", "z", f"m{i}") == want, SCORES[i]
    members = [f"m{i}" for i in range(len(SCORES))]
    assert c("ZMSCORE", "z", *members) == [want for _, want in SCORES]
    flat = c("ZRANGE", "z", "0", "-1", "WITHSCORES")
    assert dict(pairs(flat)) == {f"m{i}": want for i, (_, want) in enumerate(SCORES)}
    assert [s for _, s in pairs(flat)][:2] == ["-inf", "-17"]
    assert dict(pairs(c("ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"))) == dict(pairs(flat))
    assert c("ZINCRBY", "z", "0", "m3") == "0.10000000000000001"


def test_score_formatting_redis_cli(server, c):
    load_scores(c)
    out = server.cli("ZSCORE", "z", "m4")
    assert out.stdout.strip() == "1.0000000000000001e+300"
    out = server.cli("ZRANGE", "z", "-1", "-1", "WITHSCORES")
    assert out.stdout.split() == ["m10", "inf"]


def test_score_formatting_resp3(server, c3, enc):
    load_scores(c3)
    for i, (text, want) in enumerate(SCORES):
        got = c3("ZSCORE", "z", f"m{i}")
        assert isinstance(got, float)
        assert got == float(want)
    # Exact bytes of RESP3 doubles.
    with server.raw() as conn:
        conn.command("HELLO", "3")
        conn.send_command("ZSCORE", "z", "m3")
        assert conn._line() == b",0.10000000000000001"
        conn.send_command("ZSCORE", "z", "m4")
        assert conn._line() == b",1.0000000000000001e+300"
        conn.send_command("ZSCORE", "z", "m10")
        assert conn._line() == b",inf"
        conn.send_command("ZSCORE", "z", "m11")
        assert conn._line() == b",-inf"
        conn.send_command("ZSCORE", "z", "m0")
        assert conn._line() == b",1"
        conn.send_command("ZSCORE", "z", "missing")
        assert conn._line() == b"_"


def test_negative_zero_score(c, r, c3):
    # In a listpack -0 is stored as 0; a skiplist keeps the sign of the double.
    assert c("ZADD", "lp", "-0", "a", "1", "b") == 2
    assert encoding(r, "lp") == "listpack"
    assert c("ZSCORE", "lp", "a") == "0"
    assert c("ZINCRBY", "lp", "-0", "a") == "0"
    r.config_set("zset-max-listpack-entries", 0)
    assert c("ZADD", "sk", "-0", "a", "1", "b") == 2
    assert encoding(r, "sk") == "skiplist"
    assert c("ZSCORE", "sk", "a") == "-0"
    assert c("ZRANGE", "sk", "0", "-1", "WITHSCORES") == ["a", "-0", "b", "1"]
    assert c("ZINCRBY", "sk", "-0", "a") == "-0"
    assert c("ZRANGEBYSCORE", "sk", "0", "0", "WITHSCORES") == ["a", "-0"]
    assert c("ZRANGEBYSCORE", "sk", "(-0", "+inf") == ["b"]
    assert c("ZCOUNT", "sk", "-0", "0") == 1
    got = c3("ZSCORE", "sk", "a")
    assert got == 0.0 and math.copysign(1.0, got) == -1.0
    # ZUNION replies the computed score; the stored copies of a small result are listpacks.
    assert c("ZUNION", "1", "sk", "WITHSCORES") == ["a", "-0", "b", "1"]
    r.config_set("zset-max-listpack-entries", 128)
    assert c("ZUNIONSTORE", "u", "1", "sk") == 2
    assert encoding(r, "u") == "listpack"
    assert c("ZRANGE", "u", "0", "-1", "WITHSCORES") == ["a", "0", "b", "1"]
    assert c("ZRANGESTORE", "rs", "sk", "0", "-1") == 2
    assert encoding(r, "rs") == "listpack"
    assert c("ZSCORE", "rs", "a") == "0"


# ---------------------------------------------------------------- ZINCRBY


def test_zincrby(c, r, enc):
    assert c("ZINCRBY", "z", "2.5", "m") == "2.5"
    assert encoding(r, "z") == enc
    assert c("ZINCRBY", "z", "-1", "m") == "1.5"
    assert c("ZINCRBY", "z", "0.1", "m") == "1.6000000000000001"
    assert c("ZINCRBY", "z", "1e300", "other") == "1.0000000000000001e+300"
    assert c("ZINCRBY", "z", "-inf", "other") == "-inf"
    assert c("ZRANGE", "z", "0", "-1", "WITHSCORES") == ["other", "-inf", "m", "1.6000000000000001"]
    assert r.zincrby("z", 1, "new") == 1.0


def test_zincrby_overflows_to_infinity(c, enc):
    assert c("ZINCRBY", "z", "1e308", "a") == "1e+308"
    assert c("ZINCRBY", "z", "1e308", "a") == "inf"
    assert c("ZINCRBY", "z", "-1e308", "b") == "-1e+308"
    assert c("ZADD", "z", "INCR", "-1e308", "b") == "-inf"
    assert c("ZRANGE", "z", "0", "-1", "WITHSCORES") == ["b", "-inf", "a", "inf"]


def test_zincrby_resp3_double(c3):
    assert c3("ZINCRBY", "z", "2.5", "m") == 2.5
    assert c3("ZINCRBY", "z", "inf", "m") == math.inf


@pytest.mark.parametrize("incr", ["abc", "nan", "", "1e309", "1 "])
def test_zincrby_invalid_increment(c, incr):
    c("ZADD", "z", "1", "m")
    assert c.err("ZINCRBY", "z", incr, "m") == NOT_FLOAT
    assert c("ZSCORE", "z", "m") == "1"
    assert c.err("ZINCRBY", "new", incr, "m") == NOT_FLOAT
    assert c("EXISTS", "new") == 0


def test_zincrby_arity(c):
    assert c.err("ZINCRBY", "z", "1") == "ERR wrong number of arguments for 'zincrby' command"
    assert c.err("ZINCRBY", "z", "1", "a", "b") == \
        "ERR wrong number of arguments for 'zincrby' command"


# ---------------------------------------------------------------- ZREM ZCARD ZSCORE ZMSCORE


def test_zrem(c, r, enc):
    c("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
    assert c("ZREM", "z", "a") == 1
    assert c("ZREM", "z", "a") == 0
    assert c("ZREM", "z", "x", "b", "b", "c") == 2
    assert c("ZREM", "missing", "a") == 0
    assert c("ZCARD", "z") == 1
    assert encoding(r, "z") == enc
    # Removing the last member deletes the key.
    assert c("ZREM", "z", "d", "zz") == 1
    assert c("EXISTS", "z") == 0
    assert c("TYPE", "z") == "none"
    assert c.err("ZREM", "z") == "ERR wrong number of arguments for 'zrem' command"


def test_zcard_zscore_zmscore(c, c3, enc):
    assert c("ZCARD", "missing") == 0
    c("ZADD", "z", "1", "a", "2.5", "b")
    assert c("ZCARD", "z") == 2
    assert c("ZSCORE", "z", "b") == "2.5"
    assert c("ZSCORE", "z", "x") is None
    assert c("ZSCORE", "missing", "x") is None
    assert c("ZMSCORE", "z", "a", "x", "b", "a") == ["1", None, "2.5", "1"]
    assert c("ZMSCORE", "missing", "a", "b") == [None, None]
    assert c3("ZMSCORE", "z", "a", "x", "b") == [1.0, None, 2.5]
    assert c3("ZMSCORE", "missing", "a") == [None]
    assert c.err("ZMSCORE", "z") == "ERR wrong number of arguments for 'zmscore' command"
    assert c.err("ZSCORE", "z") == "ERR wrong number of arguments for 'zscore' command"
    assert c.err("ZCARD", "z", "x") == "ERR wrong number of arguments for 'zcard' command"


# ---------------------------------------------------------------- ZRANK ZREVRANK


def test_zrank_zrevrank(c, r, enc):
    # Equal scores are ordered by member, byte by byte.
    c("ZADD", "z", "1", "b", "1", "a", "0", "z", "2", "c", "1", "B", "-inf", "low", "inf", "high")
    order = ["low", "z", "B", "a", "b", "c", "high"]
    assert c("ZRANGE", "z", "0", "-1") == order
    for i, m in enumerate(order):
        assert c("ZRANK", "z", m) == i
        assert c("ZREVRANK", "z", m) == len(order) - 1 - i
    assert c("ZRANK", "z", "nope") is None
    assert c("ZREVRANK", "z", "nope") is None
    assert c("ZRANK", "missing", "a") is None
    assert c.err("ZRANK", "z") == "ERR wrong number of arguments for 'zrank' command"
    assert c.err("ZRANK", "z", "a", "WITHSCORE") == \
        "ERR wrong number of arguments for 'zrank' command"
    assert c.err("ZREVRANK", "z", "a", "b") == \
        "ERR wrong number of arguments for 'zrevrank' command"


def test_zrank_in_large_skiplist(c, r):
    args = []
    for i in range(500):
        args += [str(i * 3), f"m{i:04d}"]
    c("ZADD", "z", *args)
    assert encoding(r, "z") == "skiplist"
    for i in (0, 1, 127, 128, 250, 498, 499):
        assert c("ZRANK", "z", f"m{i:04d}") == i
        assert c("ZREVRANK", "z", f"m{i:04d}") == 499 - i
    c("ZREM", "z", "m0000", "m0100")
    assert c("ZRANK", "z", "m0250") == 248
    c("ZINCRBY", "z", "10000", "m0001")
    assert c("ZREVRANK", "z", "m0001") == 0


# ---------------------------------------------------------------- ZCOUNT ZLEXCOUNT


@pytest.mark.parametrize("lo, hi, want", [
    ("-inf", "+inf", 7), ("-inf", "inf", 7), ("1", "3", 3), ("(1", "3", 2), ("1", "(3", 2),
    ("(1", "(3", 1), ("(1", "(1", 0), ("1", "1", 1), ("3", "1", 0), ("-inf", "-inf", 1),
    ("(-inf", "0", 1), ("inf", "inf", 1), ("(inf", "+inf", 0), ("2.5", "3.5", 1),
    ("-1e300", "1e300", 5), ("0x1", "2", 2), ("(-inf", "(+inf", 5),
])
def test_zcount(c, enc, lo, hi, want):
    c("ZADD", "z", "-inf", "ninf", "0", "zero", "1", "a", "2", "b", "3", "c", "4", "d",
      "inf", "pinf")
    assert c("ZCOUNT", "z", lo, hi) == want


@pytest.mark.parametrize("lo, hi", [("x", "1"), ("1", "x"), ("((1", "2"), ("[1", "2"),
                                    ("nan", "1"), ("1", "(nan"), ("1x", "2"), ("1", "(2x")])
def test_zcount_invalid_range(c, lo, hi):
    c("ZADD", "z", "1", "a")
    assert c.err("ZCOUNT", "z", lo, hi) == NOT_FLOAT_RANGE
    assert c.err("ZCOUNT", "missing", lo, hi) == NOT_FLOAT_RANGE


@pytest.mark.parametrize("lo, hi, want", [
    ("-", "+", 6), ("+", "-", 0), ("[a", "[c", 3), ("(a", "[c", 2), ("[a", "(c", 2),
    ("(a", "(c", 1), ("[b", "[b", 1), ("(b", "(b", 0), ("[c", "[a", 0), ("-", "[b", 3),
    ("-", "(b", 2), ("[c", "+", 3), ("[", "+", 6), ("(", "+", 5), ("[bb", "+", 3),
    ("-", "-", 0), ("+", "+", 0), ("[d", "[dd", 2), ("(d", "[dd", 1), ("[e", "+", 0),
])
def test_zlexcount(c, enc, lo, hi, want):
    c("ZADD", "z", "0", "", "0", "a", "0", "b", "0", "c", "0", "d", "0", "dd")
    assert c("ZLEXCOUNT", "z", lo, hi) == want


@pytest.mark.parametrize("lo, hi", [("a", "[b"), ("[a", "b"), ("", "+"), ("-", ""),
                                    ("--", "+"), ("-", "++"), ("1", "2")])
def test_zlexcount_invalid_range(c, lo, hi):
    c("ZADD", "z", "0", "a")
    assert c.err("ZLEXCOUNT", "z", lo, hi) == NOT_LEX_RANGE
    assert c.err("ZLEXCOUNT", "missing", lo, hi) == NOT_LEX_RANGE


def test_empty_score_bound_reads_as_zero(c):
    # strtod() accepts the empty string as 0, so "" and "(" are valid score bounds.
    c("ZADD", "z", "-1", "neg", "0", "zero", "1", "a")
    assert c("ZCOUNT", "z", "", "1") == 2
    assert c("ZCOUNT", "z", "(", "1") == 1
    assert c("ZRANGEBYSCORE", "z", "-inf", "") == ["neg", "zero"]
    assert c("ZRANGEBYSCORE", "z", "-inf", "(") == ["neg"]


def test_zcount_zlexcount_arity(c):
    assert c.err("ZCOUNT", "z", "1") == "ERR wrong number of arguments for 'zcount' command"
    assert c.err("ZLEXCOUNT", "z", "-") == \
        "ERR wrong number of arguments for 'zlexcount' command"
    assert c("ZCOUNT", "missing", "-inf", "+inf") == 0
    assert c("ZLEXCOUNT", "missing", "-", "+") == 0


# ---------------------------------------------------------------- ZRANGE by rank


@pytest.fixture
def five(c, enc):
    c("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
    return c


def rank_slice(items, start, stop):
    """Redis rank-range semantics on a Python list."""
    n = len(items)
    start = start + n if start < 0 else start
    stop = stop + n if stop < 0 else stop
    start = max(start, 0)
    if start > stop or start >= n:
        return []
    return items[start:min(stop, n - 1) + 1]


@pytest.mark.parametrize("start, stop, want", [
    ("0", "-1", "abcde"), ("0", "0", "a"), ("1", "3", "bcd"), ("-2", "-1", "de"),
    ("-100", "100", "abcde"), ("3", "1", ""), ("5", "10", ""), ("-1", "-2", ""),
    ("4", "4", "e"), ("-5", "0", "a"), ("-6", "-5", "a"), ("-100", "-6", ""),
])
def test_zrange_by_rank(five, start, stop, want):
    c = five
    assert c("ZRANGE", "z", start, stop) == list(want)
    assert rank_slice(list("abcde"), int(start), int(stop)) == list(want)
    rev = rank_slice(list("edcba"), int(start), int(stop))
    assert c("ZREVRANGE", "z", start, stop) == rev
    assert c("ZRANGE", "z", start, stop, "REV") == rev
    assert c("ZRANGE", "missing", start, stop) == []


def test_zrange_rank_rev_and_withscores(five):
    c = five
    assert c("ZRANGE", "z", "0", "-1", "REV") == ["e", "d", "c", "b", "a"]
    assert c("ZRANGE", "z", "0", "1", "REV", "WITHSCORES") == ["e", "5", "d", "4"]
    assert c("ZREVRANGE", "z", "0", "1", "WITHSCORES") == ["e", "5", "d", "4"]
    assert c("ZREVRANGE", "z", "-2", "-1") == ["b", "a"]
    assert c("ZRANGE", "z", "1", "1", "WITHSCORES") == ["b", "2"]
    assert c("ZRANGE", "z", "0", "-1", "withscores", "WITHSCORES") == \
        ["a", "1", "b", "2", "c", "3", "d", "4", "e", "5"]
    assert c("ZRANGE", "z", "0", "-1", "rev", "withscores") == \
        ["e", "5", "d", "4", "c", "3", "b", "2", "a", "1"]


def test_extreme_ranks_counts_and_offsets(five):
    c = five
    big = "9223372036854775807"
    assert c("ZRANGE", "z", "0", big) == list("abcde")
    assert c("ZRANGE", "z", "-9223372036854775808", "-1") == list("abcde")
    assert c.err("ZRANGE", "z", "0", "99999999999999999999") == NOT_INT
    assert c("ZREMRANGEBYRANK", "z", big, big) == 0
    assert c("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", big, "1") == []
    assert c("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", big) == list("bcde")
    assert c("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "-9223372036854775808") == \
        list("bcde")
    assert c("ZMPOP", "1", "z", "MAX", "COUNT", big) == \
        ["z", [["e", "5"], ["d", "4"], ["c", "3"], ["b", "2"], ["a", "1"]]]
    c("ZADD", "z", "1", "a", "2", "b")
    assert c("ZPOPMIN", "z", big) == ["a", "1", "b", "2"]
    assert c("EXISTS", "z") == 0


def test_repeated_options_last_one_wins(ab):
    c = ab
    assert c("ZUNION", "2", "a", "b", "AGGREGATE", "MIN", "AGGREGATE", "MAX", "WITHSCORES") == \
        ["x", "1", "y", "10", "z", "20", "w", "30"]
    assert c("ZUNION", "2", "a", "b", "WEIGHTS", "5", "5", "WEIGHTS", "1", "0", "WITHSCORES") == \
        ["w", "0", "x", "1", "y", "2", "z", "3"]
    assert c("ZADD", "a", "INCR", "INCR", "1", "x") == "2"
    assert c("ZADD", "a", "CH", "CH", "XX", "XX", "5", "x") == 1
    assert c("ZRANGE", "a", "0", "0", "REV", "WITHSCORES", "WITHSCORES") == ["x", "5"]
    # ...but REV, BYSCORE and BYLEX may each appear only once.
    assert c.err("ZRANGE", "a", "0", "0", "REV", "REV") == SYNTAX
    assert c.err("ZRANGE", "a", "1", "2", "BYSCORE", "BYSCORE") == SYNTAX
    assert c.err("ZRANGE", "a", "-", "+", "BYLEX", "BYLEX") == SYNTAX


def test_zrange_resp3_pairs(five, c3):
    assert c3("ZRANGE", "z", "0", "1", "WITHSCORES") == [["a", 1.0], ["b", 2.0]]
    assert c3("ZREVRANGE", "z", "0", "0", "WITHSCORES") == [["e", 5.0]]
    assert c3("ZRANGEBYSCORE", "z", "(4", "+inf", "WITHSCORES") == [["e", 5.0]]
    assert c3("ZREVRANGEBYSCORE", "z", "+inf", "4", "WITHSCORES") == [["e", 5.0], ["d", 4.0]]
    assert c3("ZRANGE", "z", "0", "1") == ["a", "b"]
    assert c3("ZRANGE", "z", "10", "20", "WITHSCORES") == []


def test_zrange_by_rank_errors(five):
    c = five
    assert c.err("ZRANGE", "z", "x", "1") == NOT_INT
    assert c.err("ZRANGE", "z", "0", "1.5") == NOT_INT
    assert c.err("ZRANGE", "z", "0", "-1", "LIMIT", "0", "1") == LIMIT_ONLY
    assert c.err("ZRANGE", "z", "0", "-1", "REV", "LIMIT", "0", "1") == LIMIT_ONLY
    assert c.err("ZRANGE", "z", "0", "-1", "FOO") == SYNTAX
    assert c.err("ZRANGE", "z", "0") == "ERR wrong number of arguments for 'zrange' command"
    assert c.err("ZREVRANGE", "z", "0", "1", "BYSCORE") == SYNTAX
    assert c.err("ZREVRANGE", "z", "0", "1", "REV") == SYNTAX
    assert c.err("ZREVRANGE", "z", "a", "1") == NOT_INT


# ---------------------------------------------------------------- ZRANGE BYSCORE


@pytest.mark.parametrize("lo, hi, want", [
    ("-inf", "+inf", "abcde"), ("2", "4", "bcd"), ("(2", "4", "cd"), ("2", "(4", "bc"),
    ("(2", "(4", "c"), ("(2", "(3", ""), ("4", "2", ""), ("5", "100", "e"), ("1.5", "2.5", "b"),
    ("-inf", "(1", ""), ("(5", "+inf", ""),
])
def test_zrange_byscore(five, lo, hi, want):
    c = five
    assert c("ZRANGE", "z", lo, hi, "BYSCORE") == list(want)
    assert c("ZRANGEBYSCORE", "z", lo, hi) == list(want)
    # REV swaps the arguments: max first.
    assert c("ZRANGE", "z", hi, lo, "BYSCORE", "REV") == list(reversed(want))
    assert c("ZREVRANGEBYSCORE", "z", hi, lo) == list(reversed(want))
    assert c("ZRANGEBYSCORE", "missing", lo, hi) == []


def test_zrange_byscore_limit_and_withscores(five):
    c = five
    assert c("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2") == ["b", "c"]
    assert c("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2", "WITHSCORES") == \
        ["b", "2", "c", "3"]
    assert c("ZRANGE", "z", "5", "1", "BYSCORE", "REV", "LIMIT", "1", "2", "WITHSCORES") == \
        ["d", "4", "c", "3"]
    assert c("ZRANGE", "z", "1", "5", "BYSCORE", "REV") == []
    # A negative count means everything from the offset on.
    assert c("ZRANGE", "z", "1", "(5", "BYSCORE", "LIMIT", "1", "-1") == ["b", "c", "d"]
    assert c("ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "2", "-5") == ["c", "d", "e"]
    assert c("ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "0", "0") == []
    # A negative offset gives nothing.
    assert c("ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "-1", "2") == []
    assert c("ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "5", "2") == []
    assert c("ZRANGEBYSCORE", "z", "(1", "5", "WITHSCORES", "LIMIT", "0", "2") == \
        ["b", "2", "c", "3"]
    assert c("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "0", "2", "WITHSCORES") == \
        ["e", "5", "d", "4"]
    assert c("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "3", "-1") == ["b", "a"]
    # A second LIMIT replaces the first.
    assert c("ZRANGE", "z", "1", "2", "BYSCORE", "LIMIT", "0", "1", "LIMIT", "1", "1") == ["b"]


def test_zrange_byscore_errors(five):
    c = five
    assert c.err("ZRANGE", "z", "x", "1", "BYSCORE") == NOT_FLOAT_RANGE
    assert c.err("ZRANGE", "z", "((1", "2", "BYSCORE") == NOT_FLOAT_RANGE
    assert c.err("ZRANGEBYSCORE", "z", "1", "nan") == NOT_FLOAT_RANGE
    assert c.err("ZREVRANGEBYSCORE", "z", "[1", "2") == NOT_FLOAT_RANGE
    assert c.err("ZRANGE", "z", "1", "2", "BYSCORE", "BYLEX") == SYNTAX
    assert c.err("ZRANGE", "z", "1", "2", "BYSCORE", "LIMIT", "0") == SYNTAX
    assert c.err("ZRANGE", "z", "1", "2", "BYSCORE", "LIMIT", "a", "1") == NOT_INT
    assert c.err("ZRANGE", "z", "1", "2", "BYSCORE", "LIMIT", "0", "1.5") == NOT_INT
    assert c.err("ZRANGEBYSCORE", "z", "1", "2", "LIMIT", "0") == SYNTAX
    assert c.err("ZRANGEBYSCORE", "z", "1", "2", "WITHSCORES", "LIMIT", "0", "1", "foo") == SYNTAX
    assert c.err("ZRANGEBYSCORE", "z", "1", "2", "REV") == SYNTAX
    assert c.err("ZRANGEBYSCORE", "z", "1") == \
        "ERR wrong number of arguments for 'zrangebyscore' command"


# ---------------------------------------------------------------- ZRANGE BYLEX


@pytest.fixture
def lex(c, enc):
    c("ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "ee", "0", "f")
    return c


@pytest.mark.parametrize("lo, hi, want", [
    ("-", "+", ["a", "b", "c", "d", "e", "ee", "f"]), ("[b", "[d", ["b", "c", "d"]),
    ("(b", "[d", ["c", "d"]), ("[b", "(d", ["b", "c"]), ("(b", "(d", ["c"]), ("[d", "[b", []),
    ("-", "[c", ["a", "b", "c"]), ("[e", "+", ["e", "ee", "f"]), ("(e", "+", ["ee", "f"]),
    ("[e", "(f", ["e", "ee"]), ("+", "-", []), ("[", "(b", ["a"]), ("(f", "+", []),
    ("[ea", "+", ["ee", "f"]), ("[g", "+", []),
])
def test_zrange_bylex(lex, lo, hi, want):
    c = lex
    assert c("ZRANGE", "z", lo, hi, "BYLEX") == want
    assert c("ZRANGEBYLEX", "z", lo, hi) == want
    assert c("ZRANGE", "z", hi, lo, "BYLEX", "REV") == list(reversed(want))
    assert c("ZREVRANGEBYLEX", "z", hi, lo) == list(reversed(want))
    assert c("ZRANGEBYLEX", "missing", lo, hi) == []


def test_zrange_bylex_limit(lex):
    c = lex
    assert c("ZRANGE", "z", "-", "+", "BYLEX", "LIMIT", "1", "2") == ["b", "c"]
    assert c("ZRANGE", "z", "+", "-", "BYLEX", "REV", "LIMIT", "1", "2") == ["ee", "e"]
    assert c("ZRANGEBYLEX", "z", "-", "[c", "LIMIT", "1", "-1") == ["b", "c"]
    assert c("ZRANGEBYLEX", "z", "-", "+", "LIMIT", "5", "10") == ["ee", "f"]
    assert c("ZRANGEBYLEX", "z", "-", "+", "LIMIT", "-1", "10") == []
    assert c("ZRANGEBYLEX", "z", "-", "+", "LIMIT", "0", "0") == []
    assert c("ZREVRANGEBYLEX", "z", "+", "-", "LIMIT", "0", "3") == ["f", "ee", "e"]
    assert c("ZREVRANGEBYLEX", "z", "(e", "-", "LIMIT", "1", "-1") == ["c", "b", "a"]


def test_zrange_bylex_binary_members(c, enc):
    members = [b"", b"\x00", b"\x00\x00", b"A", b"a", b"\x7f", b"\x80", b"\xff", b"\xff\x00"]
    args = []
    for m in members:
        args += [b"0", m]
    conn = c.conn
    assert conn.command("ZADD", "z", *args) == len(members)
    assert conn.command("ZRANGE", "z", "0", "-1") == sorted(members)
    assert conn.command("ZRANGEBYLEX", "z", b"[\x00", b"(\x80") == \
        [b"\x00", b"\x00\x00", b"A", b"a", b"\x7f"]
    assert conn.command("ZRANGEBYLEX", "z", b"(\xff", b"+") == [b"\xff\x00"]
    assert conn.command("ZLEXCOUNT", "z", b"-", b"(\x00") == 1


def test_zrange_bylex_errors(lex):
    c = lex
    assert c.err("ZRANGE", "z", "a", "b", "BYLEX") == NOT_LEX_RANGE
    assert c.err("ZRANGE", "z", "[a", "b", "BYLEX") == NOT_LEX_RANGE
    assert c.err("ZRANGEBYLEX", "z", "-", "c") == NOT_LEX_RANGE
    assert c.err("ZREVRANGEBYLEX", "z", "x", "-") == NOT_LEX_RANGE
    assert c.err("ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES") == WITHSCORES_BYLEX
    assert c.err("ZRANGE", "z", "[a", "[c", "BYLEX", "WITHSCORES") == WITHSCORES_BYLEX
    assert c.err("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES") == WITHSCORES_BYLEX
    assert c.err("ZRANGEBYLEX", "z", "-", "+", "LIMIT", "0", "1", "foo") == SYNTAX
    assert c.err("ZRANGEBYLEX", "z", "-", "+", "LIMIT", "0") == SYNTAX
    assert c.err("ZRANGE", "z", "-", "+", "BYLEX", "BYSCORE") == SYNTAX
    assert c.err("ZREVRANGEBYLEX", "z", "+") == \
        "ERR wrong number of arguments for 'zrevrangebylex' command"


def test_integer_looking_members_round_trip(c, r, enc):
    # A listpack stores integer-looking strings as integers; members must come back exactly,
    # and order by their bytes, not by their numeric value.
    members = ["9", "10", "100", "-1", "007", "-0", "12345678901234567890",
               "9223372036854775807", "-9223372036854775808", " 1", "0", "+1", "1e3"]
    args = []
    for m in members:
        args += ["0", m]
    assert c("ZADD", "n", *args) == len(members)
    assert encoding(r, "n") == enc
    assert c("ZRANGE", "n", "0", "-1") == sorted(members, key=lambda m: m.encode())
    assert c("ZRANGEBYLEX", "n", "[1", "(9") == ["10", "100", "12345678901234567890", "1e3"]
    assert c("ZLEXCOUNT", "n", "[0", "[9") == 7
    assert c("ZRANK", "n", "10") == sorted(members, key=lambda m: m.encode()).index("10")
    assert c("ZSCORE", "n", "007") == "0"
    assert c("ZSCORE", "n", "7") is None
    assert c("ZREM", "n", "7", "-0", "0") == 2
    assert c("ZMSCORE", "n", "-0", "0", "007") == [None, None, "0"]
    cursor, batch = c("ZSCAN", "n", "0", "COUNT", "1000")
    got = [m for m, _ in pairs(batch)]
    if enc == "listpack":
        assert cursor == "0"
    assert set(got) <= set(members) - {"-0", "0"}


# ---------------------------------------------------------------- ZRANGESTORE


def test_zrangestore(five, r, enc):
    c = five
    assert c("ZRANGESTORE", "dst", "z", "0", "1") == 2
    assert c("ZRANGE", "dst", "0", "-1", "WITHSCORES") == ["a", "1", "b", "2"]
    assert encoding(r, "dst") == enc
    assert c("ZRANGESTORE", "dst", "z", "(1", "3", "BYSCORE") == 2
    assert c("ZRANGE", "dst", "0", "-1", "WITHSCORES") == ["b", "2", "c", "3"]
    assert c("ZRANGESTORE", "dst", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "2") == 2
    assert c("ZRANGE", "dst", "0", "-1", "WITHSCORES") == ["d", "4", "e", "5"]
    assert c("ZRANGESTORE", "dst", "z", "0", "0", "REV") == 1
    assert c("ZRANGE", "dst", "0", "-1", "WITHSCORES") == ["e", "5"]
    # An empty result deletes the destination.
    assert c("ZRANGESTORE", "dst", "z", "10", "20") == 0
    assert c("EXISTS", "dst") == 0
    assert c("ZRANGESTORE", "dst", "missing", "0", "-1") == 0
    assert c("EXISTS", "dst") == 0
    # The destination may be the source; a non-zset destination is overwritten.
    assert c("ZRANGESTORE", "z", "z", "1", "2") == 2
    assert c("ZRANGE", "z", "0", "-1", "WITHSCORES") == ["b", "2", "c", "3"]
    c("SET", "str", "v")
    assert c("ZRANGESTORE", "str", "z", "0", "-1") == 2
    assert c("TYPE", "str") == "zset"


def test_zrangestore_bylex(lex):
    c = lex
    assert c("ZRANGESTORE", "dst", "z", "[b", "(e", "BYLEX") == 3
    assert c("ZRANGE", "dst", "0", "-1", "WITHSCORES") == ["b", "0", "c", "0", "d", "0"]
    assert c("ZRANGESTORE", "dst", "z", "+", "-", "BYLEX", "REV", "LIMIT", "1", "2") == 2
    assert c("ZRANGE", "dst", "0", "-1") == ["e", "ee"]


def test_zrangestore_limit(five):
    c = five
    assert c("ZRANGESTORE", "dst", "z", "5", "1", "BYSCORE", "REV", "LIMIT", "0", "-1") == 5
    assert c("ZRANGE", "dst", "0", "-1") == ["a", "b", "c", "d", "e"]
    assert c.err("ZRANGESTORE", "dst", "z", "-", "+", "BYSCORE", "LIMIT", "1", "2") == \
        NOT_FLOAT_RANGE
    assert c("ZRANGESTORE", "dst", "z", "1", "5", "BYSCORE", "LIMIT", "3", "-1") == 2
    assert c("ZRANGE", "dst", "0", "-1", "WITHSCORES") == ["d", "4", "e", "5"]
    # A negative offset selects nothing, which deletes the destination.
    assert c("ZRANGESTORE", "dst", "z", "1", "5", "BYSCORE", "LIMIT", "-1", "2") == 0
    assert c("EXISTS", "dst") == 0


def test_zrangestore_errors(five):
    c = five
    assert c.err("ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES") == SYNTAX
    assert c.err("ZRANGESTORE", "dst", "z", "0", "1", "LIMIT", "0", "1") == LIMIT_ONLY
    assert c.err("ZRANGESTORE", "dst", "z", "x", "1", "BYSCORE") == NOT_FLOAT_RANGE
    assert c.err("ZRANGESTORE", "dst", "z", "x", "1", "BYLEX") == NOT_LEX_RANGE
    assert c.err("ZRANGESTORE", "dst", "z", "0") == \
        "ERR wrong number of arguments for 'zrangestore' command"
    c("SET", "str", "v")
    assert c.err("ZRANGESTORE", "dst", "str", "0", "-1") == WRONGTYPE
    c("SADD", "set", "a")
    assert c.err("ZRANGESTORE", "dst", "set", "0", "-1") == WRONGTYPE
    assert c("EXISTS", "dst") == 0


# ---------------------------------------------------------------- ZREMRANGEBY*


def test_zremrangebyrank(five, r, enc):
    c = five
    assert c("ZREMRANGEBYRANK", "z", "1", "-2") == 3
    assert c("ZRANGE", "z", "0", "-1") == ["a", "e"]
    assert c("ZREMRANGEBYRANK", "z", "5", "10") == 0
    assert c("ZREMRANGEBYRANK", "z", "1", "0") == 0
    assert encoding(r, "z") == enc
    assert c("ZREMRANGEBYRANK", "z", "-100", "100") == 2
    assert c("EXISTS", "z") == 0
    assert c("ZREMRANGEBYRANK", "missing", "0", "-1") == 0
    assert c.err("ZREMRANGEBYRANK", "z", "a", "1") == NOT_INT


def test_zremrangebyscore(five, r, enc):
    c = five
    assert c("ZREMRANGEBYSCORE", "z", "(1", "3") == 2
    assert c("ZRANGE", "z", "0", "-1") == ["a", "d", "e"]
    assert c("ZREMRANGEBYSCORE", "z", "10", "1") == 0
    assert c("ZREMRANGEBYSCORE", "z", "(4", "+inf") == 1
    assert encoding(r, "z") == enc
    assert c("ZREMRANGEBYSCORE", "z", "-inf", "+inf") == 2
    assert c("EXISTS", "z") == 0
    assert c.err("ZREMRANGEBYSCORE", "z", "x", "1") == NOT_FLOAT_RANGE


def test_zremrangebylex(lex, r, enc):
    c = lex
    assert c("ZREMRANGEBYLEX", "z", "(a", "[c") == 2
    assert c("ZRANGE", "z", "0", "-1") == ["a", "d", "e", "ee", "f"]
    assert c("ZREMRANGEBYLEX", "z", "[e", "(f") == 2
    assert c("ZREMRANGEBYLEX", "z", "+", "-") == 0
    assert encoding(r, "z") == enc
    assert c("ZREMRANGEBYLEX", "z", "-", "+") == 3
    assert c("EXISTS", "z") == 0
    assert c.err("ZREMRANGEBYLEX", "z", "a", "b") == NOT_LEX_RANGE
    assert c.err("ZREMRANGEBYLEX", "z", "-") == \
        "ERR wrong number of arguments for 'zremrangebylex' command"


# ---------------------------------------------------------------- ZUNION ZINTER ZDIFF


@pytest.fixture
def ab(c, r, enc):
    c("ZADD", "a", "1", "x", "2", "y", "3", "z")
    c("ZADD", "b", "10", "y", "20", "z", "30", "w")
    # Plain sets are valid inputs: every member has score 1.
    c("SADD", "s", "y", "w", "q")
    c("SADD", "ints", "1", "2", "3")
    return c


def test_zunion(ab):
    c = ab
    assert c("ZUNION", "2", "a", "b") == ["x", "y", "z", "w"]
    assert c("ZUNION", "2", "a", "b", "WITHSCORES") == ["x", "1", "y", "12", "z", "23", "w", "30"]
    assert c("ZUNION", "2", "a", "b", "WEIGHTS", "2", "3", "WITHSCORES") == \
        ["x", "2", "y", "34", "z", "66", "w", "90"]
    assert c("ZUNION", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES") == \
        ["x", "1", "y", "2", "z", "3", "w", "30"]
    assert c("ZUNION", "2", "a", "b", "aggregate", "max", "WITHSCORES") == \
        ["x", "1", "y", "10", "z", "20", "w", "30"]
    assert c("ZUNION", "2", "a", "b", "AGGREGATE", "SUM", "WEIGHTS", "1", "-1", "WITHSCORES") == \
        ["w", "-30", "z", "-17", "y", "-8", "x", "1"]
    assert c("ZUNION", "3", "a", "b", "s", "WITHSCORES") == \
        ["q", "1", "x", "1", "y", "13", "z", "23", "w", "31"]
    assert c("ZUNION", "2", "a", "missing", "WITHSCORES") == ["x", "1", "y", "2", "z", "3"]
    assert c("ZUNION", "1", "missing") == []
    assert c("ZUNION", "2", "ints", "s", "WEIGHTS", "0.5", "2", "WITHSCORES") == \
        ["1", "0.5", "2", "0.5", "3", "0.5", "q", "2", "w", "2", "y", "2"]
    assert c("ZUNION", "1", "a", "WITHSCORES", "WEIGHTS", "2", "AGGREGATE", "MIN") == \
        ["x", "2", "y", "4", "z", "6"]


def test_zinter(ab):
    c = ab
    assert c("ZINTER", "2", "a", "b") == ["y", "z"]
    assert c("ZINTER", "2", "a", "b", "WITHSCORES") == ["y", "12", "z", "23"]
    assert c("ZINTER", "2", "a", "b", "WEIGHTS", "1", "0", "WITHSCORES") == ["y", "2", "z", "3"]
    assert c("ZINTER", "2", "a", "b", "AGGREGATE", "MAX", "WITHSCORES") == \
        ["y", "10", "z", "20"]
    assert c("ZINTER", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES") == ["y", "2", "z", "3"]
    assert c("ZINTER", "3", "a", "b", "s", "WITHSCORES") == ["y", "13"]
    assert c("ZINTER", "2", "b", "s", "WEIGHTS", "1", "100", "WITHSCORES") == \
        ["y", "110", "w", "130"]
    assert c("ZINTER", "2", "a", "missing") == []
    assert c("ZINTER", "2", "missing", "a", "WITHSCORES") == []
    assert c("ZINTER", "2", "a", "a", "WITHSCORES") == ["x", "2", "y", "4", "z", "6"]


def test_zdiff(ab):
    c = ab
    assert c("ZDIFF", "2", "a", "b") == ["x"]
    assert c("ZDIFF", "2", "a", "b", "WITHSCORES") == ["x", "1"]
    assert c("ZDIFF", "2", "b", "a", "WITHSCORES") == ["w", "30"]
    assert c("ZDIFF", "2", "a", "s", "WITHSCORES") == ["x", "1", "z", "3"]
    assert c("ZDIFF", "3", "b", "s", "a") == []
    assert c("ZDIFF", "1", "a", "WITHSCORES") == ["x", "1", "y", "2", "z", "3"]
    assert c("ZDIFF", "2", "a", "missing", "WITHSCORES") == ["x", "1", "y", "2", "z", "3"]
    assert c("ZDIFF", "2", "missing", "a") == []
    assert c("ZDIFF", "2", "a", "a") == []
    assert c("ZDIFF", "1", "s", "WITHSCORES") == ["q", "1", "w", "1", "y", "1"]


def test_setops_resp3_pairs(ab, c3):
    assert c3("ZUNION", "2", "a", "b", "WITHSCORES") == \
        [["x", 1.0], ["y", 12.0], ["z", 23.0], ["w", 30.0]]
    assert c3("ZINTER", "2", "a", "b", "WITHSCORES") == [["y", 12.0], ["z", 23.0]]
    assert c3("ZDIFF", "2", "a", "b", "WITHSCORES") == [["x", 1.0]]
    assert c3("ZUNION", "2", "a", "b") == ["x", "y", "z", "w"]
    assert c3("ZINTER", "2", "a", "missing", "WITHSCORES") == []


def test_setops_infinities(c):
    c("ZADD", "pinf", "inf", "m")
    c("ZADD", "ninf", "-inf", "m")
    c("ZADD", "one", "1", "m")
    # inf + -inf is NaN, which the aggregation turns into 0.
    assert c("ZUNION", "2", "pinf", "ninf", "WITHSCORES") == ["m", "0"]
    assert c("ZINTER", "2", "pinf", "ninf", "WITHSCORES") == ["m", "0"]
    assert c("ZUNION", "2", "pinf", "pinf", "WEIGHTS", "1", "-1", "WITHSCORES") == ["m", "0"]
    assert c("ZUNION", "2", "one", "ninf", "WITHSCORES") == ["m", "-inf"]
    assert c("ZUNION", "2", "pinf", "one", "AGGREGATE", "MIN", "WITHSCORES") == ["m", "1"]
    # A zero weight times infinity is 0, not NaN.
    assert c("ZUNION", "2", "pinf", "ninf", "WEIGHTS", "0", "1", "WITHSCORES") == ["m", "-inf"]
    assert c("ZUNION", "1", "one", "WEIGHTS", "inf", "WITHSCORES") == ["m", "inf"]
    assert c("ZUNIONSTORE", "dst", "2", "pinf", "ninf") == 1
    assert c("ZSCORE", "dst", "m") == "0"


def test_setop_store_forms(ab, r, enc):
    c = ab
    assert c("ZUNIONSTORE", "dst", "2", "a", "b", "WEIGHTS", "1", "2", "AGGREGATE", "MAX") == 4
    assert c("ZRANGE", "dst", "0", "-1", "WITHSCORES") == \
        ["x", "1", "y", "20", "z", "40", "w", "60"]
    assert encoding(r, "dst") == enc
    assert c("ZINTERSTORE", "dst", "2", "a", "b") == 2
    assert c("ZRANGE", "dst", "0", "-1", "WITHSCORES") == ["y", "12", "z", "23"]
    assert c("ZDIFFSTORE", "dst", "2", "b", "a") == 1
    assert c("ZRANGE", "dst", "0", "-1", "WITHSCORES") == ["w", "30"]
    assert c("ZUNIONSTORE", "dst", "2", "s", "ints") == 6
    assert c("ZRANGE", "dst", "0", "-1", "WITHSCORES") == \
        ["1", "1", "2", "1", "3", "1", "q", "1", "w", "1", "y", "1"]
    # An empty result deletes the destination.
    for cmd in ("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"):
        c("ZADD", "dst", "1", "old")
        assert c(cmd, "dst", "2", "missing", "missing2") == 0
        assert c("EXISTS", "dst") == 0
    c("ZADD", "dst", "1", "old")
    assert c("ZINTERSTORE", "dst", "2", "a", "missing") == 0
    assert c("ZDIFFSTORE", "dst", "2", "a", "a") == 0
    assert c("EXISTS", "dst") == 0
    # The destination may be one of the inputs.
    c("ZADD", "x", "1", "a", "2", "b")
    c("ZADD", "y", "5", "b")
    assert c("ZINTERSTORE", "x", "2", "x", "y") == 1
    assert c("ZRANGE", "x", "0", "-1", "WITHSCORES") == ["b", "7"]
    # A string destination is overwritten, and its TTL dropped.
    c("SET", "str", "v", "EX", "100")
    assert c("ZUNIONSTORE", "str", "1", "a") == 3
    assert c("TYPE", "str") == "zset"
    assert c("TTL", "str") == -1


@pytest.mark.parametrize("cmd", ["ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD"])
def test_setop_numkeys_errors(ab, cmd):
    c = ab
    name = cmd.lower()
    need = f"ERR at least 1 input key is needed for '{name}' command"
    assert c.err(cmd, "0", "a") == need
    assert c.err(cmd, "-1", "a") == need
    assert c.err(cmd, "x", "a") == NOT_INT
    assert c.err(cmd, "3", "a", "b") == SYNTAX
    assert c.err(cmd, "2", "a", "b", "FOO") == SYNTAX


@pytest.mark.parametrize("cmd", ["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"])
def test_setop_store_numkeys_errors(ab, cmd):
    c = ab
    name = cmd.lower()
    need = f"ERR at least 1 input key is needed for '{name}' command"
    assert c.err(cmd, "dst", "0", "a") == need
    assert c.err(cmd, "dst", "-5", "a") == need
    assert c.err(cmd, "dst", "x", "a") == NOT_INT
    assert c.err(cmd, "dst", "3", "a", "b") == SYNTAX
    assert c.err(cmd, "dst", "2", "a", "b", "WITHSCORES") == SYNTAX
    assert c.err(cmd, "dst", "1") == f"ERR wrong number of arguments for '{name}' command"
    assert c("EXISTS", "dst") == 0


def test_setop_weights_and_aggregate_errors(ab):
    c = ab
    for cmd, pre in (("ZUNION", []), ("ZINTER", []), ("ZUNIONSTORE", ["dst"]),
                     ("ZINTERSTORE", ["dst"])):
        assert c.err(cmd, *pre, "2", "a", "b", "WEIGHTS", "1") == SYNTAX
        assert c.err(cmd, *pre, "2", "a", "b", "WEIGHTS", "1", "x") == WEIGHT
        assert c.err(cmd, *pre, "2", "a", "b", "WEIGHTS", "nan", "1") == WEIGHT
        assert c.err(cmd, *pre, "2", "a", "b", "WEIGHTS", "1e400", "1") == WEIGHT
        assert c.err(cmd, *pre, "2", "a", "b", "AGGREGATE", "AVG") == SYNTAX
        assert c.err(cmd, *pre, "2", "a", "b", "AGGREGATE") == SYNTAX
    # ZDIFF takes neither WEIGHTS nor AGGREGATE.
    assert c.err("ZDIFF", "2", "a", "b", "WEIGHTS", "1", "2") == SYNTAX
    assert c.err("ZDIFF", "2", "a", "b", "AGGREGATE", "SUM") == SYNTAX
    assert c.err("ZDIFFSTORE", "dst", "2", "a", "b", "WEIGHTS", "1", "2") == SYNTAX
    assert c("EXISTS", "dst") == 0


def test_setops_wrongtype(ab):
    c = ab
    c("SET", "str", "v")
    c("HSET", "h", "f", "v")
    for cmd in ("ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD"):
        assert c.err(cmd, "2", "a", "str") == WRONGTYPE
        assert c.err(cmd, "2", "str", "a") == WRONGTYPE
        assert c.err(cmd, "2", "missing", "h") == WRONGTYPE
    for cmd in ("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"):
        c("ZADD", "dst", "1", "keep")
        assert c.err(cmd, "dst", "2", "a", "str") == WRONGTYPE
        assert c.err(cmd, "dst", "2", "missing", "h") == WRONGTYPE
        assert c("ZRANGE", "dst", "0", "-1") == ["keep"]


# ---------------------------------------------------------------- ZINTERCARD


def test_zintercard(ab):
    c = ab
    assert c("ZINTERCARD", "2", "a", "b") == 2
    assert c("ZINTERCARD", "1", "a") == 3
    assert c("ZINTERCARD", "2", "a", "b", "LIMIT", "1") == 1
    assert c("ZINTERCARD", "2", "a", "b", "LIMIT", "0") == 2
    assert c("ZINTERCARD", "2", "a", "b", "LIMIT", "100") == 2
    assert c("ZINTERCARD", "2", "a", "missing") == 0
    assert c("ZINTERCARD", "2", "missing", "a") == 0
    assert c("ZINTERCARD", "2", "a", "s") == 1
    assert c("ZINTERCARD", "3", "a", "b", "s") == 1
    assert c("ZINTERCARD", "2", "ints", "s") == 0
    assert c("ZINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "2") == 2


def test_zintercard_errors(ab):
    c = ab
    assert c.err("ZINTERCARD", "2", "a", "b", "LIMIT", "-1") == "ERR LIMIT can't be negative"
    assert c.err("ZINTERCARD", "2", "a", "b", "LIMIT", "x") == "ERR LIMIT can't be negative"
    assert c.err("ZINTERCARD", "1", "a", "LIMIT") == SYNTAX
    assert c.err("ZINTERCARD", "1", "a", "WEIGHTS", "1") == SYNTAX
    assert c.err("ZINTERCARD", "1", "a", "AGGREGATE", "SUM") == SYNTAX
    assert c.err("ZINTERCARD", "1", "a", "WITHSCORES") == SYNTAX
    assert c.err("ZINTERCARD", "1") == "ERR wrong number of arguments for 'zintercard' command"


# ---------------------------------------------------------------- ZPOPMIN ZPOPMAX


def test_zpop_without_count(c, r, enc):
    c("ZADD", "z", "1", "a", "2.5", "b", "3", "c")
    assert c("ZPOPMIN", "z") == ["a", "1"]
    assert c("ZPOPMAX", "z") == ["c", "3"]
    assert encoding(r, "z") == enc
    assert c("ZPOPMAX", "z") == ["b", "2.5"]
    assert c("EXISTS", "z") == 0
    assert c("ZPOPMIN", "z") == []
    assert c("ZPOPMAX", "missing") == []


def test_zpop_with_count(c, enc):
    c("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
    assert c("ZPOPMIN", "z", "2") == ["a", "1", "b", "2"]
    assert c("ZPOPMAX", "z", "1") == ["e", "5"]
    assert c("ZPOPMIN", "z", "0") == []
    assert c("ZCARD", "z") == 2
    assert c("ZPOPMAX", "z", "10") == ["d", "4", "c", "3"]
    assert c("EXISTS", "z") == 0
    assert c("ZPOPMIN", "missing", "3") == []
    assert c("ZPOPMIN", "missing", "0") == []


def test_zpop_resp3_shapes(c3):
    c3("ZADD", "z", "1", "a", "2.5", "b", "3", "c", "4", "d")
    # Without a count: one flat pair; with a count: an array of pairs.
    assert c3("ZPOPMIN", "z") == ["a", 1.0]
    assert c3("ZPOPMIN", "z", "1") == [["b", 2.5]]
    assert c3("ZPOPMAX", "z", "2") == [["d", 4.0], ["c", 3.0]]
    assert c3("ZPOPMAX", "z") == []
    assert c3("ZPOPMIN", "z", "2") == []
    assert c3("ZPOPMIN", "z", "0") == []


def test_zpop_errors(c):
    c("ZADD", "z", "1", "a")
    assert c.err("ZPOPMIN", "z", "-1") == MUST_BE_POSITIVE
    assert c.err("ZPOPMAX", "z", "x") == MUST_BE_POSITIVE
    assert c.err("ZPOPMAX", "z", "1.5") == MUST_BE_POSITIVE
    assert c.err("ZPOPMIN", "z", "1", "2") == SYNTAX
    assert c.err("ZPOPMIN") == "ERR wrong number of arguments for 'zpopmin' command"
    assert c("ZCARD", "z") == 1
    c("SET", "str", "v")
    assert c.err("ZPOPMIN", "str") == WRONGTYPE
    assert c.err("ZPOPMAX", "str", "1") == WRONGTYPE


def test_zpop_many_from_skiplist(c, r):
    args = []
    for i in range(300):
        args += [str(i), f"m{i}"]
    c("ZADD", "z", *args)
    assert encoding(r, "z") == "skiplist"
    got = c("ZPOPMIN", "z", "200")
    assert pairs(got) == [(f"m{i}", str(i)) for i in range(200)]
    assert encoding(r, "z") == "skiplist"
    assert c("ZPOPMAX", "z", "3") == ["m299", "299", "m298", "298", "m297", "297"]
    assert c("ZCARD", "z") == 97
    assert c("ZRANGE", "z", "0", "0") == ["m200"]


# ---------------------------------------------------------------- ZMPOP


def test_zmpop(c, enc):
    c("ZADD", "z", "1", "a", "2", "b", "3", "c")
    assert c("ZMPOP", "1", "z", "MIN") == ["z", [["a", "1"]]]
    assert c("ZMPOP", "1", "z", "max", "COUNT", "1") == ["z", [["c", "3"]]]
    assert c("ZMPOP", "1", "z", "MIN", "COUNT", "10") == ["z", [["b", "2"]]]
    assert c("EXISTS", "z") == 0
    assert c("ZMPOP", "1", "z", "MIN") is None
    c("ZADD", "second", "5", "x", "6", "y", "7", "w")
    assert c("ZMPOP", "3", "missing", "z", "second", "MAX", "COUNT", "2") == \
        ["second", [["w", "7"], ["y", "6"]]]
    c("ZADD", "first", "0.5", "f")
    assert c("ZMPOP", "2", "first", "second", "MIN", "COUNT", "5") == ["first", [["f", "0.5"]]]
    assert c("ZMPOP", "2", "first", "second", "MIN", "COUNT", "5") == ["second", [["x", "5"]]]
    assert c("ZMPOP", "2", "first", "second", "MIN") is None


def test_zmpop_resp3(c3):
    c3("ZADD", "z", "1", "a", "2.5", "b")
    assert c3("ZMPOP", "1", "z", "MAX") == ["z", [["b", 2.5]]]
    assert c3("ZMPOP", "1", "z", "MIN", "COUNT", "3") == ["z", [["a", 1.0]]]
    assert c3("ZMPOP", "1", "z", "MIN") is None
    c3.conn.send_command("ZMPOP", "1", "z", "MIN")
    assert c3.conn._line() == b"_"


def test_zmpop_errors(c):
    c("ZADD", "z", "1", "a")
    assert c.err("ZMPOP", "0", "z", "MIN") == "ERR numkeys should be greater than 0"
    assert c.err("ZMPOP", "-1", "z", "MIN") == "ERR numkeys should be greater than 0"
    assert c.err("ZMPOP", "abc", "z", "MIN") == "ERR numkeys should be greater than 0"
    assert c.err("ZMPOP", "1", "z", "FOO") == SYNTAX
    assert c.err("ZMPOP", "5", "z", "MIN") == SYNTAX
    assert c.err("ZMPOP", "2", "z", "MIN") == SYNTAX
    assert c.err("ZMPOP", "1", "z", "MIN", "COUNT") == SYNTAX
    assert c.err("ZMPOP", "1", "z", "MIN", "FOO") == SYNTAX
    assert c.err("ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "2") == SYNTAX
    assert c.err("ZMPOP", "1", "z", "MIN", "COUNT", "0") == "ERR count should be greater than 0"
    assert c.err("ZMPOP", "1", "z", "MIN", "COUNT", "-1") == "ERR count should be greater than 0"
    assert c.err("ZMPOP", "1", "z", "MIN", "COUNT", "x") == "ERR count should be greater than 0"
    assert c.err("ZMPOP", "1", "z") == "ERR wrong number of arguments for 'zmpop' command"
    assert c("ZCARD", "z") == 1
    c("SET", "str", "v")
    assert c.err("ZMPOP", "2", "missing", "str", "MIN") == WRONGTYPE
    # The first non-empty key answers before a later key of the wrong type is looked at.
    assert c("ZMPOP", "2", "z", "str", "MIN") == ["z", [["a", "1"]]]


# ---------------------------------------------------------------- ZRANDMEMBER


def load_rand(c, size):
    args = []
    for i in range(size):
        args += [str(i) + ".5", f"m{i}"]
    c("ZADD", "z", *args)
    return {f"m{i}": f"{i}.5" for i in range(size)}


def test_zrandmember_no_count(c, c3):
    want = load_rand(c, 5)
    seen = set()
    for _ in range(100):
        m = c("ZRANDMEMBER", "z")
        assert m in want
        seen.add(m)
    assert seen == set(want)
    assert c("ZRANDMEMBER", "missing") is None
    assert c3("ZRANDMEMBER", "missing") is None
    assert c3("ZRANDMEMBER", "z") in want


def test_zrandmember_count_zero_and_missing(c):
    load_rand(c, 3)
    assert c("ZRANDMEMBER", "z", "0") == []
    assert c("ZRANDMEMBER", "z", "0", "WITHSCORES") == []
    assert c("ZRANDMEMBER", "missing", "5") == []
    assert c("ZRANDMEMBER", "missing", "-5", "WITHSCORES") == []


@pytest.mark.parametrize("size", [5, 50, 300])
def test_zrandmember_positive_count(c, r, size):
    want = load_rand(c, size)
    assert encoding(r, "z") == ("listpack" if size <= 128 else "skiplist")
    for count in (1, 3, size // 2, size - 1, size, size + 10):
        got = c("ZRANDMEMBER", "z", str(count))
        assert len(got) == min(count, size)
        assert len(set(got)) == len(got)
        assert set(got) <= set(want)
        got = c("ZRANDMEMBER", "z", str(count), "WITHSCORES")
        assert len(got) == 2 * min(count, size)
        ps = pairs(got)
        assert len({m for m, _ in ps}) == len(ps)
        for m, s in ps:
            assert want[m] == s
    assert sorted(c("ZRANDMEMBER", "z", str(size))) == sorted(want)


def test_zrandmember_positive_count_covers_all_members(c):
    want = load_rand(c, 20)
    seen = set()
    for _ in range(150):
        seen.update(c("ZRANDMEMBER", "z", "3"))
    assert seen == set(want)


@pytest.mark.parametrize("size", [1, 5, 300])
def test_zrandmember_negative_count(c, size):
    want = load_rand(c, size)
    got = c("ZRANDMEMBER", "z", "-1000")
    assert len(got) == 1000
    assert set(got) <= set(want)
    counts = collections.Counter(got)
    if size == 1:
        assert counts == {"m0": 1000}
    else:
        assert max(counts.values()) > 1
    if size <= 5:
        assert set(got) == set(want)
    got = c("ZRANDMEMBER", "z", "-7", "WITHSCORES")
    assert len(got) == 14
    for m, s in pairs(got):
        assert want[m] == s


def test_zrandmember_withscores_resp3(c, c3):
    want = load_rand(c, 4)
    got = c3("ZRANDMEMBER", "z", "2", "WITHSCORES")
    assert len(got) == 2
    for m, s in got:
        assert s == float(want[m])
    got = c3("ZRANDMEMBER", "z", "-6", "WITHSCORES")
    assert len(got) == 6 and all(len(p) == 2 for p in got)
    got = c3("ZRANDMEMBER", "z", "2")
    assert len(got) == 2 and set(got) <= set(want)


def test_zrandmember_errors(c):
    load_rand(c, 3)
    assert c.err("ZRANDMEMBER", "z", "x") == NOT_INT
    assert c.err("ZRANDMEMBER", "z", "1.5") == NOT_INT
    assert c.err("ZRANDMEMBER", "z", "1", "foo") == SYNTAX
    assert c.err("ZRANDMEMBER", "z", "1", "WITHSCORES", "foo") == SYNTAX
    assert c.err("ZRANDMEMBER", "z", "-9223372036854775808") == RANGE_MIN
    assert c.err("ZRANDMEMBER", "missing", "-9223372036854775808") == RANGE_MIN
    assert c.err("ZRANDMEMBER", "missing", "x") == NOT_INT
    assert c.err("ZRANDMEMBER") == "ERR wrong number of arguments for 'zrandmember' command"
    c("SET", "str", "v")
    assert c.err("ZRANDMEMBER", "str") == WRONGTYPE
    assert c.err("ZRANDMEMBER", "str", "2") == WRONGTYPE


# ---------------------------------------------------------------- ZSCAN


def zscan_all(c, key, *opts):
    cursor, seen, calls = "0", [], 0
    while True:
        cursor, batch = c("ZSCAN", key, cursor, *opts)
        calls += 1
        assert len(batch) % 2 == 0
        seen += pairs(batch)
        if cursor == "0":
            return seen, calls
        assert calls < 100000


def test_zscan_small_set_whole(c, c3, r):
    c("ZADD", "z", "1", "a", "2.5", "b", "0.1", "c", "inf", "d", "-inf", "e")
    assert encoding(r, "z") == "listpack"
    cursor, batch = c("ZSCAN", "z", "0")
    assert cursor == "0"
    assert dict(pairs(batch)) == {"a": "1", "b": "2.5", "c": "0.10000000000000001",
                                  "d": "inf", "e": "-inf"}
    # A listpack is returned whole whatever COUNT says.
    cursor, batch = c("ZSCAN", "z", "0", "COUNT", "1")
    assert cursor == "0" and len(batch) == 10
    # RESP3: still an array of strings.
    cursor, batch = c3("ZSCAN", "z", "0")
    assert cursor == "0" and batch[batch.index("b") + 1] == "2.5"
    assert c("ZSCAN", "missing", "0") == ["0", []]


def test_zscan_large_set_iterates_everything(c, r):
    want = {}
    args = []
    for i in range(1000):
        score = [str(i), f"{i}.25", "0.1", "1e300", "inf", "-inf", "-3"][i % 7]
        args += [score, f"member:{i}"]
        want[f"member:{i}"] = {"0.1": "0.10000000000000001",
                               "1e300": "1.0000000000000001e+300"}.get(score, score)
    c("ZADD", "z", *args)
    assert encoding(r, "z") == "skiplist"
    seen, calls = zscan_all(c, "z")
    assert dict(seen) == want
    assert calls > 10
    seen, calls = zscan_all(c, "z", "COUNT", "300")
    assert dict(seen) == want
    assert calls > 1
    cursor, rscan = r.zscan("z", 0, count=2000)
    assert len(rscan) > 0 and all(isinstance(s, float) for _, s in rscan)


def test_zscan_match(c):
    args = []
    for i in range(500):
        args += [str(i), f"user:{i}", str(-i), f"item:{i}"]
    c("ZADD", "big", *args)
    seen, _ = zscan_all(c, "big", "MATCH", "user:1*", "COUNT", "100")
    assert dict(seen) == {f"user:{i}": str(i) for i in range(500) if str(i).startswith("1")}
    seen, _ = zscan_all(c, "big", "MATCH", "*:49?")
    assert dict(seen) == {**{f"user:49{i}": f"49{i}" for i in range(10)},
                          **{f"item:49{i}": f"-49{i}" for i in range(10)}}
    c("ZADD", "small", "1", "apple", "2", "banana", "3", "avocado")
    assert c("ZSCAN", "small", "0", "MATCH", "a*") == ["0", ["apple", "1", "avocado", "3"]]
    assert c("ZSCAN", "small", "0", "MATCH", "nothing*") == ["0", []]
    # MATCH tests members, not scores.
    assert c("ZSCAN", "small", "0", "MATCH", "2") == ["0", []]


def test_zscan_errors(c):
    c("ZADD", "z", "1", "a")
    assert c.err("ZSCAN", "z", "x") == "ERR invalid cursor"
    assert c.err("ZSCAN", "z", "0", "COUNT", "0") == SYNTAX
    assert c.err("ZSCAN", "z", "0", "COUNT", "x") == NOT_INT
    assert c.err("ZSCAN", "z", "0", "COUNT") == SYNTAX
    assert c.err("ZSCAN", "z", "0", "FOO") == SYNTAX
    assert c.err("ZSCAN", "z", "0", "TYPE", "zset") == SYNTAX
    assert c.err("ZSCAN", "z", "0", "NOVALUES") == SYNTAX
    assert c.err("ZSCAN", "z") == "ERR wrong number of arguments for 'zscan' command"
    c("SET", "str", "v")
    assert c.err("ZSCAN", "str", "0") == WRONGTYPE


# ---------------------------------------------------------------- encodings


def test_encoding_listpack_to_skiplist_by_entries(c, r):
    args = []
    for i in range(128):
        args += [str(i), f"m{i}"]
    c("ZADD", "z", *args)
    assert encoding(r, "z") == "listpack"
    c("ZADD", "z", "128", "m128")
    assert encoding(r, "z") == "skiplist"
    # Never converted back on removal.
    c("ZREMRANGEBYRANK", "z", "0", "-3")
    assert c("ZCARD", "z") == 2
    assert encoding(r, "z") == "skiplist"
    assert c("ZRANGE", "z", "0", "-1", "WITHSCORES") == ["m127", "127", "m128", "128"]
    # A new key with more members than the limit starts as a skiplist.
    args = []
    for i in range(129):
        args += [str(i), f"m{i}"]
    c("ZADD", "big", *args)
    assert encoding(r, "big") == "skiplist"
    c("ZADD", "exact", *args[:256])
    assert encoding(r, "exact") == "listpack"


def test_encoding_listpack_to_skiplist_by_length(c, r):
    c("ZADD", "z", "1", "a", "2", "x" * 64)
    assert encoding(r, "z") == "listpack"
    c("ZADD", "z", "3", "y" * 65)
    assert encoding(r, "z") == "skiplist"
    c("ZREM", "z", "y" * 65)
    assert encoding(r, "z") == "skiplist"
    c("ZADD", "long", "1", "y" * 65)
    assert encoding(r, "long") == "skiplist"
    c("ZINCRBY", "inc", "1", "y" * 65)
    assert encoding(r, "inc") == "skiplist"
    c("ZADD", "incr", "INCR", "1", "y" * 65)
    assert encoding(r, "incr") == "skiplist"
    assert c("ZRANGE", "z", "0", "-1", "WITHSCORES") == ["a", "1", "x" * 64, "2"]


def test_config_thresholds_and_old_names(c, r):
    assert r.config_get("zset-max-listpack-entries") == {"zset-max-listpack-entries": "128"}
    assert r.config_get("zset-max-listpack-value") == {"zset-max-listpack-value": "64"}
    assert r.config_get("zset-max-ziplist-entries") == {"zset-max-ziplist-entries": "128"}
    assert r.config_get("zset-max-ziplist-value") == {"zset-max-ziplist-value": "64"}
    assert r.config_get("zset-max-*") == {
        "zset-max-listpack-entries": "128", "zset-max-listpack-value": "64",
        "zset-max-ziplist-entries": "128", "zset-max-ziplist-value": "64"}
    assert r.config_set("zset-max-ziplist-entries", 3) is True
    assert r.config_get("zset-max-listpack-entries") == {"zset-max-listpack-entries": "3"}
    c("ZADD", "z", "1", "a", "2", "b", "3", "c")
    assert encoding(r, "z") == "listpack"
    c("ZADD", "z", "4", "d")
    assert encoding(r, "z") == "skiplist"
    assert r.config_set("zset-max-listpack-value", 5) is True
    assert r.config_get("zset-max-ziplist-value") == {"zset-max-ziplist-value": "5"}
    c("ZADD", "v", "1", "12345")
    assert encoding(r, "v") == "listpack"
    c("ZADD", "v", "1", "123456")
    assert encoding(r, "v") == "skiplist"
    assert r.config_set("zset-max-listpack-entries", 0) is True
    c("ZADD", "zero", "1", "a")
    assert encoding(r, "zero") == "skiplist"
    assert c.err("CONFIG", "SET", "zset-max-listpack-entries", "-1") == (
        "ERR CONFIG SET failed (possibly related to argument 'zset-max-listpack-entries') - "
        "argument must be between 0 and 9223372036854775807 inclusive")
    assert c.err("CONFIG", "SET", "zset-max-listpack-value", "x") == (
        "ERR CONFIG SET failed (possibly related to argument 'zset-max-listpack-value') - "
        "argument must be a memory value")
    assert r.config_get("zset-max-listpack-entries") == {"zset-max-listpack-entries": "0"}


def test_store_results_encoding(c, r):
    args = []
    for i in range(200):
        args += [str(i), f"m{i}"]
    c("ZADD", "big", *args)
    assert encoding(r, "big") == "skiplist"
    assert c("ZRANGESTORE", "d1", "big", "0", "9") == 10
    assert encoding(r, "d1") == "listpack"
    assert c("ZRANGESTORE", "d2", "big", "0", "149") == 150
    assert encoding(r, "d2") == "skiplist"
    assert c("ZUNIONSTORE", "u1", "1", "d1") == 10
    assert encoding(r, "u1") == "listpack"
    assert c("ZINTERSTORE", "i1", "2", "big", "d1") == 10
    assert encoding(r, "i1") == "listpack"
    assert c("ZDIFFSTORE", "df", "2", "big", "d2") == 50
    assert encoding(r, "df") == "listpack"
    assert c("ZUNIONSTORE", "u2", "1", "big") == 200
    assert encoding(r, "u2") == "skiplist"
    c("ZADD", "long", "1", "y" * 65, "2", "b")
    assert encoding(r, "long") == "skiplist"
    assert c("ZUNIONSTORE", "u3", "1", "long") == 2
    assert encoding(r, "u3") == "skiplist"
    assert c("ZRANGESTORE", "r3", "long", "0", "-1") == 2
    assert encoding(r, "r3") == "skiplist"
    assert c("ZRANGESTORE", "r4", "long", "1", "1") == 1
    assert encoding(r, "r4") == "listpack"
    assert c("ZRANGE", "r4", "0", "-1", "WITHSCORES") == ["b", "2"]


# ---------------------------------------------------------------- WRONGTYPE


@pytest.mark.parametrize("args", [
    ["ZADD", "str", "1", "a"], ["ZINCRBY", "str", "1", "a"], ["ZREM", "str", "a"],
    ["ZCARD", "str"], ["ZSCORE", "str", "a"], ["ZMSCORE", "str", "a"], ["ZRANK", "str", "a"],
    ["ZREVRANK", "str", "a"], ["ZCOUNT", "str", "-inf", "+inf"], ["ZLEXCOUNT", "str", "-", "+"],
    ["ZRANGE", "str", "0", "-1"], ["ZRANGE", "str", "0", "1", "BYSCORE"],
    ["ZREVRANGE", "str", "0", "-1"], ["ZRANGEBYSCORE", "str", "0", "1"],
    ["ZREVRANGEBYSCORE", "str", "1", "0"], ["ZRANGEBYLEX", "str", "-", "+"],
    ["ZREVRANGEBYLEX", "str", "+", "-"], ["ZREMRANGEBYRANK", "str", "0", "-1"],
    ["ZREMRANGEBYSCORE", "str", "0", "1"], ["ZREMRANGEBYLEX", "str", "-", "+"],
    ["ZPOPMIN", "str"], ["ZPOPMAX", "str", "2"], ["ZRANDMEMBER", "str"], ["ZSCAN", "str", "0"],
    ["ZRANGESTORE", "dst", "str", "0", "-1"],
])
def test_zset_commands_on_string_key(c, args):
    c("SET", "str", "value")
    assert c.err(*args) == WRONGTYPE
    assert c("GET", "str") == "value"


@pytest.mark.parametrize("args", [
    ["GET", "z"], ["APPEND", "z", "x"], ["INCR", "z"], ["SADD", "z", "a"], ["SMEMBERS", "z"],
    ["HGET", "z", "a"], ["LPUSH", "z", "a"], ["SUNION", "z"], ["SINTERCARD", "1", "z"],
])
def test_other_commands_on_zset_key(c, args):
    c("ZADD", "z", "1", "a")
    assert c.err(*args) == WRONGTYPE
    assert c("ZRANGE", "z", "0", "-1", "WITHSCORES") == ["a", "1"]


def test_zset_commands_on_set_and_hash_keys(c):
    c("SADD", "s", "a")
    c("HSET", "h", "a", "1")
    assert c.err("ZADD", "s", "1", "a") == WRONGTYPE
    assert c.err("ZSCORE", "h", "a") == WRONGTYPE
    assert c.err("ZCARD", "s") == WRONGTYPE
    # SET overwrites a zset.
    c("ZADD", "z", "1", "a")
    assert c("SET", "z", "v") == "OK"
    assert c("TYPE", "z") == "string"


# ---------------------------------------------------------------- keyspace


def test_type_del_exists_unlink(c, r, enc):
    c("ZADD", "z", "1", "a", "2", "b")
    assert c("TYPE", "z") == "zset"
    assert c("EXISTS", "z") == 1
    assert c("DEL", "z") == 1
    assert c("ZCARD", "z") == 0
    c("ZADD", "z", "1", "a")
    assert c("UNLINK", "z") == 1
    assert c("EXISTS", "z") == 0


def test_copy_is_independent(c, r, enc):
    c("ZADD", "z", "1", "a", "2", "b", "3", "c")
    assert c("COPY", "z", "cp") == 1
    assert encoding(r, "cp") == enc
    c("ZADD", "z", "10", "a", "4", "d")
    c("ZREM", "z", "b")
    assert c("ZRANGE", "cp", "0", "-1", "WITHSCORES") == ["a", "1", "b", "2", "c", "3"]
    c("ZINCRBY", "cp", "100", "c")
    assert c("ZRANGE", "z", "0", "-1", "WITHSCORES") == ["c", "3", "d", "4", "a", "10"]
    assert c("COPY", "z", "cp") == 0
    assert c("COPY", "z", "cp", "REPLACE") == 1
    assert c("ZRANGE", "cp", "0", "-1") == ["c", "d", "a"]
    # The copy works with rank and lex operations on its own.
    assert c("ZRANK", "cp", "a") == 2
    assert c("ZPOPMIN", "cp") == ["c", "3"]
    assert c("ZCARD", "z") == 3


def test_rename_and_move(c, r, enc):
    c("ZADD", "z", "1", "a", "2", "b")
    assert c("RENAME", "z", "z2") == "OK"
    assert c("EXISTS", "z") == 0
    assert c("ZRANGE", "z2", "0", "-1", "WITHSCORES") == ["a", "1", "b", "2"]
    assert c("RENAMENX", "z2", "z3") == 1
    assert c("MOVE", "z3", "1") == 1
    assert c("EXISTS", "z3") == 0
    assert c("SELECT", "1") == "OK"
    assert c("ZRANGE", "z3", "0", "-1", "WITHSCORES") == ["a", "1", "b", "2"]
    assert c("TYPE", "z3") == "zset"
    assert encoding(r, "z3") is None  # r uses db 0
    assert c("OBJECT", "ENCODING", "z3") == enc
    assert c("COPY", "z3", "z4", "DB", "0") == 1
    assert c("SELECT", "0") == "OK"
    assert c("ZSCORE", "z4", "b") == "2"


def test_expire_on_zset(c, r):
    c("ZADD", "z", "1", "a", "2", "b")
    assert c("EXPIRE", "z", "100") == 1
    assert 99 <= c("TTL", "z") <= 100
    # Changing members keeps the TTL.
    c("ZADD", "z", "3", "c")
    c("ZREM", "z", "a")
    c("ZINCRBY", "z", "1", "b")
    c("ZPOPMAX", "z")
    assert 98 <= c("TTL", "z") <= 100
    assert c("PEXPIRE", "z", "50") == 1
    assert wait_until(lambda: c("EXISTS", "z") == 0, 5)
    assert c("ZCARD", "z") == 0
    assert c("ZADD", "z", "1", "a") == 1
    assert c("TTL", "z") == -1
    # A key emptied by a removal goes away together with its TTL.
    c("EXPIRE", "z", "100")
    c("ZREM", "z", "a")
    c("ZADD", "z", "1", "a")
    assert c("TTL", "z") == -1


def test_ttl_kept_by_rename_and_dropped_by_store_commands(c):
    c("ZADD", "src", "1", "a", "2", "b")
    for cmd in (["ZRANGESTORE", "dst", "src", "0", "-1"], ["ZUNIONSTORE", "dst", "1", "src"],
                ["ZINTERSTORE", "dst", "1", "src"], ["ZDIFFSTORE", "dst", "1", "src"]):
        c("ZADD", "dst", "5", "x")
        assert c("EXPIRE", "dst", "100") == 1
        assert c(*cmd) == 2
        assert c("TTL", "dst") == -1, cmd
        assert c("ZRANGE", "dst", "0", "-1") == ["a", "b"]
    c("EXPIRE", "src", "100")
    assert c("RENAME", "src", "moved") == "OK"
    assert 99 <= c("TTL", "moved") <= 100
    assert c("COPY", "moved", "copied") == 1
    assert 99 <= c("TTL", "copied") <= 100


def test_scan_type_zset(c, r):
    c("ZADD", "z1", "1", "a")
    c("ZADD", "z2", "1", "b")
    c("SET", "str", "v")
    c("SADD", "set", "a")
    c("HSET", "h", "a", "1")
    keys = set()
    for k in r.scan_iter(_type="zset"):
        keys.add(k)
    assert keys == {"z1", "z2"}
    assert set(r.scan_iter(_type="ZSET")) == {"z1", "z2"}
    assert set(r.scan_iter(_type="set")) == {"set"}
    assert r.dbsize() == 5
    assert r.flushall() is True
    assert r.dbsize() == 0
    assert c("ZCARD", "z1") == 0


def test_redis_py_client_conversions(r):
    assert r.zadd("z", {"a": 1, "b": 2.5}) == 2
    assert r.zrange("z", 0, -1, withscores=True) == [("a", 1.0), ("b", 2.5)]
    assert r.zscore("z", "b") == 2.5
    assert r.zincrby("z", 0.5, "a") == 1.5
    assert r.zadd("z", {"a": 2}, incr=True) == 3.5
    assert r.zpopmin("z") == [("b", 2.5)]
    assert r.zrevrangebyscore("z", "+inf", "-inf", withscores=True) == [("a", 3.5)]
    assert r.zmscore("z", ["a", "x"]) == [3.5, None]
    # redis-py reports errors without their "ERR " prefix.
    assert err(r, "ZADD", "z", "NX", "XX", "1", "a") == XX_NX[4:]
    assert err(r, "ZRANGE", "z", "0", "-1", "LIMIT", "0", "1") == LIMIT_ONLY[4:]
    r.set("str", "v")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.zadd("str", {"a": 1})


# ---------------------------------------------------------------- DEBUG DIGEST vs Redis


def load_zsets(cl):
    ex = cl.execute_command
    ex("ZADD", "small", "1", "a", "2.5", "b", "-3", "c", "0.1", "d", "inf", "e", "-inf", "f",
       "1e300", "g", "12345678901234567", "h")
    ex("ZADD", "ints", "0", "007", "1", "-0", "2", "12345678901234567890",
       "3", "9223372036854775807", "4", "-9223372036854775808", "5", "")
    ex("ZADD", "negzero", "-0", "x", "0", "y")
    ex("ZADD", "longmember", "1", "a", "2", "v" * 100)
    ex("ZADD", "bin", "1", b"\x00\r\n", "2", bytes(range(256)))
    args = []
    for i in range(1500):
        args += [str((i * 7919) % 1000 / 8), f"member:{i}"]
    ex("ZADD", "many", *args)
    ex("ZADD", "single", "42", "only")
    ex("ZINCRBY", "small", "0.5", "a")
    ex("ZADD", "small", "INCR", "10", "counter")
    ex("ZREM", "many", "member:3", "member:1000")
    ex("EXPIREAT", "single", 4102444800)
    ex("ZUNIONSTORE", "union", "2", "small", "ints", "WEIGHTS", "2", "0.5")
    return [b"small", b"ints", b"negzero", b"longmember", b"bin", b"many", b"single", b"union",
            b"missing"]


def test_debug_digest_of_zsets_matches_redis(server, reference):
    tess = server.client(decode_responses=False, single_connection_client=True)
    ref = reference
    try:
        keys = load_zsets(tess)
        load_zsets(ref)
        for cl in (tess, ref):
            assert cl.object("encoding", "small") == b"listpack"
            assert cl.object("encoding", "ints") == b"listpack"
            assert cl.object("encoding", "negzero") == b"listpack"
            assert cl.object("encoding", "longmember") == b"skiplist"
            assert cl.object("encoding", "many") == b"skiplist"
        want_all = assert_same_digests(tess, ref, keys)
        # Changes move the digests in the same way on both servers.
        for cl in (tess, ref):
            cl.zadd("many", {"member:3": 1.25})
            cl.zrem("small", "a")
            cl.persist("single")
            cl.zpopmax("union", 2)
        assert tess.execute_command("DEBUG", "DIGEST") == \
            ref.execute_command("DEBUG", "DIGEST") != want_all
        assert tess.execute_command("DEBUG", "DIGEST-VALUE", "many", "small", "union") == \
            ref.execute_command("DEBUG", "DIGEST-VALUE", "many", "small", "union")
    finally:
        tess.close()


def test_debug_digest_of_both_encodings(server, reference):
    tess = server.client(decode_responses=False, single_connection_client=True)
    try:
        for cl in (tess, reference):
            cl.zadd("lp", {"a": 1, "b": 2.5, "c": 0.1, "d": float("inf")})
            cl.zadd("lpz", {"x": 0})
            cl.execute_command("ZADD", "lpnz", "-0", "x")
            cl.config_set("zset-max-listpack-entries", 0)
            cl.zadd("sk", {"d": float("inf"), "c": 0.1, "b": 2.5, "a": 1})
            cl.zadd("skz", {"x": 0})
            cl.execute_command("ZADD", "sknz", "-0", "x")
            cl.config_set("zset-max-listpack-entries", 128)
            assert cl.object("encoding", "lp") == b"listpack"
            assert cl.object("encoding", "sk") == b"skiplist"
            lp, sk = cl.execute_command("DEBUG", "DIGEST-VALUE", "lp", "sk")
            assert lp == sk != ZERO_DIGEST
            # -0 stays -0 only in a skiplist.
            lpz, lpnz, skz, sknz = cl.execute_command("DEBUG", "DIGEST-VALUE",
                                                      "lpz", "lpnz", "skz", "sknz")
            assert lpz == lpnz == skz != sknz
        keys = ["lp", "sk", "lpz", "lpnz", "skz", "sknz"]
        assert tess.execute_command("DEBUG", "DIGEST-VALUE", *keys) == \
            reference.execute_command("DEBUG", "DIGEST-VALUE", *keys)
        assert tess.execute_command("DEBUG", "DIGEST") == \
            reference.execute_command("DEBUG", "DIGEST")
    finally:
        tess.close()


def test_debug_digest_value_tracks_changes(r):
    r.zadd("z", {"a": 1, "b": 2})
    d1 = r.execute_command("DEBUG", "DIGEST-VALUE", "z")[0]
    r.zadd("z", {"a": 1})
    assert r.execute_command("DEBUG", "DIGEST-VALUE", "z")[0] == d1
    r.zadd("z", {"a": 3})
    d2 = r.execute_command("DEBUG", "DIGEST-VALUE", "z")[0]
    assert d2 != d1
    r.zadd("z", {"a": 1})
    assert r.execute_command("DEBUG", "DIGEST-VALUE", "z")[0] == d1
    # The same strings as a hash or a set digest differently.
    r.hset("h", mapping={"a": "1", "b": "2"})
    r.sadd("s", "a", "b")
    dh, ds = r.execute_command("DEBUG", "DIGEST-VALUE", "h", "s")
    assert len({d1, dh, ds}) == 3


# ---------------------------------------------------------------- leaderboard vs Redis


def test_leaderboard_matches_redis(server, reference):
    rng = random.Random(5252)
    members = [f"player:{i:05d}" for i in range(10000)]
    scores = {}
    for m in members:
        kind = rng.random()
        if kind < 0.3:
            scores[m] = str(rng.randint(0, 500))  # many ties
        elif kind < 0.9:
            scores[m] = repr(rng.uniform(-1e6, 1e6))
        else:
            scores[m] = repr(rng.uniform(0, 1))
    tess = server.client(decode_responses=False, single_connection_client=False)
    ref = reference
    try:
        for cl in (tess, ref):
            pipe = cl.pipeline(transaction=False)
            items = list(scores.items())
            for i in range(0, len(items), 500):
                args = []
                for m, s in items[i:i + 500]:
                    args += [s, m]
                pipe.execute_command("ZADD", "board", *args)
            # Some updates: increments and re-scores.
            for m in members[::97]:
                pipe.execute_command("ZINCRBY", "board", "12.5", m)
            for m in members[::331]:
                pipe.execute_command("ZADD", "board", "GT", "999999", m)
            pipe.execute_command("ZREM", "board", *members[5::1000])
            pipe.execute()
            assert cl.zcard("board") == 9990
            assert cl.object("encoding", "board") == b"skiplist"

        def both(*args):
            a = tess.execute_command(*args)
            b = ref.execute_command(*args)
            assert a == b, args
            return a

        sample = rng.sample(members, 300) + ["nobody"]
        for cmd in ("ZRANK", "ZREVRANK", "ZSCORE"):
            tp = tess.pipeline(transaction=False)
            rp = ref.pipeline(transaction=False)
            for m in sample:
                tp.execute_command(cmd, "board", m)
                rp.execute_command(cmd, "board", m)
            assert tp.execute() == rp.execute(), cmd
        with server.raw() as tc:
            for args in (("ZREVRANGE", "board", "0", "99", "WITHSCORES"),
                         ("ZREVRANGE", "board", "5000", "5049", "WITHSCORES"),
                         ("ZRANGE", "board", "-50", "-1", "WITHSCORES"),
                         ("ZRANGEBYSCORE", "board", "0", "500", "WITHSCORES", "LIMIT", "100", "50"),
                         ("ZRANGEBYSCORE", "board", "(100", "+inf", "LIMIT", "4000", "25"),
                         ("ZREVRANGEBYSCORE", "board", "+inf", "-inf", "WITHSCORES",
                          "LIMIT", "9900", "200"),
                         ("ZRANGE", "board", "1000", "0", "BYSCORE", "REV", "LIMIT", "10", "20"),
                         ("ZCOUNT", "board", "-1000", "1000"),
                         ("ZCOUNT", "board", "(0", "1"),
                         ("ZRANGEBYSCORE", "board", "250", "250")):
                want = ref.execute_command(*args)
                got = tc.command(*args)
                assert got == want, args
        both("ZRANGESTORE", "top", "board", "0", "9", "REV")
        both("ZRANGE", "top", "0", "-1", "WITHSCORES")
        assert both("DEBUG", "DIGEST-VALUE", "board", "top")[0] != ZERO_DIGEST
    finally:
        tess.close()
