"""List commands and blocking commands with real clients: LPUSH/RPUSH/LPUSHX/RPUSHX, LPOP/RPOP
with and without a count (count 0, missing keys: nil vs null array, RESP2 and RESP3 bytes),
LLEN, LINDEX, LINSERT, LPOS (RANK/COUNT/MAXLEN and their errors), LRANGE, LREM, LSET, LTRIM,
LMOVE, RPOPLPUSH, LMPOP; the blocking commands BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN
BZPOPMAX BZMPOP (served at once, served later by another client in FIFO order, several keys,
keys arriving from another database through MOVE/SWAPDB, a key that becomes a string, chains of
BLMOVE, timeouts and their errors, CLIENT UNBLOCK, INFO blocked_clients, CLIENT LIST flags=b,
disconnects, pipelined commands behind a blocked one, INFO commandstats of blocked commands);
WRONGTYPE and arity errors, 10k-element lists, long (larger than a node) and binary values,
list-max-listpack-size / list-max-ziplist-size and list-compress-depth (OBJECT ENCODING is
always "quicklist" in 7.0), plain nodes (DEBUG QUICKLIST-PACKED-THRESHOLD), DEBUG DIGEST-VALUE
equality with a real redis-server, and random command sequences replayed side by side on
Tessera and redis-server with every reply compared."""
import os
import random
import socket
import threading
import time

import pytest

from resp import ErrorReply, RawConnection
from helpers import error_text, wait_until, assert_same_digests, ZERO_DIGEST

SYNTAX = "ERR syntax error"
NOT_INT = "ERR value is not an integer or out of range"
MUST_BE_POSITIVE = "ERR value is out of range, must be positive"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
RANK_ZERO = ("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
             "or use negative to start from the end of the list")
COUNT_NEG = "ERR COUNT can't be negative"
MAXLEN_NEG = "ERR MAXLEN can't be negative"
NUMKEYS_ZERO = "ERR numkeys should be greater than 0"
COUNT_ZERO = "ERR count should be greater than 0"
INDEX_RANGE = "ERR index out of range"
NO_SUCH_KEY = "ERR no such key"
TIMEOUT_NEG = "ERR timeout is negative"
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"
UNBLOCKED = "UNBLOCKED client unblocked via CLIENT UNBLOCK"
BINARY = [b"\x00", b"a\x00b", b"\r\n", b"x\r\ny", b"\r\n\r\n$3\r\nfoo\r\n", b"", bytes(range(256)),
          b"\xff\xfe", b"*1\r\n$1\r\na\r\n", b"\x00" * 100]


def dec(v):
    """Decodes the bytes of a raw reply (recursively); errors and numbers stay as they are."""
    if isinstance(v, bytes):
        return v.decode("utf-8", "surrogateescape")
    if isinstance(v, list):
        return [dec(x) for x in v]
    if isinstance(v, dict):
        return {dec(k): dec(x) for k, x in v.items()}
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

    def bytes_of(self, *args):
        """The exact bytes of the reply to one command."""
        return reply_bytes(self.conn, *args)


def reply_bytes(conn, *args):
    """Sends a command and returns the exact bytes of its reply (which must be the only data
    the server sends)."""
    assert conn.buf == b""
    received = []
    fill = conn._fill

    def recording_fill():
        before = len(conn.buf)
        fill()
        received.append(conn.buf[before:])

    conn._fill = recording_fill
    try:
        conn.send_command(*args)
        conn.read()
    finally:
        conn._fill = fill
    assert conn.buf == b"", "more than one reply"
    return b"".join(received)


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


@pytest.fixture
def conns(server):
    """Factory of extra raw connections (optionally RESP3 / another db); closed afterwards."""
    opened = []

    def make(proto=2, db=0, timeout=5):
        conn = server.raw(timeout=timeout)
        opened.append(conn)
        if proto == 3:
            hello = conn.command("HELLO", "3")
            assert isinstance(hello, dict) and hello[b"proto"] == 3, hello
        if db:
            assert conn.command("SELECT", str(db)) == "OK"
        return conn

    yield make
    for conn in opened:
        try:
            conn.close()
        except OSError:
            pass


def blocked_clients(r):
    return r.info("clients")["blocked_clients"]


def wait_blocked(r, n):
    assert wait_until(lambda: blocked_clients(r) == n, 5), \
        f"expected {n} blocked clients, INFO says {blocked_clients(r)}"


def block(conns, r, *args, proto=2, db=0):
    """A new connection that sent a blocking command and is blocked now (checked with INFO)."""
    before = blocked_clients(r)
    conn = conns(proto=proto, db=db)
    conn.client_id = client_id(conn)
    conn.send_command(*args)
    wait_blocked(r, before + 1)
    return conn


def no_reply(conn, wait=0.2):
    """True if nothing arrives on the connection for `wait` seconds (and it stays open)."""
    if conn.buf:
        return False
    conn.sock.settimeout(wait)
    try:
        data = conn.sock.recv(65536)
    except socket.timeout:
        return True
    finally:
        conn.sock.settimeout(5)
    conn.buf += data
    return False


def read_exact(conn, want):
    """Reads len(want) bytes from the connection and checks they are `want`."""
    while len(conn.buf) < len(want):
        conn._fill()
    got, conn.buf = conn.buf[:len(want)], conn.buf[len(want):]
    assert got == want
    return got


def comparable(v):
    """Error replies compare by message (exceptions compare by identity)."""
    if isinstance(v, ErrorReply):
        return ("error", v.message)
    if isinstance(v, (list, tuple)):
        return type(v)(comparable(x) for x in v)
    return v


def check_cases(cases, run):
    """Runs run(*case) -> (got, want) for every case; fails listing every mismatch."""
    bad = []
    for case in cases:
        got, want = (comparable(v) for v in run(*case))
        if got != want:
            bad.append(f"{case!r}: got {got!r}, want {want!r}")
    assert not bad, "\n".join(bad)


def client_id(conn):
    return conn.command("CLIENT", "ID")


def lrange_model(items, start, stop):
    n = len(items)
    if start < 0:
        start += n
    if stop < 0:
        stop += n
    if start < 0:
        start = 0
    if start > stop or start >= n:
        return []
    if stop >= n:
        stop = n - 1
    return items[start:stop + 1]


def lrem_model(items, count, value):
    out = list(items)
    removed = 0
    if count >= 0:
        i = 0
        while i < len(out):
            if out[i] == value and (count == 0 or removed < count):
                del out[i]
                removed += 1
            else:
                i += 1
    else:
        i = len(out) - 1
        while i >= 0:
            if out[i] == value and removed < -count:
                del out[i]
                removed += 1
            i -= 1
    return out, removed


# ---------------------------------------------------------------- LPUSH RPUSH LPUSHX RPUSHX


def test_lpush_rpush_order_and_length(r):
    assert r.rpush("l", "a") == 1
    assert r.rpush("l", "b", "c") == 3
    assert r.lpush("l", "x") == 4
    # LPUSH of several values pushes them one by one: the last ends up first.
    assert r.lpush("l", "1", "2", "3") == 7
    assert r.lrange("l", 0, -1) == ["3", "2", "1", "x", "a", "b", "c"]
    assert r.llen("l") == 7
    assert r.type("l") == "list"
    # Duplicates and the empty string are ordinary elements.
    assert r.rpush("l", "", "", "a") == 10
    assert r.lrange("l", -3, -1) == ["", "", "a"]


def test_pushx_only_on_existing_lists(c, r):
    assert c("LPUSHX", "l", "a") == 0
    assert c("RPUSHX", "l", "a", "b") == 0
    assert r.exists("l") == 0
    r.rpush("l", "m")
    assert c("LPUSHX", "l", "a", "b") == 3
    assert c("RPUSHX", "l", "y", "z") == 5
    assert r.lrange("l", 0, -1) == ["b", "a", "m", "y", "z"]


def test_integer_looking_elements_round_trip(r):
    values = ["007", "-0", " 1", "1 ", "+1", "0x10", "1e3", "12345678901234567890",
              "-9223372036854775808", "9223372036854775807", "9223372036854775808", "0", "-1",
              "3.0", "18446744073709551615", "-9223372036854775809", "1" * 30]
    r.rpush("l", *values)
    assert r.lrange("l", 0, -1) == values
    assert [r.lindex("l", i) for i in range(len(values))] == values
    for i, v in enumerate(values):
        assert r.lpos("l", v) == i
    assert r.execute_command("LPOS", "l", "-1", "COUNT", "0") == [12]
    assert r.lrem("l", 0, "0") == 1
    assert r.lpop("l", 100) == [v for v in values if v != "0"]


def test_push_to_emptied_key_starts_fresh(r):
    r.rpush("l", "a")
    r.expire("l", 1000)
    assert r.lpop("l") == "a"
    assert r.exists("l") == 0
    r.rpush("l", "b")
    assert r.ttl("l") == -1
    assert r.lrange("l", 0, -1) == ["b"]


# ---------------------------------------------------------------- LPOP RPOP


def test_pop_without_count(c, r):
    r.rpush("l", "a", "b", "c")
    assert c("LPOP", "l") == "a"
    assert c("RPOP", "l") == "c"
    assert c("LPOP", "l") == "b"
    assert r.exists("l") == 0
    assert c("LPOP", "l") is None
    assert c("RPOP", "l") is None


def test_pop_with_count(c, r):
    r.rpush("l", *"abcdefg")
    assert c("LPOP", "l", "1") == ["a"]
    assert c("RPOP", "l", "2") == ["g", "f"]
    assert c("LPOP", "l", "0") == []
    assert c("RPOP", "l", "0") == []
    assert r.llen("l") == 4
    # A count above the length returns everything and deletes the key.
    assert c("RPOP", "l", "100") == ["e", "d", "c", "b"]
    assert r.exists("l") == 0
    r.rpush("l", "x", "y")
    assert c("LPOP", "l", "9223372036854775807") == ["x", "y"]
    assert r.exists("l") == 0


def test_pop_count_replies_exact_bytes_resp2(c, r):
    r.rpush("l", "a", "b")
    assert c.bytes_of("LPOP", "l", "0") == b"*0\r\n"
    assert c.bytes_of("RPOP", "l", "0") == b"*0\r\n"
    assert c.bytes_of("LPOP", "l", "1") == b"*1\r\n$1\r\na\r\n"
    assert c.bytes_of("LPOP", "missing") == b"$-1\r\n"
    assert c.bytes_of("RPOP", "missing") == b"$-1\r\n"
    assert c.bytes_of("LPOP", "missing", "0") == b"*-1\r\n"
    assert c.bytes_of("RPOP", "missing", "0") == b"*-1\r\n"
    assert c.bytes_of("LPOP", "missing", "2") == b"*-1\r\n"
    assert c.bytes_of("RPOP", "missing", "2") == b"*-1\r\n"
    assert c.bytes_of("RPOP", "l", "5") == b"*1\r\n$1\r\nb\r\n"
    assert c.bytes_of("RPOP", "l", "5") == b"*-1\r\n"


def test_pop_count_replies_exact_bytes_resp3(c3, r):
    r.rpush("l", "a", "b")
    assert c3.bytes_of("LPOP", "l", "0") == b"*0\r\n"
    assert c3.bytes_of("LPOP", "missing") == b"_\r\n"
    assert c3.bytes_of("RPOP", "missing") == b"_\r\n"
    assert c3.bytes_of("LPOP", "missing", "0") == b"_\r\n"
    assert c3.bytes_of("RPOP", "missing", "3") == b"_\r\n"
    assert c3.bytes_of("LPOP", "l") == b"$1\r\na\r\n"
    assert c3.bytes_of("RPOP", "l", "3") == b"*1\r\n$1\r\nb\r\n"


def test_pop_with_count_redis_py(r):
    assert r.lpop("missing", 3) is None
    assert r.rpop("missing") is None
    r.rpush("l", "a", "b", "c")
    assert r.lpop("l", 2) == ["a", "b"]
    assert r.rpop("l", 2) == ["c"]
    assert r.lpop("l", 2) is None


@pytest.mark.parametrize("cmd", ["LPOP", "RPOP"])
def test_pop_count_errors(c, r, cmd):
    r.rpush("l", "a")
    counts = ["-1", "x", "1.5", "", "-9223372036854775808", "9223372036854775808", " 1", "+1"]
    # Also on a missing key: the count is parsed first.
    check_cases([(cmd, key, count) for count in counts for key in ("l", "missing")],
                lambda *args: (c(*args), ErrorReply(MUST_BE_POSITIVE)))
    assert r.lrange("l", 0, -1) == ["a"]


def test_pop_too_many_arguments(c, r):
    r.rpush("l", "a")
    assert c.err("LPOP", "l", "1", "2") == "ERR wrong number of arguments for 'lpop' command"
    assert c.err("RPOP", "l", "1", "2") == "ERR wrong number of arguments for 'rpop' command"
    assert r.llen("l") == 1


# ---------------------------------------------------------------- LLEN LINDEX


def test_llen(c, r):
    assert c("LLEN", "missing") == 0
    r.rpush("l", *range(300))
    assert c("LLEN", "l") == 300


