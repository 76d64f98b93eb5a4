"""String commands with a real client: GET/SET and its options, the SET family, counters,
INCRBYFLOAT formatting, ranges, LCS, encodings, and binary safety."""
import random
import time

import pytest
import redis

from resp import ErrorReply
from helpers import command_error as err


def raw(server, *args):
    """The exact reply of one command, read over a raw RESP connection."""
    with server.raw() as c:
        return c.command(*args)


def raw_err(server, *args):
    """The complete error line (with its code) the server sends for a command."""
    with server.raw() as c:
        reply = c.command(*args)
    assert isinstance(reply, ErrorReply), f"expected an error for {args!r}, got {reply!r}"
    return reply.message


SYNTAX = "syntax error"
NOT_INT = "value is not an integer or out of range"
NOT_FLOAT = "value is not a valid float"


# ---------------------------------------------------------------- GET / SET basics


def test_get_missing_and_set_get(r):
    assert r.get("nokey") is None
    assert r.set("k", "v1") is True
    assert r.get("k") == "v1"
    assert r.set("k", "v2") is True
    assert r.get("k") == "v2"
    assert r.set("empty", "") is True
    assert r.get("empty") == ""
    assert r.exists("empty") == 1
    assert r.strlen("empty") == 0


def test_set_get_arity_errors(server):
    assert raw_err(server, "GET") == "ERR wrong number of arguments for 'get' command"
    assert raw_err(server, "GET", "a", "b") == "ERR wrong number of arguments for 'get' command"
    assert raw_err(server, "SET", "a") == "ERR wrong number of arguments for 'set' command"


def test_set_nx_xx(r):
    assert r.execute_command("SET", "k", "1", "NX") is True
    assert r.execute_command("SET", "k", "2", "NX") is None
    assert r.get("k") == "1"
    assert r.execute_command("SET", "k", "3", "XX") is True
    assert r.get("k") == "3"
    assert r.execute_command("SET", "missing", "x", "XX") is None
    assert r.exists("missing") == 0
    # Options are case-insensitive.
    assert r.execute_command("SET", "k2", "a", "nx") is True
    assert r.execute_command("SET", "k2", "b", "xX") is True
    assert r.get("k2") == "b"


def test_set_ex_px_exat_pxat(r):
    assert r.execute_command("SET", "a", "v", "EX", "100") is True
    assert 99 <= r.ttl("a") <= 100
    assert r.execute_command("SET", "b", "v", "PX", "100000") is True
    assert 99000 <= r.pttl("b") <= 100000
    future = int(time.time()) + 1000
    assert r.execute_command("SET", "c", "v", "EXAT", future) is True
    assert r.execute_command("EXPIRETIME", "c") == future
    future_ms = int(time.time() * 1000) + 1_000_000
    assert r.execute_command("SET", "d", "v", "PXAT", future_ms) is True
    assert r.execute_command("PEXPIRETIME", "d") == future_ms
    assert r.get("d") == "v"


def test_set_exat_in_the_past_hides_key(r):
    assert r.execute_command("SET", "k", "v", "EXAT", "1") is True
    assert r.get("k") is None
    assert r.exists("k") == 0
    assert r.execute_command("SET", "k2", "v", "PXAT", "1") is True
    assert r.get("k2") is None


def test_set_keepttl(r):
    r.execute_command("SET", "k", "v", "EX", "100")
    assert r.execute_command("SET", "k", "v2", "KEEPTTL") is True
    assert r.get("k") == "v2"
    assert 98 <= r.ttl("k") <= 100
    assert r.execute_command("SET", "k", "v3") is True
    assert r.ttl("k") == -1
    # KEEPTTL on a key without TTL, and on a new key.
    assert r.execute_command("SET", "k", "v4", "KEEPTTL") is True
    assert r.ttl("k") == -1
    assert r.execute_command("SET", "new", "x", "KEEPTTL") is True
    assert r.ttl("new") == -1


