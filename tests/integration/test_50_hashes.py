"""Hash commands with real clients: HSET/HSETNX/HMSET/HGET/HMGET/HDEL/HEXISTS/HLEN/HSTRLEN,
HKEYS/HVALS/HGETALL (RESP2 and RESP3), HINCRBY/HINCRBYFLOAT, HRANDFIELD, HSCAN, WRONGTYPE,
encodings and their thresholds, exact round trips of integer-looking and binary data, keyspace
commands on hash keys, and DEBUG DIGEST equality with a real redis-server."""
import collections
import time

import pytest

from resp import ErrorReply
from helpers import command_error as err, assert_same_digests, ZERO_DIGEST

SYNTAX = "syntax error"
NOT_INT = "value is not an integer or out of range"
NOT_FLOAT = "value is not a valid float"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
HASH_NOT_INT = "hash value is not an integer"
HASH_NOT_FLOAT = "hash value is not a float"
OVERFLOW = "increment or decrement would overflow"
NAN_INCR = "value is NaN or Infinity"
NAN_RESULT = "increment would produce NaN or Infinity"
RANGE_MIN = ("value is out of range, value must between -9223372036854775807 and "
             "9223372036854775807")


def raw(server, *args):
    """The exact reply of one command, read over a raw RESP2 connection."""
    with server.raw() as c:
        return c.command(*args)


def raw_err(server, *args):
    """The complete error line (with its code) the server sends for a command."""
    reply = raw(server, *args)
    assert isinstance(reply, ErrorReply), f"expected an error for {args!r}, got {reply!r}"
    return reply.message


def raw3(server):
    """A raw connection switched to RESP3."""
    c = server.raw()
    hello = c.command("HELLO", "3")
    assert isinstance(hello, dict) and hello[b"proto"] == 3, hello
    return c


def raw_bytes(conn, *args, expect_len):
    """Sends a command and returns exactly expect_len bytes of the reply."""
    conn.send_command(*args)
    while len(conn.buf) < expect_len:
        conn._fill()
    data, conn.buf = conn.buf[:expect_len], conn.buf[expect_len:]
    return data


def pairs(flat):
    assert len(flat) % 2 == 0, flat
    return list(zip(flat[0::2], flat[1::2]))


def enc(r, key):
    return r.object("encoding", key)


# ---------------------------------------------------------------- HSET HSETNX HMSET HGET


def test_hset_returns_new_field_count(r):
    assert r.execute_command("HSET", "h", "a", "1") == 1
    assert r.execute_command("HSET", "h", "a", "2") == 0
    assert r.hget("h", "a") == "2"
    assert r.execute_command("HSET", "h", "b", "1", "c", "2", "d", "3") == 3
    # Two new fields, one update.
    assert r.execute_command("HSET", "h", "a", "x", "e", "5", "f", "6") == 2
    assert r.hget("h", "a") == "x"
    assert r.hlen("h") == 6
    # The same field twice in one call counts once; the last value wins.
    assert r.execute_command("HSET", "h2", "k", "1", "k", "2") == 1
    assert r.hget("h2", "k") == "2"
    assert r.hlen("h2") == 1
    # Empty field names and values are ordinary.
    assert r.execute_command("HSET", "h3", "", "") == 1
    assert r.hget("h3", "") == ""
    assert r.hexists("h3", "") is True
    assert r.type("h3") == "hash"


@pytest.mark.parametrize("args", [
    ["HSET"], ["HSET", "h"], ["HSET", "h", "a"], ["HSET", "h", "a", "1", "b"],
    ["HSET", "h", "a", "1", "b", "2", "c"],
])
def test_hset_wrong_number_of_arguments(server, r, args):
    r.hset("h", "keep", "1")
    assert raw_err(server, *args) == "ERR wrong number of arguments for 'hset' command"
    # Nothing of a rejected call is applied.
    assert r.hgetall("h") == {"keep": "1"}


@pytest.mark.parametrize("args, name", [
    (["HSETNX", "h", "a"], "hsetnx"),
    (["HSETNX", "h", "a", "1", "2"], "hsetnx"),
    (["HMSET", "h"], "hmset"),
    (["HMSET", "h", "a"], "hmset"),
    (["HMSET", "h", "a", "1", "b"], "hmset"),
    (["HGET", "h"], "hget"),
    (["HGET", "h", "a", "b"], "hget"),
    (["HMGET", "h"], "hmget"),
    (["HDEL", "h"], "hdel"),
    (["HLEN"], "hlen"),
    (["HLEN", "h", "x"], "hlen"),
    (["HEXISTS", "h"], "hexists"),
    (["HSTRLEN", "h"], "hstrlen"),
    (["HKEYS"], "hkeys"),
    (["HVALS", "h", "x"], "hvals"),
    (["HGETALL", "h", "x"], "hgetall"),
    (["HINCRBY", "h", "a"], "hincrby"),
    (["HINCRBY", "h", "a", "1", "2"], "hincrby"),
    (["HINCRBYFLOAT", "h", "a"], "hincrbyfloat"),
    (["HRANDFIELD"], "hrandfield"),
    (["HSCAN", "h"], "hscan"),
])
def test_hash_commands_arity(server, args, name):
    assert raw_err(server, *args) == f"ERR wrong number of arguments for '{name}' command"


def test_hsetnx(r):
    assert r.hsetnx("h", "a", "1") == 1
    assert r.hsetnx("h", "a", "2") == 0
    assert r.hget("h", "a") == "1"
    assert r.hsetnx("h", "b", "2") == 1
    assert r.hgetall("h") == {"a": "1", "b": "2"}
    assert r.execute_command("HSETNX", "h", "b", "x") == 0


def test_hmset(server, r):
    assert raw(server, "HMSET", "h", "a", "1", "b", "2") == "OK"
    assert r.hgetall("h") == {"a": "1", "b": "2"}
    assert raw(server, "HMSET", "h", "a", "10", "c", "3") == "OK"
    assert r.hgetall("h") == {"a": "10", "b": "2", "c": "3"}


def test_hget_hmget(server, r):
    assert r.hget("nokey", "a") is None
    assert r.hmget("nokey", "a", "b") == [None, None]
    r.hset("h", mapping={"a": "1", "b": "2"})
    assert r.hget("h", "a") == "1"
    assert r.hget("h", "zz") is None
    assert r.hmget("h", "a", "zz", "b", "a") == ["1", None, "2", "1"]
    # Exact RESP2 encoding of the nils.
    with server.raw() as c:
        assert raw_bytes(c, "HGET", "h", "zz", expect_len=5) == b"$-1\r\n"
        assert raw_bytes(c, "HMGET", "h", "zz", "a", expect_len=16) == \
            b"*2\r\n$-1\r\n$1\r\n1\r\n"