def test_lindex(c, r):
    r.rpush("l", *"abcde")
    cases = [("0", "a"), ("4", "e"), ("5", None), ("-1", "e"), ("-5", "a"), ("-6", None),
             ("100", None), ("-100", None), ("9223372036854775807", None),
             ("-9223372036854775808", None), ("3", "d")]
    check_cases(cases, lambda index, want: (c("LINDEX", "l", index), want))


def test_lindex_invalid_index(c, r):
    r.rpush("l", "a")
    indexes = ["x", "1.0", "", " 1", "9223372036854775808", "0x1", "+2", "02", "-0"]
    check_cases([(i,) for i in indexes],
                lambda index: (c("LINDEX", "l", index), ErrorReply(NOT_INT)))
    # On a missing key the index is never parsed.
    check_cases([(i,) for i in indexes], lambda index: (c("LINDEX", "missing", index), None))


def test_lindex_missing_key(c):
    assert c("LINDEX", "missing", "0") is None
    assert c.bytes_of("LINDEX", "missing", "0") == b"$-1\r\n"


# ---------------------------------------------------------------- LINSERT


def test_linsert(c, r):
    r.rpush("l", "a", "b", "c", "b")
    assert c("LINSERT", "l", "BEFORE", "b", "X") == 5
    assert c("LINSERT", "l", "after", "b", "Y") == 6
    assert c("LINSERT", "l", "Before", "a", "first") == 7
    assert c("LINSERT", "l", "AFTER", "b", "Z") == 8
    # Only the first occurrence of the pivot counts.
    assert r.lrange("l", 0, -1) == ["first", "a", "X", "b", "Z", "Y", "c", "b"]
    assert c("LINSERT", "l", "AFTER", "nope", "x") == -1
    assert c("LINSERT", "l", "AFTER", "B", "x") == -1
    assert c("LINSERT", "missing", "AFTER", "a", "x") == 0
    assert r.exists("missing") == 0
    # The last element as a pivot.
    r.rpush("m", "p")
    assert c("LINSERT", "m", "AFTER", "p", "q") == 2
    assert r.lrange("m", 0, -1) == ["p", "q"]


def test_linsert_errors(c, r):
    r.rpush("l", "a")
    assert c.err("LINSERT", "l", "MIDDLE", "a", "x") == SYNTAX
    assert c.err("LINSERT", "missing", "MIDDLE", "a", "x") == SYNTAX
    assert c.err("LINSERT", "l", "BEFORE", "a") == \
        "ERR wrong number of arguments for 'linsert' command"
    assert r.lrange("l", 0, -1) == ["a"]


# ---------------------------------------------------------------- LPOS


@pytest.fixture
def pos(c, r):
    r.rpush("l", "a", "b", "c", "a", "b", "a", "c", "a")
    return c


LPOS_CASES = [
    ((), 0),
    (("RANK", "1"), 0),
    (("RANK", "2"), 3),
    (("RANK", "4"), 7),
    (("RANK", "5"), None),
    (("RANK", "-1"), 7),
    (("RANK", "-2"), 5),
    (("RANK", "-4"), 0),
    (("RANK", "-5"), None),
    (("COUNT", "0"), [0, 3, 5, 7]),
    (("COUNT", "2"), [0, 3]),
    (("COUNT", "100"), [0, 3, 5, 7]),
    (("COUNT", "2", "RANK", "2"), [3, 5]),
    (("RANK", "-1", "COUNT", "2"), [7, 5]),
    (("RANK", "-2", "COUNT", "0"), [5, 3, 0]),
    (("RANK", "9", "COUNT", "0"), []),
    (("MAXLEN", "4"), 0),
    (("MAXLEN", "4", "COUNT", "0"), [0, 3]),
    (("MAXLEN", "3", "RANK", "2"), None),
    (("MAXLEN", "1", "RANK", "-1"), 7),
    (("MAXLEN", "2", "RANK", "-1", "COUNT", "0"), [7]),
    (("MAXLEN", "0", "COUNT", "0"), [0, 3, 5, 7]),
    (("rank", "1", "rank", "-1"), 7),
    (("count", "1", "maxlen", "8", "COUNT", "3"), [0, 3, 5]),
    (("RANK", "-9223372036854775807"), None),
    (("RANK", "9223372036854775807", "COUNT", "0"), []),
    (("COUNT", "9223372036854775807", "MAXLEN", "9223372036854775807"), [0, 3, 5, 7]),
]


def test_lpos(pos):
    check_cases(LPOS_CASES, lambda args, want: (pos("LPOS", "l", "a", *args), want))


def test_lpos_rank_long_min(pos):
    """Redis 7.0 accepts RANK -9223372036854775808 (negating it overflows and the first match
    from the tail is returned); 7.2 refuses it."""
    assert pos("LPOS", "l", "a", "RANK", "-9223372036854775808") == 7
    assert pos("LPOS", "l", "b", "RANK", "-9223372036854775808") == 4
    assert pos("LPOS", "l", "a", "RANK", "-9223372036854775808", "COUNT", "0") == [7, 5, 3, 0]


def test_lpos_other_elements_and_missing(pos):
    assert pos("LPOS", "l", "c") == 2
    assert pos("LPOS", "l", "c", "RANK", "-1") == 6
    assert pos("LPOS", "l", "zz") is None
    assert pos("LPOS", "l", "zz", "COUNT", "1") == []
    assert pos("LPOS", "missing", "a") is None
    assert pos("LPOS", "missing", "a", "COUNT", "0") == []
    assert pos.bytes_of("LPOS", "missing", "a") == b"$-1\r\n"
    assert pos.bytes_of("LPOS", "missing", "a", "COUNT", "5") == b"*0\r\n"
    assert pos.bytes_of("LPOS", "l", "zz", "COUNT", "0") == b"*0\r\n"
    assert pos.bytes_of("LPOS", "l", "a", "COUNT", "2") == b"*2\r\n:0\r\n:3\r\n"


def test_lpos_resp3(c3, r):
    r.rpush("l", "a", "b", "a")
    assert c3.bytes_of("LPOS", "l", "zz") == b"_\r\n"
    assert c3.bytes_of("LPOS", "missing", "a") == b"_\r\n"
    assert c3.bytes_of("LPOS", "l", "a", "COUNT", "0") == b"*2\r\n:0\r\n:2\r\n"
    assert c3.bytes_of("LPOS", "l", "zz", "COUNT", "0") == b"*0\r\n"


LPOS_ERRORS = [
    (("RANK", "0"), RANK_ZERO),
    (("RANK", "x"), NOT_INT),
    (("RANK", "1.5"), NOT_INT),
    (("RANK", "9223372036854775808"), NOT_INT),
    (("COUNT", "-1"), COUNT_NEG),
    (("COUNT", "x"), COUNT_NEG),
    (("COUNT", "-9223372036854775808"), COUNT_NEG),
    (("MAXLEN", "-1"), MAXLEN_NEG),
    (("MAXLEN", "x"), MAXLEN_NEG),
    (("RANK",), SYNTAX),
    (("COUNT",), SYNTAX),
    (("MAXLEN",), SYNTAX),
    (("FOO", "1"), SYNTAX),
    (("RANK", "1", "FOO"), SYNTAX),
    (("RANK", "1", "COUNT"), SYNTAX),
    (("RANK", "0", "COUNT", "-1"), RANK_ZERO),
    (("COUNT", "-1", "RANK", "0"), COUNT_NEG),
]


def test_lpos_errors(pos):
    # The options are checked before the key is looked up.
    check_cases([(key, args, message) for args, message in LPOS_ERRORS
                 for key in ("l", "missing")],
                lambda key, args, message: (pos("LPOS", key, "a", *args), ErrorReply(message)))


# ---------------------------------------------------------------- LRANGE LTRIM


RANGES = [
    (0, -1), (0, 0), (-1, -1), (-100, 100), (2, 1), (5, 100), (6, 10), (7, 10), (100, 200),
    (-3, -2), (3, -100), (-100, -50), (1, 3), (-7, 2), (0, 9223372036854775807),
    (-9223372036854775808, 2), (-9223372036854775808, 9223372036854775807), (3, 3), (6, 6),
]


def test_lrange(c, r):
    items = list("abcdefg")
    r.rpush("l", *items)
    check_cases(RANGES, lambda start, stop: (c("LRANGE", "l", str(start), str(stop)),
                                             lrange_model(items, start, stop)))


def test_ltrim(c, r):
    items = list("abcdefg")

    def run(start, stop):
        r.delete("l")
        r.rpush("l", *items)
        reply = c("LTRIM", "l", str(start), str(stop))
        want = lrange_model(items, start, stop)
        return (reply, r.lrange("l", 0, -1), r.exists("l")), ("OK", want, 1 if want else 0)

    check_cases(RANGES, run)


def test_lrange_ltrim_missing_key(c, r):
    assert c("LRANGE", "missing", "0", "-1") == []
    assert c.bytes_of("LRANGE", "missing", "0", "-1") == b"*0\r\n"
    assert c("LTRIM", "missing", "0", "1") == "OK"
    assert r.exists("missing") == 0


def test_lrange_ltrim_invalid_indexes(c, r):
    r.rpush("l", "a", "b")
    # The indexes are parsed before the key is looked up.
    cases = [(cmd, key, start, stop) for cmd in ("LRANGE", "LTRIM") for key in ("l", "missing")
             for start, stop in [("x", "1"), ("0", "y"), ("1.5", "2"), ("", "1"),
                                 ("0", "9223372036854775808")]]
    check_cases(cases, lambda *args: (c(*args), ErrorReply(NOT_INT)))
    assert r.lrange("l", 0, -1) == ["a", "b"]


def test_lrange_resp3_is_array(c3, r):
    r.rpush("l", "a", "b")
    assert c3.bytes_of("LRANGE", "l", "0", "-1") == b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    assert c3.bytes_of("LRANGE", "missing", "0", "-1") == b"*0\r\n"


# ---------------------------------------------------------------- LREM LSET


def test_lrem(c, r):
    items = ["a", "b", "a", "c", "a", "b", "a"]

    def run(count):
        r.delete("l")
        r.rpush("l", *items)
        want, removed = lrem_model(items, count, "a")
        return (c("LREM", "l", str(count), "a"), r.lrange("l", 0, -1)), (removed, want)

    check_cases([(n,) for n in [0, 1, 2, 3, 10, -1, -2, -3, -10]], run)


def test_lrem_edge_cases(c, r):
    r.rpush("l", "a", "a")
    assert c("LREM", "l", "1", "zz") == 0
    assert c("LREM", "l", "0", "A") == 0
    assert c("LREM", "missing", "0", "a") == 0
    assert c("LREM", "l", "0", "a") == 2
    assert r.exists("l") == 0
    assert c.err("LREM", "l", "x", "a") == NOT_INT
    assert c.err("LREM", "l", "1.0", "a") == NOT_INT
    assert c.err("LREM", "l", "1", "a", "b") == "ERR wrong number of arguments for 'lrem' command"


def test_lrem_extreme_counts(c, r):
    r.rpush("l", "a", "b", "a", "c", "a", "b")
    assert c("LREM", "l", "-9223372036854775808", "a") == 3
    assert r.lrange("l", 0, -1) == ["b", "c", "b"]
    assert c("LREM", "l", "9223372036854775807", "b") == 2
    assert r.lrange("l", 0, -1) == ["c"]
    assert c.err("LREM", "l", "9223372036854775808", "c") == NOT_INT


def test_empty_string_elements(c, r):
    r.rpush("e", "")
    assert c("LINSERT", "e", "AFTER", "", "y") == 2
    assert c("LINSERT", "e", "BEFORE", "", "x") == 3
    assert r.lrange("e", 0, -1) == ["x", "", "y"]
    assert c("LPOS", "e", "") == 1
    assert c("LREM", "e", "0", "") == 1
    assert c("LINSERT", "e", "BEFORE", "", "z") == -1
    assert c("LMPOP", "1", "e", "LEFT", "COUNT", "9223372036854775807") == ["e", ["x", "y"]]
    assert c.err("LMPOP", "1", "e", "LEFT", "COUNT", "9223372036854775808") == COUNT_ZERO


def test_lset(c, r):
    r.rpush("l", "a", "b", "c")
    assert c("LSET", "l", "0", "A") == "OK"
    assert c("LSET", "l", "-1", "C") == "OK"
    assert c("LSET", "l", "1", "x" * 200) == "OK"
    assert r.lrange("l", 0, -1) == ["A", "x" * 200, "C"]
    assert c("LSET", "l", "1", "") == "OK"
    assert r.lrange("l", 0, -1) == ["A", "", "C"]
    assert c.err("LSET", "l", "3", "x") == INDEX_RANGE
    assert c.err("LSET", "l", "-4", "x") == INDEX_RANGE
    assert c.err("LSET", "l", "9223372036854775807", "x") == INDEX_RANGE
    assert c.err("LSET", "l", "x", "x") == NOT_INT
    assert c.err("LSET", "missing", "0", "x") == NO_SUCH_KEY
    assert c.err("LSET", "missing", "x", "x") == NO_SUCH_KEY
    assert r.exists("missing") == 0
    assert r.lrange("l", 0, -1) == ["A", "", "C"]


# ---------------------------------------------------------------- LMOVE RPOPLPUSH