def test_set_get_option(server, r):
    with server.raw() as c:
        assert c.command("SET", "k", "new", "GET") is None
        assert c.command("SET", "k", "newer", "GET") == b"new"
        assert c.command("GET", "k") == b"newer"
        # GET with NX (allowed since 7.0): returns the old value, does not set.
        assert c.command("SET", "k", "nx-val", "NX", "GET") == b"newer"
        assert c.command("GET", "k") == b"newer"
        assert c.command("SET", "fresh", "nx-val", "NX", "GET") is None
        assert c.command("GET", "fresh") == b"nx-val"
        # GET with XX on a missing key: nil, and not created.
        assert c.command("SET", "absent", "x", "XX", "GET") is None
        assert c.command("EXISTS", "absent") == 0
        assert c.command("SET", "k", "xx-val", "XX", "GET") == b"newer"
        assert c.command("GET", "k") == b"xx-val"
        # GET combined with an expiry.
        assert c.command("SET", "k", "ex-val", "GET", "EX", "50") == b"xx-val"
        assert 49 <= c.command("TTL", "k") <= 50
    assert r.set("k2", "a", get=True) is None
    assert r.set("k2", "b", get=True) == "a"


@pytest.mark.parametrize("args, message", [
    (["EX", "0"], "invalid expire time in 'set' command"),
    (["EX", "-1"], "invalid expire time in 'set' command"),
    (["PX", "0"], "invalid expire time in 'set' command"),
    (["PX", "-100"], "invalid expire time in 'set' command"),
    (["EXAT", "0"], "invalid expire time in 'set' command"),
    (["PXAT", "-5"], "invalid expire time in 'set' command"),
    (["EX", "9223372036854775807"], "invalid expire time in 'set' command"),
    (["PX", "9223372036854775807"], "invalid expire time in 'set' command"),
    (["EX", "abc"], NOT_INT),
    (["PX", "1.5"], NOT_INT),
    (["EX", "99999999999999999999"], NOT_INT),
    (["EX"], SYNTAX),
    (["PXAT"], SYNTAX),
    (["NX", "XX"], SYNTAX),
    (["XX", "NX"], SYNTAX),
    (["EX", "10", "PX", "100"], SYNTAX),
    (["EX", "10", "EXAT", "100"], SYNTAX),
    (["PX", "10", "PXAT", "100"], SYNTAX),
    (["KEEPTTL", "EX", "10"], SYNTAX),
    (["PX", "10", "KEEPTTL"], SYNTAX),
    (["FOO"], SYNTAX),
    (["GET", "GETX"], SYNTAX),
])
def test_set_invalid_options(r, args, message):
    r.set("k", "orig")
    assert err(r, "SET", "k", "v", *args) == message
    assert r.get("k") == "orig"
    assert r.ttl("k") == -1


def test_set_error_full_line(server):
    assert raw_err(server, "SET", "k", "v", "NX", "XX") == "ERR syntax error"
    assert raw_err(server, "SET", "k", "v", "EX", "0") == \
        "ERR invalid expire time in 'set' command"
    assert raw_err(server, "SET", "k", "v", "EX", "x") == \
        "ERR value is not an integer or out of range"


def test_set_errors_with_redis_cli(server):
    out = server.cli("SET", "k", "v", "EX", "0")
    assert "ERR invalid expire time in 'set' command" in out.stdout
    out = server.cli("SET", "k", "v", "NX", "XX")
    assert "ERR syntax error" in out.stdout
    out = server.cli("SET", "k", "v", "EX", "1000")
    assert out.stdout.strip() == "OK"
    out = server.cli("TTL", "k")
    assert out.stdout.strip() in ("1000", "999")


# ---------------------------------------------------------------- SETNX SETEX PSETEX


def test_setnx(r):
    assert r.execute_command("SETNX", "k", "a") == 1
    assert r.execute_command("SETNX", "k", "b") == 0
    assert r.get("k") == "a"
    assert err(r, "SETNX", "k") == "wrong number of arguments for 'setnx' command"


def test_setex_psetex(r):
    assert r.execute_command("SETEX", "k", "100", "v") is True
    assert r.get("k") == "v"
    assert 99 <= r.ttl("k") <= 100
    assert r.execute_command("PSETEX", "p", "100000", "v") is True
    assert 99000 <= r.pttl("p") <= 100000
    # Overwrites an existing value and TTL.
    assert r.execute_command("SETEX", "k", "5000", "w") is True
    assert r.get("k") == "w"
    assert 4999 <= r.ttl("k") <= 5000


@pytest.mark.parametrize("cmd", ["SETEX", "PSETEX"])
def test_setex_psetex_errors(r, cmd):
    name = cmd.lower()
    assert err(r, cmd, "k", "0", "v") == f"invalid expire time in '{name}' command"
    assert err(r, cmd, "k", "-10", "v") == f"invalid expire time in '{name}' command"
    assert err(r, cmd, "k", "abc", "v") == NOT_INT
    assert err(r, cmd, "k", "10") == f"wrong number of arguments for '{name}' command"
    assert r.exists("k") == 0
    if cmd == "SETEX":
        assert err(r, cmd, "k", "9223372036854775807", "v") == \
            "invalid expire time in 'setex' command"