def test_hget_hmget_resp3(server, r):
    r.hset("h", mapping={"a": "1"})
    with raw3(server) as c:
        assert raw_bytes(c, "HGET", "h", "zz", expect_len=3) == b"_\r\n"
        assert raw_bytes(c, "HGET", "nokey", "zz", expect_len=3) == b"_\r\n"
        assert raw_bytes(c, "HMGET", "h", "a", "zz", expect_len=14) == b"*2\r\n$1\r\n1\r\n_\r\n"


# ---------------------------------------------------------------- HDEL HEXISTS HLEN HSTRLEN


def test_hdel(r):
    assert r.hdel("nokey", "a") == 0
    r.hset("h", mapping={"a": "1", "b": "2", "c": "3", "d": "4"})
    assert r.hdel("h", "zz") == 0
    assert r.hdel("h", "a") == 1
    assert r.hget("h", "a") is None
    # Fields that are missing or repeated are not counted twice.
    assert r.hdel("h", "b", "b", "zz", "c") == 2
    assert r.hlen("h") == 1
    assert r.exists("h") == 1
    # Deleting the last field deletes the key.
    assert r.hdel("h", "d", "zz") == 1
    assert r.exists("h") == 0
    assert r.type("h") == "none"
    assert r.hlen("h") == 0
    # Several fields at once, including the last ones.
    r.hset("h", mapping={"x": "1", "y": "2"})
    assert r.hdel("h", "x", "y", "z") == 2
    assert r.exists("h") == 0


def test_hdel_last_field_of_hashtable_deletes_key(r):
    r.hset("big", mapping={f"f{i}": i for i in range(600)})
    assert enc(r, "big") == "hashtable"
    assert r.hdel("big", *[f"f{i}" for i in range(599)]) == 599
    assert r.hkeys("big") == ["f599"]
    assert r.hdel("big", "f599") == 1
    assert r.exists("big") == 0
    assert r.keys("*") == []


def test_hexists_hlen_hstrlen(r):
    assert r.hexists("nokey", "a") is False
    assert r.hlen("nokey") == 0
    assert r.hstrlen("nokey", "a") == 0
    r.hset("h", mapping={"a": "hello", "n": "-12345", "e": "", "big": "x" * 1000})
    assert r.hexists("h", "a") is True
    assert r.hexists("h", "zz") is False
    assert r.execute_command("HEXISTS", "h", "a") == 1
    assert r.hlen("h") == 4
    assert r.hstrlen("h", "a") == 5
    assert r.hstrlen("h", "n") == 6
    assert r.hstrlen("h", "e") == 0
    assert r.hstrlen("h", "big") == 1000
    assert r.hstrlen("h", "zz") == 0


# ---------------------------------------------------------------- HKEYS HVALS HGETALL


def test_hkeys_hvals_hgetall(server, r):
    assert r.hkeys("nokey") == []
    assert r.hvals("nokey") == []
    assert r.hgetall("nokey") == {}
    assert raw(server, "HGETALL", "nokey") == []
    r.execute_command("HSET", "h", "one", "1", "two", "2", "three", "3")
    r.execute_command("HSET", "h", "two", "II")
    # A small (listpack) hash keeps insertion order, updates in place.
    assert r.hkeys("h") == ["one", "two", "three"]
    assert r.hvals("h") == ["1", "II", "3"]
    assert raw(server, "HGETALL", "h") == [b"one", b"1", b"two", b"II", b"three", b"3"]
    # A large hash: keys, values and pairs are consistent with each other.
    mapping = {f"field:{i}": f"value:{i}" for i in range(1000)}
    r.hset("big", mapping=mapping)
    keys = r.hkeys("big")
    vals = r.hvals("big")
    flat = raw(server, "HGETALL", "big")
    assert len(flat) == 2000
    got = pairs([x.decode() for x in flat])
    assert dict(got) == mapping
    assert [k for k, _ in got] == keys
    assert [v for _, v in got] == vals
    assert sorted(keys) == sorted(mapping)


def test_hgetall_resp3_map(server, r):
    r.execute_command("HSET", "h", "a", "1", "b", "2")
    with raw3(server) as c:
        assert raw_bytes(c, "HGETALL", "h", expect_len=32) == \
            b"%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"
        assert raw_bytes(c, "HGETALL", "nokey", expect_len=4) == b"%0\r\n"
        r.hset("big", mapping={f"f{i}": f"v{i}" for i in range(700)})
        m = c.command("HGETALL", "big")
        assert isinstance(m, dict)
        assert m == {f"f{i}".encode(): f"v{i}".encode() for i in range(700)}
        assert c.command("HKEYS", "h") == [b"a", b"b"]
        assert c.command("HVALS", "h") == [b"1", b"2"]
        # HINCRBYFLOAT still answers with a bulk string under RESP3.
        assert raw_bytes(c, "HINCRBYFLOAT", "h", "a", "1.5", expect_len=9) == b"$3\r\n2.5\r\n"


# ---------------------------------------------------------------- HINCRBY


def test_hincrby(r):
    assert r.hincrby("h", "n", 5) == 5
    assert r.hincrby("h", "n", -7) == -2
    assert r.hincrby("h", "n", 0) == -2
    assert r.hget("h", "n") == "-2"
    r.hset("h", "s", "100")
    assert r.hincrby("h", "s", 1) == 101
    assert r.hget("h", "s") == "101"
    r.hset("h", "max", "9223372036854775806")
    assert r.hincrby("h", "max", 1) == 9223372036854775807
    r.hset("h", "min", "-9223372036854775807")
    assert r.hincrby("h", "min", -1) == -9223372036854775808
    assert r.hget("h", "min") == "-9223372036854775808"
    assert r.hincrby("h", "new", "-9223372036854775808") == -9223372036854775808


@pytest.mark.parametrize("value", ["abc", "1.5", "", " 1", "1 ", "007", "-0", "+5",
                                   "12345678901234567890", "1e3"])
def test_hincrby_non_integer_value(r, value):
    r.hset("h", "f", value)
    assert err(r, "HINCRBY", "h", "f", "1") == HASH_NOT_INT
    assert r.hget("h", "f") == value


def test_hincrby_overflow(r):
    r.hset("h", mapping={"max": "9223372036854775807", "min": "-9223372036854775808"})
    assert err(r, "HINCRBY", "h", "max", "1") == OVERFLOW
    assert err(r, "HINCRBY", "h", "min", "-1") == OVERFLOW
    assert err(r, "HINCRBY", "h", "max", "9223372036854775807") == OVERFLOW
    assert r.hget("h", "max") == "9223372036854775807"
    assert r.hget("h", "min") == "-9223372036854775808"
    assert r.hincrby("h", "min", "9223372036854775807") == -1


