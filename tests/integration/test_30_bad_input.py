"""Malformed and hostile requests: every one gets Redis's exact error text, protocol errors
close the offending connection right after the error, the server never crashes and other
clients keep being served."""
import decimal
import time

import pytest

from resp import ErrorReply, encode


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------

class Witness:
    """A second, well-behaved client opened before the bad one; check() verifies it is
    still served correctly (PING and a value it wrote itself)."""

    def __init__(self, server, password=None):
        self.conn = server.raw()
        if password is not None:
            assert self.conn.command("AUTH", password) == "OK"
        self.key = f"witness:{id(self)}"
        self.value = b"healthy\x00\r\nvalue"
        assert self.conn.command("SET", self.key, self.value) == "OK"

    def check(self):
        assert self.conn.command("PING") == "PONG"
        assert self.conn.command("GET", self.key) == self.value
        assert self.conn.command("ECHO", "still here") == b"still here"

    def close(self):
        self.conn.close()


@pytest.fixture
def witness(server):
    w = Witness(server)
    yield w
    w.close()


def read_error(conn):
    reply = conn.read()
    assert isinstance(reply, ErrorReply), f"expected an error, got {reply!r}"
    return reply.message


def assert_protocol_error(server, data, message, witness, before=()):
    """Sends `data` on a fresh connection: the replies in `before` come first, then exactly
    the error `message`, then the connection is closed. The witness is still served."""
    with server.raw() as c:
        c.send(data)
        for expected in before:
            assert c.read() == expected
        assert read_error(c) == message
        assert c.is_closed(), "the server must close the connection after a protocol error"
        assert c.buf == b"", f"unexpected bytes after the protocol error: {c.buf!r}"
    witness.check()
    assert server.alive()


def unknown_command_error(name: bytes, args):
    """Redis's text: the name clipped to 128 bytes, then quoted arguments appended while the
    accumulated argument text is shorter than 128 bytes, each clipped to what is left; CR and
    LF turn into spaces."""
    text = b""
    for a in args:
        if len(text) >= 128:
            break
        text += b"'" + a[:128 - len(text)] + b"' "
    msg = b"ERR unknown command '" + name[:128] + b"', with args beginning with: " + text
    return msg.replace(b"\r", b" ").replace(b"\n", b" ").decode()


# ---------------------------------------------------------------------------------------
# protocol errors: exact text, then the connection is closed
# ---------------------------------------------------------------------------------------

PROTOCOL_ERRORS = [
    # multibulk count
    (b"*abc\r\n", "ERR Protocol error: invalid multibulk length"),
    (b"*2147483648\r\n", "ERR Protocol error: invalid multibulk length"),
    (b"*99999999999999999999\r\n", "ERR Protocol error: invalid multibulk length"),
    (b"*+1\r\n$4\r\nPING\r\n", "ERR Protocol error: invalid multibulk length"),
    (b"*01\r\n$4\r\nPING\r\n", "ERR Protocol error: invalid multibulk length"),
    (b"*1 \r\n$4\r\nPING\r\n", "ERR Protocol error: invalid multibulk length"),
    (b"*\r\n", "ERR Protocol error: invalid multibulk length"),
    # element type
    (b"*1\r\n#4\r\n", "ERR Protocol error: expected '$', got '#'"),
    (b"*2\r\n$4\r\nECHO\r\n:5\r\n", "ERR Protocol error: expected '$', got ':'"),
    (b"*1\r\n*1\r\n$4\r\nPING\r\n", "ERR Protocol error: expected '$', got '*'"),
    # bulk length
    (b"*1\r\n$-4\r\n", "ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$-1\r\n", "ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$abc\r\n", "ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$+4\r\nPING\r\n", "ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$\r\n", "ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$4 \r\nPING\r\n", "ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$2147483648\r\n", "ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$99999999999999999999\r\n", "ERR Protocol error: invalid bulk length"),
    # default proto-max-bulk-len is 512mb
    (b"*1\r\n$536870913\r\n", "ERR Protocol error: invalid bulk length"),
    # inline commands
    (b'SET "a b\r\n', "ERR Protocol error: unbalanced quotes in request"),
    (b"SET 'a b\r\n", "ERR Protocol error: unbalanced quotes in request"),
    (b'SET "a"b\r\n', "ERR Protocol error: unbalanced quotes in request"),
    (b"SET k 'v\\'\r\n", "ERR Protocol error: unbalanced quotes in request"),
]


@pytest.mark.parametrize("data,message", PROTOCOL_ERRORS,
                         ids=[repr(d[:24])[2:-1] for d, _ in PROTOCOL_ERRORS])
