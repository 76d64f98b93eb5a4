"""The client API of tessera-sentinel: what redis-cli and client libraries read, compared with
Debian's Redis Sentinel watching the same master where the behaviour is Redis's."""
import redis
import pytest

from sentinel_support import MASTER, SentinelProcess, sentinel_config, ha, wait_for  # noqa: F401
from helpers import command_error


def test_ping_role_info_and_master_views(ha):
    h = ha(replicas=2, sentinels=3)
    s = h.sentinels[0]
    c = s.client()
    assert c.ping()
    assert c.execute_command("ROLE") == ["sentinel", [MASTER]]
    info = c.info("sentinel")
    assert info["sentinel_masters"] == 1
    assert info["sentinel_tilt"] == 0
    assert info["master0"] == {"name": MASTER, "status": "ok",
                               "address": f"127.0.0.1:{h.master.port}", "slaves": 2,
                               "sentinels": 3}
    m = c.sentinel_master(MASTER)
    assert m["ip"] == "127.0.0.1" and m["port"] == h.master.port
    assert m["is_master"] and not m["is_sdown"] and not m["is_odown"]
    assert m["num-slaves"] == 2 and m["num-other-sentinels"] == 2 and m["quorum"] == 2
    assert m["runid"] == h.master.client().info("server")["run_id"]
    assert c.sentinel_masters()[MASTER]["port"] == h.master.port
    replicas = c.sentinel_slaves(MASTER)
    assert sorted(r["port"] for r in replicas) == sorted(r.port for r in h.replicas)
    for r in replicas:
        assert r["is_slave"] and r["master-port"] == h.master.port
        assert r["master-link-status"] == "ok" and r["slave-priority"] == 100
    def names(reply):  # the same replicas (the timings in them move between two calls)
        return sorted(r[r.index("name") + 1] for r in reply)
    assert names(c.execute_command("SENTINEL", "REPLICAS", MASTER)) == \
        names(c.execute_command("SENTINEL", "SLAVES", MASTER))
    others = c.sentinel_sentinels(MASTER)
    assert sorted(o["port"] for o in others) == sorted(x.port for x in h.sentinels[1:])
    myids = {x.cmd("SENTINEL", "MYID") for x in h.sentinels}
    assert len(myids) == 3 and all(len(i) == 40 for i in myids)
    assert {o["runid"] for o in others} == myids - {s.cmd("SENTINEL", "MYID")}
    assert c.sentinel_get_master_addr_by_name(MASTER) == ("127.0.0.1", h.master.port)
    assert c.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch") is None
    assert c.execute_command("SENTINEL", "CKQUORUM", MASTER) == \
        "OK 3 usable Sentinels. Quorum and failover authorization can be reached"
    cache = c.execute_command("SENTINEL", "INFO-CACHE", MASTER)
    assert cache[0] == MASTER and len(cache[1]) == 3
    assert "role:master" in cache[1][0][1]


def test_redis_cli_talks_to_it(ha):
    h = ha(replicas=1, sentinels=1, quorum=1)
    s = h.sentinels[0]
    out = subprocess_cli(s, "SENTINEL", "get-master-addr-by-name", MASTER)
    assert out.split() == ["127.0.0.1", str(h.master.port)]
    assert "redis_mode:sentinel" in subprocess_cli(s, "INFO")


def subprocess_cli(s, *args):
    import subprocess
    return subprocess.run(["redis-cli", "-p", str(s.port), *args], capture_output=True,
                          text=True, timeout=10, check=True).stdout


