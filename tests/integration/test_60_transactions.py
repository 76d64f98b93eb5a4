"""Transactions with real clients: MULTI/EXEC/DISCARD/WATCH/UNWATCH. +QUEUED replies, EXECABORT
after errors while queueing (unknown commands, wrong arity, EXEC with arguments), runtime errors
inside EXEC that do not roll the other commands back, nested MULTI, EXEC/DISCARD without MULTI,
WATCH inside MULTI; WATCH broken by other clients' writes (SET DEL EXPIRE LPUSH INCR RENAME MOVE,
FLUSHDB/FLUSHALL when the key exists, SWAPDB, expiry of the key) and not broken by reads, writes to
other keys or other databases, failed or no-op writes, or the deletion of a key that had already
expired when it was watched; UNWATCH, DISCARD and RESET unwatching; the null EXEC reply in RESP2 and
RESP3; blocking commands that do not block inside MULTI (exact null bytes); SELECT inside MULTI;
CLIENT LIST flags x/d and multi=<n>; an optimistic WATCH counter with 20 concurrent redis-py
clients; and random two-client transaction sequences replayed on Tessera and redis-server with
every reply compared."""
import random
import threading
import time

import pytest
import redis

from resp import ErrorReply, RawConnection, encode
from helpers import error_text, expect_bytes, read_bytes

QUEUED = "QUEUED"
EXECABORT = "EXECABORT Transaction discarded because of previous errors."
EXEC_ARITY = ("EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' "
              "command")
EXEC_WITHOUT_MULTI = "ERR EXEC without MULTI"
DISCARD_WITHOUT_MULTI = "ERR DISCARD without MULTI"
NESTED = "ERR MULTI calls can not be nested"
WATCH_IN_MULTI = "ERR WATCH inside MULTI is not allowed"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "ERR value is not an integer or out of range"


def arity(cmd):
    return f"ERR wrong number of arguments for '{cmd}' command"


def queue(c, *cmd):
    """Sends one command inside MULTI and checks it was queued."""
    reply = c.command(*cmd)
    assert reply == QUEUED, f"{cmd}: {reply!r}"


def transaction(c, *cmds):
    """MULTI, the commands (each must be queued), EXEC; returns EXEC's reply."""
    assert c.command("MULTI") == "OK"
    for cmd in cmds:
        queue(c, *cmd)
    return c.command("EXEC")


def client_fields(r, name):
    """The CLIENT LIST fields of the client called `name` (redis-py, decoded)."""
    for line in r.execute_command("CLIENT", "LIST").splitlines():
        fields = dict(tok.partition("=")[::2] for tok in line.split(" "))
        if fields.get("name") == name:
            return fields
    raise AssertionError(f"no client named {name}")


# --------------------------------------------------------------------------- basics


def test_multi_exec_basics(server, r):
    with server.raw() as c:
        assert c.command("MULTI") == "OK"
        assert c.command("SET", "a", "1") == QUEUED
        assert c.command("INCR", "a") == QUEUED
        assert c.command("GET", "a") == QUEUED
        assert c.command("LPUSH", "l", "x", "y") == QUEUED
        assert c.command("LRANGE", "l", "0", "-1") == QUEUED
        assert c.command("PING") == QUEUED
        # nothing ran yet
        assert r.exists("a", "l") == 0
        assert c.command("EXEC") == ["OK", 2, b"2", 2, [b"y", b"x"], "PONG"]
        assert r.get("a") == "2"
        # an empty transaction
        assert transaction(c) == []
        # the connection is back to normal
        assert c.command("GET", "a") == b"2"