@pytest.mark.parametrize("wherefrom, whereto, src_after, dst_after, moved", [
    ("LEFT", "LEFT", ["b", "c"], ["a", "x", "y"], "a"),
    ("LEFT", "RIGHT", ["b", "c"], ["x", "y", "a"], "a"),
    ("RIGHT", "LEFT", ["a", "b"], ["c", "x", "y"], "c"),
    ("RIGHT", "RIGHT", ["a", "b"], ["x", "y", "c"], "c"),
])
def test_lmove_directions(c, r, wherefrom, whereto, src_after, dst_after, moved):
    r.rpush("src", "a", "b", "c")
    r.rpush("dst", "x", "y")
    assert c("LMOVE", "src", "dst", wherefrom.lower(), whereto) == moved
    assert r.lrange("src", 0, -1) == src_after
    assert r.lrange("dst", 0, -1) == dst_after


def test_lmove_same_key_rotates(c, r):
    r.rpush("l", "a", "b", "c")
    assert c("LMOVE", "l", "l", "LEFT", "RIGHT") == "a"
    assert r.lrange("l", 0, -1) == ["b", "c", "a"]
    assert c("LMOVE", "l", "l", "RIGHT", "LEFT") == "a"
    assert r.lrange("l", 0, -1) == ["a", "b", "c"]
    assert c("LMOVE", "l", "l", "LEFT", "LEFT") == "a"
    assert c("LMOVE", "l", "l", "RIGHT", "RIGHT") == "c"
    assert r.lrange("l", 0, -1) == ["a", "b", "c"]
    r.rpush("one", "x")
    assert c("RPOPLPUSH", "one", "one") == "x"
    assert r.lrange("one", 0, -1) == ["x"]


def test_lmove_creates_and_deletes_keys(c, r):
    r.rpush("src", "a")
    r.expire("src", 100)
    assert c("LMOVE", "src", "new", "LEFT", "RIGHT") == "a"
    assert r.exists("src") == 0
    assert r.lrange("new", 0, -1) == ["a"]
    assert r.ttl("new") == -1
    assert c("LMOVE", "missing", "new", "LEFT", "RIGHT") is None
    assert c.bytes_of("LMOVE", "missing", "new", "LEFT", "RIGHT") == b"$-1\r\n"
    assert r.lrange("new", 0, -1) == ["a"]


def test_rpoplpush(c, r):
    r.rpush("src", "a", "b", "c")
    assert c("RPOPLPUSH", "src", "dst") == "c"
    assert c("RPOPLPUSH", "src", "dst") == "b"
    assert r.lrange("dst", 0, -1) == ["b", "c"]
    assert c("RPOPLPUSH", "src", "dst") == "a"
    assert r.exists("src") == 0
    assert c("RPOPLPUSH", "src", "dst") is None
    assert c.bytes_of("RPOPLPUSH", "src", "dst") == b"$-1\r\n"
    assert r.lrange("dst", 0, -1) == ["a", "b", "c"]


def test_lmove_wrongtype_destination(c, r):
    r.rpush("src", "a", "b")
    r.set("str", "v")
    assert c.err("LMOVE", "src", "str", "LEFT", "LEFT") == WRONGTYPE
    assert c.err("RPOPLPUSH", "src", "str") == WRONGTYPE
    assert r.lrange("src", 0, -1) == ["a", "b"]
    assert r.get("str") == "v"
    # A missing source replies nil before the destination type is looked at.
    assert c("LMOVE", "missing", "str", "LEFT", "LEFT") is None
    assert c("RPOPLPUSH", "missing", "str") is None


def test_lmove_syntax_errors(c, r):
    r.rpush("src", "a")
    assert c.err("LMOVE", "src", "dst", "UP", "LEFT") == SYNTAX
    assert c.err("LMOVE", "src", "dst", "LEFT", "DOWN") == SYNTAX
    assert c.err("LMOVE", "src", "dst", "LEFTX", "LEFT") == SYNTAX
    assert c.err("LMOVE", "missing", "dst", "UP", "LEFT") == SYNTAX
    assert r.lrange("src", 0, -1) == ["a"]
    assert r.exists("dst") == 0


# ---------------------------------------------------------------- LMPOP


def test_lmpop(c, r):
    r.rpush("b", "1", "2", "3")
    r.rpush("c", "x")
    assert c("LMPOP", "3", "a", "b", "c", "LEFT") == ["b", ["1"]]
    assert c("LMPOP", "3", "a", "b", "c", "right", "COUNT", "1") == ["b", ["3"]]
    assert c("LMPOP", "2", "b", "c", "RIGHT", "count", "10") == ["b", ["2"]]
    assert r.exists("b") == 0
    assert c("LMPOP", "2", "b", "c", "LEFT", "COUNT", "10") == ["c", ["x"]]
    assert c("LMPOP", "2", "b", "c", "LEFT") is None
    assert c.bytes_of("LMPOP", "2", "b", "c", "LEFT") == b"*-1\r\n"
    r.rpush("d", *"abcdef")
    assert c.bytes_of("LMPOP", "1", "d", "LEFT", "COUNT", "2") == \
        b"*2\r\n$1\r\nd\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    assert c("LMPOP", "1", "d", "RIGHT", "COUNT", "3") == ["d", ["f", "e", "d"]]
    # The same key twice is fine.
    assert c("LMPOP", "2", "d", "d", "LEFT") == ["d", ["c"]]


def test_lmpop_resp3(c3, r):
    assert c3.bytes_of("LMPOP", "1", "missing", "LEFT") == b"_\r\n"
    r.rpush("l", "a", "b")
    assert c3.bytes_of("LMPOP", "1", "l", "LEFT") == b"*2\r\n$1\r\nl\r\n*1\r\n$1\r\na\r\n"


LMPOP_ERRORS = [
    (("0", "l", "LEFT"), NUMKEYS_ZERO),
    (("-1", "l", "LEFT"), NUMKEYS_ZERO),
    (("abc", "l", "LEFT"), NUMKEYS_ZERO),
    (("2", "l", "LEFT"), SYNTAX),
    (("5", "a", "b", "LEFT"), SYNTAX),
    (("2147483648", "l", "LEFT"), SYNTAX),
    (("1", "l", "MIDDLE"), SYNTAX),
    (("1", "l", "LEFT", "COUNT", "0"), COUNT_ZERO),
    (("1", "l", "LEFT", "COUNT", "-1"), COUNT_ZERO),
    (("1", "l", "LEFT", "COUNT", "abc"), COUNT_ZERO),
    (("1", "l", "LEFT", "COUNT"), SYNTAX),
    (("1", "l", "LEFT", "COUNT", "1", "COUNT", "2"), SYNTAX),
    (("1", "l", "LEFT", "FOO"), SYNTAX),
    (("1", "l", "LEFT", "FOO", "1"), SYNTAX),
]


def test_lmpop_errors(c, r):
    r.rpush("l", "a")
    check_cases(LMPOP_ERRORS, lambda args, message: (c("LMPOP", *args), ErrorReply(message)))
    assert r.lrange("l", 0, -1) == ["a"]


# ---------------------------------------------------------------- arity and WRONGTYPE


ARITY = [
    ["LPUSH"], ["LPUSH", "l"], ["RPUSH", "l"], ["LPUSHX", "l"], ["RPUSHX", "l"], ["LPOP"],
    ["RPOP"], ["LLEN"], ["LLEN", "l", "x"], ["LINDEX", "l"], ["LINDEX", "l", "0", "1"],
    ["LINSERT", "l", "BEFORE", "a"], ["LINSERT", "l", "BEFORE", "a", "b", "c"], ["LPOS", "l"],
    ["LRANGE", "l", "0"], ["LRANGE", "l", "0", "1", "2"], ["LREM", "l", "0"], ["LSET", "l", "0"],
    ["LTRIM", "l", "0"], ["LMOVE", "a", "b", "LEFT"], ["LMOVE", "a", "b", "LEFT", "LEFT", "x"],
    ["RPOPLPUSH", "a"], ["RPOPLPUSH", "a", "b", "c"], ["LMPOP", "1", "l"], ["BLPOP", "l"],
    ["BRPOP", "l"], ["BLMOVE", "a", "b", "LEFT", "LEFT"],
    ["BLMOVE", "a", "b", "LEFT", "LEFT", "0", "x"], ["BRPOPLPUSH", "a", "b"],
    ["BRPOPLPUSH", "a", "b", "0", "x"], ["BLMPOP", "0", "1", "l"], ["BZPOPMIN", "z"],
    ["BZPOPMAX", "z"], ["BZMPOP", "0", "1", "z"],
]


def test_list_commands_arity(c, r):
    r.rpush("l", "keep")
    check_cases([tuple(a) for a in ARITY], lambda *args: (
        c(*args), ErrorReply(f"ERR wrong number of arguments for '{args[0].lower()}' command")))
    assert r.lrange("l", 0, -1) == ["keep"]
    assert blocked_clients(r) == 0


WRONGTYPE_CASES = [
    ["LPUSH", "s", "a"], ["RPUSH", "s", "a"], ["LPUSHX", "s", "a"], ["RPUSHX", "s", "a"],
    ["LPOP", "s"], ["RPOP", "s"], ["LPOP", "s", "0"], ["RPOP", "s", "2"], ["LLEN", "s"],
    ["LINDEX", "s", "0"], ["LINSERT", "s", "BEFORE", "a", "b"], ["LPOS", "s", "a"],
    ["LPOS", "s", "a", "COUNT", "0"], ["LRANGE", "s", "0", "-1"], ["LREM", "s", "0", "a"],
    ["LSET", "s", "0", "a"], ["LTRIM", "s", "0", "1"], ["LMOVE", "s", "d", "LEFT", "LEFT"],
    ["LMOVE", "l", "s", "LEFT", "LEFT"], ["RPOPLPUSH", "s", "d"], ["RPOPLPUSH", "l", "s"],
    ["LMPOP", "2", "missing", "s", "LEFT"], ["LMPOP", "2", "s", "l", "LEFT"],
    ["BLPOP", "s", "0"], ["BLPOP", "missing", "s", "0"], ["BRPOP", "s", "0.1"],
    ["BLMOVE", "s", "d", "LEFT", "LEFT", "0"], ["BLMOVE", "l", "s", "LEFT", "LEFT", "0"],
    ["BRPOPLPUSH", "s", "d", "0"], ["BRPOPLPUSH", "l", "s", "0"],
    ["BLMPOP", "0", "2", "missing", "s", "LEFT"], ["BZPOPMIN", "s", "0"],
    ["BZPOPMAX", "missing", "s", "0"], ["BZMPOP", "0", "2", "missing", "s", "MIN"],
    ["BZPOPMIN", "l", "0"], ["BZMPOP", "0", "1", "l", "MAX"],
]


def test_wrongtype(c, r):
    r.set("s", "string")
    r.rpush("l", "x")
    check_cases([tuple(a) for a in WRONGTYPE_CASES],
                lambda *args: (c(*args), ErrorReply(WRONGTYPE)))
    assert r.get("s") == "string"
    assert r.lrange("l", 0, -1) == ["x"]
    assert r.exists("d") == 0
    assert blocked_clients(r) == 0


def test_wrongtype_on_other_types(c, r):
    r.sadd("set", "a")
    r.hset("hash", "f", "v")
    r.zadd("zset", {"m": 1})
    for key in ("set", "hash", "zset"):
        assert c.err("LPUSH", key, "x") == WRONGTYPE
        assert c.err("LRANGE", key, "0", "-1") == WRONGTYPE
        assert c.err("BLPOP", key, "0") == WRONGTYPE
    assert c.err("BZPOPMIN", "set", "0") == WRONGTYPE
    assert c("BZPOPMIN", "zset", "0") == ["zset", "m", "1"]


# ---------------------------------------------------------------- keyspace commands on lists


def test_keyspace_commands_on_lists(c, r):
    r.rpush("l", "a", "b", "c")
    assert r.type("l") == "list"
    assert r.object("encoding", "l") == "quicklist"
    assert c("COPY", "l", "l2") == 1
    r.rpush("l2", "d")
    assert r.lrange("l", 0, -1) == ["a", "b", "c"]
    assert r.lrange("l2", 0, -1) == ["a", "b", "c", "d"]
    assert c("RENAME", "l2", "l3") == "OK"
    assert r.lrange("l3", 0, -1) == ["a", "b", "c", "d"]
    assert c("MOVE", "l3", "5") == 1
    assert r.exists("l3") == 0
    assert c("SELECT", "5") == "OK"
    assert c("LLEN", "l3") == 4
    assert c("DEL", "l3") == 1
    assert c("SELECT", "0") == "OK"
    assert r.delete("l") == 1
    assert r.exists("l") == 0


# ---------------------------------------------------------------- blocking: served at once


