"""Resource limits: query and output buffer limits, maxclients, many idle connections,
idle timeout and TCP keepalive."""
import re
import resource
import socket
import subprocess
import time

import pytest

from resp import ErrorReply, encode
from helpers import wait_until


def info_field(conn, section, field):
    """Reads one INFO field through a raw connection (int when it looks like one)."""
    text = conn.command("INFO", section).decode()
    for line in text.split("\r\n"):
        if line.startswith(field + ":"):
            value = line.split(":", 1)[1]
            return int(value) if re.fullmatch(r"-?\d+", value) else value
    raise AssertionError(f"INFO {section} has no {field}:\n{text}")


def client_names(conn):
    out = conn.command("CLIENT", "LIST").decode()
    return [m.group(1) for m in re.finditer(r"\bname=(\S*)", out)]


def drain_until_closed(sock, timeout):
    """Reads and discards everything until EOF/reset; returns (closed, bytes_read)."""
    total = 0
    deadline = time.time() + timeout
    sock.settimeout(0.5)
    while time.time() < deadline:
        try:
            data = sock.recv(1 << 20)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True, total
        if not data:
            return True, total
        total += len(data)
    return False, total


# ---------------------------------------------------------------------------------------
# client-query-buffer-limit
# ---------------------------------------------------------------------------------------