# ---------------------------------------------------------------- MGET MSET MSETNX


def test_mset_mget(r):
    assert r.execute_command("MSET", "a", "1", "b", "2", "c", "3") is True
    assert r.execute_command("MGET", "a", "b", "missing", "c", "a") == ["1", "2", None, "3", "1"]
    # Later pairs win for a repeated key.
    assert r.execute_command("MSET", "d", "x", "d", "y") is True
    assert r.get("d") == "y"
    assert err(r, "MGET") == "wrong number of arguments for 'mget' command"


def test_mset_clears_ttl(r):
    r.set("a", "1", ex=100)
    r.execute_command("MSET", "a", "2")
    assert r.ttl("a") == -1
    assert r.get("a") == "2"


def test_mset_msetnx_odd_arguments(r):
    assert err(r, "MSET", "a", "1", "b") == "wrong number of arguments for 'mset' command"
    assert err(r, "MSET", "a") == "wrong number of arguments for 'mset' command"
    assert err(r, "MSETNX", "a", "1", "b") == "wrong number of arguments for 'msetnx' command"
    assert err(r, "MSETNX") == "wrong number of arguments for 'msetnx' command"
    assert r.exists("a", "b") == 0


def test_msetnx(r):
    assert r.execute_command("MSETNX", "a", "1", "b", "2") == 1
    assert r.mget("a", "b") == ["1", "2"]
    # One key exists: nothing is set.
    assert r.execute_command("MSETNX", "b", "x", "c", "3") == 0
    assert r.get("b") == "2"
    assert r.exists("c") == 0
    # The same new key twice.
    assert r.execute_command("MSETNX", "e", "1", "e", "2") == 1
    assert r.get("e") == "2"


# ---------------------------------------------------------------- GETSET GETDEL GETEX


def test_getset(r):
    assert r.execute_command("GETSET", "k", "a") is None
    assert r.get("k") == "a"
    r.expire("k", 100)
    assert r.execute_command("GETSET", "k", "b") == "a"
    assert r.get("k") == "b"
    assert r.ttl("k") == -1


def test_getdel(r):
    r.set("k", "v", ex=100)
    assert r.execute_command("GETDEL", "k") == "v"
    assert r.exists("k") == 0
    assert r.execute_command("GETDEL", "k") is None
    assert err(r, "GETDEL", "a", "b") == "wrong number of arguments for 'getdel' command"


def test_getex(r):
    assert r.execute_command("GETEX", "missing", "EX", "10") is None
    assert r.exists("missing") == 0
    r.set("k", "v")
    assert r.execute_command("GETEX", "k") == "v"
    assert r.ttl("k") == -1
    assert r.execute_command("GETEX", "k", "EX", "100") == "v"
    assert 99 <= r.ttl("k") <= 100
    assert r.execute_command("GETEX", "k", "PX", "200000") == "v"
    assert 199000 <= r.pttl("k") <= 200000
    at = int(time.time()) + 3000
    assert r.execute_command("GETEX", "k", "EXAT", at) == "v"
    assert r.execute_command("EXPIRETIME", "k") == at
    at_ms = int(time.time() * 1000) + 4_000_000
    assert r.execute_command("GETEX", "k", "PXAT", at_ms) == "v"
    assert r.execute_command("PEXPIRETIME", "k") == at_ms
    # Without options the TTL is left alone.
    assert r.execute_command("GETEX", "k") == "v"
    assert r.execute_command("PEXPIRETIME", "k") == at_ms
    assert r.execute_command("GETEX", "k", "PERSIST") == "v"
    assert r.ttl("k") == -1
    assert r.execute_command("GETEX", "k", "persist") == "v"
    assert r.ttl("k") == -1


def test_getex_past_time_deletes(r):
    r.set("k", "v")
    assert r.execute_command("GETEX", "k", "EXAT", "1") == "v"
    assert r.exists("k") == 0
    r.set("k", "v")
    assert r.execute_command("GETEX", "k", "PXAT", "1") == "v"
    assert r.get("k") is None