def test_blocking_commands_served_immediately(c, r):
    r.rpush("l1", "a", "b")
    r.rpush("l2", "c")
    assert c("BLPOP", "missing", "l1", "l2", "0") == ["l1", "a"]
    assert c("BRPOP", "missing", "l2", "l1", "0") == ["l2", "c"]
    assert r.exists("l2") == 0
    r.rpush("l2", "x", "y")
    assert c("BLMOVE", "l2", "dst", "LEFT", "RIGHT", "0") == "x"
    assert c("BRPOPLPUSH", "l2", "dst", "0") == "y"
    assert r.lrange("dst", 0, -1) == ["y", "x"]
    assert c("BLMPOP", "0", "2", "missing", "dst", "RIGHT", "COUNT", "5") == ["dst", ["x", "y"]]
    assert c("BLMPOP", "0", "1", "l1", "LEFT") == ["l1", ["b"]]
    r.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4})
    assert c("BZPOPMIN", "missing", "z", "0") == ["z", "a", "1"]
    assert c("BZPOPMAX", "z", "0") == ["z", "d", "4"]
    assert c("BZMPOP", "0", "2", "missing", "z", "MAX", "COUNT", "1") == ["z", [["c", "3"]]]
    assert c("BZMPOP", "0", "1", "z", "min") == ["z", [["b", "2"]]]
    assert r.exists("z") == 0
    assert blocked_clients(r) == 0


def test_blocking_commands_served_immediately_resp3(c3, r):
    r.rpush("l", "a", "b")
    assert c3.bytes_of("BLPOP", "l", "0") == b"*2\r\n$1\r\nl\r\n$1\r\na\r\n"
    assert c3.bytes_of("BLMPOP", "0", "1", "l", "LEFT") == b"*2\r\n$1\r\nl\r\n*1\r\n$1\r\nb\r\n"
    r.zadd("z", {"m": 1.5, "n": 2})
    assert c3.bytes_of("BZPOPMIN", "z", "0") == b"*3\r\n$1\r\nz\r\n$1\r\nm\r\n,1.5\r\n"
    assert c3.bytes_of("BZMPOP", "0", "1", "z", "MIN") == \
        b"*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nn\r\n,2\r\n"


# ---------------------------------------------------------------- blocking: served later


SERVED = [
    # (blocking command, data-producing commands, expected reply, leftover check)
    (["BLPOP", "k", "0"], [["RPUSH", "k", "a", "b"]], [b"k", b"a"], ("k", [b"b"])),
    (["BRPOP", "k", "0"], [["RPUSH", "k", "a", "b"]], [b"k", b"b"], ("k", [b"a"])),
    (["BLPOP", "k1", "k2", "0"], [["LPUSH", "k2", "v"]], [b"k2", b"v"], ("k2", [])),
    (["BLMOVE", "k", "dst", "RIGHT", "LEFT", "0"], [["RPUSH", "k", "a", "b"]], b"b",
     ("dst", [b"b"])),
    (["BRPOPLPUSH", "k", "dst", "0"], [["RPUSH", "k", "a", "b"]], b"b", ("dst", [b"b"])),
    (["BLMPOP", "0", "2", "k1", "k2", "LEFT", "COUNT", "2"], [["RPUSH", "k2", "a", "b", "c"]],
     [b"k2", [b"a", b"b"]], ("k2", [b"c"])),
    (["BLMPOP", "0", "1", "k", "RIGHT"], [["RPUSH", "k", "a", "b"]], [b"k", [b"b"]],
     ("k", [b"a"])),
    (["BLPOP", "k", "0"], [["RPUSH", "src", "x"], ["LMOVE", "src", "k", "LEFT", "LEFT"]],
     [b"k", b"x"], ("src", [])),
    (["BLPOP", "k", "0"], [["RPUSH", "src", "x"], ["RPOPLPUSH", "src", "k"]], [b"k", b"x"],
     ("k", [])),
    (["BLPOP", "k", "0"], [["RPUSH", "src", "x", "y"], ["RENAME", "src", "k"]], [b"k", b"x"],
     ("k", [b"y"])),
    (["BLPOP", "k", "0"], [["RPUSH", "src", "x", "y"], ["COPY", "src", "k"]], [b"k", b"x"],
     ("src", [b"x", b"y"])),
    (["BLPOP", "k", "0"], [["RPUSH", "src", "x", "y"], ["RENAMENX", "src", "k"]],
     [b"k", b"x"], ("k", [b"y"])),
    (["BZPOPMIN", "z", "0"], [["ZADD", "z", "2", "b", "1", "a"]], [b"z", b"a", b"1"],
     None),
    (["BZPOPMAX", "z1", "z2", "0"], [["ZADD", "z2", "2", "b", "1.5", "a"]],
     [b"z2", b"b", b"2"], None),
    (["BZPOPMIN", "z", "0"], [["ZINCRBY", "z", "2.5", "m"]], [b"z", b"m", b"2.5"], None),
    (["BZMPOP", "0", "1", "z", "MAX", "COUNT", "2"], [["ZADD", "z", "1", "a", "2", "b", "3", "c"]],
     [b"z", [[b"c", b"3"], [b"b", b"2"]]], None),
    (["BZPOPMIN", "z", "0"], [["ZADD", "src", "4", "x"], ["ZUNIONSTORE", "z", "1", "src"]],
     [b"z", b"x", b"4"], None),
    (["BZPOPMAX", "z", "0"], [["ZADD", "src", "4", "x", "5", "y"],
                              ["ZRANGESTORE", "z", "src", "0", "-1"]], [b"z", b"y", b"5"], None),
]


@pytest.mark.parametrize("blocking, producers, want, leftover", SERVED,
                         ids=[f"{b[0]}-{p[-1][0]}-{i}" for i, (b, p, _, _) in enumerate(SERVED)])
def test_blocking_served_when_data_arrives(server, r, rb, conns, blocking, producers, want,
                                           leftover):
    waiter = block(conns, r, *blocking)
    assert no_reply(waiter, 0.1)
    other = conns()
    for cmd in producers:
        reply = other.command(*cmd)
        assert not isinstance(reply, ErrorReply), reply
    assert waiter.read() == want
    wait_blocked(r, 0)
    if leftover is not None:
        key, items = leftover
        assert rb.lrange(key, 0, -1) == items
    # The connection is usable again.
    assert waiter.command("PING") == "PONG"


def test_blocked_clients_served_in_fifo_order(r, conns):
    waiters = [block(conns, r, "BLPOP", "k", "0") for _ in range(3)]
    r.rpush("k", "x")
    assert waiters[0].read() == [b"k", b"x"]
    assert no_reply(waiters[1], 0.1) and no_reply(waiters[2], 0.05)
    wait_blocked(r, 2)
    r.rpush("k", "y", "z")
    assert waiters[1].read() == [b"k", b"y"]
    assert waiters[2].read() == [b"k", b"z"]
    wait_blocked(r, 0)
    assert r.exists("k") == 0


def test_one_push_of_many_elements_serves_several_waiters(r, conns):
    left = [block(conns, r, "BLPOP", "k", "0") for _ in range(2)]
    right = block(conns, r, "BRPOP", "k", "0")
    # LPUSH a b c d leaves [d c b a]: the waiters are served in their blocking order.
    assert r.lpush("k", "a", "b", "c", "d") == 4
    assert left[0].read() == [b"k", b"d"]
    assert left[1].read() == [b"k", b"c"]
    assert right.read() == [b"k", b"a"]
    assert r.lrange("k", 0, -1) == ["b"]
    wait_blocked(r, 0)


def test_fifo_across_commands_and_keys(r, conns):
    first = block(conns, r, "BLPOP", "a", "k", "0")
    second = block(conns, r, "BLMPOP", "0", "1", "k", "RIGHT", "COUNT", "5")
    third = block(conns, r, "BRPOP", "k", "0")
    r.rpush("k", "1", "2", "3", "4")
    assert first.read() == [b"k", b"1"]
    assert second.read() == [b"k", [b"4", b"3", b"2"]]
    assert no_reply(third, 0.1)
    assert r.exists("k") == 0
    r.rpush("a", "x")
    assert r.lrange("a", 0, -1) == ["x"]
    r.rpush("k", "5")
    assert third.read() == [b"k", b"5"]


def test_bzpop_waiters_fifo(r, conns):
    a = block(conns, r, "BZPOPMIN", "z", "0")
    b = block(conns, r, "BZPOPMAX", "z", "0")
    c = block(conns, r, "BZPOPMIN", "z", "0")
    r.zadd("z", {"m1": 1, "m2": 2, "m3": 3, "m4": 4})
    assert a.read() == [b"z", b"m1", b"1"]
    assert b.read() == [b"z", b"m4", b"4"]
    assert c.read() == [b"z", b"m2", b"2"]
    assert r.zrange("z", 0, -1) == ["m3"]
    wait_blocked(r, 0)


def test_first_key_that_gets_data_wins(r, conns):
    waiter = block(conns, r, "BLPOP", "k1", "k2", "k3", "0")
    other = conns()
    # Pipelined: the first push serves the waiter before the second one runs.
    other.send(b"*3\r\n$5\r\nRPUSH\r\n$2\r\nk3\r\n$1\r\nx\r\n"
               b"*3\r\n$5\r\nRPUSH\r\n$2\r\nk1\r\n$1\r\ny\r\n"
               b"*2\r\n$4\r\nLLEN\r\n$2\r\nk3\r\n")
    assert other.read() == 1
    assert other.read() == 1
    # The waiter was served right after the first push, before LLEN ran.
    assert other.read() == 0
    assert waiter.read() == [b"k3", b"x"]
    assert r.lrange("k1", 0, -1) == ["y"]
    assert r.exists("k3") == 0


def test_same_key_twice_served_once(r, conns):
    waiter = block(conns, r, "BLPOP", "k", "k", "0")
    r.rpush("k", "a", "b")
    assert waiter.read() == [b"k", b"a"]
    assert r.lrange("k", 0, -1) == ["b"]
    wait_blocked(r, 0)


def test_blocked_in_another_db_only_served_by_that_db(r, conns):
    waiter = block(conns, r, "BLPOP", "k", "0", db=3)
    r.rpush("k", "db0")
    assert no_reply(waiter, 0.15)
    assert r.lrange("k", 0, -1) == ["db0"]
    other = conns(db=3)
    assert other.command("RPUSH", "k", "db3") == 1
    assert waiter.read() == [b"k", b"db3"]
    assert other.command("EXISTS", "k") == 0


def test_move_from_another_db_serves_waiter(r, conns):
    waiter = block(conns, r, "BLPOP", "k", "0")
    other = conns(db=1)
    assert other.command("RPUSH", "k", "a", "b") == 2
    assert no_reply(waiter, 0.1)
    assert other.command("MOVE", "k", "0") == 1
    assert waiter.read() == [b"k", b"a"]
    assert r.lrange("k", 0, -1) == ["b"]


def test_move_zset_from_another_db_serves_waiter(r, conns):
    waiter = block(conns, r, "BZPOPMAX", "z", "0")
    other = conns(db=2)
    other.command("ZADD", "z", "1", "a", "2", "b")
    assert other.command("MOVE", "z", "0") == 1
    assert waiter.read() == [b"z", b"b", b"2"]
    assert r.zrange("z", 0, -1) == ["a"]


def test_swapdb_serves_waiter(r, conns):
    waiter = block(conns, r, "BRPOP", "k", "0")
    other = conns(db=1)
    assert other.command("RPUSH", "k", "a", "b") == 2
    assert no_reply(waiter, 0.1)
    assert other.command("SWAPDB", "0", "1") == "OK"
    assert waiter.read() == [b"k", b"b"]
    assert r.lrange("k", 0, -1) == ["a"]
    wait_blocked(r, 0)


def test_swapdb_serves_waiter_in_other_db(r, conns):
    waiter = block(conns, r, "BLMPOP", "0", "1", "k", "LEFT", "COUNT", "10", db=4)
    r.rpush("k", "x", "y")
    assert no_reply(waiter, 0.1)
    assert r.swapdb(0, 4) is True
    assert waiter.read() == [b"k", [b"x", b"y"]]
    assert r.exists("k") == 0


def test_key_that_becomes_a_string_keeps_client_blocked(r, conns):
    waiter = block(conns, r, "BLPOP", "k", "0")
    r.set("k", "string")
    assert no_reply(waiter, 0.2)
    assert blocked_clients(r) == 1
    assert r.get("k") == "string"
    r.delete("k")
    r.rpush("k", "finally")
    assert waiter.read() == [b"k", b"finally"]
    wait_blocked(r, 0)


def test_key_that_becomes_a_set_keeps_zset_client_blocked(r, conns):
    waiter = block(conns, r, "BZPOPMIN", "z", "0")
    r.sadd("z", "m")
    r.rpush("other", "x")
    assert no_reply(waiter, 0.2)
    assert blocked_clients(r) == 1
    r.delete("z")
    r.zadd("z", {"m": 7})
    assert waiter.read() == [b"z", b"m", b"7"]


def test_key_with_wrong_type_for_bzpop_keeps_client_blocked(r, conns):
    waiter = block(conns, r, "BZPOPMIN", "k", "0")
    r.rpush("k", "list")
    assert no_reply(waiter, 0.2)
    assert r.lrange("k", 0, -1) == ["list"]
    r.delete("k")
    r.zadd("k", {"m": 1})
    assert waiter.read() == [b"k", b"m", b"1"]


def test_blmove_chain_wakes_next_waiter(r, conns):
    mover = block(conns, r, "BLMOVE", "src", "mid", "RIGHT", "LEFT", "0")
    popper = block(conns, r, "BLPOP", "mid", "0")
    r.rpush("src", "v")
    assert mover.read() == b"v"
    assert popper.read() == [b"mid", b"v"]
    assert r.exists("src") == 0
    assert r.exists("mid") == 0
    wait_blocked(r, 0)