@pytest.mark.parametrize("incr", ["abc", "1.5", "", " 1", "99999999999999999999", "1e3"])
def test_hincrby_invalid_increment(r, incr):
    r.hset("h", "f", "1")
    assert err(r, "HINCRBY", "h", "f", incr) == NOT_INT
    assert err(r, "HINCRBY", "nokey", "f", incr) == NOT_INT
    assert r.hget("h", "f") == "1"
    assert r.exists("nokey") == 0


# ---------------------------------------------------------------- HINCRBYFLOAT


@pytest.mark.parametrize("initial, incr, expected", [
    (None, "10.5", "10.5"),
    ("10.50", "0.1", "10.6"),
    ("5", "3.0e3", "3005"),
    (None, "3.0e3", "3000"),
    ("3000", "1", "3001"),
    ("1.5", "-1.5", "0"),
    ("17", "0", "17"),
    ("1", "1.1", "2.1"),
    ("-7", "-0.5", "-7.5"),
    ("1e5", "0", "100000"),
    ("12345678901234567890", "0", "12345678901234567890"),
    ("1.1", "2.2", "3.3"),
    ("5000", "1e-5", "5000.00001000000000007"),
    (None, "123456789.123456789", "123456789.12345678899873747"),
    (None, "1e-20", "0"),
    (None, ".5", "0.5"),
    ("1.", "1", "2"),
    ("0x10", "1", "17"),
    (None, "1e200",
     "100000000000000000002458586534161025661508068040050002887327500487325785432383926"
     "208372890736129198739813658147359652238566592960617854587787845326097835852628442"
     "219969983473365844529789269081145212928"),
    ("1.7976931348623157e308", "1.7976931348623157e308",
     "359538626972463139991842093548208868096772893888658356970628841530353257046248792"
     "709403737216774171128857586838851041378617416726902272110715794556052955234146997"
     "955372576789671236326588091188869859074894581254961338834769297758245552436667197"
     "907705664206565009503223382416235440319971852753604933726679072768"),
])
def test_hincrbyfloat_results(server, r, initial, incr, expected):
    if initial is not None:
        r.hset("h", "f", initial)
    assert raw(server, "HINCRBYFLOAT", "h", "f", incr) == expected.encode()
    assert r.hget("h", "f") == expected


def test_hincrbyfloat_redis_cli(server, r):
    assert server.cli("HINCRBYFLOAT", "h", "f", "10.5").stdout.strip() == "10.5"
    assert server.cli("HINCRBYFLOAT", "h", "f", "0.1").stdout.strip() == "10.6"
    assert r.hget("h", "f") == "10.6"
    out = server.cli("HINCRBYFLOAT", "h", "f", "inf")
    assert "ERR value is NaN or Infinity" in out.stdout


@pytest.mark.parametrize("value", ["abc", "", " 1", "1 ", "1.5.5", "nan", "1e5000", "1,5"])
def test_hincrbyfloat_non_float_value(r, value):
    r.hset("h", "f", value)
    assert err(r, "HINCRBYFLOAT", "h", "f", "1") == HASH_NOT_FLOAT
    assert r.hget("h", "f") == value


@pytest.mark.parametrize("incr", ["abc", "", " 1", "nan", "NaN", "1e5000", "--1"])
def test_hincrbyfloat_invalid_increment(r, incr):
    r.hset("h", "f", "1")
    assert err(r, "HINCRBYFLOAT", "h", "f", incr) == NOT_FLOAT
    assert r.hget("h", "f") == "1"


def test_hincrbyfloat_nan_or_infinity(r):
    r.hset("h", "f", "1")
    for incr in ("inf", "-inf", "+inf", "Infinity", "-INF"):
        assert err(r, "HINCRBYFLOAT", "h", "f", incr) == NAN_INCR
        assert err(r, "HINCRBYFLOAT", "nokey", "f", incr) == NAN_INCR
    assert r.hget("h", "f") == "1"
    assert r.exists("nokey") == 0
    # A stored infinity is a float, but adding to it cannot produce a finite value.
    r.hset("h", "i", "inf")
    assert err(r, "HINCRBYFLOAT", "h", "i", "1") == NAN_RESULT
    assert r.hget("h", "i") == "inf"
    # Overflowing long double.
    r.hset("h", "huge", "1e4932")
    assert err(r, "HINCRBYFLOAT", "h", "huge", "1e4932") == NAN_RESULT
    assert r.hget("h", "huge") == "1e4932"


def test_hincrby_then_hincrbyfloat_mix(r):
    assert r.hincrby("h", "n", 10) == 10
    assert r.hincrbyfloat("h", "n", 0.5) == 10.5
    assert err(r, "HINCRBY", "h", "n", "1") == HASH_NOT_INT
    assert r.hincrbyfloat("h", "n", 0.5) == 11
    assert r.hget("h", "n") == "11"
    assert r.hincrby("h", "n", 1) == 12


# ---------------------------------------------------------------- HRANDFIELD


def test_hrandfield_no_count(server, r):
    assert r.execute_command("HRANDFIELD", "nokey") is None
    with server.raw() as c:
        assert raw_bytes(c, "HRANDFIELD", "nokey", expect_len=5) == b"$-1\r\n"
    with raw3(server) as c:
        assert raw_bytes(c, "HRANDFIELD", "nokey", expect_len=3) == b"_\r\n"
    fields = [f"f{i}" for i in range(10)]
    r.hset("h", mapping={f: "v" for f in fields})
    seen = collections.Counter(r.execute_command("HRANDFIELD", "h") for _ in range(400))
    assert set(seen) == set(fields)