@pytest.mark.parametrize("args, message", [
    (["EX", "0"], "invalid expire time in 'getex' command"),
    (["EX", "-1"], "invalid expire time in 'getex' command"),
    (["PX", "0"], "invalid expire time in 'getex' command"),
    (["EXAT", "-1"], "invalid expire time in 'getex' command"),
    (["EX", "9223372036854775807"], "invalid expire time in 'getex' command"),
    (["EX", "abc"], NOT_INT),
    (["EX"], SYNTAX),
    (["EX", "10", "PX", "10"], SYNTAX),
    (["PERSIST", "EX", "10"], SYNTAX),
    (["EX", "10", "PERSIST"], SYNTAX),
    (["KEEPTTL"], SYNTAX),
    (["FOO"], SYNTAX),
])
def test_getex_errors(r, args, message):
    r.set("k", "v", ex=100)
    assert err(r, "GETEX", "k", *args) == message
    assert 99 <= r.ttl("k") <= 100


# ---------------------------------------------------------------- APPEND STRLEN


def test_append_strlen(r):
    assert r.execute_command("APPEND", "k", "Hello") == 5
    assert r.execute_command("APPEND", "k", " World") == 11
    assert r.get("k") == "Hello World"
    assert r.strlen("k") == 11
    assert r.strlen("missing") == 0
    assert r.execute_command("APPEND", "k", "") == 11
    r.set("n", 12345)
    assert r.strlen("n") == 5
    assert r.execute_command("APPEND", "n", "6") == 6
    assert r.get("n") == "123456"
    assert r.incr("n") == 123457


def test_append_keeps_ttl(r):
    r.set("k", "a", ex=100)
    r.append("k", "b")
    assert r.get("k") == "ab"
    assert 99 <= r.ttl("k") <= 100


# ---------------------------------------------------------------- counters


def test_incr_decr_family(r):
    assert r.execute_command("INCR", "c") == 1
    assert r.execute_command("INCR", "c") == 2
    assert r.execute_command("DECR", "c") == 1
    assert r.execute_command("DECR", "d") == -1
    assert r.execute_command("INCRBY", "c", "10") == 11
    assert r.execute_command("INCRBY", "c", "-20") == -9
    assert r.execute_command("DECRBY", "c", "5") == -14
    assert r.execute_command("DECRBY", "c", "-14") == 0
    assert r.get("c") == "0"
    r.set("big", "9223372036854775806")
    assert r.incr("big") == 9223372036854775807
    r.set("neg", "-9223372036854775807")
    assert r.decr("neg") == -9223372036854775808


def test_incr_keeps_ttl(r):
    r.set("c", "5", ex=100)
    assert r.incr("c") == 6
    assert 99 <= r.ttl("c") <= 100


def test_incr_overflow(r):
    r.set("max", "9223372036854775807")
    assert err(r, "INCR", "max") == "increment or decrement would overflow"
    assert err(r, "INCRBY", "max", "1") == "increment or decrement would overflow"
    assert r.get("max") == "9223372036854775807"
    r.set("min", "-9223372036854775808")
    assert err(r, "DECR", "min") == "increment or decrement would overflow"
    assert err(r, "DECRBY", "min", "1") == "increment or decrement would overflow"
    assert err(r, "INCRBY", "min", "-1") == "increment or decrement would overflow"
    assert r.get("min") == "-9223372036854775808"
    r.set("one", "1")
    assert err(r, "INCRBY", "one", "9223372036854775807") == \
        "increment or decrement would overflow"
    assert r.execute_command("INCRBY", "one", "9223372036854775806") == 9223372036854775807


def test_decrby_min_value(r):
    assert err(r, "DECRBY", "k", "-9223372036854775808") == "decrement would overflow"
    assert r.exists("k") == 0
    assert r.execute_command("INCRBY", "k", "-9223372036854775808") == -9223372036854775808


@pytest.mark.parametrize("value", [
    "abc", "1.5", " 1", "1 ", "01", "-0", "+1", "", "9223372036854775808",
    "-9223372036854775809", "1e3", "0x10", "12345678901234567890",
])
def test_incr_non_integer_values(r, value):
    r.set("k", value)
    for cmd in (["INCR", "k"], ["DECR", "k"], ["INCRBY", "k", "1"], ["DECRBY", "k", "1"]):
        assert err(r, *cmd) == NOT_INT
    assert r.get("k") == value


@pytest.mark.parametrize("arg", ["abc", "1.0", "", " 5", "9223372036854775808", "1e2"])
def test_incrby_invalid_increment(r, arg):
    r.set("k", "5")
    assert err(r, "INCRBY", "k", arg) == NOT_INT
    assert err(r, "DECRBY", "k", arg) == NOT_INT
    assert r.get("k") == "5"