def test_brpoplpush_chain_of_three(r, conns):
    a = block(conns, r, "BRPOPLPUSH", "l1", "l2", "0")
    b = block(conns, r, "BRPOPLPUSH", "l2", "l3", "0")
    c = block(conns, r, "BLPOP", "l3", "0")
    r.lpush("l1", "x")
    assert a.read() == b"x"
    assert b.read() == b"x"
    assert c.read() == [b"l3", b"x"]
    for key in ("l1", "l2", "l3"):
        assert r.exists(key) == 0


def test_brpoplpush_same_key_rotation_while_blocked(r, conns):
    waiter = block(conns, r, "BRPOPLPUSH", "k", "k", "0")
    r.rpush("k", "a", "b")
    assert waiter.read() == b"b"
    assert r.lrange("k", 0, -1) == ["b", "a"]


def test_blmove_to_wrongtype_destination_when_served(r, conns):
    waiter = block(conns, r, "BLMOVE", "src", "dst", "LEFT", "LEFT", "0")
    r.set("dst", "string")
    r.rpush("src", "v")
    reply = waiter.read()
    assert isinstance(reply, ErrorReply) and reply.message == WRONGTYPE
    wait_blocked(r, 0)
    # The element went back where it came from.
    assert r.lrange("src", 0, -1) == ["v"]
    assert r.get("dst") == "string"


def test_blocked_client_served_once_and_rest_stays(r, conns):
    waiter = block(conns, r, "BLPOP", "k", "0")
    r.rpush("k", "a", "b", "c")
    assert waiter.read() == [b"k", b"a"]
    assert r.lrange("k", 0, -1) == ["b", "c"]
    assert no_reply(waiter, 0.05)


def test_pushx_and_linsert_do_not_create_keys_for_waiters(r, conns):
    waiter = block(conns, r, "BLPOP", "k", "0")
    assert r.lpushx("k", "a") == 0
    assert r.rpushx("k", "a") == 0
    assert r.linsert("k", "BEFORE", "x", "y") == 0
    assert no_reply(waiter, 0.15)
    assert blocked_clients(r) == 1
    r.rpush("k", "z")
    assert waiter.read() == [b"k", b"z"]


def test_served_reply_shapes_resp3(r, conns):
    l3 = block(conns, r, "BLMPOP", "0", "1", "k", "LEFT", proto=3)
    z3 = block(conns, r, "BZPOPMIN", "z", "0", proto=3)
    zm3 = block(conns, r, "BZMPOP", "0", "1", "z2", "MIN", "COUNT", "2", proto=3)
    r.rpush("k", "a")
    r.zadd("z", {"m": 0.5})
    r.zadd("z2", {"p": 1, "q": 2.25, "r": 3})
    read_exact(l3, b"*2\r\n$1\r\nk\r\n*1\r\n$1\r\na\r\n")
    read_exact(z3, b"*3\r\n$1\r\nz\r\n$1\r\nm\r\n,0.5\r\n")
    read_exact(zm3, b"*2\r\n$2\r\nz2\r\n*2\r\n*2\r\n$1\r\np\r\n,1\r\n*2\r\n$1\r\nq\r\n,2.25\r\n")
    assert r.zrange("z2", 0, -1) == ["r"]


def test_served_reply_bytes_resp2(r, conns):
    w1 = block(conns, r, "BLMOVE", "k", "d", "LEFT", "RIGHT", "0")
    w2 = block(conns, r, "BZPOPMAX", "z", "0")
    r.rpush("k", "ab")
    r.zadd("z", {"m": 2.5})
    read_exact(w1, b"$2\r\nab\r\n")
    read_exact(w2, b"*3\r\n$1\r\nz\r\n$1\r\nm\r\n$3\r\n2.5\r\n")


def test_binary_values_through_blocking(rb, r, conns):
    waiters = [block(conns, r, "BLPOP", b"k\x00\r\n", "0") for _ in range(len(BINARY))]
    rb.rpush(b"k\x00\r\n", *BINARY)
    for w, v in zip(waiters, BINARY):
        assert w.read() == [b"k\x00\r\n", v]
    assert rb.exists(b"k\x00\r\n") == 0


# ---------------------------------------------------------------- blocking: timeouts


TIMEOUT_CMDS = [
    ["BLPOP", "k1", "k2", "{t}"],
    ["BRPOP", "k1", "{t}"],
    ["BLMOVE", "k1", "dst", "LEFT", "RIGHT", "{t}"],
    ["BRPOPLPUSH", "k1", "dst", "{t}"],
    ["BLMPOP", "{t}", "2", "k1", "k2", "LEFT"],
    ["BZPOPMIN", "z1", "z2", "{t}"],
    ["BZPOPMAX", "z1", "{t}"],
    ["BZMPOP", "{t}", "1", "z1", "MIN", "COUNT", "3"],
]


def fill_timeout(cmd, t):
    return [t if a == "{t}" else a for a in cmd]


@pytest.mark.parametrize("proto, null", [(2, b"*-1\r\n"), (3, b"_\r\n")])
def test_blocking_timeout_null_reply(r, conns, proto, null):
    """Every blocking command, blocked at the same time, times out with a null array."""
    waiters = [conns(proto=proto) for _ in TIMEOUT_CMDS]
    start = time.monotonic()
    for conn, cmd in zip(waiters, TIMEOUT_CMDS):
        conn.send_command(*fill_timeout(cmd, "0.3"))
    wait_blocked(r, len(TIMEOUT_CMDS))
    got = {}
    for conn, cmd in zip(waiters, TIMEOUT_CMDS):
        while not conn.buf.endswith(b"\r\n"):
            conn._fill()
        got[cmd[0]] = conn.buf
        conn.buf = b""
    elapsed = time.monotonic() - start
    assert got == {cmd[0]: null for cmd in TIMEOUT_CMDS}
    assert 0.28 <= elapsed < 3.0, elapsed
    assert blocked_clients(r) == 0
    assert r.exists("dst") == 0
    for conn in waiters:
        assert conn.command("PING") == "PONG"


def test_decimal_timeouts(c):
    start = time.monotonic()
    timeouts = ["0.1", ".1", "1e-1", "0.05", "0.001", "1e-9", "0.0001", "0.1000", "5e-2"]
    check_cases([(t,) for t in timeouts],
                lambda t: (c.bytes_of("BLPOP", "k", t), b"*-1\r\n"))
    assert time.monotonic() - start < 5.0


def test_timeout_does_not_fire_early(r, conns):
    conn = conns()
    start = time.monotonic()
    conn.send_command("BRPOP", "k", "0.4")
    assert no_reply(conn, 0.25)
    assert blocked_clients(r) == 1
    read_exact(conn, b"*-1\r\n")
    assert time.monotonic() - start >= 0.38
    wait_blocked(r, 0)


def test_timeout_zero_blocks_until_served(r, conns):
    waiter = block(conns, r, "BLPOP", "k", "0")
    assert no_reply(waiter, 0.5)
    assert blocked_clients(r) == 1
    r.rpush("k", "late")
    assert waiter.read() == [b"k", b"late"]


TIMEOUT_ERRORS = [
    ("-1", TIMEOUT_NEG), ("-0.5", TIMEOUT_NEG), ("-inf", TIMEOUT_NEG), ("-1e100", TIMEOUT_NEG),
    ("nan", TIMEOUT_NOT_FLOAT), ("abc", TIMEOUT_NOT_FLOAT), ("", TIMEOUT_NOT_FLOAT),
    (" 1", TIMEOUT_NOT_FLOAT), ("1e3x", TIMEOUT_NOT_FLOAT), ("1 ", TIMEOUT_NOT_FLOAT),
]


@pytest.mark.parametrize("cmd", TIMEOUT_CMDS, ids=[c[0] for c in TIMEOUT_CMDS])
def test_timeout_errors(c, r, cmd):
    check_cases(TIMEOUT_ERRORS, lambda timeout, message: (
        c(*fill_timeout(cmd, timeout)), ErrorReply(message)))
    assert blocked_clients(r) == 0


def test_timeout_overflow_errors(c, r):
    """Redis 7.0 converts timeout*1000 to a long long without a range check: timeouts of
    1e16 s and more (and +inf) overflow to a negative value and are refused as negative."""
    timeouts = ["inf", "+inf", "1e100", "1e16", "9223372036854775807", "9223372036854776"]
    check_cases([(tuple(cmd), t) for cmd in TIMEOUT_CMDS for t in timeouts],
                lambda cmd, t: (c(*fill_timeout(cmd, t)), ErrorReply(TIMEOUT_NEG)))
    assert blocked_clients(r) == 0


def test_timeout_error_before_data_or_type_check(c, r):
    r.rpush("l", "a")
    r.set("s", "x")
    # Even with data available the timeout is validated first.
    assert c.err("BLPOP", "l", "-1") == TIMEOUT_NEG
    assert c.err("BLPOP", "s", "abc") == TIMEOUT_NOT_FLOAT
    assert c.err("BLMPOP", "-1", "1", "l", "LEFT") == TIMEOUT_NEG
    assert r.lrange("l", 0, -1) == ["a"]


def test_unusual_timeouts_that_block(r, conns):
    timeouts = ["-0", "-0.0001", "0x10", "1e15", "3600", "1e3"]
    waiters = [block(conns, r, "BLPOP", "k", t) for t in timeouts]
    assert no_reply(waiters[0], 0.1)
    assert all(no_reply(w, 0.01) for w in waiters)
    wait_blocked(r, len(timeouts))
    # Served in order: each one is really blocked on the key.
    r.rpush("k", *timeouts)
    for w, t in zip(waiters, timeouts):
        assert w.read() == [b"k", t.encode()]
    wait_blocked(r, 0)


BLOCKING_OPTION_ERRORS = [
    (["BLMPOP", "0", "0", "k", "LEFT"], NUMKEYS_ZERO),
    (["BLMPOP", "0", "x", "k", "LEFT"], NUMKEYS_ZERO),
    (["BLMPOP", "0", "2", "k", "LEFT"], SYNTAX),
    (["BLMPOP", "0", "5", "a", "b", "LEFT"], SYNTAX),
    (["BLMPOP", "0", "1", "k", "UP"], SYNTAX),
    (["BLMPOP", "0", "1", "k", "LEFT", "COUNT", "0"], COUNT_ZERO),
    (["BLMPOP", "0", "1", "k", "LEFT", "COUNT", "-3"], COUNT_ZERO),
    (["BLMPOP", "0", "1", "k", "LEFT", "COUNT"], SYNTAX),
    (["BLMPOP", "0", "1", "k", "LEFT", "COUNT", "1", "X"], SYNTAX),
    (["BZMPOP", "0", "0", "z", "MIN"], NUMKEYS_ZERO),
    (["BZMPOP", "0", "1", "z", "MINX"], SYNTAX),
    (["BZMPOP", "0", "1", "z", "MIN", "COUNT", "0"], COUNT_ZERO),
    (["BZMPOP", "0", "1", "z", "MAX", "COUNT"], SYNTAX),
    (["BLMOVE", "k", "d", "UP", "LEFT", "0"], SYNTAX),
    (["BLMOVE", "k", "d", "LEFT", "DOWN", "0"], SYNTAX),
    (["BLMOVE", "k", "d", "LEFT", "LEFT", "x"], TIMEOUT_NOT_FLOAT),
    (["BRPOPLPUSH", "k", "d", "-2"], TIMEOUT_NEG),
]


def test_blocking_option_errors(c, r):
    check_cases(BLOCKING_OPTION_ERRORS, lambda args, message: (c(*args), ErrorReply(message)))
    assert blocked_clients(r) == 0


# ---------------------------------------------------------------- CLIENT UNBLOCK


@pytest.mark.parametrize("cmd", TIMEOUT_CMDS, ids=[c[0] for c in TIMEOUT_CMDS])
def test_client_unblock(r, conns, cmd):
    waiter = conns()
    wid = client_id(waiter)
    ctl = conns()
    for how in [[], ["TIMEOUT"], ["timeout"], ["ERROR"], ["error"]]:
        waiter.send_command(*fill_timeout(cmd, "0"))
        wait_blocked(r, 1)
        assert ctl.command("CLIENT", "UNBLOCK", str(wid), *how) == 1, how
        if how and how[0].upper() == "ERROR":
            read_exact(waiter, b"-" + UNBLOCKED.encode() + b"\r\n")
        else:
            read_exact(waiter, b"*-1\r\n")
        wait_blocked(r, 0)
        # Not blocked any more.
        assert ctl.command("CLIENT", "UNBLOCK", str(wid)) == 0
        assert waiter.command("PING") == "PONG"
    assert r.exists("dst") == 0


def test_client_unblock_resp3_timeout_is_null(r, conns):
    waiter = conns(proto=3)
    wid = client_id(waiter)
    waiter.send_command("BLPOP", "k", "0")
    wait_blocked(r, 1)
    assert r.client_unblock(wid) == 1
    read_exact(waiter, b"_\r\n")
    waiter.send_command("BZPOPMIN", "z", "0")
    wait_blocked(r, 1)
    assert r.client_unblock(wid, error=True) == 1
    read_exact(waiter, b"-" + UNBLOCKED.encode() + b"\r\n")


