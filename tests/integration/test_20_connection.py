"""Connection-level commands: PING ECHO QUIT RESET HELLO AUTH SELECT and the CLIENT family,
checked with redis-py and with the raw RESP client (exact replies, closed connections)."""
import socket
import threading
import time

import pytest
import redis

from resp import ErrorReply
from helpers import error_text as err

CLIENT_LIST_FIELDS = [
    "id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub", "ssub",
    "multi", "qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl", "oll", "omem",
    "tot-mem", "events", "cmd", "user", "redir", "resp",
]

BAD_NAME = "ERR Client names cannot contain spaces, newlines or special characters."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
NOAUTH = "NOAUTH Authentication required."


def parse_client_line(line):
    """'id=1 addr=... name= ...' -> ordered list of (key, value)."""
    out = []
    for tok in line.strip().split(" "):
        k, _, v = tok.partition("=")
        out.append((k, v))
    return out


def client_info(conn):
    reply = conn.command("CLIENT", "INFO")
    if isinstance(reply, bytes):
        reply = reply.decode()
    assert isinstance(reply, str), reply  # RESP3 replies with a verbatim string
    return dict(parse_client_line(reply))


def list_clients(r, *args):
    text = r.execute_command("CLIENT", "LIST", *args)
    return [dict(parse_client_line(line)) for line in text.splitlines() if line]


# --------------------------------------------------------------------------- PING / ECHO


def test_ping_forms(server, r):
    assert r.ping() is True
    with server.raw() as c:
        assert c.command("PING") == "PONG"  # simple string
        assert c.command("PING", "hello world") == b"hello world"  # bulk string
        assert c.command("PING", "") == b""
        assert err(c.command("PING", "a", "b")) == \
            "ERR wrong number of arguments for 'ping' command"
        # still usable after the error
        assert c.command("PING") == "PONG"
        c.command("HELLO", "3")
        assert c.command("PING") == "PONG"
        assert c.command("PING", "x") == b"x"


def test_echo(server, rb):
    payload = bytes(range(256)) * 4
    assert rb.echo(payload) == payload
    with server.raw() as c:
        assert c.command("ECHO", "hi") == b"hi"
        assert c.command("ECHO", "") == b""
        assert err(c.command("ECHO")) == "ERR wrong number of arguments for 'echo' command"
        assert err(c.command("ECHO", "a", "b")) == \
            "ERR wrong number of arguments for 'echo' command"


# --------------------------------------------------------------------------- QUIT


def test_quit_replies_ok_then_closes(server):
    with server.raw() as c:
        assert c.command("SET", "qk", "1") == "OK"
        assert c.command("QUIT") == "OK"
        assert c.is_closed()
        assert c.buf == b""
    # the server is fine and kept the data
    assert server.client().get("qk") == "1"


def test_quit_discards_pipelined_commands_after_it(server, r):
    with server.raw() as c:
        c.send(b"*1\r\n$4\r\nQUIT\r\n*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n$1\r\n1\r\n")
        assert c.read() == "OK"
        assert c.is_closed()
        assert c.buf == b""
    assert r.exists("after") == 0


def test_quit_inline(server):
    with server.raw() as c:
        c.send(b"QUIT\r\n")
        assert c.read() == "OK"
        assert c.is_closed()


# --------------------------------------------------------------------------- RESET


def test_reset_restores_connection_state(server, r):
    r.set("k0", "zero")
    with server.raw() as c:
        assert c.command("SELECT", "5") == "OK"
        assert c.command("SET", "k5", "five") == "OK"
        assert c.command("CLIENT", "SETNAME", "myname") == "OK"
        hello = c.command("HELLO", "3")
        assert isinstance(hello, dict) and hello[b"proto"] == 3
        info = client_info(c)
        assert info["db"] == "5" and info["name"] == "myname" and info["resp"] == "3"
        assert c.command("RESET") == "RESET"
        info = client_info(c)
        assert info["db"] == "0"
        assert info["name"] == ""
        assert info["resp"] == "2"
        assert c.command("CLIENT", "GETNAME") is None
        assert c.command("GET", "k0") == b"zero"
        assert c.command("GET", "k5") is None
        # RESP2 again: HELLO without a version replies with a flat array
        assert isinstance(c.command("HELLO"), list)
        assert err(c.command("RESET", "x")) == \
            "ERR wrong number of arguments for 'reset' command"


