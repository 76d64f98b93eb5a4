"""Streams: XADD XRANGE XREVRANGE XLEN XDEL XTRIM XREAD XREADGROUP XGROUP XACK XPENDING XCLAIM
XAUTOCLAIM XINFO XSETID.

The random test replays the same commands (explicit IDs, so no clock is involved) on Tessera
and a reference redis-server and compares every reply, the consumer-group state and the
dataset digest. Fields that depend on time (idle times) or on Redis's radix tree
(radix-tree-keys/-nodes) are left out of the comparison."""
import random
import threading
import time

import pytest

from helpers import command_error as err, same_reply, wait_until

RAW = ("XADD", "XRANGE", "XREVRANGE", "XREAD", "XREADGROUP", "XPENDING", "XCLAIM",
       "XAUTOCLAIM", "XINFO STREAM", "XINFO GROUPS", "XINFO CONSUMERS", "XTRIM", "XSETID",
       "XGROUP CREATE")


def raw_replies(client):
    for name in RAW:  # compare replies as sent, not as redis-py reshapes them
        client.set_response_callback(name, lambda reply, **options: reply)
    return client


def both(tess, ref, *args, shape=None):
    return same_reply(tess, ref, *args, shape=shape)


def without_idle(reply):
    """XPENDING ranges: [id, consumer, idle, deliveries] -> without the idle time."""
    if isinstance(reply, list):
        return [[x[0], x[1], x[3]] for x in reply]
    return reply


def stream_info(reply):
    if isinstance(reply, tuple):
        return reply
    d = dict(zip(reply[0::2], reply[1::2]))
    d.pop(b"radix-tree-keys")
    d.pop(b"radix-tree-nodes")
    return d


