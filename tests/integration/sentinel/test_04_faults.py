"""Faults around the sentinels themselves: a paused sentinel (TILT), a minority that cannot
decide alone, a leader that dies right after its election, sentinels with a wrong bus secret,
and Debian's redis-server as the watched master and replica."""
import os
import signal
import time

from conftest import ReferenceRedis
from sentinel_support import (MASTER, SLOW, HASet, ha, sentinel_config,  # noqa: F401
                              SentinelProcess, wait_for)


def test_paused_sentinel_enters_tilt_and_causes_nothing(ha):
    h = ha(replicas=1, sentinels=3)
    s = h.sentinels[0]
    s.pause()
    time.sleep(3)  # longer than down-after and the TILT trigger
    s.resume()
    wait_for(lambda: s.client().info("sentinel")["sentinel_tilt"] == 1, 5, what="TILT")
    time.sleep(2)
    assert "+tilt" in s.log_text()
    assert h.agreed_master() == ("127.0.0.1", h.master.port)
    for x in h.sentinels:
        assert "+try-failover" not in x.log_text()
        assert "+sdown master" not in x.log_text()


def test_minority_cannot_fail_over_until_the_others_return(ha):
    h = ha(replicas=1, sentinels=3)
    for s in h.sentinels:
        assert s.cmd("SENTINEL", "DEBUG", "TILT-PERIOD", "1000") == "OK"
    lone = h.sentinels[0]
    for s in h.sentinels[1:]:
        s.pause()
    try:
        h.master.kill()
        wait_for(lambda: "+sdown master" in lone.log_text(), 5 * SLOW, what="+sdown")
        time.sleep(2)
        # One sentinel of three sees it down: no quorum, no vote, no failover.
        assert "+odown" not in lone.log_text()
        assert "+try-failover" not in lone.log_text()
        assert lone.master_addr() == ("127.0.0.1", h.master.port)
    finally:
        for s in h.sentinels[1:]:
            s.resume()
    # Back together (after their TILT), they agree and fail over.
    h.wait_master(h.replicas[0].port, timeout=15 * SLOW)


def test_leader_that_crashes_after_its_election_is_replaced(ha):
    h = ha(replicas=1, sentinels=3)
    for s in h.sentinels:
        s.cmd("SENTINEL", "SIMULATE-FAILURE", "CRASH-AFTER-ELECTION")
    h.master.kill()
    crashed = wait_for(lambda: [s for s in h.sentinels if not s.alive()], 10 * SLOW,
                       what="the elected leader to crash")
    assert len(crashed) == 1 and crashed[0].proc.returncode == 99
    assert "+elected-leader" in crashed[0].log_text()
    crashed[0].stopped = True
    survivors = [s for s in h.sentinels if s.alive()]
    for s in survivors:
        s.cmd("SENTINEL", "SIMULATE-FAILURE")  # no flags: behave normally
    # The bus finds the leader gone (2 s) and another sentinel runs the failover in a new
    # epoch, without waiting for the whole failover-timeout (10 s here).
    t0 = time.monotonic()
    wait_for(lambda: {s.master_addr() for s in survivors} == {("127.0.0.1", h.replicas[0].port)},
             15 * SLOW, what="the survivors to fail over")
    assert time.monotonic() - t0 < 8 * SLOW
    assert any(s.master_info()["config-epoch"] >= 2 for s in survivors)


def test_bus_secret_keeps_strangers_out(ha):
    h = ha(replicas=1, sentinels=3, sentinel_extra="sentinel bus-secret right\n")
    stranger = h.add_sentinel(extra="sentinel bus-secret wrong\n")
    # It finds the others through the hello channel, but none of its bus frames is accepted.
    wait_for(lambda: h.sentinels[0].client().info("sentinel")["sentinel_bus_bad_mac"] > 0,
             10 * SLOW, what="frames dropped for their MAC")

    def stranger_flags():
        for p in h.sentinels[0].client().sentinel_sentinels(MASTER):
            if p["port"] == stranger.port:
                return p["flags"]
        return None
    wait_for(lambda: stranger_flags() and "s_down" in stranger_flags(), 10 * SLOW,
             what="the stranger to be unreachable on the bus")
    assert stranger.client().info("sentinel")["sentinel_bus_bad_mac"] > 0
    # The three with the right secret still fail over together.
    h.master.kill()
    wait_for(lambda: {s.master_addr() for s in h.sentinels[:3]} ==
             {("127.0.0.1", h.replicas[0].port)}, 10 * SLOW, what="the failover")
    assert "+elected-leader" not in stranger.log_text()


def test_watches_debian_redis_servers(ha, tmp_path):
    """Sentinel talks RESP only, so it runs a failover of real redis-server instances."""
    master = ReferenceRedis(tmp_path / "m", args=["--repl-diskless-sync-delay", "0"])
    replica = ReferenceRedis(tmp_path / "r", args=["--replicaof", "127.0.0.1", str(master.port)])
    h = HASet(None, tmp_path, [])
    try:
        mc = master.client()
        mc.set("k", "v")
        wait_for(lambda: replica.client().get("k") == b"v", 10, what="the redis replica")
        h.master = master
        h.replicas = [replica]
        for _ in range(3):
            h.add_sentinel()
        h.wait_discovered()
        os.kill(master.proc.pid, signal.SIGKILL)
        master.proc.wait()
        h.wait_master(replica.port, timeout=10 * SLOW)
        rc = replica.client()
        assert rc.execute_command("ROLE")[0] == b"master"
        assert rc.set("after", "1")
    finally:
        for s in h.sentinels:
            assert s.stop() == 0
            s.check_clean()
        master.stop()
        replica.stop()


def test_master_restarted_empty_does_not_wipe_the_data(ha, start_server):
    """A master without persistence crashes and is back at once, empty, before down-after: the
    sentinels see a new run id and no keys while the replicas hold data, hold it down and fail
    over to a replica, which kept its data (tessera replicas refuse the empty sync)."""
    h = ha(replicas=2, sentinels=3)
    mc = h.master.client()
    for i in range(200):
        mc.set(f"k{i}", i)
    assert mc.execute_command("WAIT", 2, 5000) == 2
    # The sentinels' last INFO of the replicas predates these keys: they must ask again.
    port = h.master.port
    h.master.kill()
    h.master = start_server(port=port)
    new_addr = h.wait_moved(port, 15 * SLOW)
    new = h.by_port(new_addr[1]).client()
    assert new.dbsize() == 200
    assert any("+empty-restart" in s.log_text() for s in h.sentinels)
    # The emptied node becomes a replica and gets the data back.
    wait_for(lambda: h.master.client().dbsize() == 200, 15 * SLOW, what="the resync")


def test_password_protected_servers(ha, start_server, tmp_path):
    auth = ["--requirepass", "pw", "--masterauth", "pw"]
    h = ha(replicas=1, sentinels=0, server_args=auth, password="pw")
    for _ in range(3):
        h.add_sentinel(extra=f"sentinel auth-pass {MASTER} pw\n")
    h.wait_discovered()
    h.master.kill()
    h.wait_master(h.replicas[0].port, timeout=10 * SLOW)
    c = h.replicas[0].client(password="pw")
    assert c.execute_command("ROLE")[0] == "master"