def test_reset_turns_replies_back_on(server):
    with server.raw() as c:
        c.send_command("CLIENT", "REPLY", "OFF")
        c.send_command("RESET")
        c.send_command("PING")
        assert c.read() == "RESET"
        assert c.read() == "PONG"


def test_reset_keeps_no_evict_flag(server):
    # Redis 7.0 leaves the no-evict flag alone on RESET.
    with server.raw() as c:
        assert c.command("CLIENT", "NO-EVICT", "ON") == "OK"
        assert "e" in client_info(c)["flags"]
        assert c.command("RESET") == "RESET"
        assert "e" in client_info(c)["flags"]


# --------------------------------------------------------------------------- HELLO


HELLO_KEYS = ["server", "version", "proto", "id", "mode", "role", "modules"]


def test_hello_resp2_reply_layout(server):
    with server.raw() as c:
        my_id = c.command("CLIENT", "ID")
        reply = c.command("HELLO", "2")
        assert isinstance(reply, list) and len(reply) == 14
        keys = [k.decode() for k in reply[0::2]]
        assert keys == HELLO_KEYS
        fields = dict(zip(keys, reply[1::2]))
        assert fields["server"] == b"redis"
        assert fields["proto"] == 2
        assert fields["id"] == my_id
        assert fields["mode"] == b"standalone"
        assert fields["role"] == b"master"
        assert fields["modules"] == []
        assert fields["version"].count(b".") == 2
        # HELLO without arguments does not switch protocol
        assert isinstance(c.command("HELLO"), list)


def test_hello_resp3_map_reply(server):
    with server.raw() as c:
        my_id = c.command("CLIENT", "ID")
        c.send_command("HELLO", "3")
        c._fill()
        assert c.buf.startswith(b"%7\r\n")
        reply = c.read()
        assert isinstance(reply, dict)
        assert list(reply.keys()) == [k.encode() for k in HELLO_KEYS]
        assert reply[b"server"] == b"redis"
        assert reply[b"proto"] == 3
        assert reply[b"id"] == my_id
        assert reply[b"mode"] == b"standalone"
        assert reply[b"role"] == b"master"
        assert reply[b"modules"] == []
        # now in RESP3: a missing key is the RESP3 null
        c.send_command("GET", "nokey")
        c._fill()
        assert c.buf == b"_\r\n"
        assert c.read() is None
        # HELLO without version keeps RESP3 and replies with a map
        assert isinstance(c.command("HELLO"), dict)
        # back to RESP2
        assert isinstance(c.command("HELLO", "2"), list)
        c.send_command("GET", "nokey")
        c._fill()
        assert c.buf == b"$-1\r\n"
        c.read()


def test_hello_version_and_option_errors(server):
    with server.raw() as c:
        for v in ("4", "1", "0", "-1"):
            assert err(c.command("HELLO", v)) == "NOPROTO unsupported protocol version"
        for v in ("x", "3.0", "", "99999999999999999999"):
            assert err(c.command("HELLO", v)) == \
                "ERR Protocol version is not an integer or out of range"
        assert err(c.command("HELLO", "3", "foo")) == "ERR Syntax error in HELLO option 'foo'"
        assert err(c.command("HELLO", "3", "foo", "bar")) == \
            "ERR Syntax error in HELLO option 'foo'"
        assert err(c.command("HELLO", "3", "AUTH", "default")) == \
            "ERR Syntax error in HELLO option 'AUTH'"
        assert err(c.command("HELLO", "3", "SETNAME")) == \
            "ERR Syntax error in HELLO option 'SETNAME'"
        assert err(c.command("HELLO", "3", "SETNAME", "a b")) == BAD_NAME
        # the failed calls did not switch the protocol
        c.send_command("GET", "nokey")
        assert c.read() is None
        assert c.buf == b""
        assert client_info(c)["resp"] == "2"