def test_protocol_error_closes_connection(server, witness, data, message):
    assert_protocol_error(server, data, message, witness)


def test_too_big_inline_request(server, witness):
    assert_protocol_error(server, b"A" * 70000, "ERR Protocol error: too big inline request",
                          witness)


def test_inline_request_just_under_limit_is_kept(server, witness):
    with server.raw() as c:
        c.send(b"A" * 60000)
        assert not c.is_closed(timeout=0.5)
        c.send(b"\r\nPING\r\n")
        msg = read_error(c)
        assert msg.startswith("ERR unknown command 'AAAA")
        assert c.read() == "PONG"
    witness.check()


def test_too_big_mbulk_count_string(server, witness):
    assert_protocol_error(server, b"*" + b"1" * 70000,
                          "ERR Protocol error: too big mbulk count string", witness)


def test_too_big_bulk_count_string(server, witness):
    assert_protocol_error(server, b"*1\r\n$" + b"1" * 70000,
                          "ERR Protocol error: too big bulk count string", witness)


def test_commands_before_error_run_and_after_error_do_not(server, witness):
    data = (encode("SET", "before", "1") + b"PING\r\n" + b"*1\r\n#4\r\n" +
            encode("SET", "after", "1"))
    assert_protocol_error(server, data, "ERR Protocol error: expected '$', got '#'", witness,
                          before=["OK", "PONG"])
    with server.raw() as c:
        assert c.command("GET", "before") == b"1"
        assert c.command("EXISTS", "after") == 0


def test_protocol_error_after_partial_reads(server, witness):
    """The bad byte arrives in a later packet than the start of the request."""
    with server.raw() as c:
        c.send(b"*2\r\n$4\r\nECHO\r\n")
        assert not c.is_closed(timeout=0.3)
        c.send(b"$1x\r\n")
        assert read_error(c) == "ERR Protocol error: invalid bulk length"
        assert c.is_closed()
    witness.check()


def test_many_bad_clients_do_not_hurt_the_server(server, witness):
    for data, message in PROTOCOL_ERRORS:
        with server.raw() as c:
            c.send(data)
            assert read_error(c) == message
            assert c.is_closed()
    witness.check()
    with server.raw() as c:
        info = c.command("INFO", "stats").decode()
    assert "total_connections_received:" in info


def test_proto_max_bulk_len(start_server):
    srv = start_server(["--proto-max-bulk-len", "1mb"])
    w = Witness(srv)
    with srv.raw() as c:
        assert c.command("CONFIG", "GET", "proto-max-bulk-len") == [b"proto-max-bulk-len",
                                                                     b"1048576"]
    assert_protocol_error(srv, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n",
                          "ERR Protocol error: invalid bulk length", w)
    assert_protocol_error(srv, b"*1\r\n$1048577\r\n", "ERR Protocol error: invalid bulk length", w)
    # exactly the limit is accepted
    value = b"v" * (1024 * 1024)
    with srv.raw() as c:
        assert c.command("SET", "big", value) == "OK"
        assert c.command("STRLEN", "big") == len(value)
    w.check()
    w.close()


# ---------------------------------------------------------------------------------------
# incomplete requests
# ---------------------------------------------------------------------------------------

def test_incomplete_multibulk_keeps_connection_and_others_are_served(server, witness):
    with server.raw() as half:
        half.send(b"*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$10\r\nabc")
        deadline = time.time() + 1.5
        while time.time() < deadline:
            witness.check()
            time.sleep(0.1)
        assert not half.is_closed(timeout=0.2)
        with server.raw() as c:
            assert c.command("EXISTS", "half") == 0
        # finishing the request later executes it
        half.send(b"defghij\r\n")
        assert half.read() == "OK"
        assert half.command("GET", "half") == b"abcdefghij"
    witness.check()


def test_request_split_into_single_bytes(server, witness):
    data = encode("SET", "split", "a\r\nb") + encode("GET", "split")
    with server.raw() as c:
        for i in range(len(data)):
            c.send(data[i:i + 1])
            if i % 7 == 0:
                time.sleep(0.001)
        assert c.read() == "OK"
        assert c.read() == b"a\r\nb"
    witness.check()


def test_idle_half_command_client_is_closed_by_timeout(start_server):
    srv = start_server(["--timeout", "1"])
    with srv.raw() as half, srv.raw() as busy:
        half.send(b"*2\r\n$3\r\nGET\r\n")
        t0 = time.time()
        closed_at = None
        while time.time() - t0 < 6:
            assert busy.command("PING") == "PONG"  # keeps this client active
            if half.is_closed(timeout=0.2):
                closed_at = time.time() - t0
                break
        assert closed_at is not None, "idle client with a half command was not closed"
        assert 0.8 <= closed_at <= 4, closed_at
        assert half.buf == b""
        assert busy.command("PING") == "PONG"


