"""The wire protocol: pipelining, inline commands, protocol errors, RESP2 versus RESP3 reply
types, large values and redis-cli output."""
import socket
import threading
import time

import pytest
import redis

from resp import ErrorReply, Push, Verbatim, encode
from helpers import error_text as err


def read_until_closed(sock, timeout=2.0):
    """Everything the server sends until it closes the connection (or the timeout)."""
    sock.settimeout(timeout)
    buf = b""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return buf, True
            buf += data
    except socket.timeout:
        return buf, False
    except ConnectionResetError:
        return buf, True


def exchange(server, data, expect_len=None, timeout=0.5):
    """Sends raw bytes; returns (bytes received, closed?). With expect_len, reads at least
    that many bytes and then only waits briefly for more data or the close."""
    with socket.create_connection((server.host, server.port), timeout=5) as s:
        s.sendall(data)
        buf = b""
        if expect_len:
            s.settimeout(5)
            while len(buf) < expect_len:
                try:
                    chunk = s.recv(65536)
                except (socket.timeout, ConnectionResetError):
                    return buf, False
                if not chunk:
                    return buf, True
                buf += chunk
            timeout = 0.1
        more, closed = read_until_closed(s, timeout)
        return buf + more, closed


def check_exchange(server, data, expected):
    got, closed = exchange(server, data, expect_len=len(expected))
    assert got == expected
    return closed


def read_exact(c, n):
    while len(c.buf) < n:
        c._fill()
    data, c.buf = c.buf[:n], c.buf[n:]
    return data


# =========================================================================== pipelining