def test_hello_setname_and_auth_options(server):
    with server.raw() as c:
        reply = c.command("HELLO", "3", "SETNAME", "conn-a")
        assert reply[b"proto"] == 3
        assert c.command("CLIENT", "GETNAME") == b"conn-a"
        # default user without a password accepts any password
        reply = c.command("HELLO", "2", "AUTH", "default", "whatever", "SETNAME", "conn-b")
        assert isinstance(reply, list)
        assert c.command("CLIENT", "GETNAME") == b"conn-b"
        # an empty SETNAME clears the name
        c.command("HELLO", "2", "SETNAME", "")
        assert c.command("CLIENT", "GETNAME") is None
        # a failing HELLO does not rename the connection
        c.command("CLIENT", "SETNAME", "keep")
        assert err(c.command("HELLO", "4", "SETNAME", "other")) == \
            "NOPROTO unsupported protocol version"
        assert c.command("CLIENT", "GETNAME") == b"keep"


# --------------------------------------------------------------------------- AUTH


def test_auth_without_requirepass(server):
    with server.raw() as c:
        assert err(c.command("AUTH", "foo")) == (
            "ERR AUTH <password> called without any password configured for the default "
            "user. Are you sure your configuration is correct?")
        # user + password form against the nopass default user succeeds
        assert c.command("AUTH", "default", "anything") == "OK"
        assert err(c.command("AUTH", "nobody", "x")) == WRONGPASS
        assert err(c.command("AUTH", "a", "b", "c")) == "ERR syntax error"
        assert err(c.command("AUTH")) == "ERR wrong number of arguments for 'auth' command"


def test_requirepass_noauth_and_auth(start_server):
    srv = start_server(["--requirepass", "secret"])
    with srv.raw() as c:
        for cmd in (["PING"], ["GET", "x"], ["SET", "x", "1"], ["CLIENT", "ID"],
                    ["SELECT", "1"], ["ECHO", "x"], ["INFO"]):
            assert err(c.command(*cmd)) == NOAUTH, cmd
        assert err(c.command("AUTH", "wrong")) == WRONGPASS
        assert err(c.command("AUTH", "default", "wrong")) == WRONGPASS
        assert err(c.command("AUTH", "nosuchuser", "secret")) == WRONGPASS
        assert err(c.command("PING")) == NOAUTH
        assert c.command("AUTH", "secret") == "OK"
        assert c.command("PING") == "PONG"
        assert c.command("SET", "x", "1") == "OK"
    with srv.raw() as c:
        assert c.command("AUTH", "default", "secret") == "OK"
        assert c.command("GET", "x") == b"1"
        # RESET goes back to the unauthenticated default user
        assert c.command("RESET") == "RESET"
        assert err(c.command("GET", "x")) == NOAUTH
    with srv.raw() as c:
        # QUIT works without authentication
        assert c.command("QUIT") == "OK"
        assert c.is_closed()
    # redis-py with a password works, without it fails
    ok = srv.client(password="secret")
    assert ok.get("x") == "1"
    ok.close()
    bad = srv.client()
    with pytest.raises(redis.exceptions.AuthenticationError):
        bad.get("x")
    bad.close()


def test_requirepass_hello(start_server):
    srv = start_server(["--requirepass", "secret"])
    with srv.raw() as c:
        msg = err(c.command("HELLO", "3"))
        assert msg.startswith("NOAUTH HELLO must be called with the client already "
                              "authenticated")
        assert err(c.command("HELLO", "3", "AUTH", "default", "wrong")) == WRONGPASS
        assert err(c.command("GET", "x")) == NOAUTH
        reply = c.command("HELLO", "3", "AUTH", "default", "secret", "SETNAME", "authed")
        assert isinstance(reply, dict)
        assert reply[b"proto"] == 3
        assert c.command("CLIENT", "GETNAME") == b"authed"
        c.send_command("GET", "missing")
        c._fill()
        assert c.buf == b"_\r\n"
        c.read()
        # once authenticated, plain HELLO works
        assert isinstance(c.command("HELLO", "2"), list)


def test_requirepass_hello_noauth_text(start_server):
    srv = start_server(["--requirepass", "secret"])
    with srv.raw() as c:
        assert err(c.command("HELLO", "2")) == (
            "NOAUTH HELLO must be called with the client already authenticated, otherwise "
            "the HELLO AUTH <user> <pass> option can be used to authenticate the client and "
            "select the RESP protocol version at the same time")