# ---------------------------------------------------------------------------------------
# lenient parsing Redis has
# ---------------------------------------------------------------------------------------

def test_bulk_terminator_is_not_checked(server, witness):
    """Redis skips the two bytes after a bulk without looking at them: the rest of the
    buffer then parses as an inline PING."""
    with server.raw() as c:
        c.send(b"*1\r\n$4\r\nPINGxxPING\r\n")
        assert c.read() == "PONG"
        assert c.read() == "PONG"
        assert c.command("ECHO", "end") == b"end"
    witness.check()


def test_empty_lines_and_empty_multibulks_are_ignored(server, witness):
    with server.raw() as c:
        c.send(b"\r\n\r\n*0\r\n*-1\r\n \r\n\n*0\r\nPING\r\n")
        assert c.read() == "PONG"
        # nothing else was queued in between
        assert c.command("ECHO", "marker") == b"marker"
    witness.check()


def test_inline_commands(server, witness):
    with server.raw() as c:
        c.send(b"PING\n")
        assert c.read() == "PONG"
        c.send(b"SET  inl   \"a b\\r\\n\\x41\"  \r\n")
        assert c.read() == "OK"
        assert c.command("GET", "inl") == b"a b\r\nA"
        c.send(b"ECHO 'it''s'\r\n")
        err = c.read()
        assert isinstance(err, ErrorReply)
        assert err.message == "ERR Protocol error: unbalanced quotes in request"
        assert c.is_closed()
    witness.check()


def test_bulk_header_sent_as_inline_is_an_unknown_command(server, witness):
    with server.raw() as c:
        c.send(b"$4\r\nPING\r\n")
        assert read_error(c) == "ERR unknown command '$4', with args beginning with: "
        assert c.read() == "PONG"
    witness.check()


def test_empty_command_name(server, witness):
    with server.raw() as c:
        c.send(b"*1\r\n$0\r\n\r\n")
        assert read_error(c) == "ERR unknown command '', with args beginning with: "
        assert c.command("PING") == "PONG"
    witness.check()


# ---------------------------------------------------------------------------------------
# binary safety
# ---------------------------------------------------------------------------------------

def test_binary_keys_and_values(server, witness):
    key = b"k\x00\r\n*1\r\n$4\r\nPING\r\n"
    value = b"v\x00\r\n\r\n$-1\r\n" + bytes(range(256))
    with server.raw() as c:
        assert c.command("SET", key, value) == "OK"
        assert c.command("GET", key) == value
        assert c.command("STRLEN", key) == len(value)
        assert c.command("EXISTS", key) == 1
        assert c.command("EXISTS", b"k") == 0
        assert c.command("EXISTS", b"k\x00") == 0
        assert c.command("APPEND", key, b"\r\n") == len(value) + 2
        assert c.command("GETRANGE", key, 0, 3) == b"v\x00\r\n"
        assert c.command("KEYS", b"k\x00*") == [key]
        assert c.command("ECHO", b"\x00") == b"\x00"
        assert c.command("SET", b"\x00", b"") == "OK"
        assert c.command("GET", b"\x00") == b""
        assert c.command("PING") == "PONG"
    witness.check()


def test_binary_values_with_redis_py(server, rb, witness):
    value = bytes(range(256)) * 64
    rb.set(b"bin\r\n\x00", value)
    assert rb.get(b"bin\r\n\x00") == value
    witness.check()


# ---------------------------------------------------------------------------------------
# numeric errors
# ---------------------------------------------------------------------------------------

def test_incrby_overflow(server, witness):
    overflow = ErrorReply("ERR increment or decrement would overflow")
    not_int = "ERR value is not an integer or out of range"
    with server.raw() as c:
        assert c.command("SET", "max", "9223372036854775807") == "OK"
        for cmd in (("INCRBY", "max", "1"), ("INCR", "max"), ("DECRBY", "max", "-1")):
            assert read_error_of(c, *cmd) == overflow.message
        assert c.command("GET", "max") == b"9223372036854775807"
        assert c.command("SET", "min", "-9223372036854775808") == "OK"
        for cmd in (("DECR", "min"), ("DECRBY", "min", "1"), ("INCRBY", "min", "-1")):
            assert read_error_of(c, *cmd) == overflow.message
        assert c.command("GET", "min") == b"-9223372036854775808"
        assert c.command("INCRBY", "min", "9223372036854775807") == -1
        for bad in ("abc", "1.5", "", " 1", "01", "-0", "+1", "99999999999999999999"):
            assert read_error_of(c, "INCRBY", "n", bad) == not_int, bad
        assert c.command("EXISTS", "n") == 0
        assert c.command("SET", "s", "abc") == "OK"
        assert read_error_of(c, "INCR", "s") == not_int
        # DECRBY of LLONG_MIN cannot be negated
        assert read_error_of(c, "DECRBY", "x", "-9223372036854775808") == \
            "ERR decrement would overflow"
    witness.check()


