"""Listening sockets: IPv6, several bind addresses, unix sockets, port 0, and protected
mode (non-loopback clients come from a private network namespace joined by a veth pair)."""
import os
import shutil
import socket
import stat
import subprocess
import time

import pytest
import redis

from resp import ErrorReply, RawConnection

DENIED = (
    "DENIED Redis is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from "
    "the loopback interface. If you want to connect from external computers to Redis you may "
    "adopt one of the following solutions: 1) Just disable protected mode sending the command "
    "'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from "
    "the same host the server is running, however MAKE SURE Redis is not publicly accessible "
    "from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) "
    "Alternatively you can just disable the protected mode by editing the Redis configuration "
    "file, and setting the protected mode option to 'no', and then restarting the server. 3) "
    "If you started the server manually just for testing, restart it with the "
    "'--protected-mode no' option. 4) Setup a an authentication password for the default "
    "user. NOTE: You only need to do one of the above things in order for the server to start "
    "accepting connections from the outside."
)


def client_entries(conn):
    """CLIENT LIST as a list of dicts."""
    out = conn.command("CLIENT", "LIST").decode()
    entries = []
    for line in out.splitlines():
        fields = {}
        for part in line.split(" "):
            if "=" in part:
                k, v = part.split("=", 1)
                fields[k] = v
        entries.append(fields)
    return entries


def own_entry(conn):
    """The CLIENT LIST entry of this very connection (found through its client id)."""
    my_id = conn.command("CLIENT", "ID")
    for e in client_entries(conn):
        if e.get("id") == str(my_id):
            return e
    raise AssertionError("own connection missing from CLIENT LIST")


def refused(family, addr, timeout=1.0):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(addr)
    except ConnectionRefusedError:
        return True
    else:
        return False
    finally:
        s.close()


def ipv6_loopback_usable():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


needs_ipv6 = pytest.mark.skipif(not ipv6_loopback_usable(), reason="no IPv6 loopback (::1)")


class UnixRaw(RawConnection):
    """RawConnection over a unix socket."""

    def __init__(self, path, timeout=5):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self.buf = b""


# ---------------------------------------------------------------------------------------
# IPv6 and several bind addresses
# ---------------------------------------------------------------------------------------

@needs_ipv6
def test_ipv6_loopback(start_server):
    srv = start_server(bind="::1")
    assert srv.host == "::1"
    with srv.raw() as c:
        assert c.command("PING") == "PONG"
        me = own_entry(c)
        local_port = c.sock.getsockname()[1]
        assert me["addr"] == f"[::1]:{local_port}"
        assert me["laddr"] == f"[::1]:{srv.port}"
        assert c.command("CONFIG", "GET", "bind") == [b"bind", b"::1"]
    r = redis.Redis(host="::1", port=srv.port, socket_timeout=5, decode_responses=True)
    try:
        assert r.set("v6", "yes") is True
        assert r.get("v6") == "yes"
        addrs = [e["addr"] for e in r.client_list()]
        assert all(a.startswith("[::1]:") for a in addrs), addrs
    finally:
        r.close()
    # only ::1 is listening
    assert refused(socket.AF_INET, ("127.0.0.1", srv.port))


@needs_ipv6
def test_several_bind_addresses(start_server):
    srv = start_server(bind="127.0.0.1 ::1")
    with RawConnection("127.0.0.1", srv.port) as v4, RawConnection("::1", srv.port) as v6:
        assert v4.command("SET", "shared", "1") == "OK"
        assert v6.command("GET", "shared") == b"1"
        assert own_entry(v4)["addr"] == f"127.0.0.1:{v4.sock.getsockname()[1]}"
        assert own_entry(v4)["laddr"] == f"127.0.0.1:{srv.port}"
        assert own_entry(v6)["addr"] == f"[::1]:{v6.sock.getsockname()[1]}"
        assert own_entry(v6)["laddr"] == f"[::1]:{srv.port}"
        assert v4.command("CONFIG", "GET", "bind") == [b"bind", b"127.0.0.1 ::1"]
        assert v4.command("INFO", "clients").decode().count("connected_clients:2") == 1


# ---------------------------------------------------------------------------------------
# unix sockets
# ---------------------------------------------------------------------------------------