def test_auth_runtime_requirepass(start_server):
    srv = start_server()
    admin = srv.client()
    assert admin.config_set("requirepass", "pw2") is True
    # already-connected clients stay authenticated
    assert admin.ping() is True
    with srv.raw() as c:
        assert err(c.command("PING")) == NOAUTH
        assert c.command("AUTH", "pw2") == "OK"
        assert c.command("PING") == "PONG"
    assert admin.config_set("requirepass", "") is True
    with srv.raw() as c:
        assert c.command("PING") == "PONG"
    admin.close()


# --------------------------------------------------------------------------- SELECT


def test_select(server, r):
    with server.raw() as c:
        assert c.command("SELECT", "15") == "OK"
        assert c.command("SET", "s", "15") == "OK"
        assert client_info(c)["db"] == "15"
        assert err(c.command("SELECT", "16")) == "ERR DB index is out of range"
        assert err(c.command("SELECT", "-1")) == "ERR DB index is out of range"
        assert err(c.command("SELECT", "x")) == "ERR value is not an integer or out of range"
        assert err(c.command("SELECT", "1.5")) == "ERR value is not an integer or out of range"
        assert err(c.command("SELECT")) == "ERR wrong number of arguments for 'select' command"
        # failed SELECTs leave the db unchanged
        assert client_info(c)["db"] == "15"
        assert c.command("GET", "s") == b"15"
        assert c.command("SELECT", "0") == "OK"
        assert c.command("GET", "s") is None
    assert r.get("s") is None


# --------------------------------------------------------------------------- CLIENT ID / NAME


def test_client_id_unique_and_increasing(server):
    with server.raw() as a, server.raw() as b:
        ida = a.command("CLIENT", "ID")
        idb = b.command("CLIENT", "ID")
        assert isinstance(ida, int) and isinstance(idb, int)
        assert ida > 0 and idb > ida
        assert a.command("CLIENT", "ID") == ida
        assert client_info(a)["id"] == str(ida)
        assert err(a.command("CLIENT", "ID", "x")) == \
            "ERR wrong number of arguments for 'client|id' command"


def test_client_setname_getname(server):
    with server.raw() as c:
        assert c.command("CLIENT", "GETNAME") is None
        assert c.command("CLIENT", "SETNAME", "worker-1") == "OK"
        assert c.command("CLIENT", "GETNAME") == b"worker-1"
        assert client_info(c)["name"] == "worker-1"
        for bad in ("a b", "a\nb", "tab\there", "caf\u00e9", "x\x7f", "\x01"):
            assert err(c.command("CLIENT", "SETNAME", bad)) == BAD_NAME, bad
        assert c.command("CLIENT", "GETNAME") == b"worker-1"
        # printable punctuation is fine
        assert c.command("CLIENT", "SETNAME", "a-b_c.d:e!~") == "OK"
        assert c.command("CLIENT", "GETNAME") == b"a-b_c.d:e!~"
        # empty name clears it
        assert c.command("CLIENT", "SETNAME", "") == "OK"
        assert c.command("CLIENT", "GETNAME") is None
        assert err(c.command("CLIENT", "SETNAME")) == \
            "ERR wrong number of arguments for 'client|setname' command"
        assert err(c.command("CLIENT", "GETNAME", "x")) == \
            "ERR wrong number of arguments for 'client|getname' command"


def test_client_unknown_subcommand_and_help(server):
    with server.raw() as c:
        assert err(c.command("CLIENT", "NOSUCH")) == \
            "ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP."
        assert err(c.command("CLIENT")) == "ERR wrong number of arguments for 'client' command"
        helplines = c.command("CLIENT", "HELP")
        assert isinstance(helplines, list) and len(helplines) > 10
        assert all(isinstance(x, str) for x in helplines)  # status lines
        assert helplines[0].startswith("CLIENT <subcommand>")
        text = "\n".join(helplines)
        for sub in ("GETNAME", "ID", "INFO", "KILL", "LIST", "PAUSE", "UNPAUSE", "REPLY",
                    "SETNAME", "NO-EVICT", "HELP"):
            assert sub in text


# --------------------------------------------------------------------------- CLIENT LIST / INFO


