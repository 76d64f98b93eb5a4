"""Client-side caching (CLIENT TRACKING): default mode (the keys a client read are invalidated
once when anyone changes them, then forgotten until read again), keys read inside MULTI and by
scripts (Redis 7.0 tracks a script's declared keys when it runs a read command), which commands
remember keys, writes by the tracked client itself (reply first, then the invalidation; none
with NOLOOP), DEL/EXPIRE/PERSIST and lazy/active expiry, FLUSHDB/FLUSHALL (a null key list to
every tracking client), BCAST with and without prefixes (one message per prefix and loop turn,
keys sorted), OPTIN + CLIENT CACHING YES and OPTOUT + CLIENT CACHING NO, every option error
text, REDIRECT to a RESP3 client and to a RESP2 client in Pub/Sub mode (messages on
__redis__:invalidate), broken redirections (tracking-redir-broken), CLIENT GETREDIR,
CLIENT TRACKINGINFO (RESP2 and RESP3, byte for byte), CLIENT LIST flags t/R/B and redir=,
INFO tracking_* fields, CLIENT TRACKING OFF, RESET, disconnections and tracking-table-max-keys.

Most scenarios run on the reference redis-server first (their explicit assertions check the test
itself) and then on Tessera; every reply and every invalidation message, in arrival order, must
be the same on both (client ids are compared by client name)."""
import random
import re
import time

import pytest

from resp import Closed, ErrorReply, Push, RawConnection
from helpers import expect_bytes, wait_until

# ------------------------------------------------------------------------- error texts

E_CACHING_NOT_TRACKING = ("ERR CLIENT CACHING can be called only when the client is in tracking "
                          "mode with OPTIN or OPTOUT mode enabled")
E_CACHING_YES = "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."
E_CACHING_NO = "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."
E_PREFIX_NEEDS_BCAST = "ERR PREFIX option requires BCAST mode to be enabled"
E_OPT_WITH_BCAST = "ERR OPTIN and OPTOUT are not compatible with BCAST"
E_OPTIN_AND_OPTOUT = "ERR You can't specify both OPTIN mode and OPTOUT mode"
E_SWITCH_BCAST = ("ERR You can't switch BCAST mode on/off before disabling tracking for this "
                  "client, and then re-enabling it with a different mode.")
E_SWITCH_OPT = ("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this "
                "client, and then re-enabling it with a different mode.")
E_NO_SUCH_CLIENT = "ERR The client ID you want redirect to does not exist"
E_ONE_REDIRECT = "ERR A client can only redirect to a single other client"
E_SYNTAX = "ERR syntax error"
E_NOT_INTEGER = "ERR value is not an integer or out of range"


def e_overlap_provided(a, b):
    return (f"ERR Prefix '{a}' overlaps with another provided prefix '{b}'. "
            "Prefixes for a single client must not overlap.")


def e_overlap_existing(a, b):
    return (f"ERR Prefix '{a}' overlaps with an existing prefix '{b}'. "
            "Prefixes for a single client must not overlap.")


def e_arity(sub):
    return f"ERR wrong number of arguments for 'client|{sub}' command"


# ------------------------------------------------------------------------- the harness

TOKEN = b"tracking-sync"
ASYNC_PUSHES = (b"invalidate", b"tracking-redir-broken", b"message", b"pmessage", b"smessage")


def is_async(m):
    """An invalidation or Pub/Sub message (RESP3 push, or a RESP2 subscriber's message)."""
    if type(m) is Push:
        return bool(m) and m[0] in ASYNC_PUSHES
    return type(m) is list and len(m) == 3 and m[0] == b"message"