def test_query_buffer_limit_disconnects_streaming_client(start_server):
    srv = start_server(["--client-query-buffer-limit", "1mb"])
    with srv.raw() as healthy:
        assert healthy.command("CONFIG", "GET", "client-query-buffer-limit") == \
            [b"client-query-buffer-limit", b"1048576"]
        assert healthy.command("SET", "k", "v") == "OK"
        sock = socket.create_connection((srv.host, srv.port), timeout=5)
        try:
            sock.sendall(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$2000000\r\n")
            chunk = b"x" * 65536
            sent = 0
            disconnected = False
            # stream at most 1.9 MB: the argument is never finished
            while sent + len(chunk) < 1_900_000:
                try:
                    sock.sendall(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    disconnected = True
                    break
                sent += len(chunk)
                if sent % (8 * len(chunk)) == 0:
                    assert healthy.command("PING") == "PONG"
            if not disconnected:
                disconnected, extra = drain_until_closed(sock, 5)
                assert extra == 0, "no reply is expected, just the disconnection"
            assert disconnected, f"client with {sent} bytes of query buffer was kept"
        finally:
            sock.close()
        assert healthy.command("PING") == "PONG"
        assert healthy.command("GET", "k") == b"v"
        assert healthy.command("EXISTS", "big") == 0
    # a complete argument larger than the limit can't exist, but many complete commands in
    # one pipeline larger than the limit are fine: they are consumed as they are parsed
    with srv.raw() as c:
        value = b"y" * 200_000
        c.send(encode("SET", "p", value) * 10)
        for _ in range(10):
            assert c.read() == "OK"
        assert c.command("STRLEN", "p") == len(value)


def test_query_buffer_below_limit_is_kept(start_server):
    srv = start_server(["--client-query-buffer-limit", "1mb"])
    with srv.raw() as c, srv.raw() as healthy:
        c.send(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$900000\r\n" + b"z" * 800_000)
        assert not c.is_closed(timeout=0.5)
        assert healthy.command("PING") == "PONG"
        c.send(b"z" * 100_000 + b"\r\n")
        assert c.read() == "OK"
        assert healthy.command("STRLEN", "big") == 900_000


# ---------------------------------------------------------------------------------------
# client-output-buffer-limit
# ---------------------------------------------------------------------------------------

VALUE_SIZE = 100 * 1024
PIPELINED_GETS = 300


def slow_reader(srv, name):
    """A connection with a tiny receive buffer that names itself and pipelines many GETs of
    the big value without reading the replies."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(5)
    sock.connect((srv.host, srv.port))
    sock.sendall(encode("CLIENT", "SETNAME", name))
    assert sock.recv(5) == b"+OK\r\n"
    sock.sendall(encode("GET", "big") * PIPELINED_GETS)
    return sock


def test_output_buffer_hard_limit_disconnects_slow_reader(start_server):
    srv = start_server(["--client-output-buffer-limit", "normal 1mb 512kb 2"])
    with srv.raw() as healthy:
        limits = healthy.command("CONFIG", "GET", "client-output-buffer-limit")[1].decode()
        assert limits.startswith("normal 1048576 524288 2 ")
        assert healthy.command("SET", "big", b"b" * VALUE_SIZE) == "OK"
        sock = slow_reader(srv, "slowreader")
        try:
            # the client disappears from the server while it still hasn't read anything
            gone = wait_until(lambda: "slowreader" not in client_names(healthy), 10)
            assert gone, "client over the output buffer hard limit was not disconnected"
            assert healthy.command("PING") == "PONG"
            closed, received = drain_until_closed(sock, 10)
            assert closed
            assert received < PIPELINED_GETS * VALUE_SIZE, received
        finally:
            sock.close()
        assert healthy.command("STRLEN", "big") == VALUE_SIZE
        assert healthy.command("PING") == "PONG"


def test_output_buffer_without_limit_keeps_slow_reader(start_server):
    srv = start_server()
    with srv.raw() as healthy:
        limits = healthy.command("CONFIG", "GET", "client-output-buffer-limit")[1].decode()
        assert limits.startswith("normal 0 0 0 ")
        assert healthy.command("SET", "big", b"b" * VALUE_SIZE) == "OK"
        sock = slow_reader(srv, "slowreader")
        try:
            time.sleep(1.5)
            assert "slowreader" in client_names(healthy)
            assert healthy.command("PING") == "PONG"
            # now read everything: every reply arrives intact
            expected = (b"$%d\r\n" % VALUE_SIZE + b"b" * VALUE_SIZE + b"\r\n") * PIPELINED_GETS
            got = bytearray()
            deadline = time.time() + 20
            sock.settimeout(1)
            while len(got) < len(expected) and time.time() < deadline:
                try:
                    data = sock.recv(1 << 20)
                except socket.timeout:
                    continue
                assert data, "server closed the connection"
                got += data
            assert bytes(got) == expected
        finally:
            sock.close()
        assert healthy.command("PING") == "PONG"


# ---------------------------------------------------------------------------------------
# maxclients
# ---------------------------------------------------------------------------------------

def test_maxclients(start_server):
    srv = start_server(["--maxclients", "10"])
    conns = []
    try:
        for _ in range(10):
            c = srv.raw()
            assert c.command("PING") == "PONG"
            conns.append(c)
        with srv.raw() as extra:
            reply = extra.read()
            assert isinstance(reply, ErrorReply), reply
            assert reply.message == "ERR max number of clients reached"
            assert extra.is_closed()
        # the existing clients are still served
        for c in conns:
            assert c.command("PING") == "PONG"
        assert info_field(conns[0], "stats", "rejected_connections") == 1
        assert info_field(conns[0], "clients", "connected_clients") == 10
        assert info_field(conns[0], "clients", "maxclients") == 10
        # freeing a slot lets a new client in
        conns.pop().close()

        def can_connect():
            with srv.raw() as c:
                reply = c.command("PING")
                return reply == "PONG"
        assert wait_until(can_connect, 5, 0.1)
        assert info_field(conns[0], "stats", "rejected_connections") >= 1
    finally:
        for c in conns:
            c.close()


# ---------------------------------------------------------------------------------------
# 10,000 idle connections
# ---------------------------------------------------------------------------------------

IDLE_CONNECTIONS = 10_000


def raise_nofile(want):
    """Raises this process's RLIMIT_NOFILE (servers started afterwards inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return
    if hard != resource.RLIM_INFINITY and hard < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
        except (ValueError, OSError) as e:
            pytest.skip(f"cannot raise RLIMIT_NOFILE to {want}: {e}")
    else:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= want


def test_ten_thousand_idle_connections(start_server):
    raise_nofile(IDLE_CONNECTIONS + 2000)
    srv = start_server(["--maxclients", str(IDLE_CONNECTIONS + 200)])
    socks = []
    try:
        with srv.raw() as admin:
            rss_before = info_field(admin, "memory", "used_memory_rss")
            t0 = time.time()
            for i in range(IDLE_CONNECTIONS):
                socks.append(socket.create_connection((srv.host, srv.port), timeout=10))
            connect_time = time.time() - t0
            target = IDLE_CONNECTIONS + 1  # plus the admin connection
            assert wait_until(
                lambda: info_field(admin, "clients", "connected_clients") >= target, 30, 0.2), \
                info_field(admin, "clients", "connected_clients")
            listed = admin.command("CLIENT", "LIST").decode().count("\n")
            assert listed >= target
            # a fresh client is served quickly
            t1 = time.time()
            with srv.raw() as fresh:
                assert fresh.command("PING") == "PONG"
            ping_time = time.time() - t1
            assert ping_time < 1.0, ping_time
            # an idle connection picked at random still works
            socks[1234].sendall(b"PING\r\n")
            assert socks[1234].recv(16) == b"+PONG\r\n"
            rss = info_field(admin, "memory", "used_memory_rss")
            print(f"\n[{srv.cmd[0]}] RSS with {IDLE_CONNECTIONS} idle connections: "
                  f"{rss / 1e6:.1f} MB (before: {rss_before / 1e6:.1f} MB, "
                  f"connect {connect_time:.2f}s, fresh PING {ping_time * 1000:.1f} ms)")
            assert rss < 200 * 1024 * 1024, rss
            for s in socks:
                s.close()
            socks.clear()
            assert wait_until(
                lambda: info_field(admin, "clients", "connected_clients") == 1, 30, 0.2), \
                info_field(admin, "clients", "connected_clients")
            assert admin.command("PING") == "PONG"
    finally:
        for s in socks:
            s.close()


# ---------------------------------------------------------------------------------------
# timeout
# ---------------------------------------------------------------------------------------

def test_idle_timeout(start_server):
    srv = start_server(["--timeout", "1"])
    idle = srv.raw()
    monitor = srv.raw()
    active = srv.raw()
    try:
        assert idle.command("PING") == "PONG"
        assert monitor.command("MONITOR") == "OK"
        assert active.command("CONFIG", "GET", "timeout") == [b"timeout", b"1"]
        t0 = time.time()
        closed_at = None
        while time.time() - t0 < 6:
            assert active.command("PING") == "PONG"
            if idle.is_closed(timeout=0.2):
                closed_at = time.time() - t0
                break
        assert closed_at is not None, "idle client was not closed"
        assert 0.8 <= closed_at <= 3.5, closed_at
        assert idle.buf == b"", "nothing is sent to a client closed for idleness"
        # let a few more timeout periods pass: the MONITOR client stays connected (Redis
        # treats it like a replica, exempt from the idle timeout) and the active one too
        deadline = time.time() + 2.5
        while time.time() < deadline:
            assert active.command("PING") == "PONG"
            time.sleep(0.2)
        assert active.command("SET", "after", "1") == "OK"
        assert not monitor.is_closed(timeout=0.5)
        assert b"after" in monitor.buf
        assert active.command("PING") == "PONG"
    finally:
        for c in (idle, monitor, active):
            c.close()


def test_timeout_zero_never_closes(start_server):
    srv = start_server()
    with srv.raw() as idle:
        assert idle.command("CONFIG", "GET", "timeout") == [b"timeout", b"0"]
        time.sleep(2.5)
        assert idle.command("PING") == "PONG"


def test_timeout_can_be_set_at_runtime(start_server):
    srv = start_server()
    with srv.raw() as idle, srv.raw() as admin:
        assert idle.command("PING") == "PONG"
        assert admin.command("CONFIG", "SET", "timeout", "1") == "OK"
        t0 = time.time()
        closed = False
        while time.time() - t0 < 6 and not closed:
            assert admin.command("PING") == "PONG"
            closed = idle.is_closed(timeout=0.2)
        assert closed


# ---------------------------------------------------------------------------------------
# tcp-keepalive
# ---------------------------------------------------------------------------------------

def keepalive_timer(port):
    """Server-side sockets of `port` as listed by ss: the keepalive timer seconds of the one
    established connection, or None when it has no keepalive timer."""
    out = subprocess.run(["ss", "-tnoe", "state", "established", f"( sport = :{port} )"],
                         capture_output=True, text=True, check=True).stdout
    lines = [l for l in out.splitlines()[1:] if l.strip()]
    assert len(lines) == 1, out
    # ss prints the remaining time as e.g. "59sec", "1min", "1min2sec" or "500ms".
    m = re.search(r"timer:\(keepalive,(?:(\d+)min)?(?:(\d+(?:\.\d+)?)sec)?(?:(\d+)ms)?,",
                  lines[0])
    if m is None or not any(m.groups()):
        assert "timer:(" not in lines[0] or "keepalive" not in lines[0], lines[0]
        return None
    return (int(m.group(1) or 0) * 60 + float(m.group(2) or 0) + int(m.group(3) or 0) / 1000)


@pytest.fixture
def ss_available():
    try:
        out = subprocess.run(["ss", "-V"], capture_output=True, text=True).stdout
    except FileNotFoundError:
        pytest.skip("ss (iproute2) is not installed")
    return out


def test_tcp_keepalive_default(start_server, ss_available):
    srv = start_server()
    with srv.raw() as c:
        assert c.command("CONFIG", "GET", "tcp-keepalive") == [b"tcp-keepalive", b"300"]
        timer = keepalive_timer(srv.port)
        assert timer is not None, "accepted socket has no keepalive timer"
        assert 240 <= timer <= 300, timer


def test_tcp_keepalive_configured(start_server, ss_available):
    srv = start_server(["--tcp-keepalive", "60"])
    with srv.raw() as c:
        assert c.command("CONFIG", "GET", "tcp-keepalive") == [b"tcp-keepalive", b"60"]
        timer = keepalive_timer(srv.port)
        assert timer is not None, "accepted socket has no keepalive timer"
        assert 30 <= timer <= 60, timer


def test_tcp_keepalive_disabled(start_server, ss_available):
    srv = start_server(["--tcp-keepalive", "0"])
    with srv.raw() as c:
        assert c.command("PING") == "PONG"
        assert keepalive_timer(srv.port) is None


def test_output_buffer_soft_limit_disconnects_after_its_duration(start_server):
    srv = start_server(["--client-output-buffer-limit", "normal 0 512kb 2"])
    with srv.raw() as healthy:
        assert healthy.command("SET", "big", b"b" * VALUE_SIZE) == "OK"
        sock = slow_reader(srv, "slowreader")
        t0 = time.time()
        try:
            # over the soft limit, but not for long enough yet
            time.sleep(0.5)
            assert "slowreader" in client_names(healthy)
            gone = wait_until(lambda: "slowreader" not in client_names(healthy), 8)
            elapsed = time.time() - t0
            assert gone, "client over the soft limit for longer than 2 s was kept"
            assert elapsed >= 1.0, elapsed
            print(f"\n[{srv.cmd[0]}] soft-limit disconnection after {elapsed:.2f}s")
            closed, received = drain_until_closed(sock, 10)
            assert closed
            assert received < PIPELINED_GETS * VALUE_SIZE, received
        finally:
            sock.close()
        assert healthy.command("PING") == "PONG"