def test_client_unblock_other_cases(c, r, conns):
    idle = conns()
    assert c("CLIENT", "UNBLOCK", str(client_id(idle))) == 0
    assert c("CLIENT", "UNBLOCK", str(client_id(idle)), "ERROR") == 0
    assert c("CLIENT", "UNBLOCK", "999999") == 0
    assert c("CLIENT", "UNBLOCK", "999999", "timeout") == 0
    assert c.err("CLIENT", "UNBLOCK", "abc") == NOT_INT
    assert c.err("CLIENT", "UNBLOCK", "1", "FOO") == \
        "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
    assert c.err("CLIENT", "UNBLOCK") == \
        "ERR wrong number of arguments for 'client|unblock' command"
    assert idle.command("PING") == "PONG"


def test_client_unblock_extra_argument(c, r, conns):
    waiter = block(conns, r, "BLPOP", "k", "0")
    assert c.err("CLIENT", "UNBLOCK", str(waiter.client_id), "TIMEOUT", "x") == (
        "ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP.")
    # The client stays blocked.
    assert no_reply(waiter, 0.1)
    assert blocked_clients(r) == 1
    r.rpush("k", "v")
    assert waiter.read() == [b"k", b"v"]


def test_client_unblock_only_the_target(r, conns):
    a = block(conns, r, "BLPOP", "k", "0")
    b = block(conns, r, "BLPOP", "k", "0")
    assert r.client_unblock(a.client_id) == 1
    read_exact(a, b"*-1\r\n")
    wait_blocked(r, 1)
    r.rpush("k", "x")
    assert b.read() == [b"k", b"x"]


# ---------------------------------------------------------------- INFO, CLIENT LIST, cleanup


def test_info_blocked_clients(r, conns):
    assert blocked_clients(r) == 0
    connected = r.info("clients")["connected_clients"]
    a = block(conns, r, "BLPOP", "k", "0")
    b = block(conns, r, "BZPOPMIN", "z", "30")
    c = block(conns, r, "BLMOVE", "x", "y", "LEFT", "LEFT", "20.5")
    d = block(conns, r, "BLMPOP", "10", "1", "x", "LEFT", db=3)
    assert blocked_clients(r) == 4
    r.rpush("k", "v")
    assert a.read() == [b"k", b"v"]
    wait_blocked(r, 3)
    r.zadd("z", {"m": 1})
    assert b.read() == [b"z", b"m", b"1"]
    wait_blocked(r, 2)
    r.rpush("x", "v")
    assert c.read() == b"v"
    wait_blocked(r, 1)
    assert r.client_unblock(d.client_id) == 1
    read_exact(d, b"*-1\r\n")
    wait_blocked(r, 0)
    assert r.info("clients")["connected_clients"] == connected + 4


def test_info_clients_in_timeout_table(r, conns):
    """Blocked clients with a non-zero timeout are counted in clients_in_timeout_table."""
    a = block(conns, r, "BLPOP", "k", "0")
    assert r.info("clients")["clients_in_timeout_table"] == 0
    b = block(conns, r, "BZPOPMIN", "z", "30")
    c = block(conns, r, "BLMOVE", "x", "y", "LEFT", "LEFT", "20.5")
    info = r.info("clients")
    assert info["blocked_clients"] == 3
    assert info["clients_in_timeout_table"] == 2
    r.rpush("k", "v")
    assert a.read() == [b"k", b"v"]
    r.zadd("z", {"m": 1})
    assert b.read() == [b"z", b"m", b"1"]
    wait_blocked(r, 1)
    assert r.info("clients")["clients_in_timeout_table"] == 1
    r.rpush("x", "v")
    assert c.read() == b"v"
    wait_blocked(r, 0)
    assert r.info("clients")["clients_in_timeout_table"] == 0


def test_client_list_flags_b(r, conns):
    waiter = conns()
    wid = client_id(waiter)
    waiter.send_command("BRPOP", "k", "0")
    wait_blocked(r, 1)
    entry = [cl for cl in r.client_list() if int(cl["id"]) == wid][0]
    assert entry["flags"] == "b"
    assert entry["cmd"] == "brpop"
    mine = r.client_info()
    assert mine["flags"] == "N"
    r.rpush("k", "v")
    assert waiter.read() == [b"k", b"v"]
    entry = [cl for cl in r.client_list() if int(cl["id"]) == wid][0]
    assert entry["flags"] == "N"
    assert entry["cmd"] == "brpop"
    # The blocked client's own CLIENT INFO after being served.
    waiter.send_command("BZMPOP", "0", "1", "z", "MIN")
    wait_blocked(r, 1)
    entry = [cl for cl in r.client_list() if int(cl["id"]) == wid][0]
    assert entry["flags"] == "b" and entry["cmd"] == "bzmpop"
    assert r.client_unblock(wid) == 1
    read_exact(waiter, b"*-1\r\n")
    assert b" flags=N " in waiter.command("CLIENT", "INFO")


def test_blocked_client_that_disconnects_is_cleaned_up(server, r, conns):
    waiters = [block(conns, r, "BLPOP", "k", "0"), block(conns, r, "BZPOPMIN", "z", "0"),
               block(conns, r, "BLMOVE", "k", "d", "LEFT", "LEFT", "10")]
    connected = r.info("clients")["connected_clients"]
    for w in waiters:
        w.close()
    wait_blocked(r, 0)
    assert wait_until(lambda: r.info("clients")["connected_clients"] == connected - 3, 5)
    assert r.info("clients")["clients_in_timeout_table"] == 0
    # Nobody consumes the data any more.
    r.rpush("k", "a")
    r.zadd("z", {"m": 1})
    assert r.lrange("k", 0, -1) == ["a"]
    assert r.zrange("z", 0, -1) == ["m"]
    assert r.exists("d") == 0
    # A new waiter still works.
    w = block(conns, r, "BLPOP", "k2", "0")
    r.rpush("k2", "b")
    assert w.read() == [b"k2", b"b"]


def test_client_kill_of_blocked_client(r, conns):
    waiter = conns()
    wid = client_id(waiter)
    waiter.send_command("BLPOP", "k", "0")
    wait_blocked(r, 1)
    assert r.client_kill_filter(_id=wid) == 1
    assert waiter.is_closed()
    wait_blocked(r, 0)
    r.rpush("k", "a")
    assert r.lrange("k", 0, -1) == ["a"]


def test_disconnect_of_earlier_waiter_passes_turn(r, conns):
    first = block(conns, r, "BLPOP", "k", "0")
    second = block(conns, r, "BLPOP", "k", "0")
    first.close()
    wait_blocked(r, 1)
    r.rpush("k", "x")
    assert second.read() == [b"k", b"x"]
    assert r.exists("k") == 0


def test_pipelined_commands_after_blocking_one(r, conns):
    waiter = conns()
    waiter.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n"
                b"*1\r\n$4\r\nPING\r\n"
                b"*2\r\n$4\r\nLLEN\r\n$1\r\nk\r\n"
                b"*3\r\n$5\r\nRPUSH\r\n$1\r\nk\r\n$4\r\nmine\r\n")
    wait_blocked(r, 1)
    assert no_reply(waiter, 0.2)
    # The queued RPUSH has not run yet.
    assert r.exists("k") == 0
    assert r.rpush("k", "a", "b") == 2
    assert waiter.read() == [b"k", b"a"]
    assert waiter.read() == "PONG"
    assert waiter.read() == 1
    assert waiter.read() == 2
    assert r.lrange("k", 0, -1) == ["b", "mine"]
    wait_blocked(r, 0)


def test_pipelined_commands_after_a_timeout(r, conns):
    waiter = conns()
    waiter.send(b"*3\r\n$5\r\nBRPOP\r\n$1\r\nk\r\n$3\r\n0.1\r\n"
                b"*3\r\n$5\r\nRPUSH\r\n$1\r\nk\r\n$1\r\nx\r\n"
                b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n"
                b"*2\r\n$4\r\nECHO\r\n$3\r\nend\r\n")
    read_exact(waiter, b"*-1\r\n:1\r\n*2\r\n$1\r\nk\r\n$1\r\nx\r\n$3\r\nend\r\n")
    assert r.exists("k") == 0
    assert blocked_clients(r) == 0


def test_pipelined_after_client_unblock(r, conns):
    waiter = conns()
    wid = client_id(waiter)
    waiter.send(b"*3\r\n$8\r\nBZPOPMAX\r\n$1\r\nz\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n")
    wait_blocked(r, 1)
    assert r.client_unblock(wid, error=True) == 1
    read_exact(waiter, b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n+PONG\r\n")


def test_quit_pipelined_after_blocking_command(r, conns):
    waiter = conns()
    waiter.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n*1\r\n$4\r\nQUIT\r\n"
                b"*1\r\n$4\r\nPING\r\n")
    wait_blocked(r, 1)
    assert no_reply(waiter, 0.1)
    r.rpush("k", "x")
    read_exact(waiter, b"*2\r\n$1\r\nk\r\n$1\r\nx\r\n+OK\r\n")
    assert waiter.is_closed()
    assert waiter.buf == b""


def test_flushall_keeps_clients_blocked(r, conns):
    a = block(conns, r, "BLPOP", "k", "0")
    b = block(conns, r, "BZPOPMIN", "z", "0", db=2)
    r.rpush("other", "x")
    assert r.flushall() is True
    assert no_reply(a, 0.1) and no_reply(b, 0.01)
    assert blocked_clients(r) == 2
    r.rpush("k", "x")
    assert a.read() == [b"k", b"x"]
    other = conns(db=2)
    assert other.command("ZADD", "z", "INCR", "5", "m") == b"5"
    assert b.read() == [b"z", b"m", b"5"]
    wait_blocked(r, 0)


def test_swapdb_with_wrong_type_keeps_client_blocked(r, conns):
    waiter = block(conns, r, "BLPOP", "k", "0", db=1)
    r.set("k", "string")
    assert r.swapdb(0, 1) is True
    assert no_reply(waiter, 0.15)
    assert blocked_clients(r) == 1
    assert r.swapdb(0, 1) is True
    r.delete("k")
    r.rpush("k", "v")
    assert r.swapdb(0, 1) is True
    assert waiter.read() == [b"k", b"v"]


def test_bzmpop_waiter_in_high_db_served_by_move(r, conns):
    waiter = block(conns, r, "BZMPOP", "0", "1", "z", "MAX", "COUNT", "10", db=9)
    r.zadd("z", {"a": 1, "b": 2})
    assert no_reply(waiter, 0.05)
    assert r.move("z", 9) is True
    assert waiter.read() == [b"z", [[b"b", b"2"], [b"a", b"1"]]]


def test_timeout_table_after_unblock_and_timeout(r, conns):
    a = conns()
    aid = client_id(a)
    a.send_command("BLPOP", "k", "30")
    wait_blocked(r, 1)
    assert r.info("clients")["clients_in_timeout_table"] == 1
    assert r.client_unblock(aid) == 1
    read_exact(a, b"*-1\r\n")
    wait_blocked(r, 0)
    assert r.info("clients")["clients_in_timeout_table"] == 0
    assert reply_bytes(a, "BLPOP", "k", "0.05") == b"*-1\r\n"
    assert r.info("clients")["clients_in_timeout_table"] == 0


# ---------------------------------------------------------------- statistics of blocking commands


def stats_after(r, action):
    """(calls, failed_calls, rejected_calls) per command and error counters after `action`."""
    r.config_resetstat()
    action()
    info = r.info("commandstats")
    cmds = {k[len("cmdstat_"):]: (v["calls"], v["failed_calls"], v["rejected_calls"])
            for k, v in info.items()}
    cmds.pop("info", None)
    cmds.pop("config|resetstat", None)
    cmds.pop("client|id", None)
    errors = r.info("errorstats")
    return cmds, r.info("stats")["total_error_replies"], errors


def test_commandstats_of_served_and_timed_out_commands(r, conns):
    a = conns()

    def immediate():
        r.rpush("k", "x")
        assert a.command("BLPOP", "k", "0") == [b"k", b"x"]

    def served():
        a.send_command("BLPOP", "k", "0")
        wait_blocked(r, 1)
        r.rpush("k", "y")
        assert a.read() == [b"k", b"y"]

    def timed_out():
        assert a.command("BLPOP", "k", "0.05") is None

    def disconnected():
        b = conns()
        b.send_command("BLPOP", "k2", "0")
        wait_blocked(r, 1)
        b.close()
        wait_blocked(r, 0)

    def bad_timeout():
        assert error_text(a.command("BLPOP", "k", "-1")) == TIMEOUT_NEG

    def wrong_type():
        r.set("s", "x")
        assert error_text(a.command("BLPOP", "s", "0")) == WRONGTYPE
        r.delete("s")

    assert stats_after(r, immediate) == ({"rpush": (1, 0, 0), "blpop": (1, 0, 0)}, 0, {})
    assert stats_after(r, served) == ({"rpush": (1, 0, 0), "blpop": (1, 0, 0)}, 0, {})
    assert stats_after(r, timed_out) == ({"blpop": (1, 0, 0)}, 0, {})
    assert stats_after(r, disconnected) == ({"blpop": (1, 0, 0)}, 0, {})
    assert stats_after(r, bad_timeout) == \
        ({"blpop": (1, 1, 0)}, 1, {"errorstat_ERR": "count=1"})
    assert stats_after(r, wrong_type) == \
        ({"set": (1, 0, 0), "blpop": (1, 1, 0), "del": (1, 0, 0)}, 1,
         {"errorstat_WRONGTYPE": "count=1"})


