"""Pub/sub with real clients: SUBSCRIBE PSUBSCRIBE SSUBSCRIBE and their UNSUBSCRIBE forms (replies
and counts, exact RESP2 arrays and RESP3 '>' push frames, the nil channel of an UNSUBSCRIBE without
subscriptions), PUBLISH/SPUBLISH receiver counts (a client matching by channel and by pattern
counts twice), message/pmessage/smessage formats, glob patterns, binary channels, ordering across
several subscribers, the RESP2 subscriber-mode restrictions (exact error text, PING's
["pong", ""]), RESP3 clients running ordinary commands while subscribed, PUBSUB CHANNELS NUMSUB
NUMPAT SHARDCHANNELS SHARDNUMSUB HELP and their errors, INFO pubsub counters, CLIENT LIST
flags=P/sub/psub/ssub, RESET and QUIT in subscriber mode, disconnected subscribers cleaned up,
SUBSCRIBE/PUBLISH inside MULTI, slow subscribers disconnected by client-output-buffer-limit pubsub
(hard and soft limits) while other clients keep working, multi-client pattern scenarios, and
random pub/sub sequences replayed on Tessera and redis-server with the replies compared."""
import random
import socket
import time

import pytest

from resp import ErrorReply, Push, RawConnection, encode
from helpers import error_text, expect_bytes, read_bytes, wait_until

NOT_ALLOWED = ("ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
               "RESET are allowed in this context")


def not_allowed(cmd):
    return NOT_ALLOWED.format(cmd)


def reads(c, n):
    return [c.read() for _ in range(n)]


def sync(c, token="sync"):
    """Sends PING <token> and returns everything that arrived before its reply (the messages
    published before; works in RESP2 subscriber mode, RESP3 and normal RESP2)."""
    c.send_command("PING", token)
    out = []
    while True:
        m = c.read()
        if m == token.encode() or (type(m) is list and m == [b"pong", token.encode()]):
            return out
        out.append(m)


def numsub(r, *channels):
    reply = r.execute_command("PUBSUB", "NUMSUB", *channels)
    return dict(zip(reply[0::2], reply[1::2]))


def client_fields(r, name):
    for line in r.execute_command("CLIENT", "LIST").splitlines():
        fields = dict(tok.partition("=")[::2] for tok in line.split(" "))
        if fields.get("name") == name:
            return fields
    return None


# --------------------------------------------------------------------------- replies