class Id:
    """A command argument standing for the id of one of the side's named clients."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"<id:{self.name}>"


def inv(*keys):
    """The normalised RESP3 invalidation push for these keys."""
    return ("push", b"invalidate", [k.encode() if isinstance(k, str) else k for k in keys])


INV_ALL = ("push", b"invalidate", None)  # after FLUSHDB/FLUSHALL


def broken(name):
    return ("push", b"tracking-redir-broken", f"<id:{name}>")


def msg(*keys):
    """The normalised RESP2 Pub/Sub message on __redis__:invalidate."""
    return [b"message", b"__redis__:invalidate", [k.encode() for k in keys]]


MSG_ALL = [b"message", b"__redis__:invalidate", None]


class Side:
    """Named raw connections to one server. Every reply and every asynchronous message is
    appended to self.log in the order it was read, so that two servers running the same
    scenario can be compared entry by entry. Client ids appear as <id:name>."""

    def __init__(self, port, label):
        self.port = port
        self.label = label
        self.conns = {}
        self.proto = {}
        self.idof = {}
        self.names = {}  # id -> name (kept after a client disconnects)
        self.early = []  # async messages that arrived before the last reply
        self.log = []
        self.admin = RawConnection("127.0.0.1", port, timeout=10)  # unlogged helper

    # -- connections

    def open(self, name, proto=3):
        c = RawConnection("127.0.0.1", self.port, timeout=10)
        if proto == 3:
            hello = c.command("HELLO", "3")
            assert isinstance(hello, dict), hello
        cid = c.command("CLIENT", "ID")
        self.conns[name], self.proto[name] = c, proto
        self.idof[name], self.names[cid] = cid, name
        return c

    def id(self, name):
        return self.idof[name]

    def hello3(self, name):
        """HELLO 3 on an open client (unlogged: the reply holds the id and version)."""
        reply = self.conns[name].command("HELLO", "3")
        assert isinstance(reply, dict), reply

    def close_client(self, name):
        """Closes a client and waits until the server dropped it."""
        cid = self.idof[name]
        self.conns.pop(name).close()
        assert wait_until(lambda: self.admin.command("CLIENT", "LIST", "ID", str(cid)) == b"",
                          10), f"client {name} still listed"

    def close(self):
        for c in self.conns.values():
            c.close()
        self.admin.close()

    # -- commands and messages

    def _arg(self, a):
        return str(self.idof[a.name]) if isinstance(a, Id) else a

    def idname(self, v):
        if isinstance(v, int) and v in self.names:
            return f"<id:{self.names[v]}>"
        return v

    def norm(self, m):
        if isinstance(m, ErrorReply):
            return ("error", m.message)
        if type(m) is Push:
            items = [self.norm(x) for x in m]
            if items and items[0] == b"tracking-redir-broken":
                items[1] = self.idname(items[1])
            return ("push", *items)
        if isinstance(m, list):
            return [self.norm(x) for x in m]
        if isinstance(m, (set, frozenset)):
            return ("set", sorted(m))
        if isinstance(m, dict):
            return {k: self.norm(v) for k, v in m.items()}
        return m

    def cmd(self, name, *args):
        """Sends a command and returns its reply (raw). Invalidations that arrive before the
        reply are logged (and kept in self.early)."""
        c = self.conns[name]
        c.send_command(*(self._arg(a) for a in args))
        self.early = []
        while True:
            m = c.read()
            if not is_async(m):
                break
            self.early.append(self.norm(m))
            self.log.append((name, "got", self.norm(m)))
        shown = self.norm(m)
        words = tuple(a.upper() if isinstance(a, str) else a for a in args[:2])
        if words in (("CLIENT", "GETREDIR"), ("CLIENT", "ID")):
            shown = self.idname(shown)
        elif words == ("CLIENT", "TRACKINGINFO"):
            if isinstance(m, dict):
                shown = dict(shown)
                shown[b"redirect"] = self.idname(m[b"redirect"])
            elif isinstance(m, list):
                shown[3] = self.idname(m[3])
        self.log.append((name, tuple(repr(a) if isinstance(a, Id) else a for a in args), shown))
        return m

    def ok(self, name, *args):
        reply = self.cmd(name, *args)
        assert reply == "OK", f"{self.label}: {args} -> {reply!r}"

    def err(self, name, *args):
        reply = self.cmd(name, *args)
        assert isinstance(reply, ErrorReply), f"{self.label}: {args} -> {reply!r}"
        return reply.message

    def _sync(self, name):
        c = self.conns[name]
        c.send_command("PING", TOKEN)
        out = []
        while True:
            m = c.read()
            if m == TOKEN or m == [b"pong", TOKEN]:
                return out
            out.append(m)

    def pending(self, name):
        """The messages that arrived for a client (synchronised with a PING), normalised."""
        got = [self.norm(m) for m in self._sync(name)]
        for m in got:
            self.log.append((name, "got", m))
        return got

    def wait_messages(self, name, timeout=10):
        """Polls until messages arrive (for timers such as active expiry); logs only them."""
        deadline = time.time() + timeout
        while True:
            got = [self.norm(m) for m in self._sync(name)]
            if got or time.time() > deadline:
                for m in got:
                    self.log.append((name, "got", m))
                return got
            time.sleep(0.02)

    # -- unlogged introspection

    def info(self, field):
        text = self.admin.command("INFO", "everything").decode()
        m = re.search(rf"^{field}:(\S+)\r?$", text, re.M)
        assert m, f"no {field} in INFO"
        return int(m.group(1))

    def tracking_stats(self):
        return tuple(self.info(f) for f in ("tracking_total_keys", "tracking_total_items",
                                            "tracking_total_prefixes", "tracking_clients"))

    def client_fields(self, name):
        line = self.admin.command("CLIENT", "LIST", "ID", str(self.idof[name])).decode()
        fields = dict(tok.partition("=")[::2] for tok in line.strip().split(" "))
        fields["redir"] = self.idname(int(fields["redir"]))
        return fields


def run_both(server, reference_redis, scenario):
    """Runs scenario(side) on redis-server, then on Tessera, and compares the two logs."""
    ref = Side(reference_redis.port, "redis")
    try:
        scenario(ref)
    finally:
        ref.close()
    tess = Side(server.port, "tessera")
    failure = None
    try:
        scenario(tess)
    except (AssertionError, Closed, OSError) as e:  # compare what happened up to the failure
        failure = e
    finally:
        tess.close()
    for i, (got, want) in enumerate(zip(tess.log, ref.log)):
        if got != want:
            context = "\n".join(f"   {e!r}" for e in ref.log[max(0, i - 6):i])
            raise AssertionError(f"entry {i} differs\n before (both):\n{context}\n"
                                 f" tessera {got!r}\n redis   {want!r}")
    if failure is not None:
        raise failure
    assert len(tess.log) == len(ref.log), (
        f"tessera logged {len(tess.log)} entries, redis {len(ref.log)}:\n"
        f" extra tessera {tess.log[len(ref.log):]!r}\n extra redis {ref.log[len(tess.log):]!r}")
    return ref.log


@pytest.fixture
def both(server, reference_redis):
    return lambda scenario: run_both(server, reference_redis, scenario)


# ------------------------------------------------------------------------- option errors


def test_option_errors(both):
    def scenario(s):
        s.open("c")
        s.open("other", proto=2)
        # CLIENT CACHING without tracking (any argument)
        for arg in ("YES", "NO", "maybe"):
            assert s.err("c", "CLIENT", "CACHING", arg) == E_CACHING_NOT_TRACKING
        # option checks, in Redis's order
        cases = [
            (("ON", "PREFIX", "a"), E_PREFIX_NEEDS_BCAST),
            (("ON", "PREFIX", "a", "OPTIN"), E_PREFIX_NEEDS_BCAST),
            (("ON", "OPTIN", "OPTOUT", "PREFIX", "x"), E_PREFIX_NEEDS_BCAST),
            (("ON", "OPTIN", "BCAST"), E_OPT_WITH_BCAST),
            (("ON", "OPTOUT", "BCAST"), E_OPT_WITH_BCAST),
            (("ON", "OPTIN", "OPTOUT", "BCAST"), E_OPT_WITH_BCAST),
            (("ON", "BCAST", "PREFIX", "a", "PREFIX", "ab", "OPTIN"), E_OPT_WITH_BCAST),
            (("ON", "OPTIN", "OPTOUT"), E_OPTIN_AND_OPTOUT),
            (("ON", "OPTOUT", "OPTIN", "NOLOOP"), E_OPTIN_AND_OPTOUT),
            (("ON", "REDIRECT", "999999"), E_NO_SUCH_CLIENT),
            (("ON", "REDIRECT", "0"), E_NO_SUCH_CLIENT),
            (("ON", "REDIRECT", "-1"), E_NO_SUCH_CLIENT),
            (("ON", "REDIRECT", "999999", "FOO"), E_NO_SUCH_CLIENT),
            (("OFF", "REDIRECT", "999999"), E_NO_SUCH_CLIENT),
            (("ON", "REDIRECT", "abc"), E_NOT_INTEGER),
            (("ON", "REDIRECT", "1.5"), E_NOT_INTEGER),
            (("ON", "REDIRECT", "9223372036854775808"), E_NOT_INTEGER),
            (("ON", "REDIRECT", Id("other"), "REDIRECT", Id("other")), E_ONE_REDIRECT),
            (("ON", "FOO"), E_SYNTAX),
            (("ON", "FOO", "REDIRECT", "999999"), E_SYNTAX),
            (("ON", "PREFIX"), E_SYNTAX),
            (("ON", "BCAST", "PREFIX"), E_SYNTAX),
            (("ON", "REDIRECT"), E_SYNTAX),
            (("MAYBE",), E_SYNTAX),
            (("MAYBE", "BCAST"), E_SYNTAX),
            (("OFF", "FOO"), E_SYNTAX),
            (("ON", "BCAST", "PREFIX", "a", "PREFIX", "ab"), e_overlap_provided("a", "ab")),
            (("ON", "BCAST", "PREFIX", "ab", "PREFIX", "a"), e_overlap_provided("ab", "a")),
            (("ON", "BCAST", "PREFIX", "a", "PREFIX", "a"), e_overlap_provided("a", "a")),
            (("ON", "BCAST", "PREFIX", "", "PREFIX", "x"), e_overlap_provided("", "x")),
        ]
        for args, want in cases:
            assert s.err("c", "CLIENT", "TRACKING", *args) == want, args
            # nothing changed
            assert s.cmd("c", "CLIENT", "GETREDIR") == -1
        # arity
        assert s.err("c", "CLIENT", "TRACKING") == e_arity("tracking")
        assert s.err("c", "CLIENT", "CACHING") == e_arity("caching")
        assert s.err("c", "CLIENT", "CACHING", "YES", "x") == e_arity("caching")
        assert s.err("c", "CLIENT", "GETREDIR", "x") == e_arity("getredir")
        assert s.err("c", "CLIENT", "TRACKINGINFO", "x") == e_arity("trackinginfo")
        # OFF accepts (and ignores) valid options; keywords are case-insensitive
        s.ok("c", "CLIENT", "TRACKING", "OFF")
        s.ok("c", "CLIENT", "TRACKING", "OFF", "BCAST", "PREFIX", "x", "OPTIN", "OPTOUT")
        s.ok("c", "CLIENT", "TRACKING", "off", "noloop")
        assert s.cmd("c", "CLIENT", "GETREDIR") == -1

    both(scenario)


def test_mode_switch_errors(both):
    def scenario(s):
        s.open("c")
        # default mode on: BCAST can't be switched on, OPTIN/OPTOUT/NOLOOP can be set
        s.ok("c", "CLIENT", "TRACKING", "ON")
        assert s.err("c", "CLIENT", "TRACKING", "ON", "BCAST") == E_SWITCH_BCAST
        assert s.err("c", "CLIENT", "TRACKING", "ON", "BCAST", "OPTIN") == E_SWITCH_BCAST
        assert s.err("c", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX",
                     "a") == E_SWITCH_BCAST
        assert s.err("c", "CLIENT", "TRACKING", "ON", "PREFIX", "a") == E_PREFIX_NEEDS_BCAST
        assert s.err("c", "CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT") == E_OPTIN_AND_OPTOUT
        assert s.err("c", "CLIENT", "CACHING", "YES") == E_CACHING_YES
        assert s.err("c", "CLIENT", "CACHING", "NO") == E_CACHING_NO
        assert s.err("c", "CLIENT", "CACHING", "maybe") == E_SYNTAX
        s.ok("c", "CLIENT", "TRACKING", "ON", "OPTIN")
        # OPTIN -> OPTOUT refused, OPTIN -> default allowed
        assert s.err("c", "CLIENT", "TRACKING", "ON", "OPTOUT") == E_SWITCH_OPT
        assert s.err("c", "CLIENT", "TRACKING", "ON", "OPTOUT", "BCAST") == E_SWITCH_BCAST
        assert s.err("c", "CLIENT", "CACHING", "NO") == E_CACHING_NO
        s.ok("c", "CLIENT", "CACHING", "YES")
        s.ok("c", "CLIENT", "CACHING", "yes")
        assert s.err("c", "CLIENT", "CACHING", "maybe") == E_SYNTAX
        s.ok("c", "CLIENT", "TRACKING", "ON")
        s.ok("c", "CLIENT", "TRACKING", "ON", "OPTOUT")
        assert s.err("c", "CLIENT", "TRACKING", "ON", "OPTIN") == E_SWITCH_OPT
        assert s.err("c", "CLIENT", "CACHING", "YES") == E_CACHING_YES
        s.ok("c", "CLIENT", "CACHING", "NO")
        s.ok("c", "CLIENT", "TRACKING", "OFF")
        # BCAST on: the default mode and OPTIN can't be switched to
        s.ok("c", "CLIENT", "TRACKING", "ON", "BCAST")
        assert s.err("c", "CLIENT", "TRACKING", "ON") == E_SWITCH_BCAST
        assert s.err("c", "CLIENT", "TRACKING", "ON", "OPTIN") == E_SWITCH_BCAST
        assert s.err("c", "CLIENT", "CACHING", "YES") == E_CACHING_YES
        # the empty prefix (no PREFIX given) overlaps with everything
        assert s.err("c", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "x") == \
            e_overlap_existing("x", "")
        s.ok("c", "CLIENT", "TRACKING", "OFF")
        # prefixes accumulate over several CLIENT TRACKING ON BCAST calls
        s.ok("c", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "b", "PREFIX", "a",
             "PREFIX", "c")
        assert s.err("c", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "b") == \
            e_overlap_existing("b", "b")
        assert s.err("c", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "d", "PREFIX",
                     "bb") == e_overlap_existing("bb", "b")
        assert s.err("c", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "") == \
            e_overlap_existing("", "a")
        s.ok("c", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "d")
        info = s.cmd("c", "CLIENT", "TRACKINGINFO")
        assert info[b"prefixes"] == [b"a", b"b", b"c", b"d"]
        # a failed option check leaves the client as it was
        assert info[b"flags"] == {b"on", b"bcast"}

    both(scenario)


# ------------------------------------------------------------------------- GETREDIR, TRACKINGINFO


def trackinginfo_bytes(proto, flags, redirect, prefixes=()):
    def bulk(s):
        return b"$%d\r\n%s\r\n" % (len(s), s)
    out = b"%3\r\n" if proto == 3 else b"*6\r\n"
    out += bulk(b"flags") + (b"~" if proto == 3 else b"*") + b"%d\r\n" % len(flags)
    out += b"".join(bulk(f) for f in flags)
    out += bulk(b"redirect") + b":%d\r\n" % redirect
    out += bulk(b"prefixes") + b"*%d\r\n" % len(prefixes) + b"".join(bulk(p) for p in prefixes)
    return out


@pytest.mark.parametrize("proto", [2, 3])
def test_trackinginfo_and_getredir_bytes(server, proto):
    """CLIENT TRACKINGINFO: a map (RESP2: flat array) of flags (RESP3 set, in the order on/off,
    bcast, optin, caching-yes, optout, caching-no, noloop, broken_redirect), redirect (-1 when
    off, 0 without redirection) and the sorted prefixes. CLIENT GETREDIR: -1, 0 or the id."""
    with server.raw() as c, server.raw() as target, server.raw() as gone:
        if proto == 3:
            c.command("HELLO", "3")
        tid = target.command("CLIENT", "ID")

        def check(flags, redirect, prefixes=()):
            c.send_command("CLIENT", "TRACKINGINFO")
            expect_bytes(c, trackinginfo_bytes(proto, flags, redirect, prefixes))
            c.send_command("CLIENT", "GETREDIR")
            expect_bytes(c, b":%d\r\n" % redirect)

        check([b"off"], -1)
        assert c.command("CLIENT", "TRACKING", "ON") == "OK"
        check([b"on"], 0)
        assert c.command("CLIENT", "TRACKING", "ON", "REDIRECT", str(tid)) == "OK"
        check([b"on"], tid)
        assert c.command("CLIENT", "TRACKING", "ON") == "OK"  # the redirection is dropped
        check([b"on"], 0)
        assert c.command("CLIENT", "TRACKING", "OFF") == "OK"
        check([b"off"], -1)
        assert c.command("CLIENT", "TRACKING", "ON", "OPTIN", "NOLOOP", "REDIRECT",
                         str(tid)) == "OK"
        check([b"on", b"optin", b"noloop"], tid)
        assert c.command("CLIENT", "CACHING", "YES") == "OK"
        # the CACHING flag survives CLIENT subcommands (it is dropped by other commands)
        check([b"on", b"optin", b"caching-yes", b"noloop"], tid)
        assert c.command("PING") in ("PONG", b"PONG")
        check([b"on", b"optin", b"noloop"], tid)
        assert c.command("CLIENT", "TRACKING", "OFF") == "OK"
        assert c.command("CLIENT", "TRACKING", "ON", "OPTOUT") == "OK"
        check([b"on", b"optout"], 0)
        assert c.command("CLIENT", "CACHING", "NO") == "OK"
        check([b"on", b"optout", b"caching-no"], 0)
        # OFF drops the CACHING flag too
        assert c.command("CLIENT", "TRACKING", "OFF") == "OK"
        assert c.command("CLIENT", "TRACKING", "ON", "OPTOUT") == "OK"
        check([b"on", b"optout"], 0)
        assert c.command("CLIENT", "TRACKING", "OFF") == "OK"
        assert c.command("CLIENT", "TRACKING", "ON", "BCAST") == "OK"
        check([b"on", b"bcast"], 0, [b""])
        assert c.command("CLIENT", "TRACKING", "OFF") == "OK"
        assert c.command("CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP", "PREFIX", "user:",
                         "PREFIX", "obj:", "REDIRECT", str(tid)) == "OK"
        check([b"on", b"bcast", b"noloop"], tid, [b"obj:", b"user:"])
        assert c.command("CLIENT", "TRACKING", "OFF") == "OK"
        check([b"off"], -1)
        # a broken redirection
        gid = gone.command("CLIENT", "ID")
        assert c.command("CLIENT", "TRACKING", "ON", "BCAST", "REDIRECT", str(gid)) == "OK"
        gone.close()
        assert wait_until(lambda: target.command("CLIENT", "LIST", "ID", str(gid)) == b"", 10)
        check([b"on", b"bcast"], gid, [b""])  # noticed only when a message is due
        assert target.command("SET", "x", "1") == "OK"
        if proto == 3:
            expect_bytes(c, b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % gid)
        check([b"on", b"bcast", b"broken_redirect"], gid, [b""])
        assert c.command("CLIENT", "TRACKING", "OFF") == "OK"
        check([b"off"], -1)


def test_getredir_and_trackinginfo_match_redis(both):
    def scenario(s):
        s.open("c")
        s.open("c2", proto=2)
        s.open("t", proto=2)
        for who in ("c", "c2"):
            s.cmd(who, "CLIENT", "GETREDIR")
            s.cmd(who, "CLIENT", "TRACKINGINFO")
            s.ok(who, "CLIENT", "TRACKING", "ON", "REDIRECT", Id("t"), "NOLOOP")
            assert s.cmd(who, "CLIENT", "GETREDIR") == s.id("t")
            s.cmd(who, "CLIENT", "TRACKINGINFO")
            s.ok(who, "CLIENT", "TRACKING", "ON", "OPTIN")
            assert s.cmd(who, "CLIENT", "GETREDIR") == 0
            s.ok(who, "CLIENT", "CACHING", "YES")
            s.cmd(who, "CLIENT", "TRACKINGINFO")
            s.ok(who, "CLIENT", "TRACKING", "OFF")
            s.ok(who, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "z", "PREFIX", "a:")
            s.cmd(who, "CLIENT", "TRACKINGINFO")
            assert s.cmd(who, "RESET") == "RESET"
            assert s.cmd(who, "CLIENT", "GETREDIR") == -1
            s.cmd(who, "CLIENT", "TRACKINGINFO")

    both(scenario)


# ------------------------------------------------------------------------- default mode


def test_default_tracking(both):
    def scenario(s):
        s.open("a")
        s.open("b", proto=2)
        s.open("c")
        s.ok("a", "CLIENT", "TRACKING", "ON")
        s.ok("b", "SET", "k", "1")
        assert s.pending("a") == []  # not read yet
        assert s.cmd("a", "GET", "k") == b"1"
        s.ok("b", "SET", "k", "2")
        assert s.pending("a") == [inv("k")]
        # invalidated once, then forgotten until read again
        s.ok("b", "SET", "k", "3")
        assert s.pending("a") == []
        assert s.cmd("a", "GET", "k") == b"3"
        assert s.cmd("a", "GET", "k") == b"3"
        assert s.cmd("a", "STRLEN", "k") == 1
        assert s.cmd("b", "APPEND", "k", "x") == 2
        assert s.pending("a") == [inv("k")]
        # missing keys are tracked too; one message per key, in the order of the changes
        assert s.cmd("a", "MGET", "x", "y", "k") == [None, None, b"3x"]
        s.ok("b", "MSET", "y", "1", "k", "2", "x", "3", "z", "4")
        assert s.pending("a") == [inv("y"), inv("k"), inv("x")]
        # several tracking clients
        s.ok("c", "CLIENT", "TRACKING", "ON")
        s.cmd("a", "GET", "k")
        s.cmd("c", "GET", "k")
        s.cmd("c", "GET", "z")
        assert s.cmd("b", "DEL", "k", "z", "nokey") == 2
        assert s.pending("a") == [inv("k")]
        assert s.pending("c") == [inv("k"), inv("z")]
        # the table is not per database: a change in another db invalidates too
        s.cmd("a", "GET", "k")
        s.ok("b", "SELECT", "5")
        s.ok("b", "SET", "k", "db5")
        assert s.pending("a") == [inv("k")]
        s.ok("a", "SELECT", "5")
        assert s.cmd("a", "GET", "k") == b"db5"
        s.ok("b", "SELECT", "0")
        s.ok("b", "SET", "k", "db0")
        assert s.pending("a") == [inv("k")]
        s.ok("a", "SELECT", "0")
        # binary key names
        key = b"bin\x00\r\n\xffkey"
        assert s.cmd("a", "GET", key) is None
        s.ok("b", "SET", key, "v")
        assert s.pending("a") == [inv(key)]
        # commands rejected before running track nothing
        assert isinstance(s.cmd("a", "GET", "r1", "extra"), ErrorReply)
        assert isinstance(s.cmd("a", "NOSUCHCOMMAND", "r1"), ErrorReply)
        # a read that fails inside the command still tracks its key
        s.ok("b", "SET", "str", "v")
        assert isinstance(s.cmd("a", "LRANGE", "str", "0", "-1"), ErrorReply)
        s.ok("b", "MSET", "r1", "1", "str", "w")
        assert s.pending("a") == [inv("str")]
        # a RESP2 client without redirection can track but is never told
        s.open("r2", proto=2)
        s.ok("r2", "CLIENT", "TRACKING", "ON")
        s.cmd("r2", "GET", "k")
        s.ok("b", "SET", "k", "again")
        assert s.pending("r2") == []
        assert s.pending("a") == []
        # ... until it switches to RESP3 (the key was dropped when it changed)
        s.cmd("r2", "GET", "k")
        s.hello3("r2")
        s.ok("b", "SET", "k", "once more")
        assert s.pending("r2") == [inv("k")]

    both(scenario)


def test_writes_do_not_track(both):
    """Only read-only commands remember keys: writes that return values (GETSET, GETDEL, INCR,
    SET GET, GETEX, LPOP...) do not."""
    def scenario(s):
        s.open("a")
        s.open("b", proto=2)
        s.ok("a", "CLIENT", "TRACKING", "ON")
        s.ok("a", "SET", "w1", "1")
        s.cmd("a", "INCR", "w2")
        s.cmd("a", "GETSET", "w3", "x")
        s.cmd("a", "SET", "w4", "x", "GET")
        s.cmd("a", "GETEX", "w5", "PERSIST")
        s.cmd("a", "RPUSH", "w6", "a", "b")
        s.cmd("a", "LPOP", "w6")
        s.cmd("a", "GETDEL", "w7")
        s.cmd("a", "SUNIONSTORE", "w8", "w9")
        assert s.pending("a") == []
        s.ok("b", "MSET", *[x for i in range(1, 10) for x in (f"w{i}", "v")])
        assert s.pending("a") == []
        assert s.tracking_stats()[:2] == (0, 0)

    both(scenario)


# read commands and the keys they make the client track (all keys missing when read)
READS = [
    (("GET", "{p}"), ["{p}"]),
    (("MGET", "{p}a", "{p}b"), ["{p}a", "{p}b"]),
    (("EXISTS", "{p}a", "{p}b"), ["{p}a", "{p}b"]),
    (("TYPE", "{p}"), ["{p}"]),
    (("STRLEN", "{p}"), ["{p}"]),
    (("TTL", "{p}"), ["{p}"]),
    (("PTTL", "{p}"), ["{p}"]),
    (("EXPIRETIME", "{p}"), ["{p}"]),
    (("OBJECT", "ENCODING", "{p}"), ["{p}"]),
    (("TOUCH", "{p}a", "{p}b"), ["{p}a", "{p}b"]),
    (("GETRANGE", "{p}", "0", "1"), ["{p}"]),
    (("SUBSTR", "{p}", "0", "1"), ["{p}"]),
    (("LCS", "{p}a", "{p}b"), ["{p}a", "{p}b"]),
    (("BITCOUNT", "{p}"), ["{p}"]),
    (("BITPOS", "{p}", "1"), ["{p}"]),
    (("GETBIT", "{p}", "0"), ["{p}"]),
    (("BITFIELD_RO", "{p}", "GET", "u8", "0"), ["{p}"]),
    (("BITFIELD", "{p}", "GET", "u8", "0"), []),  # BITFIELD is a write command
    (("PFCOUNT", "{p}"), ["{p}"]),  # read-only in 7.0
    (("LRANGE", "{p}", "0", "-1"), ["{p}"]),
    (("LLEN", "{p}"), ["{p}"]),
    (("LINDEX", "{p}", "0"), ["{p}"]),
    (("LPOS", "{p}", "x"), ["{p}"]),
    (("HGETALL", "{p}"), ["{p}"]),
    (("HGET", "{p}", "f"), ["{p}"]),
    (("HEXISTS", "{p}", "f"), ["{p}"]),
    (("HSTRLEN", "{p}", "f"), ["{p}"]),
    (("HKEYS", "{p}"), ["{p}"]),
    (("HRANDFIELD", "{p}"), ["{p}"]),
    (("SMEMBERS", "{p}"), ["{p}"]),
    (("SISMEMBER", "{p}", "m"), ["{p}"]),
    (("SMISMEMBER", "{p}", "m", "n"), ["{p}"]),
    (("SRANDMEMBER", "{p}"), ["{p}"]),
    (("SINTER", "{p}a", "{p}b"), ["{p}a", "{p}b"]),
    (("SINTERCARD", "2", "{p}a", "{p}b"), ["{p}a", "{p}b"]),
    (("ZRANGE", "{p}", "0", "-1"), ["{p}"]),
    (("ZSCORE", "{p}", "m"), ["{p}"]),
    (("ZMSCORE", "{p}", "m"), ["{p}"]),
    (("ZCOUNT", "{p}", "0", "1"), ["{p}"]),
    (("ZRANDMEMBER", "{p}"), ["{p}"]),
    (("ZUNION", "2", "{p}a", "{p}b"), ["{p}a", "{p}b"]),
    (("XRANGE", "{p}", "-", "+"), ["{p}"]),
    (("XREVRANGE", "{p}", "+", "-"), ["{p}"]),
    (("XLEN", "{p}"), ["{p}"]),
    (("XREAD", "STREAMS", "{p}a", "{p}b", "0", "0"), ["{p}a", "{p}b"]),
    (("GEOPOS", "{p}", "m"), ["{p}"]),
    (("GEOSEARCH", "{p}", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"), ["{p}"]),
    (("GEORADIUS_RO", "{p}", "0", "0", "1", "km"), ["{p}"]),
    (("SORT_RO", "{p}"), ["{p}"]),
    (("SORT", "{p}"), []),  # SORT may store: a write command
    (("GETEX", "{p}"), []),
    (("GETDEL", "{p}"), []),
    (("ZRANGESTORE", "{p}a", "{p}b", "0", "1"), []),
    (("COPY", "{p}a", "{p}b"), []),
    (("PFMERGE", "{p}a", "{p}b"), []),
    (("LMPOP", "1", "{p}", "LEFT"), []),
    (("EVAL_RO", "return redis.call('get', KEYS[1])", "1", "{p}"), ["{p}"]),
]


def test_which_commands_track_keys(both):
    def scenario(s):
        s.open("a")
        s.open("b", proto=2)
        s.ok("a", "CLIENT", "TRACKING", "ON")
        keys, want = [], []
        for i, (cmd, tracked) in enumerate(READS):
            p = f"c{i}:"
            s.cmd("a", *(x.replace("{p}", p) for x in cmd))
            for x in cmd[1:]:
                if x.startswith("{p}") and x.replace("{p}", p) not in keys:
                    keys.append(x.replace("{p}", p))
            want += [k.replace("{p}", p) for k in tracked]
        assert s.pending("a") == []
        s.ok("b", "MSET", *[x for k in keys for x in (k, "v")])
        got = s.pending("a")
        assert got == [inv(k) for k in keys if k in want]

    both(scenario)


# ------------------------------------------------------------------------- MULTI and scripts


def test_keys_read_in_multi(both):
    def scenario(s):
        s.open("a")
        s.open("b", proto=2)
        s.ok("a", "CLIENT", "TRACKING", "ON")
        s.ok("a", "MULTI")
        assert s.cmd("a", "GET", "k1") == "QUEUED"
        assert s.cmd("a", "STRLEN", "k2") == "QUEUED"
        assert s.cmd("a", "SET", "w", "1") == "QUEUED"
        assert s.cmd("a", "EXEC") == [None, 0, "OK"]
        s.ok("b", "MSET", "w", "1", "k2", "1", "k1", "1")
        assert s.pending("a") == [inv("k2"), inv("k1")]
        # a discarded transaction tracks nothing
        s.ok("a", "MULTI")
        s.cmd("a", "GET", "k3")
        s.ok("a", "DISCARD")
        s.ok("b", "SET", "k3", "1")
        assert s.pending("a") == []
        # another client's transaction: one message per key, in execution order; a key
        # written twice is invalidated once
        s.cmd("a", "MGET", "k1", "k2", "k3")
        s.ok("b", "MULTI")
        s.cmd("b", "SET", "k3", "x")
        s.cmd("b", "SET", "k1", "x")
        s.cmd("b", "DEL", "k3")
        s.cmd("b", "SET", "nokey", "x")
        assert s.cmd("b", "EXEC") == ["OK", "OK", 1, "OK"]
        assert s.pending("a") == [inv("k3"), inv("k1")]
        # the client's own transaction: read, write, read again -> one message after EXEC's
        # reply, and the key is tracked again
        s.ok("a", "MULTI")
        s.cmd("a", "GET", "k4")
        s.cmd("a", "SET", "k4", "1")
        s.cmd("a", "GET", "k4")
        assert s.cmd("a", "EXEC") == [None, "OK", b"1"]
        assert s.early == []
        assert s.pending("a") == [inv("k4")]
        s.ok("b", "SET", "k4", "2")
        assert s.pending("a") == [inv("k4")]

    both(scenario)


def test_keys_read_by_scripts(both):
    """Redis 7.0: when a script runs a read-only command, the keys the script declared (KEYS)
    are tracked, not the keys the command read; a script running only writes tracks nothing."""
    def scenario(s):
        s.open("a")
        s.open("b", proto=2)
        s.ok("a", "CLIENT", "TRACKING", "ON")
        s.cmd("a", "EVAL", "return redis.call('get', KEYS[1])", "1", "s1")
        s.ok("b", "SET", "s1", "1")
        assert s.pending("a") == [inv("s1")]
        s.cmd("a", "EVAL", "redis.call('get', 'q'); return redis.call('exists', 'q')", "2",
              "s1", "s2")
        s.ok("b", "MSET", "q", "1", "s2", "1", "s1", "1")
        assert s.pending("a") == [inv("s2"), inv("s1")]
        # only writes: nothing tracked
        s.cmd("a", "EVAL", "redis.call('set', 'w', '1') return 1", "2", "s1", "s2")
        s.ok("b", "MSET", "s1", "1", "s2", "1", "w", "2")
        assert s.pending("a") == []
        # no command at all
        s.cmd("a", "EVAL", "return 1", "1", "s1")
        s.ok("b", "SET", "s1", "1")
        assert s.pending("a") == []
        # EVAL_RO and EVALSHA
        s.cmd("a", "EVAL_RO", "return redis.call('get', KEYS[1])", "1", "s1")
        sha = s.cmd("a", "SCRIPT", "LOAD", "return redis.call('exists', KEYS[1])")
        s.cmd("a", "EVALSHA", sha, "1", "s3")
        s.ok("b", "MSET", "s3", "1", "s1", "1")
        assert s.pending("a") == [inv("s3"), inv("s1")]
        # a read then a write of the declared key: tracked, then invalidated by the script
        # itself (after the reply)
        assert s.cmd("a", "EVAL", "redis.call('get', 'zz'); return redis.call('set', KEYS[1], "
                     "'x')", "1", "s1") == "OK"
        assert s.early == []
        assert s.pending("a") == [inv("s1")]
        s.ok("b", "SET", "s1", "1")
        assert s.pending("a") == []

    both(scenario)


# ------------------------------------------------------------------------- own writes, NOLOOP


def test_own_writes_and_noloop(both):
    def scenario(s):
        s.open("a")
        s.open("b", proto=2)
        s.ok("a", "CLIENT", "TRACKING", "ON")
        s.cmd("a", "GET", "k")
        # the client's own write: the reply comes first, then the invalidation
        s.ok("a", "SET", "k", "1")
        assert s.early == []
        assert s.pending("a") == [inv("k")]
        s.ok("a", "SET", "k", "2")  # no longer tracked
        assert s.pending("a") == []
        s.cmd("a", "MGET", "k", "j")
        assert s.cmd("a", "DEL", "j", "k") == 1
        assert s.pending("a") == [inv("k")]
        s.cmd("a", "GET", "k")
        assert s.cmd("a", "EVAL", "redis.call('set', 'k', '2'); redis.call('del', 'j'); "
                     "return 1", "0") == 1
        assert s.pending("a") == [inv("k")]
        s.ok("b", "SET", "j", "1")
        assert s.pending("a") == [inv("j")]  # j was still tracked (the DEL found nothing)
        # NOLOOP: no messages for the client's own changes, and the keys are dropped
        s.ok("a", "CLIENT", "TRACKING", "ON", "NOLOOP")
        s.cmd("a", "GET", "k")
        s.ok("a", "SET", "k", "3")
        assert s.pending("a") == []
        s.ok("b", "SET", "k", "4")
        assert s.pending("a") == []
        s.cmd("a", "GET", "k")
        s.ok("b", "SET", "k", "5")
        assert s.pending("a") == [inv("k")]
        s.cmd("a", "GET", "k")
        s.cmd("a", "EVAL", "redis.call('set', 'k', '1') return 1", "0")
        s.ok("a", "MULTI")
        s.cmd("a", "GET", "m")
        s.cmd("a", "SET", "m", "1")
        s.cmd("a", "EXEC")
        assert s.pending("a") == []
        s.ok("b", "MSET", "k", "2", "m", "2")
        assert s.pending("a") == []
        # NOLOOP doesn't hide flushes
        s.ok("a", "FLUSHDB")
        assert s.pending("a") == [INV_ALL]
        # back to the default (NOLOOP not given again)
        s.ok("a", "CLIENT", "TRACKING", "ON")
        s.cmd("a", "GET", "k")
        s.ok("a", "SET", "k", "1")
        assert s.pending("a") == [inv("k")]

    both(scenario)


# ------------------------------------------------------------------------- deletions, expiry


def test_keyspace_changes_that_invalidate(both):
    """Every real change invalidates (the changes WATCH sees); commands that change nothing,
    RENAME of a key to itself and SWAPDB send nothing."""
    changes = [
        (("SET", "a", "1"), ["a"]),
        (("SET", "a", "2", "NX"), []),
        (("SET", "b", "1", "XX"), []),
        (("RENAME", "a", "b"), ["a", "b"]),
        (("DEL", "a", "b", "c"), ["b"]),
        (("SET", "c", "1"), ["c"]),
        (("MOVE", "c", "1"), ["c"]),
        (("SET", "c", "2"), ["c"]),
        (("COPY", "c", "d"), ["d"]),
        (("COPY", "c", "d"), []),
        (("RPUSH", "l", "x", "y"), ["l"]),
        (("LREM", "l", "0", "z"), []),
        (("LREM", "l", "0", "x"), ["l"]),
        (("SADD", "h", "m"), ["h"]),
        (("SADD", "h", "m"), []),
        (("EXPIRE", "nokey", "10"), []),
        (("EXPIRE", "l", "100"), ["l"]),
        (("PERSIST", "l"), ["l"]),
        (("PERSIST", "l"), []),
        (("ZADD", "z", "1", "m"), ["z"]),
        (("ZADD", "z", "1", "m"), []),
        (("ZADD", "z", "2", "m"), ["z"]),
        (("APPEND", "d", ""), ["d"]),
        (("SETRANGE", "d", "0", ""), []),
        (("INCRBY", "d", "0"), ["d"]),
        (("HSET", "hh", "f", "v"), ["hh"]),
        (("HDEL", "hh", "nope"), []),
        (("LPOP", "nolist"), []),
        (("SINTERSTORE", "h", "nos"), ["h"]),  # an empty result deletes h
        (("UNLINK", "l"), ["l"]),
        (("RENAME", "z", "a"), ["z", "a"]),
        (("RENAME", "a", "a"), []),
        (("SWAPDB", "0", "1"), []),
        (("SWAPDB", "0", "1"), []),
        (("PEXPIRE", "a", "100000"), ["a"]),
        (("EXPIRE", "a", "0"), ["a"]),  # deleted
        (("SET", "e", "1"), ["e"]),
        (("PEXPIREAT", "e", "1"), ["e"]),  # deleted
        (("SET", "e", "1", "EX", "100"), ["e"]),
        (("GETEX", "e", "PERSIST"), ["e"]),
        (("GETEX", "e"), []),
        (("GETDEL", "e"), ["e"]),
        (("DEL", "a", "nokey"), []),
    ]
    keys = ["a", "b", "c", "d", "e", "l", "h", "z", "hh"]

    def scenario(s):
        s.open("a")
        s.open("b", proto=2)
        s.ok("a", "CLIENT", "TRACKING", "ON")
        s.cmd("a", "MGET", *keys)
        for change, invalidated in changes:
            s.cmd("b", *change)
            assert s.pending("a") == [inv(k) for k in invalidated], change
            s.cmd("a", "MGET", *keys)

    both(scenario)


def test_expiry_invalidates(both):
    def scenario(s):
        s.open("a")
        s.open("b", proto=2)
        s.ok("a", "CLIENT", "TRACKING", "ON")
        s.ok("b", "DEBUG", "SET-ACTIVE-EXPIRE", "0")
        # lazy expiry found by another client
        s.ok("b", "SET", "k", "v", "PX", "400")
        assert s.cmd("a", "GET", "k") == b"v", "the key expired too early (slow machine?)"
        time.sleep(0.5)
        assert s.pending("a") == []
        assert s.cmd("b", "GET", "k") is None
        assert s.pending("a") == [inv("k")]
        # found by the tracked client itself: reply first, then the invalidation; the read
        # tracks the key again
        s.ok("b", "SET", "k", "v", "PX", "400")
        assert s.cmd("a", "GET", "k") == b"v"
        time.sleep(0.5)
        assert s.cmd("a", "EXISTS", "k") == 0
        assert s.early == []
        assert s.pending("a") == [inv("k")]
        s.ok("b", "SET", "k", "1")
        assert s.pending("a") == [inv("k")]
        # ... a write by the tracked client on an expired key
        s.ok("b", "SET", "k", "v", "PX", "400")
        assert s.cmd("a", "GET", "k") == b"v"
        time.sleep(0.5)
        s.ok("a", "SET", "k", "2")
        assert s.pending("a") == [inv("k")]
        s.ok("b", "SET", "k", "1")
        assert s.pending("a") == []
        # NOLOOP: an expiry the client itself runs into is not reported
        s.ok("a", "CLIENT", "TRACKING", "ON", "NOLOOP")
        s.ok("b", "SET", "k", "v", "PX", "400")
        assert s.pending("a") == []
        assert s.cmd("a", "GET", "k") == b"v"
        time.sleep(0.5)
        assert s.cmd("a", "GET", "k") is None
        assert s.pending("a") == []
        s.ok("b", "SET", "k", "1")
        assert s.pending("a") == [inv("k")]
        # active expiry
        s.ok("a", "CLIENT", "TRACKING", "ON")
        s.ok("b", "DEBUG", "SET-ACTIVE-EXPIRE", "1")
        s.ok("b", "SET", "k", "v", "PX", "300")
        assert s.cmd("a", "GET", "k") == b"v"
        assert s.wait_messages("a", timeout=10) == [inv("k")]
        assert s.cmd("b", "EXISTS", "k") == 0

    both(scenario)


# ------------------------------------------------------------------------- flushes


def test_flush_sends_null(both):
    def scenario(s):
        s.open("a")
        s.open("bc")
        s.open("oi")
        s.open("r2", proto=2)
        s.open("off")
        s.open("b", proto=2)
        s.ok("a", "CLIENT", "TRACKING", "ON")
        s.ok("bc", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "zz")
        s.ok("oi", "CLIENT", "TRACKING", "ON", "OPTIN")
        s.ok("r2", "CLIENT", "TRACKING", "ON")
        s.cmd("a", "MGET", "k1", "k2")
        s.ok("b", "SET", "k1", "1")
        assert s.tracking_stats()[:2] == (1, 1)
        # every tracking client is told, whatever it tracks
        s.ok("b", "FLUSHALL")
        assert s.pending("a") == [inv("k1"), INV_ALL]
        for who in ("bc", "oi"):
            assert s.pending(who) == [INV_ALL]
        assert s.pending("r2") == []
        assert s.pending("off") == []
        assert s.tracking_stats()[:2] == (0, 0)
        # the keys are forgotten
        s.ok("b", "SET", "k2", "1")
        assert s.pending("a") == []
        # FLUSHDB of another (empty) database, ASYNC forms
        s.ok("b", "SELECT", "9")
        s.ok("b", "FLUSHDB")
        s.ok("b", "FLUSHDB", "ASYNC")
        s.ok("b", "FLUSHALL", "SYNC")
        for who in ("a", "bc", "oi"):
            assert s.pending(who) == [INV_ALL] * 3
        # by the tracked client itself (in a transaction too): after the reply
        s.ok("a", "FLUSHDB")
        assert s.early == []
        assert s.pending("a") == [INV_ALL]
        s.ok("a", "MULTI")
        s.cmd("a", "FLUSHALL")
        s.cmd("a", "GET", "k")
        assert s.cmd("a", "EXEC") == ["OK", None]
        assert s.early == []
        assert s.pending("a") == [INV_ALL]
        s.ok("b", "SET", "k", "1")  # read after the flush: tracked
        assert s.pending("a") == [inv("k")]
        for who in ("bc", "oi"):
            assert s.pending(who) == [INV_ALL, INV_ALL]

    both(scenario)


# ------------------------------------------------------------------------- BCAST


def test_bcast(both):
    def scenario(s):
        s.open("all")
        s.open("pre")
        s.open("ab")
        s.open("b", proto=2)
        s.ok("all", "CLIENT", "TRACKING", "ON", "BCAST")
        s.ok("pre", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "obj:")
        s.ok("ab", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "x")
        # nothing needs to be read
        s.ok("b", "SET", "foo", "1")
        assert s.pending("all") == [inv("foo")]
        assert s.pending("pre") == []
        # one message per prefix (prefixes in order), keys sorted and unique
        s.ok("b", "MSET", "user:2", "1", "obj:1", "x", "user:1", "2", "zz", "3", "user:2", "4")
        assert s.pending("all") == [inv("obj:1", "user:1", "user:2", "zz")]
        assert s.pending("pre") == [inv("obj:1"), inv("user:1", "user:2")]
        assert s.pending("ab") == []
        # a transaction's changes are batched
        s.ok("b", "MULTI")
        for k in ("obj:9", "user:x", "obj:3", "ax", "xa", "a"):
            s.cmd("b", "SET", k, "1")
        s.cmd("b", "EXEC")
        assert s.pending("all") == [inv("a", "ax", "obj:3", "obj:9", "user:x", "xa")]
        assert s.pending("pre") == [inv("obj:3", "obj:9"), inv("user:x")]
        assert s.pending("ab") == [inv("a", "ax"), inv("xa")]
        # no change, no message
        assert s.cmd("b", "DEL", "nokey") == 0
        s.cmd("b", "SADD", "user:s", "m")
        s.pending("all")
        s.pending("pre")
        assert s.cmd("b", "SADD", "user:s", "m") == 0
        assert s.pending("all") == []
        assert s.pending("pre") == []
        # reads are not tracked in BCAST mode
        s.cmd("pre", "GET", "other")
        s.cmd("all", "GET", "other")
        assert s.tracking_stats()[:3] == (0, 0, 5)  # "", user:, obj:, a, x
        # the client's own changes: after the reply
        s.ok("pre", "SET", "user:me", "1")
        assert s.early == []
        assert s.pending("pre") == [inv("user:me")]
        assert s.pending("all") == [inv("user:me")]
        # separate commands, separate messages
        s.ok("b", "SET", "obj:a", "1")
        s.ok("b", "SET", "obj:b", "1")
        assert s.pending("pre") == [inv("obj:a"), inv("obj:b")]
        assert s.pending("all") == [inv("obj:a"), inv("obj:b")]
        # expiry
        s.ok("b", "SET", "user:t", "1", "PX", "500")
        assert s.wait_messages("pre", timeout=10) == [inv("user:t")]
        assert s.wait_messages("pre", timeout=10) == [inv("user:t")]
        assert s.pending("all") == [inv("user:t"), inv("user:t")]
        # flush: a null list, not one message per prefix
        s.ok("b", "FLUSHALL")
        assert s.pending("pre") == [INV_ALL]
        assert s.pending("ab") == [INV_ALL]
        # OFF: no more messages; the prefix count drops when no client uses a prefix
        s.ok("ab", "CLIENT", "TRACKING", "OFF")
        s.ok("b", "SET", "ax", "1")
        assert s.pending("ab") == []
        assert s.tracking_stats()[2:] == (3, 2)
        s.close_client("pre")
        assert s.tracking_stats()[2:] == (1, 1)

    both(scenario)


def test_bcast_noloop(both):
    def scenario(s):
        s.open("c")
        s.open("b", proto=2)
        s.ok("c", "CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP", "PREFIX", "n:")
        s.ok("c", "SET", "n:1", "1")
        s.ok("c", "MSET", "n:2", "1", "n:3", "1")
        assert s.pending("c") == []
        s.ok("b", "SET", "n:3", "1")
        assert s.pending("c") == [inv("n:3")]
        s.ok("c", "MULTI")
        s.cmd("c", "SET", "n:4", "1")
        s.cmd("c", "DEL", "n:1")
        s.cmd("c", "EXEC")
        assert s.pending("c") == []
        s.ok("b", "MULTI")
        s.cmd("b", "SET", "n:5", "1")
        s.cmd("b", "DEL", "n:4")
        s.cmd("b", "SET", "m:1", "1")
        s.cmd("b", "EXEC")
        assert s.pending("c") == [inv("n:4", "n:5")]

    both(scenario)


# ------------------------------------------------------------------------- OPTIN / OPTOUT


def test_optin(both):
    def scenario(s):
        s.open("a")
        s.open("b", proto=2)
        s.ok("a", "CLIENT", "TRACKING", "ON", "OPTIN")
        s.cmd("a", "GET", "k1")
        s.ok("b", "SET", "k1", "x")
        assert s.pending("a") == []
        # CLIENT CACHING YES: only the next command's keys
        s.ok("a", "CLIENT", "CACHING", "YES")
        s.cmd("a", "GET", "k1")
        s.cmd("a", "GET", "k2")
        s.ok("b", "MSET", "k1", "x", "k2", "y")
        assert s.pending("a") == [inv("k1")]
        # other CLIENT subcommands keep the flag
        s.ok("a", "CLIENT", "CACHING", "YES")
        s.cmd("a", "CLIENT", "ID")
        s.cmd("a", "CLIENT", "TRACKINGINFO")
        s.cmd("a", "MGET", "k1", "k2")
        s.ok("b", "MSET", "k1", "x", "k2", "y")
        assert s.pending("a") == [inv("k1"), inv("k2")]
        # any other command uses it up, even one that reads nothing or is rejected
        s.ok("a", "CLIENT", "CACHING", "YES")
        assert s.cmd("a", "PING") == "PONG"
        s.cmd("a", "GET", "k1")
        s.ok("a", "CLIENT", "CACHING", "YES")
        assert isinstance(s.cmd("a", "GET", "k1", "k2"), ErrorReply)
        s.cmd("a", "GET", "k1")
        s.ok("b", "MSET", "k1", "x", "k2", "y")
        assert s.pending("a") == []
        # before MULTI: the whole transaction
        s.ok("a", "CLIENT", "CACHING", "YES")
        s.ok("a", "MULTI")
        s.cmd("a", "GET", "k1")
        s.cmd("a", "GET", "k2")
        s.cmd("a", "EXEC")
        s.cmd("a", "GET", "k3")
        s.ok("b", "MSET", "k1", "x", "k2", "y", "k3", "z")
        assert s.pending("a") == [inv("k1"), inv("k2")]
        # inside MULTI: the commands after it in the transaction
        s.ok("a", "MULTI")
        s.cmd("a", "GET", "k1")
        s.cmd("a", "CLIENT", "CACHING", "YES")
        s.cmd("a", "GET", "k2")
        s.cmd("a", "GET", "k3")
        s.cmd("a", "EXEC")
        s.ok("b", "MSET", "k1", "x", "k2", "y", "k3", "z")
        assert s.pending("a") == [inv("k2"), inv("k3")]
        # a script
        s.ok("a", "CLIENT", "CACHING", "YES")
        s.cmd("a", "EVAL", "return redis.call('get', KEYS[1])", "1", "k1")
        s.ok("b", "MSET", "k1", "x", "k2", "y")
        assert s.pending("a") == [inv("k1")]
        # writes are always reported for keys tracked
        s.ok("a", "CLIENT", "CACHING", "YES")
        s.cmd("a", "GET", "k1")
        s.ok("a", "SET", "k1", "own")
        assert s.pending("a") == [inv("k1")]

    both(scenario)


def test_optout(both):
    def scenario(s):
        s.open("a")
        s.open("b", proto=2)
        s.ok("a", "CLIENT", "TRACKING", "ON", "OPTOUT")
        s.cmd("a", "GET", "k1")
        s.ok("b", "SET", "k1", "x")
        assert s.pending("a") == [inv("k1")]
        # CLIENT CACHING NO: the next command's keys are not tracked
        s.ok("a", "CLIENT", "CACHING", "NO")
        s.cmd("a", "GET", "k1")
        s.cmd("a", "GET", "k2")
        s.ok("b", "MSET", "k1", "x", "k2", "y")
        assert s.pending("a") == [inv("k2")]
        s.ok("a", "CLIENT", "CACHING", "NO")
        s.ok("a", "MULTI")
        s.cmd("a", "GET", "k1")
        s.cmd("a", "EXEC")
        s.cmd("a", "GET", "k2")
        s.ok("b", "MSET", "k1", "x", "k2", "y")
        assert s.pending("a") == [inv("k2")]
        # CLIENT TRACKING ON OPTOUT again keeps a pending CACHING NO
        s.ok("a", "CLIENT", "CACHING", "NO")
        s.ok("a", "CLIENT", "TRACKING", "ON", "OPTOUT")
        s.cmd("a", "GET", "k1")
        s.ok("b", "SET", "k1", "x")
        assert s.pending("a") == []

    both(scenario)


# ------------------------------------------------------------------------- redirection


def test_redirect_to_resp2_subscriber(both):
    def scenario(s):
        s.open("a")
        s.open("a2", proto=2)
        s.open("r", proto=2)
        s.open("b", proto=2)
        s.ok("a", "CLIENT", "TRACKING", "ON", "REDIRECT", Id("r"))
        s.ok("a2", "CLIENT", "TRACKING", "ON", "REDIRECT", Id("r"))
        # not in Pub/Sub mode: messages are lost
        s.cmd("a", "GET", "k")
        s.ok("b", "SET", "k", "1")
        assert s.pending("r") == []
        assert s.pending("a") == []
        # subscribed to the channel
        assert s.cmd("r", "SUBSCRIBE", "__redis__:invalidate") == \
            [b"subscribe", b"__redis__:invalidate", 1]
        s.cmd("a", "GET", "k")
        s.cmd("a2", "MGET", "k", "j")
        s.ok("b", "MSET", "j", "1", "k", "2")
        assert s.pending("r") == [msg("j"), msg("k"), msg("k")]
        assert s.pending("a") == []
        # own write of the tracked client
        s.cmd("a", "GET", "k")
        s.ok("a", "SET", "k", "3")
        assert s.pending("r") == [msg("k")]
        # flush: the null is in the tracked client's protocol (a RESP3 '_' for a RESP3 tracked
        # client, even on the RESP2 connection; '$-1' for a RESP2 one)
        s.ok("b", "FLUSHALL")
        assert s.pending("r") == [MSG_ALL, MSG_ALL]
        # any subscription puts the connection in Pub/Sub mode
        assert s.cmd("r", "UNSUBSCRIBE") == [b"unsubscribe", b"__redis__:invalidate", 0]
        s.cmd("a", "GET", "k")
        s.ok("b", "SET", "k", "1")
        assert s.pending("r") == []
        assert s.cmd("r", "SUBSCRIBE", "other") == [b"subscribe", b"other", 1]
        s.cmd("a", "GET", "k")
        s.ok("b", "SET", "k", "2")
        assert s.pending("r") == [msg("k")]
        s.cmd("r", "UNSUBSCRIBE")
        s.cmd("r", "PSUBSCRIBE", "*")
        s.cmd("a", "GET", "k")
        s.ok("b", "SET", "k", "3")
        assert s.pending("r") == [msg("k")]
        # BCAST with redirection
        s.ok("a", "CLIENT", "TRACKING", "OFF")
        s.ok("a", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "p", "REDIRECT", Id("r"))
        s.ok("b", "MSET", "p2", "1", "p1", "1", "q", "1")
        assert s.pending("r") == [msg("p1", "p2")]
        assert s.pending("a") == []

    both(scenario)


def test_redirect_null_bytes(server):
    """The flush's null keeps the tracked client's protocol: '_' to a RESP2 subscriber for a
    RESP3 tracked client, '$-1' to a RESP3 target for a RESP2 tracked client (as Redis 7.0)."""
    with server.raw() as t3, server.raw() as t2, server.raw() as r2, server.raw() as r3, \
            server.raw() as w:
        t3.command("HELLO", "3")
        r3.command("HELLO", "3")
        r2id, r3id = r2.command("CLIENT", "ID"), r3.command("CLIENT", "ID")
        assert r2.command("SUBSCRIBE", "__redis__:invalidate") == \
            [b"subscribe", b"__redis__:invalidate", 1]
        assert t3.command("CLIENT", "TRACKING", "ON", "REDIRECT", str(r2id)) == "OK"
        assert t2.command("CLIENT", "TRACKING", "ON", "REDIRECT", str(r3id)) == "OK"
        assert t3.command("GET", "k") is None
        assert t2.command("GET", "k") is None
        assert w.command("SET", "k", "v") == "OK"
        expect_bytes(r2, b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"
                         b"*1\r\n$1\r\nk\r\n")
        expect_bytes(r3, b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n")
        assert w.command("FLUSHALL") == "OK"
        expect_bytes(r2, b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n_\r\n")
        expect_bytes(r3, b">2\r\n$10\r\ninvalidate\r\n$-1\r\n")
        # the tracked clients themselves got nothing
        assert t3.command("PING") == "PONG"
        assert t2.command("PING") == "PONG"


def test_redirect_to_resp3_client(both):
    def scenario(s):
        s.open("a")
        s.open("a2", proto=2)
        s.open("r")
        s.open("b", proto=2)
        s.ok("a", "CLIENT", "TRACKING", "ON", "REDIRECT", Id("r"))
        s.ok("a2", "CLIENT", "TRACKING", "ON", "REDIRECT", Id("r"))
        s.cmd("a", "GET", "k")
        s.cmd("a2", "GET", "j")
        s.ok("b", "MSET", "k", "1", "j", "1")
        assert s.pending("r") == [inv("k"), inv("j")]
        assert s.pending("a") == []
        s.ok("b", "FLUSHALL")
        assert s.pending("r") == [INV_ALL, INV_ALL]
        # the redirect target's own tracking is independent
        s.ok("r", "CLIENT", "TRACKING", "ON")
        s.cmd("r", "GET", "x")
        s.cmd("a", "GET", "x")
        s.ok("b", "SET", "x", "1")
        assert s.pending("r") == [inv("x"), inv("x")]
        # redirecting to itself
        s.ok("a", "CLIENT", "TRACKING", "ON", "REDIRECT", Id("a"))
        assert s.cmd("a", "CLIENT", "GETREDIR") == s.id("a")
        s.cmd("a", "GET", "y")
        s.ok("b", "SET", "y", "1")
        assert s.pending("a") == [inv("y")]
        # switching the redirection while on
        s.ok("a", "CLIENT", "TRACKING", "ON", "REDIRECT", Id("r"))
        s.cmd("a", "GET", "y")
        s.ok("b", "SET", "y", "2")
        assert s.pending("r") == [inv("y")]
        assert s.pending("a") == []

    both(scenario)


def test_broken_redirect(both):
    def scenario(s):
        s.open("a")
        s.open("a2", proto=2)
        s.open("r", proto=2)
        s.open("b", proto=2)
        s.ok("a", "CLIENT", "TRACKING", "ON", "REDIRECT", Id("r"))
        s.ok("a2", "CLIENT", "TRACKING", "ON", "REDIRECT", Id("r"))
        s.cmd("a", "MGET", "k", "j")
        s.cmd("a2", "GET", "k")
        s.close_client("r")
        # noticed only when there is something to send
        assert s.pending("a") == []
        assert s.client_fields("a")["flags"] == "t"
        s.cmd("a", "CLIENT", "TRACKINGINFO")
        assert s.cmd("a", "CLIENT", "GETREDIR") == s.id("r")
        # one tracking-redir-broken per invalidation; RESP2 clients can't be told
        s.ok("b", "MSET", "k", "1", "j", "1")
        assert s.pending("a") == [broken("r"), broken("r")]
        assert s.pending("a2") == []
        assert s.client_fields("a")["flags"] == "tR"
        assert s.client_fields("a2")["flags"] == "tR"
        assert s.client_fields("a")["redir"] == "<id:r>"
        s.cmd("a", "CLIENT", "TRACKINGINFO")
        s.cmd("a2", "CLIENT", "TRACKINGINFO")
        assert s.cmd("a", "CLIENT", "GETREDIR") == s.id("r")
        # keys are still tracked (and forgotten when invalidated)
        s.ok("b", "SET", "k", "2")
        assert s.pending("a") == []
        s.cmd("a", "GET", "k")
        s.ok("a", "SET", "k", "3")  # own write: after the reply
        assert s.early == []
        assert s.pending("a") == [broken("r")]
        s.ok("b", "FLUSHALL")
        assert s.pending("a") == [broken("r")]
        # a new redirection to a missing client is refused; ON without one repairs it
        assert s.err("a", "CLIENT", "TRACKING", "ON", "REDIRECT", Id("r")) == E_NO_SUCH_CLIENT
        s.ok("a", "CLIENT", "TRACKING", "ON")
        assert s.client_fields("a")["flags"] == "t"
        s.cmd("a", "CLIENT", "TRACKINGINFO")
        s.cmd("a", "GET", "k")
        s.ok("b", "SET", "k", "4")
        assert s.pending("a") == [inv("k")]
        # BCAST: one per message
        s.open("r2")
        s.ok("a", "CLIENT", "TRACKING", "OFF")
        s.ok("a", "CLIENT", "TRACKING", "ON", "BCAST", "REDIRECT", Id("r2"), "PREFIX", "x",
             "PREFIX", "y")
        s.close_client("r2")
        s.ok("b", "MSET", "x1", "1", "x2", "1", "y", "1", "z", "1")
        assert s.pending("a") == [broken("r2"), broken("r2")]
        assert s.client_fields("a")["flags"] == "tRB"
        s.cmd("a", "CLIENT", "TRACKINGINFO")
        s.ok("a", "CLIENT", "TRACKING", "OFF")
        assert s.client_fields("a")["flags"] == "N"
        assert s.client_fields("a")["redir"] == -1

    both(scenario)


# ------------------------------------------------------------------------- CLIENT LIST, INFO


def test_client_list_flags_and_redir(both):
    def scenario(s):
        s.open("a")
        s.open("r", proto=2)
        s.open("b", proto=2)
        assert s.client_fields("a")["flags"] == "N"
        assert s.client_fields("a")["redir"] == -1
        s.ok("a", "CLIENT", "TRACKING", "ON")
        assert (s.client_fields("a")["flags"], s.client_fields("a")["redir"]) == ("t", 0)
        s.ok("a", "CLIENT", "TRACKING", "ON", "REDIRECT", Id("r"))
        assert (s.client_fields("a")["flags"], s.client_fields("a")["redir"]) == ("t", "<id:r>")
        s.ok("a", "CLIENT", "TRACKING", "OFF")
        s.ok("a", "CLIENT", "TRACKING", "ON", "BCAST", "REDIRECT", Id("r"))
        assert s.client_fields("a")["flags"] == "tB"
        s.ok("a", "MULTI")
        assert s.client_fields("a")["flags"] == "xtB"
        s.ok("a", "DISCARD")
        assert s.cmd("a", "SUBSCRIBE", "ch") == Push([b"subscribe", b"ch", 1])
        s.close_client("r")
        s.ok("b", "SET", "k", "1")
        s.pending("a")
        assert s.client_fields("a")["flags"] == "PtRB"
        assert s.cmd("a", "RESET") == "RESET"
        assert s.client_fields("a")["flags"] == "N"
        assert s.client_fields("a")["redir"] == -1

    both(scenario)


def test_info_tracking_fields(both):
    """tracking_total_keys (keys in the table), tracking_total_items (client/key pairs),
    tracking_total_prefixes (BCAST prefixes in use), tracking_clients (INFO clients). The table
    keeps keys of clients that turned tracking off or left until those keys change."""
    def scenario(s):
        s.open("a")
        s.open("c")
        s.open("b", proto=2)
        assert s.tracking_stats() == (0, 0, 0, 0)
        s.ok("a", "CLIENT", "TRACKING", "ON")
        assert s.tracking_stats() == (0, 0, 0, 1)
        s.cmd("a", "MGET", "k1", "k2", "k3")
        assert s.tracking_stats() == (3, 3, 0, 1)
        s.cmd("a", "GET", "k1")
        assert s.tracking_stats() == (3, 3, 0, 1)
        s.ok("c", "CLIENT", "TRACKING", "ON")
        s.cmd("c", "MGET", "k1", "k4")
        assert s.tracking_stats() == (4, 5, 0, 2)
        s.ok("b", "SET", "k1", "1")
        assert s.tracking_stats() == (3, 3, 0, 2)
        s.pending("a")
        s.pending("c")
        s.ok("c", "CLIENT", "TRACKING", "OFF")
        assert s.tracking_stats() == (3, 3, 0, 1)
        s.ok("c", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "p", "PREFIX", "q")
        assert s.tracking_stats() == (3, 3, 2, 2)
        s.ok("a", "CLIENT", "TRACKING", "OFF")
        s.ok("a", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "q", "PREFIX", "r")
        assert s.tracking_stats() == (3, 3, 3, 2)
        s.cmd("a", "GET", "k9")  # BCAST: not remembered
        # k2 was read by a, which is in BCAST mode now: dropped silently
        s.ok("b", "SET", "k2", "1")
        assert s.tracking_stats() == (2, 2, 3, 2)
        assert s.pending("a") == []
        s.ok("c", "CLIENT", "TRACKING", "OFF")
        assert s.tracking_stats() == (2, 2, 2, 1)
        assert s.cmd("a", "RESET") == "RESET"
        assert s.tracking_stats() == (2, 2, 0, 0)
        s.hello3("a")
        s.ok("a", "CLIENT", "TRACKING", "ON")
        s.cmd("a", "MGET", "k1", "k2")
        assert s.tracking_stats() == (4, 4, 0, 1)
        s.ok("b", "FLUSHALL")
        assert s.tracking_stats() == (0, 0, 0, 1)
        s.cmd("a", "MGET", "k1", "k2")
        s.close_client("a")
        assert s.tracking_stats() == (2, 2, 0, 0)
        s.ok("b", "SET", "k1", "1")
        assert s.tracking_stats() == (1, 1, 0, 0)

    both(scenario)


# ------------------------------------------------------------------------- OFF, RESET


def test_off_reset_and_disconnect(both):
    def scenario(s):
        s.open("a")
        s.open("b", proto=2)
        s.ok("a", "CLIENT", "TRACKING", "ON")
        s.cmd("a", "GET", "k")
        s.ok("a", "CLIENT", "TRACKING", "OFF")
        s.ok("b", "SET", "k", "1")
        assert s.pending("a") == []
        s.ok("a", "SET", "own", "1")
        s.ok("b", "FLUSHALL")
        assert s.pending("a") == []
        # keys read before OFF stay in the table: ON again and a change is reported
        s.ok("a", "CLIENT", "TRACKING", "ON")
        s.cmd("a", "GET", "k")
        s.ok("a", "CLIENT", "TRACKING", "OFF")
        s.ok("a", "CLIENT", "TRACKING", "ON")
        s.ok("b", "SET", "k", "1")
        assert s.pending("a") == [inv("k")]
        # RESET turns tracking off (and goes back to RESP2)
        s.ok("a", "CLIENT", "TRACKING", "OFF")
        s.ok("a", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "k")
        assert s.cmd("a", "RESET") == "RESET"
        assert s.cmd("a", "CLIENT", "GETREDIR") == -1
        s.cmd("a", "CLIENT", "TRACKINGINFO")
        s.hello3("a")
        s.ok("b", "SET", "k", "1")
        assert s.pending("a") == []
        s.cmd("a", "CLIENT", "CACHING", "YES")
        # a tracking client that leaves
        s.open("gone")
        s.ok("gone", "CLIENT", "TRACKING", "ON")
        s.cmd("gone", "GET", "k")
        s.close_client("gone")
        s.ok("b", "SET", "k", "2")
        assert s.cmd("b", "GET", "k") == b"2"
        assert s.tracking_stats()[3] == 0

    both(scenario)


# ------------------------------------------------------------------------- tracking-table-max-keys


def test_tracking_table_max_keys_config(both):
    def scenario(s):
        s.open("b", proto=2)
        assert s.cmd("b", "CONFIG", "GET", "tracking-table-max-keys") == \
            [b"tracking-table-max-keys", b"1000000"]
        s.ok("b", "CONFIG", "SET", "tracking-table-max-keys", "3")
        assert s.cmd("b", "CONFIG", "GET", "tracking-table-max-keys") == \
            [b"tracking-table-max-keys", b"3"]
        assert s.err("b", "CONFIG", "SET", "tracking-table-max-keys", "-1") == (
            "ERR CONFIG SET failed (possibly related to argument 'tracking-table-max-keys') - "
            "argument must be between 0 and 9223372036854775807 inclusive")
        assert s.err("b", "CONFIG", "SET", "tracking-table-max-keys", "abc") == (
            "ERR CONFIG SET failed (possibly related to argument 'tracking-table-max-keys') - "
            "argument couldn't be parsed into an integer")
        s.ok("b", "CONFIG", "SET", "tracking-table-max-keys", "0")

    both(scenario)


def test_tracking_table_max_keys_evicts(server):
    """Over the limit, random keys are invalidated (after the reply of the command that went
    over) until the table is back at the limit. Which keys is random, so this runs on one
    server and checks the invariants."""
    s = Side(server.port, "server")
    try:
        s.open("a")
        s.open("b", proto=2)
        s.ok("b", "CONFIG", "SET", "tracking-table-max-keys", "3")
        s.ok("a", "CLIENT", "TRACKING", "ON")
        read, evicted = [], []
        for i in range(1, 11):
            key = f"k{i}"
            assert s.cmd("a", "GET", key) is None
            assert s.early == []
            read.append(key)
            got = s.pending("a")
            if i <= 3:
                assert got == []
            else:
                assert len(got) == 1, got
                assert got[0][:2] == ("push", b"invalidate")
                (k,) = got[0][2]
                k = k.decode()
                assert k in read and k not in evicted
                evicted.append(k)
            assert s.tracking_stats()[:2] == (min(i, 3), min(i, 3))
        # the three keys left are still tracked
        left = [k for k in read if k not in evicted]
        s.ok("b", "MSET", *[x for k in read for x in (k, "v")])
        assert s.pending("a") == [inv(k) for k in left]
        # no limit, then a lower one: the next turn evicts down to it
        s.ok("b", "CONFIG", "SET", "tracking-table-max-keys", "0")
        s.cmd("a", "MGET", *[f"x{i}" for i in range(10)])
        assert s.tracking_stats()[:2] == (10, 10)
        assert s.pending("a") == []
        s.ok("b", "CONFIG", "SET", "tracking-table-max-keys", "1")
        assert s.cmd("b", "PING") == "PONG"
        assert s.tracking_stats()[:2] == (1, 1)
        got = s.pending("a")
        assert len(got) == 9
        gone = [m[2][0].decode() for m in got]
        assert len(set(gone)) == 9 and set(gone) < {f"x{i}" for i in range(10)}
        (last,) = {f"x{i}" for i in range(10)} - set(gone)
        s.ok("b", "MSET", *[x for i in range(10) for x in (f"x{i}", "v")])
        assert s.pending("a") == [inv(last)]
        s.ok("b", "CONFIG", "SET", "tracking-table-max-keys", "1000000")
    finally:
        s.close()


# ------------------------------------------------------------------------- exact frames


def test_invalidation_frames_bytes(server):
    with server.raw() as a, server.raw() as w:
        a.command("HELLO", "3")
        aid = a.command("CLIENT", "ID")
        assert a.command("CLIENT", "TRACKING", "ON") == "OK"
        assert a.command("GET", "key") is None
        assert w.command("SET", "key", "v") == "OK"
        expect_bytes(a, b">2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nkey\r\n")
        # own write: the reply, then the push
        assert a.command("GET", "key") == b"v"
        a.send_command("DEL", "key")
        expect_bytes(a, b":1\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nkey\r\n")
        a.send_command("FLUSHALL")
        expect_bytes(a, b"+OK\r\n>2\r\n$10\r\ninvalidate\r\n_\r\n")
        assert w.command("FLUSHDB") == "OK"
        expect_bytes(a, b">2\r\n$10\r\ninvalidate\r\n_\r\n")
        assert a.command("CLIENT", "TRACKING", "OFF") == "OK"
        assert a.command("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a:") == "OK"
        assert w.command("MSET", "a:2", "1", "b", "1", "a:1", "1") == "OK"
        expect_bytes(a, b">2\r\n$10\r\ninvalidate\r\n*2\r\n$3\r\na:1\r\n$3\r\na:2\r\n")
        # RESP2 redirection target
        with server.raw() as t:
            tid = t.command("CLIENT", "ID")
            assert t.command("SUBSCRIBE", "__redis__:invalidate") == \
                [b"subscribe", b"__redis__:invalidate", 1]
            assert w.command("CLIENT", "TRACKING", "ON", "REDIRECT", str(tid)) == "OK"
            assert w.command("GET", "z") is None
            assert a.command("SET", "z", "1") == "OK"  # not under a's prefix
            expect_bytes(t, b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"
                            b"*1\r\n$1\r\nz\r\n")
            assert w.command("FLUSHALL") == "OK"
            expect_bytes(t, b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n")
            expect_bytes(a, b">2\r\n$10\r\ninvalidate\r\n_\r\n")
        # broken redirection
        assert wait_until(lambda: w.command("CLIENT", "LIST", "ID", str(tid)) == b"", 10)
        assert a.command("CLIENT", "TRACKING", "OFF") == "OK"
        with server.raw() as t:
            tid = t.command("CLIENT", "ID")
            assert a.command("CLIENT", "TRACKING", "ON", "REDIRECT", str(tid)) == "OK"
        assert wait_until(lambda: w.command("CLIENT", "LIST", "ID", str(tid)) == b"", 10)
        assert a.command("GET", "y") is None
        assert w.command("SET", "y", "1") == "OK"
        expect_bytes(a, b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % tid)
        assert a.command("CLIENT", "ID") == aid


# ------------------------------------------------------------------------- random differential


def random_tracking_script(rng, steps):
    keys = ["a1", "a2", "b1", "b2", "c"]

    def read():
        k = rng.choice(keys)
        return rng.choice([("GET", k), ("MGET", k, rng.choice(keys)), ("EXISTS", k),
                           ("STRLEN", k)])

    def write():
        k = rng.choice(keys)
        return rng.choice([("SET", k, str(rng.randint(0, 9))), ("DEL", k, rng.choice(keys)),
                           ("MSET", k, "1", rng.choice(keys), "2"), ("APPEND", k, "x"),
                           ("EXPIRE", k, "0"), ("SET", k, "v", "NX")])

    def tracking_on():
        opts = []
        if rng.random() < 0.3:
            opts.append("BCAST")
            for p in rng.sample(["a", "b"], rng.randint(0, 2)):
                opts += ["PREFIX", p]
        for o in ("OPTIN", "OPTOUT", "NOLOOP"):
            if rng.random() < 0.2:
                opts.append(o)
        if rng.random() < 0.4:
            opts += ["REDIRECT", Id("r")]
        return ("CLIENT", "TRACKING", "ON", *opts)

    script = []
    for _ in range(steps):
        who = rng.choice(["x", "x", "y", "y", "z"])
        roll = rng.random()
        if roll < 0.35:
            step = [read()]
        elif roll < 0.65:
            step = [write()]
        elif roll < 0.75:
            step = [("MULTI",)] + [rng.choice([read, write])() for _ in range(rng.randint(1, 3))] \
                + [("EXEC",)]
        elif roll < 0.85:
            step = [tracking_on()]
        elif roll < 0.89:
            step = [("CLIENT", "TRACKING", "OFF")]
        elif roll < 0.95:
            step = [("CLIENT", "CACHING", rng.choice(["YES", "NO"]))]
        elif roll < 0.97:
            step = [("CLIENT", rng.choice(["TRACKINGINFO", "GETREDIR"]))]
        elif roll < 0.985:
            step = [("FLUSHDB",)]
        else:
            step = [("RESET",)]
        script.append((who, step))
    return script


@pytest.mark.parametrize("seed", range(4))
def test_random_tracking_matches_redis(both, seed):
    script = random_tracking_script(random.Random(seed), 250)

    def scenario(s):
        s.open("x")
        s.open("y")
        s.open("z", proto=2)
        s.open("r", proto=2)
        assert s.cmd("r", "SUBSCRIBE", "__redis__:invalidate") == \
            [b"subscribe", b"__redis__:invalidate", 1]
        for who, step in script:
            for cmd in step:
                s.cmd(who, *cmd)
            if step[0] == ("RESET",) and who != "z":
                s.hello3(who)
            for name in ("x", "y", "z", "r"):
                s.pending(name)

    both(scenario)