def test_commandstats_of_client_unblock(r, conns):
    a = conns()
    aid = client_id(a)

    def unblock(error):
        def action():
            a.send_command("BLPOP", "k", "0")
            wait_blocked(r, 1)
            assert r.client_unblock(aid, error=error) == 1
            a.read()
        return action

    # Redis 7.0 counts the unblocked command as failed in both cases.
    assert stats_after(r, unblock(False)) == \
        ({"blpop": (1, 1, 0), "client|unblock": (1, 0, 0)}, 0, {})
    assert stats_after(r, unblock(True)) == \
        ({"blpop": (1, 1, 0), "client|unblock": (1, 1, 0)}, 1,
         {"errorstat_UNBLOCKED": "count=1"})


def test_commandstats_of_blmove_into_wrong_type(r, conns):
    a = conns()

    def action():
        a.send_command("BLMOVE", "k", "d", "LEFT", "LEFT", "0")
        wait_blocked(r, 1)
        r.set("d", "s")
        r.rpush("k", "z")
        assert error_text(a.read()) == WRONGTYPE

    assert stats_after(r, action) == \
        ({"set": (1, 0, 0), "rpush": (1, 0, 0), "blmove": (1, 1, 0)}, 1,
         {"errorstat_WRONGTYPE": "count=1"})


def test_blocking_with_threads_redis_py(server, r):
    """Several redis-py clients block in threads and are all served."""
    results = {}

    def worker(i):
        cl = server.client(socket_timeout=5)
        try:
            results[i] = cl.blpop(["q"], timeout=3)
        finally:
            cl.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    wait_blocked(r, 4)
    r.rpush("q", "j1", "j2", "j3", "j4")
    for t in threads:
        t.join(5)
        assert not t.is_alive()
    assert sorted(results.values()) == [("q", "j1"), ("q", "j2"), ("q", "j3"), ("q", "j4")]
    assert r.exists("q") == 0


def test_redis_py_blocking_timeouts(r):
    assert r.blpop(["a", "b"], timeout=0.1) is None
    assert r.brpop("a", timeout=0.1) is None
    assert r.blmove("a", "b", 0.1, "LEFT", "RIGHT") is None
    assert r.brpoplpush("a", "b", 0.1) is None
    assert r.blmpop(0.1, 2, "a", "b", direction="LEFT") is None
    assert r.bzpopmin("z", 0.1) is None
    assert r.bzpopmax(["z"], 0.1) is None
    assert r.bzmpop(0.1, 1, ["z"], min=True) is None
    r.rpush("a", "1", "2")
    assert r.blmpop(0.1, 2, "x", "a", direction="RIGHT", count=5) == ["a", ["2", "1"]]


# ---------------------------------------------------------------- large lists and values


def test_ten_thousand_elements(r):
    rnd = random.Random(53)
    model = []
    pipe = r.pipeline(transaction=False)
    for start in range(0, 10000, 1000):
        chunk = [f"e{i}-{rnd.randrange(1000)}" for i in range(start, start + 1000)]
        pipe.rpush("big", *chunk)
        model.extend(chunk)
    pipe.execute()
    assert r.llen("big") == 10000
    assert r.object("encoding", "big") == "quicklist"
    assert r.lrange("big", 0, -1) == model
    pipe = r.pipeline(transaction=False)
    idx = [rnd.randrange(-10000, 10000) for _ in range(300)]
    for i in idx:
        pipe.lindex("big", i)
    assert pipe.execute() == [model[i] for i in idx]
    for start, stop in [(0, 99), (4990, 5010), (-100, -1), (9999, 20000), (-10000, 0)]:
        assert r.lrange("big", start, stop) == lrange_model(model, start, stop)
    assert r.lpos("big", model[7777]) == model.index(model[7777])
    # Mutations in the middle of the list.
    for i in (0, 5000, 9999, -1, 1234):
        r.lset("big", i, f"set{i}")
        model[i] = f"set{i}"
    assert r.linsert("big", "BEFORE", model[6000], "ins") == 10001
    model.insert(6000, "ins")
    r.rpush("big", "dup", "x", "dup")
    model += ["dup", "x", "dup"]
    r.lpush("big", "dup")
    model.insert(0, "dup")
    assert r.lrem("big", -2, "dup") == 2
    model, _ = lrem_model(model, -2, "dup")
    assert r.lrange("big", 0, -1) == model
    assert r.ltrim("big", 100, -100) is True
    model = model[100:-99]
    assert r.lrange("big", 0, -1) == model
    assert r.lpop("big", 500) == model[:500]
    assert r.rpop("big", 500) == model[-500:][::-1]
    model = model[500:-500]
    assert r.llen("big") == len(model)
    assert r.lmpop(1, "big", direction="RIGHT", count=100000) == ["big", model[::-1]]
    assert r.exists("big") == 0


def test_long_values(rb):
    values = [b"v" * 65, b"w" * 100, b"x" * 1000, os.urandom(5000), b"y" * 70000,
              b"z" * (1 << 20), b"\x00" * 300]
    rb.rpush(b"l", *values)
    assert rb.lrange(b"l", 0, -1) == values
    for i, v in enumerate(values):
        assert rb.lindex(b"l", i) == v
        assert rb.lpos(b"l", v) == i
    rb.lset(b"l", 2, b"q" * 200000)
    values[2] = b"q" * 200000
    assert rb.linsert(b"l", "AFTER", b"y" * 70000, b"after-big") == len(values) + 1
    values.insert(5, b"after-big")
    assert rb.lrange(b"l", 0, -1) == values
    assert rb.lrem(b"l", 0, b"z" * (1 << 20)) == 1
    values.remove(b"z" * (1 << 20))
    assert rb.lmove(b"l", b"m", "LEFT", "LEFT") == values[0]
    assert rb.rpop(b"l", 3) == values[-3:][::-1]
    assert rb.lrange(b"l", 0, -1) == values[1:-3]


@pytest.mark.parametrize("size", [8000, 8191, 8192, 8193, 10000, 70000])
def test_pop_large_elements_from_both_ends(rb, size):
    """Elements larger than a node (8 KB with the default list-max-listpack-size -2) at the head
    and the tail, popped by every command that takes from an end."""
    big = [bytes([65 + i]) * (size + i) for i in range(4)]
    rb.rpush(b"l", big[0], b"small", big[1])
    assert rb.lpop(b"l") == big[0]
    assert rb.rpop(b"l") == big[1]
    assert rb.lrange(b"l", 0, -1) == [b"small"]
    rb.lpush(b"l", big[2])
    rb.rpush(b"l", big[3])
    assert rb.lpop(b"l", 2) == [big[2], b"small"]
    assert rb.lmove(b"l", b"m", "RIGHT", "LEFT") == big[3]
    assert rb.lmove(b"m", b"l", "LEFT", "RIGHT") == big[3]
    assert rb.blpop([b"l"], 1) == (b"l", big[3])
    rb.rpush(b"l", *big)
    assert rb.lmpop(1, b"l", direction="LEFT", count=3) == [b"l", big[:3]]
    assert rb.rpoplpush(b"l", b"l") == big[3]
    assert rb.lrange(b"l", 0, -1) == [big[3]]
    assert rb.lpop(b"l") == big[3]
    assert rb.exists(b"l") == 0


def test_binary_values(rb):
    rb.rpush(b"bin\x00key", *BINARY)
    assert rb.llen(b"bin\x00key") == len(BINARY)
    assert rb.lrange(b"bin\x00key", 0, -1) == BINARY
    for i, v in enumerate(BINARY):
        assert rb.lindex(b"bin\x00key", i) == v
    assert rb.lpos(b"bin\x00key", b"\r\n") == 2
    assert rb.lpos(b"bin\x00key", b"") == 5
    assert rb.linsert(b"bin\x00key", "BEFORE", b"\x00", b"\r\n") == len(BINARY) + 1
    assert rb.lrem(b"bin\x00key", 0, b"\r\n") == 2
    assert rb.lrange(b"bin\x00key", 0, -1) == [v for v in BINARY if v != b"\r\n"]
    assert rb.lset(b"bin\x00key", 0, b"\x00\x01\r\n") is True
    assert rb.lpop(b"bin\x00key") == b"\x00\x01\r\n"
    assert rb.rpoplpush(b"bin\x00key", b"dst\r\n") == BINARY[-1]
    assert rb.lrange(b"dst\r\n", 0, -1) == [BINARY[-1]]


def test_integers_in_lists_keep_their_text(rb):
    values = [b"0", b"-1", b"127", b"128", b"-128", b"32767", b"-32768", b"8388607",
              b"2147483647", b"-2147483648", b"4294967296", b"9223372036854775807",
              b"-9223372036854775808", b"12", b"012", b"1.5"]
    rb.rpush(b"ints", *values)
    assert rb.lrange(b"ints", 0, -1) == values
    assert rb.lrem(b"ints", 0, b"12") == 1
    assert rb.lpos(b"ints", b"012") == 13
    assert rb.linsert(b"ints", "AFTER", b"127", b"99") == len(values)
    assert rb.lindex(b"ints", 3) == b"99"


# ---------------------------------------------------------------- configuration and encoding


def test_config_list_max_listpack_size_alias(r):
    assert r.config_get("list-max-listpack-size") == {"list-max-listpack-size": "-2"}
    assert r.config_get("list-max-ziplist-size") == {"list-max-ziplist-size": "-2"}
    assert r.config_get("list-compress-depth") == {"list-compress-depth": "0"}
    assert r.config_get("list-*") == {"list-max-listpack-size": "-2",
                                      "list-max-ziplist-size": "-2",
                                      "list-compress-depth": "0"}
    assert r.config_set("list-max-ziplist-size", 7) is True
    assert r.config_get("list-max-listpack-size") == {"list-max-listpack-size": "7"}
    assert r.config_set("list-max-listpack-size", -5) is True
    assert r.config_get("list-max-ziplist-size") == {"list-max-ziplist-size": "-5"}
    for value in ["0", "-6", "1000000", "32768", "-32768", "2147483647", "-2147483648", "1"]:
        assert r.config_set("list-max-listpack-size", value) is True
        assert r.config_get("list-max-ziplist-size")["list-max-ziplist-size"] == value
    # Both names in one CONFIG SET: the last one wins.
    assert r.execute_command("CONFIG", "SET", "list-max-ziplist-size", "5",
                             "list-max-listpack-size", "6") == "OK"
    assert r.config_get("list-max-ziplist-size") == {"list-max-ziplist-size": "6"}
    for value in ["65536", "2147483647", "0", "3"]:
        assert r.config_set("list-compress-depth", value) is True
        assert r.config_get("list-compress-depth") == {"list-compress-depth": value}


@pytest.mark.parametrize("name, value, message", [
    ("list-compress-depth", "-1", "argument must be between 0 and 2147483647 inclusive"),
    ("list-compress-depth", "2147483648", "argument must be between 0 and 2147483647 inclusive"),
    ("list-compress-depth", "abc", "argument couldn't be parsed into an integer"),
    ("list-max-listpack-size", "abc", "argument couldn't be parsed into an integer"),
    ("list-max-listpack-size", "2147483648",
     "argument must be between -2147483648 and 2147483647 inclusive"),
    ("list-max-ziplist-size", "-2147483649",
     "argument must be between -2147483648 and 2147483647 inclusive"),
    ("list-max-ziplist-size", "1.5", "argument couldn't be parsed into an integer"),
])
def test_config_list_errors(c, r, name, value, message):
    assert c.err("CONFIG", "SET", name, value) == \
        f"ERR CONFIG SET failed (possibly related to argument '{name}') - {message}"
    assert r.config_get(name)[name] == ("0" if name == "list-compress-depth" else "-2")


def test_config_from_command_line(start_server):
    srv = start_server(["--list-max-ziplist-size", "4", "--list-compress-depth", "1"])
    cl = srv.client()
    try:
        assert cl.config_get("list-max-listpack-size") == {"list-max-listpack-size": "4"}
        assert cl.config_get("list-compress-depth") == {"list-compress-depth": "1"}
        cl.rpush("l", *range(100))
        assert cl.object("encoding", "l") == "quicklist"
        assert cl.lrange("l", 0, -1) == [str(i) for i in range(100)]
    finally:
        cl.close()
    srv2 = start_server(["--list-max-listpack-size", "-1"])
    cl = srv2.client()
    try:
        assert cl.config_get("list-max-ziplist-size") == {"list-max-ziplist-size": "-1"}
    finally:
        cl.close()