class Generator:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.ms = 1

    def id_arg(self):
        r = self.rng
        return r.choice([f"{r.randint(0, self.ms)}", f"{r.randint(1, self.ms)}-{r.randint(0, 3)}"])

    def command(self):
        r, key = self.rng, self.rng.choice(["s1", "s2"])
        x = r.random()
        if x < 0.35:
            self.ms += r.choice([0, 1, 1, 5])
            ms = self.ms
            idarg = r.choice([f"{ms}-{r.randint(0, 3)}", f"{ms}-*", f"{ms}", "0-0", "1-1", "abc",
                              f"{ms + 1000}-18446744073709551615"])
            opts = []
            if r.random() < 0.1:
                opts = [r.choice(["MAXLEN", "MINID"])]
                if r.random() < 0.5:
                    opts.append(r.choice(["~", "="]))
                opts.append(str(r.randint(0, 30)) if opts[0] == "MAXLEN" else f"{max(1, ms - 30)}")
                if opts[1] == "~" and r.random() < 0.3:
                    opts += ["LIMIT", str(r.randint(0, 50))]
            if r.random() < 0.05:
                opts.append("NOMKSTREAM")
            fields = []
            for _ in range(r.choice([1, 1, 2, 3])):
                fields += [r.choice(["a", "b", "12", "field-name"]), str(r.randint(0, 100))]
            return ["XADD", key, *opts, idarg, *fields], None
        if x < 0.45:
            lo = r.choice(["-", "0", f"({r.randint(0, self.ms)}", self.id_arg()])
            hi = r.choice(["+", str(r.randint(0, self.ms)), f"({r.randint(0, self.ms)}-2"])
            cmd = ["XRANGE", key, lo, hi] if r.random() < 0.5 else ["XREVRANGE", key, hi, lo]
            if r.random() < 0.4:
                cmd += ["COUNT", str(r.randint(-1, 5))]
            return cmd, None
        if x < 0.5:
            return ["XDEL", key] + [self.id_arg() for _ in range(r.randint(1, 3))], None
        if x < 0.55:
            cmd = ["XTRIM", key, r.choice(["MAXLEN", "MINID"])]
            if r.random() < 0.5:
                cmd.append(r.choice(["~", "="]))
            cmd.append(str(r.randint(0, 40)) if cmd[2] == "MAXLEN" else f"{r.randint(1, self.ms)}-0")
            return cmd, None
        if x < 0.6:
            cmd = ["XREAD"] + (["COUNT", str(r.randint(0, 4))] if r.random() < 0.5 else [])
            return cmd + ["STREAMS", "s1", "s2", self.id_arg(), self.id_arg()], None
        group = r.choice(["g1", "g2"])
        if x < 0.65:
            cmd = ["XGROUP", "CREATE", key, group, r.choice(["0", "$", self.id_arg()])]
            if r.random() < 0.3:
                cmd.append("MKSTREAM")
            if r.random() < 0.2:
                cmd += ["ENTRIESREAD", str(r.randint(-1, 5))]
            return cmd, None
        if x < 0.72:
            cmd = ["XREADGROUP", "GROUP", group, r.choice(["alice", "bob"])]
            if r.random() < 0.5:
                cmd += ["COUNT", str(r.randint(1, 4))]
            if r.random() < 0.2:
                cmd.append("NOACK")
            return cmd + ["STREAMS", key, r.choice([">", ">", "0", self.id_arg()])], None
        if x < 0.76:
            return ["XACK", key, group] + [self.id_arg() for _ in range(r.randint(1, 3))], None
        if x < 0.8:
            cmd = ["XPENDING", key, group]
            if r.random() < 0.6:
                cmd += ["-", "+", str(r.randint(1, 10))]
                if r.random() < 0.4:
                    cmd.append(r.choice(["alice", "bob", "carol"]))
                return cmd, without_idle
            return cmd, None
        if x < 0.84:
            cmd = ["XCLAIM", key, group, r.choice(["alice", "bob", "carol"]), "0"]
            cmd += [self.id_arg() for _ in range(r.randint(1, 3))]
            for opt in ("JUSTID", "FORCE"):
                if r.random() < 0.3:
                    cmd.append(opt)
            if r.random() < 0.2:
                cmd += ["RETRYCOUNT", str(r.randint(0, 5))]
            return cmd, None
        if x < 0.87:
            cmd = ["XAUTOCLAIM", key, group, r.choice(["alice", "bob", "carol"]), "0",
                   r.choice(["0", "-", self.id_arg()]), "COUNT", str(r.randint(1, 5))]
            if r.random() < 0.5:
                cmd.append("JUSTID")
            return cmd, None
        if x < 0.9:
            return ["XINFO", "STREAM", key], stream_info
        if x < 0.93:
            return ["XINFO", "GROUPS", key], None
        if x < 0.96:
            return r.choice([["XGROUP", "SETID", key, group, r.choice(["0", "$", self.id_arg()])],
                             ["XGROUP", "DESTROY", key, group],
                             ["XGROUP", "CREATECONSUMER", key, group, r.choice(["alice", "dave"])],
                             ["XGROUP", "DELCONSUMER", key, group, r.choice(["alice", "bob"])]]), None
        cmd = ["XSETID", key, r.choice([f"{self.ms + r.randint(-2, 5)}-0", "0-0", f"{self.ms}-5"])]
        if r.random() < 0.3:
            cmd += ["ENTRIESADDED", str(r.randint(0, 100))]
        if r.random() < 0.3:
            cmd += ["MAXDELETEDID", f"{r.randint(0, self.ms)}-0"]
        return cmd, None


@pytest.mark.parametrize("seed,node_entries", [(1, "100"), (2, "100"), (3, "4"), (4, "4")])
def test_random_stream_commands_match_redis(server, reference, seed, node_entries):
    tess = raw_replies(server.client(decode_responses=False))
    ref = raw_replies(reference)
    for c in (tess, ref):
        c.config_set("stream-node-max-entries", node_entries)
    gen = Generator(seed)
    for _ in range(1500):
        cmd, shape = gen.command()
        both(tess, ref, *cmd, shape=shape)
    for key in ("s1", "s2"):
        both(tess, ref, "XINFO", "GROUPS", key)
        both(tess, ref, "XRANGE", key, "-", "+")
    both(tess, ref, "DEBUG", "DIGEST")