def test_counters_via_redis_cli(server):
    assert server.cli("INCRBY", "c", "41").stdout.strip() == "41"
    assert server.cli("INCR", "c").stdout.strip() == "42"
    out = server.cli("INCRBY", "c", "x")
    assert "ERR value is not an integer or out of range" in out.stdout


# ---------------------------------------------------------------- INCRBYFLOAT


@pytest.mark.parametrize("initial, incr, expected", [
    (None, "10.5", "10.5"),
    ("10.50", "0.1", "10.6"),
    ("10.6", "-5", "5.6"),
    ("5.0e3", "2.0e2", "5200"),
    ("3.0e3", "1", "3001"),
    ("10", "5", "15"),
    ("1", "-1", "0"),
    (None, "-0.0", "0"),
    ("0.1", "0.2", "0.3"),
    ("1.5", "1.5", "3"),
    ("-1.25", "0", "-1.25"),
    ("100", "1e-3", "100.001"),
    ("17179869184", "1.5", "17179869185.5"),
    (None, "1e20", "100000000000000000000"),
    ("0x10", "1", "17"),
    ("1", "+2", "3"),
    ("1.", "1", "2"),
    (".5", ".25", "0.75"),
    ("-7", "-0.5", "-7.5"),
])
def test_incrbyfloat_results(server, r, initial, incr, expected):
    if initial is not None:
        r.set("f", initial)
    assert raw(server, "INCRBYFLOAT", "f", incr) == expected.encode()
    assert r.get("f") == expected


def test_incrbyfloat_big_exponents(server, r):
    # Redis computes with long double and prints in fixed-point notation, without an exponent.
    assert raw(server, "INCRBYFLOAT", "f", "1e30") == b"1000000000000000000024696061952"
    assert raw(server, "INCRBYFLOAT", "g", "1.5e-5") == b"0.000015"
    assert raw(server, "INCRBYFLOAT", "h", "1e-20") == b"0"
    assert r.exists("h") == 1
    assert raw(server, "INCRBYFLOAT", "p", "123456789.123456789") == \
        b"123456789.12345678899873747"
    assert raw(server, "INCRBYFLOAT", "e", "1e300") == (
        b"1000000000000000000008997324079559193870523944273290747938260082321265646596180935"
        b"755849152083750497190350372508614274835903592556184672983913096260520748646287327"
        b"135641843653294084255107606016789726652932370030551382947620994540294772781889620"
        b"606179267611627097410650567187386105690089424915104006144")
    assert len(r.get("e")) == 301


def test_incrbyfloat_keeps_ttl_and_encoding(server, r):
    r.set("f", "1.5", ex=100)
    assert raw(server, "INCRBYFLOAT", "f", "1") == b"2.5"
    assert 99 <= r.ttl("f") <= 100
    assert r.object("encoding", "f") == "embstr"


@pytest.mark.parametrize("value", ["abc", "1.5.5", " 1.5", "1.5 ", "", "nan", "1e5000",
                                   "1,5"])
def test_incrbyfloat_invalid_value(r, value):
    r.set("f", value)
    assert err(r, "INCRBYFLOAT", "f", "1") == NOT_FLOAT
    assert r.get("f") == value


@pytest.mark.parametrize("incr", ["abc", "nan", "NaN", "", " 1", "1e5000", "--1"])
def test_incrbyfloat_invalid_increment(r, incr):
    r.set("f", "1")
    assert err(r, "INCRBYFLOAT", "f", incr) == NOT_FLOAT
    assert r.get("f") == "1"


def test_incrbyfloat_nan_or_infinity(r):
    r.set("f", "1")
    assert err(r, "INCRBYFLOAT", "f", "inf") == "increment would produce NaN or Infinity"
    assert err(r, "INCRBYFLOAT", "f", "-inf") == "increment would produce NaN or Infinity"
    assert r.get("f") == "1"
    r.set("i", "inf")
    assert err(r, "INCRBYFLOAT", "i", "1") == "increment would produce NaN or Infinity"
    assert err(r, "INCRBYFLOAT", "i", "-inf") == "increment would produce NaN or Infinity"
    assert err(r, "INCRBYFLOAT", "new", "inf") == "increment would produce NaN or Infinity"
    assert r.exists("new") == 0