def test_client_list_fields(server):
    with server.raw() as a, server.raw() as b:
        a.command("CLIENT", "SETNAME", "alpha")
        a.command("SELECT", "3")
        b.command("HELLO", "3")
        ida, idb = a.command("CLIENT", "ID"), b.command("CLIENT", "ID")
        b.command("PING")
        text = a.command("CLIENT", "LIST")
        assert isinstance(text, bytes) and text.endswith(b"\n")
        lines = text.decode().splitlines()
        assert len(lines) == 2
        entries = {}
        for line in lines:
            pairs = parse_client_line(line)
            assert [k for k, _ in pairs] == CLIENT_LIST_FIELDS
            d = dict(pairs)
            entries[int(d["id"])] = d
        ea, eb = entries[ida], entries[idb]
        assert ea["name"] == "alpha" and eb["name"] == ""
        assert ea["db"] == "3" and eb["db"] == "0"
        assert ea["resp"] == "2" and eb["resp"] == "3"
        assert ea["cmd"] == "client|list" and eb["cmd"] == "ping"
        assert ea["flags"] == "N" and eb["flags"] == "N"
        assert ea["laddr"] == f"127.0.0.1:{server.port}"
        assert ea["addr"] == "127.0.0.1:%d" % a.sock.getsockname()[1]
        assert eb["addr"] == "127.0.0.1:%d" % b.sock.getsockname()[1]
        assert int(ea["fd"]) > 0 and ea["fd"] != eb["fd"]
        assert ea["age"].isdigit() and ea["idle"].isdigit()
        assert ea["multi"] == "-1" and ea["sub"] == "0" and ea["psub"] == "0"
        assert ea["user"] == "default"
        assert ea["events"] == "r"


def test_client_list_idle_and_age(server):
    with server.raw() as a, server.raw() as b:
        bid = b.command("CLIENT", "ID")
        time.sleep(1.2)
        entry = [d for d in (dict(parse_client_line(x)) for x in
                             a.command("CLIENT", "LIST").decode().splitlines())
                 if d["id"] == str(bid)][0]
        assert int(entry["idle"]) >= 1
        assert int(entry["age"]) >= 1
        assert client_info(a)["idle"] == "0"


def test_client_list_filters(server):
    with server.raw() as a, server.raw() as b, server.raw() as c:
        ids = [x.command("CLIENT", "ID") for x in (a, b, c)]
        assert sorted(int(d["id"]) for d in
                      (dict(parse_client_line(l)) for l in
                       a.command("CLIENT", "LIST", "TYPE", "normal").decode().splitlines())) \
            == sorted(ids)
        assert a.command("CLIENT", "LIST", "TYPE", "NORMAL").count(b"\n") == 3
        assert a.command("CLIENT", "LIST", "TYPE", "pubsub") == b""
        assert a.command("CLIENT", "LIST", "TYPE", "master") == b""
        assert a.command("CLIENT", "LIST", "TYPE", "replica") == b""
        assert a.command("CLIENT", "LIST", "TYPE", "slave") == b""
        assert err(a.command("CLIENT", "LIST", "TYPE", "foo")) == \
            "ERR Unknown client type 'foo'"
        one = a.command("CLIENT", "LIST", "ID", str(ids[1])).decode().splitlines()
        assert len(one) == 1 and one[0].startswith(f"id={ids[1]} ")
        two = a.command("CLIENT", "LIST", "ID", str(ids[2]), str(ids[0]), "999999")
        got = sorted(int(dict(parse_client_line(l))["id"]) for l in two.decode().splitlines())
        assert got == sorted([ids[0], ids[2]])
        assert a.command("CLIENT", "LIST", "ID", "999999") == b""
        assert err(a.command("CLIENT", "LIST", "ID", "x")) == "ERR Invalid client ID"
        assert err(a.command("CLIENT", "LIST", "ID", str(ids[0]), "x")) == \
            "ERR Invalid client ID"
        assert err(a.command("CLIENT", "LIST", "ID")) == "ERR syntax error"
        assert err(a.command("CLIENT", "LIST", "foo")) == "ERR syntax error"
        assert err(a.command("CLIENT", "LIST", "TYPE")) == "ERR syntax error"
        assert err(a.command("CLIENT", "LIST", "TYPE", "normal", "ID", "1")) == \
            "ERR syntax error"