def test_multi_exec_exact_bytes(server):
    with server.raw() as c:
        c.send(encode("MULTI") + encode("SET", "k", "v") + encode("GET", "k") +
               encode("GET", "nokey") + encode("EXEC"))
        expect_bytes(c, b"+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n"
                        b"*3\r\n+OK\r\n$1\r\nv\r\n$-1\r\n")
        c.send(encode("MULTI") + encode("EXEC"))
        expect_bytes(c, b"+OK\r\n*0\r\n")
        # RESP3: same framing, RESP3 null inside
        c.command("HELLO", "3")
        c.send(encode("MULTI") + encode("GET", "nokey") + encode("INCR", "n") + encode("EXEC"))
        expect_bytes(c, b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n_\r\n:1\r\n")


def test_discard(server, r):
    with server.raw() as c:
        assert c.command("MULTI") == "OK"
        queue(c, "SET", "a", "1")
        queue(c, "LPUSH", "l", "x")
        assert c.command("DISCARD") == "OK"
        assert r.exists("a", "l") == 0
        # out of MULTI again
        assert c.command("SET", "b", "2") == "OK"
        assert error_text(c.command("EXEC")) == EXEC_WITHOUT_MULTI
        assert error_text(c.command("DISCARD")) == DISCARD_WITHOUT_MULTI


def test_exec_and_discard_without_multi(server):
    with server.raw() as c:
        assert error_text(c.command("EXEC")) == EXEC_WITHOUT_MULTI
        assert error_text(c.command("DISCARD")) == DISCARD_WITHOUT_MULTI
        assert c.command("PING") == "PONG"


def test_multi_exec_discard_arity(server, r):
    with server.raw() as c:
        assert error_text(c.command("MULTI", "x")) == arity("multi")
        assert error_text(c.command("DISCARD", "x")) == arity("discard")
        # EXEC with arguments is reported as an aborted transaction, even outside MULTI
        assert error_text(c.command("EXEC", "x")) == EXEC_ARITY
        assert error_text(c.command("WATCH")) == arity("watch")
        assert error_text(c.command("UNWATCH", "x")) == arity("unwatch")
        # inside MULTI: EXEC with arguments discards the transaction
        assert c.command("MULTI") == "OK"
        queue(c, "SET", "a", "1")
        assert error_text(c.command("EXEC", "x")) == EXEC_ARITY
        assert error_text(c.command("EXEC")) == EXEC_WITHOUT_MULTI
        assert r.exists("a") == 0
        # inside MULTI: DISCARD with arguments is a queueing error that aborts the EXEC
        assert c.command("MULTI") == "OK"
        queue(c, "SET", "a", "1")
        assert error_text(c.command("DISCARD", "x")) == arity("discard")
        assert error_text(c.command("EXEC")) == EXECABORT
        assert r.exists("a") == 0


def test_execabort_after_unknown_command(server, r):
    with server.raw() as c:
        assert c.command("MULTI") == "OK"
        queue(c, "SET", "a", "1")
        assert error_text(c.command("NOSUCH", "x", "y")) == \
            "ERR unknown command 'NOSUCH', with args beginning with: 'x' 'y' "
        # commands after the error are still answered +QUEUED
        queue(c, "SET", "b", "2")
        assert error_text(c.command("EXEC")) == EXECABORT
        assert r.exists("a", "b") == 0
        # the connection left MULTI
        assert error_text(c.command("EXEC")) == EXEC_WITHOUT_MULTI
        assert c.command("SET", "c", "3") == "OK"


def test_execabort_after_wrong_arity(server, r):
    with server.raw() as c:
        assert c.command("MULTI") == "OK"
        queue(c, "SET", "a", "1")
        assert error_text(c.command("GET")) == arity("get")
        assert error_text(c.command("SET", "x")) == arity("set")
        queue(c, "INCR", "n")
        assert error_text(c.command("EXEC")) == EXECABORT
        assert r.exists("a", "n") == 0


def test_execabort_after_unknown_subcommand(server, r):
    with server.raw() as c:
        assert c.command("MULTI") == "OK"
        queue(c, "SET", "a", "1")
        assert error_text(c.command("CONFIG", "NOSUCH")) == \
            "ERR unknown subcommand 'NOSUCH'. Try CONFIG HELP."
        assert error_text(c.command("EXEC")) == EXECABORT
        assert r.exists("a") == 0


def test_runtime_errors_do_not_roll_back(server, r):
    r.set("s", "string")
    with server.raw() as c:
        reply = transaction(c, ("SET", "a", "1"), ("LPUSH", "s", "x"), ("INCR", "a"),
                            ("INCR", "s"), ("EXPIRE", "a", "abc"), ("SET", "k", "v", "EX", "0"),
                            ("RPUSH", "l", "y"), ("GET", "a"))
        assert len(reply) == 8
        assert reply[0] == "OK"
        assert isinstance(reply[1], ErrorReply) and reply[1].message == WRONGTYPE
        assert reply[2] == 2
        assert isinstance(reply[3], ErrorReply) and reply[3].message == NOT_INT
        assert isinstance(reply[4], ErrorReply) and reply[4].message == NOT_INT
        assert isinstance(reply[5], ErrorReply) and \
            reply[5].message == "ERR invalid expire time in 'set' command"
        assert reply[6] == 1
        assert reply[7] == b"2"
    assert r.get("a") == "2"
    assert r.get("s") == "string"
    assert r.lrange("l", 0, -1) == ["y"]
    assert r.exists("k") == 0


def test_runtime_error_bytes_inside_exec(server):
    with server.raw() as c:
        assert c.command("SET", "s", "x") == "OK"
        c.send(encode("MULTI") + encode("LPUSH", "s", "x") + encode("GET", "s") + encode("EXEC"))
        expect_bytes(c, b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n-" + WRONGTYPE.encode() +
                     b"\r\n$1\r\nx\r\n")


def test_redis_py_pipeline_reports_error_in_place(r):
    r.set("s", "x")
    with r.pipeline(transaction=True) as p:
        p.set("a", "1").lpush("s", "y").incr("a")
        out = p.execute(raise_on_error=False)
    assert out[0] is True
    assert isinstance(out[1], redis.ResponseError) and str(out[1]) == WRONGTYPE
    assert out[2] == 2


def test_nested_multi_is_an_error_that_does_not_abort(server, r):
    with server.raw() as c:
        assert c.command("MULTI") == "OK"
        queue(c, "SET", "a", "1")
        assert error_text(c.command("MULTI")) == NESTED
        queue(c, "INCR", "a")
        assert c.command("EXEC") == ["OK", 2]
    assert r.get("a") == "2"


def test_watch_inside_multi_is_an_error_that_does_not_abort(server, r):
    with server.raw() as c:
        assert c.command("MULTI") == "OK"
        queue(c, "SET", "a", "1")
        assert error_text(c.command("WATCH", "a")) == WATCH_IN_MULTI
        queue(c, "GET", "a")
        assert c.command("EXEC") == ["OK", b"1"]
        # the failed WATCH watched nothing: a later write does not abort the next EXEC
        r.set("a", "2")
        assert transaction(c, ("GET", "a")) == [b"2"]


def test_unwatch_and_transaction_commands_queued_inside_multi(server, r):
    with server.raw() as c:
        assert transaction(c, ("UNWATCH",), ("PING",)) == ["OK", "PONG"]
        # a watch broken before MULTI still aborts even if UNWATCH is queued
        assert c.command("WATCH", "k") == "OK"
        r.set("k", "1")
        assert transaction(c, ("UNWATCH",), ("SET", "x", "1")) is None
        assert r.exists("x") == 0


def test_multi_and_exec_redis_py(r):
    with r.pipeline(transaction=True) as p:
        p.set("a", 1).incrby("a", 5).get("a").delete("a")
        assert p.execute() == [True, 6, "6", 1]
    assert r.exists("a") == 0


def test_quit_inside_multi(server, r):
    with server.raw() as c:
        assert c.command("MULTI") == "OK"
        queue(c, "SET", "a", "1")
        assert c.command("QUIT") == "OK"
        assert c.is_closed()
    assert r.exists("a") == 0


def test_reset_inside_multi_discards(server, r):
    with server.raw() as c:
        assert c.command("WATCH", "w") == "OK"
        assert c.command("MULTI") == "OK"
        queue(c, "SET", "z", "1")
        assert c.command("RESET") == "RESET"
        assert error_text(c.command("EXEC")) == EXEC_WITHOUT_MULTI
        assert c.command("GET", "z") is None
        # RESET also unwatched
        r.set("w", "changed")
        assert transaction(c, ("GET", "w")) == [b"changed"]


def test_select_inside_multi(server, r):
    with server.raw() as c:
        assert c.command("CLIENT", "SETNAME", "sel") == "OK"
        reply = transaction(c, ("SET", "k", "db0"), ("SELECT", "1"), ("SET", "k", "db1"),
                            ("SELECT", "99"), ("GET", "k"))
        assert reply[:3] == ["OK", "OK", "OK"]
        assert error_text(reply[3]) == "ERR DB index is out of range"
        assert reply[4] == b"db1"
        # the SELECT stays in effect after EXEC
        assert c.command("GET", "k") == b"db1"
        assert client_fields(r, "sel")["db"] == "1"
    assert r.get("k") == "db0"


def test_blocking_commands_do_not_block_inside_multi(server, r):
    r.rpush("full", "a", "b")
    r.zadd("z", {"m": 1})
    r.xadd("s", {"f": "v"}, id="1-1")
    with server.raw(timeout=5) as c:
        start = time.time()
        reply = transaction(
            c, ("BLPOP", "empty", "0"), ("BRPOP", "empty", "0"), ("BLPOP", "full", "0"),
            ("BRPOPLPUSH", "empty", "d", "0"), ("BLMOVE", "empty", "d", "LEFT", "LEFT", "0"),
            ("BLMPOP", "0", "1", "empty", "LEFT"), ("BZPOPMIN", "ez", "0"),
            ("BZPOPMAX", "z", "0"), ("BZMPOP", "0", "1", "ez", "MIN"),
            ("XREAD", "BLOCK", "0", "STREAMS", "s", "$"),
            ("XREAD", "BLOCK", "0", "STREAMS", "s", "0"))
        assert time.time() - start < 2
        assert reply == [None, None, [b"full", b"a"], None, None, None, None, [b"z", b"m", b"1"],
                         None, None, [[b"s", [[b"1-1", [b"f", b"v"]]]]]]
        # a blocking command inside MULTI does not mark the client blocked
        assert r.info("clients")["blocked_clients"] == 0


@pytest.mark.parametrize("proto", [2, 3])
def test_blocking_commands_inside_multi_null_bytes(server, proto):
    # the nulls a blocking command gives inside EXEC are the same as on timeout: a null array in
    # RESP2 (a null bulk for BRPOPLPUSH/BLMOVE), the RESP3 null in RESP3
    cases = [(("BLPOP", "empty", "0"), b"*-1\r\n"),
             (("BRPOPLPUSH", "empty", "d", "0"), b"$-1\r\n"),
             (("BLMOVE", "empty", "d", "LEFT", "LEFT", "0"), b"$-1\r\n"),
             (("BLMPOP", "0", "1", "empty", "LEFT"), b"*-1\r\n"),
             (("BZPOPMIN", "ez", "0"), b"*-1\r\n"),
             (("BZMPOP", "0", "1", "ez", "MIN"), b"*-1\r\n"),
             (("XREAD", "BLOCK", "0", "STREAMS", "s", "$"), b"*-1\r\n")]
    with server.raw() as c:
        if proto == 3:
            c.command("HELLO", "3")
        for cmd, null in cases:
            c.send(encode("MULTI") + encode(*cmd) + encode("EXEC"))
            expect_bytes(c, b"+OK\r\n+QUEUED\r\n*1\r\n" + (null if proto == 2 else b"_\r\n"))


# --------------------------------------------------------------------------- CLIENT LIST


def test_client_list_shows_multi_state(server, r):
    with server.raw() as c:
        assert c.command("CLIENT", "SETNAME", "tx") == "OK"
        f = client_fields(r, "tx")
        assert f["flags"] == "N" and f["multi"] == "-1"
        assert c.command("WATCH", "k") == "OK"
        f = client_fields(r, "tx")
        assert f["flags"] == "N" and f["multi"] == "-1"
        assert c.command("MULTI") == "OK"
        f = client_fields(r, "tx")
        assert f["flags"] == "x" and f["multi"] == "0"
        queue(c, "SET", "k", "1")
        assert client_fields(r, "tx")["multi"] == "1"
        queue(c, "GET", "k")
        f = client_fields(r, "tx")
        assert f["flags"] == "x" and f["multi"] == "2"
        assert int(f["multi-mem"]) > 0
        # the watched key is touched: flag d (EXEC will fail)
        r.set("k", "other")
        f = client_fields(r, "tx")
        assert f["flags"] == "xd" and f["multi"] == "2"
        assert c.command("EXEC") is None
        f = client_fields(r, "tx")
        assert f["flags"] == "N" and f["multi"] == "-1" and f["multi-mem"] == "0"
        # d without x: watched key touched before MULTI
        assert c.command("WATCH", "k") == "OK"
        r.set("k", "again")
        assert client_fields(r, "tx")["flags"] == "d"
        assert c.command("UNWATCH") == "OK"
        assert client_fields(r, "tx")["flags"] == "N"


def test_client_list_inside_exec_sees_the_transaction(server):
    with server.raw() as c:
        reply = transaction(c, ("SET", "a", "1"), ("CLIENT", "INFO"))
        info = dict(tok.partition("=")[::2] for tok in reply[1].decode().split())
        assert info["flags"] == "x"
        assert info["multi"] == "2"
        assert info["cmd"] == "exec"


def test_client_list_multi_counts_only_commands_that_will_run(server, r):
    # Redis stops storing queued commands once the transaction is doomed (an error while
    # queueing, or a watched key already touched): they are still answered +QUEUED.
    with server.raw() as c:
        assert c.command("CLIENT", "SETNAME", "tx") == "OK"
        assert c.command("MULTI") == "OK"
        queue(c, "GET", "k")
        queue(c, "GET", "k")
        assert error_text(c.command("GET")) == arity("get")
        queue(c, "GET", "k")
        assert client_fields(r, "tx")["multi"] == "2"
        assert error_text(c.command("EXEC")) == EXECABORT
        assert c.command("WATCH", "k") == "OK"
        r.set("k", "1")
        assert c.command("MULTI") == "OK"
        queue(c, "GET", "k")
        f = client_fields(r, "tx")
        assert f["flags"] == "xd" and f["multi"] == "0"
        assert c.command("EXEC") is None


# --------------------------------------------------------------------------- WATCH


def run_watched_transaction(server, setup, actions, watch=("k",)):
    """Client A runs `setup`, WATCHes `watch`; client B runs `actions`; A runs MULTI/PING/EXEC.
    Returns EXEC's reply (None when the watch was broken)."""
    with server.raw() as a, server.raw() as b:
        for cmd in setup:
            reply = a.command(*cmd)
            assert not isinstance(reply, ErrorReply), (cmd, reply)
        assert a.command("SELECT", "0") == "OK"
        assert a.command("WATCH", *watch) == "OK"
        for cmd in actions:
            reply = b.command(*cmd)
            assert not isinstance(reply, ErrorReply) or cmd[0] in ("LPUSH", "INCR"), (cmd, reply)
        result = transaction(a, ("PING",))
        # whatever happened, the connection is out of MULTI and no longer watching
        assert error_text(a.command("EXEC")) == EXEC_WITHOUT_MULTI
        assert b.command("SELECT", "0") == "OK"
        assert b.command("SET", watch[0], "after") == "OK"
        assert transaction(a, ("PING",)) == ["PONG"]
        return result


WATCH_BROKEN = {
    "set": ([("SET", "k", "1")], [("SET", "k", "2")]),
    "set-same-value": ([("SET", "k", "1")], [("SET", "k", "1")]),
    "set-missing-key": ([], [("SET", "k", "1")]),
    "del": ([("SET", "k", "1")], [("DEL", "k")]),
    "unlink": ([("SET", "k", "1")], [("UNLINK", "k")]),
    "expire": ([("SET", "k", "1")], [("EXPIRE", "k", "100")]),
    "expire-0": ([("SET", "k", "1")], [("EXPIRE", "k", "0")]),
    "persist": ([("SET", "k", "1", "EX", "100")], [("PERSIST", "k")]),
    "lpush": ([], [("LPUSH", "k", "x")]),
    "lpush-existing": ([("RPUSH", "k", "a")], [("LPUSH", "k", "x")]),
    "incr": ([("SET", "k", "1")], [("INCR", "k")]),
    "incr-missing": ([], [("INCR", "k")]),
    "append": ([("SET", "k", "1")], [("APPEND", "k", "x")]),
    "hset": ([], [("HSET", "k", "f", "v")]),
    "sadd": ([("SADD", "k", "a")], [("SADD", "k", "b")]),
    "zadd": ([], [("ZADD", "k", "1", "m")]),
    "rename-from": ([("SET", "k", "1")], [("RENAME", "k", "other")]),
    "rename-to": ([("SET", "other", "1")], [("RENAME", "other", "k")]),
    "move-out": ([("SET", "k", "1")], [("MOVE", "k", "1")]),
    "move-in": ([("SELECT", "1"), ("SET", "k", "1")],
                [("SELECT", "1"), ("MOVE", "k", "0")]),
    "copy-to": ([("SET", "src", "1")], [("COPY", "src", "k")]),
    "flushdb": ([("SET", "k", "1")], [("FLUSHDB",)]),
    "flushdb-async": ([("SET", "k", "1")], [("FLUSHDB", "ASYNC")]),
    "flushall": ([("SET", "k", "1")], [("FLUSHALL",)]),
    "flushall-from-other-db": ([("SET", "k", "1")], [("SELECT", "3"), ("FLUSHALL",)]),
    "swapdb": ([("SET", "k", "1")], [("SWAPDB", "0", "1")]),
    "swapdb-key-only-in-other-db": ([("SELECT", "1"), ("SET", "k", "1")],
                                    [("SWAPDB", "0", "1")]),
    "swapdb-same-value-both-dbs": ([("SET", "k", "1"), ("SELECT", "1"), ("SET", "k", "1")],
                                   [("SWAPDB", "1", "0")]),
}

WATCH_KEPT = {
    "nothing": ([("SET", "k", "1")], []),
    "write-other-key": ([("SET", "k", "1")], [("SET", "other", "2"), ("DEL", "k2"),
                                              ("LPUSH", "kk", "x")]),
    "reads": ([("SET", "k", "1")], [("GET", "k"), ("EXISTS", "k"), ("TTL", "k"),
                                    ("STRLEN", "k"), ("TYPE", "k")]),
    "same-key-other-db": ([("SET", "k", "1")], [("SELECT", "1"), ("SET", "k", "2"),
                                                ("DEL", "k")]),
    "flushdb-other-db": ([("SET", "k", "1"), ("SELECT", "1"), ("SET", "k", "1")],
                         [("SELECT", "1"), ("FLUSHDB",)]),
    "flushdb-key-missing": ([("SET", "other", "1")], [("FLUSHDB",)]),
    "flushall-key-missing": ([("SET", "other", "1"), ("SELECT", "1"), ("SET", "x", "1")],
                             [("FLUSHALL",)]),
    "swapdb-other-dbs": ([("SET", "k", "1"), ("SELECT", "1"), ("SET", "k", "2")],
                         [("SWAPDB", "1", "2")]),
    "swapdb-key-missing-in-both": ([("SET", "other", "1")], [("SWAPDB", "0", "1")]),
    "del-missing": ([], [("DEL", "k")]),
    "persist-without-ttl": ([("SET", "k", "1")], [("PERSIST", "k")]),
    "failed-write-wrongtype": ([("SET", "k", "1")], [("LPUSH", "k", "x")]),
    "failed-write-not-integer": ([("SET", "k", "x")], [("INCR", "k")]),
    "setnx-existing": ([("SET", "k", "1")], [("SETNX", "k", "2")]),
    "rename-other-keys": ([("SET", "k", "1")], [("SET", "a", "1"), ("RENAME", "a", "b")]),
}


@pytest.mark.parametrize("case", sorted(WATCH_BROKEN))
def test_watch_broken_by_other_client(server, case):
    setup, actions = WATCH_BROKEN[case]
    assert run_watched_transaction(server, setup, actions) is None


@pytest.mark.parametrize("case", sorted(WATCH_KEPT))
def test_watch_not_broken(server, case):
    setup, actions = WATCH_KEPT[case]
    assert run_watched_transaction(server, setup, actions) == ["PONG"]


def test_watch_broken_by_own_write(server):
    with server.raw() as c:
        assert c.command("WATCH", "k") == "OK"
        assert c.command("SET", "k", "mine") == "OK"
        assert transaction(c, ("GET", "k")) is None


def test_watch_several_keys_one_touched(server, r):
    with server.raw() as c:
        assert c.command("WATCH", "a", "b", "b", "c") == "OK"
        r.set("c", "1")
        assert transaction(c, ("SET", "x", "1")) is None
        assert r.exists("x") == 0
        # WATCH accumulates: two WATCH calls, the key of the first is touched
        assert c.command("WATCH", "a") == "OK"
        assert c.command("WATCH", "b") == "OK"
        r.set("a", "1")
        assert transaction(c, ("SET", "x", "1")) is None


def test_watch_key_of_the_db_selected_at_watch_time(server, r):
    with server.raw() as c:
        assert c.command("SELECT", "2") == "OK"
        assert c.command("WATCH", "k") == "OK"
        assert c.command("SELECT", "0") == "OK"
        r.set("k", "db0")  # not the watched key
        assert transaction(c, ("PING",)) == ["PONG"]
        assert c.command("SELECT", "2") == "OK"
        assert c.command("WATCH", "k") == "OK"
        assert c.command("SELECT", "0") == "OK"
        r.execute_command("SELECT", "2")
        r.set("k", "db2")
        assert transaction(c, ("PING",)) is None


@pytest.mark.parametrize("active_expire", [1, 0])
def test_watch_broken_by_expiry(server, r, active_expire):
    # the key expires between WATCH and EXEC; with active expiry off nobody deletes it and EXEC
    # itself has to notice that the watched key expired
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", str(active_expire))
    with server.raw() as c:
        r.set("k", "v")
        assert c.command("WATCH", "k") == "OK"
        assert r.pexpire("k", 30) is True  # the PEXPIRE itself already breaks the watch
        assert transaction(c, ("PING",)) is None
        # TTL set before WATCH, the key expires before EXEC
        ttl = 50
        while True:
            r.set("k", "v", px=ttl)
            assert c.command("WATCH", "k") == "OK"
            left = r.pttl("k")  # still alive after the WATCH (else retry: a busy machine)
            if left > 0:
                break
            assert c.command("UNWATCH") == "OK"
            ttl *= 2
            assert ttl < 10000
        time.sleep(left / 1000 + 0.03)
        assert transaction(c, ("PING",)) is None
        # a TTL that does not run out before EXEC is fine
        r.set("k", "v", px=100000)
        assert c.command("WATCH", "k") == "OK"
        assert transaction(c, ("PING",)) == ["PONG"]
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


STALE_KEPT = {
    "nothing": [],
    "exists": [("EXISTS", "k")],
    "get": [("GET", "k")],
    "del": [("DEL", "k")],
    "flushdb": [("FLUSHDB",)],
    "flushall": [("FLUSHALL",)],
    "swapdb-with-empty-db": [("SWAPDB", "0", "1")],
    "dbsize": [("DBSIZE",)],
}

STALE_BROKEN = {
    "set": [("SET", "k", "new")],
    "exists-then-set": [("EXISTS", "k"), ("SET", "k", "new")],
    "lpush": [("LPUSH", "k", "x")],
}


def run_stale_watch(server, r, actions):
    """A key that has already expired (not yet deleted) is WATCHed; another client runs
    `actions`. Returns EXEC's reply."""
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    r.set("k", "v", px=1)
    time.sleep(0.01)
    with server.raw() as c, server.raw() as o:
        assert c.command("WATCH", "k") == "OK"
        for cmd in actions:
            reply = o.command(*cmd)
            assert not isinstance(reply, ErrorReply), (cmd, reply)
        result = transaction(c, ("PING",))
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    return result


@pytest.mark.parametrize("case", sorted(STALE_KEPT))
def test_watch_already_expired_key_deleted_is_no_change(server, r, case):
    assert run_stale_watch(server, r, STALE_KEPT[case]) == ["PONG"]


@pytest.mark.parametrize("case", sorted(STALE_BROKEN))
def test_watch_already_expired_key_recreated_breaks(server, r, case):
    assert run_stale_watch(server, r, STALE_BROKEN[case]) is None


def test_unwatch(server, r):
    with server.raw() as c:
        assert c.command("UNWATCH") == "OK"  # nothing watched: fine
        assert c.command("WATCH", "k", "j") == "OK"
        r.set("k", "1")
        assert c.command("UNWATCH") == "OK"
        assert transaction(c, ("GET", "k")) == [b"1"]
        # EXEC unwatches too (successful or not)
        assert c.command("WATCH", "k") == "OK"
        assert transaction(c, ("PING",)) == ["PONG"]
        r.set("k", "2")
        assert transaction(c, ("GET", "k")) == [b"2"]


def test_discard_unwatches(server, r):
    with server.raw() as c:
        assert c.command("WATCH", "k") == "OK"
        assert c.command("MULTI") == "OK"
        queue(c, "SET", "k", "mine")
        assert c.command("DISCARD") == "OK"
        r.set("k", "theirs")
        assert transaction(c, ("GET", "k")) == [b"theirs"]
        # DISCARD after the watch was already broken also unwatches
        assert c.command("WATCH", "k") == "OK"
        r.set("k", "x")
        assert c.command("MULTI") == "OK"
        assert c.command("DISCARD") == "OK"
        assert transaction(c, ("GET", "k")) == [b"x"]


def test_exec_aborted_by_watch_leaves_data_alone(server, r):
    r.set("k", "1")
    with server.raw() as c:
        assert c.command("WATCH", "k") == "OK"
        r.set("k", "2")
        assert transaction(c, ("SET", "k", "mine"), ("LPUSH", "l", "x")) is None
        assert r.get("k") == "2" and r.exists("l") == 0


@pytest.mark.parametrize("proto", [2, 3])
def test_exec_aborted_by_watch_null_bytes(server, r, proto):
    with server.raw() as c:
        if proto == 3:
            c.command("HELLO", "3")
        assert c.command("WATCH", "k") == "OK"
        r.set("k", "1")
        c.send(encode("MULTI") + encode("GET", "k") + encode("EXEC"))
        expect_bytes(c, b"+OK\r\n+QUEUED\r\n" + (b"*-1\r\n" if proto == 2 else b"_\r\n"))


def test_exec_aborted_by_watch_is_none_in_redis_py(server, r):
    c = server.client()
    try:
        with c.pipeline() as p:
            p.watch("k")
            r.set("k", "changed")
            p.multi()
            p.set("k", "mine")
            with pytest.raises(redis.WatchError):
                p.execute()
        assert r.get("k") == "changed"
        # raw EXEC reply through redis-py's own parser: None
        c2 = server.client(single_connection_client=True)
        c2.execute_command("WATCH", "k")
        r.set("k", "again")
        c2.execute_command("MULTI")
        assert c2.execute_command("GET", "k") == "QUEUED"
        assert c2.execute_command("EXEC") is None
        c2.close()
    finally:
        c.close()


def test_watch_when_key_written_inside_the_transaction_itself(server, r):
    # the transaction's own writes do not abort it
    with server.raw() as c:
        assert c.command("WATCH", "k") == "OK"
        assert transaction(c, ("SET", "k", "1"), ("INCR", "k")) == ["OK", 2]
        assert r.get("k") == "2"


# --------------------------------------------------------------------------- concurrency


def test_optimistic_counter_with_watch(server, r):
    threads_n, per_thread = 20, 50
    errors = []
    retries = [0] * threads_n

    def worker(i):
        c = server.client()
        try:
            with c.pipeline() as pipe:
                done = 0
                while done < per_thread:
                    try:
                        pipe.watch("counter")
                        value = int(pipe.get("counter") or 0)
                        pipe.multi()
                        pipe.set("counter", value + 1)
                        pipe.execute()
                        done += 1
                    except redis.WatchError:
                        retries[i] += 1
        except Exception as e:  # reported by the main thread
            errors.append(repr(e))
        finally:
            c.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads_n)]
    for t in threads:
        t.start()
    deadline = time.time() + 120
    for t in threads:
        t.join(max(0.1, deadline - time.time()))
    assert not any(t.is_alive() for t in threads), "workers did not finish"
    assert errors == []
    assert r.get("counter") == str(threads_n * per_thread)