def test_incrbyfloat_redis_cli(server):
    assert server.cli("INCRBYFLOAT", "f", "3.0e3").stdout.strip() == "3000"
    assert server.cli("INCRBYFLOAT", "f", "1").stdout.strip() == "3001"
    out = server.cli("INCRBYFLOAT", "f", "nan")
    assert "ERR value is not a valid float" in out.stdout


# ---------------------------------------------------------------- GETRANGE SUBSTR


@pytest.mark.parametrize("cmd", ["GETRANGE", "SUBSTR"])
def test_getrange(r, cmd):
    r.set("k", "This is a string")
    cases = [
        (0, 3, "This"), (-3, -1, "ing"), (0, -1, "This is a string"), (10, 100, "string"),
        (5, 3, ""), (-1, -5, ""), (100, 200, ""), (-100, 3, "This"), (0, 0, "T"),
        (-1, -1, "g"), (15, 15, "g"), (16, 16, ""), (-100, -50, "T"),
        (0, 9223372036854775807, "This is a string"), (-9223372036854775808, 1, "Th"),
    ]
    for start, end, expected in cases:
        assert r.execute_command(cmd, "k", start, end) == expected, (start, end)
    assert r.execute_command(cmd, "missing", 0, -1) == ""
    r.set("empty", "")
    assert r.execute_command(cmd, "empty", 0, -1) == ""
    r.set("n", 1234)
    assert r.execute_command(cmd, "n", 1, 2) == "23"
    assert r.execute_command(cmd, "n", -2, -1) == "34"
    assert err(r, cmd, "k", "a", "1") == NOT_INT
    assert err(r, cmd, "k", "0", "1.5") == NOT_INT
    assert err(r, cmd, "k", "0") == f"wrong number of arguments for '{cmd.lower()}' command"


# ---------------------------------------------------------------- SETRANGE


def test_setrange(rb):
    assert rb.execute_command("SETRANGE", "k", 0, "Hello World") == 11
    assert rb.execute_command("SETRANGE", "k", 6, "Redis") == 11
    assert rb.get("k") == b"Hello Redis"
    assert rb.execute_command("SETRANGE", "k", 11, "!!") == 13
    assert rb.get("k") == b"Hello Redis!!"
    # Padding with zero bytes.
    assert rb.execute_command("SETRANGE", "p", 5, "x") == 6
    assert rb.get("p") == b"\x00\x00\x00\x00\x00x"
    assert rb.execute_command("SETRANGE", "k", 15, "end") == 18
    assert rb.get("k") == b"Hello Redis!!\x00\x00end"
    # Empty value: missing key is not created; existing key reports its length.
    assert rb.execute_command("SETRANGE", "none", 10, "") == 0
    assert rb.exists("none") == 0
    assert rb.execute_command("SETRANGE", "none", 1000000000000, "") == 0
    assert rb.execute_command("SETRANGE", "k", 100, "") == 18
    assert rb.get("k") == b"Hello Redis!!\x00\x00end"
    # Works on integer-encoded values.
    rb.set("n", 1234)
    assert rb.execute_command("SETRANGE", "n", 1, "99") == 4
    assert rb.get("n") == b"1994"
    assert rb.incr("n") == 1995


def test_setrange_keeps_ttl(r):
    r.set("k", "abc", ex=100)
    r.setrange("k", 1, "X")
    assert r.get("k") == "aXc"
    assert 99 <= r.ttl("k") <= 100


def test_setrange_errors(r):
    r.set("k", "abc")
    assert err(r, "SETRANGE", "k", "-1", "x") == "offset is out of range"
    assert err(r, "SETRANGE", "missing", "-1", "x") == "offset is out of range"
    assert err(r, "SETRANGE", "k", "abc", "x") == NOT_INT
    too_big = "string exceeds maximum allowed size (proto-max-bulk-len)"
    assert err(r, "SETRANGE", "k", "536870912", "x") == too_big
    assert err(r, "SETRANGE", "k", "536870911", "xy") == too_big
    assert err(r, "SETRANGE", "missing", "9999999999", "x") == too_big
    assert err(r, "SETRANGE", "missing", "9223372036854775807", "x") == too_big
    assert r.exists("missing") == 0
    assert r.get("k") == "abc"


# ---------------------------------------------------------------- LCS