def read_error_of(c, *cmd):
    reply = c.command(*cmd)
    assert isinstance(reply, ErrorReply), f"{cmd}: expected an error, got {reply!r}"
    return reply.message


def test_incrbyfloat_infinity_and_invalid_floats(server, witness):
    nan_inf = "ERR increment would produce NaN or Infinity"
    not_float = "ERR value is not a valid float"
    with server.raw() as c:
        assert c.command("SET", "f", "1.5") == "OK"
        for inc in ("inf", "+inf", "-inf", "Infinity"):
            assert read_error_of(c, "INCRBYFLOAT", "f", inc) == nan_inf, inc
        for inc in ("abc", "nan", "1e", "1.5e", "", " 1", "1 ", "1,5", "1e5000", "1.0\x00"):
            assert read_error_of(c, "INCRBYFLOAT", "f", inc) == not_float, inc
        assert c.command("GET", "f") == b"1.5"
        # a stored infinity cannot be incremented
        assert c.command("SET", "i", "inf") == "OK"
        assert read_error_of(c, "INCRBYFLOAT", "i", "1") == nan_inf
        assert c.command("SET", "g", "abc") == "OK"
        assert read_error_of(c, "INCRBYFLOAT", "g", "1") == not_float
        assert c.command("INCRBYFLOAT", "h", "1.5") == b"1.5"
        assert c.command("INCRBYFLOAT", "h", "-0.5") == b"1"
        assert c.command("INCRBYFLOAT", "h", "1e2") == b"101"
    witness.check()


def test_incrbyfloat_uses_extended_precision(server, witness):
    """Redis computes in long double: 1e308 + 1e308 does not overflow."""
    with server.raw() as c:
        assert c.command("SET", "big", "1e308") == "OK"
        out = c.command("INCRBYFLOAT", "big", "1e308")
        assert isinstance(out, bytes), out
        value = decimal.Decimal(out.decode())
        assert abs(value - decimal.Decimal("2e308")) < decimal.Decimal("1e292")
    witness.check()


# ---------------------------------------------------------------------------------------
# unknown commands, arity, subcommands
# ---------------------------------------------------------------------------------------

UNKNOWN_CASES = [
    (b"foo", [b"a", b"b"]),
    (b"foo", []),
    (b"f" * 200, [b"a"]),
    (b"foo", [b"x" * 200, b"yyy"]),
    (b"foo", [b"a" * 100, b"b" * 100, b"c"]),
    (b"foo", [b"a" * 125, b"b" * 100, b"c"]),
    (b"foo", [b"a" * 126, b"b" * 100, b"c"]),
    (b"foo", [b"x\r\ny", b"z"]),
    (b"fo\r\no", [b"z"]),
    (b"FooBar", [b"1", b"2", b"3", b"4"]),
]


def test_unknown_command_error_text(server, witness):
    assert unknown_command_error(b"foo", [b"a", b"b"]) == \
        "ERR unknown command 'foo', with args beginning with: 'a' 'b' "
    with server.raw() as c:
        for name, args in UNKNOWN_CASES:
            assert read_error_of(c, name, *args) == unknown_command_error(name, args), \
                (name, args)
        # inline form
        c.send(b"foo a b\r\n")
        assert read_error(c) == "ERR unknown command 'foo', with args beginning with: 'a' 'b' "
        assert c.command("PING") == "PONG"
    witness.check()


def test_unknown_command_clipping_examples(server, witness):
    with server.raw() as c:
        assert read_error_of(c, "foo", "a" * 100, "b" * 100, "c") == (
            "ERR unknown command 'foo', with args beginning with: '" + "a" * 100 + "' '" +
            "b" * 25 + "' ")
        assert read_error_of(c, "foo", "x" * 200) == (
            "ERR unknown command 'foo', with args beginning with: '" + "x" * 128 + "' ")
        assert read_error_of(c, "g" * 130) == (
            "ERR unknown command '" + "g" * 128 + "', with args beginning with: ")
    witness.check()