def test_subscribe_replies_resp2(server):
    with server.raw() as c:
        c.send_command("SUBSCRIBE", "a")
        expect_bytes(c, b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n")
        c.send_command("SUBSCRIBE", "b", "a", "c")
        assert reads(c, 3) == [[b"subscribe", b"b", 2], [b"subscribe", b"a", 2],
                               [b"subscribe", b"c", 3]]
        c.send_command("PSUBSCRIBE", "a*", "h?llo")
        expect_bytes(c, b"*3\r\n$10\r\npsubscribe\r\n$2\r\na*\r\n:4\r\n")
        assert c.read() == [b"psubscribe", b"h?llo", 5]
        assert c.command("PSUBSCRIBE", "a*") == [b"psubscribe", b"a*", 5]
        # shard channels have their own count
        c.send_command("SSUBSCRIBE", "s1")
        expect_bytes(c, b"*3\r\n$10\r\nssubscribe\r\n$2\r\ns1\r\n:1\r\n")
        assert c.command("SSUBSCRIBE", "s2") == [b"ssubscribe", b"s2", 2]
        assert c.command("SUBSCRIBE", "d") == [b"subscribe", b"d", 6]
        # unsubscribing
        c.send_command("UNSUBSCRIBE", "a")
        expect_bytes(c, b"*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:5\r\n")
        assert c.command("UNSUBSCRIBE", "a") == [b"unsubscribe", b"a", 5]  # not subscribed
        assert c.command("PUNSUBSCRIBE", "zz*") == [b"punsubscribe", b"zz*", 5]
        c.send_command("PUNSUBSCRIBE", "h?llo")
        expect_bytes(c, b"*3\r\n$12\r\npunsubscribe\r\n$5\r\nh?llo\r\n:4\r\n")
        c.send_command("SUNSUBSCRIBE", "s1", "nope")
        expect_bytes(c, b"*3\r\n$12\r\nsunsubscribe\r\n$2\r\ns1\r\n:1\r\n")
        assert c.read() == [b"sunsubscribe", b"nope", 1]


def test_subscribe_replies_resp3_push(server):
    with server.raw() as c:
        c.command("HELLO", "3")
        c.send_command("SUBSCRIBE", "a")
        expect_bytes(c, b">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n")
        c.send_command("SUBSCRIBE", "b", "a")
        replies = reads(c, 2)
        assert all(type(x) is Push for x in replies)
        assert replies == [[b"subscribe", b"b", 2], [b"subscribe", b"a", 2]]
        c.send_command("PSUBSCRIBE", "a*")
        expect_bytes(c, b">3\r\n$10\r\npsubscribe\r\n$2\r\na*\r\n:3\r\n")
        c.send_command("SSUBSCRIBE", "sa")
        expect_bytes(c, b">3\r\n$10\r\nssubscribe\r\n$2\r\nsa\r\n:1\r\n")
        c.send_command("UNSUBSCRIBE", "a")
        expect_bytes(c, b">3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:2\r\n")
        c.send_command("PUNSUBSCRIBE", "a*")
        expect_bytes(c, b">3\r\n$12\r\npunsubscribe\r\n$2\r\na*\r\n:1\r\n")
        c.send_command("SUNSUBSCRIBE", "sa")
        expect_bytes(c, b">3\r\n$12\r\nsunsubscribe\r\n$2\r\nsa\r\n:0\r\n")


@pytest.mark.parametrize("proto", [2, 3])
def test_unsubscribe_without_subscriptions(server, proto):
    with server.raw() as c:
        if proto == 3:
            c.command("HELLO", "3")
        head = b"*3\r\n" if proto == 2 else b">3\r\n"
        nil = b"$-1\r\n" if proto == 2 else b"_\r\n"
        for cmd in ("UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"):
            c.send_command(cmd)
            expect_bytes(c, head + b"$%d\r\n%s\r\n" % (len(cmd), cmd.lower().encode()) + nil +
                         b":0\r\n")
            reply = c.command(cmd)
            assert reply == [cmd.lower().encode(), None, 0]
            assert type(reply) is (list if proto == 2 else Push)
        # named channels that were never subscribed
        assert c.command("UNSUBSCRIBE", "x") == [b"unsubscribe", b"x", 0]
        assert c.command("PUNSUBSCRIBE", "x*") == [b"punsubscribe", b"x*", 0]
        # still a normal client
        assert c.command("SET", "k", "v") == "OK"
        assert c.command("GET", "k") == b"v"


def test_unsubscribe_all(server, r):
    with server.raw() as c:
        c.send_command("SUBSCRIBE", "a", "b", "c")
        reads(c, 3)
        c.send_command("PSUBSCRIBE", "p1*", "p2*")
        reads(c, 2)
        c.send_command("UNSUBSCRIBE")
        got = reads(c, 3)
        # one reply per channel (in no particular order), counts going down
        assert sorted(x[1] for x in got) == [b"a", b"b", b"c"]
        assert [x[0] for x in got] == [b"unsubscribe"] * 3
        assert [x[2] for x in got] == [4, 3, 2]
        assert numsub(r, "a", "b", "c") == {"a": 0, "b": 0, "c": 0}
        # still subscribed to the patterns
        assert error_text(c.command("GET", "k")) == not_allowed("get")
        c.send_command("PUNSUBSCRIBE")
        got = reads(c, 2)
        assert sorted(x[1] for x in got) == [b"p1*", b"p2*"]
        assert [x[2] for x in got] == [1, 0]
        assert r.execute_command("PUBSUB", "NUMPAT") == 0
        # out of subscriber mode
        assert c.command("GET", "k") is None
        # SUNSUBSCRIBE without arguments
        c.send_command("SSUBSCRIBE", "s1", "s2")
        reads(c, 2)
        c.send_command("SUNSUBSCRIBE")
        got = reads(c, 2)
        assert sorted(x[1] for x in got) == [b"s1", b"s2"]
        assert [x[2] for x in got] == [1, 0]
        assert c.command("GET", "k") is None


def test_subscriber_counts_are_per_kind(server):
    # SUNSUBSCRIBE reports the shard count only; the client stays in subscriber mode while it
    # still has channel subscriptions
    with server.raw() as c:
        assert c.command("SSUBSCRIBE", "s") == [b"ssubscribe", b"s", 1]
        assert c.command("SUBSCRIBE", "a") == [b"subscribe", b"a", 1]
        assert c.command("SUNSUBSCRIBE") == [b"sunsubscribe", b"s", 0]
        assert error_text(c.command("GET", "x")) == not_allowed("get")
        assert c.command("UNSUBSCRIBE") == [b"unsubscribe", b"a", 0]
        assert c.command("GET", "x") is None


# --------------------------------------------------------------------------- PUBLISH


def test_publish_counts_and_message_formats(server, r):
    with server.raw() as c:
        c.send_command("SUBSCRIBE", "news")
        c.read()
        assert r.publish("news", "m1") == 1
        expect_bytes(c, b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nm1\r\n")
        assert r.publish("other", "x") == 0
        c.send_command("PSUBSCRIBE", "n*")
        c.read()
        # subscribed by channel and by a matching pattern: two receptions
        assert r.publish("news", "m2") == 2
        expect_bytes(c, b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nm2\r\n"
                        b"*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nm2\r\n")
        c.send_command("PSUBSCRIBE", "*s")
        c.read()
        assert r.publish("news", "m3") == 3
        got = reads(c, 3)
        assert got[0] == [b"message", b"news", b"m3"]  # the channel subscription comes first
        assert sorted(got[1:]) == [[b"pmessage", b"*s", b"news", b"m3"],
                                   [b"pmessage", b"n*", b"news", b"m3"]]
        assert r.publish("nothing", "m4") == 1
        assert c.read() == [b"pmessage", b"n*", b"nothing", b"m4"]
        assert sync(c) == []


def test_publish_resp3_push_messages(server, r):
    with server.raw() as c:
        c.command("HELLO", "3")
        c.command("SUBSCRIBE", "a")
        c.command("PSUBSCRIBE", "a*")
        assert c.command("SSUBSCRIBE", "sa") == [b"ssubscribe", b"sa", 1]
        assert r.publish("a", "hi") == 2
        assert r.execute_command("SPUBLISH", "sa", "hi") == 1
        expect_bytes(c, b">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n"
                        b">4\r\n$8\r\npmessage\r\n$2\r\na*\r\n$1\r\na\r\n$2\r\nhi\r\n"
                        b">3\r\n$8\r\nsmessage\r\n$2\r\nsa\r\n$2\r\nhi\r\n")


def test_glob_patterns(server, r):
    patterns = ["h[ae]llo", r"x\*y", "news.*", "?", "[^a]b", "*"]
    expected = {
        "hallo": ["h[ae]llo", "*"],
        "hello": ["h[ae]llo", "*"],
        "hillo": ["*"],
        "x*y": [r"x\*y", "*"],
        "xay": ["*"],
        "news.a": ["news.*", "*"],
        "news.": ["news.*", "*"],
        "newsa": ["*"],
        "q": ["?", "*"],
        "bb": ["[^a]b", "*"],
        "ab": ["*"],
        "": [],  # Redis's glob matcher never matches an empty string, not even with "*"
    }
    with server.raw() as c:
        c.send_command("PSUBSCRIBE", *patterns)
        assert [x[2] for x in reads(c, len(patterns))] == list(range(1, len(patterns) + 1))
        for channel, pats in expected.items():
            assert r.publish(channel, "m") == len(pats), channel
            got = reads(c, len(pats))
            assert sorted(got) == sorted([[b"pmessage", p.encode(), channel.encode(), b"m"]
                                          for p in pats]), channel
        assert sync(c) == []


def test_empty_channel_name(server, r):
    with server.raw() as c:
        assert c.command("SUBSCRIBE", "") == [b"subscribe", b"", 1]
        assert r.execute_command("PUBSUB", "CHANNELS") == [""]
        # an explicit "*" does not match the empty name (KEYS * special-cases it; PUBSUB does not)
        assert r.execute_command("PUBSUB", "CHANNELS", "*") == []
        assert r.execute_command("PUBSUB", "NUMSUB", "") == ["", 1]
        assert r.publish("", "x") == 1
        assert c.read() == [b"message", b"", b"x"]
        assert c.command("PSUBSCRIBE", "*") == [b"psubscribe", b"*", 2]
        assert r.publish("", "y") == 1
        assert c.read() == [b"message", b"", b"y"]
        assert c.command("PSUBSCRIBE", "") == [b"psubscribe", b"", 3]
        assert r.publish("", "z") == 2
        assert reads(c, 2) == [[b"message", b"", b"z"], [b"pmessage", b"", b"", b"z"]]


def test_binary_channels_and_messages(server, rb):
    channel = b"\x00\r\nch\xff"
    message = bytes(range(256)) + b"\r\n*1\r\n$1\r\n"
    with server.raw() as c:
        assert c.command("SUBSCRIBE", channel) == [b"subscribe", channel, 1]
        assert c.command("PSUBSCRIBE", b"\x00*") == [b"psubscribe", b"\x00*", 2]
        assert rb.publish(channel, message) == 2
        assert reads(c, 2) == [[b"message", channel, message],
                               [b"pmessage", b"\x00*", channel, message]]
        assert rb.publish(channel, b"") == 2
        assert reads(c, 2) == [[b"message", channel, b""], [b"pmessage", b"\x00*", channel, b""]]
        assert rb.execute_command("PUBSUB", "CHANNELS") == [channel]
        assert rb.execute_command("PUBSUB", "NUMSUB", channel) == [channel, 1]
        big = b"x" * 300_000
        assert rb.publish(channel, big) == 2
        assert reads(c, 2) == [[b"message", channel, big], [b"pmessage", b"\x00*", channel, big]]


def test_messages_to_several_clients_in_order(server, r):
    subs = [server.raw() for _ in range(4)]
    try:
        for i, c in enumerate(subs):
            if i == 3:
                c.command("HELLO", "3")
            assert c.command("SUBSCRIBE", "ch") == [b"subscribe", b"ch", 1]
        assert numsub(r, "ch") == {"ch": 4}
        with r.pipeline(transaction=False) as p:
            for i in range(300):
                p.publish("ch", f"msg-{i}")
            assert p.execute() == [4] * 300
        for c in subs:
            got = reads(c, 300)
            assert got == [[b"message", b"ch", f"msg-{i}".encode()] for i in range(300)]
            assert sync(c) == []
    finally:
        for c in subs:
            c.close()


def test_publish_to_own_channel_resp3(server):
    # a RESP3 client publishing to a channel it is subscribed to gets the push messages before
    # PUBLISH's own reply
    with server.raw() as c:
        c.command("HELLO", "3")
        c.command("SUBSCRIBE", "a")
        c.command("PSUBSCRIBE", "a*")
        c.send_command("PUBLISH", "a", "self")
        assert reads(c, 3) == [[b"message", b"a", b"self"], [b"pmessage", b"a*", b"a", b"self"], 2]


def test_publish_arity(server, r):
    with server.raw() as c:
        assert error_text(c.command("PUBLISH", "x")) == \
            "ERR wrong number of arguments for 'publish' command"
        assert error_text(c.command("PUBLISH", "x", "y", "z")) == \
            "ERR wrong number of arguments for 'publish' command"
        assert error_text(c.command("SPUBLISH", "x")) == \
            "ERR wrong number of arguments for 'spublish' command"
        for cmd in ("SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE"):
            assert error_text(c.command(cmd)) == \
                f"ERR wrong number of arguments for '{cmd.lower()}' command"
        assert c.command("PUBLISH", "nobody", "x") == 0
        assert c.command("SPUBLISH", "nobody", "x") == 0


# --------------------------------------------------------------------------- subscriber mode


@pytest.mark.parametrize("kind", ["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE"])
def test_resp2_subscriber_restrictions(server, r, kind):
    with server.raw() as c:
        c.command(kind, "ch*")
        assert error_text(c.command("GET", "x")) == not_allowed("get")
        assert error_text(c.command("SET", "x", "1")) == not_allowed("set")
        assert error_text(c.command("ECHO", "x")) == not_allowed("echo")
        assert error_text(c.command("HELLO", "3")) == not_allowed("hello")
        assert error_text(c.command("CLIENT", "INFO")) == not_allowed("client|info")
        assert error_text(c.command("CONFIG", "GET", "x")) == not_allowed("config|get")
        assert error_text(c.command("MULTI")) == not_allowed("multi")
        assert error_text(c.command("PUBLISH", "ch*", "x")) == not_allowed("publish")
        assert error_text(c.command("PUBSUB", "NUMPAT")) == not_allowed("pubsub|numpat")
        assert error_text(c.command("WATCH", "x")) == not_allowed("watch")
        # EXEC's rejection is worded as an aborted transaction
        assert error_text(c.command("EXEC")) == \
            "EXECABORT Transaction discarded because of: " + not_allowed("exec")[4:]
        # errors found before that check are reported as usual
        assert error_text(c.command("NOSUCH")) == \
            "ERR unknown command 'NOSUCH', with args beginning with: "
        assert error_text(c.command("GET")) == "ERR wrong number of arguments for 'get' command"
        assert error_text(c.command("CLIENT", "NOSUCH")) == \
            "ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP."
        assert error_text(c.command("PING", "a", "b")) == \
            "ERR wrong number of arguments for 'ping' command"
        assert r.get("x") is None
        # still subscribed and receiving
        publish = "SPUBLISH" if kind == "SSUBSCRIBE" else "PUBLISH"
        assert r.execute_command(publish, "ch*", "hello") == 1
        m = c.read()
        assert m[0] in (b"message", b"pmessage", b"smessage") and m[-1] == b"hello"


def test_ping_in_resp2_subscriber_mode(server):
    with server.raw() as c:
        c.command("SUBSCRIBE", "a")
        c.send_command("PING")
        expect_bytes(c, b"*2\r\n$4\r\npong\r\n$0\r\n\r\n")
        c.send_command("PING", "hello")
        expect_bytes(c, b"*2\r\n$4\r\npong\r\n$5\r\nhello\r\n")
        c.command("UNSUBSCRIBE")
        # out of subscriber mode: the usual replies
        c.send_command("PING")
        expect_bytes(c, b"+PONG\r\n")
        c.send_command("PING", "hello")
        expect_bytes(c, b"$5\r\nhello\r\n")


def test_resp3_subscribed_client_runs_commands(server, r):
    with server.raw() as c:
        c.command("HELLO", "3")
        assert c.command("SUBSCRIBE", "a") == [b"subscribe", b"a", 1]
        assert c.command("SET", "x", "1") == "OK"
        assert c.command("GET", "x") == b"1"
        c.send_command("PING")
        expect_bytes(c, b"+PONG\r\n")
        c.send_command("PING", "hi")
        expect_bytes(c, b"$2\r\nhi\r\n")
        assert r.publish("a", "m") == 1
        # the push arrives before the reply of the next command
        c.send_command("GET", "x")
        got = reads(c, 2)
        assert got == [[b"message", b"a", b"m"], b"1"] and type(got[0]) is Push
        assert c.command("MULTI") == "OK"
        assert c.command("INCR", "x") == "QUEUED"
        assert c.command("EXEC") == [2]
        assert c.command("PUBSUB", "NUMSUB", "a") == [b"a", 1]
        # HELLO 2 while subscribed brings the RESP2 restrictions back
        assert isinstance(c.command("HELLO", "2"), list)
        assert error_text(c.command("GET", "x")) == not_allowed("get")
        assert c.command("PING") == [b"pong", b""]


def test_reset_leaves_subscriber_mode(server, r):
    with server.raw() as c:
        c.command("HELLO", "3")
        c.send_command("SUBSCRIBE", "a", "b")
        reads(c, 2)
        c.command("PSUBSCRIBE", "p*")
        c.command("SSUBSCRIBE", "s")
        assert c.command("RESET") == "RESET"
        assert numsub(r, "a", "b") == {"a": 0, "b": 0}
        assert r.execute_command("PUBSUB", "NUMPAT") == 0
        assert r.execute_command("PUBSUB", "SHARDNUMSUB", "s") == ["s", 0]
        assert r.publish("a", "x") == 0
        # RESP2 again, and not in subscriber mode
        c.send_command("GET", "k")
        expect_bytes(c, b"$-1\r\n")
        # RESET in RESP2 subscriber mode
        assert c.command("SUBSCRIBE", "a") == [b"subscribe", b"a", 1]
        assert c.command("RESET") == "RESET"
        assert c.command("GET", "k") is None
        assert c.command("PING") == "PONG"
        assert numsub(r, "a") == {"a": 0}


def test_quit_in_subscriber_mode(server, r):
    with server.raw() as c:
        c.command("SUBSCRIBE", "a")
        c.command("PSUBSCRIBE", "a*")
        assert c.command("QUIT") == "OK"
        assert c.is_closed()
    assert wait_until(lambda: numsub(r, "a") == {"a": 0}, 5)
    assert r.execute_command("PUBSUB", "NUMPAT") == 0


def test_disconnected_subscriber_is_removed(server, r):
    keeper = server.raw()
    c = server.raw()
    try:
        c.send_command("SUBSCRIBE", "a", "b")
        reads(c, 2)
        c.command("PSUBSCRIBE", "p*")
        c.command("SSUBSCRIBE", "s")
        keeper.command("SUBSCRIBE", "b")
        assert numsub(r, "a", "b") == {"a": 1, "b": 2}
        assert r.execute_command("PUBSUB", "NUMPAT") == 1
        c.close()
        assert wait_until(lambda: numsub(r, "a", "b") == {"a": 0, "b": 1}, 5)
        assert r.execute_command("PUBSUB", "NUMPAT") == 0
        assert r.execute_command("PUBSUB", "SHARDNUMSUB", "s") == ["s", 0]
        assert r.execute_command("PUBSUB", "CHANNELS") == ["b"]
        assert r.execute_command("PUBSUB", "SHARDCHANNELS") == []
        assert r.publish("a", "x") == 0
        assert r.publish("pq", "x") == 0
        assert r.publish("b", "x") == 1
        assert keeper.read() == [b"message", b"b", b"x"]
    finally:
        keeper.close()
        c.close()


def test_client_list_pubsub_fields(server, r):
    with server.raw() as c, server.raw() as d:
        c.command("CLIENT", "SETNAME", "subber")
        f = client_fields(r, "subber")
        assert (f["flags"], f["sub"], f["psub"], f["ssub"]) == ("N", "0", "0", "0")
        c.send_command("SUBSCRIBE", "a", "b")
        reads(c, 2)
        c.command("PSUBSCRIBE", "p*")
        c.send_command("SSUBSCRIBE", "s", "t", "u")
        reads(c, 3)
        f = client_fields(r, "subber")
        assert (f["flags"], f["sub"], f["psub"], f["ssub"]) == ("P", "2", "1", "3")
        # a RESP3 subscriber is flagged P too
        d.command("HELLO", "3", "SETNAME", "sub3")
        d.command("SUBSCRIBE", "a")
        f = client_fields(r, "sub3")
        assert (f["flags"], f["sub"], f["resp"]) == ("P", "1", "3")
        c.command("RESET")
        c.command("CLIENT", "SETNAME", "subber")
        f = client_fields(r, "subber")
        assert (f["flags"], f["sub"], f["psub"], f["ssub"]) == ("N", "0", "0", "0")


def test_subscribe_inside_multi(server, r):
    with server.raw() as c:
        assert c.command("MULTI") == "OK"
        assert c.command("PUBLISH", "a", "x") == "QUEUED"
        assert c.command("SUBSCRIBE", "a") == "QUEUED"
        assert c.command("EXEC") == [0, [b"subscribe", b"a", 1]]
        # now in subscriber mode
        assert error_text(c.command("GET", "k")) == not_allowed("get")
        assert r.publish("a", "y") == 1
        assert c.read() == [b"message", b"a", b"y"]


def test_publish_inside_multi(server, r):
    with server.raw() as c, server.raw() as sub:
        sub.command("SUBSCRIBE", "a")
        assert c.command("MULTI") == "OK"
        assert c.command("PUBLISH", "a", "1") == "QUEUED"
        assert c.command("PUBLISH", "a", "2") == "QUEUED"
        assert sync(sub) == []  # nothing delivered before EXEC
        assert c.command("EXEC") == [1, 1]
        assert reads(sub, 2) == [[b"message", b"a", b"1"], [b"message", b"a", b"2"]]


def test_redis_py_pubsub(server, r):
    p = r.pubsub()
    try:
        p.subscribe("chan")
        p.psubscribe("pat*")
        assert p.get_message(timeout=5) == {"type": "subscribe", "pattern": None,
                                            "channel": "chan", "data": 1}
        assert p.get_message(timeout=5) == {"type": "psubscribe", "pattern": None,
                                            "channel": "pat*", "data": 2}
        assert r.publish("chan", "hello") == 1
        assert r.publish("pattern", "world") == 1
        assert p.get_message(timeout=5) == {"type": "message", "pattern": None,
                                            "channel": "chan", "data": "hello"}
        assert p.get_message(timeout=5) == {"type": "pmessage", "pattern": "pat*",
                                            "channel": "pattern", "data": "world"}
        p.unsubscribe("chan")
        assert p.get_message(timeout=5) == {"type": "unsubscribe", "pattern": None,
                                            "channel": "chan", "data": 1}
    finally:
        p.close()


# --------------------------------------------------------------------------- PUBSUB


def test_pubsub_channels_numsub_numpat(server, r):
    a, b, c = server.raw(), server.raw(), server.raw()
    try:
        assert r.execute_command("PUBSUB", "CHANNELS") == []
        assert r.execute_command("PUBSUB", "NUMSUB") == []
        assert r.execute_command("PUBSUB", "NUMPAT") == 0
        a.send_command("SUBSCRIBE", "news.tech", "news.art", "sport")
        reads(a, 3)
        b.send_command("SUBSCRIBE", "news.tech", "weather")
        reads(b, 2)
        a.command("PSUBSCRIBE", "news.*")
        b.send_command("PSUBSCRIBE", "news.*", "w*")
        reads(b, 2)
        c.command("PSUBSCRIBE", "w*")
        assert sorted(r.execute_command("PUBSUB", "CHANNELS")) == \
            ["news.art", "news.tech", "sport", "weather"]
        assert sorted(r.execute_command("PUBSUB", "CHANNELS", "*")) == \
            ["news.art", "news.tech", "sport", "weather"]
        assert sorted(r.execute_command("PUBSUB", "CHANNELS", "news.*")) == \
            ["news.art", "news.tech"]
        assert r.execute_command("PUBSUB", "CHANNELS", "[sw]e*") == ["weather"]
        assert r.execute_command("PUBSUB", "CHANNELS", "nomatch*") == []
        # NUMSUB ignores pattern subscriptions and repeats channels as asked
        assert r.execute_command("PUBSUB", "NUMSUB", "news.tech", "weather", "news.tech",
                                 "nobody", "news.*") == \
            ["news.tech", 2, "weather", 1, "news.tech", 2, "nobody", 0, "news.*", 0]
        # NUMPAT counts distinct patterns, not subscriptions
        assert r.execute_command("PUBSUB", "NUMPAT") == 2
        stats = r.info("stats")
        assert (stats["pubsub_channels"], stats["pubsub_patterns"],
                stats["pubsubshard_channels"]) == (4, 2, 0)
        # pattern subscriptions do not show up as channels, shard channels are separate
        assert r.execute_command("PUBSUB", "SHARDCHANNELS") == []
        b.command("UNSUBSCRIBE", "weather")
        b.command("PUNSUBSCRIBE", "w*")
        assert sorted(r.execute_command("PUBSUB", "CHANNELS")) == \
            ["news.art", "news.tech", "sport"]
        assert r.execute_command("PUBSUB", "NUMPAT") == 2  # c still has w*
        c.command("PUNSUBSCRIBE", "w*")
        assert r.execute_command("PUBSUB", "NUMPAT") == 1
        assert r.info("stats")["pubsub_patterns"] == 1
    finally:
        for x in (a, b, c):
            x.close()


def test_pubsub_numsub_resp3_is_a_flat_array(server):
    with server.raw() as c, server.raw() as s:
        s.command("SUBSCRIBE", "a")
        c.command("HELLO", "3")
        c.send_command("PUBSUB", "NUMSUB", "a")
        expect_bytes(c, b"*2\r\n$1\r\na\r\n:1\r\n")
        c.send_command("PUBSUB", "CHANNELS")
        expect_bytes(c, b"*1\r\n$1\r\na\r\n")


def test_shard_channels(server, r):
    a, b = server.raw(), server.raw()
    try:
        assert a.command("SSUBSCRIBE", "orders") == [b"ssubscribe", b"orders", 1]
        b.send_command("SSUBSCRIBE", "orders", "users")
        assert reads(b, 2) == [[b"ssubscribe", b"orders", 1], [b"ssubscribe", b"users", 2]]
        assert sorted(r.execute_command("PUBSUB", "SHARDCHANNELS")) == ["orders", "users"]
        assert r.execute_command("PUBSUB", "SHARDCHANNELS", "u*") == ["users"]
        assert r.execute_command("PUBSUB", "SHARDNUMSUB", "orders", "users", "none") == \
            ["orders", 2, "users", 1, "none", 0]
        assert r.execute_command("PUBSUB", "SHARDNUMSUB") == []
        assert r.info("stats")["pubsubshard_channels"] == 2
        # shard channels are not ordinary channels
        assert r.execute_command("PUBSUB", "CHANNELS") == []
        assert numsub(r, "orders") == {"orders": 0}
        assert r.publish("orders", "x") == 0
        # SPUBLISH reaches shard subscribers only (not patterns, not channel subscribers)
        c = server.raw()
        try:
            c.command("PSUBSCRIBE", "*")
            c.command("SUBSCRIBE", "orders")
            assert r.execute_command("SPUBLISH", "orders", "o1") == 2
            expect_bytes(a, b"*3\r\n$8\r\nsmessage\r\n$6\r\norders\r\n$2\r\no1\r\n")
            assert b.read() == [b"smessage", b"orders", b"o1"]
            assert sync(c) == []
            assert r.publish("orders", "o2") == 2  # c by channel and by pattern
            assert sorted(reads(c, 2)) == [[b"message", b"orders", b"o2"],
                                           [b"pmessage", b"*", b"orders", b"o2"]]
            assert sync(a) == [] and sync(b) == []
        finally:
            c.close()
        assert b.command("SUNSUBSCRIBE", "orders") == [b"sunsubscribe", b"orders", 1]
        assert r.execute_command("SPUBLISH", "orders", "o3") == 1
        assert a.read() == [b"smessage", b"orders", b"o3"]
        assert sync(b) == []
        assert r.execute_command("PUBSUB", "SHARDNUMSUB", "orders") == ["orders", 1]
    finally:
        a.close()
        b.close()


PUBSUB_HELP = [
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
]


def test_pubsub_help_and_errors(server, r):
    with server.raw() as c:
        c.send_command("PUBSUB", "HELP")
        c._fill()
        assert c.buf.startswith(b"*14\r\n+PUBSUB <subcommand>")  # simple strings
        assert c.read() == PUBSUB_HELP
        assert c.command("PUBSUB", "help") == PUBSUB_HELP
        assert error_text(c.command("PUBSUB")) == \
            "ERR wrong number of arguments for 'pubsub' command"
        assert error_text(c.command("PUBSUB", "FOO")) == \
            "ERR unknown subcommand 'FOO'. Try PUBSUB HELP."
        assert error_text(c.command("PUBSUB", "HELP", "x")) == \
            "ERR wrong number of arguments for 'pubsub|help' command"
        assert error_text(c.command("PUBSUB", "NUMPAT", "x")) == \
            "ERR wrong number of arguments for 'pubsub|numpat' command"
        assert error_text(c.command("PUBSUB", "CHANNELS", "a", "b")) == \
            "ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP."
        assert error_text(c.command("PUBSUB", "channels", "a", "b", "c")) == \
            "ERR unknown subcommand or wrong number of arguments for 'channels'. Try PUBSUB HELP."
        assert error_text(c.command("PUBSUB", "SHARDCHANNELS", "a", "b")) == \
            ("ERR unknown subcommand or wrong number of arguments for 'SHARDCHANNELS'. "
             "Try PUBSUB HELP.")


# --------------------------------------------------------------------------- patterns


def test_pattern_subscriptions_across_clients(server, r):
    names = ["a", "b", "c", "d", "e"]
    conns = {n: server.raw() for n in names}
    try:
        conns["a"].command("PSUBSCRIBE", "news.*")
        conns["b"].send_command("PSUBSCRIBE", "news.*", "news.sport.*")
        reads(conns["b"], 2)
        conns["c"].command("SUBSCRIBE", "news.sport.football")
        conns["d"].command("PSUBSCRIBE", "*")
        conns["e"].command("HELLO", "3")
        conns["e"].send_command("PSUBSCRIBE", "*.football", "news.sport.football")
        reads(conns["e"], 2)  # a pattern without wildcards matches just that channel
        assert r.execute_command("PUBSUB", "NUMPAT") == 5

        def deliveries():
            return {n: sorted(sync(c)) for n, c in conns.items()}

        assert r.publish("news.sport.football", "goal") == 7
        assert deliveries() == {
            "a": [[b"pmessage", b"news.*", b"news.sport.football", b"goal"]],
            "b": [[b"pmessage", b"news.*", b"news.sport.football", b"goal"],
                  [b"pmessage", b"news.sport.*", b"news.sport.football", b"goal"]],
            "c": [[b"message", b"news.sport.football", b"goal"]],
            "d": [[b"pmessage", b"*", b"news.sport.football", b"goal"]],
            "e": [[b"pmessage", b"*.football", b"news.sport.football", b"goal"],
                  [b"pmessage", b"news.sport.football", b"news.sport.football", b"goal"]],
        }
        assert r.publish("news.weather", "rain") == 3
        assert deliveries() == {
            "a": [[b"pmessage", b"news.*", b"news.weather", b"rain"]],
            "b": [[b"pmessage", b"news.*", b"news.weather", b"rain"]],
            "c": [], "d": [[b"pmessage", b"*", b"news.weather", b"rain"]], "e": [],
        }
        # b drops one pattern, d disconnects, a drops all its patterns
        assert conns["b"].command("PUNSUBSCRIBE", "news.*") == \
            [b"punsubscribe", b"news.*", 1]
        conns["d"].close()
        del conns["d"]
        assert wait_until(lambda: r.execute_command("PUBSUB", "NUMPAT") == 4, 5)
        assert conns["a"].command("PUNSUBSCRIBE") == [b"punsubscribe", b"news.*", 0]
        assert r.execute_command("PUBSUB", "NUMPAT") == 3  # news.sport.* *.football n.s.f
        assert r.publish("news.sport.football", "end") == 4
        assert deliveries() == {
            "a": [],
            "b": [[b"pmessage", b"news.sport.*", b"news.sport.football", b"end"]],
            "c": [[b"message", b"news.sport.football", b"end"]],
            "e": [[b"pmessage", b"*.football", b"news.sport.football", b"end"],
                  [b"pmessage", b"news.sport.football", b"news.sport.football", b"end"]],
        }
        assert r.publish("news.x", "y") == 0
        # a is an ordinary client again
        assert conns["a"].command("SET", "k", "v") == "OK"
    finally:
        for c in conns.values():
            c.close()


# --------------------------------------------------------------------------- output limits


def slow_subscriber(server, channel):
    """A subscriber with a tiny receive buffer that will never read again."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(5)
    s.connect((server.host, server.port))
    s.sendall(encode("CLIENT", "SETNAME", "slow") + encode("SUBSCRIBE", channel))
    want = b"+OK\r\n*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(channel), channel.encode())
    got = b""
    while len(got) < len(want):
        data = s.recv(len(want) - len(got))
        assert data
        got += data
    assert got == want
    return s


def connection_closed(s, timeout=5):
    """Drains the socket until EOF (True) or until nothing more arrives (False)."""
    s.settimeout(timeout)
    try:
        while True:
            if not s.recv(1 << 20):
                return True
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def test_slow_subscriber_disconnected_by_hard_limit(server, r):
    assert r.config_set("client-output-buffer-limit", "pubsub 1mb 512kb 1") is True
    assert r.config_get("client-output-buffer-limit")["client-output-buffer-limit"] == \
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 524288 1"
    slow = slow_subscriber(server, "firehose")
    fast = server.raw()
    try:
        fast.command("SUBSCRIBE", "side")
        assert numsub(r, "firehose") == {"firehose": 1}
        payload = "x" * 100_000
        sent = 0
        # the kernel buffers absorb some megabytes before the server's own buffer grows
        while sent < 2000 and r.publish("firehose", payload) == 1:
            sent += 1
            if sent % 10 == 0:
                assert r.publish("side", str(sent)) == 1
        assert sent < 2000, "the slow subscriber was never disconnected"
        assert wait_until(lambda: client_fields(r, "slow") is None, 5)
        assert numsub(r, "firehose") == {"firehose": 0}
        assert r.publish("firehose", "x") == 0
        assert connection_closed(slow)
        # the other clients are fine
        got = sync(fast)
        assert got == [[b"message", b"side", str(i).encode()] for i in range(10, sent + 1, 10)]
        assert r.set("k", "v") is True and r.get("k") == "v"
        assert r.publish("side", "still") == 1
        assert fast.read() == [b"message", b"side", b"still"]
    finally:
        slow.close()
        fast.close()


def test_normal_clients_are_not_limited_by_pubsub_class(server, r):
    # the pubsub limit does not apply to a non-subscriber reading a big reply late
    assert r.config_set("client-output-buffer-limit", "pubsub 1mb 512kb 1") is True
    r.set("big", "x" * 3_000_000)
    with server.raw() as c:
        c.send_command("GET", "big")
        time.sleep(0.2)
        assert c.read() == b"x" * 3_000_000


@pytest.mark.slow
def test_slow_subscriber_disconnected_by_soft_limit(server, r):
    # no hard limit: over 512kb for more than one second
    assert r.config_set("client-output-buffer-limit", "pubsub 0 512kb 1") is True
    slow = slow_subscriber(server, "firehose")
    try:
        payload = "x" * 100_000
        start = time.time()
        while time.time() - start < 15 and r.publish("firehose", payload) == 1:
            time.sleep(0.02)
        elapsed = time.time() - start
        assert elapsed < 15, "the slow subscriber was never disconnected"
        assert elapsed >= 1.0, f"disconnected after {elapsed:.2f}s, before the soft limit time"
        assert wait_until(lambda: client_fields(r, "slow") is None, 5)
        assert connection_closed(slow)
        assert r.ping() is True
    finally:
        slow.close()


def test_slow_subscriber_not_disconnected_without_limits(server, r):
    assert r.config_set("client-output-buffer-limit", "pubsub 0 0 0") is True
    slow = slow_subscriber(server, "firehose")
    try:
        payload = "x" * 100_000
        for _ in range(120):  # 12 MB: well over the limits of the other tests
            assert r.publish("firehose", payload) == 1
        assert client_fields(r, "slow") is not None
        assert int(client_fields(r, "slow")["omem"]) > 0
    finally:
        slow.close()


# --------------------------------------------------------------------------- differential


def random_pubsub_script(rng, steps):
    channels = ["c1", "c2", "c3", "n.a", "n.b"]
    patterns = ["c*", "n.*", "?1", "*"]
    clients = ["s0", "s1", "s2"]  # s2 speaks RESP3
    script = []
    for _ in range(steps):
        who = rng.choice(clients)
        roll = rng.random()
        if roll < 0.18:
            cmd = ("SUBSCRIBE", *rng.sample(channels, rng.randint(1, 2)))
        elif roll < 0.30:
            cmd = ("PSUBSCRIBE", *rng.sample(patterns, rng.randint(1, 2)))
        elif roll < 0.38:
            cmd = ("SSUBSCRIBE", rng.choice(channels))
        elif roll < 0.48:
            cmd = ("UNSUBSCRIBE", *rng.sample(channels, rng.randint(0, 2)))
        elif roll < 0.55:
            cmd = ("PUNSUBSCRIBE", *rng.sample(patterns, rng.randint(0, 1)))
        elif roll < 0.58:
            cmd = ("SUNSUBSCRIBE", *rng.sample(channels, rng.randint(0, 1)))
        elif roll < 0.78:
            who = "pub"
            cmd = (rng.choice(["PUBLISH"] * 4 + ["SPUBLISH"]), rng.choice(channels + ["zz"]),
                   f"m{rng.randint(0, 99)}")
        elif roll < 0.86:
            who = "pub"
            cmd = rng.choice([("PUBSUB", "NUMSUB", *channels), ("PUBSUB", "NUMPAT"),
                              ("PUBSUB", "SHARDNUMSUB", *channels),
                              ("PUBSUB", "CHANNELS"), ("PUBSUB", "CHANNELS", "n.*"),
                              ("PUBSUB", "SHARDCHANNELS")])
        elif roll < 0.92:
            cmd = rng.choice([("GET", "k"), ("PING",), ("PING", "x"), ("SET", "k", "v")])
        elif roll < 0.95:
            cmd = ("RESET",)
        else:
            cmd = ("HELLO", "3") if who == "s2" else ("PING",)
        script.append((who, cmd))
    return script


class PubSubSide:
    """One server's clients for the random pub/sub test; replies normalised for comparison."""

    def __init__(self, port):
        self.conns = {n: RawConnection("127.0.0.1", port) for n in ("s0", "s1", "s2", "pub")}
        self.conns["s2"].command("HELLO", "3")

    def run(self, who, cmd, n_replies):
        c = self.conns[who]
        c.send_command(*cmd)
        replies = [norm(c.read()) for _ in range(n_replies)]
        if cmd[0] in ("UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE") and len(cmd) == 1:
            # all-channel forms reply in hash-table order: compare names as a set, counts in order
            kinds = [x[0] for x in replies]
            items = [x[1] if kinds[0] == "push" else x for x in replies]
            replies = (kinds, sorted(map(repr, (x[1] for x in items))), [x[2] for x in items])
        if cmd[:2] in (("PUBSUB", "CHANNELS"), ("PUBSUB", "SHARDCHANNELS")):
            replies = [sorted(replies[0])]
        return replies

    def pending(self):
        """Messages each subscriber received since the last check (sorted per client: the order
        of pmessages for several matching patterns is hash-table order in Redis)."""
        return {n: sorted(map(repr, sync(self.conns[n]))) for n in ("s0", "s1", "s2")}

    def close(self):
        for c in self.conns.values():
            c.close()


def norm(reply):
    if isinstance(reply, ErrorReply):
        return ("error", reply.message)
    if isinstance(reply, Push):
        return ("push", [norm(x) for x in reply])
    if isinstance(reply, list):
        return [norm(x) for x in reply]
    if isinstance(reply, dict):
        return ("map", sorted((k, norm(v)) for k, v in reply.items() if k != b"id"))
    return reply


@pytest.mark.parametrize("seed", range(5))
def test_random_pubsub_matches_redis(server, reference_redis, seed):
    rng = random.Random(seed)
    script = random_pubsub_script(rng, 300)
    tess, ref = PubSubSide(server.port), PubSubSide(reference_redis.port)
    # a model of each client's subscriptions, only to know how many replies a command gives
    subs = {n: {"SUBSCRIBE": set(), "PSUBSCRIBE": set(), "SSUBSCRIBE": set()}
            for n in ("s0", "s1", "s2")}
    unsub = {"UNSUBSCRIBE": "SUBSCRIBE", "PUNSUBSCRIBE": "PSUBSCRIBE",
             "SUNSUBSCRIBE": "SSUBSCRIBE"}
    try:
        for i, (who, cmd) in enumerate(script):
            name = cmd[0]
            n = 1
            if name in subs.get(who, {}):
                n = len(cmd) - 1
                subs[who][name].update(cmd[1:])
            elif name in unsub:
                kind = subs[who][unsub[name]]
                n = len(cmd) - 1 if len(cmd) > 1 else max(1, len(kind))
                if len(cmd) > 1:
                    kind.difference_update(cmd[1:])
                else:
                    kind.clear()
            elif name == "RESET":
                for kind in subs[who].values():
                    kind.clear()
            want = ref.run(who, cmd, n)
            got = tess.run(who, cmd, n)
            assert got == want, f"step {i} {who} {cmd}:\n tessera {got!r}\n redis   {want!r}"
            if name in ("PUBLISH", "SPUBLISH", "RESET", "HELLO") or rng.random() < 0.2:
                want = ref.pending()
                got = tess.pending()
                assert got == want, \
                    f"after step {i} {who} {cmd}:\n tessera {got!r}\n redis   {want!r}"
            if name == "RESET" and who == "s2":
                for side in (tess, ref):
                    side.conns["s2"].command("HELLO", "3")
    finally:
        tess.close()
        ref.close()