def test_hrandfield_count_zero_and_missing_key(r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    assert r.execute_command("HRANDFIELD", "h", "0") == []
    assert r.execute_command("HRANDFIELD", "h", "0", "WITHVALUES") == []
    for count in ("0", "5", "-5"):
        assert r.execute_command("HRANDFIELD", "nokey", count) == []
        assert r.execute_command("HRANDFIELD", "nokey", count, "WITHVALUES") == []
    assert r.exists("nokey") == 0


@pytest.mark.parametrize("size", [5, 40, 1000])
def test_hrandfield_positive_count(r, size):
    mapping = {f"f{i}": f"v{i}" for i in range(size)}
    r.hset("h", mapping=mapping)
    for count in sorted({1, 2, size // 3, size // 2, size - 1, size, size + 1, size * 10}):
        if count == 0:
            continue
        got = r.execute_command("HRANDFIELD", "h", count)
        assert len(got) == min(count, size)
        assert len(set(got)) == len(got)
        assert set(got) <= set(mapping)
        flat = r.execute_command("HRANDFIELD", "h", count, "WITHVALUES")
        assert len(flat) == 2 * min(count, size)
        got_pairs = pairs(flat)
        assert len({f for f, _ in got_pairs}) == len(got_pairs)
        for f, v in got_pairs:
            assert mapping[f] == v
    # A count of at least the size returns every field.
    assert sorted(r.execute_command("HRANDFIELD", "h", size)) == sorted(mapping)
    assert sorted(r.execute_command("HRANDFIELD", "h", "4611686018427387903")) == \
        sorted(mapping)
    assert sorted(r.execute_command("HRANDFIELD", "h", "9223372036854775807")) == \
        sorted(mapping)
    assert dict(pairs(r.execute_command("HRANDFIELD", "h", "4611686018427387903",
                                        "WITHVALUES"))) == mapping


def test_hrandfield_positive_count_covers_all_fields(r):
    fields = [f"f{i}" for i in range(8)]
    r.hset("h", mapping={f: "1" for f in fields})
    seen = set()
    for _ in range(200):
        got = r.execute_command("HRANDFIELD", "h", 2)
        assert len(got) == 2 and got[0] != got[1]
        seen.update(got)
    assert seen == set(fields)


@pytest.mark.parametrize("size", [1, 3, 1000])
def test_hrandfield_negative_count(r, size):
    mapping = {f"f{i}": f"v{i}" for i in range(size)}
    r.hset("h", mapping=mapping)
    for count in (1, 2, size, size + 7, 3000):
        got = r.execute_command("HRANDFIELD", "h", -count)
        assert len(got) == count
        assert set(got) <= set(mapping)
        flat = r.execute_command("HRANDFIELD", "h", -count, "WITHVALUES")
        assert len(flat) == 2 * count
        for f, v in pairs(flat):
            assert mapping[f] == v
    # Repeats appear when the count exceeds the size, and every field shows up.
    got = r.execute_command("HRANDFIELD", "h", -20000)
    assert len(got) == 20000
    counts = collections.Counter(got)
    assert set(counts) == set(mapping)
    assert max(counts.values()) > 1


def test_hrandfield_withvalues_resp3_pairs(server, r):
    mapping = {b"a": b"1", b"b": b"2", b"c": b"3"}
    r.hset("h", mapping={k.decode(): v.decode() for k, v in mapping.items()})
    with raw3(server) as c:
        for count in (2, 3, 10, -2, -10):
            got = c.command("HRANDFIELD", "h", count, "WITHVALUES")
            assert isinstance(got, list)
            assert len(got) == (min(count, 3) if count > 0 else -count)
            for item in got:
                assert isinstance(item, list) and len(item) == 2, got
                assert mapping[item[0]] == item[1]
            if count > 0:
                assert len({item[0] for item in got}) == len(got)
        # Exact framing of one pair.
        r.hset("one", "f", "v")
        assert raw_bytes(c, "HRANDFIELD", "one", "1", "WITHVALUES", expect_len=22) == \
            b"*1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
        assert raw_bytes(c, "HRANDFIELD", "one", "-2", "WITHVALUES", expect_len=40) == \
            b"*2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
        # Without WITHVALUES it stays a flat array.
        assert c.command("HRANDFIELD", "one", "-2") == [b"f", b"f"]
    # RESP2 stays flat.
    assert raw(server, "HRANDFIELD", "one", "-2", "WITHVALUES") == [b"f", b"v", b"f", b"v"]


def test_hrandfield_errors(server, r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    assert err(r, "HRANDFIELD", "h", "x") == NOT_INT
    assert err(r, "HRANDFIELD", "h", "1.5") == NOT_INT
    assert err(r, "HRANDFIELD", "h", "99999999999999999999") == NOT_INT
    assert err(r, "HRANDFIELD", "nokey", "x") == NOT_INT
    assert raw_err(server, "HRANDFIELD", "h", "-9223372036854775808") == "ERR " + RANGE_MIN
    assert err(r, "HRANDFIELD", "h", "-9223372036854775808", "WITHVALUES") == RANGE_MIN
    for count in ("4611686018427387904", "-4611686018427387904", "9223372036854775807",
                  "-9223372036854775807"):
        assert err(r, "HRANDFIELD", "h", count, "WITHVALUES") == "value is out of range"
    assert err(r, "HRANDFIELD", "h", "1", "WITHVALUES", "x") == SYNTAX
    assert err(r, "HRANDFIELD", "h", "1", "WITHVALUE") == SYNTAX
    assert err(r, "HRANDFIELD", "h", "1", "foo") == SYNTAX
    assert err(r, "HRANDFIELD", "nokey", "1", "foo") == SYNTAX
    # The option is case-insensitive.
    assert len(r.execute_command("HRANDFIELD", "h", "-3", "withValues")) == 6


# ---------------------------------------------------------------- HSCAN


def scan_all(server, key, *opts, decode=True, limit=100000):
    """Runs a full HSCAN iteration over a raw connection; returns ([(field, value)], calls)."""
    cursor = b"0"
    out = []
    calls = 0
    with server.raw() as c:
        while True:
            reply = c.command("HSCAN", key, cursor, *opts)
            assert isinstance(reply, list) and len(reply) == 2, reply
            cursor = reply[0]
            assert isinstance(cursor, bytes) and cursor.isdigit(), reply
            got = pairs(reply[1])
            if decode:
                got = [(f.decode(), v.decode()) for f, v in got]
            out += got
            calls += 1
            assert calls < limit
            if cursor == b"0":
                return out, calls


def test_hscan_small_hash_in_one_call(server, r):
    mapping = {f"f{i}": str(i) for i in range(20)}
    r.hset("h", mapping=mapping)
    assert enc(r, "h") == "listpack"
    for opts in ([], ["COUNT", "1"], ["COUNT", "1000"]):
        reply = raw(server, "HSCAN", "h", "0", *opts)
        assert reply[0] == b"0"
        assert {k.decode(): v.decode() for k, v in pairs(reply[1])} == mapping
    assert raw(server, "HSCAN", "nokey", "0") == [b"0", []]
    with raw3(server) as c:
        reply = c.command("HSCAN", "h", "0")
        assert reply[0] == b"0" and len(reply[1]) == 40


def test_hscan_large_hash_iterates_everything(server, r):
    mapping = {f"field:{i}": f"v{i}" for i in range(2000)}
    r.hset("h", mapping=mapping)
    assert enc(r, "h") == "hashtable"
    first = raw(server, "HSCAN", "h", "0", "COUNT", "10")
    assert first[0] != b"0"
    assert 0 < len(first[1]) < 4000
    for opts in (["COUNT", "100"], [], ["COUNT", "7"]):
        got, calls = scan_all(server, "h", *opts)
        assert calls > 1
        assert {f for f, _ in got} == set(mapping)
        for f, v in got:
            assert mapping[f] == v


def test_hscan_match(server, r):
    small = {"apple": "1", "apricot": "2", "banana": "3", "avocado": "4", "a*b": "5"}
    r.hset("small", mapping=small)
    got, _ = scan_all(server, "small", "MATCH", "ap*")
    assert dict(got) == {"apple": "1", "apricot": "2"}
    got, _ = scan_all(server, "small", "MATCH", "a\\*b")
    assert dict(got) == {"a*b": "5"}
    got, _ = scan_all(server, "small", "match", "[ab][pva]*", "count", "3")
    assert {f for f, _ in got} == {"apple", "apricot", "banana", "avocado"}
    got, _ = scan_all(server, "small", "MATCH", "nothing*")
    assert got == []
    mapping = {f"field:{i}": str(i) for i in range(2000)}
    r.hset("big", mapping=mapping)
    got, _ = scan_all(server, "big", "MATCH", "field:1?3", "COUNT", "50")
    assert {f for f, _ in got} == {f"field:1{d}3" for d in range(10)}
    for f, v in got:
        assert mapping[f] == v


def test_hscan_errors(server, r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    assert err(r, "HSCAN", "h", "0", "TYPE", "hash") == SYNTAX
    assert err(r, "HSCAN", "h", "0", "TYPE", "string") == SYNTAX
    assert err(r, "HSCAN", "h", "0", "COUNT", "0") == SYNTAX
    assert err(r, "HSCAN", "h", "0", "COUNT", "-1") == SYNTAX
    assert err(r, "HSCAN", "h", "0", "COUNT", "x") == NOT_INT
    assert err(r, "HSCAN", "h", "0", "MATCH") == SYNTAX
    assert err(r, "HSCAN", "h", "0", "COUNT") == SYNTAX
    assert err(r, "HSCAN", "h", "0", "FOO") == SYNTAX
    assert err(r, "HSCAN", "h", "0", "NOVALUES") == SYNTAX
    assert raw_err(server, "HSCAN", "h", "x") == "ERR invalid cursor"
    assert err(r, "HSCAN", "h", "18446744073709551616") == "invalid cursor"
    assert err(r, "HSCAN", "h", "1.5") == "invalid cursor"
    assert err(r, "HSCAN", "nokey", "x") == "invalid cursor"
    assert raw(server, "HSCAN", "h", "18446744073709551615")[0] == b"0"


def test_hscan_checks_cursor_then_key_then_options(server, r):
    # Redis parses the cursor, then looks the key up (a missing key answers an empty scan and
    # a string key WRONGTYPE) and only then parses the options.
    r.set("s", "v")
    assert raw_err(server, "HSCAN", "s", "x") == "ERR invalid cursor"
    assert raw_err(server, "HSCAN", "nokey", "x", "FOO") == "ERR invalid cursor"
    for opts in (["TYPE", "hash"], ["COUNT", "0"], ["MATCH"], ["NOVALUES"], ["COUNT", "x"]):
        assert raw(server, "HSCAN", "nokey", "0", *opts) == [b"0", []]
        assert raw_err(server, "HSCAN", "s", "0", *opts) == WRONGTYPE
    assert r.exists("nokey") == 0


def test_hscan_empty_cursor_reads_as_zero(server, r):
    # Redis parses the cursor with strtoul, which takes an empty string as 0.
    r.hset("h", mapping={"a": "1", "b": "2"})
    reply = raw(server, "HSCAN", "h", "")
    assert isinstance(reply, list) and reply[0] == b"0", reply
    assert dict(pairs(reply[1])) == {b"a": b"1", b"b": b"2"}
    assert raw(server, "HSCAN", "nokey", "") == [b"0", []]


# ---------------------------------------------------------------- WRONGTYPE


@pytest.mark.parametrize("args", [
    ["HSET", "s", "a", "1"], ["HSETNX", "s", "a", "1"], ["HMSET", "s", "a", "1"],
    ["HGET", "s", "a"], ["HMGET", "s", "a", "b"], ["HDEL", "s", "a"], ["HEXISTS", "s", "a"],
    ["HLEN", "s"], ["HSTRLEN", "s", "a"], ["HKEYS", "s"], ["HVALS", "s"], ["HGETALL", "s"],
    ["HINCRBY", "s", "a", "1"], ["HINCRBYFLOAT", "s", "a", "1.5"], ["HRANDFIELD", "s"],
    ["HRANDFIELD", "s", "0"], ["HRANDFIELD", "s", "3"], ["HRANDFIELD", "s", "-3", "WITHVALUES"],
    ["HSCAN", "s", "0"], ["HSCAN", "s", "0", "COUNT", "5"],
])
def test_hash_commands_on_string_key(server, r, args):
    r.set("s", "value")
    assert raw_err(server, *args) == WRONGTYPE
    assert r.get("s") == "value"
    assert r.type("s") == "string"


@pytest.mark.parametrize("args", [
    ["GET", "h"], ["INCR", "h"], ["APPEND", "h", "x"], ["STRLEN", "h"], ["DECRBY", "h", "2"],
    ["INCRBYFLOAT", "h", "1"], ["GETRANGE", "h", "0", "1"], ["SETRANGE", "h", "0", "x"],
    ["GETDEL", "h"], ["GETSET", "h", "x"], ["MGET", "h"],
])
def test_string_commands_on_hash_key(server, r, args):
    r.hset("h", "f", "1")
    reply = raw(server, *args)
    if args[0] == "MGET":
        assert reply == [None]  # MGET answers nil for non-strings
    else:
        assert isinstance(reply, ErrorReply) and reply.message == WRONGTYPE, reply
    assert r.hgetall("h") == {"f": "1"}
    assert r.type("h") == "hash"


def test_set_overwrites_hash(r):
    r.hset("h", "f", "1")
    assert r.set("h", "now a string") is True
    assert r.type("h") == "string"
    assert r.get("h") == "now a string"
    # SET ... GET refuses to replace a hash; SET NX leaves it alone.
    assert r.hset("h2", "f", "1") == 1
    assert err(r, "SET", "h2", "x", "GET") == WRONGTYPE
    assert r.execute_command("SET", "h2", "x", "NX") is None
    assert r.hgetall("h2") == {"f": "1"}


# ---------------------------------------------------------------- encodings


def test_encoding_listpack_to_hashtable_by_entries(r):
    r.hset("h", mapping={f"f{i}": i for i in range(512)})
    assert enc(r, "h") == "listpack"
    assert r.hset("h", "f0", "updated") == 0
    assert enc(r, "h") == "listpack"
    assert r.hset("h", "f512", "x") == 1
    assert enc(r, "h") == "hashtable"
    assert r.hlen("h") == 513
    # Never converts back, even when shrinking to one field.
    r.hdel("h", *[f"f{i}" for i in range(512)])
    assert r.hlen("h") == 1
    assert enc(r, "h") == "hashtable"
    assert r.hgetall("h") == {"f512": "x"}
    # 513 fields in one call.
    r.hset("h2", mapping={f"f{i}": i for i in range(513)})
    assert enc(r, "h2") == "hashtable"
    # Via HSETNX and HINCRBY too.
    r.hset("h3", mapping={f"f{i}": i for i in range(512)})
    assert r.hsetnx("h3", "extra", "1") == 1
    assert enc(r, "h3") == "hashtable"
    r.hset("h4", mapping={f"f{i}": i for i in range(512)})
    assert r.hincrby("h4", "extra", 1) == 1
    assert enc(r, "h4") == "hashtable"


def test_encoding_listpack_to_hashtable_by_length(r):
    assert r.hset("v64", "f", "x" * 64) == 1
    assert enc(r, "v64") == "listpack"
    assert r.hset("f64", "y" * 64, "1") == 1
    assert enc(r, "f64") == "listpack"
    r.hset("v65", "f", "1")
    assert enc(r, "v65") == "listpack"
    assert r.hset("v65", "g", "x" * 65) == 1
    assert enc(r, "v65") == "hashtable"
    r.hdel("v65", "g")
    assert enc(r, "v65") == "hashtable"
    assert r.hgetall("v65") == {"f": "1"}
    assert r.hset("f65", "y" * 65, "1") == 1
    assert enc(r, "f65") == "hashtable"
    # HMSET, HSETNX, and HINCRBY / HINCRBYFLOAT on a long field name.
    assert r.execute_command("HMSET", "m", "a", "1", "b", "z" * 100) is True
    assert enc(r, "m") == "hashtable"
    assert r.hsetnx("nx", "a", "z" * 65) == 1
    assert enc(r, "nx") == "hashtable"
    r.hset("ib", "a", "1")
    assert r.hincrby("ib", "k" * 65, 1) == 1
    assert enc(r, "ib") == "hashtable"
    r.hset("ibf", "a", "1")
    r.hincrbyfloat("ibf", "k" * 65, 1)
    assert enc(r, "ibf") == "hashtable"
    # HINCRBYFLOAT producing a value longer than 64 bytes.
    r.hset("big", "a", "1")
    r.hincrbyfloat("big", "a", "1e200")
    assert enc(r, "big") == "hashtable"
    assert len(r.hget("big", "a")) == 201
    # HSETNX that does not set does not convert.
    r.hset("keep", "a", "1")
    assert r.hsetnx("keep", "a", "z" * 65) == 0
    assert enc(r, "keep") == "listpack"


def test_config_thresholds_and_old_names(r):
    got = r.config_get("hash-max-*")
    assert got == {"hash-max-listpack-entries": "512", "hash-max-listpack-value": "64",
                   "hash-max-ziplist-entries": "512", "hash-max-ziplist-value": "64"}
    assert r.config_set("hash-max-listpack-entries", 4) is True
    assert r.config_get("hash-max-ziplist-entries") == {"hash-max-ziplist-entries": "4"}
    assert r.config_get("hash-max-listpack-entries") == {"hash-max-listpack-entries": "4"}
    assert r.config_set("hash-max-ziplist-value", 8) is True
    assert r.config_get("hash-max-listpack-value") == {"hash-max-listpack-value": "8"}
    assert r.config_get("hash-max-ziplist-value") == {"hash-max-ziplist-value": "8"}

    r.hset("a", mapping={"1": "x", "2": "x", "3": "x", "4": "x"})
    assert enc(r, "a") == "listpack"
    r.hset("a", "5", "x")
    assert enc(r, "a") == "hashtable"
    r.hset("b", "f", "12345678")
    assert enc(r, "b") == "listpack"
    r.hset("b", "g", "123456789")
    assert enc(r, "b") == "hashtable"
    r.hset("c", "f", "1")
    assert enc(r, "c") == "listpack"

    # Raising the thresholds affects new writes only; existing hashtables stay.
    assert r.config_set("hash-max-ziplist-entries", 1000) is True
    assert r.config_set("hash-max-listpack-value", 100) is True
    assert r.config_get("hash-max-*") == {
        "hash-max-listpack-entries": "1000", "hash-max-listpack-value": "100",
        "hash-max-ziplist-entries": "1000", "hash-max-ziplist-value": "100"}
    assert enc(r, "a") == "hashtable"
    assert enc(r, "b") == "hashtable"
    r.hset("d", mapping={f"f{i}": "y" * 100 for i in range(900)})
    assert enc(r, "d") == "listpack"
    assert r.hlen("d") == 900
    r.hset("d", "long", "y" * 101)
    assert enc(r, "d") == "hashtable"

    # Lowering them converts a listpack hash on its next write.
    r.hset("e", mapping={"a": "1", "b": "2"})
    assert enc(r, "e") == "listpack"
    assert r.config_set("hash-max-listpack-entries", 0) is True
    assert enc(r, "e") == "listpack"
    r.hset("e", "c", "3")
    assert enc(r, "e") == "hashtable"
    r.hset("fresh", "a", "1")
    assert enc(r, "fresh") == "hashtable"
    assert r.hgetall("e") == {"a": "1", "b": "2", "c": "3"}


def config_error(name, reason):
    return f"ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}"


def test_config_set_invalid_threshold(server, r):
    not_int = "argument couldn't be parsed into an integer"
    not_mem = "argument must be a memory value"
    out_of_range = "argument must be between 0 and 9223372036854775807 inclusive"
    cases = [
        ("hash-max-listpack-entries", "abc", not_int),
        ("hash-max-ziplist-entries", "1.5", not_int),
        ("hash-max-listpack-entries", "18446744073709551615", not_int),
        ("hash-max-listpack-entries", "-1", out_of_range),
        ("hash-max-ziplist-entries", "-5", out_of_range),
        ("hash-max-listpack-value", "abc", not_mem),
        ("hash-max-ziplist-value", "abc", not_mem),
        ("hash-max-listpack-value", "-1", not_mem),
    ]
    for name, value, reason in cases:
        assert raw_err(server, "CONFIG", "SET", name, value) == config_error(name, reason)
    assert r.config_get("hash-max-*") == {
        "hash-max-listpack-entries": "512", "hash-max-listpack-value": "64",
        "hash-max-ziplist-entries": "512", "hash-max-ziplist-value": "64"}


def test_config_listpack_value_accepts_memory_units(r):
    # hash-max-listpack-value is a memory setting in Redis 7.0: units are accepted.
    assert r.config_set("hash-max-listpack-value", "1kb") is True
    assert r.config_get("hash-max-listpack-value") == {"hash-max-listpack-value": "1024"}
    assert r.config_get("hash-max-ziplist-value") == {"hash-max-ziplist-value": "1024"}
    r.hset("h", "f", "x" * 1024)
    assert enc(r, "h") == "listpack"
    r.hset("h", "g", "x" * 1025)
    assert enc(r, "h") == "hashtable"
    assert r.config_set("hash-max-ziplist-value", "2K") is True
    assert r.config_get("hash-max-listpack-value") == {"hash-max-listpack-value": "2000"}
    assert r.config_set("hash-max-listpack-value", "64") is True
    assert r.config_get("hash-max-listpack-value") == {"hash-max-listpack-value": "64"}


def test_config_set_new_and_old_name_together(r):
    # Redis 7.0 accepts both spellings in one CONFIG SET; the last one wins.
    assert r.execute_command("CONFIG", "SET", "hash-max-listpack-entries", "10",
                             "hash-max-ziplist-entries", "20") == "OK"
    assert r.config_get("hash-max-listpack-entries") == {"hash-max-listpack-entries": "20"}
    assert r.config_get("hash-max-ziplist-entries") == {"hash-max-ziplist-entries": "20"}


# ---------------------------------------------------------------- exact round trips


ODD_VALUES = ["007", "-0", "+1", "0", "-1", "12345678901234567890", "9223372036854775807",
              "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
              " 1", "1 ", "1.0", "1e3", "0x10", "00", "-", "", "3.14159265358979323846"]


@pytest.mark.parametrize("big", [False, True])
def test_integer_looking_values_round_trip(rb, big):
    mapping = {v.encode(): v.encode() for v in ODD_VALUES}
    mapping[b"field"] = b"-0"
    if big:
        mapping.update({b"pad:%d" % i: b"%d" % i for i in range(600)})
    rb.hset("h", mapping=mapping)
    assert rb.object("encoding", "h") == (b"hashtable" if big else b"listpack")
    for v in ODD_VALUES:
        assert rb.hget("h", v) == v.encode()
        assert rb.hstrlen("h", v) == len(v)
        assert rb.hexists("h", v) is True
    assert rb.hgetall("h") == mapping
    assert set(rb.hkeys("h")) == set(mapping)
    assert sorted(rb.hvals("h")) == sorted(mapping.values())
    assert rb.hmget("h", *ODD_VALUES) == [v.encode() for v in ODD_VALUES]


def test_integer_values_after_hincrby_round_trip(r):
    r.hset("h", "n", "9223372036854775806")
    r.hincrby("h", "n", 1)
    assert r.hget("h", "n") == "9223372036854775807"
    r.hset("h", "z", "0")
    assert r.hincrby("h", "z", -1) == -1
    assert r.hget("h", "z") == "-1"
    assert r.hstrlen("h", "z") == 2


def test_binary_fields_and_values(server, rb):
    data = {b"\x00": b"nul", b"a\r\nb": b"\r\n", b"\r": b"\x00\x00\x00", b"\n": b"",
            b"\xff\xfe": b"\x80" * 10, b"k\x00ey": b"v\x00al\r\nue",
            b"long\x00" + bytes(range(256)): bytes(range(256)) * 3}
    rb.hset("h", mapping=data)
    rb.hset(b"key\x00\r\n", b"f\x00", b"v\r\n")
    assert rb.hgetall("h") == data
    for f, v in data.items():
        assert rb.hget("h", f) == v
        assert rb.hstrlen("h", f) == len(v)
        assert rb.hexists("h", f) is True
    assert rb.hexists("h", b"k") is False
    assert rb.hexists("h", b"k\x00") is False
    assert rb.hget(b"key\x00\r\n", b"f\x00") == b"v\r\n"
    assert rb.hget(b"key\x00\r\n", b"f") is None
    assert rb.hdel("h", b"\x00") == 1
    assert rb.hget("h", b"\x00") is None
    got, _ = scan_all(server, "h", decode=False)
    assert dict(got) == {k: v for k, v in data.items() if k != b"\x00"}
    assert rb.type(b"key\x00\r\n") == b"hash"
    with server.raw() as c:
        assert c.command("HGET", "h", b"a\r\nb") == b"\r\n"
        assert sorted(c.command("HRANDFIELD", "h", "100")) == \
            sorted(k for k in data if k != b"\x00")


# ---------------------------------------------------------------- keyspace commands


def test_type_del_unlink_exists(r):
    r.hset("h1", "a", "1")
    r.hset("h2", mapping={f"f{i}": i for i in range(600)})
    r.hset("h3", "a", "1")
    assert r.type("h1") == "hash"
    assert r.type("h2") == "hash"
    assert r.exists("h1", "h2", "h3", "nokey") == 3
    assert r.delete("h1", "nokey") == 1
    assert r.unlink("h2", "nokey") == 1
    assert r.exists("h1", "h2", "h3") == 1
    assert r.hget("h1", "a") is None
    assert r.hlen("h2") == 0
    # A deleted key starts over as a fresh hash.
    assert r.hset("h2", "x", "1") == 1
    assert r.hgetall("h2") == {"x": "1"}
    assert enc(r, "h2") == "listpack"


def test_rename(r):
    r.hset("src", mapping={"a": "1", "b": "2"})
    assert r.rename("src", "dst") is True
    assert r.exists("src") == 0
    assert r.hgetall("dst") == {"a": "1", "b": "2"}
    r.set("str", "x")
    assert r.rename("dst", "str") is True
    assert r.type("str") == "hash"
    assert r.hgetall("str") == {"a": "1", "b": "2"}
    r.hset("other", "z", "9")
    assert r.renamenx("str", "other") is False
    assert r.hgetall("other") == {"z": "9"}


@pytest.mark.parametrize("size", [3, 600])
def test_copy_is_independent(r, size):
    mapping = {f"f{i}": f"v{i}" for i in range(size)}
    r.hset("orig", mapping=mapping)
    expected_enc = enc(r, "orig")
    assert r.copy("orig", "cp") is True
    assert r.hgetall("cp") == mapping
    assert enc(r, "cp") == expected_enc
    r.hset("cp", "f0", "changed")
    r.hset("cp", "new", "1")
    r.hdel("cp", "f1")
    r.hincrby("cp", "counter", 5)
    assert r.hgetall("orig") == mapping
    assert r.hget("cp", "f0") == "changed"
    assert r.hlen("cp") == size + 1
    # The original changing leaves the copy alone too.
    r.hset("orig", "f2", "orig-changed")
    assert r.hget("cp", "f2") == "v2"
    # COPY does not overwrite without REPLACE.
    assert r.copy("orig", "cp") is False
    assert r.hget("cp", "f0") == "changed"
    assert r.copy("orig", "cp", replace=True) is True
    assert r.hget("cp", "f0") == "v0"
    # To another database.
    assert r.copy("orig", "cp", destination_db=2) is True
    r.execute_command("SELECT", 2)
    assert r.hlen("cp") == size


def test_copy_and_move_across_databases(server, r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    assert r.move("h", 1) is True
    assert r.exists("h") == 0
    db1 = server.client(db=1)
    try:
        assert db1.hgetall("h") == {"a": "1", "b": "2"}
        assert db1.type("h") == "hash"
        r.hset("h", "c", "3")
        assert r.move("h", 1) is False  # exists in the target
        assert r.hgetall("h") == {"c": "3"}
        assert db1.hgetall("h") == {"a": "1", "b": "2"}
    finally:
        db1.close()


def test_expire_on_hash(r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    assert r.ttl("h") == -1
    assert r.expire("h", 100) is True
    assert 99 <= r.ttl("h") <= 100
    # Hash writes keep the TTL.
    r.hset("h", "c", "3")
    r.hdel("h", "a")
    r.hincrby("h", "n", 1)
    r.hincrbyfloat("h", "x", 1.5)
    assert 98 <= r.ttl("h") <= 100
    assert r.persist("h") is True
    assert r.ttl("h") == -1
    # Deleting the last field removes the key and its TTL.
    r.hset("g", "a", "1")
    r.expire("g", 100)
    r.hdel("g", "a")
    assert r.ttl("g") == -2
    r.hset("g", "a", "1")
    assert r.ttl("g") == -1
    # An expired hash is gone for hash commands.
    r.hset("short", "a", "1")
    r.pexpire("short", 50)
    time.sleep(0.15)
    assert r.hgetall("short") == {}
    assert r.hlen("short") == 0
    assert r.exists("short") == 0
    assert r.hset("short", "b", "2") == 1
    assert r.ttl("short") == -1


def test_scan_type_hash_and_flushall(r):
    r.hset("h1", "a", "1")
    r.hset("h2", mapping={f"f{i}": i for i in range(600)})
    r.set("s", "x")
    r.set("h-string", "x")
    keys = set()
    cursor = 0
    while True:
        cursor, batch = r.execute_command("SCAN", cursor, "TYPE", "hash")
        keys.update(batch)
        if cursor == 0:
            break
    assert keys == {"h1", "h2"}
    assert sorted(r.keys("h*")) == ["h-string", "h1", "h2"]
    r.execute_command("SELECT", 1)
    r.hset("h3", "a", "1")
    assert r.flushall() is True
    assert r.dbsize() == 0
    r.execute_command("SELECT", 0)
    assert r.dbsize() == 0
    assert r.hgetall("h1") == {}
    assert r.exists("h2") == 0


# ---------------------------------------------------------------- DEBUG DIGEST vs Redis


def load_hashes(c):
    c.hset("small", mapping={"a": "1", "b": "hello", "c": "-42", "d": "", "e": "3.5"})
    c.hset("ints", mapping={"007": "007", "-0": "-0", "n": "12345678901234567890",
                            "max": "9223372036854775807", "min": "-9223372036854775808",
                            "sp": " 1", "z": "0"})
    c.hset("longval", mapping={"a": "1", "b": "v" * 100})
    c.hset("bin", mapping={b"\x00\r\n": b"\xff\x00", b"k": bytes(range(256))})
    c.hset("many", mapping={f"field:{i}": f"value:{i * 7}" for i in range(1500)})
    c.hset("single", "only", "one")
    c.hincrby("small", "counter", 41)
    c.hincrbyfloat("small", "float", "10.5")
    c.hdel("many", "field:3", "field:1000")
    c.execute_command("EXPIREAT", "single", 4102444800)
    return [b"small", b"ints", b"longval", b"bin", b"many", b"single", b"missing"]


def test_debug_digest_of_hashes_matches_redis(server, reference):
    tess = server.client(decode_responses=False, single_connection_client=True)
    ref = reference
    try:
        keys = load_hashes(tess)
        load_hashes(ref)
        for c in (tess, ref):
            assert c.object("encoding", "small") == b"listpack"
            assert c.object("encoding", "ints") == b"listpack"
            assert c.object("encoding", "longval") == b"hashtable"
            assert c.object("encoding", "many") == b"hashtable"
        want_all = assert_same_digests(tess, ref, keys)
        # Changes move the digests in the same way on both servers.
        for c in (tess, ref):
            c.hset("many", "field:3", "back")
            c.hdel("small", "a")
            c.persist("single")
        assert tess.execute_command("DEBUG", "DIGEST") == \
            ref.execute_command("DEBUG", "DIGEST") != want_all
        assert tess.execute_command("DEBUG", "DIGEST-VALUE", "many", "small") == \
            ref.execute_command("DEBUG", "DIGEST-VALUE", "many", "small")
    finally:
        tess.close()


def test_debug_digest_independent_of_encoding(server, reference):
    tess = server.client(decode_responses=False, single_connection_client=True)
    try:
        for c in (tess, reference):
            c.hset("lp", mapping={"a": "1", "b": "2", "c": "xyz"})
            c.config_set("hash-max-listpack-entries", 0)
            c.hset("ht", mapping={"c": "xyz", "b": "2", "a": "1"})
            c.config_set("hash-max-listpack-entries", 512)
            assert c.object("encoding", "lp") == b"listpack"
            assert c.object("encoding", "ht") == b"hashtable"
            lp, ht = c.execute_command("DEBUG", "DIGEST-VALUE", "lp", "ht")
            assert lp == ht != ZERO_DIGEST
        assert tess.execute_command("DEBUG", "DIGEST-VALUE", "lp", "ht") == \
            reference.execute_command("DEBUG", "DIGEST-VALUE", "lp", "ht")
        assert tess.execute_command("DEBUG", "DIGEST") == \
            reference.execute_command("DEBUG", "DIGEST")
    finally:
        tess.close()


def test_debug_digest_value_tracks_hash_changes(r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    d1 = r.execute_command("DEBUG", "DIGEST-VALUE", "h")[0]
    r.hset("h", "a", "1")
    assert r.execute_command("DEBUG", "DIGEST-VALUE", "h")[0] == d1
    r.hset("h", "a", "2")
    d2 = r.execute_command("DEBUG", "DIGEST-VALUE", "h")[0]
    assert d2 != d1
    r.hset("h", "a", "1")
    assert r.execute_command("DEBUG", "DIGEST-VALUE", "h")[0] == d1
    # Field/value swapped is a different hash.
    r.hset("swap", mapping={"1": "a", "2": "b"})
    r.hset("orig", mapping={"a": "1", "b": "2"})
    ds, do = r.execute_command("DEBUG", "DIGEST-VALUE", "swap", "orig")
    assert do == d1
    assert ds != do