def test_client_list_id_zero_or_negative_matches_nothing(server):
    with server.raw() as c:
        assert c.command("CLIENT", "LIST", "ID", "0") == b""
        assert c.command("CLIENT", "LIST", "ID", "-5") == b""
        mine = c.command("CLIENT", "ID")
        assert c.command("CLIENT", "LIST", "ID", "0", str(mine)).startswith(b"id=%d " % mine)


def test_client_info(server):
    with server.raw() as c:
        c.command("CLIENT", "SETNAME", "me")
        reply = c.command("CLIENT", "INFO")
        assert reply.endswith(b"\n") and reply.count(b"\n") == 1
        pairs = parse_client_line(reply.decode())
        assert [k for k, _ in pairs] == CLIENT_LIST_FIELDS
        d = dict(pairs)
        assert d["id"] == str(c.command("CLIENT", "ID"))
        assert d["name"] == "me"
        assert d["cmd"] == "client|info"
        assert err(c.command("CLIENT", "INFO", "x")) == \
            "ERR wrong number of arguments for 'client|info' command"


# --------------------------------------------------------------------------- CLIENT KILL


def test_client_kill_old_form(server):
    with server.raw() as killer, server.raw() as victim:
        victim.command("PING")
        addr = "127.0.0.1:%d" % victim.sock.getsockname()[1]
        assert killer.command("CLIENT", "KILL", addr) == "OK"
        assert victim.is_closed()
        assert err(killer.command("CLIENT", "KILL", addr)) == "ERR No such client"
        assert err(killer.command("CLIENT", "KILL", "1.2.3.4:5")) == "ERR No such client"
        assert killer.command("PING") == "PONG"


def test_client_kill_by_id(server):
    with server.raw() as killer, server.raw() as victim, server.raw() as bystander:
        vid = victim.command("CLIENT", "ID")
        assert killer.command("CLIENT", "KILL", "ID", str(vid)) == 1
        assert victim.is_closed()
        assert killer.command("CLIENT", "KILL", "ID", str(vid)) == 0
        assert killer.command("CLIENT", "KILL", "ID", "999999") == 0
        assert err(killer.command("CLIENT", "KILL", "ID", "x")) == \
            "ERR client-id should be greater than 0"
        assert err(killer.command("CLIENT", "KILL", "ID", "0")) == \
            "ERR client-id should be greater than 0"
        assert bystander.command("PING") == "PONG"
        # killing yourself by id requires SKIPME no
        kid = killer.command("CLIENT", "ID")
        assert killer.command("CLIENT", "KILL", "ID", str(kid)) == 0
        assert killer.command("CLIENT", "KILL", "ID", str(kid), "SKIPME", "no") == 1
        assert killer.is_closed()


def test_client_kill_type_and_skipme(server):
    conns = [server.raw() for _ in range(3)]
    me = server.raw()
    try:
        for c in conns:
            c.command("PING")
        assert me.command("CLIENT", "KILL", "TYPE", "pubsub") == 0
        assert me.command("CLIENT", "KILL", "TYPE", "master") == 0
        assert me.command("CLIENT", "KILL", "TYPE", "normal") == 3
        for c in conns:
            assert c.is_closed()
        assert me.command("PING") == "PONG"
        assert err(me.command("CLIENT", "KILL", "TYPE", "foo")) == \
            "ERR Unknown client type 'foo'"
        assert err(me.command("CLIENT", "KILL", "SKIPME", "maybe")) == "ERR syntax error"
        assert err(me.command("CLIENT", "KILL", "foo", "bar")) == "ERR syntax error"
        assert err(me.command("CLIENT", "KILL", "ID", "1", "TYPE")) == "ERR syntax error"
        assert me.command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no") == 1
        assert me.is_closed()
    finally:
        for c in conns + [me]:
            c.close()