def lcs_len(a, b):
    prev = [0] * (len(b) + 1)
    for ca in a:
        cur = [0]
        for j, cb in enumerate(b):
            cur.append(prev[j] + 1 if ca == cb else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def is_subsequence(sub, s):
    it = iter(s)
    return all(ch in it for ch in sub)


def test_lcs_docs_example(r):
    r.mset({"key1": "ohmytext", "key2": "mynewtext"})
    assert r.execute_command("LCS", "key1", "key2") == "mytext"
    assert r.execute_command("LCS", "key1", "key2", "LEN") == 6
    assert r.execute_command("LCS", "key1", "key2", "IDX") == \
        ["matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], "len", 6]
    assert r.execute_command("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4") == \
        ["matches", [[[4, 7], [5, 8]]], "len", 6]
    assert r.execute_command("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4",
                             "WITHMATCHLEN") == ["matches", [[[4, 7], [5, 8], 4]], "len", 6]
    assert r.execute_command("LCS", "key1", "key2", "IDX", "WITHMATCHLEN") == \
        ["matches", [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]], "len", 6]
    assert r.execute_command("LCS", "key1", "key2", "idx", "minmatchlen", "-5") == \
        ["matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], "len", 6]
    assert r.execute_command("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "100") == \
        ["matches", [], "len", 6]
    # WITHMATCHLEN / MINMATCHLEN without IDX do not change the plain reply.
    assert r.execute_command("LCS", "key1", "key2", "WITHMATCHLEN") == "mytext"
    assert r.execute_command("LCS", "key1", "key2", "LEN", "MINMATCHLEN", "3") == 6


def test_lcs_missing_and_empty(r):
    r.set("a", "hello")
    assert r.execute_command("LCS", "a", "missing") == ""
    assert r.execute_command("LCS", "missing", "missing2", "LEN") == 0
    assert r.execute_command("LCS", "a", "missing", "IDX") == ["matches", [], "len", 0]
    assert r.execute_command("LCS", "a", "a") == "hello"
    assert r.execute_command("LCS", "a", "a", "IDX") == ["matches", [[[0, 4], [0, 4]]], "len", 5]
    r.set("n1", 12345)
    r.set("n2", 2468)
    assert r.execute_command("LCS", "n1", "n2") == "24"


def test_lcs_random_against_dp(r):
    rnd = random.Random(1234)
    for i in range(60):
        a = "".join(rnd.choice("abc") for _ in range(rnd.randint(0, 30)))
        b = "".join(rnd.choice("abcd") for _ in range(rnd.randint(0, 30)))
        r.mset({"x": a, "y": b})
        expected = lcs_len(a, b)
        s = r.execute_command("LCS", "x", "y")
        assert len(s) == expected, (a, b, s)
        assert is_subsequence(s, a) and is_subsequence(s, b), (a, b, s)
        assert r.execute_command("LCS", "x", "y", "LEN") == expected
        reply = r.execute_command("LCS", "x", "y", "IDX", "WITHMATCHLEN")
        assert reply[0] == "matches" and reply[2] == "len" and reply[3] == expected
        total = 0
        for (a0, a1), (b0, b1), ln in reply[1]:
            assert a1 - a0 + 1 == ln == b1 - b0 + 1
            assert a[a0:a1 + 1] == b[b0:b1 + 1]
            total += ln
        assert total == expected


def test_lcs_errors(r):
    r.mset({"a": "x", "b": "y"})
    assert err(r, "LCS", "a", "b", "LEN", "IDX") == \
        "If you want both the length and indexes, please just use IDX."
    assert err(r, "LCS", "a", "b", "FOO") == SYNTAX
    assert err(r, "LCS", "a", "b", "MINMATCHLEN") == SYNTAX
    assert err(r, "LCS", "a", "b", "IDX", "MINMATCHLEN", "x") == NOT_INT
    assert err(r, "LCS", "a") == "wrong number of arguments for 'lcs' command"


# ---------------------------------------------------------------- OBJECT ENCODING


@pytest.mark.parametrize("value, encoding", [
    ("0", "int"), ("1", "int"), ("123", "int"), ("-123", "int"), ("9999", "int"),
    ("10000", "int"), ("9223372036854775807", "int"), ("-9223372036854775808", "int"),
    ("9223372036854775808", "embstr"), ("12345678901234567890", "embstr"),
    ("01", "embstr"), ("-0", "embstr"), ("+1", "embstr"), (" 1", "embstr"),
    ("1.5", "embstr"), ("1e3", "embstr"), ("hello", "embstr"), ("", "embstr"),
    ("a" * 44, "embstr"), ("a" * 45, "raw"), ("1" * 44, "embstr"), ("x" * 1000, "raw"),
])
def test_object_encoding_of_set_values(r, value, encoding):
    r.set("k", value)
    assert r.object("encoding", "k") == encoding
    assert r.get("k") == value


def test_object_encoding_after_modifications(r):
    r.set("k", "hello")
    assert r.object("encoding", "k") == "embstr"
    r.append("k", "x")
    assert r.object("encoding", "k") == "raw"
    r.set("n", "12")
    r.append("n", "3")
    assert r.object("encoding", "n") == "raw"
    assert r.get("n") == "123"
    # INCR turns it back into an integer.
    r.incr("n")
    assert r.object("encoding", "n") == "int"
    r.set("s", "abc")
    r.setrange("s", 1, "z")
    assert r.object("encoding", "s") == "raw"
    r.set("f", "1")
    r.incrbyfloat("f", "0.5")
    assert r.object("encoding", "f") == "embstr"
    r.incrbyfloat("f", "0.5")
    assert r.get("f") == "2"
    assert r.object("encoding", "f") == "embstr"
    # Values set by other commands are encoded as SET does.
    r.mset({"m1": "42", "m2": "x"})
    assert r.object("encoding", "m1") == "int"
    assert r.object("encoding", "m2") == "embstr"
    r.setex("e", 100, "77")
    assert r.object("encoding", "e") == "int"
    r.setnx("nx", "88")
    assert r.object("encoding", "nx") == "int"
    r.getset("nx", "abc")
    assert r.object("encoding", "nx") == "embstr"
    r.append("fresh", "123")
    assert r.object("encoding", "fresh") == "int"
    r.append("fresh2", "a" * 50)
    assert r.object("encoding", "fresh2") == "raw"
    assert r.object("encoding", "missing") is None


# ---------------------------------------------------------------- binary safety


def test_binary_keys_and_values(rb):
    keys = [b"a\x00b", b"\r\n", b"\x00", b"x\ny\rz", b"\xff\xfe", b"a\x00c"]
    for i, k in enumerate(keys):
        v = b"v\x00\r\n" + bytes([i]) + b"\xff"
        assert rb.set(k, v) is True
        assert rb.get(k) == v
        assert rb.strlen(k) == len(v)
    assert rb.get(b"a") is None
    assert rb.get(b"a\x00") is None
    assert rb.exists(*keys) == len(keys)
    assert sorted(rb.keys(b"a\x00*")) == [b"a\x00b", b"a\x00c"]
    assert rb.dbsize() == len(keys)
    assert rb.delete(b"\x00") == 1
    assert rb.get(b"\x00") is None
    assert rb.get(b"a\x00b") == b"v\x00\r\n\x00\xff"


def test_binary_string_commands(server, rb):
    assert rb.append(b"k\x00", b"\x00\r\n") == 3
    assert rb.append(b"k\x00", b"\x00") == 4
    assert rb.get(b"k\x00") == b"\x00\r\n\x00"
    assert rb.getrange(b"k\x00", 1, 2) == b"\r\n"
    assert rb.setrange(b"k\x00", 2, b"\x00\x00\x00") == 5
    assert rb.get(b"k\x00") == b"\x00\r\x00\x00\x00"
    assert rb.mset({b"m\r\n1": b"\x00a", b"m\r\n2": b"\r\nb"}) is True
    assert rb.mget(b"m\r\n1", b"m\r\n2", b"m\r\n3") == [b"\x00a", b"\r\nb", None]
    assert rb.execute_command("GETDEL", b"m\r\n1") == b"\x00a"
    rb.set(b"l1", b"a\x00b\x00c")
    rb.set(b"l2", b"\x00\x00bc")
    assert rb.execute_command("LCS", b"l1", b"l2") == b"\x00\x00c"
    rb.set(b"crlf", b"*1\r\n$4\r\nPING\r\n")
    assert rb.get(b"crlf") == b"*1\r\n$4\r\nPING\r\n"
    assert raw(server, "SET", b"\x00\n", b"x", "GET") is None
    assert raw(server, "SET", b"\x00\n", b"y\x00", "GET") == b"x"
    assert rb.get(b"\x00\n") == b"y\x00"


def test_large_binary_value(rb):
    data = bytes(range(256)) * 4096  # 1 MiB with every byte value
    assert rb.set(b"big", data) is True
    assert rb.get(b"big") == data
    assert rb.strlen(b"big") == len(data)
    assert rb.getrange(b"big", 256 * 100 + 10, 256 * 100 + 13) == bytes([10, 11, 12, 13])
    assert rb.object("encoding", b"big") == b"raw"