def exercise(r, key, rnd):
    """A fixed mix of list operations; returns the expected final contents."""
    model = []
    pipe = r.pipeline(transaction=False)
    for i in range(600):
        v = f"v{i}" + ("x" * rnd.choice([0, 5, 70, 300]))
        if i % 3 == 0:
            pipe.lpush(key, v)
            model.insert(0, v)
        else:
            pipe.rpush(key, v)
            model.append(v)
    pipe.execute()
    for _ in range(40):
        i = rnd.randrange(len(model))
        r.lset(key, i, f"s{i}")
        model[i] = f"s{i}"
    for _ in range(20):
        pivot = model[rnd.randrange(len(model))]
        r.linsert(key, "AFTER", pivot, "ins")
        model.insert(model.index(pivot) + 1, "ins")
    assert r.lrem(key, 5, "ins") == 5
    model, _ = lrem_model(model, 5, "ins")
    r.ltrim(key, 3, -4)
    model = model[3:-3]
    assert r.lpop(key, 7) == model[:7]
    model = model[7:]
    return model


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_encodings_and_contents_under_any_config(r, depth):
    assert r.config_set("list-compress-depth", depth) is True
    for fill in [-5, -4, -3, -2, -1, 0, 1, 2, 5, 128, 1000]:
        r.flushall()
        assert r.config_set("list-max-listpack-size", fill) is True
        r.rpush("one", "x")
        assert r.object("encoding", "one") == "quicklist", fill
        model = exercise(r, "l", random.Random(fill * 10 + depth))
        assert r.object("encoding", "l") == "quicklist", fill
        assert r.lrange("l", 0, -1) == model, fill
        assert r.llen("l") == len(model)
        for i in (0, 1, 2, len(model) // 2, -3, -2, -1):
            assert r.lindex("l", i) == model[i], (fill, i)
        assert r.lrange("l", 100, 120) == model[100:121], fill
        assert r.lpos("l", model[-1], rank=-1) == \
            len(model) - 1 - model[::-1].index(model[-1]), fill


def test_config_change_applies_to_existing_lists(r):
    r.rpush("l", *[f"e{i}" * 20 for i in range(500)])
    model = [f"e{i}" * 20 for i in range(500)]
    assert r.config_set("list-compress-depth", 1) is True
    assert r.config_set("list-max-listpack-size", 3) is True
    r.rpush("l", "tail")
    r.lpush("l", "head")
    model = ["head"] + model + ["tail"]
    assert r.lrange("l", 0, -1) == model
    assert r.object("encoding", "l") == "quicklist"


# ---------------------------------------------------------------- DEBUG DIGEST-VALUE


def load_lists(cl):
    """The same lists on any server; returns their names (and a missing key)."""
    ex = cl.execute_command
    ex("RPUSH", "small", "a", "b", "c")
    ex("RPUSH", "ints", "1", "-1", "0", "9223372036854775807", "-9223372036854775808", "12345",
       "007", "")
    ex("RPUSH", "long", "v" * 100, "w" * 5000, "x" * 70000)
    ex("RPUSH", "bin", *BINARY)
    ex("RPUSH", "big", *[f"item:{i}" for i in range(10000)])
    ex("LSET", "big", "5000", "changed")
    ex("LINSERT", "big", "BEFORE", "item:7000", "inserted")
    ex("LREM", "big", "0", "item:3")
    ex("LTRIM", "big", "1", "-2")
    ex("RPUSH", "single", "only")
    ex("EXPIREAT", "single", 4102444800)
    ex("RPUSH", "popped", *range(50))
    ex("LPOP", "popped", "10")
    ex("RPOP", "popped", "10")
    ex("RPUSH", "moved", "m1", "m2")
    ex("LMOVE", "moved", "dest", "LEFT", "RIGHT")
    ex("RPOPLPUSH", "popped", "dest")
    ex("CONFIG", "SET", "list-max-listpack-size", "2")
    ex("CONFIG", "SET", "list-compress-depth", "1")
    ex("RPUSH", "dense", *[f"d{i}" * 10 for i in range(300)])
    ex("CONFIG", "SET", "list-max-listpack-size", "-2")
    ex("CONFIG", "SET", "list-compress-depth", "0")
    return [b"small", b"ints", b"long", b"bin", b"big", b"single", b"popped", b"moved",
            b"dest", b"dense", b"missing"]


def test_debug_digest_of_lists_matches_redis(server, reference):
    tess = server.client(decode_responses=False, single_connection_client=True)
    ref = reference
    try:
        keys = load_lists(tess)
        load_lists(ref)
        for cl in (tess, ref):
            for key in keys[:-1]:
                assert cl.object("encoding", key) == b"quicklist"
        assert tess.lrange(b"big", 0, -1) == ref.lrange(b"big", 0, -1)
        want_all = assert_same_digests(tess, ref, keys)
        # The same changes move both digests the same way.
        for cl in (tess, ref):
            cl.lpush(b"small", b"z")
            cl.lset(b"big", 0, b"first")
            cl.persist(b"single")
            cl.rpop(b"bin")
        assert tess.execute_command("DEBUG", "DIGEST") == \
            ref.execute_command("DEBUG", "DIGEST") != want_all
        assert tess.execute_command("DEBUG", "DIGEST-VALUE", b"small", b"big", b"bin") == \
            ref.execute_command("DEBUG", "DIGEST-VALUE", b"small", b"big", b"bin")
    finally:
        tess.close()


def test_debug_digest_independent_of_node_layout(server, reference):
    tess = server.client(decode_responses=False, single_connection_client=True)
    try:
        items = [f"item{i}".encode() * (1 + i % 7) for i in range(400)] + [b"1", b"-5", b""]
        digests = []
        for cl in (tess, reference):
            per_server = []
            for fill, depth in [(-2, 0), (1, 0), (4, 2), (-5, 1), (1000, 3)]:
                cl.config_set("list-max-listpack-size", fill)
                cl.config_set("list-compress-depth", depth)
                key = f"l{fill}:{depth}".encode()
                cl.rpush(key, *items)
                per_server.append(cl.execute_command("DEBUG", "DIGEST-VALUE", key)[0])
            assert len(set(per_server)) == 1
            assert per_server[0] != ZERO_DIGEST
            digests.append(per_server[0])
        assert digests[0] == digests[1]
    finally:
        tess.close()


def test_debug_digest_value_tracks_list_changes(r):
    r.rpush("l", "a", "b", "c")
    d1 = r.execute_command("DEBUG", "DIGEST-VALUE", "l")[0]
    r.rpush("l", "d")
    d2 = r.execute_command("DEBUG", "DIGEST-VALUE", "l")[0]
    assert d2 != d1
    r.rpop("l")
    assert r.execute_command("DEBUG", "DIGEST-VALUE", "l")[0] == d1
    # Order matters for lists.
    r.rpush("m", "c", "b", "a")
    assert r.execute_command("DEBUG", "DIGEST-VALUE", "m")[0] != d1
    r.delete("m")
    r.lpush("m", "c", "b", "a")
    assert r.execute_command("DEBUG", "DIGEST-VALUE", "m")[0] == d1


def load_plain_nodes(cl):
    """Lists with elements stored as plain quicklist nodes (DEBUG QUICKLIST-PACKED-THRESHOLD)."""
    ex = cl.execute_command
    assert ex("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100") in (b"OK", "OK")
    big = [b"B" * 150, b"C" * 1000, b"D" * 100, b"E" * 99]
    ex("RPUSH", "plain", b"a", big[0], b"b", big[1], big[2], big[3], b"c")
    ex("LSET", "plain", "0", b"F" * 200)
    ex("LSET", "plain", "1", b"small")
    ex("LINSERT", "plain", "BEFORE", b"b", b"G" * 300)
    ex("LINSERT", "plain", "AFTER", b"C" * 1000, b"tiny")
    ex("LREM", "plain", "0", b"D" * 100)
    ex("LPUSH", "plain", b"H" * 120)
    ex("RPUSH", "plain", b"I" * 500)
    ex("LMOVE", "plain", "moved", "RIGHT", "LEFT")
    ex("RPUSH", "moved", b"J" * 101, b"x")
    assert ex("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0") in (b"OK", "OK")
    return [b"plain", b"moved"]


def test_plain_nodes_contents_and_digest_match_redis(server, reference):
    tess = server.client(decode_responses=False, single_connection_client=True)
    try:
        keys = load_plain_nodes(tess)
        load_plain_nodes(reference)
        want_plain = [b"H" * 120, b"F" * 200, b"small", b"G" * 300, b"b", b"C" * 1000, b"tiny",
                      b"E" * 99, b"c"]
        for cl in (tess, reference):
            assert cl.lrange(b"plain", 0, -1) == want_plain
            assert cl.lrange(b"moved", 0, -1) == [b"I" * 500, b"J" * 101, b"x"]
            assert cl.object("encoding", b"plain") == b"quicklist"
            assert cl.lpos(b"plain", b"C" * 1000) == 5
            assert cl.lindex(b"plain", -3) == b"tiny"
        assert tess.execute_command("DEBUG", "DIGEST-VALUE", *keys) == \
            reference.execute_command("DEBUG", "DIGEST-VALUE", *keys)
        # The same contents without plain nodes digest the same way.
        for cl in (tess, reference):
            cl.rpush(b"packed", *want_plain)
            a, b = cl.execute_command("DEBUG", "DIGEST-VALUE", b"plain", b"packed")
            assert a == b != ZERO_DIGEST
    finally:
        tess.close()


def test_quicklist_packed_threshold_errors(c):
    message = "ERR argument must be a memory value bigger than 1 and smaller than 4gb"
    assert c.err("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "abc") == message
    assert c.err("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "5000000000") == message
    assert c("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0") == "OK"


# ---------------------------------------------------------------- side by side with redis-server


DIFF_VALUES = ["a", "b", "c", "", "1", "-7", "9223372036854775807", "x" * 70, "y" * 5000,
               "z" * 40000, "a\x00b", "\r\n"]


def random_list_command(rnd, keys):
    key, key2 = rnd.choice(keys), rnd.choice(keys)

    def v():
        return rnd.choice(DIFF_VALUES)

    def idx():
        return str(rnd.choice([rnd.randint(-40, 40), rnd.randint(-3, 3)]))

    def direction():
        return rnd.choice(["LEFT", "RIGHT"])

    ops = [
        lambda: ["LPUSH", key] + [v() for _ in range(rnd.randint(1, 6))],
        lambda: ["RPUSH", key] + [v() for _ in range(rnd.randint(1, 6))],
        lambda: ["LPUSHX", key, v(), v()],
        lambda: ["RPUSHX", key, v()],
        lambda: ["LPOP", key],
        lambda: ["RPOP", key, str(rnd.randint(0, 4))],
        lambda: ["LLEN", key],
        lambda: ["LINDEX", key, idx()],
        lambda: ["LINSERT", key, rnd.choice(["BEFORE", "AFTER"]), v(), v()],
        lambda: ["LPOS", key, v()],
        lambda: ["LPOS", key, v(), "RANK", rnd.choice(["1", "2", "-1", "-3"]), "COUNT",
                 str(rnd.randint(0, 3)), "MAXLEN", str(rnd.randint(0, 20))],
        lambda: ["LRANGE", key, idx(), idx()],
        lambda: ["LREM", key, str(rnd.randint(-3, 3)), v()],
        lambda: ["LSET", key, idx(), v()],
        lambda: ["LTRIM", key, str(rnd.randint(-60, 3)), str(rnd.randint(-3, 60))],
        lambda: ["LMOVE", key, key2, direction(), direction()],
        lambda: ["RPOPLPUSH", key, key2],
        lambda: ["LMPOP", "2", key, key2, direction(), "COUNT", str(rnd.randint(1, 5))],
    ]
    return rnd.choice(ops)()


def short(v):
    """A printable form of a reply or command: long strings are abbreviated."""
    if isinstance(v, (bytes, str)) and len(v) > 40:
        return f"<{len(v)} bytes {v[:6]!r}...>"
    if isinstance(v, (list, tuple)):
        return type(v)(short(x) for x in v)
    return v


def run_pipelined(conn, commands):
    for cmd in commands:
        conn.send_command(*cmd)
    return [comparable(conn.read()) for _ in commands]


@pytest.mark.parametrize("fill, depth", [(-2, 0), (3, 1), (-1, 2)])
def test_random_list_operations_match_redis(server, reference_redis, fill, depth):
    rnd = random.Random(fill * 7 + depth)
    keys = ["l1", "l2", "l3", "str"]
    conns = [server.raw(timeout=10), RawConnection("127.0.0.1", reference_redis.port, timeout=10)]
    try:
        for conn in conns:
            assert conn.command("CONFIG", "SET", "list-max-listpack-size", str(fill)) == "OK"
            assert conn.command("CONFIG", "SET", "list-compress-depth", str(depth)) == "OK"
            assert conn.command("SET", "str", "not a list") == "OK"
        done = 0
        for _ in range(15):
            batch = [random_list_command(rnd, keys) for _ in range(200)]
            got, want = (run_pipelined(conn, batch) for conn in conns)
            bad = [short((cmd, g, w)) for cmd, g, w in zip(batch, got, want) if g != w]
            assert not bad, f"first differences after {done} commands: {bad[:5]}"
            done += len(batch)
        digest_keys = ["l1", "l2", "l3", "str"]
        got, want = (conn.command("DEBUG", "DIGEST-VALUE", *digest_keys) for conn in conns)
        assert got == want
        got, want = (conn.command("DEBUG", "DIGEST") for conn in conns)
        assert got == want
    finally:
        for conn in conns:
            conn.close()