def test_client_kill_addr_and_laddr(server):
    with server.raw() as me, server.raw() as v1, server.raw() as v2:
        v1.command("PING")
        v2.command("PING")
        addr = "127.0.0.1:%d" % v1.sock.getsockname()[1]
        assert me.command("CLIENT", "KILL", "ADDR", addr) == 1
        assert v1.is_closed()
        assert me.command("CLIENT", "KILL", "ADDR", addr) == 0
        assert me.command("CLIENT", "KILL", "LADDR", "127.0.0.1:1") == 0
        laddr = f"127.0.0.1:{server.port}"
        # LADDR matches every connection to this port; SKIPME defaults to yes
        assert me.command("CLIENT", "KILL", "LADDR", laddr) == 1
        assert v2.is_closed()
        assert me.command("PING") == "PONG"
        myaddr = "127.0.0.1:%d" % me.sock.getsockname()[1]
        # filters combine with AND
        assert me.command("CLIENT", "KILL", "ADDR", myaddr, "SKIPME", "yes") == 0
        assert me.command("CLIENT", "KILL", "ADDR", myaddr, "ID", "999999",
                          "SKIPME", "no") == 0
        assert me.command("CLIENT", "KILL", "ADDR", myaddr, "SKIPME", "no") == 1
        assert me.is_closed()


def test_client_kill_closes_victim_before_replying(server):
    # The victim's socket is closed by the time CLIENT KILL replies.
    with server.raw() as killer:
        for _ in range(200):
            with server.raw() as victim:
                vid = victim.command("CLIENT", "ID")
                assert killer.command("CLIENT", "KILL", "ID", str(vid)) == 1
                victim.sock.setblocking(False)
                try:
                    data = victim.sock.recv(100)
                except BlockingIOError:
                    data = None
                assert data == b"", "victim not closed when CLIENT KILL replied"


def test_client_kill_redis_py_reconnects(server, r):
    other = server.client()
    for _ in range(10):
        other.client_setname("victim")
        vid = other.client_id()
        assert r.client_kill_filter(_id=vid) == 1
        # redis-py reconnects transparently; the new connection has a new id and no name
        assert other.client_id() != vid
        assert other.client_getname() is None
    other.close()


# --------------------------------------------------------------------------- CLIENT PAUSE


def _timed_in_thread(fn):
    box = {}

    def run():
        t0 = time.monotonic()
        try:
            box["result"] = fn()
        except Exception as e:  # pragma: no cover - reported by the caller
            box["error"] = e
        box["elapsed"] = time.monotonic() - t0

    th = threading.Thread(target=run)
    th.start()
    return th, box


def test_client_pause_write(server):
    with server.raw() as admin, server.raw() as reader, server.raw() as writer:
        writer.command("SET", "pk", "before")
        assert admin.command("CLIENT", "PAUSE", "600", "WRITE") == "OK"
        t0 = time.monotonic()
        # reads are not held
        assert reader.command("GET", "pk") == b"before"
        assert reader.command("PING") == "PONG"
        assert reader.command("EXISTS", "pk") == 1
        assert time.monotonic() - t0 < 0.3
        # writes are held until the pause ends
        assert writer.command("SET", "pk", "after") == "OK"
        elapsed = time.monotonic() - t0
        assert elapsed >= 0.45, elapsed
        assert reader.command("GET", "pk") == b"after"


def test_client_pause_write_blocks_redis_py_until_unpause(server):
    admin = server.client()
    writer = server.client()
    assert admin.client_pause(5000, all=False) is True
    th, box = _timed_in_thread(lambda: writer.incr("counter"))
    time.sleep(0.3)
    assert th.is_alive()
    assert admin.get("counter") is None  # the write has not happened
    assert admin.execute_command("CLIENT", "UNPAUSE") == "OK"
    th.join(5)
    assert not th.is_alive()
    assert box.get("result") == 1
    assert box["elapsed"] < 3
    assert admin.get("counter") == "1"
    admin.close()
    writer.close()


def test_client_pause_all(server):
    with server.raw() as admin, server.raw() as reader:
        reader.command("SET", "pa", "v")
        assert admin.command("CLIENT", "PAUSE", "500") == "OK"  # default mode is ALL
        t0 = time.monotonic()
        assert reader.command("GET", "pa") == b"v"
        assert time.monotonic() - t0 >= 0.4
        assert admin.command("CLIENT", "PAUSE", "400", "ALL") == "OK"
        t0 = time.monotonic()
        assert reader.command("PING") == "PONG"
        assert time.monotonic() - t0 >= 0.3