def wait_unix_ready(path, srv, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not srv.alive():
            raise AssertionError(f"server exited:\n{srv.log_text()}")
        try:
            with UnixRaw(path, timeout=0.5) as c:
                if c.command("PING") == "PONG":
                    return
        except OSError:
            pass
        time.sleep(0.02)
    raise AssertionError(f"unix socket {path} never answered:\n{srv.log_text()}")


def test_unixsocket(start_server, tmp_path):
    path = tmp_path / "s.sock"
    srv = start_server(["--unixsocket", path, "--unixsocketperm", "700"])
    wait_unix_ready(path, srv)
    st = os.stat(path)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o700
    r = redis.Redis(unix_socket_path=str(path), socket_timeout=5, decode_responses=True)
    try:
        assert r.ping() is True
        assert r.set("via-unix", "1") is True
        entries = r.client_list()
        assert len(entries) == 1
        assert entries[0]["addr"] == f"{path}:0"
        assert entries[0]["laddr"] == f"{path}:0"
        assert r.config_get("unixsocket") == {"unixsocket": str(path)}
        assert r.config_get("unixsocketperm") == {"unixsocketperm": "700"}
    finally:
        r.close()
    # TCP keeps working next to it and sees the same data
    with srv.raw() as c:
        assert c.command("GET", "via-unix") == b"1"
    with UnixRaw(path) as u, srv.raw() as c:
        unix_entry = own_entry(u)
        assert "U" in unix_entry["flags"]
        assert "U" not in own_entry(c)["flags"]
    # the socket file is removed on shutdown
    assert srv.stop() == 0
    assert not path.exists()


def test_unixsocket_default_permissions_follow_umask(start_server, tmp_path):
    path = tmp_path / "d.sock"
    srv = start_server(["--unixsocket", path])
    wait_unix_ready(path, srv)
    with UnixRaw(path) as u:
        assert u.command("CONFIG", "GET", "unixsocketperm") == [b"unixsocketperm", b"0"]
    mode = stat.S_IMODE(os.stat(path).st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o777 & ~umask, oct(mode)


def test_unixsocket_only_with_port_zero(start_server, tmp_path):
    path = tmp_path / "only.sock"
    srv = start_server(["--port", "0", "--unixsocket", path, "--unixsocketperm", "770"],
                       wait=False)
    wait_unix_ready(path, srv)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o770
    with UnixRaw(path) as u:
        assert u.command("CONFIG", "GET", "port") == [b"port", b"0"]
        assert u.command("SET", "k", "v") == "OK"
        assert u.command("GET", "k") == b"v"
        info = u.command("INFO", "server").decode()
        assert "tcp_port:0" in info
    # nothing listens on TCP
    assert refused(socket.AF_INET, ("127.0.0.1", srv.port))
    r = redis.Redis(unix_socket_path=str(path), socket_timeout=5)
    try:
        assert r.dbsize() == 1
    finally:
        r.close()


# ---------------------------------------------------------------------------------------
# protected mode with a non-loopback client (network namespace + veth pair)
# ---------------------------------------------------------------------------------------

def run(*cmd, check=True):
    return subprocess.run(list(cmd), capture_output=True, text=True, check=check, timeout=20)


@pytest.fixture(scope="module")
def netns():
    """A private network namespace joined to the host by a veth pair: host side 10.213.X.1,
    namespace side 10.213.X.2. Yields a dict with name, host_ip, ns_ip."""
    if shutil.which("ip") is None:
        pytest.skip("iproute2 'ip' is not installed")
    if os.geteuid() != 0:
        pytest.skip("creating a network namespace needs root")
    pid = os.getpid()
    name = f"tsr_test_{pid}"
    host_if, ns_if = f"tv0_{pid % 100000}", f"tv1_{pid % 100000}"
    used = run("ip", "-4", "-o", "addr", "show").stdout
    subnet = None
    for i in range(250):
        x = (pid + i) % 250 + 1
        if f" 10.213.{x}." not in used:
            subnet = x
            break
    if subnet is None:
        pytest.skip("no free 10.213.x.0/24 subnet")
    host_ip, ns_ip = f"10.213.{subnet}.1", f"10.213.{subnet}.2"
    probe = run("ip", "netns", "add", name, check=False)
    if probe.returncode != 0:
        pytest.skip(f"'ip netns add' is unavailable here: {probe.stderr.strip()}")
    try:
        run("ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        run("ip", "link", "set", ns_if, "netns", name)
        run("ip", "addr", "add", f"{host_ip}/24", "dev", host_if)
        run("ip", "link", "set", host_if, "up")
        run("ip", "netns", "exec", name, "ip", "addr", "add", f"{ns_ip}/24", "dev", ns_if)
        run("ip", "netns", "exec", name, "ip", "link", "set", ns_if, "up")
        run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up")
        yield {"name": name, "host_ip": host_ip, "ns_ip": ns_ip}
    finally:
        run("ip", "netns", "del", name, check=False)
        if run("ip", "link", "show", host_if, check=False).returncode == 0:
            run("ip", "link", "del", host_if, check=False)


def start_in_netns(start_server, netns, args=(), bind=None):
    return start_server(args, netns=netns["name"], bind=bind or netns["ns_ip"],
                        host=netns["ns_ip"])


def assert_denied(srv):
    with srv.raw() as c:
        assert c.sock.getsockname()[0] != "127.0.0.1"
        reply = c.read()
        assert isinstance(reply, ErrorReply), reply
        assert reply.message == DENIED
        assert c.is_closed()
        assert c.buf == b""


def ns_cli(netns, port, *args):
    out = run("ip", "netns", "exec", netns["name"], "redis-cli", "-h", "127.0.0.1", "-p",
              str(port), *[str(a) for a in args])
    return out.stdout.strip()


def test_protected_mode_denies_non_loopback_client(start_server, netns):
    srv = start_in_netns(start_server, netns)
    assert_denied(srv)
    # a command already in flight changes nothing
    with srv.raw() as c:
        c.send(b"SET sneaky 1\r\nPING\r\n")
        reply = c.read()
        assert isinstance(reply, ErrorReply) and reply.message == DENIED
        assert c.is_closed()
    r = redis.Redis(host=netns["ns_ip"], port=srv.port, socket_timeout=5)
    try:
        # The client reads either the DENIED line or the reset that follows it, depending on
        # whether its PING reached the server before the server closed (with Redis too).
        with pytest.raises((redis.exceptions.ConnectionError,
                            redis.exceptions.ResponseError)) as e:
            r.ping()
        if isinstance(e.value, redis.exceptions.ResponseError):
            assert str(e.value) == DENIED
    finally:
        r.close()
    assert srv.alive()


def test_protected_mode_no_accepts_non_loopback_client(start_server, netns):
    srv = start_in_netns(start_server, netns, ["--protected-mode", "no"])
    with srv.raw() as c:
        assert c.command("PING") == "PONG"
        me = own_entry(c)
        assert me["addr"] == f"{netns['host_ip']}:{c.sock.getsockname()[1]}"
        assert me["laddr"] == f"{netns['ns_ip']}:{srv.port}"
        assert c.command("CONFIG", "GET", "protected-mode") == [b"protected-mode", b"no"]


def test_protected_mode_with_password_accepts_non_loopback_client(start_server, netns):
    srv = start_in_netns(start_server, netns, ["--requirepass", "pw"])
    with srv.raw() as c:
        reply = c.command("PING")
        assert isinstance(reply, ErrorReply)
        assert reply.message == "NOAUTH Authentication required."
        assert c.command("AUTH", "pw") == "OK"
        assert c.command("PING") == "PONG"
        assert c.command("CONFIG", "GET", "protected-mode") == [b"protected-mode", b"yes"]
    r = redis.Redis(host=netns["ns_ip"], port=srv.port, password="pw", socket_timeout=5)
    try:
        assert r.set("remote", "1") is True
    finally:
        r.close()


def test_protected_mode_accepts_loopback_and_can_be_turned_off(start_server, netns):
    srv = start_in_netns(start_server, netns, bind=f"{netns['ns_ip']} 127.0.0.1")
    # loopback clients inside the namespace are served
    assert ns_cli(netns, srv.port, "PING") == "PONG"
    assert ns_cli(netns, srv.port, "SET", "local", "1") == "OK"
    # the host-side (non-loopback) client is refused
    assert_denied(srv)
    # turning protected mode off from loopback lets it in
    assert ns_cli(netns, srv.port, "CONFIG", "SET", "protected-mode", "no") == "OK"
    with srv.raw() as c:
        assert c.command("GET", "local") == b"1"
    assert ns_cli(netns, srv.port, "CONFIG", "SET", "protected-mode", "yes") == "OK"
    assert_denied(srv)
    assert ns_cli(netns, srv.port, "PING") == "PONG"


def test_protected_mode_accepts_loopback_unix_and_ipv6(start_server, tmp_path):
    path = tmp_path / "p.sock"
    bind = "127.0.0.1 ::1" if ipv6_loopback_usable() else "127.0.0.1"
    srv = start_server(["--unixsocket", path], bind=bind)
    wait_unix_ready(path, srv)
    with srv.raw() as c:
        assert c.command("CONFIG", "GET", "protected-mode") == [b"protected-mode", b"yes"]
        assert c.command("PING") == "PONG"
    with UnixRaw(path) as u:
        assert u.command("PING") == "PONG"
    if "::1" in bind:
        with RawConnection("::1", srv.port) as c6:
            assert c6.command("PING") == "PONG"