def test_pipeline_10000_commands_in_one_write(server, r):
    n = 10000
    parts = []
    for i in range(n):
        if i % 3 == 0:
            parts.append(encode("SET", f"p:{i}", f"v{i}"))
        elif i % 3 == 1:
            parts.append(encode("GET", f"p:{i - 1}"))
        else:
            parts.append(encode("INCR", "pipe-counter"))
    payload = b"".join(parts)
    with server.raw(timeout=20) as c:
        sender = threading.Thread(target=c.send, args=(payload,))
        sender.start()
        replies = [c.read() for _ in range(n)]
        sender.join()
        incr = 0
        for i, reply in enumerate(replies):
            if i % 3 == 0:
                assert reply == "OK", (i, reply)
            elif i % 3 == 1:
                assert reply == f"v{i - 1}".encode(), (i, reply)
            else:
                incr += 1
                assert reply == incr, (i, reply)
        assert c.buf == b""
        assert c.command("PING") == "PONG"
    assert r.get("pipe-counter") == str(n // 3)
    assert r.dbsize() == len(range(0, n, 3)) + 1


def test_pipeline_inline_commands_in_one_write(server):
    n = 10000
    payload = b"".join(b"ECHO e%d\r\n" % i for i in range(n))
    with server.raw(timeout=20) as c:
        sender = threading.Thread(target=c.send, args=(payload,))
        sender.start()
        for i in range(n):
            assert c.read() == b"e%d" % i
        sender.join()


def test_pipeline_redis_py(r):
    pipe = r.pipeline(transaction=False)
    for i in range(2000):
        pipe.set(f"rp:{i}", i)
        pipe.incr("rp-counter")
    pipe.get("rp:1999")
    pipe.get("missing")
    pipe.strlen("rp:1999")
    results = pipe.execute()
    assert len(results) == 4003
    assert results[0:4000:2] == [True] * 2000
    assert results[1:4000:2] == list(range(1, 2001))
    assert results[4000:] == ["1999", None, 4]


def test_pipeline_redis_py_error_in_the_middle(r):
    r.set("str", "abc")
    pipe = r.pipeline(transaction=False)
    pipe.set("a", 1)
    pipe.incr("str")
    pipe.get("a")
    results = pipe.execute(raise_on_error=False)
    assert results[0] is True
    assert isinstance(results[1], redis.ResponseError)
    assert "not an integer" in str(results[1])
    assert results[2] == "1"


def test_command_split_across_many_writes(server):
    cmd = encode("SET", "split-key", "split-value") + encode("GET", "split-key")
    with server.raw() as c:
        for i in range(len(cmd)):
            c.send(cmd[i:i + 1])
            time.sleep(0.001)
        assert c.read() == "OK"
        assert c.read() == b"split-value"


# =========================================================================== inline commands


def test_inline_basic(server):
    assert not check_exchange(server, b"SET a b\r\nGET a\r\n", b"+OK\r\n$1\r\nb\r\n")


def test_inline_quoting_and_escapes(server):
    check_exchange(server, b'SET "a key" "va\\x41l\\"ue\\n\\t"\r\nGET "a key"\r\n',
                   b'+OK\r\n$9\r\nvaAl"ue\n\t\r\n')
    # single quotes: only \' is an escape
    check_exchange(server, b"SET 'it\\'s' 'x\\x41'\r\nGET \"it's\"\r\n",
                   b"+OK\r\n$5\r\nx\\x41\r\n")
    # an invalid \x escape is taken literally
    check_exchange(server, b'ECHO "\\x4"\r\n', b"$2\r\nx4\r\n")
    # binary through \x escapes
    check_exchange(server, b'ECHO "\\x00\\xff\\x0d\\x0a"\r\n', b"$4\r\n\x00\xff\r\n\r\n")


def test_inline_whitespace_and_newlines(server):
    assert not check_exchange(server, b"\r\n\r\nPING\r\n", b"+PONG\r\n")
    check_exchange(server, b"PING\n", b"+PONG\r\n")
    check_exchange(server, b"  ECHO   spaced   \r\n", b"$6\r\nspaced\r\n")
    check_exchange(server, b"echo \"\"\r\n", b"$0\r\n\r\n")


def test_inline_unknown_command(server):
    assert not check_exchange(
        server, b"NOSUCH a b\r\n",
        b"-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' \r\n")


def test_inline_unbalanced_quotes(server):
    for bad in (b'SET "unbalanced\r\n', b'ECHO "a"b\r\n', b"ECHO 'x\r\n"):
        data, closed = exchange(server, bad)
        assert data == b"-ERR Protocol error: unbalanced quotes in request\r\n", bad
        assert closed, bad


def test_inline_mixed_with_multibulk(server):
    check_exchange(server, b"SET m 1\r\n" + encode("INCR", "m") + b"GET m\r\n",
                   b"+OK\r\n:2\r\n$1\r\n2\r\n")


# =========================================================================== protocol errors


@pytest.mark.parametrize("payload,message", [
    (b"*1\r\n$x\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*x\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*1\r\nfoo\r\n", b"-ERR Protocol error: expected '$', got 'f'\r\n"),
    (b"*2\r\n$3\r\nGET\r\n$-1\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*3000000000\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*1\r\n$1000000000000\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
])
def test_protocol_errors_close_connection(server, payload, message):
    data, closed = exchange(server, payload)
    assert data == message
    assert closed


def test_protocol_error_after_good_commands(server):
    data, closed = exchange(server, encode("PING") + encode("ECHO", "x") + b"*1\r\n$x\r\n"
                            + encode("PING"))
    assert data == b"+PONG\r\n$1\r\nx\r\n-ERR Protocol error: invalid bulk length\r\n"
    assert closed


def test_unauthenticated_request_size_limits(start_server):
    srv = start_server(["--requirepass", "secret"])
    data, closed = exchange(srv, b"*11\r\n")
    assert data == b"-ERR Protocol error: unauthenticated multibulk length\r\n"
    assert closed
    data, closed = exchange(srv, b"*2\r\n$4\r\nAUTH\r\n$16385\r\n")
    assert data == b"-ERR Protocol error: unauthenticated bulk length\r\n"
    assert closed
    # at the limits the server waits for the rest
    data, closed = exchange(srv, b"*2\r\n$4\r\nAUTH\r\n$16384\r\n", timeout=0.3)
    assert data == b"" and not closed
    # once authenticated, the limits are gone
    with srv.raw() as c:
        assert c.command("AUTH", "secret") == "OK"
        args = ["x%d" % i for i in range(20)]
        assert c.command("DEL", *args) == 0
        assert c.command("ECHO", "y" * 20000) == b"y" * 20000


def test_empty_and_null_multibulk_are_ignored(server):
    assert not check_exchange(server, b"*-1\r\n*0\r\nPING\r\n", b"+PONG\r\n")


def test_incomplete_command_waits_for_the_rest(server):
    with server.raw() as c:
        c.send(b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI")
        assert c.read() == "PONG"
        assert not c.is_closed(timeout=0.2)
        c.send(b"NG\r\n")
        assert c.read() == "PONG"


# =========================================================================== RESP2 vs RESP3


def wire(c, *args):
    """Sends a command and returns the exact bytes of its (single) reply."""
    assert c.buf == b""
    c.send_command(*args)
    received = []
    orig = c._fill

    def recording_fill():
        before = len(c.buf)
        orig()
        received.append(c.buf[before:])
    c._fill = recording_fill
    try:
        c.read()
    finally:
        c._fill = orig
    total = b"".join(received)
    return total[:len(total) - len(c.buf)]


def test_resp2_versus_resp3_wire_types(server, r):
    r.set("k", "v")
    cases = [
        (("GET", "missing"), b"$-1\r\n", b"_\r\n"),
        (("MGET", "k", "missing"), b"*2\r\n$1\r\nv\r\n$-1\r\n", b"*2\r\n$1\r\nv\r\n_\r\n"),
        (("CONFIG", "GET", "timeout"), b"*2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n",
         b"%1\r\n$7\r\ntimeout\r\n$1\r\n0\r\n"),
        (("CLIENT", "GETNAME"), b"$-1\r\n", b"_\r\n"),
        (("DEBUG", "PROTOCOL", "true"), b":1\r\n", b"#t\r\n"),
        (("DEBUG", "PROTOCOL", "false"), b":0\r\n", b"#f\r\n"),
        (("DEBUG", "PROTOCOL", "double"), b"$5\r\n3.141\r\n", b",3.141\r\n"),
        (("DEBUG", "PROTOCOL", "null"), b"$-1\r\n", b"_\r\n"),
        (("PING",), b"+PONG\r\n", b"+PONG\r\n"),
        (("EXISTS", "k"), b":1\r\n", b":1\r\n"),
        (("ECHO", "hi"), b"$2\r\nhi\r\n", b"$2\r\nhi\r\n"),
    ]
    with server.raw() as c2, server.raw() as c3:
        c3.command("HELLO", "3")
        for args, resp2, resp3 in cases:
            assert wire(c2, *args) == resp2, args
            assert wire(c3, *args) == resp3, args


def test_resp3_verbatim_strings(server):
    with server.raw() as c:
        c.command("HELLO", "3")
        raw = wire(c, "CLIENT", "INFO")
        assert raw.startswith(b"=")
        length, body = raw[1:].split(b"\r\n", 1)
        assert body.startswith(b"txt:id=")
        assert len(body) == int(length) + 2 and body.endswith(b"\r\n")
        raw = wire(c, "INFO", "server")
        assert raw.startswith(b"=")
        assert raw.split(b"\r\n", 1)[1].startswith(b"txt:# Server\r\n")
        info = c.command("INFO", "server")
        assert isinstance(info, Verbatim) and info.startswith("# Server")
        # RESP2: plain bulk strings
        c.command("HELLO", "2")
        raw = wire(c, "INFO", "server")
        assert raw.startswith(b"$") and b"\r\n# Server\r\n" in raw


def test_resp3_maps_from_hello_and_command_docs(server):
    with server.raw() as c:
        raw = wire(c, "HELLO", "3")
        assert raw.startswith(b"%7\r\n$6\r\nserver\r\n")
        assert b"$5\r\nproto\r\n:3\r\n" in raw
        docs = c.command("COMMAND", "DOCS", "get")
        assert isinstance(docs, dict)
        assert isinstance(docs[b"get"], dict)


def test_resp3_push_from_debug_protocol(server):
    with server.raw() as c:
        c.command("HELLO", "3")
        c.send_command("DEBUG", "PROTOCOL", "push")
        push = c.read()
        assert isinstance(push, Push)
        assert list(push) == [b"server-cpu-usage", 42]
        assert c.read() == b"Some real reply following the push reply"


def test_resp3_attribute_then_reply(server):
    with server.raw() as c:
        c.command("HELLO", "3")
        c.send_command("DEBUG", "PROTOCOL", "attrib")
        attrs = c.read()
        assert attrs == {b"key-popularity": [b"key:123", 90]}
        assert c.read() == b"Some real reply following the attribute"


def test_resp3_sets_and_bignums(server):
    with server.raw() as c:
        c.command("HELLO", "3")
        assert c.command("DEBUG", "PROTOCOL", "set") == {0, 1, 2}
        assert c.command("DEBUG", "PROTOCOL", "bignum") == \
            1234567999999999999999999999999999999
        assert c.command("DEBUG", "PROTOCOL", "map") == {0: False, 1: True, 2: False}


def test_resp3_errors_same_as_resp2(server):
    with server.raw() as c2, server.raw() as c3:
        c3.command("HELLO", "3")
        for args in (("GET",), ("NOSUCH",), ("SELECT", "99")):
            assert wire(c2, *args) == wire(c3, *args), args


# =========================================================================== large values


def test_10mb_value_round_trip(rb):
    value = bytes(range(256)) * (10 * 1024 * 1024 // 256)
    assert len(value) == 10 * 1024 * 1024
    assert rb.set("big", value) is True
    assert rb.strlen("big") == len(value)
    assert rb.get("big") == value
    assert rb.getrange("big", 5 * 1024 * 1024, 5 * 1024 * 1024 + 9) == value[5 * 1024 * 1024:
                                                                            5 * 1024 * 1024 + 10]
    assert rb.append("big", b"tail") == len(value) + 4
    assert rb.get("big")[-6:] == value[-2:] + b"tail"


def test_10mb_value_raw_chunked(server):
    size = 10 * 1024 * 1024
    value = b"z" * size
    with server.raw(timeout=20) as c:
        header = b"*3\r\n$3\r\nSET\r\n$5\r\nrawbg\r\n$%d\r\n" % size
        c.send(header)
        # send the value in pieces with pauses
        for i in range(0, size, 1024 * 1024):
            c.send(value[i:i + 1024 * 1024])
        c.send(b"\r\n")
        assert c.read() == "OK"
        c.send_command("GET", "rawbg")
        got = c.read()
        assert got == value


def test_many_arguments(server, r):
    n = 50000
    args = []
    for i in range(n):
        args += [f"ma:{i}", str(i)]
    with server.raw(timeout=20) as c:
        assert c.command("MSET", *args) == "OK"
        reply = c.command("MGET", *[f"ma:{i}" for i in range(n)])
        assert reply == [str(i).encode() for i in range(n)]
        assert c.command("DEL", *[f"ma:{i}" for i in range(n)]) == n
    assert r.dbsize() == 0


def test_big_reply_to_slow_reader(server, r):
    r.set("chunk", "q" * (1024 * 1024))
    with server.raw(timeout=20) as c:
        for _ in range(20):
            c.send_command("GET", "chunk")
        time.sleep(0.3)  # let the server's output back up
        for _ in range(20):
            assert len(c.read()) == 1024 * 1024
    assert r.ping() is True


# =========================================================================== redis-cli


def test_redis_cli_resp3_formatted_output(server):
    assert server.cli("SET", "k", "v").stdout == "OK\n"
    out = server.cli("--no-raw", "CONFIG", "GET", "timeout", resp3=True).stdout
    assert out == '1# "timeout" => "0"\n'
    out = server.cli("--no-raw", "CONFIG", "GET", "timeout").stdout
    assert out == '1) "timeout"\n2) "0"\n'
    assert server.cli("--no-raw", "DEBUG", "PROTOCOL", "true", resp3=True).stdout == "(true)\n"
    assert server.cli("--no-raw", "DEBUG", "PROTOCOL", "null", resp3=True).stdout == "(nil)\n"
    assert server.cli("--no-raw", "DEBUG", "PROTOCOL", "double", resp3=True).stdout == \
        "(double) 3.141\n"
    assert server.cli("--no-raw", "DEBUG", "PROTOCOL", "double").stdout == '"3.141"\n'
    assert server.cli("--no-raw", "DEBUG", "PROTOCOL", "map", resp3=True).stdout == (
        "1# (integer) 0 => (false)\n2# (integer) 1 => (true)\n3# (integer) 2 => (false)\n")
    assert server.cli("--no-raw", "DEBUG", "PROTOCOL", "set", resp3=True).stdout == (
        "1~ (integer) 0\n2~ (integer) 1\n3~ (integer) 2\n")
    assert server.cli("--no-raw", "DEBUG", "PROTOCOL", "verbatim", resp3=True).stdout == \
        "This is a verbatim\nstring\n"
    assert server.cli("--no-raw", "GET", "nokey", resp3=True).stdout == "(nil)\n"
    out = server.cli("--no-raw", "HELLO", "3", resp3=True).stdout.splitlines()
    assert out[0] == '1# "server" => "redis"'
    assert out[2] == '3# "proto" => (integer) 3'
    assert out[6] == '7# "modules" => (empty array)'


def test_redis_cli_resp3_raw_output(server):
    assert server.cli("CONFIG", "GET", "timeout", resp3=True).stdout == "timeout 0\n"
    assert server.cli("DEBUG", "PROTOCOL", "true", resp3=True).stdout == "(true)\n"
    assert server.cli("DEBUG", "PROTOCOL", "double", resp3=True).stdout == "3.141\n"
    assert server.cli("DEBUG", "PROTOCOL", "map", resp3=True).stdout == \
        "0 (false)\n1 (true)\n2 (false)\n"
    out = server.cli("CLIENT", "INFO", resp3=True).stdout
    assert out.startswith("id=") and "resp=3" in out


def test_redis_cli_pipe_of_inline_commands(server, r):
    stdin = "".join(f"SET cli:{i} {i}\n" for i in range(100)) + "GET cli:42\n"
    res = server.cli(stdin=stdin)
    lines = res.stdout.splitlines()
    assert lines[:100] == ["OK"] * 100
    assert lines[100] == "42"
    assert r.get("cli:99") == "99"