def test_exec_is_atomic_for_other_clients(server, r):
    # another client never sees the state between two commands of one transaction
    r.mset({"x": 0, "y": 0})
    stop = threading.Event()
    bad = []

    def reader():
        c = server.client()
        try:
            while not stop.is_set():
                x, y = c.mget("x", "y")
                if x != y:
                    bad.append((x, y))
        finally:
            c.close()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        with server.raw() as c:
            for _ in range(300):
                assert transaction(c, ("INCR", "x"), ("INCR", "y"))[0] > 0
    finally:
        stop.set()
        t.join(10)
    assert not t.is_alive()
    assert bad == []
    assert r.get("x") == r.get("y") == "300"


# --------------------------------------------------------------------------- differential


def random_transaction_script(rng, steps):
    """(client, command) pairs: client "a" runs transactions, client "b" writes concurrently."""
    keys = ["k0", "k1", "k2", "k3"]
    queued_cmds = [
        lambda: ("SET", rng.choice(keys), str(rng.randint(0, 9))),
        lambda: ("INCR", rng.choice(keys)),
        lambda: ("LPUSH", rng.choice(keys), "x"),
        lambda: ("GET", rng.choice(keys)),
        lambda: ("DEL", rng.choice(keys)),
        lambda: ("EXPIRE", rng.choice(keys), "1000"),
        lambda: ("APPEND", rng.choice(keys), "z"),
        lambda: ("LRANGE", rng.choice(keys), "0", "-1"),
        lambda: ("EXISTS", *rng.sample(keys, 2)),
        lambda: ("SELECT", rng.choice(["0", "1"])),
        lambda: ("RENAME", rng.choice(keys), rng.choice(keys)),
    ]
    queueing_errors = [("GET",), ("NOSUCHCMD", "x"), ("SET", "k0")]
    harmless_errors = [("WATCH", "k0"), ("MULTI",)]  # errors that do not abort the EXEC
    other_cmds = [
        lambda: ("SET", rng.choice(keys), "b"),
        lambda: ("DEL", rng.choice(keys)),
        lambda: ("INCR", rng.choice(keys)),
        lambda: ("GET", rng.choice(keys)),
        lambda: ("EXPIRE", rng.choice(keys), "1000"),
        lambda: ("RPUSH", rng.choice(keys), "y"),
        lambda: ("SETNX", rng.choice(keys), "n"),
        lambda: ("SELECT", rng.choice(["0", "1"])),
        lambda: ("SWAPDB", "0", "1"),
        lambda: ("FLUSHDB",),
        lambda: ("RENAME", rng.choice(keys), rng.choice(keys)),
    ]
    script = []
    in_multi = False
    for _ in range(steps):
        roll = rng.random()
        if roll < 0.3:
            script.append(("b", rng.choice(other_cmds)() if rng.random() > 0.05 else ("FLUSHALL",)))
        elif not in_multi:
            choice = rng.random()
            if choice < 0.35:
                script.append(("a", ("WATCH", *rng.sample(keys, rng.randint(1, 3)))))
            elif choice < 0.45:
                script.append(("a", ("UNWATCH",)))
            elif choice < 0.85:
                script.append(("a", ("MULTI",)))
                in_multi = True
            else:
                script.append(("a", rng.choice([("EXEC",), ("DISCARD",), ("GET", "k0"),
                                                 ("SELECT", "0")])))
        else:
            if rng.random() < 0.2:
                script.append(("a", rng.choice([("EXEC",)] * 4 + [("DISCARD",)])))
                in_multi = False
            else:
                roll = rng.random()
                if roll < 0.03:
                    script.append(("a", rng.choice(queueing_errors)))
                elif roll < 0.06:
                    script.append(("a", rng.choice(harmless_errors)))
                else:
                    script.append(("a", rng.choice(queued_cmds)()))
    script.append(("a", ("EXEC",)))
    return script


def normalize(reply):
    if isinstance(reply, ErrorReply):
        return ("error", reply.message)
    if isinstance(reply, list):
        return [normalize(x) for x in reply]
    return reply


@pytest.mark.parametrize("seed", range(6))
def test_random_transactions_match_redis(server, reference_redis, seed):
    rng = random.Random(seed)
    script = random_transaction_script(rng, 400)
    tess = {"a": server.raw(), "b": server.raw()}
    ref = {"a": RawConnection("127.0.0.1", reference_redis.port),
           "b": RawConnection("127.0.0.1", reference_redis.port)}
    try:
        for i, (who, cmd) in enumerate(script):
            want = normalize(ref[who].command(*cmd))
            got = normalize(tess[who].command(*cmd))
            assert got == want, f"step {i} client {who} {cmd}:\n tessera {got!r}\n redis   {want!r}"
        # the whole dataset (every database) ends up the same
        assert tess["b"].command("DEBUG", "DIGEST") == ref["b"].command("DEBUG", "DIGEST")
    finally:
        for conn in (*tess.values(), *ref.values()):
            conn.close()