def test_auto_ids_and_errors(r):
    first = r.xadd("s", {"a": 1})
    ms, seq = map(int, first.split("-"))
    assert abs(ms - time.time() * 1000) < 5000 and seq == 0
    second = r.xadd("s", {"a": 2})
    assert second > first or second.split("-")[0] > first.split("-")[0]
    assert err(r, "XADD", "s", "1-1", "a", "1") == \
        "The ID specified in XADD is equal or smaller than the target stream top item"
    assert err(r, "XADD", "s", "*", "a") == "wrong number of arguments for 'xadd' command"
    assert err(r, "XADD", "s", "LIMIT", "5", "*", "a", "1") == \
        "syntax error, LIMIT cannot be used without specifying a trimming strategy"
    assert err(r, "XADD", "s", "MAXLEN", "5", "LIMIT", "5", "*", "a", "1") == \
        "syntax error, LIMIT cannot be used without the special ~ option"
    assert err(r, "XADD", "s", "MAXLEN", "-1", "*", "a", "1") == "The MAXLEN argument must be >= 0."
    assert err(r, "XTRIM", "s", "FOO", "1") == "syntax error"
    r.set("str", "x")
    assert err(r, "XADD", "str", "*", "a", "1").startswith("WRONGTYPE")
    assert err(r, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">") == \
        "NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option"
    assert err(r, "XREAD", "STREAMS", "s", "t", "0") == \
        "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
    assert err(r, "XINFO", "STREAM", "missing") == "no such key"
    assert err(r, "XGROUP", "CREATE", "missing", "g", "0") == (
        "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to "
        "use the MKSTREAM option to create an empty stream automatically.")


def test_blocking_xread_and_xreadgroup(server, r):
    r.xadd("s", {"a": 1}, id="1-0")
    results = {}

    def reader(name, *args):
        with server.raw(timeout=10) as c:
            results[name] = c.command(*args)

    threads = [threading.Thread(target=reader, args=("xread", "XREAD", "BLOCK", "5000",
                                                     "STREAMS", "s", "$")),
               threading.Thread(target=reader, args=("none", "XREAD", "BLOCK", "100",
                                                     "STREAMS", "other", "$"))]
    for t in threads:
        t.start()
    assert wait_until(lambda: r.info("clients")["blocked_clients"] == 2, 5)
    r.xadd("s", {"b": 2}, id="2-0")
    for t in threads:
        t.join(10)
    assert results["xread"] == [[b"s", [[b"2-0", [b"b", b"2"]]]]]
    assert results["none"] is None  # timed out

    r.xgroup_create("s", "g", id="$")
    t = threading.Thread(target=reader, args=("group", "XREADGROUP", "GROUP", "g", "c",
                                              "BLOCK", "5000", "STREAMS", "s", ">"))
    t.start()
    assert wait_until(lambda: r.info("clients")["blocked_clients"] == 1, 5)
    r.xadd("s", {"c": 3}, id="3-0")
    t.join(10)
    assert results["group"] == [[b"s", [[b"3-0", [b"c", b"3"]]]]]
    assert r.xpending("s", "g")["pending"] == 1


def test_info_and_deleted_entries_in_history(r):
    r.xadd("s", {"a": 1}, id="1-0")
    r.xadd("s", {"b": 2}, id="2-0")
    r.xgroup_create("s", "g", id="0")
    r.xreadgroup("g", "alice", {"s": ">"})
    r.xdel("s", "1-0")
    # A pending entry that was deleted comes back with no fields.
    assert r.execute_command("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0") == \
        [["s", [("1-0", {}), ("2-0", {"b": "2"})]]]  # redis-py shows nil as {}
    info = r.xinfo_stream("s")
    assert info["length"] == 1 and info["max-deleted-entry-id"] == "1-0"
    assert info["entries-added"] == 2 and info["recorded-first-entry-id"] == "2-0"
    full = r.xinfo_stream("s", full=True)
    assert full["groups"][0]["pel-count"] == 2
    assert r.xinfo_consumers("s", "g")[0]["pending"] == 2