def test_errors_match_redis_sentinel(ha, tmp_path):
    """The same requests to tessera-sentinel and to Redis's sentinel watching the same master
    get the same errors and replies."""
    h = ha(replicas=0, sentinels=1, quorum=1)
    ours = h.sentinels[0].client()
    ref = SentinelProcess(tmp_path / "ref", sentinel_config(h.master.port, quorum=1),
                          reference=True)
    try:
        theirs = ref.client()
        cases = [
            ("SENTINEL", "MASTER", "nosuch"),
            ("SENTINEL", "REPLICAS", "nosuch"),
            ("SENTINEL", "SENTINELS", "nosuch"),
            ("SENTINEL", "NOSUCH"),
            ("SENTINEL", "MASTER"),
            ("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"),
            ("SENTINEL", "FAILOVER", "nosuch"),
            ("SENTINEL", "REMOVE", "nosuch"),
            ("SENTINEL", "RESET", "nomatch*"),
            ("SENTINEL", "SET", "nosuch", "quorum", "1"),
            ("SENTINEL", "SET", MASTER, "quorum", "0"),
            ("SENTINEL", "SET", MASTER, "nosuchoption", "1"),
            ("SENTINEL", "SET", MASTER, "down-after-milliseconds", "abc"),
            ("SENTINEL", "MONITOR", MASTER, "127.0.0.1", "1", "2"),
            ("SENTINEL", "MONITOR", "x", "127.0.0.1", "abc", "2"),
            ("SENTINEL", "MONITOR", "x", "127.0.0.1", "6379", "0"),
            ("SENTINEL", "MONITOR", "x", "not-an-ip", "6379", "2"),
            ("SENTINEL", "MONITOR", "x", "127.0.0.1", "70000", "2"),
            ("SENTINEL", "MONITOR", "x", "127.0.0.1", "6379", "abc"),
            ("SENTINEL", "SET", MASTER, "failover-timeout", "10", "quorum"),
            ("SENTINEL", "SET", MASTER, "auth-pass"),
            ("SENTINEL", "SET", MASTER, "parallel-syncs", "0"),
            ("SENTINEL", "DEBUG", "nosuch", "1"),
            ("SENTINEL", "DEBUG", "info-period", "0"),
            ("SENTINEL", "CONFIG", "SET", "nosuch", "1"),
            ("SENTINEL", "CONFIG", "SET", "announce-port", "abc"),
            ("SENTINEL", "CONFIG", "REWRITE"),
            ("SENTINEL", "SIMULATE-FAILURE", "nosuch"),
            ("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "abc", "0", "*"),
            ("CLIENT", "KILL", "1.2.3.4:5"),
            ("SENTINEL", "CKQUORUM", "nosuch"),
            ("SENTINEL", "FAILOVER", MASTER),
            ("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "1", "0", "*"),
            ("SENTINEL", "CONFIG", "GET", "resolve-hostnames"),
            ("GET", "x"),
            ("PUBLISH", "other", "x"),
            ("AUTH", "x"),
            ("PING", "a", "b"),
            ("PING", "hello"),
        ]
        diffs = []
        for args in cases:
            got = []
            for c in (ours, theirs):
                try:
                    got.append(c.execute_command(*args))
                except redis.ResponseError as e:
                    got.append(("error", str(e)))
            if got[0] != got[1]:
                diffs.append(f"{args}:\n tessera {got[0]!r}\n redis   {got[1]!r}")
        assert not diffs, "\n".join(diffs)
    finally:
        ref.stop()


def test_requirepass(ha):
    h = ha(replicas=0, sentinels=0)
    from sentinel_support import SentinelProcess as SP
    s = SP(h.tmp_path / "auth", sentinel_config(h.master.port, quorum=1) + "requirepass pw\n")
    h.sentinels.append(s)
    c = s.client()
    with pytest.raises(redis.AuthenticationError):
        c.execute_command("SENTINEL", "MASTERS")
    assert "WRONGPASS" in command_error(c, "AUTH", "bad")
    authed = s.client(password="pw")
    assert authed.sentinel_get_master_addr_by_name(MASTER) == ("127.0.0.1", h.master.port)


def test_hello_and_resp3(ha):
    h = ha(replicas=0, sentinels=1, quorum=1)
    raw = h.sentinels[0]
    from resp import RawConnection
    c = RawConnection("127.0.0.1", raw.port)
    reply = c.command("HELLO", "3")
    assert reply[b"mode"] == b"sentinel" and reply[b"proto"] == 3
    m = c.command("SENTINEL", "MASTER", MASTER)
    assert isinstance(m, dict) and m[b"name"] == b"mymaster"
    assert "NOPROTO" in c.command("HELLO", "4").message


def test_event_subscription_and_subscriber_mode(ha):
    h = ha(replicas=0, sentinels=1, quorum=1)
    c = h.sentinels[0].client()
    p = c.pubsub()
    p.subscribe("+monitor")
    assert p.get_message(timeout=2)["type"] == "subscribe"
    # A new master on the fly produces +monitor on that channel.
    assert c.execute_command("SENTINEL", "MONITOR", "other", "127.0.0.1",
                             str(h.master.port), "1") == "OK"
    m = wait_for(lambda: p.get_message(timeout=0.1), 5, what="+monitor")
    assert m["channel"] == "+monitor"
    assert m["data"] == f"master other 127.0.0.1 {h.master.port} quorum 1"
    p.close()


def test_client_commands(ha):
    h = ha(replicas=0, sentinels=1, quorum=1)
    c = h.sentinels[0].client()
    assert c.client_setname("me")
    assert c.client_getname() == "me"
    assert any(x["name"] == "me" for x in c.client_list())
    assert isinstance(c.client_id(), int)
    from resp import RawConnection
    other = RawConnection("127.0.0.1", h.sentinels[0].port)
    oid = other.command("CLIENT", "ID")
    assert c.execute_command("CLIENT", "KILL", "ID", oid) == 1
    assert other.is_closed()
    assert c.execute_command("CLIENT", "KILL", "ID", oid) == 0


def test_bad_input_gets_an_error_and_a_close(ha):
    h = ha(replicas=0, sentinels=1, quorum=1)
    from resp import RawConnection
    s = h.sentinels[0]
    c = RawConnection("127.0.0.1", s.port)
    c.send(b"*1\r\n$x\r\n")
    assert "Protocol error" in c.read().message
    assert c.is_closed()
    big = RawConnection("127.0.0.1", s.port)
    big.send(b"*2\r\n$4\r\nPING\r\n$99999999\r\n")
    assert "invalid bulk length" in big.read().message
    assert big.is_closed()
    # The sentinel is unharmed.
    assert s.client().ping()
    assert s.master_addr() == ("127.0.0.1", h.master.port)