def test_client_pause_errors(server):
    with server.raw() as c:
        assert err(c.command("CLIENT", "PAUSE", "x")) == \
            "ERR timeout is not an integer or out of range"
        assert err(c.command("CLIENT", "PAUSE", "-1")) == "ERR timeout is negative"
        assert err(c.command("CLIENT", "PAUSE", "10", "foo")) == \
            "ERR CLIENT PAUSE mode must be WRITE or ALL"
        assert err(c.command("CLIENT", "PAUSE")) == \
            "ERR wrong number of arguments for 'client|pause' command"
        assert err(c.command("CLIENT", "UNPAUSE", "x")) == \
            "ERR wrong number of arguments for 'client|unpause' command"
        # no pause in effect after all that: a write goes through at once
        t0 = time.monotonic()
        assert c.command("SET", "a", "1") == "OK"
        assert time.monotonic() - t0 < 0.3
        assert c.command("CLIENT", "UNPAUSE") == "OK"


def test_client_pause_too_many_arguments(server):
    with server.raw() as c:
        assert err(c.command("CLIENT", "PAUSE", "10", "WRITE", "extra")) == \
            "ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP."
        assert err(c.command("client", "pause", "10", "all", "x")) == \
            "ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP."
        t0 = time.monotonic()
        assert c.command("SET", "a", "1") == "OK"
        assert time.monotonic() - t0 < 0.3


# --------------------------------------------------------------------------- CLIENT REPLY


def test_client_reply_off_on(server, r):
    with server.raw() as c:
        c.send_command("CLIENT", "REPLY", "OFF")
        c.send_command("SET", "rk", "1")
        c.send_command("GET", "rk")
        c.send_command("INCR", "nonint-ok")
        c.send_command("NOSUCHCOMMAND")
        c.send_command("CLIENT", "REPLY", "ON")
        c.send_command("ECHO", "marker")
        assert c.read() == "OK"  # the reply to CLIENT REPLY ON
        assert c.read() == b"marker"
        assert c.buf == b""
        assert not _more_data(c)
    # the silenced commands still ran
    assert r.get("rk") == "1"
    assert r.get("nonint-ok") == "1"


def test_client_reply_skip(server):
    with server.raw() as c:
        c.send_command("CLIENT", "REPLY", "SKIP")
        c.send_command("ECHO", "skipped")
        c.send_command("ECHO", "shown")
        assert c.read() == b"shown"
        assert c.buf == b""
        # SKIP while OFF is a no-op and stays off until ON
        c.send_command("CLIENT", "REPLY", "OFF")
        c.send_command("CLIENT", "REPLY", "SKIP")
        c.send_command("ECHO", "a")
        c.send_command("ECHO", "b")
        c.send_command("CLIENT", "REPLY", "ON")
        c.send_command("ECHO", "c")
        assert c.read() == "OK"
        assert c.read() == b"c"
        assert not _more_data(c)


def test_client_reply_errors(server):
    with server.raw() as c:
        assert err(c.command("CLIENT", "REPLY", "maybe")) == "ERR syntax error"
        assert err(c.command("CLIENT", "REPLY")) == \
            "ERR wrong number of arguments for 'client|reply' command"
        assert c.command("CLIENT", "REPLY", "ON") == "OK"


def _more_data(c, timeout=0.2):
    c.sock.settimeout(timeout)
    try:
        data = c.sock.recv(4096)
    except socket.timeout:
        return False
    finally:
        c.sock.settimeout(5)
    c.buf += data
    return bool(data)


# --------------------------------------------------------------------------- CLIENT NO-EVICT


def test_client_no_evict(server):
    with server.raw() as c:
        assert "e" not in client_info(c)["flags"]
        assert c.command("CLIENT", "NO-EVICT", "ON") == "OK"
        assert client_info(c)["flags"] == "e"
        assert c.command("CLIENT", "NO-EVICT", "off") == "OK"
        assert client_info(c)["flags"] == "N"
        assert err(c.command("CLIENT", "NO-EVICT", "maybe")) == "ERR syntax error"
        assert err(c.command("CLIENT", "NO-EVICT")) == \
            "ERR wrong number of arguments for 'client|no-evict' command"