@pytest.mark.parametrize("cmd,name", [
    (["GET"], "get"),
    (["GET", "a", "b"], "get"),
    (["SET", "k"], "set"),
    (["INCRBY", "k"], "incrby"),
    (["STRLEN", "a", "b"], "strlen"),
    (["ECHO"], "echo"),
    (["PING", "a", "b"], "ping"),
    (["CONFIG"], "config"),
    (["CONFIG", "GET"], "config|get"),
    (["config", "set", "a"], "config|set"),
    (["CLIENT"], "client"),
    (["CLIENT", "SETNAME"], "client|setname"),
    (["OBJECT", "ENCODING"], "object|encoding"),
])
def test_wrong_arity(server, witness, cmd, name):
    with server.raw() as c:
        assert read_error_of(c, *cmd) == f"ERR wrong number of arguments for '{name}' command"
        assert c.command("PING") == "PONG"
    witness.check()


def test_unknown_subcommand(server, witness):
    with server.raw() as c:
        assert read_error_of(c, "CONFIG", "foo") == \
            "ERR unknown subcommand 'foo'. Try CONFIG HELP."
        assert read_error_of(c, "config", "FoO", "bar") == \
            "ERR unknown subcommand 'FoO'. Try CONFIG HELP."
        assert read_error_of(c, "CLIENT", "foo") == \
            "ERR unknown subcommand 'foo'. Try CLIENT HELP."
        assert read_error_of(c, "OBJECT", "foo", "k") == \
            "ERR unknown subcommand 'foo'. Try OBJECT HELP."
        assert c.command("PING") == "PONG"
    witness.check()


# ---------------------------------------------------------------------------------------
# limits before authentication
# ---------------------------------------------------------------------------------------

@pytest.fixture
def auth_server(start_server):
    srv = start_server(["--requirepass", "s3cret"])
    w = Witness(srv, password="s3cret")
    yield srv, w
    w.close()


def test_unauthenticated_multibulk_length(auth_server):
    srv, w = auth_server
    assert_protocol_error(srv, b"*11\r\n",
                          "ERR Protocol error: unauthenticated multibulk length", w)
    # 10 arguments are fine (the command is then refused for lack of auth)
    with srv.raw() as c:
        c.send(encode("MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e"))
        assert read_error(c) == "NOAUTH Authentication required."
        assert c.command("AUTH", "s3cret") == "OK"
        assert read_error_of(c, "ECHO") == "ERR wrong number of arguments for 'echo' command"
        args = ["MSET"] + [f"k{i}" for i in range(20)]
        assert c.command(*args) == "OK"
    w.check()


def test_unauthenticated_bulk_length(auth_server):
    srv, w = auth_server
    assert_protocol_error(srv, b"*1\r\n$16385\r\n",
                          "ERR Protocol error: unauthenticated bulk length", w)
    with srv.raw() as c:
        c.send(encode("ECHO", "x" * 16384))
        assert read_error(c) == "NOAUTH Authentication required."
        assert c.command("AUTH", "s3cret") == "OK"
        assert c.command("ECHO", "x" * 100000) == b"x" * 100000
    w.check()


def test_unauthenticated_inline_is_refused_not_closed(auth_server):
    srv, w = auth_server
    with srv.raw() as c:
        c.send(b"PING\r\n")
        assert read_error(c) == "NOAUTH Authentication required."
        assert read_error_of(c, "AUTH", "wrong") == \
            "WRONGPASS invalid username-password pair or user is disabled."
        assert not c.is_closed(timeout=0.2)
        assert c.command("AUTH", "s3cret") == "OK"
        assert c.command("PING") == "PONG"
    w.check()


def rss(conn):
    info = conn.command("INFO", "memory").decode()
    for line in info.split("\r\n"):
        if line.startswith("used_memory_rss:"):
            return int(line.split(":")[1])
    raise AssertionError("no used_memory_rss in INFO memory")


def test_huge_announced_sizes_do_not_allocate(server, witness):
    """Announcing INT_MAX arguments or a 512 MB bulk and then sending nothing must not make
    the server commit that memory; the clients simply wait."""
    before = rss(witness.conn)
    conns = []
    try:
        for i in range(20):
            c = server.raw()
            if i % 2:
                c.send(b"*2147483647\r\n$4\r\nECHO\r\n")
            else:
                c.send(b"*2\r\n$4\r\nECHO\r\n$536870912\r\nabc")
            conns.append(c)
        time.sleep(0.3)
        witness.check()
        for c in conns:
            assert not c.is_closed(timeout=0.05)
        after = rss(witness.conn)
        assert after - before < 100 * 1024 * 1024, (before, after)
    finally:
        for c in conns:
            c.close()
    witness.check()
